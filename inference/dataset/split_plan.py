"""Whether a manifest's subjects can give a subject-wise split, and which split to use.

A detector run needs three parts that share nobody: at least ``MIN_TRAIN_SUBJECTS`` training
subjects, one validation subject (it chooses the epoch, the threshold and the event rules) and
one held-out test subject, each part with someone who has seizures. ``plan_split`` keeps the
requested split (``SplitConfig``, or a count of validation subjects) when it leaves that;
otherwise it takes the largest test set that still does (``split_subjects`` puts both seizure
types among the test subjects when there are two or more) and its note says it was adapted, and
from what. When no split can, it raises ``SplitError`` naming how many subjects there are, what
a split needs and which options help. It only reads the manifest, so ``train`` answers in
seconds, before any video is decoded; a future ``benchmark`` command calls it the same way.

``check_stored_split`` is evaluation's side: a run's stored test subjects must be in the manifest.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Optional

from inference.core.config import SplitConfig
from inference.core.errors import SplitError
from inference.dataset.manifest import FBTC, FOCAL, NO_SEIZURE, UNKNOWN, Manifest, Recording
from inference.dataset.splits import SubjectSplit, n_val_subjects, split_subjects, subject_strata

MIN_TRAIN_SUBJECTS = 2  # one subject alone teaches its bed, light and body rather than seizures
MIN_VAL_SUBJECTS = 1
MIN_TEST_SUBJECTS = 1


@dataclass(frozen=True)
class SplitPlan:
    """The split a job uses and how it was reached (``note`` is empty when it is the one asked for)."""

    split: SubjectSplit
    config: SplitConfig  # test subjects, validation fraction and seed that give ``split``
    n_val: Optional[int]  # validation subjects by count; None: from ``config.val_fraction``
    requested: SplitConfig
    requested_n_val: Optional[int]
    note: str = ""

    @property
    def adapted(self) -> bool:
        return bool(self.note)

    def to_dict(self) -> dict[str, Any]:
        """The record stored in run.json under ``split``."""
        out: dict[str, Any] = {**self.split.to_dict(), "seed": self.config.seed,
                               "n_test_subjects": self.config.n_test_subjects,
                               "val_fraction": self.config.val_fraction}
        if self.n_val is not None:
            out["n_val_subjects"] = self.n_val
        if self.adapted:
            out["adapted_from"] = {"n_test_subjects": self.requested.n_test_subjects,
                                   "val_fraction": self.requested.val_fraction,
                                   "n_val_subjects": self.requested_n_val}
            out["adapted"] = self.note
        return out


def describe_subjects(manifest: Manifest | Iterable[Recording]) -> str:
    """E.g. '6 subjects (6 with seizures: 3 focal, 2 fbtc, 1 unknown)'."""
    strata = subject_strata(manifest)
    counts = {t: sum(1 for v in strata.values() if v == t) for t in (FOCAL, FBTC, UNKNOWN)}
    types = ", ".join(f"{k} {t}" for t, k in counts.items() if k)
    n = len(strata)
    return (f"{n} subject{'' if n == 1 else 's'} ({sum(counts.values())} with seizures"
            f"{': ' + types if types else ''})")


def _are(recordings: list[Recording]) -> str:
    """'3 subjects (...) are' / '1 subject (...) is'."""
    text = describe_subjects(recordings)
    return f"{text} {'is' if text.startswith('1 subject ') else 'are'}"


def _where(manifest) -> str:
    return str(getattr(manifest, "path", None) or "manifest")


def _shortfalls(split: SubjectSplit, strata: dict[str, str], need_test: bool) -> list[str]:
    """What ``split`` lacks, in words (empty when it is big enough)."""
    out = []
    needs = [("train", "training", MIN_TRAIN_SUBJECTS), ("val", "validation", MIN_VAL_SUBJECTS)]
    if need_test:
        needs.append(("test", "test", MIN_TEST_SUBJECTS))
    for role, word, least in needs:
        subjects = getattr(split, role)
        if len(subjects) < least:
            out.append(f"{len(subjects)} {word} subject{'' if len(subjects) == 1 else 's'} (needs {least})")
        elif not any(strata[s] != NO_SEIZURE for s in subjects):
            out.append(f"no {word} subject with seizures")
    return out


def _request_words(cfg: SplitConfig, n_val: Optional[int]) -> str:
    val = f"{n_val} validation" if n_val is not None else f"validation {100 * cfg.val_fraction:g}% of the rest"
    return f"{cfg.n_test_subjects} test subjects, {val}"


def _sizes(split: SubjectSplit) -> str:
    return f"{len(split.test)} test, {len(split.val)} validation and {len(split.train)} training subjects"


def plan_split(manifest: Manifest | Iterable[Recording], cfg: SplitConfig = SplitConfig(),
               n_val: Optional[int] = None, need_test: bool = True) -> SplitPlan:
    """The split to use for ``cfg`` (and ``n_val`` validation subjects when given): the requested
    one when it leaves enough in every part, else the adapted one (see the module docstring).
    ``need_test=False`` (training without a held-out test) drops the test part's minimum.
    Raises SplitError, with the remedy, when no split leaves enough."""
    recordings = list(manifest)
    strata = subject_strata(recordings)
    asked = split_subjects(recordings, cfg, n_val)
    lacking = _shortfalls(asked, strata, need_test)
    if not lacking:
        return SplitPlan(asked, cfg, n_val, cfg, n_val)
    n = len(strata)
    least_test = MIN_TEST_SUBJECTS if need_test else 0
    most_test = max(least_test, min(int(cfg.n_test_subjects), n - MIN_TRAIN_SUBJECTS - MIN_VAL_SUBJECTS))
    for n_test in range(most_test, least_test - 1, -1):  # the largest test set that leaves enough
        rest = n - n_test
        want_val = n_val_subjects(rest, cfg.val_fraction) if n_val is None else int(n_val)
        for v in range(max(MIN_VAL_SUBJECTS, min(want_val, rest - MIN_TRAIN_SUBJECTS)), MIN_VAL_SUBJECTS - 1, -1):
            c = cfg.replace(n_test_subjects=n_test)
            split = split_subjects(recordings, c, v)
            if not _shortfalls(split, strata, need_test):
                note = (f"{_where(manifest)}: {_are(recordings)} too few for the requested split "
                        f"({_request_words(cfg, n_val)}: it would leave {'; '.join(lacking)}); adapted to "
                        f"{_sizes(split)}. Choose another with --test-subjects N and --val-subjects N.")
                return SplitPlan(split, c, v, cfg, n_val, note)
    raise SplitError(infeasible_message(manifest, recordings, strata, need_test))


def infeasible_message(manifest, recordings: list[Recording], strata: dict[str, str], need_test: bool) -> str:
    """Why no split fits, what a split needs and which options help."""
    n = len(strata)
    with_sz = sum(1 for t in strata.values() if t != NO_SEIZURE)
    parts = [f"{MIN_TRAIN_SUBJECTS} to train", f"{MIN_VAL_SUBJECTS} to validate (choose the epoch and threshold)"]
    if need_test:
        parts.append(f"{MIN_TEST_SUBJECTS} held out to test")
    least = MIN_TRAIN_SUBJECTS + MIN_VAL_SUBJECTS + (MIN_TEST_SUBJECTS if need_test else 0)
    least_sz = len(parts)  # one with seizures in each part
    remedies = []
    if n < least or with_sz < least_sz:
        more = "subjects with seizures" if n >= least else "subjects"
        remedies.append(f"generate more {more} (e.g. `semioscope synth OUT --subjects 6`) or add recordings of "
                        f"other people to the manifest")
        if need_test and n >= least - 1 and with_sz >= least_sz - 1:
            remedies.append(f"train without a held-out test: --no-eval ({MIN_TRAIN_SUBJECTS} training + "
                            f"{MIN_VAL_SUBJECTS} validation subject)")
    else:  # enough people, but the stratified draw left a part without seizures
        remedies.append("try another --split-seed, or set --test-subjects N and --val-subjects N")
    return (f"{_where(manifest)}: {_are(recordings)} too few for a subject-wise split: it needs at "
            f"least {least} subjects, {least_sz} of them with seizures ({', '.join(parts)}; nobody in two parts). "
            f"To go on: {'; or '.join(remedies)}.")


def check_stored_split(split: SubjectSplit, manifest: Manifest, run_json: str) -> list[str]:
    """Evaluation's check, before any decoding: the run's stored test subjects must be in
    ``manifest``. Raises SplitError when none is; returns warnings (some missing, no seizures)."""
    if not split.test:
        raise SplitError(f"{run_json}: the run has no test subjects to evaluate (it was trained with "
                         f"--test-subjects 0); evaluate a run trained with held-out subjects")
    strata = subject_strata(manifest)
    present = [s for s in split.test if s in strata]
    missing = [s for s in split.test if s not in strata]
    if not present:
        listed = ", ".join(list(strata)[:10]) + (", ..." if len(strata) > 10 else "")
        raise SplitError(f"{run_json}: none of the run's test subjects ({', '.join(split.test)}) is in "
                         f"{_where(manifest)} (its subjects: {listed or 'none'}); evaluate on the manifest the run "
                         f"was trained on (run.json names it under 'manifest') or pass --manifest with one that "
                         f"holds them")
    warnings = []
    if missing:
        warnings.append(f"test subjects {', '.join(missing)} of {run_json} are not in {_where(manifest)}: "
                        f"evaluating on {', '.join(present)} only")
    if not any(strata[s] != NO_SEIZURE for s in present):
        warnings.append(f"no test subject in {_where(manifest)} has seizures: sensitivity and latency cannot be "
                        f"measured")
    return warnings

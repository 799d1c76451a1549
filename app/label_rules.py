"""The rules a set of seizure labels must keep, as problems to refuse or to report (no Qt).

- Order: EEG onset <= clinical onset < end, for the marks that are set.
- Overlap: two seizures' spans (earliest to latest mark) do not overlap.
- For export also: a seizure has an onset; a confirmed detection lies on a seizure label; with
  ``require_human`` every onset was set or accepted by a person.

The store refuses an edit that would add a problem (``new_problems``); problems already on file
(written by an older version) stay readable and can be fixed step by step. Export refuses while
any problem is left, so a confirmed seizure never turns into interictal windows.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

from inference.core.errors import SemioscopeError
from widgets.timefmt import format_time

from .annotation_state import HUMAN, MARK_FIELDS, MARK_LABELS, ONSET_FIELDS, SeizureLabel
from .review_coverage import ReviewedPart

ORDER = "order"
OVERLAP = "overlap"
NO_ONSET = "no onset"
UNLABELLED = "confirmed without label"
MACHINE_ONSET = "machine onset"

# (earlier, later, strictly): the order the marks must keep, with the names used in messages.
_ORDER_PAIRS = (("eeg_onset_s", "clinical_onset_s", False), ("eeg_onset_s", "end_s", True),
                ("clinical_onset_s", "end_s", True))


@dataclass(frozen=True)
class Problem:
    """What is wrong, with the seizures concerned (``seizure_ids``) and a message that names them."""

    kind: str
    seizure_ids: tuple[str, ...]
    message: str

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        return self.kind, self.seizure_ids


class LabelRuleError(SemioscopeError):
    """An edit or an export refused because the labels would break (or do break) the rules."""

    def __init__(self, problems: Sequence[Problem], what: str = "refused"):
        self.problems = tuple(problems)
        super().__init__(f"{what}: " + "; ".join(p.message for p in self.problems))


def describe(s: SeizureLabel) -> str:
    """``seizure s2``: how a message names a seizure (its times follow in the message)."""
    return f"seizure {s.id}"


def order_problems(s: SeizureLabel) -> list[Problem]:
    """The marks of ``s`` out of clinical order (one problem naming every pair out of order)."""
    bad = []
    for a, b, strict in _ORDER_PAIRS:
        ta, tb = s.get(a), s.get(b)
        if ta is not None and tb is not None and (ta >= tb if strict else ta > tb):
            rel = "at or before" if strict and ta == tb else "before"
            bad.append(f"the {MARK_LABELS[b]} ({format_time(tb)}) is {rel} the {MARK_LABELS[a]} ({format_time(ta)})")
    if not bad:
        return []
    return [Problem(ORDER, (s.id,), f"{describe(s)}: " + " and ".join(bad))]


def spans_overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Closed spans that share more than a touching end (a single mark inside a span overlaps)."""
    lo, hi = max(a[0], b[0]), min(a[1], b[1])
    if lo > hi:
        return False
    touching = lo == hi and a[1] > a[0] and b[1] > b[0]
    return not touching


def overlap_problems(labels: Sequence[SeizureLabel]) -> list[Problem]:
    out = []
    known = [s for s in labels if s.anchor_s != float("inf")]
    for i, a in enumerate(known):
        for b in known[i + 1:]:
            if spans_overlap(a.span, b.span):
                first, second = sorted((a, b), key=lambda s: (s.anchor_s, s.id))
                out.append(Problem(OVERLAP, tuple(sorted((a.id, b.id))),
                                   f"{describe(first)} ({format_time(first.span[0])}–{format_time(first.span[1])}) "
                                   f"and {describe(second)} ({format_time(second.span[0])}–"
                                   f"{format_time(second.span[1])}) overlap"))
    return out


def edit_problems(labels: Iterable[SeizureLabel]) -> list[Problem]:
    """The problems an edit must not add: marks out of order, overlapping seizures."""
    labels = list(labels)
    return [p for s in labels for p in order_problems(s)] + overlap_problems(labels)


def new_problems(before: Iterable[Problem], after: Iterable[Problem]) -> list[Problem]:
    """Problems in ``after`` that were not there ``before`` (by kind and seizures)."""
    old = {p.key for p in before}
    return [p for p in after if p.key not in old]


def export_problems(labels: Sequence[SeizureLabel], confirmed: Sequence[ReviewedPart] = (),
                    require_human: bool = False) -> list[Problem]:
    """Everything that stops an export: the edit rules, seizures without an onset, confirmed
    detections with no seizure label on them, and (``require_human``) machine-proposed onsets."""
    out = edit_problems(labels)
    for s in labels:
        if s.eeg_onset_s is None and s.clinical_onset_s is None:
            out.append(Problem(NO_ONSET, (s.id,), f"{describe(s)} (end {format_time(s.end_s)}) has no onset "
                               "(mark its EEG or clinical onset)"))
        proposed = [f for f in ONSET_FIELDS if s.source(f) not in (None, HUMAN)]
        if require_human and proposed:
            names = " and ".join(MARK_LABELS[f] for f in proposed)
            out.append(Problem(MACHINE_ONSET, (s.id,), f"{describe(s)}: the {names} "
                               f"{'is' if len(proposed) == 1 else 'are'} still the detector's proposal "
                               "(set or accept it first)"))
    for part in confirmed:
        if not any(spans_overlap(s.span, (part.start_s, part.end_s)) for s in labels):
            out.append(Problem(UNLABELLED, (), f"the confirmed detection {format_time(part.start_s)}–"
                               f"{format_time(part.end_s)} has no seizure label (its windows would be "
                               "exported as interictal; label it, or reset / reject the detection)"))
    return out


def source_counts(labels: Iterable[SeizureLabel], fields: Sequence[str] = ONSET_FIELDS) -> dict[str, int]:
    """How many of the set ``fields`` (onsets by default) a person set vs the detector proposed."""
    counts = {"human": 0, "machine": 0}
    for s in labels:
        for f in fields:
            src: Optional[str] = s.source(f)
            if src is not None:
                counts[src] = counts.get(src, 0) + 1
    return counts


__all__ = ["Problem", "LabelRuleError", "describe", "order_problems", "overlap_problems", "edit_problems",
           "new_problems", "export_problems", "spans_overlap", "source_counts", "ORDER", "OVERLAP", "NO_ONSET",
           "UNLABELLED", "MACHINE_ONSET", "MARK_FIELDS"]

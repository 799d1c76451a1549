"""Subject-wise splits: a held-out test set stratified by seizure type, and leave-one-subject-out.

No subject ever appears in more than one of train / val / test, so a model is always scored on
people it never saw. A subject's stratum is its seizure type: ``fbtc`` if any of its recordings
has a focal-to-bilateral tonic-clonic seizure, else ``focal`` if any is focal, else ``none``.

Everything is deterministic for a given seed: subjects are sorted by id, then shuffled with
``random.Random(seed)`` within each stratum.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from inference.core.config import SplitConfig
from inference.dataset.manifest import FBTC, FOCAL, NO_SEIZURE, UNKNOWN, Manifest, Recording

TRAIN, VAL, TEST = "train", "val", "test"
ROLES = (TRAIN, VAL, TEST)
# Priority order when a subject has several types; seizures of unknown type are seizures too.
_STRATA = (FBTC, FOCAL, UNKNOWN, NO_SEIZURE)


@dataclass(frozen=True)
class SubjectSplit:
    """Disjoint lists of subject ids (each sorted)."""

    train: list[str] = field(default_factory=list)
    val: list[str] = field(default_factory=list)
    test: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        seen: dict[str, str] = {}
        for role in ROLES:
            for s in getattr(self, role):
                if s in seen:
                    raise ValueError(f"subject {s!r} is in both {seen[s]} and {role}")
                seen[s] = role

    def role(self, subject: str) -> Optional[str]:
        """'train', 'val' or 'test'; None for a subject not in this split."""
        for r in ROLES:
            if subject in getattr(self, r):
                return r
        return None

    @property
    def subjects(self) -> list[str]:
        return sorted(self.train + self.val + self.test)

    def to_dict(self) -> dict[str, Any]:
        return {"train": list(self.train), "val": list(self.val), "test": list(self.test)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SubjectSplit":
        return cls(*(sorted(str(s) for s in data.get(r, [])) for r in ROLES))


def _recordings(manifest: Manifest | Iterable[Recording]) -> list[Recording]:
    return list(manifest)


def subject_strata(manifest: Manifest | Iterable[Recording]) -> dict[str, str]:
    """Subject id -> stratum (fbtc / focal / unknown / none), sorted by subject id."""
    types: dict[str, set[str]] = {}
    for r in _recordings(manifest):
        types.setdefault(r.subject_id, set()).add(r.seizure_type)
    return {s: next((t for t in _STRATA if t in types[s]), NO_SEIZURE) for s in sorted(types)}


def _allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """How many of ``n`` picks each stratum gives: proportional (largest remainder), then every
    seizure stratum gets at least one when ``n`` allows, and a stratum keeps at least one subject
    back where possible (so each seizure type is left in the remaining pool too)."""
    total = sum(sizes.values())
    n = max(0, min(n, total))
    if n == 0:
        return {k: 0 for k in sizes}
    keys = [k for k in _STRATA if sizes.get(k, 0) > 0]
    exact = {k: n * sizes[k] / total for k in keys}
    quota = {k: int(exact[k]) for k in keys}
    for k in sorted(keys, key=lambda k: (-(exact[k] - quota[k]), _STRATA.index(k))):
        if sum(quota.values()) >= n:
            break
        quota[k] += 1

    def cap(k: str) -> int:  # keep one back when the stratum has two or more subjects
        return sizes[k] - 1 if sizes[k] >= 2 else sizes[k]

    # Each seizure type at least once, taking from the stratum with the most picks to spare.
    for k in (FBTC, FOCAL):
        if k in quota and quota[k] == 0:
            donors = [d for d in keys if d != k and quota[d] > (1 if d != NO_SEIZURE else 0)]
            if donors:
                d = max(donors, key=lambda d: (d == NO_SEIZURE, quota[d]))
                quota[d] -= 1
                quota[k] += 1
    # Respect the caps, moving the excess to strata with room; else let it stand.
    for k in keys:
        while quota[k] > cap(k):
            room = [d for d in keys if quota[d] < cap(d)]
            if not room:
                break
            quota[k] -= 1
            quota[min(room, key=lambda d: quota[d])] += 1
    return {k: quota.get(k, 0) for k in sizes}


def _pick(pools: dict[str, list[str]], n: int) -> tuple[list[str], dict[str, list[str]]]:
    """Take ``n`` subjects stratified from ``pools`` (already shuffled); returns (picked, rest)."""
    quota = _allocate({k: len(v) for k, v in pools.items()}, n)
    picked: list[str] = []
    rest: dict[str, list[str]] = {}
    for k, pool in pools.items():
        picked += pool[:quota[k]]
        rest[k] = pool[quota[k]:]
    return sorted(picked), rest


def n_val_subjects(n_train: int, val_fraction: float) -> int:
    """Validation subjects out of ``n_train``: the fraction, at least 1 when there are >= 3."""
    if n_train < 2 or val_fraction <= 0:
        return 0
    n = int(round(n_train * val_fraction))
    if n_train >= 3:
        n = max(n, 1)
    return min(n, n_train - 1)


def split_subjects(manifest: Manifest | Iterable[Recording], cfg: SplitConfig = SplitConfig(),
                   n_val: Optional[int] = None) -> SubjectSplit:
    """Deterministic subject-wise train / val / test split stratified by seizure type.

    ``cfg.n_test_subjects`` are held out (capped so at least one subject trains), with both seizure
    types among them when possible; ``cfg.val_fraction`` of the remaining subjects validate, or
    ``n_val`` of them when given (capped the same way). Whether the result is big enough to train
    on is ``split_plan.plan_split``'s question.
    """
    strata = subject_strata(manifest)
    rng = random.Random(cfg.seed)
    pools: dict[str, list[str]] = {}
    for k in _STRATA:
        pool = sorted(s for s, t in strata.items() if t == k)
        rng.shuffle(pool)
        pools[k] = pool
    n_test = max(0, min(int(cfg.n_test_subjects), len(strata) - 1))
    test, rest = _pick(pools, n_test)
    n_train = sum(len(v) for v in rest.values())
    want_val = n_val_subjects(n_train, cfg.val_fraction) if n_val is None else max(0, min(int(n_val), n_train - 1))
    val, rest = _pick(rest, want_val)
    train = sorted(s for v in rest.values() for s in v)
    return SubjectSplit(train, val, test)


def loso_folds(manifest: Manifest | Iterable[Recording], seed: int = 0) -> list[SubjectSplit]:
    """Leave-one-subject-out: one fold per subject (sorted by id), that subject alone in test.

    Each fold's validation subject is drawn (deterministically from ``seed``) among the others,
    preferring one of the same seizure type, then any subject with seizures; none when only one
    other subject is left.
    """
    strata = subject_strata(manifest)
    subjects = list(strata)
    folds = []
    for i, test in enumerate(subjects):
        others = [s for s in subjects if s != test]
        val: list[str] = []
        if len(others) >= 2:
            rng = random.Random(seed * 100_003 + i)
            same = [s for s in others if strata[s] == strata[test] and strata[s] != NO_SEIZURE]
            with_sz = [s for s in others if strata[s] != NO_SEIZURE]
            val = [rng.choice(same or with_sz or others)]
        train = [s for s in others if s not in val]
        folds.append(SubjectSplit(train, val, [test]))
    return folds

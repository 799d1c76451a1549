"""Agreement between raters (and between the detector and each rater) on the seizures of a recording.

Plain inputs: per rater a list of ``(eeg_onset_s, clinical_onset_s, end_s)`` (any may be None)
and the recording's duration. What is measured (``/work/shared/CLINICAL.md``, "Agreement between
raters"), for every ordered pair (reference, other):

- **SzCORE event scoring** (``timescoring.EventScoring`` with the SzCORE rules: a detection may
  start up to 30 s before the reference onset and end up to 60 s after its end, events less than
  90 s apart are merged, events longer than 5 min are split): sensitivity of the other against
  the reference and its false positives per hour (per day too) of recording time.
- **Any-overlap** (Wilson 2003): a reference seizure counts as found when any seizure of the other
  overlaps it (no tolerance, no merging); the other's seizures that overlap none are its false
  positives.
- **Time-weighted overlap**: the share of the reference's seizure time that the other marks too.
- **Cohen's kappa** on 1 s epochs (epoch ``k`` covers ``[k, k+1)`` and is ictal when its middle
  ``k + 0.5`` lies in a seizure); over all raters together **Fleiss' kappa** (three or more).
- **Timing**: seizures matched one to one (intervals that overlap or lie less than 30 s apart,
  the largest overlap first); per matched pair other - reference for EEG onset, clinical onset and
  end, and their mean, median and largest absolute value.

A seizure spans from its earliest onset to its end. A seizure without an end (still open) ends
``OPEN_END_S`` after its last known time, the length the segment labels assume for a manifest
seizure without an end (``SegmentConfig.assumed_seizure_s``, 120 s); one with only an end starts
``OPEN_END_S`` before it. Everything is clipped to the recording. Several recordings pool their
counts, times and epochs. No Qt, no torch: numpy and timescoring.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np
from timescoring.annotations import Annotation
from timescoring.scoring import EventScoring

from inference.core.config import SegmentConfig

Times = tuple[Optional[float], Optional[float], Optional[float]]  # (eeg_onset_s, clinical_onset_s, end_s)
Interval = tuple[float, float]

FIELDS = ("eeg_onset_s", "clinical_onset_s", "end_s")
OPEN_END_S = SegmentConfig().assumed_seizure_s  # 120 s: the assumed length of a seizure without an end
TOL_BEFORE_S = 30.0  # SzCORE: a detection may start this long before the onset
TOL_AFTER_S = 60.0  # ... and end this long after the end
MERGE_BELOW_S = 90.0  # events closer than this are one
SPLIT_ABOVE_S = 300.0  # events longer than this are split
MATCH_GAP_S = TOL_BEFORE_S  # seizures of two raters this close (or overlapping) are the same seizure
EPOCH_S = 1.0
SZCORE = EventScoring.Parameters(toleranceStart=TOL_BEFORE_S, toleranceEnd=TOL_AFTER_S, minOverlap=0,
                                 maxEventDuration=SPLIT_ABOVE_S, minDurationBetweenEvents=MERGE_BELOW_S)
MODEL = "model"


# -- seizures as time ---------------------------------------------------------------------------
def seizure_interval(times: Times, duration_s: float, open_end_s: float = OPEN_END_S) -> Optional[Interval]:
    """``(start, end)`` of one seizure clipped to the recording; None when nothing is known or it
    lies wholly outside the recording."""
    eeg, clin, end = times
    onsets = [float(t) for t in (eeg, clin) if t is not None]
    known = onsets + ([float(end)] if end is not None else [])
    if not known:
        return None
    start = min(onsets) if onsets else float(end) - open_end_s
    stop = float(end) if end is not None else max(known) + open_end_s
    start, stop = max(0.0, start), min(float(duration_s), stop)
    return (start, stop) if stop > start else None


def intervals(seizures: Sequence[Times], duration_s: float, open_end_s: float = OPEN_END_S) -> list[Interval]:
    """The seizures' intervals, sorted, with overlapping ones merged (what the rater calls ictal)."""
    spans = sorted(iv for iv in (seizure_interval(s, duration_s, open_end_s) for s in seizures) if iv is not None)
    out: list[list[float]] = []
    for a, b in spans:
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def epoch_labels(spans: Sequence[Interval], duration_s: float) -> np.ndarray:
    """``[ceil(duration)]`` bool: 1 s epoch ``k`` is ictal when ``k + 0.5`` lies in a span."""
    mids = np.arange(int(math.ceil(duration_s / EPOCH_S - 1e-9))) * EPOCH_S + EPOCH_S / 2
    lab = np.zeros(len(mids), dtype=bool)
    for a, b in spans:
        lab |= (mids >= a) & (mids < b)
    return lab


# -- pairwise measures --------------------------------------------------------------------------
def szcore_counts(ref: Sequence[Interval], hyp: Sequence[Interval], duration_s: float) -> tuple[int, int, int]:
    """``(reference events, true positives, false positives)`` by the SzCORE event rules."""
    n = int(math.ceil(duration_s * 10))
    sc = EventScoring(Annotation(list(ref), 10, n), Annotation(list(hyp), 10, n), SZCORE)
    return int(sc.refTrue), int(sc.tp), int(sc.fp)


def _overlap(a: Interval, b: Interval) -> float:
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def any_overlap_counts(ref: Sequence[Interval], hyp: Sequence[Interval]) -> tuple[int, int, int, int]:
    """``(reference seizures, of them overlapped, other's seizures, of them overlapping none)``."""
    hits = sum(1 for r in ref if any(_overlap(r, h) > 0 for h in hyp))
    fps = sum(1 for h in hyp if not any(_overlap(r, h) > 0 for r in ref))
    return len(ref), hits, len(hyp), fps


def time_overlap_seconds(ref: Sequence[Interval], hyp: Sequence[Interval]) -> tuple[float, float]:
    """``(seconds both mark, seconds the reference marks)`` (both lists merged, as ``intervals``)."""
    both = sum(_overlap(r, h) for r in ref for h in hyp)
    return float(both), float(sum(b - a for a, b in ref))


def match_seizures(a: Sequence[Times], b: Sequence[Times], duration_s: float,
                   open_end_s: float = OPEN_END_S) -> list[tuple[int, int]]:
    """One-to-one pairs ``(i, j)`` of the seizures of ``a`` and ``b`` that are the same seizure:
    their intervals overlap or lie less than ``MATCH_GAP_S`` apart; the largest overlap (then
    the smallest gap) is paired first. Sorted by ``i``."""
    ia = [seizure_interval(s, duration_s, open_end_s) for s in a]
    ib = [seizure_interval(s, duration_s, open_end_s) for s in b]
    cands = []
    for i, x in enumerate(ia):
        for j, y in enumerate(ib):
            if x is None or y is None:
                continue
            gap = max(x[0], y[0]) - min(x[1], y[1])  # negative: the overlap
            if gap < MATCH_GAP_S:
                cands.append((gap, i, j))
    used_a, used_b, pairs = set(), set(), []
    for _gap, i, j in sorted(cands):
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append((i, j))
    return sorted(pairs)


# -- kappa ------------------------------------------------------------------------------------
def cohen_kappa(x: Sequence[Any], y: Sequence[Any]) -> float:
    """Cohen's kappa of two raters' labels (NaN when chance agreement is total, e.g. both all 0)."""
    x, y = np.asarray(x), np.asarray(y)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"two label vectors of one length expected, got {x.shape} and {y.shape}")
    if not len(x):
        return float("nan")
    cats = np.union1d(x, y)
    po = float(np.mean(x == y))
    pe = float(sum(np.mean(x == c) * np.mean(y == c) for c in cats))
    return (po - pe) / (1.0 - pe) if pe < 1.0 - 1e-12 else float("nan")


def fleiss_kappa(counts: np.ndarray) -> float:
    """Fleiss' kappa from ``counts [N items, k categories]`` (raters per item and category; every
    item rated by the same number ``m >= 2`` of raters)."""
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim != 2 or not len(c):
        return float("nan")
    m = c.sum(axis=1)
    if np.any(m != m[0]) or m[0] < 2:
        raise ValueError("Fleiss' kappa needs the same number (>= 2) of ratings for every item")
    m0 = m[0]
    p_item = (np.sum(c * c, axis=1) - m0) / (m0 * (m0 - 1))
    p_bar = float(p_item.mean())
    p_cat = c.sum(axis=0) / (len(c) * m0)
    pe = float(np.sum(p_cat ** 2))
    return (p_bar - pe) / (1.0 - pe) if pe < 1.0 - 1e-12 else float("nan")


def fleiss_from_labels(labels: np.ndarray) -> float:
    """Fleiss' kappa of ``labels [m raters, N items]`` of binary (ictal / not) labels."""
    lab = np.asarray(labels, dtype=bool)
    ictal = lab.sum(axis=0)
    return fleiss_kappa(np.stack([lab.shape[0] - ictal, ictal], axis=1))


# -- reports ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecordingLabels:
    """One recording: each rater's seizures (every rater named, an empty list for none), the
    model's events as ``(start, start, end)`` when there are some, and the duration."""

    recording_id: str
    duration_s: float
    raters: dict[str, list[Times]]
    model: Optional[list[Times]] = None


@dataclass(frozen=True)
class MatchRow:
    """A seizure both marked (or one only one of them did: the other side's index is None)."""

    recording_id: str
    ref_index: Optional[int]
    hyp_index: Optional[int]
    ref: Times
    hyp: Times

    def difference(self, name: str) -> Optional[float]:
        k = FIELDS.index(name)
        a, b = self.ref[k], self.hyp[k]
        return None if a is None or b is None else float(b) - float(a)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"recording_id": self.recording_id, "ref_index": self.ref_index,
                             "hyp_index": self.hyp_index}
        for k, f in enumerate(FIELDS):
            d[f"ref_{f}"], d[f"hyp_{f}"], d[f"diff_{f}"] = self.ref[k], self.hyp[k], self.difference(f)
        return d


def difference_stats(values: Sequence[float]) -> dict[str, Any]:
    v = np.asarray(list(values), dtype=np.float64)
    if not len(v):
        return {"n": 0, "mean": None, "median": None, "max_abs": None}
    return {"n": int(len(v)), "mean": float(v.mean()), "median": float(np.median(v)),
            "max_abs": float(np.abs(v).max())}


def _ratio(a: float, b: float) -> Optional[float]:
    return a / b if b > 0 else None


@dataclass
class PairResult:
    """One ordered pair over all recordings: ``hypothesis`` scored against ``reference``."""

    reference: str
    hypothesis: str
    hours: float = 0.0
    ref_events: int = 0  # SzCORE reference events (after merging and splitting)
    tp: int = 0
    fp: int = 0
    ref_seizures: int = 0  # any-overlap counts (merged intervals)
    hits: int = 0
    hyp_seizures: int = 0
    overlap_fp: int = 0
    both_s: float = 0.0
    ref_s: float = 0.0
    kappa: float = float("nan")
    rows: list[MatchRow] = field(default_factory=list)

    def add(self, rec: RecordingLabels, ref: list[Times], hyp: list[Times], open_end_s: float) -> None:
        d = rec.duration_s
        ri, hi = intervals(ref, d, open_end_s), intervals(hyp, d, open_end_s)
        n_ref, tp, fp = szcore_counts(ri, hi, d)
        o = any_overlap_counts(ri, hi)
        both, total = time_overlap_seconds(ri, hi)
        self.hours += d / 3600.0
        self.ref_events, self.tp, self.fp = self.ref_events + n_ref, self.tp + tp, self.fp + fp
        self.ref_seizures, self.hits = self.ref_seizures + o[0], self.hits + o[1]
        self.hyp_seizures, self.overlap_fp = self.hyp_seizures + o[2], self.overlap_fp + o[3]
        self.both_s, self.ref_s = self.both_s + both, self.ref_s + total
        pairs = match_seizures(ref, hyp, d, open_end_s)
        none: Times = (None, None, None)
        rows = [MatchRow(rec.recording_id, i, j, tuple(ref[i]), tuple(hyp[j])) for i, j in pairs]
        rows += [MatchRow(rec.recording_id, i, None, tuple(ref[i]), none)
                 for i in range(len(ref)) if i not in {p[0] for p in pairs}]
        rows += [MatchRow(rec.recording_id, None, j, none, tuple(hyp[j]))
                 for j in range(len(hyp)) if j not in {p[1] for p in pairs}]
        self.rows += sorted(rows, key=lambda r: min([t for t in r.ref + r.hyp if t is not None], default=math.inf))

    @property
    def sensitivity(self) -> Optional[float]:
        return _ratio(self.tp, self.ref_events)

    @property
    def fp_per_hour(self) -> Optional[float]:
        return _ratio(self.fp, self.hours)

    @property
    def any_overlap_sensitivity(self) -> Optional[float]:
        return _ratio(self.hits, self.ref_seizures)

    @property
    def any_overlap_fp_per_hour(self) -> Optional[float]:
        return _ratio(self.overlap_fp, self.hours)

    @property
    def time_overlap(self) -> Optional[float]:
        return _ratio(self.both_s, self.ref_s)

    def differences(self, name: str) -> list[float]:
        return [d for d in (r.difference(name) for r in self.rows) if d is not None]

    def summary(self) -> dict[str, Any]:
        fp_h = self.fp_per_hour
        return {"reference": self.reference, "other": self.hypothesis, "hours": self.hours,
                "szcore_reference_events": self.ref_events, "szcore_true_positives": self.tp,
                "szcore_false_positives": self.fp, "szcore_sensitivity": self.sensitivity,
                "szcore_fp_per_hour": fp_h, "szcore_fp_per_day": None if fp_h is None else fp_h * 24,
                "any_overlap_reference": self.ref_seizures, "any_overlap_found": self.hits,
                "any_overlap_sensitivity": self.any_overlap_sensitivity,
                "any_overlap_false_positives": self.overlap_fp,
                "any_overlap_fp_per_hour": self.any_overlap_fp_per_hour,
                "time_overlap": self.time_overlap, "cohen_kappa": _num(self.kappa),
                **{f"{f}_{k}": v for f in FIELDS for k, v in difference_stats(self.differences(f)).items()}}

    def to_dict(self) -> dict[str, Any]:
        return {**self.summary(), "seizures": [r.to_dict() for r in self.rows]}


def _num(x: float) -> Optional[float]:
    return None if x is None or not math.isfinite(x) else float(x)


@dataclass
class AgreementReport:
    raters: list[str]
    recordings: list[tuple[str, float]]  # (recording_id, duration_s)
    pairs: list[PairResult]  # every ordered pair of raters
    model_pairs: list[PairResult]  # the model against each rater
    kappa: Optional[float]
    kappa_method: str  # "cohen" | "fleiss" | ""
    epochs: int
    open_end_s: float = OPEN_END_S
    counts: dict[str, int] = field(default_factory=dict)  # seizures per rater (and the model's events)

    def all_pairs(self) -> list[PairResult]:
        return self.pairs + self.model_pairs

    def to_dict(self) -> dict[str, Any]:
        return {"format": "semioscope.agreement", "version": 1, "raters": self.raters,
                "recordings": [{"recording_id": r, "duration_s": d} for r, d in self.recordings],
                "seizures": self.counts,
                "rules": {"epoch_s": EPOCH_S, "open_end_s": self.open_end_s, "tolerance_before_s": TOL_BEFORE_S,
                          "tolerance_after_s": TOL_AFTER_S, "merge_below_s": MERGE_BELOW_S,
                          "split_above_s": SPLIT_ABOVE_S, "match_gap_s": MATCH_GAP_S},
                "kappa": {"method": self.kappa_method, "value": _num(self.kappa) if self.kappa is not None else None,
                          "epochs": self.epochs},
                "pairs": [p.to_dict() for p in self.pairs], "model": [p.to_dict() for p in self.model_pairs]}


def rater_agreement(recordings: Sequence[RecordingLabels], open_end_s: float = OPEN_END_S) -> AgreementReport:
    """Every measure of the module docstring over ``recordings`` (each naming the same raters);
    the model (``model_pairs``) over the recordings whose ``model`` is not None."""
    if not recordings:
        raise ValueError("no recordings to compare")
    raters = list(recordings[0].raters)
    for rec in recordings:
        if list(rec.raters) != raters:
            raise ValueError(f"recording {rec.recording_id} has raters {list(rec.raters)}, expected {raters}")
        if not rec.duration_s > 0:
            raise ValueError(f"recording {rec.recording_id}: the duration must be positive, not {rec.duration_s!r}")
    if len(raters) < 2 and not any(r.model for r in recordings):
        raise ValueError("agreement needs two raters, or one rater and the model's events")
    def seizures_of(rec: RecordingLabels, name: str) -> list[Times]:
        return (rec.model or []) if name == MODEL else rec.raters[name]

    per_rec = [{name: epoch_labels(intervals(seizures_of(rec, name), rec.duration_s, open_end_s), rec.duration_s)
                for name in raters + ([MODEL] if rec.model is not None else [])} for rec in recordings]
    with_model = any(rec.model is not None for rec in recordings)

    def labels(name: str, only_with_model: bool = False) -> np.ndarray:
        return np.concatenate([lab[name] for rec, lab in zip(recordings, per_rec)
                               if rec.model is not None or not only_with_model])

    def pair(a: str, b: str) -> PairResult:
        # The model is scored on the recordings that have a result only.
        used = [rec for rec in recordings if b != MODEL or rec.model is not None]
        p = PairResult(a, b, kappa=cohen_kappa(labels(a, b == MODEL), labels(b, b == MODEL)))
        for rec in used:
            p.add(rec, rec.raters[a], seizures_of(rec, b), open_end_s)
        return p

    pairs = [pair(a, b) for a in raters for b in raters if a != b]
    model_pairs = [pair(a, MODEL) for a in raters] if with_model else []
    if len(raters) == 2:
        kappa, method = cohen_kappa(labels(raters[0]), labels(raters[1])), "cohen"
    elif len(raters) > 2:
        kappa, method = fleiss_from_labels(np.stack([labels(r) for r in raters])), "fleiss"
    else:
        kappa, method = None, ""
    counts = {r: sum(len(rec.raters[r]) for rec in recordings) for r in raters}
    if with_model:
        counts[MODEL] = sum(len(rec.model or []) for rec in recordings)
    return AgreementReport(raters, [(r.recording_id, float(r.duration_s)) for r in recordings], pairs, model_pairs,
                           kappa, method, len(labels(raters[0])), open_end_s, counts)


__all__ = ["Times", "Interval", "FIELDS", "OPEN_END_S", "TOL_BEFORE_S", "TOL_AFTER_S", "MERGE_BELOW_S",
           "SPLIT_ABOVE_S", "MATCH_GAP_S", "MODEL", "seizure_interval", "intervals", "epoch_labels",
           "szcore_counts", "any_overlap_counts", "time_overlap_seconds", "match_seizures", "cohen_kappa",
           "fleiss_kappa", "fleiss_from_labels", "RecordingLabels", "MatchRow", "PairResult",
           "AgreementReport", "difference_stats", "rater_agreement"]

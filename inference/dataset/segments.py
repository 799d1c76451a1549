"""Fixed-length training/evaluation windows and their labels (paper section 4.1).

A window covers the half-open interval ``[start_s, end_s)``; its frames are sampled at
``start_s + k / fps`` for ``k < window_s * fps`` (5 s x 6 fps = 30 frames), so its last frame is
shown strictly before ``end_s``.

Labels, per window:

- **Ictal (1):** it starts within ``ictal_span_s`` after a clinical onset:
  ``clinical_onset <= start < clinical_onset + ictal_span_s`` (a window starting exactly at
  onset + 40 s is excluded), and before that seizure's ``end_s`` when the end is known.
- **Interictal (0):** it lies clear of every seizure. Before a seizure that means it *ends at or
  before* the EEG onset (a window ending exactly at EEG onset holds no frame at or after the onset,
  so it is interictal). After a seizure it must start at least ``postictal_guard_s`` after that
  seizure's end (``end_s``, or clinical onset + ``assumed_seizure_s`` when unknown), which keeps
  the post-ictal phase out. ``postictal_guard_s = inf`` keeps only windows before the first
  seizure, the paper's literal rule.
- **Everything else** (EEG-to-clinical transition, late ictal, post-ictal) is excluded (None).

Optional VSViG-style soft labels (``cfg.soft_labels``): interictal windows get 0.0, ictal ones
1.0, and windows overlapping the EEG-to-clinical transition of a seizure (``end > eeg_onset`` and
``start < clinical_onset``) are kept with ``soft = rise(end_s)``, where ``rise`` goes from 0 at EEG
onset exponentially to 1 at clinical onset: ``(exp(r x) - 1) / (exp(r) - 1)``, ``x`` the fraction
of the way, ``r = soft_label_rate``. Their hard ``label`` is ``soft >= 0.5``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping, Optional, Sequence

import numpy as np

from inference.core.config import SegmentConfig
from inference.core.progress import ProgressFn, no_progress
from inference.dataset.manifest import Manifest, Recording, Seizure
from inference.video.index import probe

INTERICTAL = 0
ICTAL = 1
_EPS = 1e-6  # boundary tolerance in seconds: window starts are sums of floats


@dataclass(frozen=True)
class Segment:
    """One window of one recording. Times in seconds from the video start; ``[start_s, end_s)``."""

    recording_id: str
    subject_id: str
    seizure_type: str  # the recording's seizure type (focal / fbtc / none)
    start_s: float
    end_s: float
    label: int  # 0 interictal, 1 ictal
    soft_label: Optional[float] = None  # VSViG-style target in [0, 1] when soft labels are on

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def sample_times(self, fps: float) -> np.ndarray:
        """Times of the window's frames, shape [round(duration * fps)]."""
        n = int(round(self.duration_s * fps))
        return self.start_s + np.arange(n, dtype=np.float64) / fps


@dataclass(frozen=True)
class SegmentCount:
    """Interictal and ictal window counts (of one subject, split or the whole set)."""

    interictal: int = 0
    ictal: int = 0

    @property
    def total(self) -> int:
        return self.interictal + self.ictal

    def __add__(self, other: "SegmentCount") -> "SegmentCount":
        return SegmentCount(self.interictal + other.interictal, self.ictal + other.ictal)


def window_starts(duration_s: float, cfg: SegmentConfig = SegmentConfig(),
                  stride_s: Optional[float] = None) -> np.ndarray:
    """Start times of every full window that fits in ``[0, duration_s]``, shape [N].

    ``stride_s`` defaults to ``cfg.train_stride_s``. Starts are ``k * stride_s``.
    """
    stride = cfg.train_stride_s if stride_s is None else float(stride_s)
    if stride <= 0:
        raise ValueError(f"stride must be positive, got {stride}")
    if cfg.window_s <= 0:
        raise ValueError(f"window length must be positive, got {cfg.window_s}")
    if duration_s is None or not math.isfinite(duration_s) or duration_s + _EPS < cfg.window_s:
        return np.zeros(0, dtype=np.float64)
    n = int(math.floor((duration_s - cfg.window_s) / stride + _EPS)) + 1
    return np.round(np.arange(n, dtype=np.float64) * stride, 9)


def seizure_end(sz: Seizure, cfg: SegmentConfig = SegmentConfig()) -> float:
    """The seizure's end, or clinical onset + ``assumed_seizure_s`` when the manifest has none."""
    if sz.end_s is not None:
        return float(sz.end_s)
    return float(sz.clinical_onset_s) + cfg.assumed_seizure_s


def _is_ictal(start_s: float, sz: Seizure, cfg: SegmentConfig) -> bool:
    clin = sz.clinical_onset_s
    if not (clin - _EPS <= start_s < clin + cfg.ictal_span_s - _EPS):
        return False
    return sz.end_s is None or start_s < sz.end_s - _EPS


def _clear_of(start_s: float, end_s: float, sz: Seizure, cfg: SegmentConfig) -> bool:
    """True when the window is wholly before the seizure or wholly after its post-ictal guard."""
    if end_s <= sz.eeg_onset_s + _EPS:
        return True
    return start_s >= seizure_end(sz, cfg) + cfg.postictal_guard_s - _EPS


def label_window(start_s: float, end_s: float, seizures: Sequence[Seizure],
                 cfg: SegmentConfig = SegmentConfig()) -> Optional[int]:
    """1 ictal, 0 interictal, None excluded (rules in the module docstring)."""
    if any(_is_ictal(start_s, sz, cfg) for sz in seizures):
        return ICTAL
    if all(_clear_of(start_s, end_s, sz, cfg) for sz in seizures):
        return INTERICTAL
    return None


def soft_rise(t: float, eeg_onset_s: float, clinical_onset_s: float, rate: float) -> float:
    """0 at (and before) EEG onset, rising exponentially to 1 at (and after) clinical onset."""
    if t <= eeg_onset_s:
        return 0.0
    if t >= clinical_onset_s:
        return 1.0
    x = (t - eeg_onset_s) / (clinical_onset_s - eeg_onset_s)
    if abs(rate) < 1e-9:
        return float(x)
    return float(math.expm1(rate * x) / math.expm1(rate))


def _soft_transition(start_s: float, end_s: float, seizures: Sequence[Seizure],
                     cfg: SegmentConfig) -> Optional[float]:
    """Soft label of an excluded window that overlaps one seizure's EEG-to-clinical transition and
    is otherwise clear of every other seizure; None when it is not such a window."""
    for k, sz in enumerate(seizures):
        if end_s > sz.eeg_onset_s + _EPS and start_s < sz.clinical_onset_s - _EPS:
            others = [o for j, o in enumerate(seizures) if j != k]
            if all(_clear_of(start_s, end_s, o, cfg) for o in others):
                return soft_rise(end_s, sz.eeg_onset_s, sz.clinical_onset_s, cfg.soft_label_rate)
    return None


def segment_recording(rec: Recording, duration_s: float, cfg: SegmentConfig = SegmentConfig(),
                      stride_s: Optional[float] = None) -> list[Segment]:
    """Labelled windows of one recording (excluded windows left out), in time order."""
    seizures = sorted(rec.seizures, key=lambda s: s.eeg_onset_s)
    out: list[Segment] = []
    for start in window_starts(duration_s, cfg, stride_s):
        start = float(start)
        end = round(start + cfg.window_s, 9)
        label = label_window(start, end, seizures, cfg)
        soft: Optional[float] = None
        if cfg.soft_labels:
            if label is None:
                soft = _soft_transition(start, end, seizures, cfg)
                if soft is None:
                    continue
                label = ICTAL if soft >= 0.5 else INTERICTAL
            else:
                soft = float(label)
        elif label is None:
            continue
        out.append(Segment(rec.recording_id, rec.subject_id, rec.seizure_type, start, end, label, soft))
    return out


def recording_duration(rec: Recording, durations: Optional[Mapping[str, float]] = None) -> float:
    """Duration from the manifest, else from ``durations``, else probed from the video file
    (raises VideoError naming the file when it cannot be read)."""
    if rec.duration_s is not None:
        return float(rec.duration_s)
    if durations is not None and rec.recording_id in durations:
        return float(durations[rec.recording_id])

    return float(probe(rec.video).duration_s)


def segment_manifest(manifest: Manifest | Iterable[Recording], cfg: SegmentConfig = SegmentConfig(),
                     stride_s: Optional[float] = None, durations: Optional[Mapping[str, float]] = None,
                     progress: ProgressFn = no_progress) -> list[Segment]:
    """Labelled windows of every recording, in manifest order."""
    recs = list(manifest)
    out: list[Segment] = []
    for k, rec in enumerate(recs):
        progress(k, len(recs), rec.recording_id)
        out.extend(segment_recording(rec, recording_duration(rec, durations), cfg, stride_s))
    progress(len(recs), len(recs), "")
    return out


def count_segments(segments: Iterable[Segment]) -> dict[str, SegmentCount]:
    """Per-subject interictal/ictal counts, subjects sorted by id."""
    counts: dict[str, list[int]] = {}
    for s in segments:
        c = counts.setdefault(s.subject_id, [0, 0])
        c[1 if s.label == ICTAL else 0] += 1
    return {sid: SegmentCount(*counts[sid]) for sid in sorted(counts)}


def total_count(counts: Mapping[str, SegmentCount] | Iterable[SegmentCount]) -> SegmentCount:
    values = counts.values() if isinstance(counts, Mapping) else counts
    total = SegmentCount()
    for c in values:
        total = total + c
    return total

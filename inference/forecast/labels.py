"""Forecast clip labels from a recording manifest.

For a clip ``[start, end)`` of length L (3-10 s) and horizon H (5 s):

- **Positive (1):** ``onset - H <= end <= onset`` for a seizure's onset (clinical by default,
  EEG with ``onset="eeg"``): the clip ends at most H s before the seizure starts. Positive clips
  are placed with their ends every ``positive_stride_s`` back from the onset, and must start
  after the previous seizure is over.
- **Negative (0):** interictal, well away from any seizure: the clip ends at least ``guard_s``
  before the earliest onset (EEG or clinical) of every later seizure and starts at least
  ``guard_s`` after the end of every earlier one (a seizure without ``end_s`` is taken to last
  ``unknown_end_s``). Negatives tile the recording every ``negative_stride_s``.

Everything else is not used. ``lead_s`` = onset - clip end for positives.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np

from inference.core.config import DictMixin
from inference.core.errors import SemioscopeError, VideoError
from inference.dataset.manifest import Manifest, Recording, Seizure
from inference.dataset.segments import recording_duration

_EPS = 1e-9


@dataclass(frozen=True)
class ForecastLabelConfig(DictMixin):
    clip_s: float = 5.0  # L, 3-10 s
    horizon_s: float = 5.0  # H
    onset: str = "clinical"  # clinical | eeg
    guard_s: float = 60.0  # negatives stay this far from any seizure
    unknown_end_s: float = 120.0  # assumed seizure length when end_s is missing
    positive_stride_s: float = 1.0
    negative_stride_s: float = 5.0
    max_negatives_per_recording: int = 0  # 0 = all; otherwise evenly spaced subset

    def __post_init__(self) -> None:
        if not 3.0 - _EPS <= self.clip_s <= 10.0 + _EPS:
            raise SemioscopeError(f"forecast clip length must be 3-10 s, got {self.clip_s}")
        if self.onset not in ("clinical", "eeg"):
            raise SemioscopeError(f"onset must be 'clinical' or 'eeg', got {self.onset!r}")
        if self.horizon_s <= 0 or self.positive_stride_s <= 0 or self.negative_stride_s <= 0:
            raise SemioscopeError("horizon and strides must be positive")


@dataclass(frozen=True)
class ForecastClip:
    """One labelled clip ``[start_s, end_s)`` of a recording."""

    recording_id: str
    subject_id: str
    video: Path
    start_s: float
    end_s: float
    label: int  # 1 = onset within H s after end_s
    lead_s: Optional[float] = None  # onset - end_s for positives


def onset_of(seizure: Seizure, which: str) -> float:
    return seizure.eeg_onset_s if which == "eeg" else seizure.clinical_onset_s


def seizure_span(seizure: Seizure, cfg: ForecastLabelConfig) -> tuple[float, float]:
    """``(earliest onset, end)`` of a seizure; a missing end is onset + ``unknown_end_s``."""
    first = min(seizure.eeg_onset_s, seizure.clinical_onset_s)
    last = max(seizure.eeg_onset_s, seizure.clinical_onset_s)
    end = seizure.end_s if seizure.end_s is not None else last + cfg.unknown_end_s
    return first, max(end, last)


def clip_label(start_s: float, end_s: float, seizures: Sequence[Seizure], cfg: ForecastLabelConfig) -> Optional[int]:
    """1, 0 or None (excluded) for a clip, by the rules in the module docstring."""
    for sz in seizures:
        onset = onset_of(sz, cfg.onset)
        if onset - cfg.horizon_s - _EPS <= end_s <= onset + _EPS:
            # The clip must not overlap an earlier seizure.
            if all(seizure_span(o, cfg)[1] <= start_s + _EPS or seizure_span(o, cfg)[0] >= end_s - _EPS
                   for o in seizures if o is not sz):
                return 1
            return None
    for sz in seizures:
        first, last = seizure_span(sz, cfg)
        if not (end_s <= first - cfg.guard_s + _EPS or start_s >= last + cfg.guard_s - _EPS):
            return None
    return 0


def recording_clips(rec: Recording, duration_s: float, cfg: ForecastLabelConfig) -> list[ForecastClip]:
    """Positive and negative clips of one recording of length ``duration_s``."""
    L = cfg.clip_s
    out: list[ForecastClip] = []
    ends: set[float] = set()
    for sz in rec.seizures:
        onset = onset_of(sz, cfg.onset)
        k = 0
        while k * cfg.positive_stride_s <= cfg.horizon_s + _EPS:
            end = onset - k * cfg.positive_stride_s
            k += 1
            start = end - L
            if start < -_EPS or end > duration_s + _EPS or round(end, 6) in ends:
                continue
            if clip_label(start, end, rec.seizures, cfg) == 1:
                ends.add(round(end, 6))
                out.append(ForecastClip(rec.recording_id, rec.subject_id, rec.video, max(0.0, start), end, 1,
                                        lead_s=onset - end))
    negs = []
    for start in np.arange(0.0, duration_s - L + _EPS, cfg.negative_stride_s):
        start = float(start)
        if clip_label(start, start + L, rec.seizures, cfg) == 0:
            negs.append(ForecastClip(rec.recording_id, rec.subject_id, rec.video, start, start + L, 0))
    if cfg.max_negatives_per_recording and len(negs) > cfg.max_negatives_per_recording:
        keep = np.round(np.linspace(0, len(negs) - 1, cfg.max_negatives_per_recording)).astype(int)
        negs = [negs[i] for i in keep]
    return out + negs


def manifest_clips(manifest: Manifest, cfg: ForecastLabelConfig = ForecastLabelConfig(),
                   duration_of: Optional[Callable[[Recording], float]] = None,
                   on_error: Optional[Callable[[str], None]] = None) -> list[ForecastClip]:
    """Labelled clips of every recording; durations come from the manifest or by probing the video.
    A recording whose video cannot be probed is skipped and reported through ``on_error``
    (raised when ``on_error`` is None)."""

    clips: list[ForecastClip] = []
    for rec in manifest:
        if duration_of is not None:
            dur = float(duration_of(rec))
        else:
            try:
                dur = recording_duration(rec)
            except VideoError as exc:
                if on_error is None:
                    raise
                on_error(f"recording {rec.recording_id} skipped: {exc}")
                continue
        clips.extend(recording_clips(rec, dur, cfg))
    return clips


def label_counts(clips: Sequence[ForecastClip]) -> dict[str, int]:
    pos = sum(c.label for c in clips)
    return {"positive": int(pos), "negative": int(len(clips) - pos),
            "subjects": len({c.subject_id for c in clips})}

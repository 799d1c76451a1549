"""From a probability trace to events: optional trailing smoothing, threshold with hysteresis,
minimum duration, merge gap.

Used by the engine (flagged events), evaluation (alarms for event-level metrics) and the GUI
(events recomputed live when the threshold line is dragged), so all three agree.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from inference.core.config import EventConfig


@dataclass(frozen=True)
class Event:
    """A stretch where the detector's probability stayed high.

    ``start_s``/``end_s``: seconds; ``peak_prob``: max probability inside; ``mean_attention``:
    ``[14]`` mean per-joint attention over the event's windows (empty when unavailable).
    """

    start_s: float
    end_s: float
    peak_prob: float
    peak_time_s: float
    mean_attention: tuple[float, ...] = field(default=())

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def to_dict(self) -> dict:
        return {"start_s": self.start_s, "end_s": self.end_s, "peak_prob": self.peak_prob,
                "peak_time_s": self.peak_time_s, "mean_attention": list(self.mean_attention)}

    @classmethod
    def from_dict(cls, d: dict) -> "Event":
        return cls(float(d["start_s"]), float(d["end_s"]), float(d["peak_prob"]),
                   float(d.get("peak_time_s", d["start_s"])), tuple(float(x) for x in d.get("mean_attention", ())))


def smooth_trace(prob: np.ndarray, k: int) -> np.ndarray:
    """Trailing moving average over ``k`` windows (``[N]`` -> ``[N]``), ignoring NaN neighbours.

    Window ``i`` becomes the mean of the finite values among ``i-k+1 .. i``; a NaN window stays NaN
    (a gap never fires). Trailing rather than centred so the value at ``i`` uses no later window:
    the alarm time of an event is unchanged by smoothing.
    """
    p = np.asarray(prob, dtype=np.float64)
    k = int(round(k))
    if k <= 1 or len(p) == 0:
        return p
    finite = np.isfinite(p)
    csum = np.concatenate([[0.0], np.cumsum(np.where(finite, p, 0.0))])
    ccnt = np.concatenate([[0], np.cumsum(finite)])
    hi = np.arange(1, len(p) + 1)
    lo = np.maximum(0, hi - k)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (csum[hi] - csum[lo]) / (ccnt[hi] - ccnt[lo])
    out[~finite] = np.nan
    return out


def detect_events(window_start_s: np.ndarray, window_end_s: np.ndarray, prob: np.ndarray,
                  cfg: EventConfig = EventConfig(), attention: Optional[np.ndarray] = None) -> list[Event]:
    """Events over a trace of windows (sorted by start).

    With ``smooth_windows > 1`` the firing rule reads the ``smooth_trace``-d trace (the peak
    stays the raw probability's). A window "fires" when ``prob >= threshold``; once inside an
    event it stays until ``prob`` drops below ``threshold - hysteresis``. NaN probabilities (gaps in the trace) end an event and never
    fire. Runs of firing windows become candidate events spanning from the first window's start
    to the last window's end; candidates closer than ``merge_gap_s`` are merged; events shorter
    than ``min_duration_s`` are dropped. ``attention``: optional ``[N, 14]``.
    """
    start = np.asarray(window_start_s, dtype=np.float64)
    end = np.asarray(window_end_s, dtype=np.float64)
    raw = np.asarray(prob, dtype=np.float64)
    p = smooth_trace(raw, cfg.smooth_windows)
    n = len(p)
    if n == 0:
        return []
    on_thr = cfg.threshold
    off_thr = cfg.threshold - max(cfg.hysteresis, 0.0)
    runs: list[tuple[int, int]] = []  # inclusive window index ranges
    inside = False
    first = 0
    for i in range(n):
        v = p[i]
        if inside:
            if not np.isfinite(v) or v < off_thr:
                runs.append((first, i - 1))
                inside = False
        if not inside and np.isfinite(v) and v >= on_thr:
            inside = True
            first = i
    if inside:
        runs.append((first, n - 1))
    # Merge runs separated by short gaps.
    merged: list[list[int]] = []
    for a, b in runs:
        if merged and start[a] - end[merged[-1][1]] <= cfg.merge_gap_s:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    events = []
    for a, b in merged:
        s, e = float(start[a]), float(end[b])
        if e - s < cfg.min_duration_s:
            continue
        seg = raw[a:b + 1]
        k = int(np.nanargmax(seg))
        att: tuple[float, ...] = ()
        if attention is not None and len(attention):
            block = np.asarray(attention[a:b + 1], dtype=np.float64)
            att = tuple(float(x) for x in np.nanmean(block, axis=0)) if np.isfinite(block).any() else ()
        events.append(Event(s, e, float(seg[k]), float(start[a + k]), att))
    return events

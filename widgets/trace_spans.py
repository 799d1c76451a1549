"""Pure helpers of the timeline: the spans of a trace's gaps, and snapping a time to a frame."""
from __future__ import annotations

from typing import Optional

import numpy as np


def nan_runs(t: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spans ``(starts, ends)`` covering runs of NaN in ``values`` sampled at sorted ``t``.

    Each span reaches half a sample step beyond the NaN samples, so it meets the drawn curve.
    """
    t = np.asarray(t, dtype=np.float64)
    bad = ~np.isfinite(np.asarray(values, dtype=np.float64))
    if not bad.any():
        return np.zeros(0), np.zeros(0)
    edges = np.diff(np.concatenate([[0], bad.astype(np.int8), [0]]))
    first, last = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    half = 0.5 * float(np.median(np.diff(t))) if len(t) > 1 else 0.5
    return t[first] - half, t[last] + half


def snap_to_times(t: float, times: Optional[np.ndarray]) -> float:
    """The element of sorted ``times`` nearest to ``t`` (``t`` itself when there are none)."""
    if times is None or not len(times):
        return float(t)
    i = int(np.searchsorted(times, t))
    if i <= 0:
        return float(times[0])
    if i >= len(times):
        return float(times[-1])
    return float(times[i - 1] if t - times[i - 1] <= times[i] - t else times[i])

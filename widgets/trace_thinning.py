"""Thinning a page of traces for the screen: each pixel column keeps its extremes.

Display only: a spike one sample wide still reaches its peak, and drawing 2 points per pixel
instead of every sample makes a 19-channel page several times cheaper to paint.
"""
from __future__ import annotations

import numpy as np


def min_max_thin(t: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points`` points of ``y [C, N]`` over ``t [N]``: each bin's minimum and maximum
    in time order (a spike one sample wide still reaches its peak on screen)."""
    n = y.shape[-1]
    if max_points <= 0 or n <= max_points:
        return t, y
    bins = max(max_points // 2, 1)
    k = int(np.ceil(n / bins))
    usable = (n // k) * k
    yb = y[..., :usable].reshape(*y.shape[:-1], -1, k)
    lo_i, hi_i = yb.argmin(axis=-1), yb.argmax(axis=-1)
    first = np.minimum(lo_i, hi_i)
    second = np.maximum(lo_i, hi_i)
    idx = np.stack([first, second], axis=-1)  # per bin, the two extremes in time order
    base = (np.arange(yb.shape[-2]) * k)[:, None]
    flat_idx = (idx + base).reshape(*y.shape[:-1], -1)
    out = np.take_along_axis(y[..., :usable], flat_idx, axis=-1)
    # One time axis for all rows: the bin's start and middle (rows differ in where their extremes fall).
    tb = t[:usable].reshape(-1, k)
    t_out = np.stack([tb[:, 0], tb[:, k // 2]], axis=-1).reshape(-1)
    return t_out, out


__all__ = ["min_max_thin"]

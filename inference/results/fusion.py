"""Several cameras, one trace: each camera analysed on its own, fused per window.

On the first camera's windows, each other camera contributes the window whose centre, brought
onto the first camera's clock (``t = (t_camera - offset) / (1 + drift)``), is nearest, if it
lies within half a stride. The fused probability is the maximum over the cameras (a seizure
seen by one camera is a seizure: the corner camera sees the hand the blanket hides from the
ceiling camera); the attention is the chosen camera's. The camera chosen per window is kept
as the trace ``camera`` (0 = first), and each event names the camera of its peak
(``notes["event_cameras"]``). Events are found again with the first result's event rules.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from inference.core.config import EventConfig
from inference.results.events import detect_events
from inference.results.result_file import AnalysisResult, Trace, merge_gaps


def _on_grid(mid_main: np.ndarray, other: AnalysisResult, offset_s: float, drift_ppm: float,
             tolerance_s: float) -> tuple[np.ndarray, np.ndarray]:
    """(prob [N], attention [N, 14]) of ``other`` on the first camera's window centres (NaN: none)."""
    n = len(mid_main)
    prob = np.full(n, np.nan, np.float32)
    att = np.full((n, other.attention.shape[1]), np.nan, np.float32)
    if not len(other):
        return prob, att
    mid = (other.window_mid_s - float(offset_s)) / (1.0 + float(drift_ppm) * 1e-6)
    order = np.argsort(mid)
    mid = mid[order]
    j = np.clip(np.searchsorted(mid, mid_main), 1, len(mid) - 1) if len(mid) > 1 else np.zeros(n, int)
    if len(mid) > 1:
        left_closer = np.abs(mid_main - mid[j - 1]) <= np.abs(mid[j] - mid_main)
        j = np.where(left_closer, j - 1, j)
    near = np.abs(mid[j] - mid_main) <= tolerance_s
    src = order[j]
    prob[near] = other.prob[src[near]]
    att[near] = other.attention[src[near]]
    return prob, att


def fuse_results(first: AnalysisResult, others: Sequence[tuple[str, AnalysisResult, float, float]],
                 first_name: str = "camera 1") -> AnalysisResult:
    """The first camera's result with every other camera's fused in (see the module docstring).
    ``others``: (name, result, offset_s, drift_ppm) per camera."""
    mids = first.window_mid_s
    strides = np.diff(first.window_start_s)
    tolerance = float(np.median(strides)) / 2.0 + 1e-6 if len(strides) else 0.5
    probs = [first.prob.astype(np.float32)]
    atts = [first.attention.astype(np.float32)]
    for _name, res, offset, drift in others:
        p, a = _on_grid(mids, res, offset, drift, tolerance)
        probs.append(p)
        atts.append(a)
    stack = np.vstack(probs)  # [cameras, N]
    has = np.isfinite(stack).any(axis=0)
    choice = np.where(has, np.nanargmax(np.where(np.isfinite(stack), stack, -np.inf), axis=0), 0)
    cols = np.arange(stack.shape[1])
    fused = np.where(has, stack[choice, cols], np.nan).astype(np.float32)
    attention = np.stack(atts)[choice, cols]
    cfg = EventConfig.from_dict(first.config.get("events")) if first.config.get("events") else EventConfig()
    events = detect_events(first.window_start_s, first.window_end_s, fused, cfg, attention)
    names = [first_name] + [name for name, *_ in others]
    event_cameras = []
    for e in events:  # the camera of the event's highest window
        inside = np.flatnonzero((first.window_start_s >= e.start_s - 1e-6) & (first.window_end_s <= e.end_s + 1e-6))
        inside = inside if len(inside) else np.array([int(np.argmin(np.abs(mids - e.peak_time_s)))])
        event_cameras.append(names[int(choice[inside[int(np.nanargmax(fused[inside]))]])])
    gaps = merge_gaps(g for g in first.gaps if not has[(mids >= g.start_s) & (mids < g.end_s)].any())
    config: dict[str, Any] = {**first.config, "fusion": {
        "rule": "max", "cameras": [{"name": n, "offset_s": o, "drift_ppm": d} for n, _r, o, d in others],
        "first": first_name}}
    fused_result = AnalysisResult(first.window_start_s, first.window_end_s, fused, attention, model=first.model,
                                  config=config, video=first.video, gaps=gaps, events=events,
                                  keypoints=first.keypoints, traces=dict(first.traces), complete=first.complete,
                                  notes={**first.notes, "event_cameras": event_cameras, "cameras": names})
    fused_result.add_trace("camera", Trace(first.window_start_s, first.window_end_s, choice.astype(np.float32),
                                           {"names": names}))
    return fused_result


__all__ = ["fuse_results"]

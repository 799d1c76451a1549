"""Where the review plots put an analysis window on the time axis: at its centre.

The detector scores windows (5 s long, 1 s apart for review). Every plot uses one convention so
they line up: a window is drawn at its centre and owns the stride-wide slot around it. The
probability curve has one point per window at the centre; each heatmap column fills the slot;
an event band covers the slots of its windows, so it starts half a stride before the first
window above the threshold, where the curve crosses it, and not at the first window's start
(half a window, 2.5 s, earlier).
"""
from __future__ import annotations


def convention_text(window_s: float) -> str:
    """The legend line the plots show."""
    if window_s <= 0:
        return "each point is one analysis window, drawn at its centre"
    return f"each point is a {window_s:g} s window, drawn at its centre"


def event_band(start_s: float, end_s: float, window_s: float, stride_s: float) -> tuple[float, float]:
    """The drawn span of an event whose first window starts at ``start_s`` and last window ends
    at ``end_s``: from half a stride before the first window's centre to half a stride after the
    last one's. Unchanged when the window geometry is unknown (``window_s <= 0``)."""
    if window_s <= 0:
        return float(start_s), float(end_s)
    inset = 0.5 * window_s - 0.5 * max(stride_s, 0.0)
    a, b = float(start_s) + inset, float(end_s) - inset
    if b < a:  # an event shorter than one window: at least its centre
        a = b = 0.5 * (float(start_s) + float(end_s))
    return a, b

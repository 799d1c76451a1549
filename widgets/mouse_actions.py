"""What the mouse does in the review widgets, as ``(where, gesture, what)`` rows for the help
dialog. Each row names behaviour the widgets implement (the tests of those widgets drive it)."""
from __future__ import annotations

MOUSE_ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("Timeline", "Click", "Go to that time (snapped to a frame); inside an event band, select the event"),
    ("Timeline", "Drag the yellow cursor", "Scrub the video"),
    ("Timeline", "Drag a seizure marker", "Move that onset / end; the video follows and the label shows the time "
                                          "(snaps to frames; one undo step)"),
    ("Timeline", "Drag the red dashed line", "Move the detection threshold (events are recomputed live)"),
    ("Timeline", "Wheel", "Zoom in / out in time"),
    ("Timeline", "Drag elsewhere", "Pan in time"),
    ("Overview bar", "Click", "Centre the timeline there"),
    ("Overview bar", "Drag the yellow region / its edges", "Pan / zoom the timeline"),
    ("Joint attention", "Click", "Go to that time and outline that joint (its row and its clip on the video)"),
    ("Joint attention", "Hover", "Read joint, time, attention and probability in the header"),
    ("Joint attention", "Wheel / drag", "Zoom / pan in time, together with the timeline"),
    ("Joint attention", "Click the \u25be arrow", "Collapse or expand the heatmap"),
    ("Video", "Wheel", "Zoom the picture"),
    ("Video", "Drag", "Pan the zoomed picture"),
    ("Video", "Double-click", "Fit the whole frame"),
    ("Video", "Click a joint", "Outline the clip the model sees for it and highlight its heatmap row"),
    ("Events table", "Click a row", "Go to that event"),
    ("Events table", "Click a column header", "Sort by that column"),
    ("Annotations table", "Click the # cell", "Go to that seizure"),
    ("Annotations table", "Spin-box arrows / wheel", "Step that time by one frame; the video follows"),
    ("Transport", "Hold a step button", "Keep stepping"),
    ("Window", "Drag a splitter handle", "Resize the panels (remembered for next time)"),
)

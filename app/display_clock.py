"""One clock for the display: the position every part of the review window shows.

The time label, the frame number, the timeline and heatmap cursors and the marks the reviewer
stores all read one position: a frame index and that frame's presentation timestamp. The
playback clock runs on wall time and may stand between two frames (or at the video's end,
after the last frame's timestamp); it is never shown directly. Anything that moves the
position (a seek, a step, a pause, a frame shown while playing) goes through
``DisplayClock.go_to_frame`` / ``go_to_time``, so the time shown is always the time of a frame.
No Qt: the window reads it and pushes the position to its widgets.
"""
from __future__ import annotations

import numpy as np


class DisplayClock:
    """``frame`` (int) and ``time_s`` (that frame's presentation timestamp, seconds).

    ``set_frame_times(pts [F])`` (sorted seconds; empty: no video), ``go_to_frame(i)`` (clamped),
    ``go_to_time(t)`` (the frame on screen at ``t``: the last one whose timestamp is <= t),
    ``frame_at(t)``, ``reset()``. The go-to methods return the frame they settled on.
    """

    def __init__(self):
        self._pts = np.zeros(0, dtype=np.float64)
        self.frame = 0

    def set_frame_times(self, pts) -> None:
        self._pts = np.asarray(pts, dtype=np.float64).reshape(-1)
        self.frame = min(self.frame, max(len(self._pts) - 1, 0))

    def reset(self) -> None:
        self._pts = np.zeros(0, dtype=np.float64)
        self.frame = 0

    @property
    def frame_count(self) -> int:
        return len(self._pts)

    @property
    def time_s(self) -> float:
        return float(self._pts[self.frame]) if len(self._pts) else 0.0

    def frame_at(self, t: float) -> int:
        """The frame on screen at ``t`` seconds (as ``FrameIndex.time_to_frame``)."""
        if not len(self._pts):
            return 0
        i = int(np.searchsorted(self._pts, float(t) + 1e-9, side="right")) - 1
        return int(min(max(i, 0), len(self._pts) - 1))

    def time_of(self, frame: int) -> float:
        if not len(self._pts):
            return 0.0
        return float(self._pts[int(min(max(frame, 0), len(self._pts) - 1))])

    def go_to_frame(self, frame: int) -> int:
        self.frame = int(min(max(int(frame), 0), max(len(self._pts) - 1, 0)))
        return self.frame

    def go_to_time(self, t: float) -> int:
        return self.go_to_frame(self.frame_at(t))

"""What a live monitor tells a watcher besides its files: the picture, the pose, each window's
probability, alarms and system events. The monitor calls these from its own threads; a window
(``app.live_window``) hands them to its GUI thread. Every method is optional (no-op here) and must
return quickly: the reader thread calls ``frame`` and a slow watcher would hold up the stream.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from inference.live.alarms import Alarm


class LiveObserver:
    #: At most this many pictures a second go to ``frame`` (each is an RGB copy of the frame).
    display_fps: float = 0.0

    def frame(self, night_s: float, rgb: np.ndarray) -> None:
        """A picture as it arrives (reader thread), at most ``display_fps`` a second."""

    def pose(self, night_s: float, xy: np.ndarray, conf: np.ndarray) -> None:
        """The raw keypoints ``[14, 2]`` px and confidences ``[14]`` of the sample at ``night_s``."""

    def window(self, start_s: float, end_s: float, prob: float, lag_s: float, reason: Optional[str]) -> None:
        """A window scored (``prob`` NaN with ``reason`` when it has no value)."""

    def alarm(self, kind: str, alarm: Alarm) -> None:
        """``raised``, ``ended`` or ``acknowledged``."""

    def system(self, kind: str, message: str, is_alarm: bool) -> None:
        """``camera_down``, ``camera_up`` or ``recording_stopped``."""

"""A second (third, fourth) camera of the recording: its picture, its name and offset, the
buttons that nudge its offset by a frame or 100 ms, and one that maximises it.

Plain frames in (``setFrame``), signals out: ``nudgeRequested(float seconds)`` (a frame is
``±1 / fps``; the app knows the camera's frame rate), ``maximiseRequested(bool)``.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from .video_view import VideoView


class CameraView(QWidget):
    nudgeRequested = Signal(float)
    maximiseRequested = Signal(bool)

    def __init__(self, name: str, fps: float = 30.0, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.name = name
        self.fps = float(fps)
        self.view = VideoView(self)
        self.view.setSkeletonVisible(False)  # the skeleton belongs to the camera it was computed from
        self.title = QLabel(name, self)
        self.title.setStyleSheet("color:#c8ccd2;")
        self.title.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # never widens the view
        bar = QHBoxLayout()
        bar.setContentsMargins(2, 0, 2, 0)
        bar.setSpacing(2)
        bar.addWidget(self.title, 1)
        for text, tip, step in (("−100ms", "This camera 100 ms earlier", -0.1), ("−1f", "One frame earlier", None),
                                ("+1f", "One frame later", None), ("+100ms", "This camera 100 ms later", 0.1)):
            button = QToolButton(self)
            button.setText(text)
            button.setToolTip(f"{tip} (the offset is saved with who and when)")
            button.setFocusPolicy(Qt.NoFocus)
            sign = -1.0 if text.startswith("−") else 1.0
            button.clicked.connect(lambda _=False, s=step, g=sign: self.nudgeRequested.emit(
                s if s is not None else g / self.fps))
            bar.addWidget(button)
        self.max_button = QToolButton(self)
        self.max_button.setText("⤢")
        self.max_button.setCheckable(True)
        self.max_button.setToolTip("Maximise this camera (again: back to all cameras)")
        self.max_button.setFocusPolicy(Qt.NoFocus)
        self.max_button.toggled.connect(self.maximiseRequested.emit)
        bar.addWidget(self.max_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        lay.addLayout(bar)
        lay.addWidget(self.view, 1)

    def setFrame(self, rgb: np.ndarray) -> None:  # noqa: N802
        self.view.setFrame(rgb)

    def setOffsetText(self, text: str) -> None:  # noqa: N802
        self.title.setText(f"{self.name} · {text}")
        self.title.setToolTip(text)


__all__ = ["CameraView"]

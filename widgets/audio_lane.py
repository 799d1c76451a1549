"""The loudness lane: a thin plot of the sound track's level (dBFS) under the probability trace,
sharing its time axis and cursor, so a cry or a call to the patient can be found by eye.

Hidden until an envelope is set (a video without sound shows no lane). pyqtgraph with
downsampling and clip-to-view: a 24-hour envelope at 50 ms (1.7 million points) pans like the
trace.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from .plot_items import BACKGROUND, FOREGROUND, LEFT_AXIS_WIDTH, CallbackViewBox, setup_plot, update_transform_eagerly

LANE_PX = 44  # the lane's height: within the 30-50 px a level needs
DB_RANGE = (-60.0, 0.0)  # shown range; quieter reads as the floor
LEVEL_COLOR = "#81c784"
CURSOR_COLOR = "#ffd54f"  # the timeline's cursor colour


class AudioLane(QWidget):
    """``setEnvelope(t [N], db [N])`` shows the lane, ``clear()`` hides it; ``linkTimeline(timeline)``
    shares the timeline's x axis and follows its cursor; ``setCurrentTime(t)`` moves the cursor.
    ``seekRequested(float t)`` on a click. Parts: ``plot``, ``curve``, ``cursor``."""

    seekRequested = Signal(float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setBackground(BACKGROUND)
        self.graphics.ci.layout.setContentsMargins(0, 1, 8, 1)  # the timeline's right margin
        lay.addWidget(self.graphics)
        self.plot: pg.PlotItem = self.graphics.addPlot(viewBox=CallbackViewBox(on_click=self._on_click))
        setup_plot(self.plot, mouse_x=True)
        self.plot.hideAxis("bottom")  # the trace's time axis above serves both
        left = self.plot.getAxis("left")
        left.setWidth(LEFT_AXIS_WIDTH)
        left.setTicks([[(DB_RANGE[0], f"{DB_RANGE[0]:.0f}"), (DB_RANGE[1], f"{DB_RANGE[1]:.0f}")]])
        self.plot.setLabel("left", "dB", color=FOREGROUND)
        self.plot.setYRange(*DB_RANGE, padding=0.05)
        self.plot.setClipToView(True)
        self.plot.setDownsampling(auto=True, mode="peak")
        update_transform_eagerly(self.plot.vb)
        self.curve = self.plot.plot(pen=pg.mkPen(LEVEL_COLOR, width=1), fillLevel=DB_RANGE[0],
                                    brush=pg.mkBrush(129, 199, 132, 70), name="loudness")
        self.cursor = pg.InfiniteLine(pos=0.0, angle=90, movable=False, pen=pg.mkPen(CURSOR_COLOR, width=1.5))
        self.cursor.setZValue(30)
        self.plot.addItem(self.cursor, ignoreBounds=True)
        self.setFixedHeight(LANE_PX)
        self.setToolTip("Sound level (dBFS, RMS per 50 ms); click to go there")
        self.t = np.zeros(0)
        self.db = np.zeros(0, dtype=np.float32)
        self.setVisible(False)

    def setEnvelope(self, t, db) -> None:
        t = np.asarray(t, dtype=np.float64)
        db = np.asarray(db, dtype=np.float32)
        if t.shape != db.shape or t.ndim != 1:
            raise ValueError(f"t and db must be [N] alike, got {t.shape} and {db.shape}")
        self.t, self.db = t, db
        self.curve.setData(t, np.clip(db, *DB_RANGE))
        self.setVisible(len(t) > 0)

    def clear(self) -> None:
        self.t, self.db = np.zeros(0), np.zeros(0, dtype=np.float32)
        self.curve.setData([], [])
        self.setVisible(False)

    def hasEnvelope(self) -> bool:
        return len(self.t) > 0

    def setCurrentTime(self, t: float) -> None:
        self.cursor.setValue(float(t))

    def linkTimeline(self, timeline) -> None:
        """Share the x axis with a TimelineWidget (same left-axis width, so pixels line up) and
        follow its cursor."""
        self.plot.setXLink(timeline.plot)
        timeline.setLeftAxisWidth(LEFT_AXIS_WIDTH)
        timeline.cursor.sigPositionChanged.connect(lambda line: self.setCurrentTime(line.value()))

    def levelAt(self, t: float) -> float:
        """The level (dB) of the bin containing ``t`` (the first or last bin outside them; NaN
        without an envelope): what the lane shows there."""
        if not len(self.t):
            return float("nan")
        step = float(self.t[1] - self.t[0]) if len(self.t) > 1 else 1.0
        i = int(np.clip(np.floor((t - (self.t[0] - step / 2)) / step), 0, len(self.t) - 1))
        return float(self.db[i])

    def _on_click(self, x: float, _y: float) -> None:
        self.seekRequested.emit(max(float(x), 0.0))


__all__ = ["DB_RANGE", "LANE_PX", "AudioLane"]

"""Per-joint attention: a joints x time heatmap aligned with the timeline, and per-joint bars at
the current time."""
from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import QVBoxLayout, QWidget

from inference.pose.joints import JOINT_LABELS, NUM_JOINTS

from .colors import MISSING_COLOR, attention_cmap, map_colors
from .plot_items import (
    BACKGROUND,
    FOREGROUND,
    LEFT_AXIS_WIDTH,
    CallbackViewBox,
    TimeAxisItem,
    setup_plot,
    update_transform_eagerly,
)

CURSOR_COLOR = "#ffd54f"
_JOINT_TICKS = [[(j + 0.5, JOINT_LABELS[j]) for j in range(NUM_JOINTS)]]
# At least this many pixels per joint row keeps all 14 names legible at the default font.
ROW_PX = 14
MIN_ROW_PX = 10  # smallest row that still fits a joint name: the window must fit a 1024x700 screen


def _joint_axis(plot: pg.PlotItem) -> None:
    ax = plot.getAxis("left")
    ax.setTicks(_JOINT_TICKS)
    ax.setWidth(LEFT_AXIS_WIDTH)
    # A 10 px font fits the smallest row (MIN_ROW_PX), so all 14 names always show; pyqtgraph's
    # overlap hiding would drop the first and last ("head", "left ankle") at the plot's edges.
    font = QFont()
    font.setPixelSize(MIN_ROW_PX)
    ax.setStyle(tickLength=0, hideOverlappingLabels=False, tickFont=font)


def to_uniform_grid(t: np.ndarray, values: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Place rows sampled at ``t`` ``[N]`` onto a uniform grid at the median step.

    Returns ``(t0, step, grid [M, ...])``; grid cells without a sample are NaN. A trace with a
    hole (missing windows) thus shows the hole instead of stretching its neighbours.
    """
    t = np.asarray(t, dtype=np.float64)
    v = np.asarray(values, dtype=np.float32)
    if len(t) < 2:
        return (float(t[0]) if len(t) else 0.0), 1.0, v.copy()
    step = float(np.median(np.diff(t)))
    if step <= 0:
        raise ValueError("attention times must be increasing")
    idx = np.rint((t - t[0]) / step).astype(np.int64)
    if len(idx) == idx[-1] + 1 and np.array_equal(idx, np.arange(len(idx))):
        return float(t[0]), step, v.copy()
    grid = np.full((int(idx[-1]) + 1,) + v.shape[1:], np.nan, dtype=np.float32)
    grid[idx] = v
    return float(t[0]), step, grid


class JointAttentionBars(QWidget):
    """Horizontal bars: each joint's attention at the current time (viridis, relative to the
    largest), with readable joint names. Missing joints get a hatched grey bar.

    ``setValues(attention [14] | None, present [14] bool | None)``; ``values()`` -> ``[14]``.
    ``bars`` is the pg.BarGraphItem.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.graphics = pg.PlotWidget(self, background=BACKGROUND)
        lay.addWidget(self.graphics)
        self.plot: pg.PlotItem = self.graphics.getPlotItem()
        setup_plot(self.plot, mouse_x=False)
        self.plot.invertY(True)
        _joint_axis(self.plot)
        self.plot.setLabel("bottom", "attention (relative)", color=FOREGROUND)
        self.plot.setXRange(0, 1.0, padding=0.02)
        self.plot.setYRange(0, NUM_JOINTS, padding=0.01)
        self._values = np.zeros(NUM_JOINTS)
        self._present = np.zeros(NUM_JOINTS, dtype=bool)
        self.bars = pg.BarGraphItem(x0=np.zeros(NUM_JOINTS), y=np.arange(NUM_JOINTS) + 0.5,
                                    height=0.75, width=np.zeros(NUM_JOINTS), pen=pg.mkPen(None))
        self.plot.addItem(self.bars)
        self.setMinimumSize(180, NUM_JOINTS * MIN_ROW_PX + 50)

    def setValues(self, attention: Optional[np.ndarray], present: Optional[np.ndarray] = None) -> None:
        a = np.zeros(NUM_JOINTS) if attention is None else np.asarray(attention, dtype=np.float64).reshape(NUM_JOINTS)
        ok = np.isfinite(a) if present is None else (np.asarray(present, bool) & np.isfinite(a))
        a = np.where(ok, a, 0.0)
        peak = a.max()
        rel = a / peak if peak > 0 else a
        self._values = a
        colors = map_colors(rel)
        # A missing joint is a full-length hatched grey bar: clearly "no data", not "zero".
        missing = QBrush(MISSING_COLOR, Qt.BDiagPattern)
        brushes = [pg.mkBrush(*colors[j]) if ok[j] else missing for j in range(NUM_JOINTS)]
        widths = np.where(ok, rel, 1.0)
        self.bars.setOpts(width=widths, brushes=brushes)
        self._present = ok

    def values(self) -> np.ndarray:
        return self._values.copy()

    def present(self) -> np.ndarray:
        """``[14]`` bool: joints shown with a value (the others are hatched as missing)."""
        return self._present.copy()


class AttentionMap(QWidget):
    """Heatmap of the 14 joints (rows, head at the top) against time (x, seconds).

    ``setAttention(t [N], attention [N, 14])`` (NaN rows = gaps, drawn empty); ``linkTimeline(tl)``
    shares the TimelineWidget's x axis so both scroll and zoom together, pixel aligned;
    ``setCurrentTime(t)`` moves the cursor (and updates attached bars); ``valuesAt(t)`` -> ``[14]``;
    ``attachBars(JointAttentionBars)``. Signal ``seekRequested(float t)`` on a click.
    Parts: ``plot``, ``image`` (pg.ImageItem), ``cursor``.
    """

    seekRequested = Signal(float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setBackground(BACKGROUND)
        self.graphics.ci.layout.setContentsMargins(0, 2, 8, 2)
        lay.addWidget(self.graphics)
        self.plot: pg.PlotItem = self.graphics.addPlot(
            viewBox=CallbackViewBox(on_click=lambda x, _y: self.seekRequested.emit(float(x))),
            axisItems={"bottom": TimeAxisItem("bottom")})
        setup_plot(self.plot, mouse_x=True)
        self.plot.invertY(True)
        _joint_axis(self.plot)
        self.plot.setYRange(0, NUM_JOINTS, padding=0)
        update_transform_eagerly(self.plot.vb)
        self.image = pg.ImageItem(axisOrder="col-major")
        self.image.setColorMap(attention_cmap())
        self.image.setAutoDownsample(True)
        self.plot.addItem(self.image)
        self.cursor = pg.InfiniteLine(pos=0, angle=90, movable=False, pen=pg.mkPen(CURSOR_COLOR, width=1.5))
        self.cursor.setZValue(10)
        self.plot.addItem(self.cursor, ignoreBounds=True)
        self._t0, self._step = 0.0, 1.0
        self._grid = np.zeros((0, NUM_JOINTS), dtype=np.float32)
        self._bars: Optional[JointAttentionBars] = None
        self.setMinimumHeight(NUM_JOINTS * MIN_ROW_PX + 30)

    def setAttention(self, t, attention) -> None:
        att = np.asarray(attention, dtype=np.float32)
        if att.ndim != 2 or att.shape[1] != NUM_JOINTS or len(att) != len(t):
            raise ValueError(f"attention must be [N, {NUM_JOINTS}] matching t [N], got {att.shape} and {np.shape(t)}")
        self._t0, self._step, self._grid = to_uniform_grid(np.asarray(t), att)
        if not len(self._grid):
            self.image.clear()
            return
        finite = self._grid[np.isfinite(self._grid)]
        top = float(np.percentile(finite, 99.5)) if finite.size else 1.0
        self.image.setImage(self._grid, levels=(0.0, max(top, 1e-6)), autoLevels=False)
        # Each column covers one window step centred on its time.
        self.image.setRect(QRectF(self._t0 - self._step / 2, 0, self._step * len(self._grid), NUM_JOINTS))

    def valuesAt(self, t: float) -> Optional[np.ndarray]:
        """``[14]`` attention of the window nearest ``t``; None outside the data."""
        if not len(self._grid):
            return None
        i = int(round((t - self._t0) / self._step))
        if i < 0 or i >= len(self._grid):
            return None
        return self._grid[i].astype(np.float64)

    def attachBars(self, bars: JointAttentionBars) -> None:
        self._bars = bars

    def setCurrentTime(self, t: float) -> None:
        self.cursor.setValue(float(t))
        if self._bars is not None:
            self._bars.setValues(self.valuesAt(t))

    def linkTimeline(self, timeline) -> None:
        """Share the x axis with a TimelineWidget (same left-axis width so pixels line up)."""
        self.plot.setXLink(timeline.plot)
        timeline.setLeftAxisWidth(LEFT_AXIS_WIDTH)
        self.plot.getAxis("left").setWidth(LEFT_AXIS_WIDTH)

"""Per-joint attention as a joints x time heatmap aligned with the timeline.

The model's attention is a share: in every window the 14 joints' weights sum to one, so a quiet
window at p(seizure) = 0.1 is as bright as an ictal one. The map therefore offers two colourings
on one fixed scale (the colour bar in its header): the share itself, and the share times the
window's probability, which leaves only the windows the model flagged bright. Hovering reads out
a cell (joint, time, attention, probability); the selected joint's row is outlined. The header's
arrow collapses the map to a single line to give its height to the timeline.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from inference.pose.joints import JOINT_LABELS, NUM_JOINTS

from .color_bar import ColorBar
from .colors import attention_cmap
from .joint_bars import JointAttentionBars
from .joint_rows import MIN_ROW_PX, joint_axis
from .plot_items import BACKGROUND, LEFT_AXIS_WIDTH, CallbackViewBox, TimeAxisItem, setup_plot, update_transform_eagerly
from .timefmt import format_time

CURSOR_COLOR = "#ffd54f"
SHARE = "share"
WEIGHTED = "weighted"
MODE_TITLES = {WEIGHTED: "attention \u00d7 p(seizure)", SHARE: "attention share (per window)"}
MAX_HEIGHT = 16777215  # Qt's QWIDGETSIZE_MAX


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


def shown_values(attention: np.ndarray, prob: Optional[np.ndarray], mode: str) -> np.ndarray:
    """``[N, 14]`` values the heatmap colours: the attention share, or share x probability
    (``WEIGHTED``; without probabilities the share)."""
    att = np.asarray(attention, dtype=np.float32)
    if mode == WEIGHTED and prob is not None:
        return att * np.asarray(prob, dtype=np.float32).reshape(-1, 1)
    return att.copy()


def scale_top(attention: np.ndarray) -> float:
    """The top of the colour scale, shared by both modes: the recording's 99.5th percentile of
    attention, so a window at p = 1 looks the same in both and one at p = 0.1 ten times darker."""
    finite = np.asarray(attention, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    return max(float(np.percentile(finite, 99.5)), 1e-6) if finite.size else 1.0


class AttentionMap(QWidget):
    """Heatmap of the 14 joints (rows, head at the top) against time (x, seconds).

    ``setAttention(t [N], attention [N, 14], prob [N] | None)`` (NaN rows = gaps, drawn empty);
    ``setMode(WEIGHTED | SHARE)``; ``linkTimeline(tl)`` shares the TimelineWidget's x axis so
    both scroll and zoom together, pixel aligned; ``setCurrentTime(t)`` moves the cursor (and
    updates attached bars); ``valuesAt(t)`` -> ``[14]`` attention share; ``shownAt(t)`` ->
    ``[14]`` values coloured; ``levels()``; ``describeCell(x, y)`` -> the hover text;
    ``setSelectedJoint(j | None)``; ``setCollapsed(bool)``; ``attachBars(JointAttentionBars)``.
    Signals: ``seekRequested(float t)`` and ``jointClicked(int joint)`` on a click,
    ``collapsedChanged(bool)``. Parts: ``plot``, ``image`` (pg.ImageItem), ``cursor``,
    ``color_bar``, ``mode_combo``, ``readout`` (hover text), ``row_highlight``, ``collapse_button``.
    """

    seekRequested = Signal(float)
    jointClicked = Signal(int)
    collapsedChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        self.header = QWidget(self)
        head = QHBoxLayout(self.header)
        head.setContentsMargins(2, 1, 6, 1)
        self.collapse_button = QToolButton(self.header)
        self.collapse_button.setCheckable(True)
        self.collapse_button.setAutoRaise(True)
        # A heading with an arrow, not a button that lights up when "checked" (collapsed).
        self.collapse_button.setStyleSheet("QToolButton { background: transparent; border: none; font-weight: bold; "
                                           "padding: 2px 4px; } QToolButton:hover { color: #ffffff; }")
        self.collapse_button.setText("\u25be Joint attention")
        self.collapse_button.setToolTip("Collapse or expand the joint-attention heatmap")
        self.collapse_button.toggled.connect(lambda on: self.setCollapsed(on))
        head.addWidget(self.collapse_button)
        self.mode_combo = QComboBox(self.header)
        for mode in (WEIGHTED, SHARE):
            self.mode_combo.addItem(MODE_TITLES[mode], mode)
        self.mode_combo.setToolTip("attention \u00d7 p(seizure): one scale for the whole recording, quiet windows "
                                   "dark. Attention share: every window's 14 weights sum to one.")
        self.mode_combo.currentIndexChanged.connect(lambda _i: self.setMode(self.mode_combo.currentData()))
        head.addWidget(self.mode_combo)
        self.color_bar = ColorBar(self.header)
        head.addWidget(self.color_bar)
        self.readout = QLabel(self.header)
        self.readout.setStyleSheet("QLabel { color: #aeb4bc; }")
        self.readout.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # never widens the panel
        head.addWidget(self.readout, 1)
        head.addStretch(0)  # collapsed, the heading stays at the left
        lay.addWidget(self.header)

        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setBackground(BACKGROUND)
        self.graphics.ci.layout.setContentsMargins(0, 2, 8, 2)
        lay.addWidget(self.graphics, 1)
        self.plot: pg.PlotItem = self.graphics.addPlot(
            viewBox=CallbackViewBox(on_click=self._on_click), axisItems={"bottom": TimeAxisItem("bottom")})
        setup_plot(self.plot, mouse_x=True)
        self.plot.invertY(True)
        joint_axis(self.plot)
        self.plot.setYRange(0, NUM_JOINTS, padding=0)
        update_transform_eagerly(self.plot.vb)
        self.image = pg.ImageItem(axisOrder="col-major")
        self.image.setColorMap(attention_cmap())
        self.image.setAutoDownsample(True)
        self.plot.addItem(self.image)
        self.row_highlight = pg.LinearRegionItem(values=(0, 1), orientation="horizontal", movable=False,
                                                 brush=pg.mkBrush(255, 255, 255, 36), pen=pg.mkPen("#ffffff", width=1))
        self.row_highlight.setZValue(8)
        self.row_highlight.setVisible(False)
        self.plot.addItem(self.row_highlight, ignoreBounds=True)
        self.cursor = pg.InfiniteLine(pos=0, angle=90, movable=False, pen=pg.mkPen(CURSOR_COLOR, width=1.5))
        self.cursor.setZValue(10)
        self.plot.addItem(self.cursor, ignoreBounds=True)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._t0, self._step = 0.0, 1.0
        self._att = np.zeros((0, NUM_JOINTS), dtype=np.float32)  # on the uniform grid
        self._prob: Optional[np.ndarray] = None
        self._shown = self._att
        self._top = 1.0
        self._mode = WEIGHTED
        self._selected: Optional[int] = None
        self._bars: Optional[JointAttentionBars] = None
        self._bars_column: Optional[int] = -1  # the column the bars show (-1: none yet)
        self._expanded_min = NUM_JOINTS * MIN_ROW_PX + 30 + self.header.sizeHint().height()
        self.setMinimumHeight(self._expanded_min)
        self._update_color_bar()

    # --- data ---
    def setAttention(self, t, attention, prob=None) -> None:
        att = np.asarray(attention, dtype=np.float32)
        if att.ndim != 2 or att.shape[1] != NUM_JOINTS or len(att) != len(t):
            raise ValueError(f"attention must be [N, {NUM_JOINTS}] matching t [N], got {att.shape} and {np.shape(t)}")
        if prob is not None and len(prob) != len(t):
            raise ValueError(f"prob must be [N] matching t [N], got {np.shape(prob)} and {np.shape(t)}")
        self._t0, self._step, self._att = to_uniform_grid(np.asarray(t), att)
        self._prob = None if prob is None else to_uniform_grid(np.asarray(t), np.asarray(prob, np.float32))[2]
        self._top = scale_top(self._att)
        self._bars_column = -1  # new data: the bars are redrawn at the next cursor move
        self._redraw()

    def setMode(self, mode: str) -> None:
        """``WEIGHTED`` (attention x p(seizure)) or ``SHARE`` (attention share per window)."""
        if mode not in MODE_TITLES:
            raise ValueError(f"unknown attention map mode {mode!r}")
        self._mode = mode
        i = self.mode_combo.findData(mode)
        if self.mode_combo.currentIndex() != i:
            self.mode_combo.setCurrentIndex(i)  # re-enters via currentIndexChanged
            return
        self._redraw()

    def mode(self) -> str:
        return self._mode

    def levels(self) -> tuple[float, float]:
        return 0.0, self._top

    def _redraw(self) -> None:
        self._update_color_bar()
        if not len(self._att):
            self._shown = self._att
            self.image.clear()
            return
        self._shown = shown_values(self._att, self._prob, self._mode)
        self.image.setImage(self._shown, levels=self.levels(), autoLevels=False)
        # Each column covers one window step centred on its time (widgets.window_convention).
        self.image.setRect(QRectF(self._t0 - self._step / 2, 0, self._step * len(self._att), NUM_JOINTS))

    def _update_color_bar(self) -> None:
        self.color_bar.setRange(*self.levels())
        self.color_bar.setTitle(MODE_TITLES[self._mode])

    # --- reading ---
    def _column(self, t: float) -> Optional[int]:
        if not len(self._att):
            return None
        i = int(round((t - self._t0) / self._step))
        return i if 0 <= i < len(self._att) else None

    def valuesAt(self, t: float) -> Optional[np.ndarray]:
        """``[14]`` attention share of the window nearest ``t``; None outside the data."""
        i = self._column(t)
        return None if i is None else self._att[i].astype(np.float64)

    def shownAt(self, t: float) -> Optional[np.ndarray]:
        """``[14]`` values the column nearest ``t`` is coloured by (in the current mode)."""
        i = self._column(t)
        return None if i is None else self._shown[i].astype(np.float64)

    def describeCell(self, x: float, y: float) -> Optional[str]:
        """The hover text for the cell at data point ``(x, y)``: joint, time, attention,
        probability (None outside the map)."""
        i, j = self._column(x), int(np.floor(y))
        if i is None or not 0 <= j < NUM_JOINTS:
            return None
        att = float(self._att[i, j])
        p = float(self._prob[i]) if self._prob is not None else float("nan")
        if not np.isfinite(att):
            return f"{JOINT_LABELS[j]} · {format_time(self._t0 + i * self._step)} · not analysed"
        text = f"{JOINT_LABELS[j]} · {format_time(self._t0 + i * self._step)} · attention {att:.3f}"
        return text + (f" · p {p:.2f} · shown {att * p:.3f}" if np.isfinite(p) else "")

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        vb = self.plot.vb
        if not vb.sceneBoundingRect().contains(scene_pos):
            self.readout.setText("")
            return
        p = vb.mapSceneToView(scene_pos)
        text = self.describeCell(float(p.x()), float(p.y())) or ""
        self.readout.setText(text)
        self.graphics.setToolTip(text)

    def _on_click(self, x: float, y: float) -> None:
        self.seekRequested.emit(float(x))
        j = int(np.floor(y))
        if 0 <= j < NUM_JOINTS:
            self.jointClicked.emit(j)

    # --- selection, cursor, collapsing ---
    def setSelectedJoint(self, joint: Optional[int]) -> None:
        """Outline the row of ``joint`` (None: none)."""
        self._selected = joint
        if joint is None:
            self.row_highlight.setVisible(False)
            return
        self.row_highlight.setRegion((joint, joint + 1))
        self.row_highlight.setVisible(True)

    def selectedJoint(self) -> Optional[int]:
        return self._selected

    def setCollapsed(self, on: bool) -> None:
        """Show only the header line (its arrow expands the map again)."""
        on = bool(on)
        if self.collapse_button.isChecked() != on:
            self.collapse_button.setChecked(on)  # re-enters via toggled
            return
        self.collapse_button.setText(("\u25b8" if on else "\u25be") + " Joint attention")
        for w in (self.graphics, self.mode_combo, self.color_bar, self.readout):
            w.setVisible(not on)
        header = self.header.sizeHint().height()
        self.setMinimumHeight(header if on else self._expanded_min)
        self.setMaximumHeight(header if on else MAX_HEIGHT)
        self.collapsedChanged.emit(on)

    def isCollapsed(self) -> bool:
        return self.collapse_button.isChecked()

    def attachBars(self, bars: JointAttentionBars) -> None:
        self._bars = bars
        self._bars_column = -1

    def setCurrentTime(self, t: float) -> None:
        self.cursor.setValue(float(t))
        if self._bars is None:
            return
        # Called on every frame shown: the bars change only when the cursor enters another column.
        i = self._column(t)
        if i != self._bars_column:
            self._bars_column = i
            self._bars.setValues(None if i is None else self._att[i].astype(np.float64))

    def linkTimeline(self, timeline) -> None:
        """Share the x axis with a TimelineWidget (same left-axis width so pixels line up)."""
        self.plot.setXLink(timeline.plot)
        timeline.setLeftAxisWidth(LEFT_AXIS_WIDTH)
        self.plot.getAxis("left").setWidth(LEFT_AXIS_WIDTH)


__all__ = ["SHARE", "WEIGHTED", "AttentionMap", "JointAttentionBars", "scale_top", "shown_values", "to_uniform_grid"]

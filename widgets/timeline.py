"""The probability timeline: trace, threshold, events, seizure markers, cursor and an overview bar.

pyqtgraph with ``setDownsampling(auto=True)`` and ``setClipToView(True)`` so a 24-hour trace at
1 s stride pans smoothly; spans (events, gaps) are culled to the visible range when painted.
Moving the cursor only moves one line; nothing is re-plotted.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from .display_data import MARKER_COLORS, SEIZURE_TIME_FIELDS, STATUS_COLORS, EventRow, SeizureRow
from .plot_items import (
    BACKGROUND,
    FOREGROUND,
    LEFT_AXIS_WIDTH,
    CallbackViewBox,
    SpanItem,
    TimeAxisItem,
    setup_plot,
    update_transform_eagerly,
)
from .rater_comparison_view import ComparisonMarkers
from .review_provenance import ReviewedPartsItem, show_proposal
from .threshold_control import ThresholdControl
from .timeline_markers import MarkerLine
from .trace_spans import nan_runs, snap_to_times
from .window_convention import convention_text, event_band

PROB_COLOR = "#e8eaed"
FORECAST_COLOR = "#26c6da"
THRESHOLD_COLOR = "#ef5350"
CURSOR_COLOR = "#ffd54f"
GAP_COLOR = QColor(120, 120, 130, 60)
Y_RANGE = (-0.02, 1.05)
MIN_TRACE_PX = 120  # the probability plot never gets shorter than this (a 1024x700 screen included)
TIME_AXIS_PX = 30  # the time axis and margins below the plot


def _alpha(hex_color: str, a: int) -> QColor:
    c = QColor(hex_color)
    c.setAlpha(a)
    return c


def _one_peak_bin_per_pixel(*curves: pg.PlotDataItem) -> None:
    """Peak downsampling to one min/max bin per pixel column. pyqtgraph's default draws ~5 bins
    per pixel (10 points): the same envelope on screen, but a 24-hour pan then spends a third of
    its frame building and stroking a 16 000-point path (bench_timeline: 21 -> 15 ms CPU)."""
    for curve in curves:
        curve.opts["autoDownsampleFactor"] = 1.0


class TimelineWidget(QWidget):
    """Seizure-probability timeline with an overview bar of the whole recording.

    Signals:
      - ``seekRequested(float t)``: click in the plot or drag of the cursor (snapped to a frame).
      - ``thresholdChanged(float)``: live while the threshold line is dragged;
        ``thresholdChangeFinished(float)`` once on release (one undo step).
      - ``markerMoved(int seizure_index, str field, float t)``: on release of a marker drag, ``t``
        snapped to the nearest frame time; ``field`` is ``"eeg_onset_s"``, ``"clinical_onset_s"``
        or ``"end_s"`` (as in ``display_data``); ``markerDragged(index, field, t)`` live while
        it moves (``t`` snapped), so the video can follow.
      - ``eventClicked(int row)``: a click inside an event span (after ``seekRequested``).
      - ``xRangeChanged(float x0, float x1)``: the visible range changed.

    Setters: ``setTrace(t [N], prob [N] with NaN gaps, gaps=None | (starts, ends))``,
    ``setForecast(t [M], value [M]) / setForecastVisible(bool)``, ``setThreshold(v)``,
    ``setEvents(list[EventRow])``, ``setActiveEvent(row | None)``, ``setSeizures(list[SeizureRow])``,
    ``setFrameTimes(times [F])`` (for snapping), ``setCurrentTime(t)``, ``setDuration(s)``,
    ``setXRange(x0, x1)``, ``setGapShading(bool)``, ``setLeftAxisWidth(px)``,
    ``setWindowGeometry(window_s, stride_s)`` (event bands follow ``widgets.window_convention``).
    Parts: ``plot`` (main PlotItem, link other plots' X to it), ``overview`` (PlotItem),
    ``region`` (overview LinearRegionItem), ``curve``, ``forecast_curve``, ``threshold_line``,
    ``cursor``, ``markers`` (list[MarkerLine]), ``event_spans``/``gap_spans``/``reviewed_spans``, ``threshold_control``,
    ``comparison`` (another reviewer's marks: ``setComparisonSeizures(rows, name)``).
    """

    seekRequested = Signal(float)
    thresholdChanged = Signal(float)
    thresholdChangeFinished = Signal(float)
    thresholdResetRequested = Signal()  # the reset button of ``threshold_control``
    markerMoved = Signal(int, str, float)
    markerDragged = Signal(int, str, float)
    eventClicked = Signal(int)
    xRangeChanged = Signal(float, float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._frame_times: Optional[np.ndarray] = None
        self._duration = 60.0
        self._events: list[EventRow] = []
        self._active_event: Optional[int] = None
        self._band_starts: list[float] = []
        self._band_ends: list[float] = []
        self._window_s, self._stride_s = 0.0, 0.0  # unknown until a trace arrives: bands as given
        self._syncing = False
        self.markers: list[MarkerLine] = []
        self._overview_markers: list[pg.InfiniteLine] = []

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        head = QHBoxLayout()
        head.setContentsMargins(6, 2, 6, 2)
        self.title = QLabel("Seizure probability", self)
        self.title.setStyleSheet("QLabel { font-weight: bold; }")
        head.addWidget(self.title)
        head.addStretch(1)
        self.gap_check = QCheckBox("Shade gaps", self)
        self.gap_check.setChecked(True)
        self.gap_check.toggled.connect(self.setGapShading)
        head.addWidget(self.gap_check)
        self.forecast_check = QCheckBox("Forecast", self)
        # Cyan like its curve when there is one; dim, like the greyed box, when there is none.
        self.forecast_check.setStyleSheet(f"QCheckBox {{ color: {FORECAST_COLOR}; }} "
                                          "QCheckBox:disabled { color: #5d646e; }")
        self.forecast_check.setToolTip("No forecast trace for this recording")
        self.forecast_check.setChecked(True)
        self.forecast_check.setEnabled(False)
        self.forecast_check.toggled.connect(self.setForecastVisible)
        head.addWidget(self.forecast_check)
        self.threshold_control = ThresholdControl(self)  # the threshold typed (the line is dragged)
        self.threshold_control.valueEdited.connect(self.thresholdChangeFinished.emit)
        self.threshold_control.resetRequested.connect(self.thresholdResetRequested.emit)
        head.addSpacing(12)  # keeps "Forecast" and "Threshold" apart
        head.addWidget(self.threshold_control)
        lay.addLayout(head)

        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setBackground(BACKGROUND)
        self.graphics.ci.layout.setContentsMargins(0, 2, 8, 2)
        self.graphics.ci.layout.setVerticalSpacing(4)
        self.graphics.setMinimumHeight(MIN_TRACE_PX + TIME_AXIS_PX)
        lay.addWidget(self.graphics, 1)

        # --- main plot ---
        self.viewbox = CallbackViewBox(on_click=self._on_main_click)
        self.plot: pg.PlotItem = self.graphics.addPlot(
            row=0, col=0, viewBox=self.viewbox, axisItems={"bottom": TimeAxisItem("bottom")})
        setup_plot(self.plot, mouse_x=True)
        self.plot.setYRange(*Y_RANGE, padding=0)
        # The grid as five static horizontal lines: pyqtgraph's axis grids are re-played on every
        # pan step and cost more than the whole 24-hour trace.
        for y in (0.2, 0.4, 0.6, 0.8, 1.0):
            grid = pg.InfiniteLine(pos=y, angle=0, movable=False, pen=pg.mkPen(_alpha(FOREGROUND, 38)))
            grid.setZValue(-20)
            self.plot.addItem(grid, ignoreBounds=True)
        self.plot.setLabel("left", "p(seizure)", color=FOREGROUND)
        self.plot.getAxis("left").setWidth(LEFT_AXIS_WIDTH)
        self.plot.setClipToView(True)
        # The legend of the time axis, in the plot's corner (pixels, not data): where a window's
        # value is drawn (widgets.window_convention).
        self.convention_label = pg.TextItem(convention_text(0.0), color="#aeb4bc", fill=pg.mkBrush(27, 30, 35, 190))
        self.convention_label.setParentItem(self.viewbox)
        self.convention_label.setPos(4, 0)
        self.convention_label.setZValue(50)
        update_transform_eagerly(self.viewbox)
        self.plot.setDownsampling(auto=True, mode="peak")

        self.gap_spans = SpanItem(Y_RANGE)
        self.event_spans = SpanItem(Y_RANGE)
        self.plot.addItem(self.gap_spans, ignoreBounds=True)
        self.plot.addItem(self.event_spans, ignoreBounds=True)
        self.reviewed_spans = ReviewedPartsItem()  # what reviews cover of a partly reviewed event
        self.plot.addItem(self.reviewed_spans, ignoreBounds=True)
        # Width 1: wider pens switch pyqtgraph to per-segment drawLines, ~5x slower here.
        self.curve = self.plot.plot(pen=pg.mkPen(PROB_COLOR, width=1), connect="finite", name="probability")
        self.curve.setZValue(5)
        self.forecast_curve = self.plot.plot(pen=pg.mkPen(FORECAST_COLOR, width=1), connect="finite",
                                             name="forecast")
        self.forecast_curve.setZValue(4)
        self.forecast_curve.setVisible(False)
        _one_peak_bin_per_pixel(self.curve, self.forecast_curve)
        # The forecaster's threshold and its alarms (upward crossings), shown with its curve.
        self._forecast_threshold: Optional[float] = None
        self.forecast_threshold_line = pg.InfiniteLine(
            pos=0.5, angle=0, movable=False, pen=pg.mkPen(FORECAST_COLOR, width=1, style=Qt.DotLine),
            label="forecast {value:.2f}",
            labelOpts={"position": 0.97, "color": FORECAST_COLOR, "anchors": [(1, 1), (1, 1)]})
        self.forecast_alarm_marks = pg.ScatterPlotItem(symbol="t", size=11, pen=pg.mkPen(FORECAST_COLOR),
                                                       brush=pg.mkBrush(FORECAST_COLOR))
        for item in (self.forecast_threshold_line, self.forecast_alarm_marks):
            item.setZValue(6)
            item.setVisible(False)
            self.plot.addItem(item, ignoreBounds=True)

        self.threshold_line = pg.InfiniteLine(
            pos=0.5, angle=0, movable=True, bounds=[0.0, 1.0],
            pen=pg.mkPen(THRESHOLD_COLOR, width=1.5, style=Qt.DashLine), hoverPen=pg.mkPen(THRESHOLD_COLOR, width=3),
            label="threshold {value:.2f}",
            labelOpts={"position": 0.03, "color": THRESHOLD_COLOR, "anchors": [(0, 1), (0, 1)]})
        self.threshold_line.setZValue(15)
        self.threshold_line.sigDragged.connect(lambda line: self.thresholdChanged.emit(float(line.value())))
        self.threshold_line.sigDragged.connect(lambda line: self.threshold_control.setValue(line.value()))
        self.threshold_line.sigPositionChangeFinished.connect(
            lambda line: self.thresholdChangeFinished.emit(float(line.value())))
        self.plot.addItem(self.threshold_line, ignoreBounds=True)

        self.cursor = pg.InfiniteLine(pos=0.0, angle=90, movable=True, pen=pg.mkPen(CURSOR_COLOR, width=1.5),
                                      hoverPen=pg.mkPen(CURSOR_COLOR, width=3))
        self.cursor.setZValue(30)
        self.cursor.sigDragged.connect(self._on_cursor_dragged)
        self.plot.addItem(self.cursor, ignoreBounds=True)

        # --- overview bar ---
        self.overview_box = CallbackViewBox(on_click=self._on_overview_click)
        # A separate view (own viewport): panning then repaints the small overview only where
        # its region moved, instead of a second full repaint of the main plot.
        self.overview_graphics = pg.GraphicsLayoutWidget(self)
        self.overview_graphics.setBackground(BACKGROUND)
        self.overview_graphics.ci.layout.setContentsMargins(0, 0, 8, 2)
        self.overview_graphics.setFixedHeight(56)  # small: its height goes to the trace on a short screen
        lay.addWidget(self.overview_graphics)
        self.overview: pg.PlotItem = self.overview_graphics.addPlot(
            row=0, col=0, viewBox=self.overview_box, axisItems={"bottom": TimeAxisItem("bottom")})
        setup_plot(self.overview, mouse_x=False)
        self.overview.getAxis("left").setWidth(LEFT_AXIS_WIDTH)
        self.overview.getAxis("left").setTicks([[]])
        self.overview.setLabel("left", "all", color=FOREGROUND)  # a longer word is clipped at this height
        self.overview.setYRange(*Y_RANGE, padding=0)
        self.overview.setDownsampling(auto=True, mode="peak")
        update_transform_eagerly(self.overview_box)
        self.overview_event_spans = SpanItem(Y_RANGE)
        self.overview.addItem(self.overview_event_spans, ignoreBounds=True)
        self.overview_curve = self.overview.plot(pen=pg.mkPen("#9aa0a6", width=1), connect="finite")
        _one_peak_bin_per_pixel(self.overview_curve)
        self.overview_cursor = pg.InfiniteLine(pos=0.0, angle=90, movable=False, pen=pg.mkPen(CURSOR_COLOR, width=1))
        self.overview.addItem(self.overview_cursor, ignoreBounds=True)
        self.region = pg.LinearRegionItem(values=(0, 60), movable=True,
                                          brush=pg.mkBrush(255, 213, 79, 40), hoverBrush=pg.mkBrush(255, 213, 79, 70),
                                          pen=pg.mkPen(CURSOR_COLOR, width=1))
        self.region.setZValue(40)
        self.overview.addItem(self.region, ignoreBounds=True)
        self.region.sigRegionChanged.connect(self._on_region_changed)
        self.plot.sigXRangeChanged.connect(self._on_main_range_changed)
        # Auto-downsampling is computed from the view's pixel width, which pyqtgraph only
        # re-reads on a range change; recompute on resize too, or a grown plot stays coarse.
        self.viewbox.sigResized.connect(lambda _vb: self.curve.viewRangeChanged())
        self.viewbox.sigResized.connect(lambda _vb: self.forecast_curve.viewRangeChanged())
        self.overview_box.sigResized.connect(lambda _vb: self.overview_curve.viewRangeChanged())
        self.comparison = ComparisonMarkers(self.plot, self.overview)  # another reviewer's marks
        self.setDuration(60.0)

    # --- data ---
    def setTrace(self, t, prob, gaps: Optional[tuple[Sequence[float], Sequence[float]]] = None) -> None:
        """``t``, ``prob``: ``[N]`` sorted times and probabilities (NaN = gap / not analysed yet).

        ``gaps``: explicit ``(starts, ends)`` to shade; by default the runs of NaN.
        """
        t = np.asarray(t, dtype=np.float64)
        p = np.asarray(prob, dtype=np.float64)
        if t.shape != p.shape:
            raise ValueError(f"trace times {t.shape} and values {p.shape} differ in shape")
        self.curve.setData(t, p, connect="finite")
        self.overview_curve.setData(t, p, connect="finite")
        starts, ends = nan_runs(t, p) if gaps is None else (np.asarray(gaps[0], float), np.asarray(gaps[1], float))
        self.gap_spans.setSpans(starts, ends, [GAP_COLOR] * len(starts))
        if len(t) and t[-1] > self._duration:
            self.setDuration(float(t[-1]))

    def setForecast(self, t, value) -> None:
        """A second trace (e.g. the forecaster's), toggled by the "Forecast" check box."""
        t = np.asarray(t, dtype=np.float64)
        v = np.asarray(value, dtype=np.float64)
        self.forecast_curve.setData(t, v, connect="finite")
        self.forecast_check.setEnabled(len(t) > 0)
        self.forecast_check.setToolTip("Show the forecaster's trace, threshold and alarms" if len(t)
                                       else "No forecast trace for this recording")
        self._show_forecast_items()

    def setForecastAlarms(self, times: Sequence[float], threshold: Optional[float]) -> None:
        """The forecaster's threshold (None: none to show) and its alarm times, drawn as cyan
        triangles at the top of the plot."""
        self._forecast_threshold = threshold
        if threshold is not None:
            self.forecast_threshold_line.setValue(float(threshold))
        times = np.asarray(times, dtype=np.float64)
        self.forecast_alarm_marks.setData(times, np.full(len(times), 1.0))
        self._show_forecast_items()

    def setForecastVisible(self, on: bool) -> None:
        if self.forecast_check.isChecked() != bool(on):
            self.forecast_check.setChecked(bool(on))  # re-enters via toggled
            return
        self._show_forecast_items()

    def _show_forecast_items(self) -> None:
        on = self.forecast_check.isChecked() and self.forecast_check.isEnabled()
        self.forecast_curve.setVisible(on)
        self.forecast_threshold_line.setVisible(on and self._forecast_threshold is not None)
        self.forecast_alarm_marks.setVisible(on)

    def setGapShading(self, on: bool) -> None:
        if self.gap_check.isChecked() != bool(on):
            self.gap_check.setChecked(bool(on))
            return
        self.gap_spans.setVisible(bool(on))

    def setThreshold(self, value: float) -> None:
        self.threshold_line.setValue(float(value))
        self.threshold_control.setValue(value)

    def threshold(self) -> float:
        return float(self.threshold_line.value())

    def setWindowGeometry(self, window_s: float, stride_s: float) -> None:
        """The analysis windows' length and stride: event bands are drawn by the convention of
        ``widgets.window_convention`` (window centres), which the legend line states."""
        self._window_s, self._stride_s = float(window_s), float(stride_s)
        self.convention_label.setText(convention_text(self._window_s))
        self.convention_label.setToolTip(
            "The curve, the event bands and the attention columns all place a window at its centre: "
            "a band starts half a stride before its first window above the threshold.")
        self.title.setToolTip(self.convention_label.toolTip())
        self.setEvents(self._events)

    def eventBand(self, row: int) -> tuple[float, float]:
        """The drawn ``(start, end)`` of event ``row`` (see ``setWindowGeometry``)."""
        e = self._events[row]
        return event_band(e.start_s, e.end_s, self._window_s, self._stride_s)

    def setEvents(self, events: Sequence[EventRow]) -> None:
        """Shaded spans coloured by review status (unreviewed / confirmed / rejected)."""
        self._events = list(events)
        if self._active_event is not None and self._active_event >= len(self._events):
            self._active_event = None
        # The drawn bands, computed once here (selecting an event only recolours them).
        bands = [self.eventBand(i) for i in range(len(self._events))]
        self._band_starts = [a for a, _ in bands]
        self._band_ends = [b for _, b in bands]
        self._paint_event_spans()
        self.overview_event_spans.setSpans(self._band_starts, self._band_ends,
                                           [_alpha(STATUS_COLORS.get(e.status, "#f0a030"), 140) for e in self._events])
        self.reviewed_spans.setEvents(self._events, lambda a, b: event_band(a, b, self._window_s, self._stride_s))

    def setActiveEvent(self, row: Optional[int]) -> None:
        """Emphasise one event (the one selected in the event list); None for none."""
        self._active_event = row
        self._paint_event_spans()

    def _paint_event_spans(self) -> None:
        colors = [_alpha(STATUS_COLORS.get(e.status, "#f0a030"), 150 if i == self._active_event else 70)
                  for i, e in enumerate(self._events)]
        self.event_spans.setSpans(self._band_starts, self._band_ends, colors)

    def setSeizures(self, seizures: Sequence[SeizureRow]) -> None:
        """Draggable markers for each seizure's EEG onset, clinical onset and end (where known).

        When the same markers exist already (the usual case after an edit) they are only moved,
        so this is safe to call from a ``markerMoved`` handler.
        """
        wanted = [(i, f, float(sz.time(f))) for i, sz in enumerate(seizures)
                  for f in SEIZURE_TIME_FIELDS if sz.time(f) is not None]
        if [(m.seizure_index, m.kind) for m in self.markers] == [(i, f) for i, f, _ in wanted]:
            for m, o, (i, f, t) in zip(self.markers, self._overview_markers, wanted):
                m.setValue(t)
                o.setValue(t)
                show_proposal(m, seizures[i].is_proposed(f))
            return
        for m in self.markers:
            self.plot.removeItem(m)
        for m in self._overview_markers:
            self.overview.removeItem(m)
        self.markers, self._overview_markers = [], []
        for i, field, t in wanted:
            m = MarkerLine(i, field, t)
            show_proposal(m, seizures[i].is_proposed(field))
            m.sigPositionChangeFinished.connect(self._on_marker_released)
            m.sigDragged.connect(self._on_marker_dragged)
            self.plot.addItem(m, ignoreBounds=True)
            self.markers.append(m)
            o = pg.InfiniteLine(pos=t, angle=90, movable=False, pen=pg.mkPen(MARKER_COLORS[field], width=1))
            self.overview.addItem(o, ignoreBounds=True)
            self._overview_markers.append(o)

    def setComparisonSeizures(self, rows: Sequence[SeizureRow], name: str) -> None:
        """Another reviewer's seizures, read-only: dashed, muted lines labelled with ``name``
        (``widgets.rater_comparison_view``); an empty ``rows`` removes them."""
        self.comparison.set(rows, name)

    def marker(self, seizure_index: int, field: str) -> Optional[MarkerLine]:
        for m in self.markers:
            if m.seizure_index == seizure_index and m.kind == field:
                return m
        return None

    def setFrameTimes(self, times) -> None:
        """Presentation times of the video's frames ``[F]`` (sorted); markers and cursor snap to them."""
        self._frame_times = None if times is None else np.asarray(times, dtype=np.float64)

    def snap(self, t: float) -> float:
        return snap_to_times(t, self._frame_times)

    def setCurrentTime(self, t: float) -> None:
        """Move the cursor (cheap: no re-plot). Does not emit ``seekRequested``."""
        self.cursor.setValue(float(t))
        self.overview_cursor.setValue(float(t))

    def currentTime(self) -> float:
        return float(self.cursor.value())

    def setDuration(self, seconds: float) -> None:
        """Length of the recording: the overview's range and the main plot's pan limits."""
        self._duration = max(float(seconds), 1e-3)
        pad = 0.01 * self._duration
        self.overview.setXRange(0, self._duration, padding=0)
        self.plot.setLimits(xMin=-pad, xMax=self._duration + pad, minXRange=0.5,
                            yMin=Y_RANGE[0], yMax=Y_RANGE[1])
        self.region.setBounds((-pad, self._duration + pad))

    def duration(self) -> float:
        return self._duration

    def setXRange(self, x0: float, x1: float) -> None:
        self.plot.setXRange(float(x0), float(x1), padding=0)

    def xRange(self) -> tuple[float, float]:
        a, b = self.plot.viewRange()[0]
        return float(a), float(b)

    def centerOn(self, t: float) -> None:
        """Pan (keeping the zoom) so ``t`` is in the middle."""
        a, b = self.xRange()
        half = (b - a) / 2
        self.setXRange(t - half, t + half)

    def setLeftAxisWidth(self, px: int) -> None:
        self.plot.getAxis("left").setWidth(px)
        self.overview.getAxis("left").setWidth(px)

    # --- interaction ---
    def _on_main_click(self, x: float, _y: float) -> None:
        t = min(max(self.snap(x), 0.0), self._duration)
        self.seekRequested.emit(t)
        if self._events:
            hits = self.event_spans.visible_indices(x, x)
            if len(hits):
                self.eventClicked.emit(int(hits[0]))

    def _on_overview_click(self, x: float, _y: float) -> None:
        self.centerOn(x)

    def _on_cursor_dragged(self, line) -> None:
        t = min(max(self.snap(float(line.value())), 0.0), self._duration)
        self.overview_cursor.setValue(t)
        self.seekRequested.emit(t)

    def _on_marker_dragged(self, line: MarkerLine) -> None:
        """While a marker moves: its time on the label, and the frame there to the app."""
        t = min(max(self.snap(float(line.value())), 0.0), self._duration)
        line.showDragTime(t)
        self.markerDragged.emit(line.seizure_index, line.kind, t)

    def _on_marker_released(self, line: MarkerLine) -> None:
        t = self.snap(float(line.value()))
        line.showName()
        line.setValue(t)
        for o, m in zip(self._overview_markers, self.markers):
            if m is line:
                o.setValue(t)
        self.markerMoved.emit(line.seizure_index, line.kind, t)

    def _on_region_changed(self) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            a, b = self.region.getRegion()
            self.plot.setXRange(a, b, padding=0)
        finally:
            self._syncing = False

    def _on_main_range_changed(self, _vb, rng) -> None:
        a, b = float(rng[0]), float(rng[1])
        if not self._syncing:
            self._syncing = True
            try:
                self.region.setRegion((a, b))
            finally:
                self._syncing = False
        self.xRangeChanged.emit(a, b)

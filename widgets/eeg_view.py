"""The EEG page: channels stacked, a cursor at the video's instant, marks, and the reader's controls.

Plain data in (``setPage(start_s, fs, names, data [C, N] µV, is_eeg)``), signals out; the app
reads the file, builds the montage and filters. Drawn the way EEG readers draw: negative up,
a fixed sensitivity in µV per millimetre of screen (so 7 µV/mm means the same on every
monitor), one page at a time. Every trace goes into one path (NaN breaks between channels), so
a 19-channel page is one draw call, not nineteen.

Signals: ``timeClicked(eeg_s)`` (left click), ``markRequested(kind, eeg_s)`` (context menu:
``"eeg_onset"`` or ``"sync"``), ``pageStepRequested(±1)``, ``settingsChanged()`` (any control).
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QMenu, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from .plot_items import BACKGROUND, FOREGROUND
from .trace_thinning import min_max_thin

EEG_COLOR = "#cfd8dc"
OTHER_COLOR = "#80cbc4"  # ECG, EMG... : told apart from the EEG at a glance
CURSOR_COLOR = "#ffd54f"
GAINS_UV_PER_MM = (1.0, 2.0, 3.0, 5.0, 7.0, 10.0, 15.0, 20.0, 30.0, 50.0, 70.0, 100.0, 200.0)
PAGE_LENGTHS_S = (5.0, 10.0, 15.0, 20.0, 30.0, 60.0)
CLIP_ROWS = 1.5


class _SecondsAxis(pg.AxisItem):
    """Ticks every second, labelled by the app's formatter (EEG seconds -> text)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.formatter: Callable[[float], str] = lambda s: f"{s:.0f}"

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802 - pyqtgraph's name
        span = maxVal - minVal
        major = 1.0 if span <= 12 else (2.0 if span <= 25 else (5.0 if span <= 65 else 10.0))
        return [(major * 5, 0), (major, 0)]

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        return [self.formatter(v) for v in values]


def _combo(items: Sequence[tuple[str, object]], tip: str) -> QComboBox:
    box = QComboBox()
    for text, value in items:
        box.addItem(text, value)
    box.setToolTip(tip)
    box.setFocusPolicy(Qt.NoFocus)  # the single-key shortcuts stay with the window
    return box


def _hz(value: Optional[float], off: str) -> str:
    return off if value is None else f"{value:g} Hz"


class EegView(QWidget):
    timeClicked = Signal(float)
    markRequested = Signal(str, float)
    pageStepRequested = Signal(int)
    settingsChanged = Signal()

    def __init__(self, parent: Optional[QWidget] = None, *, montages: Sequence[tuple[str, str]] = (),
                 highpass: Sequence[Optional[float]] = (None,), lowpass: Sequence[Optional[float]] = (None,),
                 notch: Sequence[Optional[float]] = (None,)):
        super().__init__(parent)
        self._names: list[str] = []
        self._is_eeg: list[bool] = []
        self._data = np.zeros((0, 0))
        self._start_s, self._fs, self._page_s = 0.0, 256.0, 10.0
        self._all_names: list[str] = []
        self._hidden: set[str] = set()
        self._marks: list[pg.InfiniteLine] = []

        self.montage_box = _combo([(label, key) for key, label in montages],
                                  "Montage: as recorded, average reference, or longitudinal bipolar (double banana)")
        # Narrow when space is short (the full name drops down): the panel must fit a 1400 px screen.
        self.montage_box.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.montage_box.setMinimumContentsLength(7)
        self.gain_box = _combo([(f"{g:g} µV/mm", g) for g in GAINS_UV_PER_MM], "Sensitivity (Shift+Up / Shift+Down)")
        self.highpass_box = _combo([("HP " + _hz(v, "off"), v) for v in highpass], "High-pass filter (display only)")
        self.lowpass_box = _combo([("LP " + _hz(v, "off"), v) for v in lowpass], "Low-pass filter (display only)")
        self.notch_box = _combo([("Notch " + _hz(v, "off"), v) for v in notch], "Notch filter at the mains frequency")
        self.page_box = _combo([(f"{p:g} s", p) for p in PAGE_LENGTHS_S], "Page length")
        self.channels_button = QToolButton(self)
        self.channels_button.setText("Channels")
        self.channels_button.setToolTip("Show or hide traces")
        self.channels_button.setPopupMode(QToolButton.InstantPopup)
        self.channels_button.setMenu(QMenu(self.channels_button))
        self.channels_button.setFocusPolicy(Qt.NoFocus)
        self.back_button, self.forward_button = QToolButton(self), QToolButton(self)
        for button, text, step, tip in ((self.back_button, "◀", -1, "Previous page (PgUp)"),
                                        (self.forward_button, "▶", +1, "Next page (PgDown)")):
            button.setText(text)
            button.setToolTip(tip)
            button.setFocusPolicy(Qt.NoFocus)
            button.clicked.connect(lambda _=False, s=step: self.pageStepRequested.emit(s))
        self.status_label = QLabel(self)
        self.status_label.setStyleSheet("color:#9aa0a6;")
        self.status_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # never widens the panel
        # Two short rows, so the panel fits beside the video and the side panel on a 1400 px screen.
        bar, filters = QHBoxLayout(), QHBoxLayout()
        for row in (bar, filters):
            row.setContentsMargins(2, 0, 2, 0)
            row.setSpacing(4)
        for w in (self.back_button, self.forward_button, self.montage_box, self.gain_box, self.page_box):
            bar.addWidget(w)
        bar.addWidget(self.status_label, 1)
        for w in (self.highpass_box, self.lowpass_box, self.notch_box, self.channels_button):
            filters.addWidget(w)
        filters.addStretch(1)
        for box in (self.montage_box, self.gain_box, self.highpass_box, self.lowpass_box, self.notch_box,
                    self.page_box):
            box.currentIndexChanged.connect(lambda _i: self.settingsChanged.emit())
        self.gain_box.currentIndexChanged.connect(lambda _i: self._redraw())

        self.time_axis = _SecondsAxis(orientation="bottom")
        self.plot_widget = pg.PlotWidget(self, background=BACKGROUND, axisItems={"bottom": self.time_axis})
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        vb = self.plot.getViewBox()
        vb.setMouseEnabled(x=False, y=False)  # a page is a page: paging, not panning
        vb.setMenuEnabled(False)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setPen(FOREGROUND)
            axis.setTextPen(FOREGROUND)
        self.plot.getAxis("left").setWidth(64)
        self.eeg_curve = pg.PlotCurveItem(pen=pg.mkPen(EEG_COLOR, width=1), connect="finite")
        self.other_curve = pg.PlotCurveItem(pen=pg.mkPen(OTHER_COLOR, width=1), connect="finite")
        self.plot.addItem(self.eeg_curve)
        self.plot.addItem(self.other_curve)
        self.cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(CURSOR_COLOR, width=1))
        self.plot.addItem(self.cursor, ignoreBounds=True)
        self.cursor.hide()
        # The last EEG instant clicked: stays put while the video is stepped to the frame that
        # shows the same event (a sync point pairs the two).
        self.pick = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(CURSOR_COLOR, width=1, style=Qt.DashLine))
        self.plot.addItem(self.pick, ignoreBounds=True)
        self.pick.hide()
        vb.sigResized.connect(lambda *_: self._redraw())
        self.plot.scene().sigMouseClicked.connect(self._on_click)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addLayout(bar)
        lay.addLayout(filters)
        lay.addWidget(self.plot_widget, 1)

    # -- settings the app reads ------------------------------------------------------------
    def montage(self) -> str:
        return str(self.montage_box.currentData())

    def gain(self) -> float:
        return float(self.gain_box.currentData())

    def highpass(self) -> Optional[float]:
        return self.highpass_box.currentData()

    def lowpass(self) -> Optional[float]:
        return self.lowpass_box.currentData()

    def notch(self) -> Optional[float]:
        return self.notch_box.currentData()

    def page_seconds(self) -> float:
        return float(self.page_box.currentData())

    def hidden(self) -> frozenset:
        return frozenset(self._hidden)

    def setSettings(self, montage: str, gain: float, highpass, lowpass, notch, page_s: float,  # noqa: N802
                    hidden: Sequence[str] = ()) -> None:
        """Show these settings in the controls (unknown values fall back to the first entry)."""
        for box, value in ((self.montage_box, montage), (self.gain_box, gain), (self.highpass_box, highpass),
                           (self.lowpass_box, lowpass), (self.notch_box, notch), (self.page_box, page_s)):
            box.blockSignals(True)
            index = box.findData(value)
            box.setCurrentIndex(index if index >= 0 else 0)
            box.blockSignals(False)
        self._hidden = set(hidden)
        self._fill_channel_menu()

    def stepGain(self, step: int) -> None:  # noqa: N802
        """+1: more sensitive (fewer µV per mm, bigger traces); -1: less."""
        self.gain_box.setCurrentIndex(int(np.clip(self.gain_box.currentIndex() - step, 0, self.gain_box.count() - 1)))

    def setChannelNames(self, names: Sequence[str]) -> None:  # noqa: N802
        """Every trace of the montage, for the Channels menu (hidden ones unticked)."""
        self._all_names = list(names)
        self._fill_channel_menu()

    def _fill_channel_menu(self) -> None:
        menu = self.channels_button.menu()
        menu.clear()
        for name in self._all_names:
            act = QAction(name, menu)
            act.setCheckable(True)
            act.setChecked(name not in self._hidden)
            act.toggled.connect(lambda on, n=name: self._toggle_channel(n, on))
            menu.addAction(act)
        shown = len([n for n in self._all_names if n not in self._hidden])
        self.channels_button.setText(f"Ch {shown}/{len(self._all_names)}")

    def _toggle_channel(self, name: str, on: bool) -> None:
        (self._hidden.discard if on else self._hidden.add)(name)
        shown = len([n for n in self._all_names if n not in self._hidden])
        self.channels_button.setText(f"Ch {shown}/{len(self._all_names)}")
        self.settingsChanged.emit()

    # -- what is drawn ---------------------------------------------------------------------
    def setTimeFormatter(self, formatter: Callable[[float], str]) -> None:  # noqa: N802
        self.time_axis.formatter = formatter
        self.time_axis.picture = None
        self.time_axis.update()

    def setStatus(self, text: str) -> None:  # noqa: N802
        self.status_label.setText(text)
        self.status_label.setToolTip(text)

    def setPage(self, start_s: float, fs: float, names: Sequence[str], data: np.ndarray,  # noqa: N802
                is_eeg: Sequence[bool], page_s: float) -> None:
        self._start_s, self._fs, self._page_s = float(start_s), float(fs), float(page_s)
        self._names, self._is_eeg = list(names), list(is_eeg)
        self._data = np.asarray(data, dtype=np.float64)
        left = self.plot.getAxis("left")
        left.setTicks([[(-k, n) for k, n in enumerate(self._names)], []])
        self.plot.setXRange(self._start_s, self._start_s + self._page_s, padding=0)
        self.plot.setYRange(-max(len(self._names), 1) + 0.5, 0.5, padding=0)
        self._redraw()

    def page_range(self) -> tuple[float, float]:
        return self._start_s, self._start_s + self._page_s

    def rows_per_microvolt(self) -> float:
        """Screen rows (channel spacings) per µV at the chosen sensitivity."""
        vb = self.plot.getViewBox()
        row_px = max(vb.height(), 1.0) / max(len(self._names), 1)
        px_per_mm = self.logicalDpiY() / 25.4
        return px_per_mm / (self.gain() * row_px)

    def _redraw(self) -> None:
        c, n = self._data.shape if self._data.ndim == 2 else (0, 0)
        if not c or not n:
            self.eeg_curve.setData([], [])
            self.other_curve.setData([], [])
            return
        scale = self.rows_per_microvolt()
        # Two points per pixel column are all a screen can show.
        t, data = min_max_thin(self._start_s + np.arange(n) / self._fs, self._data,
                               2 * max(int(self.plot.getViewBox().width()), 200))
        for curve, want in ((self.eeg_curve, True), (self.other_curve, False)):
            rows = [k for k in range(c) if self._is_eeg[k] == want]
            if not rows:
                curve.setData([], [])
                continue
            # Negative up (the EEG convention), clipped at 1.5 channel spacings as EEG readers do
            # (a seizure or an artefact would otherwise cover its neighbours); a NaN after each
            # channel breaks the path.
            y = -np.asarray(rows, dtype=np.float64)[:, None] - np.clip(data[rows] * scale, -CLIP_ROWS, CLIP_ROWS)
            y = np.hstack([y, np.full((len(rows), 1), np.nan)]).reshape(-1)
            x = np.hstack([np.tile(t, (len(rows), 1)), np.full((len(rows), 1), t[-1])]).reshape(-1)
            curve.setData(x, y)

    def setCursor(self, eeg_s: Optional[float]) -> None:  # noqa: N802
        if eeg_s is None:
            self.cursor.hide()
            return
        self.cursor.setValue(float(eeg_s))
        self.cursor.show()

    def setPick(self, eeg_s: Optional[float]) -> None:  # noqa: N802
        if eeg_s is None:
            self.pick.hide()
            return
        self.pick.setValue(float(eeg_s))
        self.pick.show()

    def setMarks(self, marks: Sequence[tuple[float, str, str]]) -> None:  # noqa: N802
        """Vertical lines at ``(eeg_s, label, colour)``: onsets, ends, sync points."""
        for line in self._marks:
            self.plot.removeItem(line)
        self._marks = []
        for eeg_s, label, colour in marks:
            line = pg.InfiniteLine(float(eeg_s), angle=90, movable=False, pen=pg.mkPen(colour, width=2),
                                   label=label, labelOpts={"position": 0.97, "color": colour, "fill": BACKGROUND,
                                                           "anchors": [(0, 0), (0, 0)]})
            self.plot.addItem(line, ignoreBounds=True)
            self._marks.append(line)

    # -- input -----------------------------------------------------------------------------
    def _on_click(self, event) -> None:
        vb = self.plot.getViewBox()
        pos = event.scenePos()
        if not vb.sceneBoundingRect().contains(pos):
            return
        t = float(vb.mapSceneToView(pos).x())
        if event.button() == Qt.LeftButton:
            self.timeClicked.emit(t)
        elif event.button() == Qt.RightButton:
            self._context_menu(t, event.screenPos())

    def _context_menu(self, t: float, screen_pos: QPointF) -> None:
        menu = QMenu(self)
        menu.addAction("Mark EEG onset here", lambda: self.markRequested.emit("eeg_onset", t))
        menu.addAction("Sync point: this EEG instant = the video frame on screen",
                       lambda: self.markRequested.emit("sync", t))
        menu.popup(screen_pos.toPoint())


__all__ = ["EegView", "GAINS_UV_PER_MM", "PAGE_LENGTHS_S"]

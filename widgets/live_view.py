"""Widgets of the live monitoring window: the rolling probability trace, the alarm banner and the
alarm list. Plain data in (times in night seconds, probabilities, alarm rows); the wiring to a
running monitor is ``app.live_window``.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QTableWidgetItem

from .timefmt import format_position

ALARM_RED = QColor("#c62828")
GAP_GREY = QColor(154, 160, 166, 70)


class LiveTrace(pg.PlotWidget):
    """The last ``span_s`` seconds of the probability trace, scrolling with the stream: the curve
    (breaks where a window has no value), the threshold, shaded gaps and alarm spans."""

    def __init__(self, span_s: float = 300.0, threshold: float = 0.5, parent=None):
        super().__init__(parent=parent)
        self.span_s = float(span_s)
        self.setBackground("w")
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.setYRange(0.0, 1.0, padding=0.02)
        self.setLabel("left", "p(seizure)")
        self.setLabel("bottom", "stream time (s)")
        self.getPlotItem().setMenuEnabled(False)
        self.setMinimumHeight(120)
        keep = int(span_s * 4) + 64  # windows kept (stride >= 0.25 s)
        self._t: deque = deque(maxlen=keep)
        self._p: deque = deque(maxlen=keep)
        self._gaps: deque = deque(maxlen=256)
        self._alarm_spans: dict[int, tuple[float, float, bool]] = {}  # id -> (start, end, still open)
        self.curve = self.plot([], [], pen=pg.mkPen("#1565c0", width=2), connect="finite")
        self.threshold_line = pg.InfiniteLine(threshold, angle=0, pen=pg.mkPen(ALARM_RED, style=Qt.DashLine))
        self.addItem(self.threshold_line)
        self._regions: list[pg.LinearRegionItem] = []
        self.now_s = 0.0

    def setThreshold(self, value: float) -> None:
        self.threshold_line.setValue(float(value))

    def addWindow(self, start_s: float, end_s: float, prob: float, reason: Optional[str] = None) -> None:
        """One scored window, drawn at its centre (NaN: a gap, shaded grey)."""
        mid = 0.5 * (start_s + end_s)
        self._t.append(mid)
        self._p.append(prob if prob is not None and math.isfinite(prob) else np.nan)
        if reason is not None:
            if self._gaps and self._gaps[-1][1] >= start_s:
                self._gaps[-1] = (self._gaps[-1][0], end_s)
            else:
                self._gaps.append((start_s, end_s))
        self.now_s = max(self.now_s, end_s)

    def setAlarmSpan(self, alarm_id: int, start_s: float, end_s: float, still_open: bool = False) -> None:
        """An alarm's event; ``still_open``: it runs on to the latest window until it ends."""
        self._alarm_spans[alarm_id] = (start_s, end_s, still_open)

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self._t, dtype=np.float64), np.asarray(self._p, dtype=np.float64)

    def refresh(self) -> None:
        """Redraw (call on a timer, not per window: a few times a second is plenty)."""
        t, p = self.points()
        self.curve.setData(t, p, connect="finite")
        lo, hi = self.now_s - self.span_s, self.now_s
        self.setXRange(max(0.0, lo), max(hi, self.span_s if lo < 0 else hi), padding=0.0)
        spans = [(a, b, GAP_GREY) for a, b in self._gaps if b >= lo]
        spans += [(a, max(b, self.now_s) if still_open else b, QColor(198, 40, 40, 60))
                  for a, b, still_open in self._alarm_spans.values() if still_open or b >= lo]
        while len(self._regions) < len(spans):
            r = pg.LinearRegionItem(movable=False)
            r.setZValue(-10)
            for line in r.lines:
                line.setPen(pg.mkPen(None))
            self.addItem(r)
            self._regions.append(r)
        for r, (a, b, color) in zip(self._regions, spans):
            r.setRegion((a, b))
            r.setBrush(pg.mkBrush(color))
            r.setVisible(True)
        for r in self._regions[len(spans):]:
            r.setVisible(False)


class AlarmBanner(QLabel):
    """A red banner that flashes while an alarm waits for its acknowledgement."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAlignment(Qt.AlignCenter)
        self.setWordWrap(True)
        self.setMinimumHeight(44)
        self._on = False
        self._timer = QTimer(self)
        self._timer.setInterval(500)
        self._timer.timeout.connect(self._flash)
        self.hide()

    def raise_alarm(self, text: str) -> None:
        self.setText(text)
        self.show()
        self._on = True
        self._paint()
        self._timer.start()

    def clear_alarm(self) -> None:
        self._timer.stop()
        self.hide()

    def flashing(self) -> bool:
        return self._timer.isActive()

    def _flash(self) -> None:
        self._on = not self._on
        self._paint()

    def _paint(self) -> None:
        bg, fg = (ALARM_RED.name(), "white") if self._on else ("white", ALARM_RED.name())
        self.setStyleSheet(f"QLabel {{ background: {bg}; color: {fg}; font-size: 16pt; font-weight: bold; "
                           f"border: 3px solid {ALARM_RED.name()}; padding: 4px; }}")


@dataclass
class AlarmRow:
    """One alarm as the list shows it (times in night seconds; ``acked_by`` None: waiting)."""

    id: int
    start_s: float
    end_s: float
    peak_prob: float
    raised_utc: str
    lag_s: float
    ended: bool
    acked_by: Optional[str] = None
    acked_utc: Optional[str] = None
    status: Optional[str] = None


class AlarmList(QTableWidget):
    """The night's alarms, newest first; unacknowledged rows in red."""

    COLUMNS = ("#", "Start", "Duration", "Peak", "Raised (UTC)", "Lag", "Acknowledged")

    def __init__(self, parent=None):
        super().__init__(0, len(self.COLUMNS), parent)
        self.setHorizontalHeaderLabels(self.COLUMNS)
        self.verticalHeader().hide()
        self.setEditTriggers(QTableWidget.NoEditTriggers)
        self.setSelectionBehavior(QTableWidget.SelectRows)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self._rows: dict[int, AlarmRow] = {}

    def setAlarm(self, row: AlarmRow) -> None:
        self._rows[row.id] = row
        self._redraw()

    def alarms(self) -> list[AlarmRow]:
        return sorted(self._rows.values(), key=lambda r: -r.id)

    def _redraw(self) -> None:
        rows = self.alarms()
        self.setRowCount(len(rows))
        for i, r in enumerate(rows):
            dur = f"{r.end_s - r.start_s:.0f} s" + ("" if r.ended else "+")
            ack = (f"{r.status or 'yes'} by {r.acked_by} at {(r.acked_utc or '')[11:19]}" if r.acked_by
                   else "WAITING")
            cells = (str(r.id), format_position(r.start_s, 0), dur, f"{r.peak_prob:.2f}", r.raised_utc[11:19],
                     f"{r.lag_s:.2f} s", ack)
            for k, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if r.acked_by is None:
                    item.setForeground(ALARM_RED)
                self.setItem(i, k, item)

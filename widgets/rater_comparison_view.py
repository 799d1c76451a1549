"""Another reviewer's seizures beside the open ones: read-only markers on the timeline (dashed,
muted, labelled with the reviewer's name) and the list of where the two disagree.

Plain data only: ``SeizureRow`` for the markers, ``DisagreementRow`` for the list; the app
decides what a disagreement is and what accepting one does.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .display_data import MARKER_COLORS, MARKER_LABELS, SEIZURE_TIME_FIELDS, SeizureRow
from .timefmt import format_time

COMPARISON_ALPHA = 150  # muted: the other reviewer's marks stay behind the open ones
# Label heights (fraction of the plot) below the open marks' labels, one per kind of mark so the
# labels of marks a second apart do not cover each other.
COMPARISON_LABEL_HEIGHTS = {"eeg_onset_s": 0.50, "clinical_onset_s": 0.35, "end_s": 0.20}


def muted(hex_color: str, alpha: int = COMPARISON_ALPHA) -> QColor:
    """``hex_color`` mixed halfway to grey, semi-transparent."""
    c = QColor(hex_color)
    grey = 140
    out = QColor((c.red() + grey) // 2, (c.green() + grey) // 2, (c.blue() + grey) // 2)
    out.setAlpha(alpha)
    return out


class ComparisonMarkers:
    """Dashed, muted, immovable lines for another reviewer's marks on ``plot`` and ``overview``
    (pyqtgraph PlotItems). ``set(rows, name)``; ``clear()``; ``lines`` (main plot), ``name``."""

    def __init__(self, plot: pg.PlotItem, overview: pg.PlotItem):
        self.plot, self.overview = plot, overview
        self.lines: list[pg.InfiniteLine] = []
        self._overview_lines: list[pg.InfiniteLine] = []
        self.name = ""

    def clear(self) -> None:
        for line in self.lines:
            self.plot.removeItem(line)
        for line in self._overview_lines:
            self.overview.removeItem(line)
        self.lines, self._overview_lines = [], []

    def set(self, rows: Sequence[SeizureRow], name: str) -> None:
        self.clear()
        self.name = name
        for i, row in enumerate(rows):
            for field in SEIZURE_TIME_FIELDS:
                t = row.time(field)
                if t is None:
                    continue
                color = muted(MARKER_COLORS[field])
                label = f"{name}: {MARKER_LABELS[field]} {i + 1}"
                line = pg.InfiniteLine(pos=float(t), angle=90, movable=False,
                                       pen=pg.mkPen(color, width=1.5, style=Qt.DashLine), label=label,
                                       labelOpts={"position": COMPARISON_LABEL_HEIGHTS[field], "color": "#111316",
                                                  "fill": muted(MARKER_COLORS[field], 200), "movable": False,
                                                  "anchors": [(0, 0.5), (0, 0.5)]})
                line.setZValue(18)  # under the open marks (20), over the trace
                line.setToolTip(f"{name}'s {MARKER_LABELS[field]} of seizure {i + 1} at {format_time(t)} "
                                "(read-only comparison)")
                line.kind, line.seizure_index = field, i
                self.plot.addItem(line, ignoreBounds=True)
                self.lines.append(line)
                o = pg.InfiniteLine(pos=float(t), angle=90, movable=False,
                                    pen=pg.mkPen(color, width=1, style=Qt.DashLine))
                self.overview.addItem(o, ignoreBounds=True)
                self._overview_lines.append(o)


@dataclass(frozen=True)
class DisagreementRow:
    """One line of the list: where (seconds), what (text), the two values as shown."""

    time_s: float
    what: str
    mine: str
    theirs: str
    can_accept: bool = True


class DisagreementList(QWidget):
    """The disagreements with another reviewer's file.

    Signals: ``activated(int row)`` (click, Enter or Go to), ``acceptRequested(int row)``,
    ``consensusRequested(int row)``, ``closeRequested()``. ``setRows(name, rows)``,
    ``currentRow()`` (-> int | None), ``selectRow(i)``. Parts: ``table``, ``title``, buttons.
    """

    activated = Signal(int)
    acceptRequested = Signal(int)
    consensusRequested = Signal(int)
    closeRequested = Signal()

    COLUMNS = ("Time", "Disagreement", "Open labels", "Theirs")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        self.title = QLabel("No other reviewer loaded", self)
        self.title.setWordWrap(True)
        lay.addWidget(self.title)
        self.table = QTableWidget(0, len(self.COLUMNS), self)
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        for c in range(len(self.COLUMNS)):
            header.setSectionResizeMode(c, QHeaderView.Stretch if c == 1 else QHeaderView.ResizeToContents)
        self.table.setWordWrap(True)
        self.table.cellActivated.connect(lambda r, _c: self.activated.emit(r))
        self.table.cellClicked.connect(lambda r, _c: self.activated.emit(r))
        self.table.itemSelectionChanged.connect(self._update_buttons)
        lay.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.go_button = QPushButton("Go to", self)
        self.accept_button = QPushButton("Accept theirs", self)
        self.accept_button.setToolTip("Take the other reviewer's value into the open labels (one undo step); "
                                      "the edit records both reviewers' values")
        self.consensus_button = QPushButton("Consensus…", self)
        self.consensus_button.setToolTip("Type the value you agreed on; the edit records both reviewers' values")
        self.close_button = QPushButton("Close", self)
        self.close_button.setToolTip("Stop comparing (the other file is left as it is)")
        for b in (self.go_button, self.accept_button, self.consensus_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        lay.addLayout(buttons)
        self.go_button.clicked.connect(lambda: self._emit_current(self.activated))
        self.accept_button.clicked.connect(lambda: self._emit_current(self.acceptRequested))
        self.consensus_button.clicked.connect(lambda: self._emit_current(self.consensusRequested))
        self.close_button.clicked.connect(self.closeRequested.emit)
        self._rows: list[DisagreementRow] = []

    def _emit_current(self, signal) -> None:
        row = self.currentRow()
        if row is not None:
            signal.emit(row)

    def setRows(self, title: str, rows: Sequence[DisagreementRow]) -> None:
        keep = self.currentRow()
        self._rows = list(rows)
        self.title.setText(title)
        self.table.setRowCount(len(self._rows))
        for i, r in enumerate(self._rows):
            for c, text in enumerate((format_time(r.time_s), r.what, r.mine, r.theirs)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(i, c, item)
        self.table.resizeRowsToContents()
        if keep is not None and self._rows:
            self.selectRow(min(keep, len(self._rows) - 1))
        self._update_buttons()

    def rowCount(self) -> int:
        return len(self._rows)

    def rowText(self, i: int) -> tuple[str, ...]:
        return tuple(self.table.item(i, c).text() for c in range(len(self.COLUMNS)))

    def currentRow(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def selectRow(self, i: int) -> None:
        if 0 <= i < len(self._rows):
            self.table.selectRow(i)
        self._update_buttons()

    def _update_buttons(self) -> None:
        row = self.currentRow()
        ok = row is not None and row < len(self._rows)
        self.go_button.setEnabled(ok)
        self.accept_button.setEnabled(ok and self._rows[row].can_accept)
        self.consensus_button.setEnabled(ok and self._rows[row].can_accept)


__all__ = ["ComparisonMarkers", "DisagreementList", "DisagreementRow", "muted"]

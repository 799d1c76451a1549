"""The flagged-events table: start, duration, peak probability, review status and kind."""
from __future__ import annotations

from dataclasses import replace
from typing import Optional, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from .display_data import FORECAST_ALARM, NEEDS_REVIEW, PARTLY_REVIEWED, STATUS_COLORS, UNREVIEWED, EventRow
from .timefmt import format_position
from .wording import plural

# Status right after the start: on a narrow window it must stay visible without scrolling.
COLUMNS = ("#", "Start", "Status", "Duration", "Peak", "Kind")
COL_INDEX, COL_START, COL_STATUS, COL_DURATION, COL_PEAK, COL_KIND = range(len(COLUMNS))
SORT_ROLE = Qt.UserRole + 1


def kind_text(row: EventRow) -> str:
    if row.kind == FORECAST_ALARM and row.lead_time_s is not None:
        return f"{row.kind} (lead {row.lead_time_s:.1f} s)"
    return row.kind


class EventTableModel(QAbstractTableModel):
    """Rows of :class:`EventRow`. ``setEvents(rows)``, ``setStatus(row, status)``, ``eventRow(row)``."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[EventRow] = []

    def setEvents(self, rows: Sequence[EventRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def events(self) -> list[EventRow]:
        return list(self._rows)

    def eventRow(self, row: int) -> EventRow:
        return self._rows[row]

    def setStatus(self, row: int, status: str) -> None:
        self._rows[row] = replace(self._rows[row], status=status)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        r, c = self._rows[index.row()], index.column()
        if role == Qt.DisplayRole:
            return (str(index.row() + 1), format_position(r.start_s), r.status, f"{r.duration_s:.1f} s",
                    f"{r.peak_prob:.2f}", kind_text(r))[c]
        if role == SORT_ROLE:
            return (index.row(), r.start_s, r.status, r.duration_s, r.peak_prob, r.kind)[c]
        if role == Qt.ForegroundRole and c == COL_STATUS:
            return QColor(STATUS_COLORS.get(r.status, "#cccccc"))
        if role == Qt.TextAlignmentRole:
            return int(Qt.AlignRight | Qt.AlignVCenter) if c in (COL_INDEX, COL_DURATION, COL_PEAK) else int(Qt.AlignLeft | Qt.AlignVCenter)
        if role == Qt.ToolTipRole:
            return (f"{format_position(r.start_s)} – {format_position(r.end_s)}, peak {r.peak_prob:.3f}, {r.status}, "
                    f"{kind_text(r)}")
        return None


class _UnreviewedFilter(QSortFilterProxyModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.only_unreviewed = False
        self.semiology = ""  # only events whose seizures have this type or sign ("": all)
        self.setSortRole(SORT_ROLE)

    def setOnlyUnreviewed(self, on: bool) -> None:
        self.refilter(lambda: setattr(self, "only_unreviewed", bool(on)))

    def refilter(self, change=lambda: None) -> None:
        # Qt >= 6.9 wants begin/endFilterChange around the change; older Qt has invalidateFilter.
        if hasattr(self, "beginFilterChange"):
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            change()
            self.invalidateFilter()

    def setSemiology(self, tag: str) -> None:
        self.refilter(lambda: setattr(self, "semiology", tag))

    def filterAcceptsRow(self, source_row, source_parent):
        row = self.sourceModel().eventRow(source_row)
        if self.semiology and self.semiology not in row.semiology:
            return False
        return not self.only_unreviewed or row.status in NEEDS_REVIEW  # partly reviewed too


class EventList(QWidget):
    """Table of flagged events with an "only unreviewed" filter.

    Signal ``eventActivated(int row)`` (source row, i.e. the index into the list given to
    ``setEvents``) on click or Enter. Methods: ``setEvents(list[EventRow])``,
    ``setStatus(row, status)``, ``setOnlyUnreviewed(bool)``, ``selectRow(row)``, ``currentRow()``
    (-> int | None), ``nextRow(row=None)`` / ``previousRow(row=None)`` (the neighbour among the
    rows shown, in start-time order; None at the end), ``rowAfter(t)`` / ``rowBefore(t)`` (first
    shown event starting after / last starting before ``t``). Parts: ``model``, ``proxy``, ``view``.
    """

    eventActivated = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = EventTableModel(self)
        self.proxy = _UnreviewedFilter(self)
        self.proxy.setSourceModel(self.model)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        head = QHBoxLayout()
        head.setContentsMargins(4, 2, 4, 2)
        self.count_label = QLabel(self)
        head.addWidget(self.count_label)
        head.addStretch(1)
        self.filter_check = QCheckBox("Only unreviewed", self)
        self.filter_check.toggled.connect(self.setOnlyUnreviewed)
        head.addWidget(self.filter_check)
        self.semiology_box = QComboBox(self)
        self.semiology_box.setToolTip("Only events overlapping a seizure of this type or with this sign")
        self.semiology_box.setFocusPolicy(Qt.NoFocus)
        self.semiology_box.currentIndexChanged.connect(
            lambda _i: self.setSemiologyFilter(self.semiology_box.currentData() or ""))
        self.semiology_box.hide()  # until some event has semiology
        lay.addLayout(head)
        lay.addWidget(self.semiology_box)
        self.view = QTableView(self)
        self.view.setModel(self.proxy)
        self.view.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.horizontalHeader().setStretchLastSection(False)
        # Widths fitted to the contents by ``_fit_columns``, without the sort arrow's room in every
        # header (Qt's ResizeToContents): all six columns fit a 400 px side panel.
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(COL_START, Qt.AscendingOrder)
        self.view.clicked.connect(self._on_clicked)
        self.view.activated.connect(self._on_clicked)
        lay.addWidget(self.view, 1)
        self._update_count()

    def setEvents(self, rows: Sequence[EventRow]) -> None:
        keep = self.currentRow()
        self.model.setEvents(rows)
        self._fill_semiology(rows)
        if keep is not None and keep < len(rows):
            self.selectRow(keep)
        self._update_count()
        self._fit_columns()

    def _fit_columns(self) -> None:
        hh, fm = self.view.horizontalHeader(), self.view.fontMetrics()
        for c in range(len(COLUMNS)):
            arrow = 16 if c == hh.sortIndicatorSection() else 0
            hh.resizeSection(c, max(self.view.sizeHintForColumn(c), fm.horizontalAdvance(COLUMNS[c]) + 14 + arrow))

    def setStatus(self, row: int, status: str) -> None:
        self.proxy.refilter(lambda: self.model.setStatus(row, status))
        self._update_count()

    def _fill_semiology(self, rows: Sequence[EventRow]) -> None:
        tags = sorted({t for r in rows for t in r.semiology})
        current = self.proxy.semiology
        box = self.semiology_box
        box.blockSignals(True)
        box.clear()
        box.addItem("All semiology", "")
        for t in tags:
            box.addItem(t, t)
        box.setCurrentIndex(max(box.findData(current), 0))
        box.blockSignals(False)
        box.setVisible(bool(tags))
        if current and current not in tags:
            self.setSemiologyFilter("")

    def setSemiologyFilter(self, tag: str) -> None:  # noqa: N802
        """Only events overlapping a seizure with this ILAE type or sign label ("": all)."""
        self.proxy.setSemiology(tag)
        index = self.semiology_box.findData(tag)
        if index >= 0 and index != self.semiology_box.currentIndex():
            self.semiology_box.blockSignals(True)
            self.semiology_box.setCurrentIndex(index)
            self.semiology_box.blockSignals(False)
        self._update_count()

    def setOnlyUnreviewed(self, on: bool) -> None:
        if self.filter_check.isChecked() != bool(on):
            self.filter_check.setChecked(bool(on))
            return
        self.proxy.setOnlyUnreviewed(on)
        self._update_count()

    def visibleRows(self) -> list[int]:
        """Source rows shown (after the filter), in start-time order."""
        rows = [self.proxy.mapToSource(self.proxy.index(i, 0)).row() for i in range(self.proxy.rowCount())]
        return sorted(rows, key=lambda r: (self.model.eventRow(r).start_s, r))

    def selectRow(self, row: Optional[int]) -> None:
        if row is None:
            self.view.clearSelection()
            return
        idx = self.proxy.mapFromSource(self.model.index(row, 0))
        if idx.isValid():
            self.view.selectRow(idx.row())
            self.view.scrollTo(idx)

    def currentRow(self) -> Optional[int]:
        sel = self.view.selectionModel().selectedRows()
        return self.proxy.mapToSource(sel[0]).row() if sel else None

    def nextRow(self, row: Optional[int] = None) -> Optional[int]:
        rows = self.visibleRows()
        row = self.currentRow() if row is None else row
        if row is None:
            return rows[0] if rows else None
        t = self.model.eventRow(row).start_s
        later = [r for r in rows if (self.model.eventRow(r).start_s, r) > (t, row)]
        return later[0] if later else None

    def previousRow(self, row: Optional[int] = None) -> Optional[int]:
        rows = self.visibleRows()
        row = self.currentRow() if row is None else row
        if row is None:
            return rows[-1] if rows else None
        t = self.model.eventRow(row).start_s
        earlier = [r for r in rows if (self.model.eventRow(r).start_s, r) < (t, row)]
        return earlier[-1] if earlier else None

    def rowAfter(self, t: float) -> Optional[int]:
        later = [r for r in self.visibleRows() if self.model.eventRow(r).start_s > t + 1e-9]
        return later[0] if later else None

    def rowBefore(self, t: float) -> Optional[int]:
        earlier = [r for r in self.visibleRows() if self.model.eventRow(r).start_s < t - 1e-9]
        return earlier[-1] if earlier else None

    def _on_clicked(self, proxy_index) -> None:
        if proxy_index.isValid():
            self.eventActivated.emit(self.proxy.mapToSource(proxy_index).row())

    def _update_count(self) -> None:
        rows = self.model.events()
        unreviewed = sum(1 for r in rows if r.status == UNREVIEWED)
        partly = sum(1 for r in rows if r.status == PARTLY_REVIEWED)
        self.count_label.setText(f"{plural(len(rows), 'event')}, {unreviewed} unreviewed")
        if partly:
            self.count_label.setText(f"{self.count_label.text()}, {partly} partly reviewed")

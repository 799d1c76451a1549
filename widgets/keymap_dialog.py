"""Help -> Keyboard: renders the app's key-map table (the one table the shortcuts are built from)."""
from __future__ import annotations

from typing import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


def native_key_text(sequence: str) -> str:
    """``"Ctrl+Shift+Z"`` as the platform writes it (e.g. ``⇧⌘Z`` on macOS); unchanged if unparsable."""
    ks = QKeySequence(sequence)
    text = ks.toString(QKeySequence.NativeText)
    return text or sequence


class KeymapDialog(QDialog):
    """A searchable table of ``(action, key sequence, description)`` rows, and below it what
    the mouse does, ``(where, gesture, what)`` rows.

    ``KeymapDialog(rows, parent=None, mouse_rows=())``; ``table`` (QTableWidget),
    ``mouse_table``, ``filter_edit`` (QLineEdit: hides rows of both tables that do not contain
    the text), ``visibleRowCount()`` (keyboard rows shown).
    """

    def __init__(self, rows: Sequence[tuple[str, str, str]], parent: QWidget | None = None,
                 mouse_rows: Sequence[tuple[str, str, str]] = ()):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts and mouse")
        self.rows = [tuple(str(x) for x in r) for r in rows]
        self.mouse_rows = [tuple(str(x) for x in r) for r in mouse_rows]
        lay = QVBoxLayout(self)
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._apply_filter)
        lay.addWidget(self.filter_edit)
        self.table = QTableWidget(len(self.rows), 3, self)
        self.table.setHorizontalHeaderLabels(["Action", "Key", "Description"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setAlternatingRowColors(True)
        for i, (action, key, desc) in enumerate(self.rows):
            self.table.setItem(i, 0, QTableWidgetItem(action))
            key_item = QTableWidgetItem(native_key_text(key))
            key_item.setTextAlignment(Qt.AlignCenter)
            font = key_item.font()
            font.setBold(True)
            key_item.setFont(font)
            self.table.setItem(i, 1, key_item)
            desc_item = QTableWidgetItem(desc)
            desc_item.setToolTip(desc)
            self.table.setItem(i, 2, desc_item)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(0, QHeaderView.ResizeToContents)
        hh.setSectionResizeMode(1, QHeaderView.ResizeToContents)
        hh.setSectionResizeMode(2, QHeaderView.Stretch)
        lay.addWidget(self.table, 2)
        self.mouse_table = self._mouse_table()
        if self.mouse_rows:
            lay.addWidget(QLabel("Mouse", self))
            lay.addWidget(self.mouse_table, 1)
        else:
            self.mouse_table.hide()
        box = QDialogButtonBox(QDialogButtonBox.Close, self)
        box.rejected.connect(self.reject)
        box.accepted.connect(self.accept)
        lay.addWidget(box)
        # Long descriptions wrap instead of ending in "…"; rows grow to fit them.
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.ElideNone)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.resize(860, min(760, 150 + 31 * (len(self.rows) + len(self.mouse_rows))))

    def _mouse_table(self) -> QTableWidget:
        table = QTableWidget(len(self.mouse_rows), 3, self)
        table.setHorizontalHeaderLabels(["Where", "Mouse", "What it does"])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectRows)
        table.setAlternatingRowColors(True)
        table.setWordWrap(True)
        table.setTextElideMode(Qt.ElideNone)
        for i, row in enumerate(self.mouse_rows):
            for col, text in enumerate(row):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                table.setItem(i, col, item)
        hh = table.horizontalHeader()
        hh.setSectionResizeMode(0, QHeaderView.ResizeToContents)
        hh.setSectionResizeMode(1, QHeaderView.ResizeToContents)
        hh.setSectionResizeMode(2, QHeaderView.Stretch)
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        return table

    def visibleRowCount(self) -> int:
        return sum(1 for i in range(self.table.rowCount()) if not self.table.isRowHidden(i))

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for i, row in enumerate(self.rows):
            hay = " ".join(row).lower() + " " + self.table.item(i, 1).text().lower()
            self.table.setRowHidden(i, bool(needle) and needle not in hay)
        for i, row in enumerate(self.mouse_rows):
            self.mouse_table.setRowHidden(i, bool(needle) and needle not in " ".join(row).lower())

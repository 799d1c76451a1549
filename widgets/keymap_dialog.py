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
    """A searchable table of ``(action, key sequence, description)`` rows.

    ``KeymapDialog(rows, parent=None)``; ``table`` (QTableWidget), ``filter_edit`` (QLineEdit:
    hides rows whose action/key/description do not contain the text), ``visibleRowCount()``.
    """

    def __init__(self, rows: Sequence[tuple[str, str, str]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.rows = [tuple(str(x) for x in r) for r in rows]
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
        lay.addWidget(self.table, 1)
        box = QDialogButtonBox(QDialogButtonBox.Close, self)
        box.rejected.connect(self.reject)
        box.accepted.connect(self.accept)
        lay.addWidget(box)
        # Long descriptions wrap instead of ending in "…"; rows grow to fit them.
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.ElideNone)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.resize(860, min(760, 150 + 31 * len(self.rows)))

    def visibleRowCount(self) -> int:
        return sum(1 for i in range(self.table.rowCount()) if not self.table.isRowHidden(i))

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for i, row in enumerate(self.rows):
            hay = " ".join(row).lower() + " " + self.table.item(i, 1).text().lower()
            self.table.setRowHidden(i, bool(needle) and needle not in hay)

"""One seizure's semiology: its ILAE type and awareness, and the ordered signs, each with time,
body part and laterality. Plain values in, signals out; the app stores the edits.

The sign to add next (term, body part, laterality) is chosen once in the three boxes; ``G``
(or "Add sign at cursor") then places it at the frame on screen, so a reviewer stepping through
a seizure adds "clonic, left arm" at 72.4 s, "versive, head, right" at 80.0 s... in one key each.

Signals: ``typeChanged(str ilae_type, str awareness)``, ``signAddRequested(str term, str
body_part, str laterality)``, ``signDeleteRequested(str sign_id)``, ``signActivated(float t)``.
Setters: ``setSeizure(title | None, ilae_type, awareness, signs)`` (None: no seizure chosen).
"""
from __future__ import annotations

from typing import Optional, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inference.dataset.semiology import AWARENESS, AWARENESS_LABELS, BODY_PARTS, ILAE_TYPES, LATERALITY, SIGNS

from .timefmt import format_position


def _grouped_combo(parent: QWidget, items: dict[str, tuple[str, str]], empty: str) -> QComboBox:
    """A combo with a disabled heading before each group (ILAE types, signs)."""
    box = QComboBox(parent)
    box.addItem(empty, "")
    model: QStandardItemModel = box.model()
    group = None
    for key, (g, label) in items.items():
        if g != group:
            group = g
            box.addItem(f"— {g} —", None)
            model.item(box.count() - 1).setEnabled(False)
        box.addItem(label, key)
    box.setFocusPolicy(Qt.NoFocus)  # single-key shortcuts stay with the window
    # Long names ("Generalized myoclonic-tonic-clonic") drop down in full; the closed box stays
    # narrow so the side panel fits a small screen.
    box.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(8)
    return box


def _plain_combo(parent: QWidget, values: Sequence[str], empty: str, labels: Optional[dict] = None) -> QComboBox:
    box = QComboBox(parent)
    for v in values:
        box.addItem((labels or {}).get(v, v) if v else empty, v)
    box.setFocusPolicy(Qt.NoFocus)
    box.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(5)
    return box


class SemiologyPanel(QWidget):
    typeChanged = Signal(str, str)
    signAddRequested = Signal(str, str, str)
    signDeleteRequested = Signal(str)
    signActivated = Signal(float)

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self._updating = False
        self._sign_ids: list[str] = []
        self._sign_times: list[float] = []
        self.title = QLabel("Semiology: select a seizure (or stand inside one)", self)
        self.title.setWordWrap(True)
        self.type_box = _grouped_combo(self, ILAE_TYPES, "ILAE type: not classified")
        self.type_box.setToolTip("ILAE 2017 seizure type (2025 wording); the training type follows while it is unknown")
        self.awareness_box = _plain_combo(self, ("",) + AWARENESS, "awareness: —", AWARENESS_LABELS)
        self.awareness_box.setToolTip("Focal seizures: awareness (consciousness) preserved or impaired")
        self.type_box.currentIndexChanged.connect(self._on_type)
        self.awareness_box.currentIndexChanged.connect(self._on_type)
        self.term_box = _grouped_combo(self, SIGNS, "sign…")
        self.term_box.setCurrentIndex(self.term_box.findData("clonic"))
        self.body_box = _plain_combo(self, BODY_PARTS, "body part —")
        self.side_box = _plain_combo(self, LATERALITY, "side —")
        self.add_button = QPushButton("Add sign at cursor (G)", self)
        self.add_button.setToolTip("Add the sign chosen on the left at the frame on screen")
        self.add_button.setFocusPolicy(Qt.NoFocus)
        self.add_button.clicked.connect(self.requestAdd)
        self.delete_button = QPushButton("Delete sign", self)
        self.delete_button.setFocusPolicy(Qt.NoFocus)
        self.delete_button.clicked.connect(self._on_delete)
        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels(["Time", "Sign", "Where"])
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.cellClicked.connect(self._on_cell_clicked)
        self.table.setMinimumHeight(48)

        grid = QGridLayout()
        grid.setContentsMargins(4, 2, 4, 2)
        grid.addWidget(self.type_box, 0, 0, 1, 2)
        grid.addWidget(self.awareness_box, 0, 2)
        grid.addWidget(self.term_box, 1, 0)
        grid.addWidget(self.body_box, 1, 1)
        grid.addWidget(self.side_box, 1, 2)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(4, 0, 4, 2)
        buttons.addStretch(1)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.delete_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.title)
        lay.addLayout(grid)
        lay.addWidget(self.table, 1)
        lay.addLayout(buttons)
        self.setSeizure(None)

    # -- setters ---------------------------------------------------------------------------
    def setSeizure(self, title: Optional[str], ilae_type: str = "", awareness: str = "",  # noqa: N802
                   signs: Sequence = ()) -> None:
        """Show one seizure (``signs``: objects with id, term, time_s, body_part, laterality and
        label, in time order); ``title`` None: none chosen, the controls are disabled."""
        self._updating = True
        try:
            on = title is not None
            self.title.setText(f"Semiology of {title}" if on else "Semiology: select a seizure (or stand inside one)")
            for w in (self.type_box, self.awareness_box, self.add_button, self.delete_button, self.table):
                w.setEnabled(on)
            self.type_box.setCurrentIndex(max(self.type_box.findData(ilae_type or ""), 0))
            self.awareness_box.setCurrentIndex(max(self.awareness_box.findData(awareness or ""), 0))
            self._enable_awareness()
            self.table.setRowCount(len(signs))
            self._sign_ids = [g.id for g in signs]
            self._sign_times = [float(g.time_s) for g in signs]
            for r, g in enumerate(signs):
                where = " ".join(p for p in (g.laterality, g.body_part) if p) or "—"
                for c, text in enumerate((format_position(g.time_s), SIGNS[g.term][1], where)):
                    item = QTableWidgetItem(text)
                    item.setToolTip(g.label)
                    self.table.setItem(r, c, item)
        finally:
            self._updating = False

    def nextSign(self) -> tuple[str, str, str]:  # noqa: N802
        """The sign ``G`` adds: (term, body part, laterality)."""
        return (self.term_box.currentData() or "", self.body_box.currentData() or "",
                self.side_box.currentData() or "")

    def setNextSign(self, term: str, body_part: str = "", laterality: str = "") -> None:  # noqa: N802
        for box, value in ((self.term_box, term), (self.body_box, body_part), (self.side_box, laterality)):
            box.setCurrentIndex(max(box.findData(value), 0))

    def requestAdd(self) -> None:  # noqa: N802
        term, body, side = self.nextSign()
        if term:
            self.signAddRequested.emit(term, body, side)

    def signIds(self) -> list[str]:  # noqa: N802
        return list(self._sign_ids)

    # -- internals -------------------------------------------------------------------------
    def _enable_awareness(self) -> None:
        key = self.type_box.currentData() or ""
        self.awareness_box.setEnabled(key.startswith("focal") and key != "focal_to_bilateral_tonic_clonic")

    def _on_type(self, _index: int) -> None:
        self._enable_awareness()
        if not self._updating:
            awareness = self.awareness_box.currentData() or "" if self.awareness_box.isEnabled() else ""
            self.typeChanged.emit(self.type_box.currentData() or "", awareness)

    def _on_delete(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows and rows[0].row() < len(self._sign_ids):
            self.signDeleteRequested.emit(self._sign_ids[rows[0].row()])

    def _on_cell_clicked(self, row: int, _col: int) -> None:
        if row < len(self._sign_times):
            self.signActivated.emit(self._sign_times[row])


__all__ = ["SemiologyPanel"]

"""The seizures of a recording, each with EEG onset, clinical onset, end and type, edited to the
frame in spin boxes. A time the detector proposed (nobody has set or accepted it yet) shows in
italics with a "?" in the row's number; a refused edit leaves its reason in a warning banner."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inference.dataset.manifest import NO_SEIZURE, SEIZURE_TYPES

from .display_data import CLINICAL_ONSET, EEG_ONSET, SEIZURE_END, SEIZURE_TIME_FIELDS, SEIZURE_TYPE, SeizureRow
from .timefmt import format_time, parse_time

UNSET_TEXT = "—"
PROPOSED_STYLE = "QDoubleSpinBox { font-style: italic; color: #ffcc80; }"  # a machine proposal
WARNING_STYLE = "QLabel { background: #5a4a17; color: #fff3cf; padding: 4px; border-radius: 3px; }"
FIELD_TITLES = {EEG_ONSET: "EEG onset", CLINICAL_ONSET: "Clinical onset", SEIZURE_END: "End"}
DEFAULT_TYPES = tuple(t for t in SEIZURE_TYPES if t != NO_SEIZURE)


class FrameTimeSpinBox(QDoubleSpinBox):
    """Seconds shown as hh:mm:ss.fff; the arrows step exactly one frame.

    Steps land on the video's frame times when given (``setFrameTimes``), else on multiples of
    ``1 / fps`` (``setFps``), so 30 steps at 30 fps are exactly 1 s, not 0.999. The minimum value
    (one step below 0) means "not set" and shows as "—". ``timeValue()`` -> float | None.
    Typing accepts hh:mm:ss.fff, mm:ss.fff or seconds.
    """

    def __init__(self, parent: QWidget | None = None, fps: float = 30.0):
        super().__init__(parent)
        self._frame_times: Optional[np.ndarray] = None
        self.setDecimals(3)
        self.setKeyboardTracking(False)  # valueChanged on Enter/steps, not on every keystroke
        self.setSpecialValueText(UNSET_TEXT)
        self.setAccelerated(True)
        self.setFps(fps)
        self.setMaximum(10 * 24 * 3600.0)
        self.setValue(self.minimum())

    def setFps(self, fps: float) -> None:
        self._fps = float(fps)
        self.setSingleStep(1.0 / self._fps)
        self.setMinimum(-round(1.0 / self._fps, 3))

    def setFrameTimes(self, times) -> None:
        self._frame_times = None if times is None else np.asarray(times, dtype=np.float64)

    def isSet(self) -> bool:
        return self.value() > self.minimum()

    def timeValue(self) -> Optional[float]:
        return float(self.value()) if self.isSet() else None

    def setTimeValue(self, t: Optional[float]) -> None:
        self.setValue(self.minimum() if t is None else float(t))

    def stepBy(self, steps: int) -> None:
        if not self.isSet():
            self.setValue(0.0 if steps > 0 else self.minimum())
            return
        v = float(self.value())
        ft = self._frame_times
        if ft is not None and len(ft):
            i = int(np.argmin(np.abs(ft - v)))
            j = i + steps
            if j < 0:
                self.setValue(self.minimum() if i == 0 else float(ft[0]))
                return
            self.setValue(float(ft[min(j, len(ft) - 1)]))
            return
        k = int(round(v * self._fps)) + steps
        self.setValue(self.minimum() if k < 0 else k / self._fps)

    def textFromValue(self, value: float) -> str:
        return format_time(value)

    def valueFromText(self, text: str) -> float:
        s = text.strip()
        if s in ("", UNSET_TEXT):
            return self.minimum()
        try:
            return parse_time(s)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        s = text.strip()
        if s in ("", UNSET_TEXT):
            return QValidator.Intermediate, text, pos
        try:
            parse_time(s)
            return QValidator.Acceptable, text, pos
        except ValueError:
            ok = all(ch.isdigit() or ch in ":." for ch in s)
            return (QValidator.Intermediate if ok else QValidator.Invalid), text, pos

    def fixup(self, text: str) -> str:
        return format_time(self.value())


class AnnotationPanel(QWidget):
    """One row per seizure: EEG onset, clinical onset, end (frame-precise spin boxes) and type.

    Signals:
      - ``edited(int seizure_index, str field, object value)``: a user edit; ``field`` is
        ``"eeg_onset_s"``, ``"clinical_onset_s"``, ``"end_s"`` (value float | None) or
        ``"seizure_type"`` (value str). Never emitted by the setters.
      - ``addRequested()``, ``deleteRequested(int seizure_index)``: buttons; the app does the edit.
      - ``acceptRequested()``: the "Accept proposal" button (the app accepts the selected
        seizure's proposed times).
      - ``seizureActivated(int seizure_index, float t)``: the row's first known time, on a click of
        its number (to seek there).

    Setters: ``setSeizures(list[SeizureRow])`` (rebuilds rows), ``updateSeizure(i, SeizureRow)``
    (values only), ``setFps(fps)``, ``setFrameTimes(times [F])``, ``setTypes(names)``,
    ``setWarning(text)`` ("" hides the banner). ``spin(i, field)`` -> FrameTimeSpinBox,
    ``typeCombo(i)`` -> QComboBox, ``selectedIndex()``, ``isProposed(i, field)``, ``warning()``.
    """

    edited = Signal(int, str, object)
    addRequested = Signal()
    deleteRequested = Signal(int)
    acceptRequested = Signal()
    seizureActivated = Signal(int, float)

    def __init__(self, parent: QWidget | None = None, fps: float = 30.0,
                 types: Sequence[str] = DEFAULT_TYPES):
        super().__init__(parent)
        self._fps = float(fps)
        self._frame_times: Optional[np.ndarray] = None
        self._types = list(types)
        self._seizures: list[SeizureRow] = []
        self._updating = False
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        self.warning_label = QLabel(self)
        self.warning_label.setWordWrap(True)
        self.warning_label.setStyleSheet(WARNING_STYLE)
        self.warning_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.warning_label.hide()
        lay.addWidget(self.warning_label)
        self.table = QTableWidget(0, 5, self)
        self.table.setHorizontalHeaderLabels(["#", FIELD_TITLES[EEG_ONSET], FIELD_TITLES[CLINICAL_ONSET],
                                              FIELD_TITLES[SEIZURE_END], "Type"])
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        hh = self.table.horizontalHeader()
        # Columns as wide as their spin boxes (a time must never lose its milliseconds); a narrow
        # panel scrolls sideways instead, and a wide one gives the slack to the last column.
        hh.setSectionResizeMode(QHeaderView.ResizeToContents)
        hh.setStretchLastSection(True)
        self.table.cellClicked.connect(self._on_cell_clicked)
        lay.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(4, 0, 4, 2)
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)  # wraps rather than widening a narrow side panel
        buttons.addWidget(self.hint, 1)
        self.add_button = QPushButton("Add seizure", self)
        self.add_button.clicked.connect(self.addRequested.emit)
        self.delete_button = QPushButton("Delete", self)
        self.delete_button.clicked.connect(self._on_delete)
        self.accept_button = QPushButton("Accept proposal", self)
        self.accept_button.setToolTip("The detector's proposed times (in italics, ? in the number) of the "
                                      "selected seizure become yours as they are (A)")
        self.accept_button.clicked.connect(self.acceptRequested.emit)
        self.accept_button.setEnabled(False)
        buttons.addWidget(self.accept_button)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.delete_button)
        lay.addLayout(buttons)
        self._update_hint()

    # --- setters ---
    def setFps(self, fps: float) -> None:
        self._fps = float(fps)
        for sb in self._spins():
            sb.setFps(self._fps)
        self._update_hint()

    def setFrameTimes(self, times) -> None:
        self._frame_times = None if times is None else np.asarray(times, dtype=np.float64)
        for sb in self._spins():
            sb.setFrameTimes(self._frame_times)

    def setTypes(self, names: Sequence[str]) -> None:
        self._types = list(names)
        self.setSeizures(self._seizures)

    def setSeizures(self, seizures: Sequence[SeizureRow]) -> None:
        keep = self.selectedIndex()
        self._seizures = list(seizures)
        self._updating = True
        try:
            self.table.setRowCount(len(self._seizures))
            for i, sz in enumerate(self._seizures):
                item = QTableWidgetItem(str(i + 1))
                item.setTextAlignment(Qt.AlignCenter)
                item.setToolTip("Click to go to this seizure")
                self.table.setItem(i, 0, item)
                self._show_number(i, sz)
                for col, field in enumerate(SEIZURE_TIME_FIELDS, start=1):
                    sb = FrameTimeSpinBox(self.table, self._fps)
                    sb.setFrameTimes(self._frame_times)
                    sb.setTimeValue(sz.time(field))
                    self._show_source(sb, field, sz)
                    sb.valueChanged.connect(lambda _v, i=i, f=field, sb=sb: self._on_time_edited(i, f, sb))
                    self.table.setCellWidget(i, col, sb)
                combo = QComboBox(self.table)
                names = list(self._types)
                if sz.seizure_type not in names:
                    names.append(sz.seizure_type)
                combo.addItems(names)
                combo.setCurrentText(sz.seizure_type)
                combo.currentTextChanged.connect(lambda text, i=i: self._on_type_edited(i, text))
                self.table.setCellWidget(i, 4, combo)
        finally:
            self._updating = False
        if keep is not None and keep < len(self._seizures):
            self.table.selectRow(keep)
        self.delete_button.setEnabled(bool(self._seizures))
        self.accept_button.setEnabled(any(sz.proposed for sz in self._seizures))

    def updateSeizure(self, index: int, seizure: SeizureRow) -> None:
        """Refresh one row's values without rebuilding (e.g. after a marker drag or an undo)."""
        self._seizures[index] = seizure
        self._updating = True
        try:
            for field in SEIZURE_TIME_FIELDS:
                self.spin(index, field).setTimeValue(seizure.time(field))
                self._show_source(self.spin(index, field), field, seizure)
            self._show_number(index, seizure)
            self.typeCombo(index).setCurrentText(seizure.seizure_type)
        finally:
            self._updating = False

    # --- getters ---
    def seizureCount(self) -> int:
        return self.table.rowCount()

    def spin(self, index: int, field: str) -> FrameTimeSpinBox:
        return self.table.cellWidget(index, 1 + SEIZURE_TIME_FIELDS.index(field))

    def typeCombo(self, index: int) -> QComboBox:
        return self.table.cellWidget(index, 4)

    def isProposed(self, index: int, field: str) -> bool:
        """Whether row ``index`` shows ``field`` as the detector's proposal."""
        return bool(self.spin(index, field).property("proposed"))

    def setWarning(self, text: str) -> None:
        """A banner above the table that stays until replaced (a refused edit and why)."""
        self.warning_label.setText(text)
        self.warning_label.setVisible(bool(text))

    def warning(self) -> str:
        return self.warning_label.text() if not self.warning_label.isHidden() else ""  # the tab may be hidden

    def selectedIndex(self) -> Optional[int]:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    # --- internals ---
    def _spins(self):
        for i in range(self.table.rowCount()):
            for field in SEIZURE_TIME_FIELDS:
                yield self.spin(i, field)

    def _show_source(self, sb: FrameTimeSpinBox, field: str, sz: SeizureRow) -> None:
        proposed = sz.is_proposed(field)
        sb.setProperty("proposed", proposed)
        sb.setStyleSheet(PROPOSED_STYLE if proposed else "")
        tip = f"{FIELD_TITLES[field]}: arrows step one frame; type hh:mm:ss.fff or seconds"
        sb.setToolTip(f"Proposed by the detector, not yet set by a person (edit it, or Accept proposal). {tip}"
                      if proposed else tip)

    def _show_number(self, index: int, sz: SeizureRow) -> None:
        item = self.table.item(index, 0)
        if item is not None:
            item.setText(f"{index + 1}?" if sz.proposed else str(index + 1))
        self.accept_button.setEnabled(any(s.proposed for s in self._seizures))

    def _on_time_edited(self, index: int, field: str, sb: FrameTimeSpinBox) -> None:
        if not self._updating:
            self.edited.emit(index, field, sb.timeValue())

    def _on_type_edited(self, index: int, text: str) -> None:
        if not self._updating:
            self.edited.emit(index, SEIZURE_TYPE, text)

    def _on_delete(self) -> None:
        i = self.selectedIndex()
        if i is None and self.table.rowCount() == 1:
            i = 0
        if i is not None:
            self.deleteRequested.emit(i)

    def _on_cell_clicked(self, row: int, col: int) -> None:
        if col != 0 or row >= len(self._seizures):
            return
        sz = self._seizures[row]
        times = [sz.time(f) for f in SEIZURE_TIME_FIELDS if sz.time(f) is not None]
        if times:
            self.seizureActivated.emit(row, float(times[0]))

    def _update_hint(self) -> None:
        self.hint.setText(f"step = 1 frame ({1000.0 / self._fps:.1f} ms)")

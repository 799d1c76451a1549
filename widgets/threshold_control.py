"""The detection threshold as a typed value: a spin box beside the timeline's threshold line and
a button back to the analysis run's own threshold. The app records each change (undoable)."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QToolButton, QWidget


class ThresholdControl(QWidget):
    """``valueEdited(float)``: the reviewer typed or stepped a value (not emitted by ``setValue``);
    ``resetRequested()``: the reset button. ``setValue(v)``, ``value()``, ``setNote(text)`` (the
    tooltip: whose threshold it is). Parts: ``spin``, ``reset_button``."""

    valueEdited = Signal(float)
    resetRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(QLabel("Threshold", self))
        self.spin = QDoubleSpinBox(self)
        self.spin.setRange(0.0, 1.0)
        self.spin.setDecimals(2)
        self.spin.setSingleStep(0.01)
        self.spin.setKeyboardTracking(False)  # one change on Enter or a step, not per keystroke
        self.spin.setValue(0.5)
        self.spin.valueChanged.connect(self._on_changed)
        lay.addWidget(self.spin)
        self.reset_button = QToolButton(self)
        self.reset_button.setText("Reset")
        self.reset_button.setToolTip("Back to the threshold of the analysis run")
        self.reset_button.clicked.connect(self.resetRequested.emit)
        lay.addWidget(self.reset_button)
        self._setting = False

    def setValue(self, value: float) -> None:
        self._setting = True
        try:
            self.spin.setValue(float(value))
        finally:
            self._setting = False

    def value(self) -> float:
        return float(self.spin.value())

    def setNote(self, text: str) -> None:
        self.spin.setToolTip(text)

    def _on_changed(self, value: float) -> None:
        if not self._setting:
            self.valueEdited.emit(float(value))

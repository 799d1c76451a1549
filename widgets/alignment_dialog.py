"""The EEG clock alignment, shown and editable: offset, drift, the sync points it came from."""
from __future__ import annotations

from typing import Optional, Sequence

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .timefmt import format_time


class AlignmentDialog(QDialog):
    """``AlignmentDialog(offset_s, drift_ppm, provenance, points [(video_s, eeg_s, label)])``.
    After ``exec()``: ``offset_s()``, ``drift_ppm()``, and ``clear_requested`` (the user asked to
    drop the sync points and go back to the start times)."""

    def __init__(self, offset_s: float, drift_ppm: float, provenance: str,
                 points: Sequence[tuple[float, float, str]], parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setWindowTitle("EEG alignment")
        self.clear_requested = False
        self.offset_box = QDoubleSpinBox(self)
        self.offset_box.setRange(-86400.0 * 2, 86400.0 * 2)
        self.offset_box.setDecimals(4)
        self.offset_box.setSuffix(" s")
        self.offset_box.setValue(offset_s)
        self.drift_box = QDoubleSpinBox(self)
        self.drift_box.setRange(-1000.0, 1000.0)
        self.drift_box.setDecimals(2)
        self.drift_box.setSuffix(" ppm")
        self.drift_box.setValue(drift_ppm)
        form = QFormLayout()
        form.addRow("EEG time at the video's start", self.offset_box)
        form.addRow("Drift of the EEG clock", self.drift_box)
        lines = [f"{label or 'sync'}: video {format_time(v)} = EEG {format_time(e)}" for v, e, label in points]
        listing = QLabel("\n".join(lines) if lines else "No sync points: mark one with S on a tap or flash "
                                                          "(EEG cursor on the event, video on its frame).", self)
        listing.setWordWrap(True)
        source = QLabel(f"Now: {provenance}", self)
        source.setWordWrap(True)
        clear = QPushButton("Clear sync points (back to the start times)", self)
        clear.setEnabled(bool(points))
        clear.clicked.connect(self._clear)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(source)
        lay.addLayout(form)
        lay.addWidget(listing)
        lay.addWidget(clear)
        lay.addWidget(buttons)

    def _clear(self) -> None:
        self.clear_requested = True
        self.accept()

    def offset_s(self) -> float:
        return float(self.offset_box.value())

    def drift_ppm(self) -> float:
        return float(self.drift_box.value())


__all__ = ["AlignmentDialog"]

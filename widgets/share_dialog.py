"""File → Share clip: which stretch, how to de-identify it, where to write it."""
from __future__ import annotations

from typing import Optional, Sequence

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .annotation_panel import FrameTimeSpinBox

MODE_LABELS = {"blur-face": "Blur faces (keeps the body's movement)",
               "blur-body": "Blur everything, skeleton drawn over it",
               "skeleton": "Skeleton only, on black"}


class ShareDialog(QDialog):
    """``ShareDialog(start_s, end_s, duration_s, modes, folder)``; after ``exec()``: ``start_s()``,
    ``end_s()``, ``mode()``, ``folder()``."""

    def __init__(self, start_s: float, end_s: float, duration_s: float, modes: Sequence[str], folder: str,
                 fps: float = 30.0, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setWindowTitle("Share a de-identified clip")
        self.from_box, self.to_box = FrameTimeSpinBox(self, fps), FrameTimeSpinBox(self, fps)
        for box, value in ((self.from_box, start_s), (self.to_box, end_s)):
            box.setMaximum(duration_s)
            box.setTimeValue(value)
        self.mode_box = QComboBox(self)
        for m in modes:
            self.mode_box.addItem(MODE_LABELS.get(m, m), m)
        self.folder_edit = QLineEdit(folder, self)
        browse = QPushButton("…", self)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder_edit, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow("From", self.from_box)
        form.addRow("To", self.to_box)
        form.addRow("De-identify", self.mode_box)
        form.addRow("Into folder", row)
        note = QLabel("The clip gets a random name, no audio and no metadata; times start at 0. Which video "
                      "it came from is kept only on this computer. Blurring the face hides early facial "
                      "signs: look at the clip before you share it.", self)
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(note)
        lay.addWidget(buttons)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Share into folder", self.folder_edit.text())
        if path:
            self.folder_edit.setText(path)

    def start_s(self) -> float:
        return float(self.from_box.timeValue() or 0.0)

    def end_s(self) -> float:
        return float(self.to_box.timeValue() or 0.0)

    def mode(self) -> str:
        return str(self.mode_box.currentData())

    def folder(self) -> str:
        return self.folder_edit.text().strip()


__all__ = ["MODE_LABELS", "ShareDialog"]

"""Choosing an output folder that may not exist yet (an export): a typed path, with completion of
the folders that do exist, and Browse… for picking one; OK creates a new folder.

Qt's folder chooser refuses a typed name that does not exist ("Directory not found"), which is
exactly what an export into a new folder needs.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtCore import QDir, Qt
from PySide6.QtWidgets import (
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFileSystemModel,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class FolderDialog(QDialog):
    """``FolderDialog(parent, title, start)``; ``path_edit``, ``note`` (what OK will do, or why
    it cannot), ``selectedFolder()`` -> Path | None after OK (the folder exists then)."""

    def __init__(self, parent: Optional[QWidget], title: str, start: str | Path):
        super().__init__(parent)
        self.setWindowTitle(title)
        self._chosen: Optional[Path] = None
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Folder (type a new one to create it):", self))
        row = QHBoxLayout()
        self.path_edit = QLineEdit(str(start), self)
        model = QFileSystemModel(self)
        model.setFilter(QDir.AllDirs | QDir.NoDotAndDotDot)
        model.setRootPath("")
        completer = QCompleter(model, self)
        completer.setCaseSensitivity(Qt.CaseSensitive)
        self.path_edit.setCompleter(completer)
        self.path_edit.textChanged.connect(self._update_note)
        row.addWidget(self.path_edit, 1)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        row.addWidget(browse)
        lay.addLayout(row)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        lay.addWidget(self.note)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.resize(560, self.sizeHint().height())
        self._update_note()

    def _path(self) -> Optional[Path]:
        text = self.path_edit.text().strip()
        return Path(text).expanduser() if text else None

    def _update_note(self) -> None:
        p = self._path()
        if p is None:
            self.note.setText("Type or browse for a folder.")
        elif p.is_dir():
            self.note.setText("Existing folder: files of the same name in it are replaced.")
        elif p.exists():
            self.note.setText(f"{p} is a file, not a folder.")
        else:
            self.note.setText("New folder: it will be created.")
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(p is not None and not (p.exists() and not p.is_dir()))

    def _browse(self) -> None:
        p = self._path()
        start = str(p if p is not None and p.is_dir() else (p.parent if p is not None else Path.home()))
        chosen = QFileDialog.getExistingDirectory(self, self.windowTitle(), start)
        if chosen:
            self.path_edit.setText(chosen)

    def accept(self) -> None:
        p = self._path()
        if p is None:
            return
        try:
            p.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.note.setText(f"Cannot create {p}: {exc.strerror or exc}")
            return
        self._chosen = p
        super().accept()

    def selectedFolder(self) -> Optional[Path]:
        return self._chosen


def ask_folder(parent: Optional[QWidget], title: str, start: str | Path) -> Optional[Path]:
    """The folder chosen (created when new), None when cancelled."""
    dlg = FolderDialog(parent, title, start)
    return dlg.selectedFolder() if dlg.exec() == QDialog.Accepted else None

"""Keys that must reach the review window whatever widget has the keyboard.

Text fields claim keys before the window's shortcuts see them (Qt's ShortcutOverride): a spin
box takes Ctrl+Z for its own, empty, text undo, and a line edit may take Escape. Every widget of
the window that gains focus gets this filter, which lets no widget claim Escape (the window's
action then returns focus to the video) nor, in a spin box, undo / redo (the window's undo
stack then runs). Typing into a field is otherwise untouched.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QWidget

if TYPE_CHECKING:
    from app.main_window import MainWindow

_UNDO_REDO = (QKeySequence.StandardKey.Undo, QKeySequence.StandardKey.Redo)
_REDO_ALSO = QKeySequence("Ctrl+Y")


def _is_undo_redo(event) -> bool:
    if any(event.matches(k) for k in _UNDO_REDO):
        return True
    combo = QKeySequence(event.keyCombination())
    return combo.matches(_REDO_ALSO) == QKeySequence.SequenceMatch.ExactMatch


class FocusKeys(QObject):
    """``FocusKeys(win)``: filters the window's focused widgets from then on; ``release_focus()``
    gives the keyboard to the video."""

    def __init__(self, win: MainWindow):
        super().__init__(win)
        self.win = win
        self._filtered: set[int] = set()
        QApplication.instance().focusChanged.connect(self._on_focus_changed)

    def release_focus(self) -> None:
        self.win.video_view.setFocus(Qt.ShortcutFocusReason)

    def _on_focus_changed(self, _old, now) -> None:
        if not isinstance(now, QWidget) or now.window() is not self.win or id(now) in self._filtered:
            return
        self._filtered.add(id(now))
        now.destroyed.connect(lambda *_a, key=id(now): self._filtered.discard(key))
        now.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.ShortcutOverride:
            return False
        if event.key() == Qt.Key_Escape or (isinstance(obj, QAbstractSpinBox) and _is_undo_redo(event)):
            event.ignore()  # not claimed: the window's shortcut runs
            return True
        return False

"""The questions the review window asks before a label edit that needs a choice.

One function, called through this module (``label_questions.ask_choice(...)``) so tests can
replace it and answer without a dialog.
"""
from __future__ import annotations

from typing import Optional, Sequence

from PySide6.QtWidgets import QMessageBox, QWidget


def ask_choice(parent: Optional[QWidget], title: str, text: str, choices: Sequence[str]) -> Optional[str]:
    """A warning box with one button per choice plus Cancel; the first choice is the default.
    Returns the chosen text, None for Cancel / Escape."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Warning)
    box.setWindowTitle(title)
    box.setText(text)
    buttons = [box.addButton(c, QMessageBox.AcceptRole) for c in choices]
    cancel = box.addButton(QMessageBox.Cancel)
    box.setDefaultButton(buttons[0] if buttons else cancel)
    box.setEscapeButton(cancel)
    box.exec()
    clicked = box.clickedButton()
    return choices[buttons.index(clicked)] if clicked in buttons else None

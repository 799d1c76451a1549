"""A dark Fusion palette matching the plots' background, so tables, buttons and plots look like
one application. The app decides whether to use it (``apply_dark_theme(app)``)."""
from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from .plot_items import BACKGROUND, FOREGROUND


def dark_palette() -> QPalette:
    pal = QPalette()
    window, base, alt = QColor("#25282e"), QColor(BACKGROUND), QColor("#22262c")
    text, dim = QColor(FOREGROUND), QColor("#7d838c")
    accent = QColor("#3d7bd9")
    for group in (QPalette.Active, QPalette.Inactive):
        pal.setColor(group, QPalette.Window, window)
        pal.setColor(group, QPalette.WindowText, text)
        pal.setColor(group, QPalette.Base, base)
        pal.setColor(group, QPalette.AlternateBase, alt)
        pal.setColor(group, QPalette.ToolTipBase, QColor("#31353c"))
        pal.setColor(group, QPalette.ToolTipText, text)
        pal.setColor(group, QPalette.PlaceholderText, dim)
        pal.setColor(group, QPalette.Text, text)
        pal.setColor(group, QPalette.Button, QColor("#2f333a"))
        pal.setColor(group, QPalette.ButtonText, text)
        pal.setColor(group, QPalette.BrightText, QColor("#ffffff"))
        pal.setColor(group, QPalette.Highlight, accent)
        pal.setColor(group, QPalette.HighlightedText, QColor("#ffffff"))
        pal.setColor(group, QPalette.Link, QColor("#6aa8ff"))
        pal.setColor(group, QPalette.Mid, QColor("#3a3f47"))
        pal.setColor(group, QPalette.Dark, QColor("#16181c"))
        pal.setColor(group, QPalette.Light, QColor("#4a5059"))
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        pal.setColor(QPalette.Disabled, role, dim)
    pal.setColor(QPalette.Disabled, QPalette.Base, window)
    pal.setColor(QPalette.Disabled, QPalette.Button, window)
    return pal


def apply_dark_theme(app: QApplication) -> None:
    """Fusion style with :func:`dark_palette` (platform styles ignore parts of a palette)."""
    app.setStyle("Fusion")
    app.setPalette(dark_palette())

"""A small horizontal colour bar: what the heatmap's colours mean, with the scale's two ends."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QLinearGradient, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from .colors import attention_cmap, qcolor

BAR_PX = 110  # gradient width
LABEL_COLOR = QColor("#c8ccd2")


class ColorBar(QWidget):
    """``setRange(lo, hi)`` and ``setTitle(text)``: draws ``lo [gradient] hi`` (the title, what
    the colours measure, is in the tooltip: the widget beside it names it already).
    ``range()`` -> ``(lo, hi)``; ``title()``."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._lo, self._hi = 0.0, 1.0
        self._title = ""
        self._cmap = attention_cmap()
        self.setSizePolicy(QSizePolicy.Fixed, QSizePolicy.Fixed)

    def setRange(self, lo: float, hi: float) -> None:
        self._lo, self._hi = float(lo), float(hi)
        self.updateGeometry()
        self.update()

    def range(self) -> tuple[float, float]:  # noqa: A003 - reads like the setter
        return self._lo, self._hi

    def setTitle(self, text: str) -> None:
        self._title = str(text)
        self.setToolTip(f"Heatmap colours: {self._title}, from {self._lo:.3g} (dark) to {self._hi:.3g} (bright)")
        self.updateGeometry()
        self.update()

    def title(self) -> str:
        return self._title

    def _texts(self) -> tuple[str, str]:
        return f"{self._lo:.2g}", f"{self._hi:.2g}"

    def sizeHint(self) -> QSize:
        fm = self.fontMetrics()
        lo, hi = self._texts()
        w = fm.horizontalAdvance(lo) + BAR_PX + fm.horizontalAdvance(hi) + 12
        return QSize(w, max(fm.height() + 4, 16))

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        fm = self.fontMetrics()
        h = self.height()
        lo, hi = self._texts()
        p.setPen(LABEL_COLOR)
        x = 0
        w = fm.horizontalAdvance(lo)
        p.drawText(QRectF(x, 0, w, h), Qt.AlignVCenter | Qt.AlignLeft, lo)
        x += w + 4
        grad = QLinearGradient(x, 0, x + BAR_PX, 0)
        for stop in np.linspace(0, 1, 9):
            grad.setColorAt(float(stop), qcolor(self._cmap.map([stop], mode="byte")[0]))
        p.fillRect(QRectF(x, h / 2 - 5, BAR_PX, 10), grad)
        x += BAR_PX + 4
        w = fm.horizontalAdvance(hi)
        p.drawText(QRectF(x, 0, w, h), Qt.AlignVCenter | Qt.AlignLeft, hi)
        p.end()

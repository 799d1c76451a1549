"""Small pyqtgraph building blocks shared by the timeline and the attention map."""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPen

from .timefmt import format_position, wall_clock

BACKGROUND = "#1b1e23"
FOREGROUND = "#c8ccd2"
# Both the timeline and the attention map reserve this many pixels for the left axis so their
# x axes line up pixel for pixel when linked.
LEFT_AXIS_WIDTH = 100


def update_transform_eagerly(vb: pg.ViewBox) -> None:
    """Apply a range change to the view transform at once instead of at paint time.

    pyqtgraph defers it to the next paint; items that follow the transform (InfiniteLines, their
    labels) then invalidate themselves during that paint and force a second full repaint of the
    plot on every pan step.
    """
    vb.sigRangeChanged.connect(lambda *_: vb.updateMatrix())


class TimeAxisItem(pg.AxisItem):
    """A bottom axis whose ticks read hh:mm:ss (with milliseconds when zoomed in closely)."""

    def tickStrings(self, values, scale, spacing):
        decimals = 0 if spacing >= 1 else (1 if spacing >= 0.1 else 3)
        out = []
        wall = wall_clock() is not None
        for v in values:
            text = format_position(v * scale, decimals)
            out.append(text[3:] if not wall and text.startswith("00:") and spacing < 60 else text)
        return out


def setup_plot(plot: pg.PlotItem, mouse_x: bool) -> None:
    """The house style: themed axes, no context menu or auto-range button, y never dragged."""
    for name in ("left", "bottom", "right", "top"):
        ax = plot.getAxis(name)
        ax.setPen(pg.mkPen(FOREGROUND))
        ax.setTextPen(pg.mkPen(FOREGROUND))
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.setMouseEnabled(x=mouse_x, y=False)


class CallbackViewBox(pg.ViewBox):
    """A ViewBox that reports left clicks (in data coordinates) to ``on_click(x, y)``.

    Drags keep their normal pan behaviour; the right-click menu stays.
    """

    def __init__(self, on_click: Optional[Callable[[float, float], None]] = None, **kw):
        super().__init__(**kw)
        self.on_click = on_click

    def mouseClickEvent(self, ev):
        if ev.button() == Qt.LeftButton and self.on_click is not None:
            p = self.mapToView(ev.pos())
            ev.accept()
            self.on_click(float(p.x()), float(p.y()))
            return
        super().mouseClickEvent(ev)


class SpanItem(pg.GraphicsObject):
    """Many vertical spans ``[start, end)`` (full view height) in one item, each with its colour.

    Paints only the spans that overlap the visible x range, so thousands of events or gaps cost
    nothing while they are out of view. Spans narrower than a pixel still show as a 1-px line.
    """

    def __init__(self, y_range: tuple[float, float] = (-0.1, 1.1)):
        super().__init__()
        self._y = y_range
        self.starts = np.zeros(0)
        self.ends = np.zeros(0)
        self._colors: list[QColor] = []
        self.setZValue(-10)

    def setSpans(self, starts: Sequence[float], ends: Sequence[float], colors: Sequence) -> None:
        self.prepareGeometryChange()
        self.starts = np.asarray(starts, dtype=np.float64).reshape(-1)
        self.ends = np.asarray(ends, dtype=np.float64).reshape(-1)
        self._colors = [pg.mkColor(c) for c in colors]
        if len(self._colors) != len(self.starts) or len(self.ends) != len(self.starts):
            raise ValueError("starts, ends and colors must have the same length")
        self.update()

    def visible_indices(self, x0: float, x1: float) -> np.ndarray:
        return np.flatnonzero((self.ends >= x0) & (self.starts <= x1))

    def boundingRect(self) -> QRectF:
        if not len(self.starts):
            return QRectF()
        a, b = float(self.starts.min()), float(self.ends.max())
        return QRectF(a, self._y[0], max(b - a, 1e-9), self._y[1] - self._y[0])

    def paint(self, painter, option, widget=None):
        vb = self.getViewBox()
        if vb is None or not len(self.starts):
            return
        (x0, x1), (y0, y1) = vb.viewRange()
        for i in self.visible_indices(x0, x1):
            c = self._colors[i]
            pen = QPen(c)
            pen.setCosmetic(True)
            pen.setWidthF(1.0)
            painter.setPen(pen)
            painter.setBrush(QBrush(c))
            painter.drawRect(QRectF(QPointF(self.starts[i], y0), QPointF(self.ends[i], y1)))

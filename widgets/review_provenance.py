"""How the timeline shows what people did versus what the detector proposed: a seizure mark
still proposed by the detector is dashed with a "?" on its label, and under a partly reviewed
event a strip along the bottom shows the stretches that reviews cover, in their verdict's colour."""
from __future__ import annotations

from typing import Callable, Sequence

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPen

from .display_data import MARKER_COLORS, PARTLY_REVIEWED, STATUS_COLORS, EventRow, proposal_label
from .plot_items import SpanItem

REVIEWED_STRIP = (-0.02, 0.07)  # data y of the strip (the plot shows -0.02 .. 1.05)


def show_proposal(marker: pg.InfiniteLine, proposed: bool) -> None:
    """Dashed with "?" (``proposed``) or solid: ``marker`` is a timeline ``MarkerLine``."""
    if getattr(marker, "proposed", None) == proposed:
        return
    base = getattr(marker, "base_name", None) or marker.name
    marker.base_name = base
    marker.proposed = proposed
    color = MARKER_COLORS[marker.kind]
    marker.setPen(pg.mkPen(color, width=2, style=Qt.DashLine if proposed else Qt.SolidLine))
    marker.name = proposal_label(base, proposed)
    marker.label.setFormat(marker.name)
    tip = marker.toolTip().split(" — ")[0]
    marker.setToolTip(f"{tip} — proposed by the detector, not yet set by a person" if proposed else tip)


class ReviewedPartsItem(SpanItem):
    """The reviewed stretches of partly reviewed events, as a strip at the bottom of the plot."""

    def __init__(self):
        super().__init__(REVIEWED_STRIP)
        self.setZValue(-5)

    def setEvents(self, events: Sequence[EventRow], band: Callable[[float, float], tuple[float, float]]) -> None:
        """``band(start, end)``: where the timeline draws a span of window edges."""
        parts = [(band(a, b), status) for e in events if e.status == PARTLY_REVIEWED
                 for a, b, status in e.reviewed_parts]
        self.setSpans([a for (a, _), _ in parts], [b for (_, b), _ in parts],
                      [QColor(STATUS_COLORS.get(status, "#cccccc")) for _, status in parts])

    def paint(self, painter, option, widget=None):
        vb = self.getViewBox()
        if vb is None or not len(self.starts):
            return
        (x0, x1), _ = vb.viewRange()
        y0, y1 = self._y
        for i in self.visible_indices(x0, x1):
            c = self._colors[i]
            pen = QPen(c)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.setBrush(QBrush(c))
            painter.drawRect(QRectF(QPointF(self.starts[i], y0), QPointF(self.ends[i], y1)))

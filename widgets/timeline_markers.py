"""The timeline's seizure markers: one draggable, labelled line per EEG onset, clinical onset and
end, with the time shown on the label while it is dragged."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor

from .display_data import CLINICAL_ONSET, EEG_ONSET, MARKER_COLORS, MARKER_LABELS, SEIZURE_END
from .timefmt import format_time

# EEG and clinical onsets are often a second apart: the EEG label sits left of its line and the
# others right of theirs, so "EEG 1" and "Clin 1" never cover each other; the end's label sits
# lower, clear of a clinical onset just before it. (height as a fraction of the plot, anchor)
LABEL_PLACES = {
    EEG_ONSET: (0.90, (1, 0.5)),
    CLINICAL_ONSET: (0.90, (0, 0.5)),
    SEIZURE_END: (0.70, (0, 0.5)),
}


def _alpha(hex_color: str, a: int) -> QColor:
    c = QColor(hex_color)
    c.setAlpha(a)
    return c


class MarkerLine(pg.InfiniteLine):
    """A draggable, labelled seizure marker (EEG onset, clinical onset or end of one seizure).

    ``name`` is what the label says at rest ("EEG 1"); ``showDragTime(t)`` adds the time while
    dragging, ``showName()`` takes it away again.
    """

    def __init__(self, seizure_index: int, kind: str, t: float):
        color = MARKER_COLORS[kind]
        height, anchor = LABEL_PLACES[kind]
        self.name = f"{MARKER_LABELS[kind]} {seizure_index + 1}"
        super().__init__(pos=t, angle=90, movable=True, pen=pg.mkPen(color, width=2),
                         hoverPen=pg.mkPen(color, width=4), label=self.name,
                         labelOpts={"position": height, "color": "#111316", "fill": _alpha(color, 230),
                                    "movable": False, "anchors": [anchor, anchor]})
        self.seizure_index = seizure_index
        self.kind = kind
        self.setZValue(20)
        self.setToolTip(f"seizure {seizure_index + 1}: {kind} (drag to move; the video follows; snaps to frames)")

    def showDragTime(self, t: float) -> None:
        self.label.setFormat(f"{self.name}  {format_time(t)}")

    def showName(self) -> None:
        self.label.setFormat(self.name)

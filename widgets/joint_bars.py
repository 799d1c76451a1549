"""Per-joint attention bars at the current time (the side panel's "Joints now" tab)."""
from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QVBoxLayout, QWidget

from inference.pose.joints import NUM_JOINTS

from .colors import MISSING_COLOR, map_colors
from .joint_rows import MIN_ROW_PX, joint_axis
from .plot_items import BACKGROUND, FOREGROUND, setup_plot


class JointAttentionBars(QWidget):
    """Horizontal bars: each joint's attention at the current time (viridis, relative to the
    largest), with readable joint names. Missing joints get a hatched grey bar.

    ``setValues(attention [14] | None, present [14] bool | None)``; ``values()`` -> ``[14]``.
    ``bars`` is the pg.BarGraphItem.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.graphics = pg.PlotWidget(self, background=BACKGROUND)
        lay.addWidget(self.graphics)
        self.plot: pg.PlotItem = self.graphics.getPlotItem()
        setup_plot(self.plot, mouse_x=False)
        self.plot.invertY(True)
        joint_axis(self.plot)
        self.plot.setLabel("bottom", "attention (relative)", color=FOREGROUND)
        self.plot.setXRange(0, 1.0, padding=0.02)
        self.plot.setYRange(0, NUM_JOINTS, padding=0.01)
        self._values = np.zeros(NUM_JOINTS)
        self._present = np.zeros(NUM_JOINTS, dtype=bool)
        self.bars = pg.BarGraphItem(x0=np.zeros(NUM_JOINTS), y=np.arange(NUM_JOINTS) + 0.5,
                                    height=0.75, width=np.zeros(NUM_JOINTS), pen=pg.mkPen(None))
        self.plot.addItem(self.bars)
        self.setMinimumSize(180, NUM_JOINTS * MIN_ROW_PX + 30)

    def setValues(self, attention: Optional[np.ndarray], present: Optional[np.ndarray] = None) -> None:
        a = np.zeros(NUM_JOINTS) if attention is None else np.asarray(attention, dtype=np.float64).reshape(NUM_JOINTS)
        ok = np.isfinite(a) if present is None else (np.asarray(present, bool) & np.isfinite(a))
        a = np.where(ok, a, 0.0)
        peak = a.max()
        rel = a / peak if peak > 0 else a
        self._values = a
        colors = map_colors(rel)
        # A missing joint is a full-length hatched grey bar: clearly "no data", not "zero".
        missing = QBrush(MISSING_COLOR, Qt.BDiagPattern)
        brushes = [pg.mkBrush(*colors[j]) if ok[j] else missing for j in range(NUM_JOINTS)]
        widths = np.where(ok, rel, 1.0)
        self.bars.setOpts(width=widths, brushes=brushes)
        self._present = ok

    def values(self) -> np.ndarray:
        return self._values.copy()

    def present(self) -> np.ndarray:
        """``[14]`` bool: joints shown with a value (the others are hatched as missing)."""
        return self._present.copy()

"""Colour maps shared by the widgets (perceptual, colour-blind safe)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

ATTENTION_CMAP_NAME = "viridis"
MISSING_COLOR = QColor("#9aa0a6")


def attention_cmap() -> pg.ColorMap:
    return pg.colormap.get(ATTENTION_CMAP_NAME)


def map_colors(values: np.ndarray, cmap: pg.ColorMap | None = None) -> np.ndarray:
    """``values`` ``[N]`` in [0, 1] (clipped; NaN -> 0) -> ``[N, 4]`` uint8 RGBA."""
    cmap = cmap or attention_cmap()
    v = np.nan_to_num(np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0), nan=0.0)
    return cmap.map(v, mode="byte")


def qcolor(rgba) -> QColor:
    return QColor(int(rgba[0]), int(rgba[1]), int(rgba[2]), int(rgba[3]) if len(rgba) > 3 else 255)

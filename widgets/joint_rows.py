"""The 14 joints as the rows of a plot (head at the top): the left axis with their names."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QFont

from inference.pose.joints import JOINT_LABELS, NUM_JOINTS

from .plot_items import LEFT_AXIS_WIDTH

JOINT_TICKS = [[(j + 0.5, JOINT_LABELS[j]) for j in range(NUM_JOINTS)]]
# At least this many pixels per joint row keeps all 14 names legible at the default font.
ROW_PX = 14
MIN_ROW_PX = 10  # smallest row that still fits a joint name: the window must fit a 1024x700 screen


def joint_axis(plot: pg.PlotItem) -> None:
    """Name the rows ``j .. j + 1`` of ``plot``'s left axis after the joints."""
    ax = plot.getAxis("left")
    ax.setTicks(JOINT_TICKS)
    ax.setWidth(LEFT_AXIS_WIDTH)
    # A 10 px font fits the smallest row (MIN_ROW_PX), so all 14 names always show; pyqtgraph's
    # overlap hiding would drop the first and last ("head", "left ankle") at the plot's edges.
    font = QFont()
    font.setPixelSize(MIN_ROW_PX)
    ax.setStyle(tickLength=0, hideOverlappingLabels=False, tickFont=font)

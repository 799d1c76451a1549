"""Where the review window's widgets sit: video over transport beside the side tabs, the plots
below, the message, progress and cancel in the status bar."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from app.main_window import MainWindow


def arrange_widgets(win: MainWindow) -> None:
    """Lay out the widgets ``win`` has made; adds ``win.side_tabs`` (Events, Annotations, Joints now)."""
    video_box = QWidget(win)
    vl = QVBoxLayout(video_box)
    vl.setContentsMargins(0, 0, 0, 0)
    vl.setSpacing(2)
    vl.addWidget(win.message_bar)
    vl.addWidget(win.video_view, 1)
    vl.addWidget(win.transport)
    win.side_tabs = QTabWidget(win)
    win.side_tabs.addTab(win.event_list, "Events")
    win.side_tabs.addTab(win.annotation_panel, "Annotations")
    win.side_tabs.addTab(win.attention_bars, "Joints now")
    top = QSplitter(Qt.Horizontal, win)
    top.addWidget(video_box)
    top.addWidget(win.side_tabs)
    top.setStretchFactor(0, 3)
    top.setStretchFactor(1, 2)
    top.setSizes([820, 560])  # wide enough for every column of the events table
    plots = QSplitter(Qt.Vertical, win)
    plots.addWidget(win.timeline)
    plots.addWidget(win.attention_map)
    plots.setStretchFactor(0, 3)
    plots.setStretchFactor(1, 2)
    main = QSplitter(Qt.Vertical, win)
    main.addWidget(top)
    main.addWidget(plots)
    main.setStretchFactor(0, 3)
    main.setStretchFactor(1, 2)
    # Starting shares at the default 1400x900: the plots get ~half the height (a squeezed
    # probability trace is hard to read); the splitters keep these proportions when resized.
    plots.setSizes([250, 200])
    main.setSizes([430, 450])
    win.setCentralWidget(main)

    win.statusBar().addWidget(win.status_label, 1)
    win.statusBar().addPermanentWidget(win.progress_bar)
    win.statusBar().addPermanentWidget(win.cancel_button)

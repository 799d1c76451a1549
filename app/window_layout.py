"""Where the review window's widgets sit, how big the window opens and what it remembers.

Video over transport beside the side tabs, the plots below, the message, progress, cancel and
the reviewer in the status bar. The window opens on the screen's available area (a 1024x700
laptop included: nothing off-screen), with starting shares that keep the probability trace
readable; the splitters never hide a panel on their own (the attention map collapses from its
header), and the layout the user leaves is restored next time (QSettings).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from PySide6.QtCore import QRect, QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QSplitter, QTabWidget, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from app.main_window import MainWindow

SHORT_SCREEN_PX = 800  # below this the attention map starts collapsed: the video keeps ~half the height
SIDE_PANEL_PX = 400  # the events table's six columns, Peak and Kind included, at the default font
SPLITTERS = ("main_splitter", "top_splitter", "plots_splitter")
LAYOUT_VERSION = 4  # a stored layout of another version is ignored (widgets changed since)


def arrange_widgets(win: MainWindow) -> None:
    """Lay out the widgets ``win`` has made; adds ``win.side_tabs`` (Events, Annotations, Joints
    now), the three splitters (``main_splitter``, ``top_splitter``, ``plots_splitter``) and
    ``win.reviewer_label``."""
    video_box = QWidget(win)
    vl = QVBoxLayout(video_box)
    vl.setContentsMargins(0, 0, 0, 0)
    vl.setSpacing(2)
    vl.addWidget(win.message_bar)
    # The first camera (analysed, with the skeleton) and any others beside it (app.camera_views).
    win.cameras_splitter = QSplitter(Qt.Horizontal, win)
    win.cameras_splitter.setChildrenCollapsible(False)
    win.cameras_splitter.addWidget(win.video_view)
    vl.addWidget(win.cameras_splitter, 1)
    vl.addWidget(win.transport)
    win.side_tabs = QTabWidget(win)
    win.side_tabs.addTab(win.event_list, "Events")
    win.side_tabs.addTab(win.annotation_panel, "Annotations")
    # The selected seizure's (or the one at the cursor's) type, awareness and ordered signs;
    # its own tab, so the side panel stays short enough for a 700 px screen.
    win.side_tabs.addTab(win.semiology_panel, "Semiology")
    win.side_tabs.addTab(win.attention_bars, "Joints now")
    win.top_splitter = QSplitter(Qt.Horizontal, win)
    win.top_splitter.addWidget(video_box)
    win.top_splitter.addWidget(win.eeg_view)  # hidden until an EEG is opened
    win.top_splitter.addWidget(win.side_tabs)
    win.top_splitter.setStretchFactor(0, 1)
    win.top_splitter.setStretchFactor(1, 1)
    win.top_splitter.setStretchFactor(2, 0)  # extra width goes to the video and EEG, not the table
    win.eeg_view.hide()
    win.plots_splitter = QSplitter(Qt.Vertical, win)
    win.plots_splitter.addWidget(win.timeline)
    win.plots_splitter.addWidget(win.audio_lane)  # the sound's loudness, hidden without audio
    win.plots_splitter.addWidget(win.attention_map)
    win.plots_splitter.setStretchFactor(0, 3)
    win.plots_splitter.setStretchFactor(1, 0)
    win.plots_splitter.setStretchFactor(2, 2)
    win.main_splitter = QSplitter(Qt.Vertical, win)
    win.main_splitter.addWidget(win.top_splitter)
    win.main_splitter.addWidget(win.plots_splitter)
    win.main_splitter.setStretchFactor(0, 3)
    win.main_splitter.setStretchFactor(1, 2)
    for name in SPLITTERS:
        splitter = getattr(win, name)
        splitter.setObjectName(name)
        # A splitter dragged past a panel's minimum stops there instead of hiding the panel;
        # the attention map collapses only from its header's arrow.
        splitter.setChildrenCollapsible(False)
    win.setCentralWidget(win.main_splitter)
    win.attention_map.collapsedChanged.connect(lambda _on: _give_collapsed_height_to_trace(win))

    win.reviewer_label = QLabel(win)
    win.reviewer_label.setToolTip("The reviewer recorded with every annotation (semioscope review --reviewer NAME)")
    win.statusBar().addWidget(win.status_label, 1)
    win.statusBar().addPermanentWidget(win.progress_bar)
    win.statusBar().addPermanentWidget(win.cancel_button)
    win.statusBar().addPermanentWidget(win.reviewer_label)


def _give_collapsed_height_to_trace(win: MainWindow) -> None:
    splitter = win.plots_splitter
    total = sum(splitter.sizes())
    am = win.attention_map.minimumHeight() if win.attention_map.isCollapsed() else max(total * 2 // 5, 1)
    lane = _lane_height(win)
    splitter.setSizes([max(total - am - lane, 1), lane, am])


def _lane_height(win: MainWindow) -> int:
    return win.audio_lane.sizeHint().height() if not win.audio_lane.isHidden() else 0


def default_shares(win: MainWindow, size) -> None:
    """Starting splitter sizes for a window of ``size`` (QSize): the plots get ~45% of the height
    (a squeezed trace is hard to read), the side panel the events table's width."""
    height = max(size.height() - 60, 1)  # menu and status bars
    trace_min = win.timeline.minimumSizeHint().height()
    map_min = max(win.attention_map.minimumHeight(), win.attention_map.minimumSizeHint().height())
    plots = max(int(height * 0.48), trace_min + map_min + 4)
    win.main_splitter.setSizes([max(height - plots, 1), plots])
    # The heatmap gets its rows' minimum (14 readable names) and the trace the rest.
    am = map_min if win.attention_map.isCollapsed() else max(map_min, (plots - trace_min) // 3)
    lane = _lane_height(win)
    win.plots_splitter.setSizes([plots - am - lane, lane, am])
    side = min(SIDE_PANEL_PX, size.width() // 2)
    win.top_splitter.setSizes([max(size.width() - side, 1), 0, side])
    if win.eeg_view.isVisible() or not win.eeg_view.isHidden():
        show_eeg_panel(win, True)


def show_eeg_panel(win: MainWindow, on: bool) -> None:
    """Show the EEG page between the video and the side panel (video and EEG share the width,
    the EEG a little more: 19 channels need it), or hide it and give its width to the video."""
    win.eeg_view.setVisible(on)
    total = sum(win.top_splitter.sizes()) or max(win.width(), 1)
    if on:
        side = min(SIDE_PANEL_PX, max(total // 4, 240))
        video = int((total - side) * 0.42)
        win.top_splitter.setSizes([video, total - side - video, side])
    else:
        side = min(SIDE_PANEL_PX, total // 2)
        win.top_splitter.setSizes([total - side, 0, side])


def available_area(win: MainWindow) -> QRect:
    screen = win.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1400, 900)


def place_on_screen(win: MainWindow, settings: Optional[QSettings]) -> None:
    """The layout stored in ``settings`` when there is one, else the screen's available area
    with the default shares; never larger than the screen."""
    area = available_area(win)
    if not restore_layout(win, settings):
        win.attention_map.setCollapsed(area.height() < SHORT_SCREEN_PX)
        win.setGeometry(area)
        default_shares(win, area.size())
    fit_to_screen(win)


def fit_to_screen(win: MainWindow) -> None:
    """Shrink and move the window (its frame included, once shown) into the available area."""
    area = available_area(win)
    frame = win.frameGeometry()
    extra_w = max(frame.width() - win.width(), 0)
    extra_h = max(frame.height() - win.height(), 0)
    w = min(win.width(), area.width() - extra_w)
    h = min(win.height(), area.height() - extra_h)
    if (w, h) != (win.width(), win.height()):
        win.resize(w, h)
    frame = win.frameGeometry()
    x = min(max(frame.x(), area.x()), area.right() + 1 - frame.width())
    y = min(max(frame.y(), area.y()), area.bottom() + 1 - frame.height())
    if (x, y) != (frame.x(), frame.y()):
        win.move(x, y)


def save_layout(win: MainWindow, settings: Optional[QSettings]) -> None:
    """Window geometry and state, the splitters and the attention map's collapse, for next time."""
    if settings is None:
        return
    settings.beginGroup("review_window")
    settings.setValue("version", LAYOUT_VERSION)
    # The client rectangle, not saveGeometry(): restoring goes through ``fit_to_screen`` (the
    # screen may have changed since), and Qt's own restore would second-guess it.
    settings.setValue("geometry", win.normalGeometry())
    settings.setValue("maximized", win.isMaximized())
    settings.setValue("state", win.saveState(LAYOUT_VERSION))
    for name in SPLITTERS:
        settings.setValue(name, getattr(win, name).saveState())
    settings.setValue("attention_collapsed", win.attention_map.isCollapsed())
    settings.endGroup()
    settings.sync()


def restore_layout(win: MainWindow, settings: Optional[QSettings]) -> bool:
    """Apply the stored layout; False when there is none (or of another version)."""
    if settings is None:
        return False
    settings.beginGroup("review_window")
    try:
        if int(settings.value("version", 0) or 0) != LAYOUT_VERSION or settings.value("geometry") is None:
            return False
        win.attention_map.setCollapsed(str(settings.value("attention_collapsed", "false")).lower() == "true")
        rect = settings.value("geometry")
        if not isinstance(rect, QRect) or rect.isEmpty():
            return False
        win.setGeometry(rect)
        if str(settings.value("maximized", "false")).lower() == "true":
            win.setWindowState(win.windowState() | Qt.WindowMaximized)
        state = settings.value("state")
        if state is not None:
            win.restoreState(state, LAYOUT_VERSION)
        for name in SPLITTERS:
            state = settings.value(name)
            if state is not None:
                getattr(win, name).restoreState(state)
        return True
    finally:
        settings.endGroup()


def layout_report(win: MainWindow) -> dict:
    """What a screenshot check needs to know: the screen's available area, the window's frame,
    whether it fits, the trace's height in pixels and which events-table columns are in view."""
    area, frame = available_area(win), win.frameGeometry()
    table = win.event_list.view
    hh = table.horizontalHeader()
    names = [str(table.model().headerData(c, Qt.Horizontal)) for c in range(hh.count())]
    in_view = [names[c] for c in range(hh.count())
               if not hh.isSectionHidden(c) and 0 <= hh.sectionViewportPosition(c)
               and hh.sectionViewportPosition(c) + min(hh.sectionSize(c), 40) <= table.viewport().width()]
    return {"screen": [area.x(), area.y(), area.width(), area.height()],
            "window": [frame.x(), frame.y(), frame.width(), frame.height()],
            "fits": area.contains(frame),
            "trace_px": round(win.timeline.viewbox.sceneBoundingRect().height(), 1),
            "attention_collapsed": win.attention_map.isCollapsed(),
            "event_columns_in_view": in_view}

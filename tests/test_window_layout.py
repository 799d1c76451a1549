"""The review window on a small screen: it opens inside the screen's available area, keeps the
probability trace at least 120 px tall at 1024x700 and the events table's Peak and Kind columns
in view, and remembers its layout (QSettings)."""
from __future__ import annotations

import shutil

import pytest
from app_helpers import make_result, make_video
from PySide6.QtCore import QRect, QSettings

import app.window_layout as window_layout
from app.main_window import MainWindow
from inference.results.result_file import result_path_for
from widgets.event_list import COL_KIND, COL_PEAK
from widgets.timeline import MIN_TRACE_PX

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    d = tmp_path_factory.mktemp("layout")
    video = make_video(d, seconds=20.0)
    make_result(video).save(result_path_for(video))
    return video


def small_screen(monkeypatch, w=1024, h=700):
    monkeypatch.setattr(window_layout, "available_area", lambda win: QRect(0, 0, w, h))


def open_on(qtbot, video, settings, tmp_path):
    """A window on a fresh copy of the video (its own annotation file)."""
    copy = tmp_path / video.name
    if not copy.exists():
        for src in video.parent.glob(video.stem + "*"):
            shutil.copy(src, tmp_path / src.name)
    win = MainWindow(reviewer="tester", settings=settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    assert win.open_video(copy)
    qtbot.waitUntil(lambda: win.is_open() and win.shown_frame == win.current_frame, timeout=10000)
    qtbot.wait(50)
    return win


def trace_px(win) -> float:
    return win.timeline.viewbox.sceneBoundingRect().height()


def column_in_view(table, col) -> bool:
    hh = table.horizontalHeader()
    x = hh.sectionViewportPosition(col)
    return not hh.isSectionHidden(col) and x >= 0 and x + min(hh.sectionSize(col), 40) <= table.viewport().width()


def test_fits_1024x700_with_a_readable_trace_and_all_event_columns(qtbot, monkeypatch, tmp_path, recording):
    small_screen(monkeypatch)
    settings = QSettings(str(tmp_path / "layout.ini"), QSettings.IniFormat)
    win = open_on(qtbot, recording, settings, tmp_path)
    area = QRect(0, 0, 1024, 700)
    assert area.contains(win.frameGeometry()), win.frameGeometry()
    assert win.minimumSizeHint().width() <= 1024 and win.minimumSizeHint().height() <= 700
    assert trace_px(win) >= MIN_TRACE_PX
    win.side_tabs.setCurrentWidget(win.event_list)
    qtbot.wait(20)
    table = win.event_list.view
    assert column_in_view(table, COL_PEAK) and column_in_view(table, COL_KIND)
    assert win.statusBar().isVisible() and win.statusBar().geometry().bottom() < win.height()
    # A short screen starts with the heatmap collapsed; expanded, the trace keeps its 120 px and
    # the window still fits.
    assert win.attention_map.isCollapsed()
    win.attention_map.setCollapsed(False)
    qtbot.wait(50)
    assert trace_px(win) >= MIN_TRACE_PX and win.attention_map.height() >= win.attention_map.minimumHeight()
    assert win.minimumSizeHint().height() <= 700 and area.contains(win.frameGeometry())
    # The splitters stop at a panel's minimum instead of hiding it.
    assert not win.plots_splitter.childrenCollapsible() and not win.main_splitter.childrenCollapsible()
    win.plots_splitter.setSizes([10, 10_000])
    qtbot.wait(20)
    assert trace_px(win) >= MIN_TRACE_PX


def test_layout_is_remembered(qtbot, monkeypatch, tmp_path, recording):
    small_screen(monkeypatch, 1400, 900)
    settings = QSettings(str(tmp_path / "layout.ini"), QSettings.IniFormat)
    win = open_on(qtbot, recording, settings, tmp_path)
    assert QRect(0, 0, 1400, 900).contains(win.frameGeometry()) and win.width() >= 1390  # the screen, frame included
    assert not win.attention_map.isCollapsed()  # a tall screen shows the heatmap
    win.attention_map.setCollapsed(True)
    win.top_splitter.setSizes([900, 496])
    sizes = win.top_splitter.sizes()
    win.resize(1200, 800)
    win.close()
    win2 = open_on(qtbot, recording, settings, tmp_path)
    assert win2.attention_map.isCollapsed()
    assert win2.width() == 1200 and win2.height() == 800
    assert abs(win2.top_splitter.sizes()[1] - sizes[1]) <= 4
    # A layout stored on a bigger screen is shrunk into a smaller one.
    win2.resize(1400, 900)
    win2.close()
    small_screen(monkeypatch)
    win3 = open_on(qtbot, recording, settings, tmp_path)
    assert QRect(0, 0, 1024, 700).contains(win3.frameGeometry()) and trace_px(win3) >= MIN_TRACE_PX

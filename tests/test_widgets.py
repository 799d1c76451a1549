"""The review widgets (widgets/), offscreen with pytest-qt: they draw what they are given and emit
the right requests when used."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from inference.pose.joints import JOINT_LABELS, NUM_JOINTS, SKELETON_EDGES
from widgets.annotation_panel import AnnotationPanel, FrameTimeSpinBox
from widgets.attention_map import AttentionMap, JointAttentionBars, to_uniform_grid
from widgets.colors import attention_cmap
from widgets.display_data import (
    CLINICAL_ONSET,
    CONFIRMED,
    EEG_ONSET,
    FORECAST_ALARM,
    REJECTED,
    SEIZURE_END,
    SEIZURE_TYPE,
    STATUS_COLORS,
    UNREVIEWED,
    EventRow,
    SeizureRow,
)
from widgets.event_list import COL_DURATION, COL_KIND, COL_START, COL_STATUS, EventList
from widgets.keymap_dialog import KeymapDialog
from widgets.timefmt import format_time, parse_time
from widgets.timeline import TimelineWidget, nan_runs, snap_to_times
from widgets.transport import SPEEDS, TransportBar
from widgets.video_view import COLOR_BY_CONFIDENCE, VideoView

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def _no_mouse_rate_limit():
    # pyqtgraph drops mouse moves closer than 10 ms apart; synthetic drags are instantaneous.
    old = pg.getConfigOption("mouseRateLimit")
    pg.setConfigOption("mouseRateLimit", -1)
    yield
    pg.setConfigOption("mouseRateLimit", old)


def _mouse(widget, kind, pos: QPointF, buttons=Qt.LeftButton, button=Qt.LeftButton):
    gpos = QPointF(widget.mapToGlobal(pos.toPoint()))
    ev = QMouseEvent(kind, pos, gpos, button, buttons, Qt.NoModifier)
    QApplication.sendEvent(widget, ev)


def drag(widget, p0: QPointF, p1: QPointF, steps: int = 6) -> None:
    """Press at p0, move in steps to p1 with the button held, release (viewport coordinates)."""
    _mouse(widget, QEvent.MouseButtonPress, p0)
    for k in range(1, steps + 1):
        p = p0 + (p1 - p0) * (k / steps)
        _mouse(widget, QEvent.MouseMove, p, buttons=Qt.LeftButton, button=Qt.NoButton)
    _mouse(widget, QEvent.MouseButtonRelease, p1, buttons=Qt.NoButton)


def click(widget, p: QPointF) -> None:
    _mouse(widget, QEvent.MouseButtonPress, p)
    _mouse(widget, QEvent.MouseButtonRelease, p, buttons=Qt.NoButton)


def data_to_viewport(graphics_view, plot: pg.PlotItem, x: float, y: float) -> QPointF:
    scene_pt = plot.vb.mapViewToScene(QPointF(x, y))
    return QPointF(graphics_view.mapFromScene(scene_pt))


def viewport_to_data(graphics_view, plot: pg.PlotItem, p: QPointF) -> QPointF:
    return plot.vb.mapSceneToView(graphics_view.mapToScene(p.toPoint()))


# --- time format ---------------------------------------------------------------------------

def test_time_format_and_parse():
    assert format_time(3723.5) == "01:02:03.500"
    assert format_time(59.9996) == "00:01:00.000"
    assert format_time(None) == "--:--:--"
    assert format_time(86399.0, 0) == "23:59:59"
    assert parse_time("01:02:03.500") == pytest.approx(3723.5)
    assert parse_time("2:03.25") == pytest.approx(123.25)
    assert parse_time("12.5") == pytest.approx(12.5)
    for bad in ("", "abc", "1:75", "-3", "1:61:00"):
        with pytest.raises(ValueError):
            parse_time(bad)


# --- video view ----------------------------------------------------------------------------

def _pose():
    xy = np.array([[50 + 5 * j, 20 + 4 * j] for j in range(NUM_JOINTS)], dtype=float)
    conf = np.full(NUM_JOINTS, 0.9)
    conf[7] = 0.0            # left wrist occluded: drawn as a grey cross
    xy[13] = np.nan          # left ankle unknown: nothing drawn
    att = np.linspace(0.01, 0.05, NUM_JOINTS)
    att[6] = 0.2             # right wrist most attended
    return xy, conf, att


def test_video_view_overlay_positions_colours_and_missing(qtbot):
    view = VideoView()
    qtbot.addWidget(view)
    view.resize(320, 240)
    frame = np.zeros((120, 160, 3), np.uint8)
    frame[:, :80] = (200, 10, 10)
    view.setFrame(frame)
    assert view.frameSize() == (160, 120)
    img = view.pixmap_item.pixmap().toImage()
    assert img.pixelColor(10, 10).red() == 200 and img.pixelColor(150, 10).red() == 0
    xy, conf, att = _pose()
    view.setPose(xy, conf, att)
    sk = view.skeleton
    for j in range(NUM_JOINTS):
        if j in (7, 13):
            continue
        assert sk.joint_items[j].isVisible()
        assert (sk.joint_items[j].pos().x(), sk.joint_items[j].pos().y()) == pytest.approx(tuple(xy[j]))
    # Missing: occluded joint is a cross at its position, unknown joint is not drawn at all.
    assert not sk.joint_items[7].isVisible() and sk.missing_items[7].isVisible()
    assert sk.missing_items[7].pos().x() == pytest.approx(xy[7, 0])
    assert not sk.joint_items[13].isVisible() and not sk.missing_items[13].isVisible()
    e_wrist = SKELETON_EDGES.index((5, 7))
    assert sk.edge_items[e_wrist].isVisible() and sk.edge_items[e_wrist].pen().style() == Qt.DashLine
    e_ankle = SKELETON_EDGES.index((11, 13))
    assert not sk.edge_items[e_ankle].isVisible()
    # Attention colours: the most attended joint is the top of viridis, the others darker.
    cmap = attention_cmap()
    top = cmap.map([1.0], mode="byte")[0]
    c6 = sk.joint_colors()[6]
    assert (c6.red(), c6.green(), c6.blue()) == tuple(int(v) for v in top[:3])
    assert sk.joint_colors()[0] != c6
    # Confidence colours: 0.9 everywhere present.
    view.setColorMode(COLOR_BY_CONFIDENCE)
    want = cmap.map([0.9], mode="byte")[0]
    c0 = sk.joint_colors()[0]
    assert (c0.red(), c0.green(), c0.blue()) == tuple(int(v) for v in want[:3])
    # Moving the pose moves the same items (no re-creation).
    items_before = list(sk.joint_items)
    view.setPose(xy + 10, conf, att)
    assert sk.joint_items == items_before
    assert sk.joint_items[0].pos().x() == pytest.approx(xy[0, 0] + 10)
    # Toggle off hides everything.
    view.setSkeletonVisible(False)
    assert not any(i.isVisible() for i in sk.joint_items + sk.missing_items + sk.edge_items)
    view.setSkeletonVisible(True)
    assert sk.joint_items[0].isVisible()
    # No pose for the frame shown: nothing drawn as detected, and the next pose draws again.
    view.clearPose()
    assert not sk.present().any() and not any(i.isVisible() for i in sk.joint_items)
    view.setPose(xy, conf, att)
    assert sk.present().sum() == NUM_JOINTS - 2 and sk.joint_items[0].isVisible()  # all but 7 and 13


def test_video_view_clip_outline_zoom_and_joint_click(qtbot):
    view = VideoView()
    qtbot.addWidget(view)
    view.resize(320, 240)
    view.show()
    view.setFrame(np.full((120, 160, 3), 60, np.uint8))
    xy, conf, att = _pose()
    view.setPose(xy, conf, att)
    view.setClipJoint(6, 32)
    r = view.clip_outline.item
    assert r.isVisible() and r.rect().width() == pytest.approx(32)
    assert r.pos().x() == pytest.approx(xy[6, 0]) and r.pos().y() == pytest.approx(xy[6, 1])
    view.setClipJoint(7, 32)  # occluded joint: no outline
    assert not r.isVisible()

    z0 = view.zoom()
    centre = QPointF(view.viewport().width() / 2, view.viewport().height() / 2)
    wheel = QWheelEvent(centre, QPointF(view.viewport().mapToGlobal(centre.toPoint())), QPoint(0, 0),
                        QPoint(0, 240), Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), wheel)
    assert view.zoom() == pytest.approx(z0 * 1.25 ** 2)
    view.fitFrame()
    assert view.zoom() == pytest.approx(z0)

    with qtbot.waitSignal(view.jointClicked, timeout=1000) as sig:
        click(view.viewport(), QPointF(view.mapFromScene(QPointF(*xy[3]))))
    assert sig.args == [3]

    # Zoomed in, a drag pans: the scene point under the view centre moves against the drag.
    view.zoomBy(4.0)
    before = view.mapToScene(centre.toPoint())
    drag(view.viewport(), QPointF(200, 150), QPointF(140, 110))
    after = view.mapToScene(centre.toPoint())
    assert after.x() - before.x() == pytest.approx(60 / view.zoom(), abs=3 / view.zoom())
    assert after.y() - before.y() == pytest.approx(40 / view.zoom(), abs=3 / view.zoom())


# --- transport -----------------------------------------------------------------------------

def test_transport_signals(qtbot):
    bar = TransportBar()
    qtbot.addWidget(bar)
    got = []
    bar.frameStepRequested.connect(lambda n: got.append(("f", n)))
    bar.timeStepRequested.connect(lambda dt: got.append(("t", dt)))
    bar.seekRequested.connect(lambda t: got.append(("seek", t)))
    bar.speedChanged.connect(lambda s: got.append(("speed", s)))
    bar.playToggled.connect(lambda p: got.append(("play", p)))
    for label in ("-10s", "-1s", "-1f", "+1f", "+1s", "+10s"):
        qtbot.mouseClick(bar.buttons[label], Qt.LeftButton)
    assert got == [("t", -10.0), ("t", -1.0), ("f", -1), ("f", 1), ("t", 1.0), ("t", 10.0)]
    got.clear()
    assert [bar.speed_combo.itemData(i) for i in range(bar.speed_combo.count())] == list(SPEEDS)
    bar.speed_combo.setCurrentIndex(SPEEDS.index(16.0))
    bar.speed_combo.setCurrentIndex(0)
    assert got == [("speed", 16.0), ("speed", 0.25)]
    got.clear()
    for text in ("01:02:03.500", "90", "1:30.25", "nonsense"):
        bar.goto_edit.setText(text)
        qtbot.keyClick(bar.goto_edit, Qt.Key_Return)
    assert got == [("seek", 3723.5), ("seek", 90.0), ("seek", 90.25)]
    got.clear()
    qtbot.mouseClick(bar.play_button, Qt.LeftButton)
    qtbot.mouseClick(bar.play_button, Qt.LeftButton)
    assert got == [("play", True), ("play", False)]
    # Setters do not echo back as requests.
    got.clear()
    bar.setPlaying(True)
    bar.setSpeed(4.0)
    assert got == [] and bar.isPlaying() and bar.speed() == 4.0
    bar.setPosition(3723.5, 111705)
    assert "01:02:03.500" in bar.position_label.text() and "111705" in bar.position_label.text()


# --- timeline ------------------------------------------------------------------------------

def _timeline(qtbot, n=600):
    tl = TimelineWidget()
    qtbot.addWidget(tl)
    tl.resize(800, 320)
    tl.show()
    qtbot.waitExposed(tl)
    t = np.arange(n, dtype=float) + 2.5
    p = np.full(n, 0.2)
    p[100:110] = np.nan
    p[300:340] = 0.9
    tl.setTrace(t, p)
    tl.setFrameTimes(np.arange(0, n + 5, 1 / 30.0))
    tl.setXRange(0, n + 5)
    QApplication.processEvents()
    return tl, t, p


def test_timeline_trace_gaps_events_and_cursor(qtbot):
    tl, t, p = _timeline(qtbot)
    assert tl.curve.opts["connect"] == "finite"
    assert tl.duration() == pytest.approx(t[-1])
    starts, ends = tl.gap_spans.starts, tl.gap_spans.ends
    assert len(starts) == 1 and starts[0] == pytest.approx(t[100] - 0.5) and ends[0] == pytest.approx(t[109] + 0.5)
    tl.setGapShading(False)
    assert not tl.gap_spans.isVisible() and not tl.gap_check.isChecked()
    frames = np.array([0.0, 0.04, 0.1])
    assert [snap_to_times(x, frames) for x in (-1.0, 0.019, 0.021, 0.08, 5.0)] == [0.0, 0.0, 0.04, 0.1, 0.1]
    assert snap_to_times(3.3, None) == 3.3
    s, e = nan_runs(np.arange(6.0), np.array([np.nan, 1, np.nan, np.nan, 1, np.nan]))
    assert list(s) == [-0.5, 1.5, 4.5] and list(e) == [0.5, 3.5, 5.5]
    rows = [EventRow(300, 340, 0.9, CONFIRMED), EventRow(10, 20, 0.6, REJECTED), EventRow(500, 510, 0.7)]
    tl.setEvents(rows)
    cols = [c.name() for c in tl.event_spans._colors]
    assert cols == [STATUS_COLORS[CONFIRMED], STATUS_COLORS[REJECTED], STATUS_COLORS[UNREVIEWED]]
    assert list(tl.event_spans.visible_indices(0, 100)) == [1]  # culling: only in-view spans paint
    tl.setForecast(t, np.full(len(t), 0.3))
    assert tl.forecast_curve.isVisible()
    tl.setForecastVisible(False)
    assert not tl.forecast_curve.isVisible()
    with qtbot.assertNotEmitted(tl.seekRequested):
        tl.setCurrentTime(123.0)
    assert tl.cursor.value() == pytest.approx(123.0) and tl.overview_cursor.value() == pytest.approx(123.0)


def test_timeline_threshold_drag_emits_value(qtbot):
    tl, t, p = _timeline(qtbot)
    tl.setThreshold(0.5)
    vp = tl.graphics.viewport()
    p0 = data_to_viewport(tl.graphics, tl.plot, 450.0, 0.5)
    p1 = data_to_viewport(tl.graphics, tl.plot, 450.0, 0.7)
    live, final = [], []
    tl.thresholdChanged.connect(live.append)
    tl.thresholdChangeFinished.connect(final.append)
    drag(vp, p0, p1)
    assert live and len(final) == 1
    assert final[0] == pytest.approx(0.7, abs=0.02)
    assert tl.threshold() == pytest.approx(final[0])


def test_timeline_marker_drag_snaps_to_frame_and_click_seeks(qtbot):
    tl, t, p = _timeline(qtbot)
    frames = np.array([0.0, 100.0, 200.0, 250.0, 251.0, 400.0])
    tl.setFrameTimes(frames)
    tl.setSeizures([SeizureRow(200.0, 250.0, None, "focal"), SeizureRow(None, 400.0, 500.0)])
    assert [(m.seizure_index, m.kind) for m in tl.markers] == [
        (0, EEG_ONSET), (0, CLINICAL_ONSET), (1, CLINICAL_ONSET), (1, SEIZURE_END)]
    vp = tl.graphics.viewport()
    p0 = data_to_viewport(tl.graphics, tl.plot, 200.0, 0.3)
    p1 = data_to_viewport(tl.graphics, tl.plot, 247.0, 0.3)
    with qtbot.waitSignal(tl.markerMoved, timeout=1000) as sig:
        drag(vp, p0, p1)
    assert sig.args == [0, EEG_ONSET, 250.0]  # nearest frame to ~247 s
    assert tl.marker(0, EEG_ONSET).value() == 250.0

    tl.setFrameTimes(np.arange(0, 700, 1 / 30.0))
    target = data_to_viewport(tl.graphics, tl.plot, 150.0, 0.1)
    want = viewport_to_data(tl.graphics, tl.plot, target).x()
    with qtbot.waitSignal(tl.seekRequested, timeout=1000) as sig:
        click(vp, target)
    assert sig.args[0] == pytest.approx(want, abs=1 / 60 + 1e-9)
    assert abs(sig.args[0] * 30 - round(sig.args[0] * 30)) < 1e-6  # on a frame


def test_timeline_overview_region_controls_main_range(qtbot):
    tl, t, p = _timeline(qtbot)
    tl.region.setRegion((100.0, 160.0))
    a, b = tl.xRange()
    assert (a, b) == pytest.approx((100.0, 160.0), abs=1e-6)
    tl.setXRange(300.0, 420.0)
    assert tl.region.getRegion() == pytest.approx((300.0, 420.0), abs=1e-6)
    tl.centerOn(200.0)
    a, b = tl.xRange()
    assert (a + b) / 2 == pytest.approx(200.0, abs=1e-6) and b - a == pytest.approx(120.0, abs=1e-6)


# --- attention -----------------------------------------------------------------------------

def test_attention_map_aligned_with_timeline(qtbot):
    tl, t, p = _timeline(qtbot)
    am = AttentionMap()
    bars = JointAttentionBars()
    qtbot.addWidget(am)
    qtbot.addWidget(bars)
    att = np.zeros((len(t), NUM_JOINTS), np.float32)
    att[:, 6] = 1.0
    att[100:110] = np.nan
    am.setAttention(t, att)
    assert am.image.image.shape == (len(t), NUM_JOINTS)
    r = am.image.mapRectToParent(am.image.boundingRect())
    assert (r.left(), r.right()) == pytest.approx((t[0] - 0.5, t[-1] + 0.5))
    am.linkTimeline(tl)
    tl.setXRange(200.0, 260.0)
    assert am.plot.viewRange()[0] == pytest.approx([200.0, 260.0], abs=1e-6)
    labels = [s for _, s in am.plot.getAxis("left")._tickLevels[0]]
    assert labels == list(JOINT_LABELS)
    am.attachBars(bars)
    am.setCurrentTime(t[50])
    assert am.cursor.value() == pytest.approx(t[50])
    assert np.argmax(bars.values()) == 6
    assert am.valuesAt(t[105]) is not None and np.isnan(am.valuesAt(t[105])).all()
    assert am.valuesAt(-100.0) is None
    am.resize(800, 250)
    am.show()
    qtbot.waitExposed(am)
    with qtbot.waitSignal(am.seekRequested, timeout=1000) as sig:
        click(am.graphics.viewport(), data_to_viewport(am.graphics, am.plot, 230.0, 7.0))
    assert sig.args[0] == pytest.approx(230.0, abs=0.2)
    # A hole in the windows stays a hole, neighbours are not stretched.
    t0, step, grid = to_uniform_grid(np.array([0.0, 1.0, 2.0, 5.0]), np.ones((4, NUM_JOINTS)))
    assert (t0, step, len(grid)) == (0.0, 1.0, 6) and np.isnan(grid[3:5]).all() and (grid[5] == 1).all()


# --- events --------------------------------------------------------------------------------

def test_event_list_status_filter_click_and_navigation(qtbot):
    ev = EventList()
    qtbot.addWidget(ev)
    ev.resize(500, 300)
    ev.show()
    rows = [EventRow(300.0, 340.0, 0.93, UNREVIEWED), EventRow(10.0, 22.0, 0.61, CONFIRMED),
            EventRow(500.0, 505.0, 0.71, REJECTED), EventRow(700.0, 712.0, 0.8, UNREVIEWED, FORECAST_ALARM, 12.5)]
    ev.setEvents(rows)
    m = ev.model
    assert m.data(m.index(1, COL_STATUS)) == "confirmed"
    assert m.data(m.index(3, COL_KIND)) == "forecast alarm (lead 12.5 s)"
    assert m.data(m.index(0, COL_START)) == "00:05:00.000" and m.data(m.index(0, COL_DURATION)) == "40.0 s"
    assert ev.count_label.text() == "4 events, 2 unreviewed"
    assert ev.visibleRows() == [1, 0, 2, 3]  # start-time order
    ev.setOnlyUnreviewed(True)
    assert ev.filter_check.isChecked() and ev.visibleRows() == [0, 3]
    ev.setStatus(0, CONFIRMED)
    assert ev.visibleRows() == [3] and ev.count_label.text() == "4 events, 1 unreviewed"
    ev.setOnlyUnreviewed(False)
    # Click on the first shown row (the earliest event) reports its source row.
    rect = ev.view.visualRect(ev.proxy.index(0, 1))
    with qtbot.waitSignal(ev.eventActivated, timeout=1000) as sig:
        qtbot.mouseClick(ev.view.viewport(), Qt.LeftButton, pos=rect.center())
    assert sig.args == [1]
    assert ev.currentRow() == 1
    assert ev.nextRow() == 0 and ev.nextRow(0) == 2 and ev.nextRow(3) is None
    assert ev.previousRow(2) == 0 and ev.previousRow(1) is None
    assert ev.rowAfter(300.0) == 2 and ev.rowBefore(300.0) == 1


# --- annotations ---------------------------------------------------------------------------

def test_frame_spinbox_steps_exactly_one_frame(qtbot):
    sb = FrameTimeSpinBox(fps=30.0)
    qtbot.addWidget(sb)
    assert sb.timeValue() is None and sb.text() == "—"
    sb.stepBy(1)
    assert sb.timeValue() == 0.0
    for _ in range(30):
        sb.stepBy(1)
    assert sb.timeValue() == pytest.approx(1.0, abs=1e-9)
    sb.stepBy(-1)
    assert sb.timeValue() == pytest.approx(29 / 30, abs=5e-4)
    assert sb.singleStep() == pytest.approx(1 / 30) and sb.decimals() == 3
    sb.setTimeValue(3723.5)
    assert sb.text() == "01:02:03.500"
    sb.lineEdit().selectAll()
    qtbot.keyClicks(sb, "00:00:12.250")
    qtbot.keyClick(sb, Qt.Key_Return)
    assert sb.timeValue() == pytest.approx(12.25)
    # Variable frame rate: steps land on the given frame times.
    sb.setFrameTimes(np.array([0.0, 0.04, 0.1, 0.13]))
    sb.setTimeValue(0.04)
    sb.stepBy(1)
    assert sb.timeValue() == pytest.approx(0.1)
    sb.stepBy(5)
    assert sb.timeValue() == pytest.approx(0.13)


def test_annotation_panel_edits_and_requests(qtbot):
    panel = AnnotationPanel(fps=25.0)
    qtbot.addWidget(panel)
    got = []
    panel.edited.connect(lambda i, f, v: got.append((i, f, v)))
    panel.setSeizures([SeizureRow(10.0, 12.0, 40.0, "focal"), SeizureRow(None, 100.0, None, "fbtc")])
    assert got == [] and panel.seizureCount() == 2
    assert panel.spin(1, EEG_ONSET).timeValue() is None
    panel.spin(0, CLINICAL_ONSET).stepBy(1)
    panel.spin(0, CLINICAL_ONSET).stepBy(1)
    assert got[-1] == (0, CLINICAL_ONSET, pytest.approx(12.08))
    panel.spin(1, SEIZURE_END).stepBy(1)  # unset -> 0, then the user types the time
    assert got[-1] == (1, SEIZURE_END, 0.0)
    panel.typeCombo(1).setCurrentText("focal")
    assert got[-1] == (1, SEIZURE_TYPE, "focal")
    n = len(got)
    panel.updateSeizure(0, SeizureRow(11.0, 12.0, 40.0, "fbtc"))
    assert len(got) == n and panel.spin(0, EEG_ONSET).timeValue() == 11.0
    with qtbot.waitSignal(panel.addRequested, timeout=1000):
        qtbot.mouseClick(panel.add_button, Qt.LeftButton)
    panel.table.selectRow(1)
    with qtbot.waitSignal(panel.deleteRequested, timeout=1000) as sig:
        qtbot.mouseClick(panel.delete_button, Qt.LeftButton)
    assert sig.args == [1]


# --- key map -------------------------------------------------------------------------------

def test_keymap_dialog_lists_all_rows(qtbot):
    rows = [("Play / pause", "Space", "Start or stop playback"),
            ("Mark EEG onset", "E", "EEG onset at the current frame"),
            ("Mark clinical onset", "C", "Clinical onset at the current frame"),
            ("Undo", "Ctrl+Z", "Undo the last edit")]
    dlg = KeymapDialog(rows)
    qtbot.addWidget(dlg)
    assert dlg.table.rowCount() == len(rows)
    assert [dlg.table.item(i, 0).text() for i in range(len(rows))] == [r[0] for r in rows]
    assert dlg.table.item(1, 1).text() == "E"
    dlg.filter_edit.setText("onset")
    assert dlg.visibleRowCount() == 2
    dlg.filter_edit.setText("")
    assert dlg.visibleRowCount() == 4


def test_timeline_marker_handler_may_reset_seizures(qtbot):
    """The app answers markerMoved by pushing the edited seizures back; that must be safe."""
    tl, t, p = _timeline(qtbot)
    tl.setFrameTimes(np.arange(0, 700, 0.5))
    seizures = [SeizureRow(200.0, 250.0, 300.0)]
    tl.setSeizures(seizures)
    lines = list(tl.markers)

    def on_moved(i, field, value):
        nonlocal seizures
        from dataclasses import replace
        seizures = [replace(seizures[i], **{field: value})]
        tl.setSeizures(seizures)

    tl.markerMoved.connect(on_moved)
    drag(tl.graphics.viewport(), data_to_viewport(tl.graphics, tl.plot, 300.0, 0.3),
         data_to_viewport(tl.graphics, tl.plot, 350.2, 0.3))
    assert seizures[0].end_s == pytest.approx(350.0, abs=0.51) and seizures[0].end_s * 2 == int(seizures[0].end_s * 2)
    assert tl.markers == lines  # moved in place, not re-created
    tl.setActiveEvent(None)
    tl.setEvents([EventRow(10, 20, 0.6), EventRow(30, 40, 0.7)])
    tl.setActiveEvent(1)
    assert tl.event_spans._colors[1].alpha() > tl.event_spans._colors[0].alpha()


def test_attention_bars_mark_missing_joints(qtbot):
    bars = JointAttentionBars()
    qtbot.addWidget(bars)
    att = np.full(NUM_JOINTS, 0.05)
    att[2] = 0.1
    present = np.ones(NUM_JOINTS, bool)
    present[5] = False
    bars.setValues(att, present)
    widths = np.asarray(bars.bars.opts["width"])
    assert widths[2] == pytest.approx(1.0) and widths[0] == pytest.approx(0.5)
    assert not bars.present()[5] and bars.bars.opts["brushes"][5].style() == Qt.BDiagPattern


def test_composed_demo_screenshot(qtbot, tmp_path):
    """All widgets together in the dark theme render a non-blank picture."""
    from PySide6.QtWidgets import QVBoxLayout, QWidget

    from widgets.theme import dark_palette
    host = QWidget()
    host.setPalette(dark_palette())
    qtbot.addWidget(host)
    lay = QVBoxLayout(host)
    view, bar, tl, am = VideoView(), TransportBar(), TimelineWidget(), AttentionMap()
    for w in (view, bar, tl, am):
        lay.addWidget(w)
    host.resize(900, 900)
    host.show()
    qtbot.waitExposed(host)
    view.setFrame(np.full((90, 160, 3), 90, np.uint8))
    xy, conf, att = _pose()
    view.setPose(xy, conf, att)
    t = np.arange(300.0)
    tl.setTrace(t, np.where((t > 100) & (t < 150), 0.9, 0.1))
    am.setAttention(t, np.tile(np.linspace(0, 1, NUM_JOINTS), (300, 1)))
    am.linkTimeline(tl)
    QApplication.processEvents()
    img = host.grab().toImage()
    path = tmp_path / "widgets.png"
    assert img.save(str(path)) and path.stat().st_size > 10_000
    colours = {img.pixel(x, y) for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)}
    assert len(colours) > 50

"""Reading the trace: one time convention for the curve, the event bands and the heatmap (a window
at its centre, said in the legend), and an attention heatmap with a shared scale, a colour bar,
hover values and the selected joint's row outlined."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtGui import QColor

from app.review_state import ReviewState
from inference.core.config import EventConfig
from inference.pose.joints import JOINT_LABELS, NUM_JOINTS
from inference.results.events import detect_events
from inference.results.result_file import ResultChunk
from widgets.attention_map import SHARE, WEIGHTED, AttentionMap, shown_values
from widgets.colors import map_colors
from widgets.display_data import EventRow
from widgets.timeline import TimelineWidget
from widgets.window_convention import event_band

pytestmark = pytest.mark.gui

WINDOW_S, STRIDE_S = 5.0, 1.0


def _trace():
    """Windows of 5 s every 1 s; p crosses 0.5 upwards around 40 s (window centres) and down at 80 s."""
    starts = np.arange(0.0, 120.0, STRIDE_S)
    ends = starts + WINDOW_S
    mid = 0.5 * (starts + ends)
    prob = (0.1 + 0.8 / (1 + np.exp(-(mid - 40.0))) - 0.8 / (1 + np.exp(-(mid - 80.0)))).astype(np.float32)
    return starts, ends, mid, prob


def test_event_band_starts_where_the_curve_crosses_the_threshold(qtbot):
    starts, ends, mid, prob = _trace()
    cfg = EventConfig(threshold=0.5, hysteresis=0.0, min_duration_s=1.0, merge_gap_s=0.0)
    (event,) = detect_events(starts, ends, prob, cfg)
    assert event.start_s == pytest.approx(mid[prob >= 0.5][0] - WINDOW_S / 2)  # the data keeps window starts
    tl = TimelineWidget()
    qtbot.addWidget(tl)
    tl.setWindowGeometry(WINDOW_S, STRIDE_S)
    tl.setTrace(mid, prob)
    tl.setEvents([EventRow.from_event(event)])
    x, y = tl.curve.getData()
    above = x[y >= cfg.threshold]
    band_start, band_end = tl.event_spans.starts[0], tl.event_spans.ends[0]
    assert abs(band_start - above[0]) <= STRIDE_S / 2 + 1e-9  # not 2.5 s before the visible crossing
    assert abs(band_end - above[-1]) <= STRIDE_S / 2 + 1e-9
    assert (tl.overview_event_spans.starts[0], tl.overview_event_spans.ends[0]) == (band_start, band_end)
    # The heatmap's columns use the same slots: each column is centred on its window's centre.
    am = AttentionMap()
    qtbot.addWidget(am)
    am.setAttention(mid, np.full((len(mid), NUM_JOINTS), 1 / NUM_JOINTS), prob)
    r = am.image.mapRectToParent(am.image.boundingRect())
    assert r.left() == pytest.approx(mid[0] - STRIDE_S / 2) and r.width() == pytest.approx(len(mid) * STRIDE_S)
    i = int(np.searchsorted(mid, above[0]))
    assert band_start == pytest.approx(r.left() + i * STRIDE_S)  # the band edge is a column edge
    # The legend says it.
    assert "5 s window" in tl.convention_label.toPlainText() and "centre" in tl.convention_label.toPlainText()
    # Without a window geometry (e.g. a bare trace) events are drawn as given; a one-window event
    # is at least its centre.
    assert event_band(10.0, 20.0, 0.0, 0.0) == (10.0, 20.0)
    assert event_band(10.0, 15.0, 5.0, 1.0) == (12.0, 13.0)


def test_weighted_attention_mode_darkens_quiet_windows_on_one_scale(qtbot):
    _, _, mid, prob = _trace()
    rng = np.random.default_rng(0)
    att = rng.dirichlet(np.ones(NUM_JOINTS), size=len(mid)).astype(np.float32)  # shares: rows sum to 1
    att[:, 7] += 0.3  # one joint stands out everywhere
    att /= att.sum(axis=1, keepdims=True)
    am = AttentionMap()
    qtbot.addWidget(am)
    am.setAttention(mid, att, prob)
    quiet, ictal = float(mid[5]), float(mid[60])  # p ~ 0.1 and p ~ 0.9
    assert am.mode() == WEIGHTED
    lo, hi = am.levels()
    assert am.color_bar.range() == (lo, hi) and "p(seizure)" in am.color_bar.title()

    def colour(t, j):
        v = (am.shownAt(t)[j] - lo) / (hi - lo)
        return QColor(*[int(c) for c in map_colors(np.array([v]))[0][:3]])

    # The same joint, the same share: darker where the model says "no seizure".
    assert am.shownAt(quiet)[7] < 0.2 * am.shownAt(ictal)[7]
    assert colour(quiet, 7).lightness() < colour(ictal, 7).lightness()
    np.testing.assert_allclose(am.shownAt(ictal), shown_values(att, prob, WEIGHTED)[60], rtol=1e-6)
    # Share mode: the same scale, the windows look alike (the complaint this mode answers).
    am.setMode(SHARE)
    assert am.levels() == (lo, hi) and am.mode_combo.currentData() == SHARE
    assert am.shownAt(quiet)[7] == pytest.approx(att[5, 7])
    assert "share" in am.color_bar.title()
    am.mode_combo.setCurrentIndex(am.mode_combo.findData(WEIGHTED))
    assert am.mode() == WEIGHTED
    # Hover text: joint, time, attention and probability of the cell.
    text = am.describeCell(ictal, 7.5)
    assert JOINT_LABELS[7] in text and "attention" in text and f"p {prob[60]:.2f}" in text
    assert am.describeCell(ictal, 99.0) is None and am.describeCell(-50.0, 3.0) is None
    # The selected joint's row is outlined.
    am.setSelectedJoint(7)
    assert am.row_highlight.isVisible() and am.row_highlight.getRegion() == (7, 8)
    am.setSelectedJoint(None)
    assert not am.row_highlight.isVisible()


def test_attention_map_collapses_to_its_header(qtbot):
    am = AttentionMap()
    qtbot.addWidget(am)
    expanded = am.minimumHeight()
    with qtbot.waitSignal(am.collapsedChanged) as sig:
        am.collapse_button.click()
    assert sig.args == [True] and am.isCollapsed() and not am.graphics.isVisibleTo(am)
    assert am.maximumHeight() < 40
    am.setCollapsed(False)
    assert am.minimumHeight() == expanded and am.graphics.isVisibleTo(am)


def test_review_state_knows_the_window_geometry_it_draws_by():
    starts, ends, mid, prob = _trace()
    state = ReviewState()
    assert (state.window_s, state.stride_s) == (0.0, 0.0)
    state.add_chunk(ResultChunk(0, starts, ends, prob, np.zeros((len(mid), NUM_JOINTS), np.float32), len(mid), 125.0))
    assert (state.window_s, state.stride_s) == (WINDOW_S, STRIDE_S)
    np.testing.assert_allclose(state.mid, mid)


def test_a_day_zoomed_out_draws_one_peak_bin_per_pixel_and_keeps_a_one_window_spike(qtbot):
    """24 h at 1 s stride in a ~1000 px plot: about two points per pixel column (min and max), not
    pyqtgraph's default ten, and a single high window still reaches the screen."""
    t = np.arange(86_400, dtype=np.float64) + 2.5
    p = np.full(len(t), 0.1, np.float32)
    p[50_001] = 0.97
    tl = TimelineWidget()
    qtbot.addWidget(tl)
    tl.resize(1100, 300)
    tl.show()
    qtbot.waitExposed(tl)
    tl.setTrace(t, p)
    tl.setXRange(0.0, 86_400.0)
    qtbot.wait(20)
    x, y = tl.curve._getDisplayDataset().x, tl.curve._getDisplayDataset().y
    width = tl.viewbox.width()
    assert 1.5 * width <= len(x) <= 3 * width
    assert np.nanmax(y) == pytest.approx(0.97)

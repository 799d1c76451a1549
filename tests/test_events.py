"""Event detection over a probability trace: threshold, hysteresis, gaps, merge, minimum duration."""
from __future__ import annotations

import numpy as np
import pytest

from inference.core.config import EventConfig
from inference.results.events import Event, detect_events


def trace(values, stride=1.0, window=5.0):
    p = np.asarray(values, dtype=np.float64)
    start = np.arange(len(p)) * stride
    return start, start + window, p


def spans(events):
    return [(e.start_s, e.end_s) for e in events]


def test_threshold_and_hysteresis_keep_an_event_open():
    s, e, p = trace([0.1, 0.6, 0.45, 0.42, 0.3, 0.1])
    cfg = EventConfig(threshold=0.5, hysteresis=0.1, min_duration_s=0.0, merge_gap_s=0.0)
    # 0.45 and 0.42 stay above 0.5 - 0.1 = 0.4, so the event runs windows 1..3.
    assert spans(detect_events(s, e, p, cfg)) == [(1.0, 8.0)]
    no_hyst = cfg.replace(hysteresis=0.0)
    assert spans(detect_events(s, e, p, no_hyst)) == [(1.0, 6.0)]
    # Below the threshold alone nothing fires, however long.
    assert detect_events(*trace([0.45] * 20), cfg) == []


def test_nan_gaps_end_events_and_never_fire():
    s, e, p = trace([0.9, 0.9, np.nan, 0.9, np.nan, np.nan], stride=10.0)
    cfg = EventConfig(threshold=0.5, hysteresis=0.1, min_duration_s=0.0, merge_gap_s=0.0)
    assert spans(detect_events(s, e, p, cfg)) == [(0.0, 15.0), (30.0, 35.0)]
    assert detect_events(*trace([np.nan] * 5), cfg) == []


def test_merge_gap_and_minimum_duration():
    # Two bursts 10 s apart (window ends at 9, next starts at 19 -> 10 s gap).
    p = [0.9, 0.9, 0.9, 0.9, 0.9] + [0.0] * 14 + [0.9] + [0.0] * 10
    s, e, pp = trace(p)
    cfg = EventConfig(threshold=0.5, hysteresis=0.0, min_duration_s=0.0, merge_gap_s=10.0)
    assert spans(detect_events(s, e, pp, cfg)) == [(0.0, 24.0)]
    assert spans(detect_events(s, e, pp, cfg.replace(merge_gap_s=9.9))) == [(0.0, 9.0), (19.0, 24.0)]
    # A single 5 s window is shorter than a 6 s minimum; the 9 s burst is kept.
    assert spans(detect_events(s, e, pp, cfg.replace(merge_gap_s=0.0, min_duration_s=6.0))) == [(0.0, 9.0)]


def test_peak_and_mean_attention():
    s, e, p = trace([0.1, 0.7, 0.95, 0.8, 0.1])
    att = np.zeros((5, 14))
    att[1, 0] = 1.0
    att[2, 1] = 1.0
    att[3, 1] = 1.0
    (ev,) = detect_events(s, e, p, EventConfig(threshold=0.5, min_duration_s=0.0), att)
    assert ev.peak_prob == pytest.approx(0.95) and ev.peak_time_s == 2.0
    np.testing.assert_allclose(ev.mean_attention[:2], [1 / 3, 2 / 3])
    assert Event.from_dict(ev.to_dict()) == ev
    (no_att,) = detect_events(s, e, p, EventConfig(threshold=0.5, min_duration_s=0.0))
    assert no_att.mean_attention == ()


def test_empty_trace():
    assert detect_events(np.zeros(0), np.zeros(0), np.zeros(0)) == []


def test_trailing_smoothing_removes_a_blip_and_keeps_gaps():
    from inference.results.events import smooth_trace

    p = np.array([0.1, 0.1, 0.9, 0.1, 0.1, np.nan, 0.7, 0.7, 0.7])
    sm = smooth_trace(p, 3)
    # Trailing: window i averages the finite values of i-2..i (no later window is used).
    np.testing.assert_allclose(sm[:5], [0.1, 0.1, 1.1 / 3, 1.1 / 3, 1.1 / 3])
    assert np.isnan(sm[5])  # a gap stays a gap
    np.testing.assert_allclose(sm[6:], [0.4, 0.7, 0.7])  # NaN neighbours are skipped, not zeros
    np.testing.assert_array_equal(smooth_trace(p, 1), p)
    s, e, pp = trace([0.1] * 10 + [0.9] + [0.1] * 10 + [0.9] * 8 + [0.1] * 5)
    cfg = EventConfig(threshold=0.5, hysteresis=0.1, min_duration_s=0.0, merge_gap_s=0.0)
    assert spans(detect_events(s, e, pp, cfg)) == [(10.0, 15.0), (21.0, 33.0)]
    smoothed = detect_events(s, e, pp, cfg.replace(smooth_windows=3))
    # The one-window blip is gone; the sustained run fires once two of three windows are high.
    assert spans(smoothed) == [(22.0, 34.0)]
    assert smoothed[0].peak_prob == pytest.approx(0.9)  # peaks are the raw probability's

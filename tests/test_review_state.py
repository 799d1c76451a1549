"""ReviewState without Qt: the trace and its midpoints, attention and probability lookups, events
under a moving threshold, N / P navigation, forecast alarms with lead times, gaps, streamed
chunks, poses; and that importing it loads no Qt."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import pytest

from app.review_state import ForecastAlarm, ReviewState
from inference.core.config import EventConfig
from inference.pose.keypoints import KeypointTrack
from inference.results.result_file import AnalysisResult, Gap, ResultChunk, Trace

ROOT = Path(__file__).resolve().parents[1]
RULES = EventConfig(threshold=0.5, hysteresis=0.1, min_duration_s=3.0, merge_gap_s=1.0)


@dataclass
class Seizure:
    eeg_onset_s: Optional[float] = None
    clinical_onset_s: Optional[float] = None


def trace(n: int = 16, high=((2.0, 3.0), (11.0, 13.0))):
    """Windows of 5 s every second; probability 0.9 for windows starting inside ``high``; the
    attention of window i is i / 100 on every joint."""
    starts = np.arange(float(n))
    prob = np.full(n, 0.1, dtype=np.float32)
    for a, b in high:
        prob[(starts >= a) & (starts <= b)] = 0.9
    att = np.repeat((np.arange(n, dtype=np.float32) / 100)[:, None], 14, axis=1)
    return starts, starts + 5.0, prob, att


def result(**kw) -> AnalysisResult:
    starts, ends, prob, att = trace()
    kw.setdefault("config", {"events": RULES.to_dict()})
    kw.setdefault("model", {"run_name": "t"})
    return AnalysisResult(starts, ends, prob, att, **kw)


def loaded(**kw) -> ReviewState:
    state = ReviewState()
    state.set_result(result(**kw))
    return state


def test_importing_review_state_loads_no_qt():
    out = subprocess.run([sys.executable, "-c", "import app.review_state, sys; print('PySide6' in sys.modules)"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_midpoints_once_and_attention_and_probability_at_a_time():
    state = loaded()
    assert len(state) == 16
    np.testing.assert_allclose(state.mid, np.arange(16.0) + 2.5)
    assert state.mid is state.mid and not state.mid.flags.writeable  # computed when set, never edited
    # t = 7.2 is covered by the windows starting at 3..7; the nearest midpoint is 7.5 (window 5).
    np.testing.assert_allclose(state.attention_at(7.2), np.full(14, 0.05))
    assert state.attention_at(7.2).dtype == np.float64
    # A tie (midpoints 6.5 and 7.5) goes to the earlier window.
    assert state.window_at(7.0) == 4
    assert state.prob_at(2.2) == pytest.approx(0.1) and state.prob_at(4.5) == pytest.approx(0.9)
    # Before the first midpoint: the first window; outside every window: nothing.
    assert state.window_at(0.5) == 0
    assert state.attention_at(20.5) is None and state.prob_at(-1.0) is None
    assert state.analysed_until_s == 20.0


def test_windows_with_unknown_attention_are_skipped():
    starts, ends, prob, att = trace()
    att[5] = np.nan
    state = ReviewState()
    state.set_result(AnalysisResult(starts, ends, prob, att))
    assert state.window_at(7.2) == 4  # 5 is nearer but has no attention
    att[:] = np.nan
    state.set_result(AnalysisResult(starts, ends, prob, att))
    assert state.attention_at(7.2) is None


def test_events_follow_the_threshold_and_the_result_rules():
    state = loaded()
    assert state.event_config == RULES
    assert [(e.start_s, e.end_s) for e in state.events] == [(2.0, 8.0), (11.0, 18.0)]
    assert state.set_threshold(0.95) == 0.95 and state.events == []
    assert state.set_threshold(1.7) == 1.0 and state.event_config.threshold == 1.0
    state.set_threshold(0.5)
    assert len(state.events) == 2
    # Without rules of its own a result brings its model's threshold.
    bare = ReviewState(EventConfig(min_duration_s=0.0))
    bare.set_result(result(config={}, model={"threshold": 0.95}))
    assert bare.event_config.threshold == 0.95 and bare.event_config.min_duration_s == 0.0
    assert bare.events == []


def test_event_at_and_next_previous_from_a_time_or_a_row():
    state = loaded()
    assert state.event_at(5.0) == 0 and state.event_at(10.0) is None and state.event_at(18.0) == 1
    assert state.next_event(0.0) == 0
    assert state.next_event(2.0) == 0  # an event starting at the cursor is the next one
    assert state.next_event(2.5) == 1 and state.next_event(11.5) is None
    assert state.previous_event(12.0) == 1 and state.previous_event(11.0) == 0 and state.previous_event(2.0) is None
    assert state.next_event(0.0, current=0) == 1 and state.next_event(0.0, current=1) is None
    assert state.previous_event(30.0, current=1) == 0 and state.previous_event(30.0, current=0) is None
    # Only the rows the panel shows (e.g. "only unreviewed") are eligible.
    assert state.next_event(0.0, among={1}) == 1 and state.previous_event(30.0, among=set()) is None


def test_forecast_alarms_with_lead_times_and_navigation_past_them():
    starts = np.arange(18.0)
    fprob = np.full(18, 0.1, np.float32)
    fprob[8:11] = 0.8  # rises in the window ending at 10 s
    fprob[15] = 0.9  # and again at 17 s
    res = result()
    res.add_trace("forecast", Trace(starts, starts + 2.0, fprob, meta={"threshold": 0.5, "onset": "clinical"}))
    state = ReviewState()
    state.set_result(res)
    np.testing.assert_allclose(state.forecast_curve[0], starts + 1.0)
    np.testing.assert_allclose(state.forecast_curve[1], fprob)
    assert state.forecast_threshold == 0.5
    assert state.alarms == [ForecastAlarm(10.0, pytest.approx(0.8), None),
                            ForecastAlarm(17.0, pytest.approx(0.9), None)]
    state.set_seizures([Seizure(eeg_onset_s=12.0, clinical_onset_s=14.5)])
    assert [a.lead_time_s for a in state.alarms] == [pytest.approx(4.5), None]
    # Rows: the two detections, then the alarms.
    assert state.row_count == 4 and state.alarm_of_row(1) is None and state.alarm_of_row(2).time_s == 10.0
    assert state.row_start_s(3) == 17.0
    assert state.next_event(0.0, current=2) == 1  # from the alarm at 10 s: the detection at 11 s
    assert state.next_event(0.0, current=3) is None and state.previous_event(0.0, current=2) == 0
    # A forecaster trained on EEG onsets measures lead times to those.
    res.traces["forecast"].meta["onset"] = "eeg"
    state.set_result(res)
    assert state.alarms[0].lead_time_s == pytest.approx(2.0)
    # A bare curve is drawn but gives no alarms.
    state.set_forecast_curve([1.0, 2.0], [0.2, 0.9])
    assert state.alarms == [] and state.forecast_threshold is None and state.forecast_trace is None
    np.testing.assert_allclose(state.forecast_curve[1], [0.2, 0.9])


def test_gaps_clear_and_streamed_chunks():
    state = loaded(gaps=[Gap(3.0, 5.0, "decode"), Gap(9.0, 10.0, "decode")])
    assert state.gap_spans == ([3.0, 9.0], [5.0, 10.0])
    state.clear_trace()
    assert len(state) == 0 and state.gap_spans is None and state.events == [] and state.attention_at(1.0) is None
    assert state.analysed_until_s == 0.0

    starts, ends, prob, att = trace()
    for a in range(0, 16, 4):  # four windows at a time, as the worker sends them
        state.add_chunk(ResultChunk(a, starts[a:a + 4], ends[a:a + 4], prob[a:a + 4], att[a:a + 4], 16, ends[a + 3]))
    state.set_threshold(0.5)
    np.testing.assert_allclose(state.mid, starts + 2.5)
    assert len(state.events) == 2 and state.analysed_until_s == 20.0
    # A chunk from an earlier index (a resumed run) replaces what follows it.
    state.add_chunk(ResultChunk(2, starts[2:4], ends[2:4], np.full(2, 0.1, np.float32), att[2:4], 16, 9.0))
    assert len(state) == 4 and state.events == []
    np.testing.assert_allclose(state.mid, starts[:4] + 2.5)


def test_pose_near_a_keypoint_sample_with_its_attention():
    state = loaded()
    assert state.pose_at(1.0) is None  # no keypoints
    times = np.arange(0.0, 10.0, 0.5)
    xy = np.repeat(times[:, None, None], 14, axis=1).repeat(2, axis=2).astype(np.float32)
    state.keypoints = KeypointTrack(times, xy, np.ones((len(times), 14), np.float32), (160, 120))
    pose = state.pose_at(7.1)
    assert pose.xy[0, 0] == 7.0 and pose.conf[0] == 1.0
    np.testing.assert_allclose(pose.attention, np.full(14, 0.05))
    far = state.pose_at(12.0)  # no sample within 0.6 s: a missing pose, not the last one
    assert np.isnan(far.xy).all() and not far.conf.any() and far.attention is None
    state.clear()
    assert state.pose_at(7.1) is None and len(state) == 0 and state.alarms == []
    assert state.event_config == RULES  # the rules stay for the next recording

"""Metrics, threshold choice, baselines and event-level scoring on hand-made traces."""
from __future__ import annotations

import math

import numpy as np
import pytest

from inference.core.config import EventConfig, SegmentConfig
from inference.dataset.manifest import Seizure
from inference.training.metrics import (
    choose_threshold,
    majority_class,
    mean_sd,
    random_chance,
    segment_metrics,
)
from inference.training.scoring import RecordingTrace, choose_event_rules, score_recording, summarise_events


def test_segment_metrics_known_values():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.4, 0.35, 0.8])
    m = segment_metrics(y, p, 0.5)
    assert m["accuracy"] == pytest.approx(0.75)
    assert m["auroc"] == pytest.approx(0.75)
    assert m["precision"] == pytest.approx(1.0) and m["recall"] == pytest.approx(0.5)
    assert m["f1"] == pytest.approx(2 / 3)
    assert m["auprc"] == pytest.approx((1.0 + 2 / 3) / 2)  # average precision
    one_class = segment_metrics(np.zeros(3, int), np.array([0.1, 0.2, 0.3]), 0.5)
    assert math.isnan(one_class["auroc"]) and one_class["accuracy"] == 1.0


@pytest.mark.parametrize("rule", ["f1", "youden"])
def test_threshold_separates_separable_validation(rule):
    y = np.array([0, 0, 0, 1, 1])
    p = np.array([0.05, 0.2, 0.3, 0.6, 0.9])
    t = choose_threshold(y, p, rule)
    assert 0.3 < t < 0.6
    assert segment_metrics(y, p, t)["f1"] == 1.0
    assert choose_threshold(np.zeros(4, int), np.random.rand(4), rule) == 0.5


def test_baselines():
    y = np.array([0] * 6 + [1] * 4)
    rc = random_chance(y)
    assert rc["accuracy"] == 0.5 and rc["auroc"] == 0.5 and rc["auprc"] == pytest.approx(0.4)
    assert rc["f1"] == pytest.approx(2 * 0.4 * 0.5 / 0.9)
    oc = majority_class(y, 0)
    assert oc["accuracy"] == pytest.approx(0.6) and oc["recall"] == 0 and oc["f1"] == 0 and oc["auroc"] == 0.5
    oc1 = majority_class(y, 1)
    assert oc1["recall"] == 1 and oc1["precision"] == pytest.approx(0.4)


def test_mean_sd():
    s = mean_sd([{"auroc": 0.9}, {"auroc": 0.8}, {"auroc": float("nan")}], ["auroc"])
    assert s["auroc"]["mean"] == pytest.approx(0.85) and s["auroc"]["n"] == 2
    assert s["auroc"]["sd"] == pytest.approx(np.std([0.9, 0.8], ddof=1))


def _trace(duration=600.0, high=((215, 250),), stride=1.0):
    starts = np.arange(0, duration - 5 + 1e-9, stride)
    prob = np.full(len(starts), 0.05, np.float32)
    for a, b in high:
        prob[(starts >= a) & (starts <= b)] = 0.95
    prob[100:103] = np.nan  # a gap (no person) never fires
    return RecordingTrace("r1", "s1", starts, starts + 5.0, prob, np.zeros((len(starts), 14), np.float32), duration)


def test_event_scoring_detection_latency_and_false_alarms():
    seg = SegmentConfig()
    ev = EventConfig(threshold=0.5, hysteresis=0.1, min_duration_s=3.0, merge_gap_s=10.0)
    sz = [Seizure(200.0, 210.0, 260.0)]
    row = score_recording(_trace(high=((215, 250), (450, 455))), sz, seg, ev)
    s = row["seizures"][0]
    assert s["detected"]
    # Alarm at the first firing window's end (215 + 5 s): 20 s after EEG onset, 10 s after clinical.
    assert s["latency_eeg_s"] == pytest.approx(20.0) and s["latency_clinical_s"] == pytest.approx(10.0)
    assert row["false_alarms"] == 1 and row["n_alarms"] == 2
    assert row["interictal_s"] == pytest.approx(600 - (320 - 170))
    summary = summarise_events([row])
    assert summary["sensitivity"] == 1.0
    assert row["interictal_alarm_s"] == pytest.approx(10.0)  # the false alarm: windows 450..455 -> 450..460 s
    assert summary["false_alarms_per_hour"] == pytest.approx(1 / (450 / 3600))


def test_event_scoring_missed_seizure_and_tolerance():
    seg = SegmentConfig()
    ev = EventConfig(threshold=0.5)
    sz = [Seizure(200.0, 210.0, 260.0)]
    # An alarm 20 s before EEG onset lies within the 30 s tolerance: a detection, not a false alarm.
    early = score_recording(_trace(high=((175, 185),)), sz, seg, ev)
    assert early["seizures"][0]["detected"] and early["false_alarms"] == 0
    assert early["seizures"][0]["latency_eeg_s"] == pytest.approx(-20.0)
    # An alarm that began 100 s before EEG onset and ran into the seizure: a false alarm, not a
    # detection (SzCORE would count it), reported as early.
    long_early = score_recording(_trace(high=((100, 230),)), sz, seg, ev)
    assert not long_early["seizures"][0]["detected"]
    assert long_early["false_alarms"] == 1 and long_early["early_alarms"] == 1
    assert long_early["szcore_false_alarms"] == 0
    both = score_recording(_trace(high=((20, 60), (205, 230))), sz, seg, EventConfig(threshold=0.5, merge_gap_s=5))
    assert both["seizures"][0]["detected"] and both["seizures"][0]["latency_eeg_s"] == pytest.approx(10.0)
    # The first alarm ended before the tolerance began: an ordinary false alarm, not an early one.
    assert both["false_alarms"] == 1 and both["early_alarms"] == 0
    assert summarise_events([long_early, both])["early_alarms"] == 1
    missed = score_recording(_trace(high=()), sz, seg, ev)
    assert not missed["seizures"][0]["detected"] and missed["false_alarms"] == 0
    assert summarise_events([missed])["sensitivity"] == 0.0


def test_event_rules_chosen_on_validation_remove_a_blip():
    seg = SegmentConfig()
    base = EventConfig(threshold=0.5, hysteresis=0.1, min_duration_s=3.0, merge_gap_s=10.0)
    sz = [Seizure(200.0, 210.0, 260.0)]
    # A sustained detection of the seizure plus a one-window blip (a 5 s event) at 450 s.
    val = [(_trace(high=((215, 250), (450, 450))), sz)]
    rules, rows = choose_event_rules(val, seg, base, (3.0, 6.0, 10.0, 50.0), (1,), max_false_alarms_per_hour=2.0)
    by_d = {r["min_duration_s"]: r for r in rows}
    # 450 s of interictal time: the blip alone is 8 false alarms/h.
    assert by_d[3.0]["false_alarms"] == 1 and by_d[3.0]["false_alarms_per_hour"] == pytest.approx(8.0)
    assert not by_d[3.0]["feasible"] and by_d[6.0]["feasible"] and by_d[10.0]["feasible"]
    assert by_d[50.0]["detected"] == 0  # the 40 s event is dropped too: the seizure is missed
    # Highest sensitivity within 2 FA/h, then the shortest delay: 6 s (10 s detects it just as well).
    assert rules.min_duration_s == 6.0 and rules.smooth_windows == 1 and rules.threshold == 0.5
    assert [r["chosen"] for r in rows] == [False, True, False, False]
    # Smoothing over 3 windows removes the blip as well, and is chosen when it is the only way.
    rules, rows = choose_event_rules(val, seg, base, (3.0,), (1, 3))
    assert rules.smooth_windows == 3 and rules.min_duration_s == 3.0
    assert [(r["smooth_windows"], r["detected"], r["false_alarms"]) for r in rows] == [(1, 1, 1), (3, 1, 0)]
    # No option meets the limit: sensitivity first (50 s has no false alarm but misses the seizure),
    # then the fewest false alarms, then the shortest delay.
    wide = [(_trace(high=((215, 250), (450, 470))), sz)]
    rules, rows = choose_event_rules(wide, seg, base, (3.0, 6.0, 50.0), (1,), max_false_alarms_per_hour=0.5)
    by_d = {r["min_duration_s"]: r for r in rows}
    assert by_d[50.0]["false_alarms"] == 0 and by_d[50.0]["detected"] == 0
    assert not any(r["feasible"] for r in rows if r["min_duration_s"] != 50.0)
    assert rules.min_duration_s == 3.0 and rows[0]["chosen"]


def test_event_rules_false_alarm_limit_applies_only_when_measurable():
    seg = SegmentConfig()
    base = EventConfig(threshold=0.5, hysteresis=0.1, min_duration_s=3.0, merge_gap_s=10.0)
    sz = [Seizure(200.0, 210.0, 260.0)]
    # Two hours; the seizure is detected only by a 12 s run of windows, and three 8 s blips follow.
    blips = ((1000, 1008), (3000, 3008), (5000, 5008))
    long = [(_trace(duration=7200.0, high=((215, 226),) + blips), sz)]
    rules, rows = choose_event_rules(long, seg, base, (3.0, 15.0, 30.0), (1,), max_false_alarms_per_hour=1.0)
    by_d = {r["min_duration_s"]: r for r in rows}
    # 3 s: 3 false alarms in ~2 h is over the limit; 15 s keeps the seizure and drops the blips.
    assert by_d[3.0]["false_alarms"] == 3 and not by_d[3.0]["feasible"]
    assert by_d[15.0]["detected"] == 1 and by_d[15.0]["false_alarms"] == 0
    assert by_d[30.0]["detected"] == 0 and by_d[30.0]["feasible"]
    assert rules.min_duration_s == 15.0
    # The same trace cut to 10 minutes: one false alarm already breaks 1/h, so the limit is not
    # applied and sensitivity decides (no rule that silences the seizure).
    short = [(_trace(duration=600.0, high=((215, 226), (400, 408))), sz)]
    rules, rows = choose_event_rules(short, seg, base, (3.0, 30.0), (1,), max_false_alarms_per_hour=1.0)
    assert rules.min_duration_s == 3.0


def test_pose_coverage_gate_chosen_on_validation():
    """A stricter gate that silences a false alarm on half-visible windows wins; with complete pose
    every gate ties and the default stays."""
    from inference.training.scoring import choose_min_joints

    seg = SegmentConfig()
    rules = EventConfig(threshold=0.5, hysteresis=0.1, min_duration_s=3.0, merge_gap_s=10.0)
    sz = [Seizure(200.0, 210.0, 260.0)]
    tr = _trace(high=((215, 250), (450, 470)))
    n = np.full(len(tr.prob), 14, np.int16)
    n[(tr.starts >= 445) & (tr.starts <= 475)] = 6  # the false alarm comes from windows with 6 joints
    tr.n_joints = n
    gate, rows = choose_min_joints([(tr, sz)], seg, rules, (5, 6, 7, 8), default=6)
    by = {r["min_joints"]: r for r in rows}
    assert by[6]["false_alarms"] == 1 and by[7]["false_alarms"] == 0 and by[7]["detected"] == 1
    assert gate == 7  # of the tied 7 and 8, the nearer to the default
    assert np.isnan(tr.gated(7).prob[(tr.starts >= 450) & (tr.starts <= 470)]).all()
    tr.n_joints = np.full(len(tr.prob), 14, np.int16)
    assert choose_min_joints([(tr, sz)], seg, rules, (5, 6, 7, 8), default=7)[0] == 7


def test_threshold_chosen_with_the_event_rules():
    """At a low window-level threshold the whole lead-up is one alarm that began minutes before the
    seizure (a false alarm, and the seizure missed); the joint choice finds the threshold where the
    seizure is detected without it, and the middle of the tied thresholds."""
    seg = SegmentConfig()
    base = EventConfig(threshold=0.1, hysteresis=0.05, min_duration_s=3.0, merge_gap_s=10.0)
    sz = [Seizure(300.0, 310.0, 360.0)]
    starts = np.arange(0, 1200 - 5 + 1e-9, 1.0)
    prob = np.full(len(starts), 0.05, np.float32)
    prob[(starts >= 100) & (starts < 315)] = 0.2  # restless lead-up
    prob[(starts >= 315) & (starts <= 350)] = 0.95  # the seizure
    tr = RecordingTrace("r1", "s1", starts, starts + 5.0, prob, np.zeros((len(starts), 14), np.float32), 1200.0)
    low, _ = choose_event_rules([(tr, sz)], seg, base, (3.0,), (1,))
    assert low.threshold == 0.1  # thresholds not given: the base threshold stays
    rules, rows = choose_event_rules([(tr, sz)], seg, base, (3.0, 6.0), (1,), thresholds=(0.3, 0.5, 0.7, 0.9))
    at_low = [r for r in rows if r["threshold"] == 0.1]
    assert all(r["detected"] == 0 and r["early_alarms"] == 1 for r in at_low)
    assert rules.threshold == 0.5 and rules.min_duration_s == 3.0  # 0.3..0.9 tie: the middle one
    assert sum(r["chosen"] for r in rows) == 1 and len(rows) == 5 * 2

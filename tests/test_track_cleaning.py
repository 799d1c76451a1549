"""Track cleaning: confidence threshold, short-gap interpolation, smoothing that keeps seizure motion,
and choosing the patient among several people."""
from __future__ import annotations

import numpy as np

from inference.core.config import PoseConfig
from inference.pose.cleaning import INTERPOLATED_CONF_FACTOR, clean_track, select_patient, smoothing_applies
from inference.pose.joints import NUM_JOINTS
from inference.pose.keypoints import KeypointTrack


def _track(x: np.ndarray, fps: float, conf=None) -> KeypointTrack:
    n = len(x)
    xy = np.zeros((n, NUM_JOINTS, 2), np.float32)
    xy[..., 0] = np.asarray(x, np.float32)[:, None]
    xy[..., 1] = 100.0
    conf = np.ones((n, NUM_JOINTS), np.float32) if conf is None else conf
    return KeypointTrack(np.arange(n) / fps, xy, conf, (640, 480))


def test_low_confidence_becomes_missing_and_short_gaps_are_interpolated():
    fps = 6.0
    x = np.arange(40, dtype=np.float64) * 2.0
    conf = np.full((40, NUM_JOINTS), 0.9, np.float32)
    conf[10:13, 0] = 0.1  # 3 samples = 0.5 s: bridged
    conf[20:24, 1] = 0.0  # 4 samples = 0.67 s: stays missing
    conf[0:2, 2] = 0.0  # at the start: never extrapolated
    conf[37:, 3] = 0.0  # at the end: never extrapolated
    conf[30, 4] = 0.29  # just under the threshold
    raw = _track(x, fps, conf)
    raw.xy[30, 4] = (999, 999)  # the unsure value must not leak into the result
    out = clean_track(raw, PoseConfig(min_confidence=0.3, max_gap_s=0.5))
    np.testing.assert_allclose(out.xy[10:13, 0, 0], x[10:13])  # linear in time
    np.testing.assert_allclose(out.conf[10:13, 0], INTERPOLATED_CONF_FACTOR * 0.9)
    assert 0 < out.conf[11, 0] < 0.9
    assert np.isnan(out.xy[20:24, 1]).all() and (out.conf[20:24, 1] == 0).all()
    assert np.isnan(out.xy[0:2, 2]).all() and np.isnan(out.xy[37:, 3]).all()
    np.testing.assert_allclose(out.xy[30, 4, 0], x[30])  # 1-sample gap bridged from neighbours
    assert out.conf[30, 4] == np.float32(INTERPOLATED_CONF_FACTOR * 0.9)
    # The untouched joints are unchanged; the input is not modified.
    np.testing.assert_array_equal(out.xy[:, 5], raw.xy[:, 5])
    assert raw.conf[10, 0] == np.float32(0.1)


def test_smoothing_keeps_a_4hz_rhythm_and_reduces_jitter():
    fps = 30.0  # the video's frame rate: where smoothing is meaningful
    t = np.arange(int(20 * fps)) / fps
    rhythm = 12.0 * np.sin(2 * np.pi * 4.0 * t)
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 3.0, size=len(t))
    track = _track(300 + rhythm + noise, fps)
    cfg = PoseConfig(smoothing=True, smoothing_cutoff_hz=8.0, max_gap_s=0.0, min_confidence=0.0)
    assert smoothing_applies(track.times, cfg.smoothing_cutoff_hz)
    out = clean_track(track, cfg).xy[:, 0, 0].astype(np.float64) - 300
    # Amplitude of the 4 Hz component by least squares on the middle (away from run edges).
    mid = slice(int(2 * fps), int(18 * fps))
    basis = np.stack([np.sin(2 * np.pi * 4 * t[mid]), np.cos(2 * np.pi * 4 * t[mid])], axis=1)
    coef, *_ = np.linalg.lstsq(basis, out[mid], rcond=None)
    assert np.hypot(*coef) >= 0.9 * 12.0
    residual_before = np.std(noise[mid])
    residual_after = np.std(out[mid] - rhythm[mid])
    assert residual_after < 0.8 * residual_before, (residual_after, residual_before)


def test_smoothing_is_skipped_above_nyquist_and_on_short_runs():
    # At 6 fps (Nyquist 3 Hz) an 8 Hz low-pass would only damp the 2-5 Hz motion: skipped.
    t = np.arange(60) / 6.0
    x = 300 + 10 * np.sin(2 * np.pi * 2.0 * t)
    track = _track(x, 6.0)
    cfg = PoseConfig(smoothing=True, smoothing_cutoff_hz=8.0)
    assert not smoothing_applies(track.times, 8.0)
    skipped = clean_track(track, cfg)
    np.testing.assert_array_equal(skipped.xy, track.xy)
    assert skipped.meta["smoothing"].startswith("skipped")
    # At 30 fps, a run of 10 samples between gaps is too short to filter: left as it is.
    conf = np.ones((40, NUM_JOINTS), np.float32)
    conf[:15] = 0
    conf[25:] = 0
    noisy = _track(np.random.default_rng(1).normal(300, 5, 40), 30.0, conf)
    out = clean_track(noisy, PoseConfig(smoothing=True, smoothing_cutoff_hz=8.0, max_gap_s=0.0))
    np.testing.assert_array_equal(out.xy[15:25], noisy.xy[15:25])


def _person(cx: float, cy: float, conf: float = 0.9) -> np.ndarray:
    p = np.zeros((NUM_JOINTS, 3))
    p[:, 0] = cx + np.linspace(-20, 20, NUM_JOINTS)
    p[:, 1] = cy + np.linspace(-40, 40, NUM_JOINTS)
    p[:, 2] = conf
    return p


def test_select_patient_keeps_the_central_continuous_person():
    frames = []
    expected = []
    for t in range(40):
        patient = _person(320 + 0.5 * t, 250)
        people = [patient]
        if 5 <= t < 25:  # staff walks in from the left edge and out again
            staff = _person(20 + 8 * (t - 5), 300)
            people = [staff, patient] if t % 2 else [patient, staff]
        if t in (30, 31):
            people = []  # nobody found
        frames.append(np.stack(people) if people else np.zeros((0, NUM_JOINTS, 3)))
        expected.append(next((i for i, q in enumerate(people) if q is patient), -1))
    chosen = select_patient(frames, frame_size=(640, 480))
    np.testing.assert_array_equal(chosen, expected)


def test_select_patient_prefers_the_bed_over_a_longer_visit_at_the_edge():
    frames = []
    for t in range(30):
        people = [_person(600, 40)]  # a visitor in the corner the whole time
        if t >= 4:
            people.append(_person(330, 260))  # the patient, in bed, found a little later
        frames.append(np.stack(people))
    chosen = select_patient(frames, frame_size=(640, 480))
    assert (chosen[:4] == -1).all()  # only the visitor is seen: the patient is missing, not replaced
    assert (chosen[4:] == 1).all()

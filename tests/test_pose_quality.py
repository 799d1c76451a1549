"""Pose accuracy against ground truth: detection rate, PCK, jitter; `semioscope pose --evaluate`."""
from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from app.cli import main
from app.commands.pose import add_arguments, pose_config_from_args
from inference.core.config import PoseConfig
from inference.core.errors import SemioscopeError
from inference.pose.joints import JOINT_INDEX, NUM_JOINTS
from inference.pose.keypoint_files import sidecar_path
from inference.pose.keypoints import KeypointTrack
from inference.pose.mediapipe_backend import MediaPipePoseBackend
from inference.pose.quality import evaluate_pose, evaluate_pose_many
from inference.synth.generator import SynthConfig, generate_recording

TORSO = 100.0  # pixels from neck to the hips' midpoint in the synthetic truth below


def truth_track(n=60, fps=30.0, seed=0) -> KeypointTrack:
    """A patient whose torso is exactly TORSO px long, drifting slowly."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(100, 300, size=(NUM_JOINTS, 2)).astype(np.float32)
    base[JOINT_INDEX["neck"]] = (200, 100)
    base[JOINT_INDEX["right_hip"]] = (180, 200)
    base[JOINT_INDEX["left_hip"]] = (220, 200)
    drift = np.linspace(0, 20, n, dtype=np.float32)[:, None, None]
    xy = base[None] + drift
    return KeypointTrack(np.arange(n) / fps, xy, np.ones((n, NUM_JOINTS), np.float32), (640, 480), "synthetic-gt")


def estimate_from(truth: KeypointTrack, xy=None, conf=None, step=5) -> KeypointTrack:
    """Sampled every ``step`` truth frames (6 fps from 30 fps), like a pose backend's output."""
    idx = np.arange(0, len(truth), step)
    return KeypointTrack(truth.times[idx], (truth.xy[idx] if xy is None else xy[idx]).copy(),
                         (truth.conf[idx] if conf is None else conf[idx]).copy(), truth.frame_size, "test")


def test_perfect_estimate_scores_one_and_no_jitter():
    truth = truth_track()
    q = evaluate_pose(estimate_from(truth), truth)
    assert q.frames == 12
    assert q.overall["detection_rate"] == 1.0 and q.overall["pck@0.1"] == 1.0 and q.overall["pck@0.2"] == 1.0
    assert q.overall["jitter"] == pytest.approx(0.0, abs=1e-6)
    assert set(q.per_joint) == set(JOINT_INDEX)


def test_constant_offset_fails_pck_at_01_passes_at_02_without_jitter():
    truth = truth_track()
    shifted = truth.xy.copy()
    shifted[..., 0] += 0.15 * TORSO  # 0.15 torso lengths to the right
    q = evaluate_pose(estimate_from(truth, xy=shifted), truth)
    assert q.overall["pck@0.1"] == 0.0
    assert q.overall["pck@0.2"] == 1.0
    assert q.overall["jitter"] == pytest.approx(0.0, abs=1e-6)  # a steady error is not jitter


def rhythmic_truth(n=300, fps=30.0, hz=2.5, amplitude=0.08) -> KeypointTrack:
    """The left wrist jerks at ``hz`` (``amplitude`` torso lengths), everything else still."""
    truth = truth_track(n, fps)
    truth.xy[:] = truth.xy[0]
    wrist = JOINT_INDEX["left_wrist"]
    truth.xy[:, wrist, 0] += (amplitude * TORSO * np.sin(2 * np.pi * hz * truth.times)).astype(np.float32)
    return truth


def test_motion_fidelity_follows_the_rhythm_or_says_it_is_lost():
    truth = rhythmic_truth()
    wrist = "left_wrist"
    exact = evaluate_pose(estimate_from(truth), truth)
    assert exact.per_joint[wrist]["motion_corr"] == pytest.approx(1.0, abs=1e-6)
    assert exact.per_joint[wrist]["motion_gain"] == pytest.approx(1.0, abs=1e-6)
    assert np.isnan(exact.per_joint["neck"]["motion_corr"])  # a still joint has no motion to follow

    # A tracking filter's damping (first-order, alpha 0.3 at 6 fps): PCK still perfect, gain low.
    est = estimate_from(truth)
    for t in range(1, len(est)):
        est.xy[t] = est.xy[t - 1] + 0.3 * (est.xy[t] - est.xy[t - 1])
    smoothed = evaluate_pose(est, truth)
    assert smoothed.per_joint[wrist]["pck@0.2"] == 1.0
    assert smoothed.per_joint[wrist]["motion_gain"] < 0.6

    # One sample of lag: at 2.5 Hz sampled at 6 fps consecutive steps point opposite ways.
    lagged = estimate_from(truth)
    lagged.xy[1:] = lagged.xy[:-1].copy()
    late = evaluate_pose(lagged, truth)
    assert late.per_joint[wrist]["pck@0.2"] == 1.0
    assert late.per_joint[wrist]["motion_corr"] < -0.5

    frozen = truth.xy.copy()
    frozen[:] = frozen[0]  # the estimate never moves
    still = evaluate_pose(estimate_from(truth, xy=frozen), truth)
    assert still.per_joint[wrist]["motion_gain"] == 0.0 and still.per_joint[wrist]["motion_corr"] == 0.0
    assert "motion_corr" in still.table() and "motion_gain" in still.table()


def test_missed_and_occluded_joints():
    truth = truth_track()
    conf = truth.conf.copy()
    conf[:, JOINT_INDEX["left_ankle"]] = 0.0  # the backend never finds the left ankle
    truth.conf[:, JOINT_INDEX["right_ankle"]] = 0.0  # the right ankle is under a blanket: not scored
    q = evaluate_pose(estimate_from(truth, conf=conf), truth)
    assert q.per_joint["left_ankle"]["detection_rate"] == 0.0
    assert q.per_joint["left_ankle"]["pck@0.2"] == 0.0
    assert np.isnan(q.per_joint["right_ankle"]["detection_rate"])
    assert q.per_joint["right_ankle"]["visible_samples"] == 0
    assert q.overall["detection_rate"] == pytest.approx(12 / 13)  # 12 of 13 scored joints found


def test_noise_shows_as_jitter_and_pools_over_recordings():
    truth = truth_track()
    noisy = truth.xy + np.random.default_rng(1).normal(0, 0.05 * TORSO, truth.xy.shape).astype(np.float32)
    q = evaluate_pose(estimate_from(truth, xy=noisy), truth)
    assert 0.02 < q.overall["jitter"] < 0.2
    both = evaluate_pose_many([(estimate_from(truth), truth), (estimate_from(truth, xy=noisy), truth)])
    assert both.frames == 24 and both.meta["recordings"] == 2
    assert 0 < both.overall["jitter"] < q.overall["jitter"] + 1e-9


def test_other_video_is_refused():
    truth = truth_track()
    est = estimate_from(truth)
    est.frame_size = (320, 240)
    with pytest.raises(SemioscopeError, match="frame sizes differ"):
        evaluate_pose(est, truth)


def test_cli_evaluates_against_the_sidecar_and_writes_json(tmp_path, capsys):
    video = tmp_path / "r.mp4"
    generate_recording(video, "s1", "r", seed=2, config=SynthConfig(size=(320, 240)), duration_s=4.0)
    out = tmp_path / "q.json"
    assert main(["pose", str(video), "--backend", "file", "--no-cache", "--evaluate", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "pck@0.1" in text and "left_ankle" in text and "all" in text
    data = json.loads(out.read_text())
    assert data["format"] == "semioscope.pose_quality" and data["frames"] == 24
    # The file backend replays the truth: every visible joint found, on the spot.
    assert data["overall"]["detection_rate"] > 0.95 and data["overall"]["pck@0.1"] > 0.95


def test_cli_without_ground_truth_names_the_missing_file(tmp_path, capsys):
    video = tmp_path / "r.mp4"
    generate_recording(video, "s1", "r", seed=2, config=SynthConfig(size=(320, 240)), duration_s=2.0)
    track = KeypointTrack.load(sidecar_path(video))
    moved = tmp_path / "elsewhere.npz"
    track.save(moved)
    sidecar_path(video).unlink()
    assert main(["pose", str(video), "--backend", "file", "--keypoints", str(moved), "--no-cache",
                 "--evaluate"]) == 1
    assert "no ground truth for r.mp4" in capsys.readouterr().err


def test_landmark_smoothing_is_a_pose_option_and_part_of_the_cache_key():
    p = argparse.ArgumentParser()
    add_arguments(p)
    default = pose_config_from_args(p.parse_args(["v.mp4"]))
    on = pose_config_from_args(p.parse_args(["v.mp4", "--landmark-smoothing"]))
    off = pose_config_from_args(p.parse_args(["v.mp4", "--no-landmark-smoothing"]))
    assert default.landmark_smoothing is False and on.landmark_smoothing is True and off.landmark_smoothing is False
    assert MediaPipePoseBackend(PoseConfig()).params()["smooth_landmarks"] is False  # the filter halves jerks
    assert MediaPipePoseBackend(on).params()["smooth_landmarks"] is True
    assert MediaPipePoseBackend(PoseConfig(landmark_smoothing=True), smooth_landmarks=False).params()["smooth_landmarks"] is False


def test_runs_stored_before_the_option_keep_the_filter_they_were_trained_with():
    assert PoseConfig.from_run({"backend": "mediapipe", "min_confidence": 0.3}).landmark_smoothing is True
    assert PoseConfig.from_run({"backend": "mediapipe", "landmark_smoothing": False}).landmark_smoothing is False
    assert PoseConfig.from_dict({"backend": "mediapipe"}).landmark_smoothing is False  # a new config: the default

"""The pose-coverage gate: windows with too few visible joints are "partial pose" gaps, not scores."""
from __future__ import annotations

import numpy as np
import pytest

from inference.analysis.batch import analyze_video
from inference.analysis.settings import EngineConfig
from inference.core.config import ClipConfig
from inference.detector.clips import enough_joints
from inference.pose.joints import JOINT_INDEX
from inference.pose.keypoint_files import sidecar_path
from inference.pose.keypoints import KeypointTrack
from inference.results.result_file import GAP_PARTIAL_POSE
from inference.synth.generator import SynthConfig, generate_recording
from inference.video.reader import VideoReader
from inference.video.writer import VideoWriter
from test_engine import tiny_run  # noqa: F401  (fixture)

UPPER = [JOINT_INDEX[n] for n in ("head", "neck", "right_shoulder", "left_shoulder")]


def test_gate_rule_and_default():
    assert ClipConfig().min_joints == 7
    mask = np.zeros(14, bool)
    mask[:6] = True
    assert not enough_joints(mask, 7)
    mask[6] = True
    assert enough_joints(mask, 7)


def crop_to_upper_body(src, dst):
    """``src`` cropped to its head and shoulders (the box they stay in, plus a margin), with the
    ground truth moved along: joints outside the crop are no longer visible."""
    truth = KeypointTrack.load(sidecar_path(src))
    upper = truth.xy[:, UPPER].reshape(-1, 2)
    x0, y0 = np.floor(upper.min(0) - 6).astype(int).clip(0)
    x1, y1 = np.ceil(upper.max(0) + 6).astype(int)
    x1, y1 = min(x1, truth.frame_size[0]), min(y1, truth.frame_size[1])
    w, h = (x1 - x0) // 2 * 2, (y1 - y0) // 2 * 2  # even sizes for the encoder
    with VideoReader(src) as r, VideoWriter(dst, fps=r.meta.fps, size=(w, h)) as out:
        for _, rgb in r.iter_frames():
            out.write(np.ascontiguousarray(rgb[y0:y0 + h, x0:x0 + w]))
    xy = truth.xy - np.array([x0, y0], np.float32)
    inside = (xy[..., 0] >= 0) & (xy[..., 0] < w) & (xy[..., 1] >= 0) & (xy[..., 1] < h)
    KeypointTrack(truth.times, xy, np.where(inside, truth.conf, 0.0).astype(np.float32), (w, h),
                  "synthetic-gt").save(sidecar_path(dst))
    return dst, inside


def test_upper_body_video_gives_partial_pose_gaps_not_events(tmp_path, tiny_run):  # noqa: F811
    full = tmp_path / "full.mp4"
    generate_recording(full, "s1", "full", seed=4, config=SynthConfig(size=(320, 240)), duration_s=30.0,
                       eeg_onset_s=10.0)
    video, inside = crop_to_upper_body(full, tmp_path / "bust.mp4")
    assert inside[:, UPPER].mean() > 0.99 and inside.sum(axis=1).max() < 7  # head and shoulders only
    res = analyze_video(video, tiny_run, tmp_path / "bust.result.npz",
                        EngineConfig(keypoints="gt", device="cpu", events={"threshold": 0.0}))
    assert len(res) > 20
    assert np.isnan(res.prob).all()  # no window is scored...
    assert res.events == []  # ...so even a threshold of 0 raises no alarm
    partial = [g for g in res.gaps if g.reason == GAP_PARTIAL_POSE]
    assert partial and partial[0].start_s == 0.0 and partial[-1].end_s == pytest.approx(res.window_end_s[-1])
    # The same video with the whole body is scored.
    whole = analyze_video(full, tiny_run, tmp_path / "full.result.npz", EngineConfig(keypoints="gt", device="cpu"))
    assert np.isfinite(whole.prob).all() and not [g for g in whole.gaps if g.reason == GAP_PARTIAL_POSE]

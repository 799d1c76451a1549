"""`semioscope train --keypoints mediapipe`: pose from MediaPipe on the synthetic patient, cached
under the run's --cache-dir, then crops and one epoch of training."""
from __future__ import annotations

import json

import numpy as np
import pytest

from app.cli import main
from inference.core.config import ClipConfig, PoseConfig, SegmentConfig
from inference.dataset.manifest import load_manifest
from inference.synth.generator import SynthConfig, generate_dataset
from inference.training.data import KeypointSource, recording_clips

pytestmark = pytest.mark.slow


def test_train_with_mediapipe_keypoints_end_to_end(tmp_path, monkeypatch):
    cfg = SynthConfig(size=(320, 240), duration_s=(40.0, 40.0), recordings_per_subject=(1, 1),
                      staff_probability=0.0, night_fraction=0.0)
    generate_dataset(tmp_path / "data", 4, seed=3, config=cfg, workers=1)
    for npz in (tmp_path / "data").rglob("*.keypoints.npz"):
        npz.unlink()  # no ground truth to fall back on: the keypoints must come from MediaPipe
    cache = tmp_path / "cache"
    run = tmp_path / "run"
    rc = main(["train", "--manifest", str(tmp_path / "data" / "manifest.csv"), "--preset", "tiny", "--mode", "full",
               "--out", str(run), "--epochs", "1", "--batch-size", "8", "--test-subjects", "1",
               "--val-fraction", "0.34", "--keypoints", "mediapipe", "--device", "cpu", "--cache-dir", str(cache),
               "--threads", "1", "--no-eval"])
    assert rc == 0
    info = json.loads((run / "run.json").read_text())
    assert info["keypoint_source"] == "mediapipe"
    assert len(list((cache / "pose").glob("**/*.npz"))) == 3  # train + val recordings, one track each

    # The cached crops carry MediaPipe's joints: the synthetic patient is found in most frames
    # (not while lying under the blanket, when MediaPipe finds no one).
    rec = next(iter(load_manifest(tmp_path / "data" / "manifest.csv")))

    def no_pose(*a, **k):
        raise AssertionError("pose was estimated again")

    monkeypatch.setattr("inference.training.data.estimate_track", no_pose)
    rc_clips = recording_clips(rec, KeypointSource("mediapipe"), SegmentConfig(), ClipConfig(input_size=32),
                               PoseConfig(), cache)
    conf = rc_clips.positions[..., 2]
    assert rc_clips.clips.shape[1:] == (14, 3, 32, 32)
    found = conf > 0.3
    assert found.any(axis=1).mean() > 0.4 and found.mean() > 0.3 and np.isfinite(rc_clips.positions).all()

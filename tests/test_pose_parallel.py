"""Pose in worker processes: chunks with warm-up, stitched in time order, identical grid."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_engine import tiny_run  # noqa: F401  (fixture)

from inference.analysis.batch import analyze_video
from inference.analysis.settings import EngineConfig
from inference.core.config import PoseConfig
from inference.core.errors import Cancelled
from inference.core.progress import CancelToken
from inference.pose import registry
from inference.pose.estimate import estimate_track
from inference.pose.parallel import chunk_bounds, estimate_track_parallel
from inference.synth.generator import SynthConfig, generate_recording


def test_chunks_cover_the_grid_once_with_warmup():
    chunks = chunk_bounds(600, 3, warmup=12)
    assert [(c[1], c[2]) for c in chunks] == [(0, 200), (200, 400), (400, 600)]
    assert [c[0] for c in chunks] == [0, 188, 388]  # each posed from 2 s (12 samples) earlier
    assert chunk_bounds(100, 4, 12) == [(0, 0, 100)]  # too short to be worth a process each
    assert len(chunk_bounds(130, 4, 12)) == 2


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    path = tmp_path_factory.mktemp("par") / "r.mp4"
    generate_recording(path, "s1", "r", seed=3, config=SynthConfig(size=(160, 120)), duration_s=24.0)
    return path


@pytest.fixture
def pixel_backend(monkeypatch):
    """A stateless test backend, registered in this process and in the spawned workers."""
    monkeypatch.setenv("SEMIOSCOPE_POSE_PLUGINS", "pose_plugin_for_tests")
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parent))
    monkeypatch.setattr(registry, "_PLUGINS_LOADED", False)
    return PoseConfig(backend="pixel-test")


def test_stateless_backend_gives_the_same_track_in_three_processes(video, pixel_backend):
    one = estimate_track(video, pixel_backend, clean=False)
    seen = []
    three = estimate_track_parallel(video, pixel_backend, workers=3,
                                    progress=lambda d, n, m="": seen.append((d, n)))
    assert len(three) == len(one) == 144 and three.meta["pose_workers"] == 2  # 144 samples: 2 chunks of >= 60
    np.testing.assert_array_equal(three.times, one.times)
    np.testing.assert_array_equal(three.xy, one.xy)
    np.testing.assert_array_equal(three.conf, one.conf)
    assert three.meta["backend_params"] == one.meta["backend_params"]  # the same pose-cache key
    assert seen[-1] == (144, 144)


@pytest.mark.slow
def test_mediapipe_in_two_processes_keeps_grid_and_first_chunk(video):
    """A tracker restarts cold after a cut, so only the first chunk is sure to be identical."""
    cfg = PoseConfig(backend="mediapipe")
    one = estimate_track(video, cfg, clean=False)
    two = estimate_track_parallel(video, cfg, workers=2)
    np.testing.assert_array_equal(two.times, one.times)
    np.testing.assert_allclose(two.xy[:72], one.xy[:72], atol=1e-4)
    np.testing.assert_array_equal(two.conf[:72], one.conf[:72])
    assert two.meta["backend_params"] == one.meta["backend_params"]


def test_cancel_stops_the_workers(video):
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        estimate_track_parallel(video, PoseConfig(backend="mediapipe"), workers=2, cancel=token)


def test_engine_poses_in_workers_then_caches(video, pixel_backend, tiny_run, tmp_path):  # noqa: F811
    cfg = EngineConfig(pose_backend="pixel-test", pose_workers=2, device="cpu", cache_dir=str(tmp_path / "pose"))
    res = analyze_video(video, tiny_run, tmp_path / "a.result.npz", cfg)
    live = analyze_video(video, tiny_run, tmp_path / "b.result.npz",
                         EngineConfig(pose_backend="pixel-test", pose_workers=1, device="cpu", use_pose_cache=False))
    np.testing.assert_allclose(res.prob, live.prob, atol=1e-5)  # same track, same scores
    assert list((tmp_path / "pose").glob("*.npz"))  # the parallel track went to the pose cache

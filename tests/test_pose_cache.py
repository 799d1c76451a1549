"""The pose cache: instant second run, invalidation by file and parameter, corrupt files rebuilt."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from inference.core.config import PoseConfig
from inference.pose.backend import PoseBackend
from inference.pose.joints import NUM_JOINTS
from inference.pose.keypoints import KeypointTrack
from inference.pose.registry import register_backend

CALLS: list[float] = []


class CountingBackend(PoseBackend):
    """A deterministic backend that records every frame it is asked about."""

    name = "counting-test"

    def __init__(self, cfg: PoseConfig, gain: float = 1.0):
        self.gain = gain

    def params(self):
        return {"gain": self.gain}

    def process(self, t, rgb):
        CALLS.append(t)
        xy = np.full((NUM_JOINTS, 2), float(rgb[..., 0].mean()) * self.gain, np.float32)
        conf = np.full(NUM_JOINTS, 0.9, np.float32)
        conf[3] = 0.1 if int(round(t * 6)) % 5 == 2 else 0.9  # a short dropout for cleaning to fill
        return xy, conf


register_backend("counting-test", lambda cfg, **kw: CountingBackend(cfg, **kw))
CFG = PoseConfig(backend="counting-test")


@pytest.fixture
def video(tmp_path, numbered_video):
    return numbered_video("clip.mp4", n=60, fps=30.0)  # 2 s -> 12 samples at 6 fps


@pytest.fixture(autouse=True)
def cache_env(tmp_path, monkeypatch):
    monkeypatch.setenv("SEMIOSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    CALLS.clear()


def test_second_run_is_served_from_the_cache(video, tmp_path):
    from inference.pose.cache import cache_path_for, cached_track, default_cache_dir

    assert default_cache_dir() == tmp_path / "cache" / "pose"
    first = cached_track(video, CFG)
    assert len(CALLS) == 12 and first.meta["from_cache"] is False
    path = cache_path_for(video, CFG)
    assert path.exists() and path.parent == tmp_path / "cache" / "pose"
    second = cached_track(video, CFG)
    assert len(CALLS) == 12 and second.meta["from_cache"] is True  # no frame processed again
    np.testing.assert_array_equal(first.xy, second.xy)
    np.testing.assert_array_equal(first.conf, second.conf)
    # The returned track is cleaned: the 1-sample dropout of joint 3 is bridged.
    assert (second.conf[:, 3] > 0).all() and second.conf[2, 3] == pytest.approx(0.45)


def test_changed_parameter_or_file_invalidates(video, tmp_path, numbered_video):
    from inference.pose.cache import cache_path_for, cached_track

    cached_track(video, CFG)
    assert len(CALLS) == 12
    cached_track(video, CFG, fps=3.0)  # another sampling rate
    assert len(CALLS) == 12 + 6
    # Another backend parameter: a different key and file.
    from inference.pose.cache import cache_key, lookup_track

    b1, b2 = CountingBackend(CFG, gain=1.0), CountingBackend(CFG, gain=2.0)
    assert cache_key(video, b1) != cache_key(video, b2)
    assert lookup_track(video, b2, CFG) is None
    # Cleaning parameters do not re-run the pose: the raw track is cached, cleaning runs on read.
    strict = cached_track(video, CFG.replace(max_gap_s=0.0))
    assert len(CALLS) == 18 and (strict.conf[2, 3] == 0)
    # A changed video file gets a new entry.
    before = cache_path_for(video, CFG)
    numbered_video("clip.mp4", n=66, fps=30.0)  # rewritten in place
    assert cache_path_for(video, CFG) != before
    cached_track(video, CFG)
    assert len(CALLS) == 18 + 13


def test_corrupt_or_foreign_cache_files_are_rebuilt(video, tmp_path, numbered_video):
    from inference.pose.cache import cache_path_for, cached_track

    good = cached_track(video, CFG)
    path = cache_path_for(video, CFG)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # truncated
    rebuilt = cached_track(video, CFG)
    assert rebuilt.meta["from_cache"] is False and len(CALLS) == 24
    np.testing.assert_array_equal(rebuilt.xy, good.xy)
    assert KeypointTrack.load(path).meta["cache_key"]  # the file was rewritten whole

    # Another video's cache file copied under this name: wrong key, never trusted.
    other = numbered_video("other.mp4", n=30, fps=30.0)
    cached_track(other, CFG)
    shutil.copyfile(cache_path_for(other, CFG), path)
    again = cached_track(video, CFG)
    assert again.meta["from_cache"] is False and len(again) == 12

    # Garbage bytes.
    path.write_bytes(b"not a zip file")
    assert cached_track(video, CFG).meta["from_cache"] is False


def test_engine_style_lookup_and_store(video, tmp_path):
    from inference.pose.cache import cached_track, store_track
    from inference.pose.estimate import estimate_track

    backend = CountingBackend(CFG)
    assert cached_track(video, backend, CFG, cache_dir=tmp_path / "c2") is None
    raw = estimate_track(video, CFG, backend=CountingBackend(CFG), clean=False)
    path = store_track(video, backend, CFG, raw, cache_dir=tmp_path / "c2")
    assert path.parent == tmp_path / "c2"
    hit = cached_track(video, backend, CFG, cache_dir=tmp_path / "c2")
    assert hit is not None and hit.meta["from_cache"]
    np.testing.assert_array_equal(hit.conf, raw.conf)  # raw: the dropout is still there
    assert hit.conf[2, 3] == pytest.approx(0.1)
    # The brief-style call finds the engine's entry too (same key), and cleans it.
    n = len(CALLS)
    cleaned = cached_track(video, CFG, cache_dir=tmp_path / "c2")
    assert len(CALLS) == n and cleaned.conf[2, 3] == pytest.approx(0.45)


def test_file_backend_key_follows_the_keypoint_file(video, tmp_path):
    from inference.pose.cache import cache_path_for, cached_track

    kp = tmp_path / "kp.npz"
    times = np.arange(60) / 30.0
    xy = np.full((60, NUM_JOINTS, 2), 20.0, np.float32)
    KeypointTrack(times, xy, np.ones((60, NUM_JOINTS)), (64, 48), "test").save(kp)
    cfg = PoseConfig(backend="file")
    a = cached_track(video, cfg, keypoints_path=kp)
    assert len(a) == 12 and np.allclose(a.xy, 20.0)
    p1 = cache_path_for(video, cfg, keypoints_path=kp)
    KeypointTrack(times, xy + 5, np.ones((60, NUM_JOINTS)), (64, 48), "test").save(kp)
    assert cache_path_for(video, cfg, keypoints_path=kp) != p1
    b = cached_track(video, cfg, keypoints_path=kp)
    assert b.meta["from_cache"] is False and np.allclose(b.xy, 25.0)

"""Video timing: PTS index, frame-accurate seeking, sampling by time, bad input."""
from __future__ import annotations

import os

import numpy as np
import pytest

from conftest import frame_number_of
from inference.errors import VideoError
from inference.video import FrameIndex, VideoReader, probe, probe_durations


def test_constant_rate_metadata_and_seek(numbered_video):
    path = numbered_video(n=90, fps=30)
    with VideoReader(path) as r:
        m = r.meta
        assert (m.width, m.height, m.frame_count) == (64, 48, 90)
        assert m.fps == pytest.approx(30.0, rel=1e-3)
        assert m.duration_s == pytest.approx(3.0, abs=1e-3)
        assert not m.variable_frame_rate and not m.truncated
        for k in [0, 1, 44, 89, 3, 60, 59]:  # random order exercises seeking backwards
            assert frame_number_of(r.read_frame(k)) == k
        assert r.time_to_frame(1.0) == 30
        assert r.time_to_frame(1.0 - 1e-3) == 29
        assert r.frame_to_time(45) == pytest.approx(1.5)


def test_sampling_at_6fps_picks_every_fifth_frame(numbered_video):
    path = numbered_video(n=150, fps=30)
    with VideoReader(path) as r:
        got = list(r.iter_sampled(6.0))
    assert len(got) == 30
    assert [i for _, i, _ in got] == list(range(0, 150, 5))
    assert [frame_number_of(f) for _, _, f in got] == list(range(0, 150, 5))
    assert got[7][0] == pytest.approx(7 / 6)


def test_variable_frame_rate_uses_timestamps(numbered_video):
    # 30 frames at 50 fps, then 30 frames at 20 fps: t*fps would be wrong in the second half.
    times = [k * 0.02 for k in range(30)] + [0.6 + k * 0.05 for k in range(30)]
    path = numbered_video(n=60, times=times)
    with VideoReader(path) as r:
        assert r.meta.variable_frame_rate
        assert r.meta.frame_count == 60
        np.testing.assert_allclose(r.index.pts_s, times, atol=1e-4)
        assert r.time_to_frame(0.61) == 30
        assert r.time_to_frame(1.0) == 38  # 0.6 + 8 * 0.05
        assert frame_number_of(r.read_at_time(1.0)) == 38
        sampled = [(round(t, 3), i) for t, i, _ in r.iter_sampled(6.0)]
    assert sampled[:4] == [(0.0, 0), (0.167, 8), (0.333, 16), (0.5, 25)]
    assert sampled[6] == (1.0, 38)


def test_h264_with_reordered_frames(numbered_video):
    path = numbered_video(n=40, fps=25, codec="libx264")
    with VideoReader(path) as r:
        assert r.meta.codec == "h264"
        for k in [39, 0, 17, 18, 5]:
            assert frame_number_of(r.read_frame(k)) == k


def test_truncated_file_stays_readable_and_says_where(numbered_video, tmp_path):
    path = numbered_video(n=90, fps=30, size=(64, 48))
    # Make frames incompressible so truncation cuts through frame data, not just the header.
    from inference.video_writer import write_video
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (48, 64, 3), dtype=np.uint8) for _ in range(90)]
    path = write_video(tmp_path / "noisy.mp4", frames, fps=30)
    data = path.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    with VideoReader(cut) as r:
        assert r.meta.truncated
        assert 10 < r.meta.frame_count < 90
        assert r.meta.expected_frame_count == 90
        assert "TRUNCATED" in r.meta.summary() and "readable up to" in r.meta.summary()
        n = sum(1 for _ in r.iter_frames())
        assert n == r.meta.frame_count


@pytest.mark.parametrize("content,problem", [
    (None, "file not found"),
    (b"", "empty"),
    (os.urandom(4000), "cannot open as video"),
])
def test_bad_files_name_the_file(tmp_path, content, problem):
    path = tmp_path / "broken.mp4"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(VideoError) as err:
        probe(path)
    assert "broken.mp4" in str(err.value) and problem in str(err.value)


def test_probe_durations_gives_zero_for_unreadable_files(numbered_video, tmp_path):
    good = numbered_video(n=60, fps=30)
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video")
    missing = tmp_path / "missing.mp4"
    d = probe_durations([good, bad, missing])
    assert d[good] == pytest.approx(2.0, abs=1e-3)
    assert d[bad] == 0.0 and d[missing] == 0.0


def test_frame_index_pure_functions():
    idx = FrameIndex(np.array([0.0, 0.1, 0.3, 0.35]), end_s=0.4)
    assert idx.time_to_frame(-1) == 0 and idx.time_to_frame(0.29) == 1 and idx.time_to_frame(10) == 3
    t, f = idx.sample(10.0)
    assert list(f) == [0, 1, 1, 2]
    assert len(t) == 4
    with pytest.raises(ValueError):
        FrameIndex(np.array([0.0, 0.0]), 1.0)

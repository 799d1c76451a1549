"""Video timing: PTS index, frame-accurate seeking, sampling by time, bad input."""
from __future__ import annotations

import os

import numpy as np
import pytest
from conftest import frame_number_of

import inference.video.index as video_index
from inference.core.errors import VideoError
from inference.core.fingerprint import file_fingerprint
from inference.video.index import FrameIndex, _build_index, probe, probe_durations
from inference.video.reader import VideoReader
from inference.video.writer import write_video


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


def _textured_bframe_video(path, n=72, size=(128, 96), gop=24):
    """x264 with its defaults (3 B-frames, B-pyramid: some frames are never referenced) over a
    moving texture, so a frame decoded from the wrong references would differ in its pixels."""
    import av  # PyAV and scikit-image are slow to import: only for the tests that need them
    from skimage import data

    w, h = size
    texture = np.stack([data.camera()] * 3, axis=-1)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.codec_context.gop_size = gop
        stream.codec_context.options = {"crf": "23", "preset": "medium"}
        for k in range(n):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(texture[3 * k:3 * k + h, 5 * k:5 * k + w]), format="rgb24")
            frame.pts = k
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


@pytest.fixture(scope="module")
def bframe_video(tmp_path_factory):
    path = _textured_bframe_video(tmp_path_factory.mktemp("bf") / "bframes.mp4")
    with VideoReader(path) as r:
        sequential = [rgb for _, rgb in r.iter_frames()]
    return path, sequential


@pytest.mark.parametrize("cache_mb", [0, 64])
def test_random_access_is_bit_exact_with_skipped_nonref_frames(bframe_video, cache_mb):
    path, sequential = bframe_video
    assert len(sequential) == 72
    order = np.random.default_rng(1).permutation(72).tolist() + [71, 70, 69, 30, 31, 33, 0]
    with VideoReader(path, cache_mb=cache_mb) as r:
        for k in order:
            assert np.array_equal(r.read_frame(k), sequential[k]), f"frame {k} differs from a sequential decode"
    # Frames shown before a target that no frame refers to are not decoded: reaching the last
    # frame of the first group of pictures (23) outputs fewer than its 24 frames.
    with VideoReader(path) as r:
        assert r.index.keyframe_at_or_before(23) == 0
        r.read_frame(23)
        assert r.seeks == 1 and r.frames_decoded < 24


def test_cache_and_decoder_continuation_avoid_second_decodes(numbered_video):
    path = numbered_video(n=90, fps=30, codec="libx264")
    with VideoReader(path, cache_mb=16) as r:
        keys = [int(k) for k in r.index.keyframes]
        assert keys[0] == 0 and len(keys) >= 3 and all(b - a >= 12 for a, b in zip(keys, keys[1:]))
        k1, k2 = keys[1], keys[2]
        assert frame_number_of(r.read_frame(k1 + 8)) == k1 + 8 and r.seeks == 1 and r.frames_decoded == 9
        assert frame_number_of(r.read_frame(k1 + 11)) == k1 + 11 and r.seeks == 1  # continued forward
        for k in (k1 + 10, k1 + 3, k1):  # stepping back: from the cache, no decode at all
            assert frame_number_of(r.read_frame(k)) == k
        assert r.seeks == 1 and r.frames_decoded == 12 and r.cache.hits == 3
        assert frame_number_of(r.read_frame(k2 + 1)) == k2 + 1 and r.seeks == 2  # past a keyframe: seek
        assert frame_number_of(r.read_frame(k1 - 1)) == k1 - 1 and r.seeks == 3  # not cached: decoded
    with VideoReader(path, cache_mb=0) as r:  # off: stepping back decodes again
        r.read_frame(k1 + 8)
        r.read_frame(k1 + 7)
        assert r.seeks == 2 and len(r.cache) == 0


def test_player_api_decodes_in_sequence_and_jumps_to_keyframes(numbered_video):
    path = numbered_video(n=90, fps=30, codec="libx264")
    with VideoReader(path) as r:
        got = [r.decode_next() for _ in range(3)]
        assert [i for i, _ in got] == [0, 1, 2]
        assert frame_number_of(r.to_rgb(got[2][1])) == 2
        key = r.index.keyframe_at_or_before(70)
        assert 12 < key <= 70
        r.start_at_keyframe(70)  # a late player skips to the keyframe before the clock
        assert r.next_frame == key
        i, f = r.decode_next()
        assert i == key and frame_number_of(r.to_rgb(f)) == key
        assert [r.decode_next()[0] for _ in range(89 - key)] == list(range(key + 1, 90))
        assert r.decode_next() is None


def test_player_decoding_after_random_access_is_bit_exact(bframe_video):
    """``decode_next`` goes on where ``read_frame`` stopped, and from keyframes, in order and
    bit-exact (frames before its start that nothing refers to may be skipped undecoded)."""
    path, sequential = bframe_video
    with VideoReader(path, cache_mb=64) as r:
        r.read_frame(30)
        got = [r.decode_next() for _ in range(10)]
        assert [i for i, _ in got] == list(range(31, 41)) and r.seeks == 1
        key = r.index.keyframe_at_or_before(60)
        assert 40 < key < 60
        r.start_at_keyframe(60)
        while (item := r.decode_next()) is not None:
            got.append(item)
        assert [i for i, _ in got] == list(range(31, 41)) + list(range(key, 72)) and r.seeks == 2
        for i, av_frame in got:
            assert np.array_equal(r.to_rgb(av_frame), sequential[i]), f"frame {i} differs"
    # Keyframes unknown: the first decode_next seeks and starts at the frame asked for; the
    # frames it decodes on the way are kept like any others.
    with VideoReader(path, cache_mb=64) as r:
        r.index.keyframes = None
        r.start_at_keyframe(40)
        i, av_frame = r.decode_next()
        assert i == 40 and np.array_equal(r.to_rgb(av_frame), sequential[40])
        lead_in = [k for k in range(40) if k in r.cache]
        assert lead_in and r.frames_decoded == len(lead_in) + 1 and r.next_frame == 41
        for k in lead_in:
            assert np.array_equal(r.read_frame(k), sequential[k])
        assert r.seeks == 1 and r.decode_next()[0] == 41


@pytest.mark.parametrize("codec,times", [("mpeg4", None), ("libx264", None),
                                         ("mpeg4", [k * 0.02 for k in range(30)] + [0.6 + k * 0.05 for k in range(30)])])
def test_index_from_sample_table_equals_demuxed_index(numbered_video, codec, times):
    path = numbered_video(n=60, fps=30, codec=codec, times=times)
    fast, slow = _build_index(path, use_sample_table=True), _build_index(path, use_sample_table=False)
    np.testing.assert_array_equal(fast[0].pts_s, slow[0].pts_s)
    np.testing.assert_array_equal(fast[0].keyframes, slow[0].keyframes)
    assert fast[0].end_s == slow[0].end_s and fast[1] == slow[1] and fast[2] == slow[2]


def test_demuxed_index_is_cached_by_fingerprint(bframe_video, tmp_path, monkeypatch):
    path, _ = bframe_video  # B-frames: pts != dts, so the sample table is not used
    monkeypatch.setenv("SEMIOSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(video_index, "INDEX_CACHE_MIN_FRAMES", 10)
    reference = video_index._build_index(path, use_sample_table=False)
    first = video_index._build_index(path)
    cached = video_index.index_cache_path(file_fingerprint(path))
    assert cached.exists()

    def no_demux(*a):
        raise AssertionError("demuxed although the index is cached")

    real_demux = video_index._demux_packets
    monkeypatch.setattr(video_index, "_demux_packets", no_demux)
    second = video_index._build_index(path)
    for got in (first, second):
        np.testing.assert_array_equal(got[0].pts_s, reference[0].pts_s)
        np.testing.assert_array_equal(got[0].keyframes, reference[0].keyframes)
        assert got[1] == reference[1] and got[2] == reference[2] and got[0].end_s == reference[0].end_s
    cached.write_bytes(b"damaged")  # never trusted: demuxed again and rewritten
    monkeypatch.setattr(video_index, "_demux_packets", real_demux)
    np.testing.assert_array_equal(video_index._build_index(path)[0].pts_s, reference[0].pts_s)
    assert cached.read_bytes() != b"damaged"


def test_long_sample_table_is_cached_too(numbered_video, tmp_path, monkeypatch):
    """A day's MP4 sample table takes seconds to read entry by entry: cached by content too."""
    path = numbered_video(n=60, fps=30, codec="mpeg4")
    monkeypatch.setenv("SEMIOSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(video_index, "INDEX_CACHE_MIN_FRAMES", 10)
    reference = video_index._build_index(path, use_sample_table=False)
    first = video_index._build_index(path)
    assert video_index.index_cache_path(file_fingerprint(path)).exists()

    def no_table(*a):
        raise AssertionError("read the sample table although the index is cached")

    monkeypatch.setattr(video_index, "_sample_table", no_table)
    second = video_index._build_index(path)
    for got in (first, second):
        np.testing.assert_array_equal(got[0].pts_s, reference[0].pts_s)
        np.testing.assert_array_equal(got[0].keyframes, reference[0].keyframes)
        assert got[1] == reference[1] and got[0].end_s == reference[0].end_s

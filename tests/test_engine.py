"""Streaming engine on real small videos: trace values, gaps, truncation, cancel, resume, memory,
the real tiny detector, and reuse of finished results."""
from __future__ import annotations

import shutil
from pathlib import Path

import av
import numpy as np
import pytest
import torch
from app_helpers import make_tiny_run

from inference.analysis.batch import analyze_video
from inference.analysis.engine import AnalysisEngine
from inference.analysis.settings import EngineConfig, NoPersonError, keypoint_identity, partial_path_for
from inference.core.config import ClipConfig, EventConfig, SegmentConfig
from inference.core.device import DeviceChoice, model_cpu_threads, usable_cores
from inference.core.errors import Cancelled, InputFileError
from inference.core.progress import CancelToken
from inference.detector.checkpoint import load_run
from inference.detector.clips import crop_joint_clips
from inference.pose.keypoints import KeypointTrack
from inference.results.result_file import GAP_DECODE, GAP_NO_PERSON, GAP_TRUNCATED, AnalysisResult
from inference.synth.generator import SynthConfig, generate_recording
from inference.video.reader import VideoReader
from inference.video.writer import VideoWriter, write_video

SIZE = (96, 72)
FPS = 30


def make_video(path: Path, duration_s: float = 20.0, shake=(8.0, 14.0), visible=True, noisy=False) -> Path:
    """A video of 14 bright dots on grey (one per joint) plus its ground-truth sidecar.

    Both wrists oscillate at 1.3 Hz during ``shake``; everything else is still. ``noisy`` adds
    incompressible noise so that truncating the file cuts through frame data.
    """
    w, h = SIZE
    n = int(round(duration_s * FPS))
    t = np.arange(n) / FPS
    base = np.stack([np.linspace(20, 76, 14), np.linspace(10, 60, 14)], -1)
    xy = np.repeat(base[None], n, 0).astype(np.float32)
    amp = np.where((t >= shake[0]) & (t < shake[1]), 6.0, 0.0)
    xy[:, 6:8, 0] += (amp * np.sin(2 * np.pi * 1.3 * t))[:, None]
    rng = np.random.default_rng(0)
    with VideoWriter(path, fps=FPS, size=SIZE) as wr:
        for k in range(n):
            f = rng.integers(0, 80, (h, w, 3), dtype=np.uint8) if noisy else np.full((h, w, 3), 40, np.uint8)
            for x, y in xy[k]:
                f[int(y) - 2:int(y) + 3, int(x) - 2:int(x) + 3] = 255
            wr.write(f)
    conf = np.full((n, 14), 1.0 if visible else 0.0, dtype=np.float32)
    KeypointTrack(t, xy, conf, SIZE, "synthetic-gt").save(path.with_name(path.stem + ".keypoints.npz"))
    return path


class MotionModel:
    """A deterministic WindowModel: probability from joint motion energy, attention where it moves."""

    run_config = {"preset": "motion-test", "threshold": 0.5}
    segment_config = SegmentConfig()
    clip_config = ClipConfig(input_size=16)
    event_config = EventConfig(threshold=0.5, min_duration_s=1.0, merge_gap_s=2.0)
    threshold = 0.5
    device = DeviceChoice("cpu", None)

    def __init__(self, on_predict=None):
        self.calls = 0
        self.on_predict = on_predict

    def predict(self, clips, positions, mask):
        self.calls += 1
        assert clips.dtype == np.uint8 and clips.shape[1:3] == (14, 30) and positions.shape[1:] == (14, 30, 3)
        energy = np.abs(np.diff(positions[..., :2], axis=2)).sum(-1).mean(-1)  # [B, 14]
        prob = 1.0 - np.exp(-energy.max(1) * 200.0)
        att = energy / np.maximum(energy.sum(1, keepdims=True), 1e-9)
        if self.on_predict:
            self.on_predict(self.calls)
        return prob.astype(np.float32), att.astype(np.float32)


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("eng") / "rec.mp4")


def gt_engine(model=None, **kw) -> AnalysisEngine:
    return AnalysisEngine(model or MotionModel(), EngineConfig(keypoints="gt", batch_size=4, **kw))


def test_trace_values_chunks_events_and_file(video, tmp_path):
    chunks, progress = [], []
    out = tmp_path / "rec.result.npz"
    res = gt_engine().analyze(video, out, on_partial=chunks.append,
                              progress=lambda d, t, m="": progress.append((d, t, m)))
    # 20 s at 6 fps = 120 samples; 5 s windows every 1 s -> 16 windows starting 0..15 s.
    assert len(res) == 16
    np.testing.assert_allclose(res.window_start_s, np.arange(16.0))
    np.testing.assert_allclose(res.window_end_s, np.arange(16.0) + 5)
    moving = (res.window_end_s > 8.0) & (res.window_start_s < 14.0)
    assert (res.prob[moving] > 0.8).all() and (res.prob[~moving] < 0.05).all()
    # Attention goes to the two wrists (joints 6 and 7) when they move.
    assert set(np.argsort(-res.attention[8])[:2]) == {6, 7}
    # Chunks arrive in order and tile the trace; progress counts video seconds.
    assert [c.first_index for c in chunks] == list(np.cumsum([0] + [len(c) for c in chunks[:-1]]))
    np.testing.assert_array_equal(np.concatenate([c.prob for c in chunks]), res.prob)
    assert progress[-1][0] == pytest.approx(20.0) and progress[-1][1] == pytest.approx(20.0)
    assert "video-s/s" in progress[-1][2]
    # One event covering the shaking, with the wrists' attention.
    assert len(res.events) == 1
    ev = res.events[0]
    assert ev.start_s == pytest.approx(4.0) and ev.end_s == pytest.approx(18.0)
    assert set(np.argsort(-np.asarray(ev.mean_attention))[:2]) == {6, 7}
    assert res.gaps == [] and res.complete
    # Keypoints at 6 fps equal the ground truth at those instants.
    gt = KeypointTrack.load(video.with_name("rec.keypoints.npz"))
    assert len(res.keypoints) == 120
    np.testing.assert_allclose(res.keypoints.xy, gt.xy[::5], atol=1e-4)
    back = AnalysisResult.load(out)
    np.testing.assert_array_equal(back.prob, res.prob)
    assert back.events == res.events and back.model["preset"] == "motion-test"
    assert back.config["keypoints"]["kind"] == "file" and back.config["stride_s"] == 1.0
    assert back.is_stale(video, MotionModel.run_config) is None
    assert not partial_path_for(out).exists()


def test_stride_and_event_overrides(video):
    res = gt_engine(stride_s=2.0, events={"threshold": 0.99, "min_duration_s": 0.0}).analyze(video)
    assert len(res) == 8 and res.window_start_s[1] == 2.0
    assert res.config["events"]["threshold"] == 0.99
    assert all(e.peak_prob >= 0.99 for e in res.events)


def test_streaming_holds_only_one_window_of_frames(video):
    engine = gt_engine()
    run = engine.run(video)
    n = sum(len(c) for c in run)
    assert n == 16
    # Frames are cropped in blocks of one stride (6 samples) and dropped; only crops stay.
    assert run.stats["max_frames_held"] <= 6


def test_cpu_threads_apply_to_the_analysis_only(video):
    """On CPU the model runs with ``cpu_threads`` torch threads; the process's setting comes back
    when the run ends, also when the caller stops early. On CUDA the threads are left alone."""
    before = torch.get_num_threads()
    seen = []
    run = gt_engine(MotionModel(on_predict=lambda _: seen.append(torch.get_num_threads())),
                    cpu_threads=before + 1).run(video)
    list(run)
    assert set(seen) == {before + 1} and run.stats["cpu_threads"] == before + 1
    assert torch.get_num_threads() == before
    stopped = gt_engine(cpu_threads=before + 1).run(video)
    next(iter(stopped))
    stopped.close()
    assert torch.get_num_threads() == before
    assert model_cpu_threads(DeviceChoice("cuda", "bfloat16"), 3) == 0
    assert model_cpu_threads(DeviceChoice("cpu", None), 0) == max(1, usable_cores() - 1)


def test_decode_failures_become_gaps_never_values(video, tmp_path):
    bad = tmp_path / "bad.mp4"
    shutil.copy(video, bad)
    shutil.copy(video.with_name("rec.keypoints.npz"), tmp_path / "bad.keypoints.npz")
    with av.open(str(video)) as c:
        packets = [(p.pos, p.size) for p in c.demux(c.streams.video[0]) if p.size]
    data = bytearray(bad.read_bytes())
    for pos, size in packets[300:330]:  # one whole GOP: frames 300-329 = 10.0-11.0 s
        data[pos:pos + size] = bytes(size)
    bad.write_bytes(bytes(data))
    res = gt_engine().analyze(bad)
    assert [(g.start_s, g.end_s, g.reason) for g in res.gaps] == [(10.0, 11.0, GAP_DECODE)]
    hit = (res.window_start_s < 11.0) & (res.window_end_s > 10.0)
    assert np.isnan(res.prob[hit]).all() and np.isnan(res.attention[hit]).all()
    assert np.isfinite(res.prob[~hit]).all()
    assert hit.sum() == 5
    assert res.notes["decode_failures"] == 6  # the six 6-fps samples in 10.0-11.0 s


def test_truncated_tail_is_a_gap(tmp_path):
    full = make_video(tmp_path / "full.mp4", duration_s=12.0, shake=(0, 0), noisy=True)
    cut = tmp_path / "cut.mp4"
    data = full.read_bytes()
    cut.write_bytes(data[: int(len(data) * 0.7)])
    shutil.copy(tmp_path / "full.keypoints.npz", tmp_path / "cut.keypoints.npz")
    res = gt_engine().analyze(cut)
    meta = res.video["meta"]
    assert meta["truncated"] and meta["duration_s"] < 10.0
    assert res.gaps[-1].reason == GAP_TRUNCATED
    assert res.gaps[-1].start_s == pytest.approx(meta["duration_s"]) and res.gaps[-1].end_s == pytest.approx(12.0)
    assert res.window_end_s[-1] <= meta["duration_s"] + 1e-6


def test_no_person_anywhere_is_a_clear_error(tmp_path):
    v = make_video(tmp_path / "empty.mp4", duration_s=6.0, visible=False)
    with pytest.raises(NoPersonError, match="empty.mp4.*no person"):
        gt_engine().analyze(v, tmp_path / "empty.result.npz")
    assert not (tmp_path / "empty.result.npz").exists()


def test_window_without_person_is_a_gap(tmp_path):
    v = make_video(tmp_path / "away.mp4", duration_s=12.0)
    kp = tmp_path / "away.keypoints.npz"
    tr = KeypointTrack.load(kp)
    tr.conf[(tr.times >= 6.0)] = 0.0  # the patient leaves at 6 s
    tr.save(kp)
    res = gt_engine().analyze(v)
    # A joint counts in a window when seen in at least half of its frames: from the window
    # starting at 4 s (12 of 30 frames with the patient) on, no joint counts.
    nobody = res.window_start_s >= 4.0
    assert np.isnan(res.prob[nobody]).all() and np.isfinite(res.prob[~nobody]).all()
    assert (res.gaps[-1].start_s, res.gaps[-1].end_s, res.gaps[-1].reason) == (4.0, 12.0, GAP_NO_PERSON)


def test_cancel_stops_within_one_batch_then_resume_continues(video, tmp_path):
    out = tmp_path / "r.result.npz"
    full = gt_engine().analyze(video)
    token = CancelToken()

    def cancel_on_second_batch(calls):
        if calls == 2:
            token.cancel()

    model = MotionModel(on_predict=cancel_on_second_batch)
    with pytest.raises(Cancelled):
        gt_engine(model).analyze(video, out, cancel=token)
    assert model.calls == 2  # no batch after the one during which the user cancelled
    part = AnalysisResult.load(partial_path_for(out))
    assert not part.complete and part.notes["windows_done"] == 8 and not out.exists()
    # A rerun picks up after window 8 and ends with the same trace as an uninterrupted run.
    model2 = MotionModel()
    run = gt_engine(model2).run(video, out)
    chunks = list(run)
    assert run.resumed_from == 8 and model2.calls == 2  # 8 windows left at 4 per batch
    assert chunks[0].first_index == 0 and len(chunks[0]) == 8
    np.testing.assert_allclose(run.result.prob, full.prob, atol=1e-6)
    assert run.result.events == full.events
    assert out.exists() and not partial_path_for(out).exists()


def test_partial_from_other_settings_is_not_resumed(video, tmp_path):
    out = tmp_path / "r.result.npz"
    token = CancelToken()
    with pytest.raises(Cancelled):
        gt_engine(MotionModel(on_predict=lambda c: token.cancel())).analyze(video, out, cancel=token)
    assert partial_path_for(out).exists()
    run = gt_engine(stride_s=2.0).run(video, out)
    list(run)
    assert run.resumed_from == 0 and len(run.result) == 8


def test_reuse_finished_result_and_recompute_events(video, tmp_path):
    out = tmp_path / "r.result.npz"
    gt_engine().analyze(video, out)
    again = gt_engine().reusable_result(video, out)
    assert again is not None and len(again.events) == 1
    strict = gt_engine(events={"threshold": 1.5}).reusable_result(video, out)
    assert strict is not None and strict.events == []
    assert AnalysisResult.load(out).config["events"]["threshold"] == 1.5
    assert gt_engine(stride_s=2.0).reusable_result(video, out) is None


def test_missing_sidecar_names_the_file(tmp_path):
    v = write_video(tmp_path / "lonely.mp4", [np.zeros((48, 64, 3), np.uint8)] * 180, fps=30)
    with pytest.raises(InputFileError, match="lonely.keypoints.npz"):
        gt_engine().analyze(v)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """An untrained tiny detector saved as a run folder through the checkpoint API."""
    return make_tiny_run(tmp_path_factory.mktemp("runs") / "tiny-untrained", events=EventConfig(min_duration_s=0.0))


def test_real_tiny_detector_end_to_end(video, tiny_run, tmp_path):
    out = tmp_path / "rec.result.npz"
    res = analyze_video(video, tiny_run, out, EngineConfig(keypoints="gt", device="cpu"))
    assert len(res) == 16 and np.isfinite(res.prob).all()
    assert ((res.prob > 0) & (res.prob < 1)).all()
    np.testing.assert_allclose(res.attention.sum(1), 1.0, atol=1e-3)  # all 14 joints visible
    assert res.model["run_name"] == "tiny-untrained" and res.model["preset"] == "tiny"
    assert res.is_stale(video, tiny_run) is None
    # Same answers as calling the detector directly on one window's clips.
    det = load_run(tiny_run, device="cpu")
    with VideoReader(video) as r:
        frames = np.stack([rgb for _, _, rgb in r.iter_sampled(6.0, 3.0, 8.0)])
    kp = res.keypoints
    sel = (kp.times >= 3.0 - 1e-6) & (kp.times < 8.0 - 1e-6)
    jc = crop_joint_clips(frames, kp.xy[sel], kp.conf[sel], det.clip_config)
    p, a = det.predict(jc.clips[None], jc.positions[None], jc.mask[None])
    assert p[0] == pytest.approx(res.prob[3], abs=1e-5)
    np.testing.assert_allclose(a[0], res.attention[3], atol=1e-5)


def test_mediapipe_pose_is_cached_between_runs(tmp_path):
    video = tmp_path / "syn.mp4"
    generate_recording(video, "s1", "syn", seed=1, config=SynthConfig(size=(320, 240)), duration_s=7.0)
    engine = AnalysisEngine(MotionModel(), EngineConfig(cache_dir=str(tmp_path / "cache"), batch_size=4))
    first = engine.run(video)
    list(first)
    assert first.stats["pose_s"] > 0 and len(first.result) == 3
    assert first.result.config["keypoints"]["backend"] == "mediapipe"
    assert (first.result.keypoints.conf > 0.3).mean() > 0.5  # MediaPipe finds the synthetic patient
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
    second = engine.run(video)
    list(second)
    assert second.stats["pose_s"] == 0.0  # keypoints came from the cache
    np.testing.assert_allclose(second.result.prob, first.result.prob, atol=1e-6)


def test_the_engine_poses_as_the_run_was_trained(tmp_path):
    """MediaPipe's landmark filter is part of what a model learned from: the analysis follows the run."""
    class NewRun(MotionModel):
        run_config = {**MotionModel.run_config, "pose": {"backend": "mediapipe", "landmark_smoothing": False}}

    class OldRun(MotionModel):  # stored before the setting existed: trained with the filter on
        run_config = {**MotionModel.run_config, "pose": {"backend": "mediapipe"}}

    for model, filtered in ((NewRun(), False), (OldRun(), True)):
        engine = AnalysisEngine(model, EngineConfig(batch_size=4))
        assert engine.config.pose.landmark_smoothing is filtered
        identity, _, backend = keypoint_identity(engine.config, tmp_path / "v.mp4")
        backend.close()
        assert identity["params"]["smooth_landmarks"] is filtered

"""Background threads of the review window: frame loader, playback clock, analysis worker."""
from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from app_helpers import assert_responsive, make_tiny_run, make_video
from conftest import frame_number_of
from PySide6.QtCore import QTimer

from app.analysis_worker import AnalysisWorker
from app.frame_loader import FrameLoader
from app.playback import SPEEDS, PlaybackClock
from inference.analysis.settings import EngineConfig
from inference.detector.checkpoint import load_run
from inference.results.result_file import AnalysisResult
from inference.video.reader import VideoReader


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    d = tmp_path_factory.mktemp("tiny")
    return make_video(d, seconds=20.0), make_tiny_run(d / "run")


def test_frame_loader_is_frame_accurate_and_latest_wins(qtbot, tiny):
    video, _ = tiny
    loader = FrameLoader(VideoReader(video))
    got = []
    loader.frame_ready.connect(lambda f, t, rgb: got.append((f, t, frame_number_of(rgb))))
    loader.start()
    try:
        with qtbot.waitSignal(loader.frame_ready, timeout=5000):
            assert loader.request_time(7.25) == 72  # 10 fps: frame 72 is on screen from 7.2 s
        assert got[-1] == (72, pytest.approx(7.2), 72)
        # A burst of requests (scrubbing): the last one is always delivered, stale ones dropped.
        got.clear()
        with qtbot.waitSignal(loader.frame_ready, timeout=5000,
                              check_params_cb=lambda f, t, rgb: f == 150):
            for f in range(0, 151, 3):
                loader.request(f)
        qtbot.wait(50)
        assert got[-1][0] == 150 and got[-1][2] == 150
        assert all(f == n for f, _, n in got)  # every delivered frame is the one asked for
        assert loader.dropped > 0 and len(got) < 51
    finally:
        loader.stop()
    assert not loader.isRunning()


def test_playback_keeps_pace_and_pauses(qtbot):
    clock = PlaybackClock(duration_s=100.0, frame_interval_s=1 / 30)
    ticks = []
    clock.tick.connect(ticks.append)
    clock.set_speed(4.0)
    clock.play(from_s=10.0)
    assert clock.playing
    qtbot.wait(500)
    clock.pause()
    assert not clock.playing
    # 0.5 s of wall time at 4x is 2 s of video, whatever the tick rate was.
    assert 11.5 < ticks[-1] < 12.8
    # It stops where the clock was at the pause (announced by a last tick), never behind what the
    # loader, which follows now(), may already show.
    assert clock.position_s == ticks[-1] and clock.now() == (ticks[-1], False)
    slow = PlaybackClock(duration_s=100.0, frame_interval_s=0.25)  # ticks 4 times a second
    slow.set_speed(4.0)
    slow.play(from_s=0.0)
    qtbot.wait(380)
    before = slow.now()[0]  # ~1.5 s; the last tick said ~1.0 s
    slow.pause()
    assert slow.position_s >= before
    n = len(ticks)
    qtbot.wait(100)
    assert len(ticks) == n  # paused: no more ticks
    clock.set_speed(1.0)
    assert clock.faster() == 2.0 and clock.slower() == 1.0
    clock.set_speed(SPEEDS[-1])
    assert clock.faster() == 16.0
    # Play to the end stops there.
    clock.set_speed(16.0)
    clock.play(from_s=99.5)
    qtbot.waitUntil(lambda: not clock.playing, timeout=2000)
    assert ticks[-1] == 100.0


def test_worker_finishes_with_partials_and_keeps_gui_responsive(qtbot, tiny, tmp_path):
    video, run = tiny
    out = tmp_path / "rec.result.npz"
    # As the window does: load the model (torch/peft imports) before the worker starts.
    worker = AnalysisWorker(video, run, out, EngineConfig(keypoints="gt", device="cpu", batch_size=2),
                            model=load_run(run, device="cpu"), torch_threads=1)
    partials, progress = [], []
    worker.partial.connect(partials.append)
    worker.progress.connect(lambda d, t, m: progress.append((d, t)))
    # Event-loop latency probe: a 10 ms timer recording the largest gap between its ticks.
    gaps, last = [], [time.perf_counter()]

    def probe():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(probe)
    timer.start()
    gui_threads = torch.get_num_threads()
    with qtbot.waitSignal(worker.finished_result, timeout=120000) as blocker:
        worker.start()
    timer.stop()
    worker.wait(5000)
    result = blocker.args[0]
    # torch_threads applies to the analysis only; the GUI process keeps its own setting.
    assert torch.get_num_threads() == gui_threads
    assert worker.outcome == "finished" and len(result) == 16  # windows starting 0..15 s in a 20 s video
    assert sum(len(c) for c in partials) == 16
    assert progress and progress[-1][0] == pytest.approx(progress[-1][1])
    assert np.isfinite(result.prob).all()
    assert AnalysisResult.load(out).fingerprint == result.fingerprint
    assert_responsive(gaps)


def test_worker_cancel_and_failure_messages(qtbot, tiny, tmp_path):
    video, run = tiny
    worker = AnalysisWorker(video, run, tmp_path / "r.result.npz",
                            EngineConfig(keypoints="gt", device="cpu", batch_size=1), torch_threads=1)
    # Cancel from the first partial: the engine stops within one batch.
    worker.partial.connect(lambda c: worker.cancel())
    with qtbot.waitSignal(worker.cancelled, timeout=120000):
        worker.start()
    worker.wait(5000)
    assert worker.outcome == "cancelled" and worker.chunks_emitted <= 3

    missing = AnalysisWorker(video, tmp_path / "no-such-run", None, EngineConfig(keypoints="gt", device="cpu"))
    with qtbot.waitSignal(missing.failed, timeout=30000) as blocker:
        missing.start()
    missing.wait(5000)
    assert "no-such-run" in blocker.args[0] and "run folder not found" in blocker.args[0]

    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x01 this is not a video" * 100)
    bad = AnalysisWorker(corrupt, run, None, EngineConfig(keypoints="gt", device="cpu"))
    with qtbot.waitSignal(bad.failed, timeout=30000) as blocker:
        bad.start()
    bad.wait(5000)
    assert "corrupt.mp4" in blocker.args[0]

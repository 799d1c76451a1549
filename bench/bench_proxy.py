"""The scrubbing proxy in the review window (issue 18), all in one run on one machine:

1. builds the proxy of an N-minute 1280x720 H.264 zerolatency recording (2 s GOP; the GUI
   bench's video, ``bench_gui.prepare_video``) in the window's background thread while random
   seeks run on the original: build speed in video-minutes per wall-minute, and the seeks
   during the build against the same seeks before it;
2. with the proxy: random seek until the proxy's frame is on screen (median, p95), and until
   the original replaces it after the position rests (150 ms + decode);
3. 16x playback for 4 s with the proxy and without it (the original's decoder, as before):
   frames shown per second and how far the frame on screen is behind the clock (video s);
4. the alternative for fast playback, a separate frame-threaded decoder: how many frames per
   second PyAV decodes from the original sequentially with frame threads (and slice threads,
   and from the proxy), against the 16 x fps that 16x playback of every frame needs.

    QT_QPA_PLATFORM=offscreen python bench/bench_proxy.py [--minutes 10] [--seeks 40]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
from bench_gui import prepare_video, stats, wait_until  # noqa: E402


def seeks(app, win, targets, original: bool) -> tuple[np.ndarray, np.ndarray]:
    """Seek to each target; (ms until a picture of that frame is shown, ms until the original is)."""
    first, final = [], []
    for f in targets:
        f = int(f)
        s0 = time.perf_counter()
        win.seek_frame(f)
        if not wait_until(app, lambda: win.shown_frame == f, 10):
            continue
        first.append((time.perf_counter() - s0) * 1000)
        if original:
            wait_until(app, lambda: not win.loader.showing_proxy, 10)
            final.append((time.perf_counter() - s0) * 1000)
    return np.array(first), np.array(final)


def playback(app, win, speed: float, seconds: float = 4.0) -> str:
    from PySide6.QtCore import QTimer

    win.seek_frame(int(win.reader.meta.frame_count * 0.3))
    wait_until(app, lambda: win.shown_frame == win.current_frame and not win.loader.showing_proxy, 10)
    win.set_speed(speed)
    lag: list[float] = []
    shown = [0]

    def sample():
        if win.clock is not None and win.clock.playing and win.shown_frame >= 0:
            lag.append(win.clock.now()[0] - win.reader.frame_to_time(win.shown_frame))

    def count(*_a):
        shown[0] += 1

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(sample)
    win.loader.frame_ready.connect(count)
    win.play()
    timer.start()
    wait_until(app, lambda: False, seconds)
    timer.stop()
    win.pause()
    win.loader.frame_ready.disconnect(count)
    a = np.array(lag)
    return (f"{shown[0] / seconds:.1f} frames shown per second; behind the clock median {np.median(a):.2f} s, "
            f"p95 {np.percentile(a, 95):.2f} s of video")


def decode_rate(path: Path, thread_type: str, seconds: float = 20.0) -> float:
    """Frames per second decoded sequentially (to RGB, as the window shows them) from 30% in."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = thread_type
        start = float(stream.duration * stream.time_base) * 0.3 if stream.duration else 0.0
        container.seek(int(start / stream.time_base), stream=stream)
        n, t0, first_t = 0, time.perf_counter(), None
        for frame in container.decode(stream):
            frame.to_ndarray(format="rgb24")
            n += 1
            first_t = frame.time if first_t is None else first_t
            if frame.time is not None and frame.time - first_t >= seconds:
                break
        return n / (time.perf_counter() - t0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=int, default=10)
    ap.add_argument("--seeks", type=int, default=40)
    ap.add_argument("--data", default=os.environ.get("SEMIOSCOPE_BENCH_DIR", "/tmp/semioscope-bench"))
    args = ap.parse_args()
    os.environ["SEMIOSCOPE_CACHE_DIR"] = tempfile.mkdtemp(prefix="semioscope-proxy-bench-")  # a fresh proxy
    video = prepare_video(Path(args.data), args.minutes)

    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    win = MainWindow(reviewer="bench")
    win.resize(1400, 900)
    win.show()
    home = Path(tempfile.mkdtemp(prefix="semioscope-bench-"))
    win.proxy.min_duration_s = 1e12  # no build on opening: the bench starts it itself
    win.open_video(video, annotations=home / "a.json", results=home / "none.result.npz")
    wait_until(app, win.is_open, 120)
    n = win.reader.meta.frame_count
    rng = np.random.default_rng(0)
    before, _ = seeks(app, win, rng.integers(0, n, args.seeks), original=False)
    print(f"seek without a proxy, nothing else running: {stats(before)}")
    print(f"16x without the proxy: {playback(app, win, 16.0)}")
    win.set_speed(1.0)

    win.proxy.min_duration_s = 0.0
    t0 = time.perf_counter()
    win.proxy.start(win.video_path, n, win.reader.meta.duration_s)
    during = []
    while win.proxy.builder is not None:
        got, _ = seeks(app, win, rng.integers(0, n, 5), original=False)
        during.extend(got.tolist())
        wait_until(app, lambda: False, 0.3)
    built = time.perf_counter() - t0
    if win.proxy.path is None:
        print("proxy build failed")
        return 1
    minutes = win.reader.meta.duration_s / 60.0
    print(f"proxy built in {built:.0f} s: {minutes / (built / 60.0):.1f} video-minutes per wall-minute "
          f"({minutes:.0f} min of 720p); seeks on the original during the build: {stats(np.array(during))}")
    first, final = seeks(app, win, rng.integers(0, n, args.seeks), original=True)
    verdict = "meets" if np.median(first) <= 50 and np.percentile(first, 95) <= 150 else "MISSES"
    print(f"seek with the proxy (its frame on screen): {stats(first)}  [targets 50 / 150 ms: {verdict}]")
    print(f"  the original on screen after the position rests (150 ms rest + decode): {stats(final)}")
    print(f"16x with the proxy: {playback(app, win, 16.0)}")
    print(f"4x with the proxy: {playback(app, win, 4.0)}")
    need = 16 * float(win.reader.meta.fps or 30.0)
    rates = {f"original, {tt.lower()} threads": decode_rate(video, tt) for tt in ("FRAME", "SLICE")}
    rates["proxy, frame threads"] = decode_rate(win.proxy.path, "FRAME")
    print("a separate frame-threaded decoder instead (sequential decode to RGB, 20 s of video; every "
          f"frame at 16x needs {need:.0f} frames/s): " + "; ".join(f"{k} {v:.0f} frames/s" for k, v in rates.items()))
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

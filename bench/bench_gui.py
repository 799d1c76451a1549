"""GUI benchmark of the review window on a 60-minute 1280x720 synthetic recording.

Measures, through the real window (MainWindow + FrameLoader thread + VideoReader PTS index):

- time to first frame: from ``open_video`` until frame 0 is on screen (the loader thread shows it
  straight from the container), and until the timestamp index is built and seeking works;
- random-seek latency (targets: median <= 50 ms, p95 <= 150 ms): ``seek_frame`` to a random frame
  anywhere in the hour until that exact frame is on screen;
- scrubbing: 200 seeks 10 ms apart; how many were decoded vs dropped (latest request wins) and
  how long the last one took to appear;
- playback at 1x and 16x for 3 s: frames shown per second and how far the shown frame lagged
  behind the clock;
- timeline pan frame time with a 24-hour trace: ``bench/bench_timeline.py`` (the widgets' bench,
  reused as is).

The recording is one generated minute (``inference.synth.generate_recording``, 1280x720, 30 fps,
re-encoded once as H.264 CRF 23 with a keyframe every 2 s, as EMU systems record) repeated by remuxing (``bench_engine.concat_recording``, shared with the engine bench), cached in
``--data`` ($SEMIOSCOPE_BENCH_DIR or /tmp/semioscope-bench).

    QT_QPA_PLATFORM=offscreen python bench/bench_gui.py [--minutes 60] [--seeks 60] [--skip-timeline]
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

import numpy as np


def prepare_video(data: Path, minutes: int, size=(1280, 720)) -> Path:
    from bench_engine import concat_recording  # the engine bench's remux helper (one copy of it)

    from inference.synth.generator import SynthConfig, generate_recording

    data.mkdir(parents=True, exist_ok=True)
    base = data / f"base-{size[0]}x{size[1]}.mp4"
    if not base.exists():
        t0 = time.perf_counter()
        tmp = base.with_name(".gen-" + base.name)
        generate_recording(tmp, "bench", base.stem, seed=1, config=SynthConfig(size=size), duration_s=60.0,
                           eeg_onset_s=25.0)
        os.replace(tmp, base)
        side_tmp = tmp.with_name(tmp.stem + ".keypoints.npz")
        if side_tmp.exists():
            os.replace(side_tmp, base.with_name(base.stem + ".keypoints.npz"))
        print(f"generated the base minute ({size[0]}x{size[1]}) in {time.perf_counter() - t0:.0f} s", flush=True)
    # EMU systems record H.264 at a modest bit rate; the generator's MPEG-4 minute is ~260 MB at
    # 720p (16 GB an hour), so the minute is re-encoded once (x264, CRF 23, a keyframe every 2 s).
    h264 = data / f"base-{size[0]}x{size[1]}-h264.mp4"
    if not h264.exists():
        import shutil

        from inference.video import VideoReader
        from inference.video_writer import VideoWriter

        t0 = time.perf_counter()
        tmp = h264.with_name(".tmp-" + h264.name)
        with VideoReader(base) as r, VideoWriter(tmp, fps=r.meta.fps, size=(r.meta.width, r.meta.height),
                                                 codec="libx264", quality=23, gop=60, threads=2) as w:
            for i, rgb in r.iter_frames():
                w.write(rgb, r.frame_to_time(i))
        shutil.copy(base.with_name(base.stem + ".keypoints.npz"), h264.with_name(h264.stem + ".keypoints.npz"))
        os.replace(tmp, h264)
        print(f"re-encoded the base minute as H.264 in {time.perf_counter() - t0:.0f} s", flush=True)
    t0 = time.perf_counter()
    video = concat_recording(h264, data / f"rec-{minutes}min-{size[0]}x{size[1]}-h264.mp4", minutes)
    print(f"{minutes}-minute recording ready in {time.perf_counter() - t0:.1f} s: {video}", flush=True)
    return video


def wait_until(app, cond, timeout_s: float = 10.0) -> bool:
    end = time.perf_counter() + timeout_s
    while not cond():
        if time.perf_counter() > end:
            return False
        app.processEvents()
        time.sleep(0.0005)
    return True


def stats(ms: np.ndarray) -> str:
    return f"median {np.median(ms):6.1f} ms, p95 {np.percentile(ms, 95):6.1f} ms, max {ms.max():6.1f} ms"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=int, default=60)
    ap.add_argument("--seeks", type=int, default=60)
    ap.add_argument("--data", default=os.environ.get("SEMIOSCOPE_BENCH_DIR", "/tmp/semioscope-bench"))
    ap.add_argument("--skip-timeline", action="store_true", help="do not run bench_timeline.py")
    args = ap.parse_args(argv)

    video = prepare_video(Path(args.data), args.minutes)
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    home = tempfile.mkdtemp(prefix="semioscope-bench-gui-")
    win = MainWindow("bench")
    win.show()
    app.processEvents()
    load0 = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, load average {load0:.1f}")

    # Annotations go to a scratch file so the bench never writes beside the cached video.
    ann = Path(home) / "bench.annotations.json"
    t0 = time.perf_counter()
    win.open_video(video, annotations=ann, results=Path(home) / "none.result.npz")
    t_call = time.perf_counter() - t0
    ok = wait_until(app, lambda: win.shown_frame == 0, 30)
    ttff = time.perf_counter() - t0
    ok_index = wait_until(app, win.is_open, 120)
    t_ready = time.perf_counter() - t0
    meta = win.reader.meta
    print(f"video: {meta.summary()}")
    print(f"time to first frame: {ttff * 1000:.0f} ms (open_video returned after {t_call * 1000:.0f} ms)"
          + ("" if ok else "  [TIMED OUT]"))
    print(f"timestamp index built, seeking possible after {t_ready * 1000:.0f} ms"
          + ("" if ok_index else "  [TIMED OUT]"))

    rng = np.random.default_rng(0)
    n = meta.frame_count
    lat, cpu = [], []
    exact = 0
    for f in rng.integers(0, n, args.seeks):
        f = int(f)
        s0, c0 = time.perf_counter(), time.process_time()
        win.seek_frame(f)
        if not wait_until(app, lambda: win.shown_frame == f, 10):
            print(f"seek to frame {f} timed out")
            continue
        lat.append((time.perf_counter() - s0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        exact += int(win.current_frame == f)
    lat, cpu = np.array(lat), np.array(cpu)
    verdict = "meets" if np.median(lat) <= 50 and np.percentile(lat, 95) <= 150 else "MISSES"
    print(f"random seek ({len(lat)} seeks over {meta.duration_s / 60:.0f} min): {stats(lat)}  "
          f"[targets 50 / 150 ms: {verdict}]")
    print(f"  CPU time per seek, all threads (decoder + GUI; what it costs without other load): {stats(cpu)}")

    # Scrubbing: requests every 10 ms across ten minutes; the newest request wins.
    loader = win.loader
    d0, dec0 = loader.dropped, loader.decoded
    start = int(rng.integers(0, max(n - 18000, 1)))
    frames = np.linspace(start, start + min(18000, n - 1 - start), 200).astype(int)
    s0 = time.perf_counter()
    for f in frames:
        win.seek_frame(int(f))
        app.processEvents()
        time.sleep(0.01)
    last = int(frames[-1])
    t_last = time.perf_counter()
    wait_until(app, lambda: win.shown_frame == last, 10)
    settle = (time.perf_counter() - t_last) * 1000
    print(f"scrub: 200 requests in {(t_last - s0):.1f} s -> {loader.decoded - dec0} decoded, "
          f"{loader.dropped - d0} dropped as stale; last frame on screen {settle:.0f} ms after the last request")

    # Playback: frames shown per second and lag behind the clock.
    for speed in (1.0, 16.0):
        win.seek_frame(int(rng.integers(0, n // 2)))
        wait_until(app, lambda: win.shown_frame == win.current_frame, 10)
        win.set_speed(speed)
        shown, lags = set(), []
        win.play()
        end = time.perf_counter() + 3.0
        while time.perf_counter() < end:
            app.processEvents()
            if win.shown_frame >= 0:
                shown.add(win.shown_frame)
                lags.append(win.current_time - win.reader.frame_to_time(win.shown_frame))
            time.sleep(0.002)
        win.pause()
        lags = np.array(lags)
        print(f"playback {speed:g}x: {len(shown) / 3.0:.1f} frames shown per second "
              f"(video {meta.fps * speed:.0f} fps), lag behind the clock median {np.median(lags) * 1000:.0f} ms, "
              f"p95 {np.percentile(lags, 95) * 1000:.0f} ms")
    print(f"load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    win.close()

    if not args.skip_timeline:
        print("\n== timeline pan with a 24-hour trace (bench/bench_timeline.py)")
        import bench_timeline

        bench_timeline.main(["--steps", "30"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

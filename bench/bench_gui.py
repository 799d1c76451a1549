"""GUI benchmark of the review window on a 60-minute 1280x720 synthetic recording.

Measures, through the real window (MainWindow + FrameLoader thread + VideoReader PTS index):

- time to first frame: from ``open_video`` until frame 0 is on screen (the loader thread shows it
  straight from the container), and until the timestamp index is built and seeking works;
- random-seek latency (targets: median <= 50 ms, p95 <= 150 ms): ``seek_frame`` to a random frame
  anywhere in the hour until that exact frame is on screen; then one frame back (the frame
  cache); and the same seeks on a bare VideoReader, which is the decode floor;
- scrubbing: 200 seeks 10 ms apart; how many were decoded vs dropped (latest request wins) and
  how long the last one took to appear;
- playback at 1x, 4x and 16x for 4 s: frames shown per second and, for every frame as it reaches
  the GUI, how far the clock has moved past it;
- timeline pan frame time with a 24-hour trace: ``bench/bench_timeline.py`` (the widgets' bench,
  reused as is).

While waiting for a frame the bench's event loop sleeps until an event arrives, as the app's does.

The recording is one generated minute (``inference.synth.generate_recording``, 1280x720, 30 fps)
re-encoded once as H.264 CRF 23 with a keyframe every 2 s (``ENCODINGS``: the headline is x264
zerolatency, as EMU systems record; an extra row uses x264's defaults with B-frames), repeated by
remuxing (``bench_engine.concat_recording``, shared with the engine bench), cached in ``--data``
($SEMIOSCOPE_BENCH_DIR or /tmp/semioscope-bench).

    QT_QPA_PLATFORM=offscreen python bench/bench_gui.py [--minutes 60] [--seeks 60] [--encodings zerolatency,bframes] [--skip-timeline]
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

ENCODINGS = {
    # EMU-style low-latency recording: x264 veryfast + zerolatency (no B-frames, 2 slices per
    # frame), CRF 23, a keyframe every 2 s. The headline figures are measured on this one.
    "zerolatency": "x264 veryfast/zerolatency, no B-frames, keyframe every 2 s",
    # x264's defaults (preset medium: 3 B-frames, B-pyramid, 1 slice per frame), same CRF and
    # keyframe interval: what a camera or an offline transcode typically writes.
    "bframes": "x264 defaults (medium, 3 B-frames), keyframe every 2 s",
}


def _encode_bframes(src: Path, dst: Path) -> None:
    """Re-encode ``src`` with x264's default settings (B-frames), a keyframe every 60 frames."""
    import av

    from inference.video.reader import VideoReader

    with VideoReader(src) as r, av.open(str(dst), "w", options={"movflags": "faststart"}) as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height = r.meta.width, r.meta.height
        stream.pix_fmt = "yuv420p"
        stream.codec_context.gop_size = 60
        stream.codec_context.options = {"crf": "23", "preset": "medium"}
        for i, rgb in r.iter_frames():
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def prepare_video(data: Path, minutes: int, size=(1280, 720), encoding: str = "zerolatency") -> Path:
    from bench_engine import concat_recording  # the engine bench's remux helper (one copy of it)

    from inference.pose.keypoint_files import sidecar_path
    from inference.synth.generator import SynthConfig, generate_recording

    data.mkdir(parents=True, exist_ok=True)
    base = data / f"base-{size[0]}x{size[1]}.mp4"
    if not base.exists():
        t0 = time.perf_counter()
        tmp = base.with_name(".gen-" + base.name)
        generate_recording(tmp, "bench", base.stem, seed=1, config=SynthConfig(size=size), duration_s=60.0,
                           eeg_onset_s=25.0)
        os.replace(tmp, base)
        side_tmp = sidecar_path(tmp)
        if side_tmp.exists():
            os.replace(side_tmp, sidecar_path(base))
        print(f"generated the base minute ({size[0]}x{size[1]}) in {time.perf_counter() - t0:.0f} s", flush=True)
    # EMU systems record H.264 at a modest bit rate; the generator's MPEG-4 minute is ~260 MB at
    # 720p (16 GB an hour), so the minute is re-encoded once (x264, CRF 23, a keyframe every 2 s).
    suffix = "h264" if encoding == "zerolatency" else f"h264-{encoding}"
    h264 = data / f"base-{size[0]}x{size[1]}-{suffix}.mp4"
    if not h264.exists():
        import shutil

        from inference.video.reader import VideoReader
        from inference.video.writer import VideoWriter

        t0 = time.perf_counter()
        tmp = h264.with_name(".tmp-" + h264.name)
        if encoding == "zerolatency":
            with VideoReader(base) as r, VideoWriter(tmp, fps=r.meta.fps, size=(r.meta.width, r.meta.height),
                                                     codec="libx264", quality=23, gop=60, threads=2) as w:
                for i, rgb in r.iter_frames():
                    w.write(rgb, r.frame_to_time(i))
        else:
            _encode_bframes(base, tmp)
        shutil.copy(sidecar_path(base), sidecar_path(h264))
        os.replace(tmp, h264)
        print(f"re-encoded the base minute as H.264 ({ENCODINGS[encoding]}) in {time.perf_counter() - t0:.0f} s",
              flush=True)
    t0 = time.perf_counter()
    video = concat_recording(h264, data / f"rec-{minutes}min-{size[0]}x{size[1]}-{suffix}.mp4", minutes)
    print(f"{minutes}-minute recording ready in {time.perf_counter() - t0:.1f} s: {video}", flush=True)
    return video


def wait_until(app, cond, timeout_s: float = 10.0) -> bool:
    """Run the event loop until ``cond()``. It blocks until an event arrives (as the app's loop
    does while the user waits), so the GUI thread takes no CPU from the decoder; a 20 ms timer
    wakes it to check the timeout. (``processEvents`` with a time limit would spin instead.)"""
    from PySide6.QtCore import QEventLoop, QTimer

    end = time.perf_counter() + timeout_s
    ticker = QTimer()
    ticker.setInterval(20)
    ticker.start()
    try:
        while not cond():
            if time.perf_counter() > end:
                return False
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    finally:
        ticker.stop()
    return True


def stats(ms: np.ndarray) -> str:
    return f"median {np.median(ms):6.1f} ms, p95 {np.percentile(ms, 95):6.1f} ms, max {ms.max():6.1f} ms"


def decoder_floor(video: Path, targets: np.ndarray) -> str:
    """The same seeks on a bare VideoReader (no GUI, no cache): what decoding alone costs."""
    from inference.video.reader import VideoReader

    with VideoReader(video) as r:  # no frame cache
        ms, frames = [], []
        for f in targets:
            d0 = r.frames_decoded
            t0 = time.perf_counter()
            r.read_frame(int(f))
            ms.append((time.perf_counter() - t0) * 1000)
            frames.append(r.frames_decoded - d0)
    ms, frames = np.array(ms), np.array(frames)
    return (f"decoder alone (no GUI): {stats(ms)}; {frames.mean():.1f} frames decoded per seek on average, "
            f"{ms.sum() / frames.sum():.2f} ms per decoded frame")


def bench_video(app, win, video: Path, args, label: str, full: bool) -> None:
    rng = np.random.default_rng(0)
    print(f"\n== {label}")
    home = tempfile.mkdtemp(prefix="semioscope-bench-gui-")
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
    print(f"video: {meta.summary()}; {len(win.reader.index.keyframes)} keyframes")
    print(f"time to first frame: {ttff * 1000:.0f} ms (open_video returned after {t_call * 1000:.0f} ms)"
          + ("" if ok else "  [TIMED OUT]"))
    print(f"timestamp index built, seeking possible after {t_ready * 1000:.0f} ms"
          + ("" if ok_index else "  [TIMED OUT]"))

    n = meta.frame_count
    targets = rng.integers(0, n, args.seeks)
    lat, cpu, back = [], [], []
    exact = 0
    reader = win.reader
    d0 = reader.frames_decoded
    for f in targets:
        f = int(f)
        s0, c0 = time.perf_counter(), time.process_time()
        win.seek_frame(f)
        if not wait_until(app, lambda: win.shown_frame == f, 10):
            print(f"seek to frame {f} timed out")
            continue
        lat.append((time.perf_counter() - s0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        exact += int(win.current_frame == f)
        if f > 0:  # then one frame back, as an annotator steps to find an onset
            s0 = time.perf_counter()
            win.step_frames(-1)
            wait_until(app, lambda: win.shown_frame == f - 1, 10)
            back.append((time.perf_counter() - s0) * 1000)
    lat, cpu, back = np.array(lat), np.array(cpu), np.array(back)
    verdict = "meets" if np.median(lat) <= 50 and np.percentile(lat, 95) <= 150 else "MISSES"
    print(f"random seek ({len(lat)} seeks over {meta.duration_s / 60:.0f} min): {stats(lat)}  "
          f"[targets 50 / 150 ms: {verdict}]")
    print(f"  CPU time per seek, all threads (decoder + GUI): {stats(cpu)}")
    print(f"  step back one frame after a seek (frame cache): {stats(back)}")
    print("  " + decoder_floor(video, targets))
    if not full:
        win.close_video()
        return

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

    # Playback: frames shown per second, and how far the frame on screen is behind the clock
    # (read exactly, not at its 33 ms ticks): sampled every 5 ms (what the viewer sees; includes
    # the display interval) and for each frame as it reaches the GUI (the decoder's lateness).
    from PySide6.QtCore import QTimer

    for speed in (1.0, 4.0, 16.0):
        win.seek_frame(int(rng.integers(0, n // 2)))
        wait_until(app, lambda: win.shown_frame == win.current_frame, 10)
        win.set_speed(speed)
        arrival: list[float] = []
        sampled: list[float] = []

        def on_frame(frame, t, rgb, arrival=arrival):
            if win.clock is not None and win.clock.playing:  # a queued frame may arrive after close
                arrival.append(win.clock.now()[0] - t)

        def sample(sampled=sampled):
            if win.clock is not None and win.clock.playing and win.shown_frame >= 0:
                sampled.append(win.clock.now()[0] - win.reader.frame_to_time(win.shown_frame))

        timer = QTimer()
        timer.setInterval(5)
        timer.timeout.connect(sample)
        loader.frame_ready.connect(on_frame)
        j0, k0 = loader.play_jumps, loader.play_skipped
        win.play()
        timer.start()
        wait_until(app, lambda: False, 4.0)
        timer.stop()
        win.pause()
        loader.frame_ready.disconnect(on_frame)
        a, sm = np.array(arrival) * 1000, np.array(sampled) * 1000
        print(f"playback {speed:g}x: {len(a) / 4.0:.1f} frames shown per second (video {meta.fps * speed:.0f} fps; "
              f"{loader.play_skipped - k0} decoded but not shown, {loader.play_jumps - j0} keyframe jumps)")
        print(f"  frame on screen behind the clock (video ms): sampled median {np.median(sm):.0f}, p95 "
              f"{np.percentile(sm, 95):.0f}, max {sm.max():.0f}; at arrival median {np.median(a):.0f}, "
              f"p95 {np.percentile(a, 95):.0f}  (wall ms: sampled median {np.median(sm) / speed:.0f}, "
              f"p95 {np.percentile(sm, 95) / speed:.0f})")
    win.close_video()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=int, default=60)
    ap.add_argument("--seeks", type=int, default=60)
    ap.add_argument("--data", default=os.environ.get("SEMIOSCOPE_BENCH_DIR", "/tmp/semioscope-bench"))
    ap.add_argument("--encodings", default="zerolatency,bframes",
                    help=f"comma-separated, the first is the headline: {', '.join(ENCODINGS)}")
    ap.add_argument("--skip-timeline", action="store_true", help="do not run bench_timeline.py")
    args = ap.parse_args(argv)

    encodings = [e for e in args.encodings.split(",") if e]
    videos = {e: prepare_video(Path(args.data), args.minutes, encoding=e) for e in encodings}
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    win = MainWindow("bench")
    win.show()
    app.processEvents()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    for k, e in enumerate(encodings):
        bench_video(app, win, videos[e], args, f"{ENCODINGS[e]}" + ("" if k == 0 else " (extra row)"), full=k == 0)
    print(f"load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    win.close()

    if not args.skip_timeline:
        print("\n== timeline pan with a 24-hour trace (bench/bench_timeline.py)")
        import bench_timeline

        bench_timeline.main(["--steps", "30"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Two cameras and sound in the review window (issue 19): one synthetic patient rendered from
the ceiling and from the room's corner (same seed: the same movements), the ceiling video with
a sound track (a 1 kHz "cry" at clinical onset), played at 1x for ``--seconds``:

- frames shown per second per view;
- skew between the views: the time of the frame each shows, sampled every 20 ms, in frames of
  the first camera (median, p95; target <= 1 frame);
- ``--screenshot PNG`` (run under Xvfb): the window with both views and the audio lane.

    QT_QPA_PLATFORM=offscreen python bench/bench_cameras.py [--seconds 10]
    xvfb-run -a -s "-screen 0 1920x1080x24" python bench/bench_cameras.py --screenshot two.png
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import av  # noqa: E402
import numpy as np  # noqa: E402

from inference.synth import SynthConfig, generate_recording  # noqa: E402


def with_sound(src: Path, dst: Path, cry_at_s: float, seconds: float, rate: int = 48000) -> Path:
    """``src``'s video packets (not re-encoded) plus a mono AAC track: quiet room noise and a
    1 kHz cry of 1.5 s at ``cry_at_s``."""
    t = np.arange(int(seconds * rate)) / rate
    pcm = 0.01 * np.random.default_rng(0).standard_normal(len(t))
    cry = (t >= cry_at_s) & (t < cry_at_s + 1.5)
    pcm[cry] += 0.5 * np.sin(2 * np.pi * 1000 * t[cry])
    samples = (np.clip(pcm, -1, 1) * 32767).astype("<i2")
    with av.open(str(src)) as inp, av.open(str(dst), "w", options={"movflags": "faststart"}) as out:
        vin = inp.streams.video[0]
        vout = out.add_stream_from_template(vin)
        aout = out.add_stream("aac", rate=rate)
        aout.layout = "mono"
        for packet in inp.demux(vin):
            if packet.dts is None:
                continue
            packet.stream = vout
            out.mux(packet)
        block = 1024
        for k in range(0, len(samples), block):
            frame = av.AudioFrame.from_ndarray(samples[None, k:k + block], format="s16", layout="mono")
            frame.sample_rate = rate
            frame.pts = k
            frame.time_base = Fraction(1, rate)
            for p in aout.encode(frame):
                out.mux(p)
        for p in aout.encode(None):
            out.mux(p)
    return dst


def prepare(folder: Path, seconds: float) -> tuple[Path, Path, float]:
    folder.mkdir(parents=True, exist_ok=True)
    ceiling, corner = folder / "ceiling-sound.mp4", folder / "corner.mp4"
    clinical = seconds / 3 + 5.0  # replaced by the generator's own onset when generated now
    if not (ceiling.exists() and corner.exists()):
        plain = folder / "ceiling.mp4"
        for path, camera in ((plain, "ceiling"), (corner, "corner")):
            rec = generate_recording(path, "sub01", "sub01_r1", seed=11, config=SynthConfig(size=(480, 360),
                                     camera=camera), seizure_type="fbtc", duration_s=seconds, eeg_onset_s=seconds / 3)
            clinical = rec.seizures[0].clinical_onset_s
        with_sound(plain, ceiling, clinical, seconds)
    return ceiling, corner, clinical


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--data", default=os.environ.get("SEMIOSCOPE_BENCH_DIR", "/tmp/semioscope-bench"))
    ap.add_argument("--screenshot", metavar="PNG")
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    ceiling, corner, clinical = prepare(Path(args.data) / "cameras", 60.0)

    from bench_gui import wait_until
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow
    from widgets.theme import apply_dark_theme

    app = QApplication.instance() or QApplication([])
    apply_dark_theme(app)
    win = MainWindow(reviewer="bench")
    screen = app.primaryScreen().availableGeometry()
    win.setGeometry(screen)
    win.show()
    win.open_video(ceiling, cameras=(corner,))
    cams = win.cameras
    wait_until(app, lambda: win.is_open() and cams.loaders and cams.loaders[0].reader is not None, 30)
    wait_until(app, lambda: win.audio_lane.hasEnvelope(), 30)
    win.seek(max(clinical - 3.0, 0.0))
    wait_until(app, lambda: cams.shown[0] >= 0 and win.shown_frame == win.current_frame, 10)
    main_reader, cam_reader = win.reader, cams.loaders[0].reader
    fps = main_reader.meta.fps
    counts = [0, 0]
    win.loader.frame_ready.connect(lambda *_: counts.__setitem__(0, counts[0] + 1))
    cams.loaders[0].frame_ready.connect(lambda *_: counts.__setitem__(1, counts[1] + 1))
    skew: list[float] = []

    def sample():
        if win.clock.playing and win.shown_frame >= 0 and cams.shown[0] >= 0:
            t_main = main_reader.frame_to_time(win.shown_frame)
            t_cam = cam_reader.frame_to_time(cams.shown[0]) - cams.cameras[0].offset_s
            skew.append(abs(t_main - t_cam) * fps)

    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(sample)
    win.play()
    timer.start()
    t0 = time.perf_counter()
    wait_until(app, lambda: False, args.seconds)
    timer.stop()
    win.pause()
    wall = time.perf_counter() - t0
    s = np.array(skew)
    print(f"two views at 1x for {wall:.1f} s ({main_reader.meta.width}x{main_reader.meta.height}, {fps:g} fps): "
          f"first camera {counts[0] / wall:.1f} frames/s, second {counts[1] / wall:.1f} frames/s; skew between "
          f"the views median {np.median(s):.2f}, p95 {np.percentile(s, 95):.2f}, max {s.max():.2f} frames "
          f"(target <= 1)")
    print(f"sound: {'playing' if win.audio.output is not None else 'no output device: ' + str(win.audio.unavailable)}"
          f"; loudness lane {'shown' if win.audio_lane.isVisible() else 'hidden'}")
    if args.screenshot:
        win.seek(clinical + 0.5)
        wait_until(app, lambda: False, 1.5)
        shot = screen_grab(app, win)
        shot.save(args.screenshot)
        print(f"screenshot: {args.screenshot}")
    win.close()
    return 0


def screen_grab(app, win):
    screen = app.primaryScreen()
    return screen.grabWindow(0) if app.platformName() == "xcb" else win.grab()


if __name__ == "__main__":
    sys.exit(main())

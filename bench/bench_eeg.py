"""EEG beside the video (issue 15): opening a 24-hour file, page redraw time, playback with the EEG.

Through the real review window (offscreen), on generated files cached in ``--data``:

1. a 24-hour, 32-channel, 256 Hz EDF+ (1.4 GB; written once by repeating one-second data
   records, each with its own time-keeping annotation): time for ``open_eeg`` until the first
   page is drawn, and the window's resident memory before and after, and after paging through
   50 random pages (target: opens in <= 2 s, RSS grows <= 100 MB);
2. a 19-channel 10-20 EDF+ beside a 2-minute 640x480 video: the page redraw time (read, montage,
   filters, curves, and the widget's paint), median and p95 over 100 pages (target <= 30 ms for
   10 s x 19 channels), per montage;
3. playback at 1x and 4x for 6 s, with the EEG panel and without it (same run): frames shown per
   second, page flips, and the worst gap of the GUI's event loop.

    QT_QPA_PLATFORM=offscreen python bench/bench_eeg.py [--hours 24] [--channels 32]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import edfio  # noqa: E402
import numpy as np  # noqa: E402

from inference.eeg.channels import TEN_TWENTY  # noqa: E402
from inference.video.writer import VideoWriter  # noqa: E402

FS = 256


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def big_edf(path: Path, hours: float, channels: int) -> Path:
    """A long EDF+C written record by record: one second of ``channels`` signals (noise and a
    10 Hz rhythm, shifted per record) plus the time-keeping annotation that EDF+ requires."""
    if path.exists():
        return path
    names = [f"EEG {n}-REF" for n in TEN_TWENTY] + [f"EEG X{i}-REF" for i in range(channels - len(TEN_TWENTY))]
    t = np.arange(FS) / FS
    proto = edfio.Edf([edfio.EdfSignal(np.sin(2 * np.pi * 10 * t) * 50, FS, label=n, physical_dimension="uV",
                                       physical_range=(-500, 500)) for n in names[:channels]],
                      starttime=dt.time(20, 0, 0), recording=edfio.Recording(startdate=dt.date(2026, 3, 14)),
                      data_record_duration=1.0)
    raw = proto.to_bytes()
    header_len = proto.bytes_in_header_record
    record = bytearray(raw[header_len:])
    tal_bytes = len(record) - channels * FS * 2
    records = int(hours * 3600)
    header = bytearray(raw[:header_len])
    header[236:244] = f"{records:<8d}".encode("ascii")
    rng = np.random.default_rng(0)
    noise = (rng.normal(0, 0.05, (64, channels * FS)) * 32767).astype("<i2")
    tmp = path.with_name(".tmp-" + path.name)
    t0 = time.perf_counter()
    with open(tmp, "wb") as fh:
        fh.write(header)
        for k in range(records):
            samples = (np.frombuffer(record[: channels * FS * 2], dtype="<i2") + noise[k % 64]).astype("<i2")
            tal = f"+{k}\x14\x14\x00".encode("ascii")
            fh.write(samples.tobytes() + tal + b"\x00" * (tal_bytes - len(tal)))
    os.replace(tmp, path)
    print(f"wrote {path.name}: {hours:g} h x {channels} channels at {FS} Hz, "
          f"{path.stat().st_size / 2**30:.2f} GB in {time.perf_counter() - t0:.0f} s", flush=True)
    return path


def short_recording(folder: Path, seconds: float = 120.0):
    """A 640x480 25 fps video (moving gradient) and a 19-channel EDF+ covering it."""
    video, eeg = folder / "veeg-bench.mp4", folder / "veeg-bench.edf"
    if not video.exists():
        yy, xx = np.mgrid[0:480, 0:640]
        with VideoWriter(video, fps=25.0, size=(640, 480), codec="libx264", gop=50) as w:
            for k in range(int(seconds * 25)):
                w.write(((xx + 4 * k) % 256).astype(np.uint8)[..., None].repeat(3, axis=2))
    if not eeg.exists():
        n = int((seconds + 20) * FS)
        tt = np.arange(n) / FS
        rng = np.random.default_rng(1)
        sigs = [edfio.EdfSignal(30 * np.sin(2 * np.pi * (9 + k % 3) * tt) + rng.normal(0, 8, n), FS,
                                label=f"EEG {name}-REF", physical_dimension="uV", physical_range=(-500, 500))
                for k, name in enumerate(TEN_TWENTY)]
        edfio.Edf(sigs, starttime=dt.time(20, 0, 0), recording=edfio.Recording(startdate=dt.date(2026, 3, 14))
                  ).write(eeg)
    return video, eeg


def stats(ms) -> str:
    ms = np.asarray(ms, dtype=np.float64)
    return f"median {np.median(ms):.1f} ms, p95 {np.percentile(ms, 95):.1f} ms, max {ms.max():.1f} ms (n={len(ms)})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--channels", type=int, default=32)
    ap.add_argument("--data", default=os.environ.get("SEMIOSCOPE_BENCH_DIR", "/tmp/semioscope-bench"))
    ap.add_argument("--play-seconds", type=float, default=6.0)
    args = ap.parse_args()
    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    big = big_edf(data / f"eeg-{args.hours:g}h-{args.channels}ch.edf", args.hours, args.channels)
    video, eeg = short_recording(data)

    from bench_gui import wait_until
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    win = MainWindow(reviewer="bench")
    win.resize(1400, 900)
    win.show()
    win.open_video(video)
    wait_until(app, win.is_open, 30)
    wait_until(app, lambda: win.shown_frame == win.current_frame, 10)

    # 1. The 24-hour file.
    before = rss_mb()
    t0 = time.perf_counter()
    ok = win.open_eeg(big)
    app.processEvents()
    win.eeg_view.plot_widget.viewport().repaint()
    opened = time.perf_counter() - t0
    after_open = rss_mb()
    rng = np.random.default_rng(0)
    review = win.eeg_review
    for start in rng.uniform(0, args.hours * 3600 - 10, 50):
        review.draw_page(float(start))
    app.processEvents()
    after_pages = rss_mb()
    print(f"{args.hours:g} h x {args.channels} ch EDF+ ({big.stat().st_size / 2**30:.2f} GB): opened and first page "
          f"drawn in {opened * 1000:.0f} ms ({'ok' if ok else 'FAILED'}); window RSS {before:.0f} MB -> "
          f"{after_open:.0f} MB after opening (+{after_open - before:.0f}), {after_pages:.0f} MB after 50 random "
          f"pages (+{after_pages - before:.0f})")

    # 2. Page redraw, 10 s x 19 channels.
    win.open_eeg(eeg)
    for montage in ("bipolar", "average", "recorded"):
        view = win.eeg_view
        view.montage_box.setCurrentIndex(view.montage_box.findData(montage))
        times = []
        for start in rng.uniform(0, 100, 100):
            t1 = time.perf_counter()
            review.draw_page(float(start))
            view.plot_widget.viewport().repaint()
            times.append((time.perf_counter() - t1) * 1000)
        print(f"page redraw ({montage}, {len(view._names)} traces x 10 s at {FS} Hz, read + montage + filters + "
              f"paint): {stats(times)}")
    view.montage_box.setCurrentIndex(view.montage_box.findData("bipolar"))

    # 3. Playback with and without the EEG panel.
    from PySide6.QtCore import QTimer

    for with_eeg in (True, False):
        if not with_eeg:
            review.close()
        for speed in (1.0, 4.0):
            win.pause()
            win.seek(5.0)
            wait_until(app, lambda: win.shown_frame == win.current_frame, 10)
            win.set_speed(speed)
            shown, gaps, last = [0], [], [time.perf_counter()]

            def count(*_a, shown=shown):
                shown[0] += 1

            def tick(gaps=gaps, last=last):
                now = time.perf_counter()
                gaps.append((now - last[0]) * 1000)
                last[0] = now

            timer = QTimer()
            timer.setInterval(10)
            timer.timeout.connect(tick)
            win.loader.frame_ready.connect(count)
            pages0 = len(review.redraw_ms)
            win.play()
            timer.start()
            wait_until(app, lambda: False, args.play_seconds)
            timer.stop()
            win.pause()
            win.loader.frame_ready.disconnect(count)
            flips = len(review.redraw_ms) - pages0
            print(f"playback {speed:g}x {'with' if with_eeg else 'without'} the EEG: "
                  f"{shown[0] / args.play_seconds:.1f} frames shown per second (video {25 * speed:.0f} fps), "
                  f"{flips} page flips, event-loop gap max {max(gaps):.0f} ms, p99 {np.percentile(gaps, 99):.0f} ms")
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

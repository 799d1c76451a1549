"""Timeline pan frame time with a 24-hour trace (1 s stride: 86 400 points) plus the attention
heatmap [86 400, 14], linked on x, in offscreen Qt.

Each pan step shifts the visible range by a tenth of its width and runs the event loop once
(``processEvents()``), which paints every view whose contents changed, as a drag does per
mouse move; the number of paints per step is counted and printed (it should be 3: timeline,
overview bar, heatmap).

    QT_QPA_PLATFORM=offscreen python bench/bench_timeline.py [--steps 60] [--no-downsample]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np


def count_paints(views):
    """An object whose ``count`` grows by one per paint of any of ``views`` (set it to 0 to start;
    ``stop()`` removes it); shared with bench_24h.py."""
    from PySide6.QtCore import QEvent, QObject

    class PaintCounter(QObject):
        def __init__(self):
            super().__init__()
            self.count = 0

        def eventFilter(self, obj, ev):  # noqa: N802 - Qt's name
            if ev.type() == QEvent.Paint:
                self.count += 1
            return False

        def stop(self):
            for view in views:
                view.viewport().removeEventFilter(self)

    counter = PaintCounter()
    for view in views:
        view.viewport().installEventFilter(counter)
    return counter


def synthetic_day(seconds: int = 86_400, seed: int = 0):
    """A day of window probabilities with noise, 12 seizure-like bumps and 5 undecodable gaps."""
    rng = np.random.default_rng(seed)
    t = np.arange(seconds, dtype=np.float64) + 2.5
    p = np.clip(0.08 + 0.05 * rng.standard_normal(seconds), 0, 1)
    att = (rng.random((seconds, 14)) * 0.1).astype(np.float32)
    for start in rng.integers(0, seconds - 200, 12):
        p[start:start + 120] = np.clip(0.85 + 0.05 * rng.standard_normal(120), 0, 1)
        att[start:start + 120, rng.integers(0, 14)] = 0.6
    for start in rng.integers(0, seconds - 600, 5):
        p[start:start + 300] = np.nan
        att[start:start + 300] = np.nan
    return t, p, att


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=60, help="pan steps per zoom level")
    ap.add_argument("--no-downsample", action="store_true", help="baseline: plot every point")
    ap.add_argument("--width", type=int, default=1600)
    args = ap.parse_args(argv)

    from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

    from inference.core.config import EventConfig
    from inference.results.events import detect_events
    from widgets.attention_map import AttentionMap
    from widgets.display_data import EventRow
    from widgets.timeline import TimelineWidget

    app = QApplication.instance() or QApplication([])
    t, p, att = synthetic_day()
    host = QWidget()
    lay = QVBoxLayout(host)
    tl, am = TimelineWidget(), AttentionMap()
    lay.addWidget(tl, 3)
    lay.addWidget(am, 2)
    host.resize(args.width, 650)
    host.show()
    t0 = time.perf_counter()
    tl.setTrace(t, p)
    am.setAttention(t, att)
    am.linkTimeline(tl)
    events = detect_events(t - 2.5, t + 2.5, p, EventConfig())
    tl.setEvents([EventRow.from_event(e) for e in events])
    if args.no_downsample:
        tl.plot.setDownsampling(auto=False)
        tl.plot.setClipToView(False)
    app.processEvents()
    load_ms = (time.perf_counter() - t0) * 1000

    PaintCounter = count_paints((tl.graphics, tl.overview_graphics, am.graphics))

    def frame():
        app.processEvents()

    print(f"24 h trace: {len(t)} points, heatmap {att.shape}, {len(events)} events; "
          f"set data + first paint {load_ms:.0f} ms; window {args.width}x650; "
          f"downsampling {'off' if args.no_downsample else 'auto (peak) + clip-to-view'}")
    # Wall time is what the user feels; CPU time of this process is what the widgets cost, and
    # stays meaningful on a machine shared with other jobs.
    print(f"{'visible span':>14} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'cpu med ms':>11} "
          f"{'cpu p95 ms':>11} {'paints/step':>12}")

    def row(label, ms, cpu):
        print(f"{label:>14} {np.median(ms):10.1f} {np.percentile(ms, 95):8.1f} {ms.max():8.1f} "
              f"{np.median(cpu):11.1f} {np.percentile(cpu, 95):11.1f} {PaintCounter.count / args.steps:12.1f}")

    for span in (600.0, 3600.0, 6 * 3600.0, 20 * 3600.0):
        start = 40_000.0 if span < 40_000 else 2_000.0
        tl.setXRange(start, start + span)
        frame()
        times, cpu = [], []
        PaintCounter.count = 0
        for k in range(args.steps):
            # Back and forth, so the range never runs into the recording's ends.
            dx = min(span / 10, 2000.0) * (1 if (k // 5) % 2 == 0 else -1)
            a, b = tl.xRange()
            s0, c0 = time.perf_counter(), time.process_time()
            tl.setXRange(a + dx, b + dx)
            frame()
            times.append((time.perf_counter() - s0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        label = f"{span / 3600:g} h" if span >= 3600 else f"{span / 60:g} min"
        row(label, np.array(times), np.array(cpu))
    # The cursor alone (what playback does every frame).
    tl.setXRange(40_000.0, 40_600.0)
    frame()
    times, cpu = [], []
    PaintCounter.count = 0
    for k in range(args.steps):
        s0, c0 = time.perf_counter(), time.process_time()
        tl.setCurrentTime(40_100.0 + k)
        am.setCurrentTime(40_100.0 + k)
        frame()
        times.append((time.perf_counter() - s0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    row("cursor move", np.array(times), np.array(cpu))
    print(f"load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    host.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

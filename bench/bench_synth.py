"""Synthetic EMU generator throughput: minutes of video rendered per minute of wall time.

Target (issue 2): >= 5 video-minutes per wall-minute on 2 cores at 640x480, 30 fps.

    .venv/bin/python bench/bench_synth.py [--subjects 4] [--duration 120] [--workers 2] [--size 640x480]
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inference.synth import SynthConfig, generate_dataset  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--subjects", type=int, default=4)
    ap.add_argument("--duration", type=float, default=120.0, help="seconds per recording")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--size", default="640x480")
    ap.add_argument("--night-fraction", type=float, default=0.3)
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    cfg = replace(SynthConfig(), size=(w, h), recordings_per_subject=(1, 1),
                  duration_s=(args.duration, args.duration), night_fraction=args.night_fraction)
    with tempfile.TemporaryDirectory(prefix="bench_synth_") as tmp:
        load0 = os.getloadavg()[0]

        def cpu() -> float:
            return sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
                       for f in ("ru_utime", "ru_stime"))

        c0, t0 = cpu(), time.perf_counter()
        m = generate_dataset(tmp, args.subjects, seed=0, config=cfg, workers=args.workers)
        wall = time.perf_counter() - t0
        cpu_s = cpu() - c0  # pool workers are reaped by then, so their time is counted
        video_min = sum(r.duration_s or 0 for r in m) / 60
        nights = sum("night_mode\": true" in Path(tmp, r.subject_id, r.recording_id + ".annotations.json").read_text()
                     for r in m)
    rate = video_min / (wall / 60)
    print(f"synth: {len(m)} recordings ({nights} night), {video_min:.1f} min of {w}x{h} 30 fps video "
          f"in {wall:.1f} s with {args.workers} workers on {os.cpu_count()} CPUs "
          f"(load average before: {load0:.1f})")
    print(f"synth: {rate:.2f} video-minutes per wall-minute (target >= 5); CPU time {cpu_s:.1f} s = "
          f"{video_min / (cpu_s / 60):.2f} video-minutes per CPU-minute, i.e. about "
          f"{2 * video_min / (cpu_s / 60):.1f} per wall-minute on 2 idle cores "
          f"(load average after: {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

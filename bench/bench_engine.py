"""Benchmark of the streaming analysis engine (issue 5) with the ``tiny`` detector.

Measures, on one synthetic recording (default 10 minutes, 640x480, 30 fps):

- decode alone (sampled at 6 fps), decode + MediaPipe pose alone;
- the whole pipeline with ground-truth keypoints from a file and with MediaPipe (no pose cache);
  all as video-seconds per wall-second;
- peak RSS of the pipeline (ground-truth keypoints) on the 10-minute and a 60-minute recording,
  each in its own subprocess (``ru_maxrss``).

Targets: pipeline <= 1.5x the time of decode + pose; keypoints from a file >= 10x real time
on 2 cores; peak RSS <= 1.5 GB and < 10% growth from 10 to 60 minutes.

The recordings are built from one generated minute (``inference.synth``) repeated by remuxing
its packets (no re-encoding), so a 60-minute file takes seconds to make; decoding, pose and
the model still do all the work. The weights are an untrained ``tiny`` detector (speed and
memory do not depend on training). Files are kept in ``--data`` for reruns.

    python bench/bench_engine.py                 # full run (~15-25 min on 2 cores)
    python bench/bench_engine.py --minutes 1 --long-minutes 3 --skip-mediapipe   # quick check
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from inference.analysis.engine import AnalysisEngine  # noqa: E402
from inference.analysis.settings import EngineConfig  # noqa: E402
from inference.core.config import ClipConfig, EventConfig, PoseConfig, SegmentConfig  # noqa: E402
from inference.detector.checkpoint import load_run, make_run_config, save_run  # noqa: E402
from inference.detector.finetune_modes import LoraSettings, apply_mode  # noqa: E402
from inference.detector.model import build_detector, preset_config  # noqa: E402
from inference.pose.keypoint_files import sidecar_path  # noqa: E402
from inference.pose.keypoints import KeypointTrack  # noqa: E402
from inference.pose.registry import get_backend  # noqa: E402
from inference.synth.generator import SynthConfig, generate_recording  # noqa: E402
from inference.video.reader import VideoReader  # noqa: E402


def concat_recording(base: Path, dst: Path, times: int) -> Path:
    """``base`` repeated ``times`` times by remuxing packets, plus its keypoint sidecar."""
    if dst.exists() and sidecar_path(dst).exists():
        return dst
    tmp = dst.with_name(".tmp-" + dst.name)
    with av.open(str(base)) as inp, av.open(str(tmp), "w", format="mp4") as out:
        ins = inp.streams.video[0]
        outs = out.add_stream_from_template(ins)
        packets = [(bytes(p), p.pts, p.dts, p.is_keyframe, p.duration) for p in inp.demux(ins) if p.size]
        first = min(p[1] for p in packets)
        span = max(p[1] + (p[4] or 0) for p in packets) - first
        for k in range(times):
            for data, pts, dts, key, dur in packets:
                q = av.Packet(data)
                q.pts, q.dts, q.is_keyframe, q.duration = pts + k * span, dts + k * span, key, dur
                q.time_base = ins.time_base
                q.stream = outs
                out.mux(q)
        span_s = float(span * ins.time_base)
    gt = KeypointTrack.load(sidecar_path(base))
    times_all = np.concatenate([gt.times + k * span_s for k in range(times)])
    KeypointTrack(times_all, np.tile(gt.xy, (times, 1, 1)), np.tile(gt.conf, (times, 1)), gt.frame_size,
                  gt.source, gt.meta).save(sidecar_path(dst))
    os.replace(tmp, dst)
    return dst


def prepare(data: Path, size: tuple[int, int], minutes: list[int]) -> tuple[Path, dict[int, Path]]:
    data.mkdir(parents=True, exist_ok=True)
    base = data / f"base-{size[0]}x{size[1]}.mp4"
    if not base.exists():
        t0 = time.perf_counter()
        generate_recording(base, "bench", base.stem, seed=1, config=SynthConfig(size=size), duration_s=60.0,
                           eeg_onset_s=25.0)
        print(f"generated the base minute in {time.perf_counter() - t0:.0f} s", flush=True)
    videos = {m: concat_recording(base, data / f"rec-{m}min-{size[0]}x{size[1]}.mp4", m) for m in minutes}
    run = data / "tiny-untrained"
    if not (run / "run.json").exists():
        torch.manual_seed(0)
        cfg = preset_config("tiny")
        model = build_detector(cfg)
        apply_mode(model, "full", LoraSettings())
        rc = make_run_config(detector=cfg, mode="full", lora=LoraSettings(), segments=SegmentConfig(),
                             clips=ClipConfig(input_size=cfg.image_size), events=EventConfig(), threshold=0.5,
                             keypoint_source="synthetic-gt")
        save_run(run, model, rc)
    return run, videos


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


class Clock:
    """Wall and CPU time (all threads, plus finished child processes such as pose workers) of a
    block; the machine may be shared, so the CPU rate (video-s per CPU-s) is the load-independent
    figure."""

    def __enter__(self) -> "Clock":
        self.w0, self.c0 = time.perf_counter(), time.process_time() + _children_cpu()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.w0
        self.cpu = time.process_time() + _children_cpu() - self.c0


def bench_decode(video: Path) -> tuple[float, float]:
    with VideoReader(video) as r, Clock() as c:
        for _ in r.iter_sampled(6.0):
            pass
    return r.meta.duration_s / c.wall, r.meta.duration_s / c.cpu


def bench_decode_pose(video: Path) -> tuple[float, float]:
    backend = get_backend("mediapipe", PoseConfig())
    with VideoReader(video) as r:
        backend.start((r.meta.width, r.meta.height))
        with Clock() as c:
            for t, _, rgb in r.iter_sampled(6.0):
                backend.process(t, rgb)
        backend.close()
        return r.meta.duration_s / c.wall, r.meta.duration_s / c.cpu


def bench_pipeline(video: Path, run: Path, keypoints: str | None, pose_workers: int = 1) -> tuple[float, float, dict]:
    """The whole pipeline, nothing cached: with ``pose_workers`` > 1 pose runs first in that many
    processes (into a throw-away pose cache), else frame by frame beside the model."""
    with tempfile.TemporaryDirectory() as pose_cache:
        engine = AnalysisEngine(load_run(run, device="auto"),
                                EngineConfig(keypoints=keypoints, use_pose_cache=pose_workers > 1, resume=False,
                                             pose_workers=pose_workers, cache_dir=pose_cache))
        return _run_pipeline(engine, video)


def _run_pipeline(engine: AnalysisEngine, video: Path) -> tuple[float, float, dict]:
    with Clock() as c:
        r = engine.run(video)
        for _ in r:
            pass
    d = r.result.duration_s
    return d / c.wall, d / c.cpu, dict(r.stats, batch_size=r.batch_size)


def rss_child(video: str, run: str) -> None:
    """Subprocess body: run the pipeline (ground-truth keypoints), print peak RSS as JSON."""
    rate, _, stats = bench_pipeline(Path(video), Path(run), "gt")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_rss_mb": peak_kb / 1024.0, "video_s_per_s": rate,
                      "max_frames_held": stats.get("max_frames_held")}))


def measure_rss(video: Path, run: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--rss-child", str(video), str(run)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=int, default=10)
    ap.add_argument("--long-minutes", type=int, default=60)
    ap.add_argument("--size", default="640x480")
    ap.add_argument("--data", default=os.environ.get("SEMIOSCOPE_BENCH_DIR", "/tmp/semioscope-bench"))
    ap.add_argument("--skip-mediapipe", action="store_true")
    ap.add_argument("--pose-workers", type=lambda t: [int(x) for x in t.split(",")], default=[2],
                    help="also run the MediaPipe pipeline with these numbers of pose processes (default 2)")
    ap.add_argument("--rss-child", nargs=2, metavar=("VIDEO", "RUN"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.rss_child:
        rss_child(*args.rss_child)
        return 0
    size = tuple(int(x) for x in args.size.lower().split("x"))
    run, videos = prepare(Path(args.data), size, [args.minutes, args.long_minutes])
    video = videos[args.minutes]
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} at start; "
          f"recording {args.minutes} min {size[0]}x{size[1]} 30 fps", flush=True)
    res: dict = {"cores": os.cpu_count(), "load_start": load[0], "minutes": args.minutes, "size": args.size}
    def line(label: str, wall: float, cpu: float, extra: str = "") -> None:
        print(f"{label:36s} {wall:7.1f} video-s/s wall, {cpu:7.1f} video-s per CPU-s{extra}", flush=True)

    res["decode"], res["decode_cpu"] = bench_decode(video)
    line("decode alone (6 fps sampling)", res["decode"], res["decode_cpu"])
    res["pipeline_gt"], res["pipeline_gt_cpu"], stats = bench_pipeline(video, run, "gt")
    line("pipeline, keypoints from file", res["pipeline_gt"], res["pipeline_gt_cpu"],
         f"  (target >= 10 wall; batch {stats['batch_size']}, decode {stats['decode_s']:.0f} s, "
         f"clips {stats['clips_s']:.0f} s, model {stats['model_s']:.0f} s wall)")
    if not args.skip_mediapipe:
        res["decode_pose"], res["decode_pose_cpu"] = bench_decode_pose(video)
        line("decode + MediaPipe pose alone", res["decode_pose"], res["decode_pose_cpu"])
        res["pipeline_mediapipe"], res["pipeline_mediapipe_cpu"], stats = bench_pipeline(video, run, None)
        ratio = res["decode_pose"] / res["pipeline_mediapipe"]
        ratio_cpu = res["decode_pose_cpu"] / res["pipeline_mediapipe_cpu"]
        res["pipeline_over_decode_pose"], res["pipeline_over_decode_pose_cpu"] = ratio, ratio_cpu
        line("pipeline, MediaPipe (no cache)", res["pipeline_mediapipe"], res["pipeline_mediapipe_cpu"],
             f"  = {ratio:.2f}x the wall time, {ratio_cpu:.2f}x the CPU time of decode + pose (target <= 1.5)")
        for k in args.pose_workers:
            if k <= 1:
                continue  # the line above is the one-process pipeline
            wall, cpu, _ = bench_pipeline(video, run, None, pose_workers=k)
            res[f"pipeline_mediapipe_k{k}"], res[f"pipeline_mediapipe_k{k}_cpu"] = wall, cpu
            line(f"pipeline, MediaPipe, {k} pose processes", wall, cpu,
                 f"  = {wall / res['pipeline_mediapipe']:.2f}x the one-process pipeline, "
                 f"{wall / res['decode_pose']:.2f}x decode + pose (wall)")
    for m in (args.minutes, args.long_minutes):
        r = measure_rss(videos[m], run)
        res[f"peak_rss_mb_{m}min"] = r["peak_rss_mb"]
        print(f"peak RSS, {m:3d} min (keypoints file) {r['peak_rss_mb']:8.0f} MB  "
              f"({r['video_s_per_s']:.1f} video-s/s, {r['max_frames_held']} frames held)", flush=True)
    growth = res[f"peak_rss_mb_{args.long_minutes}min"] / res[f"peak_rss_mb_{args.minutes}min"] - 1.0
    res["rss_growth"] = growth
    res["load_end"] = os.getloadavg()[0]
    print(f"RSS growth {args.minutes} -> {args.long_minutes} min: {100 * growth:+.1f}% (target < 10%, "
          f"<= 1536 MB); load average at end {res['load_end']:.1f}")
    (Path(args.data) / "bench_engine.json").write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``semioscope analyze``: batch analysis of videos into result files plus one events.csv."""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from inference.analysis.batch import analyze_file
from inference.analysis.engine import AnalysisEngine
from inference.analysis.ray_batch import analyze_with_ray
from inference.analysis.settings import EngineConfig
from inference.core.config import PoseConfig
from inference.core.errors import InputFileError, SemioscopeError
from inference.core.progress import cli_progress
from inference.dataset.manifest import load_manifest
from inference.detector.checkpoint import load_run
from inference.forecast.folder import KIND_CLASSIFIER, read_forecast_json
from inference.pose.registry import one_process_backend
from inference.results.result_file import RESULT_SUFFIX, AnalysisResult, result_path_for, write_events_csv
from inference.video.index import probe_durations

from ._pose_option import add_keypoints_options, pose_model_path

NAME = "analyze"
HELP = "analyse videos with a trained detector: result files and events.csv"
ORDER = 50
DESCRIPTION = """\
Analyse whole videos with a trained detector (a run folder from `semioscope train`).

Inputs are video files, folders (their video files, not recursive) and recording manifests
(.csv/.json). For every video, OUT/<stem>.result.npz holds the probability trace, per-joint
attention, keypoints, gaps and events; OUT/events.csv lists the events of all videos.

A file that fails (unreadable, no person detected) is reported and the batch goes on; the
exit status is non-zero when any file failed or was truncated. An interrupted analysis resumes
where it stopped; a finished, up-to-date result is reused (--force redoes it). Nothing leaves
this machine, except to the Ray cluster you name with --ray ADDRESS.

examples:
  semioscope analyze demo/videos --model runs/tiny --out results --keypoints gt
  semioscope analyze manifest.csv --model runs/tiny --out results --stride 1 --threshold 0.7
  semioscope analyze emu/ --model runs/vivit --out results --keypoints onnx --pose-model ~/models/rtmpose-m.onnx
  semioscope analyze archive/ --model runs/vivit --out results --ray            # local Ray
  semioscope analyze archive/ --model runs/vivit --out results --ray ray://head:10001
  semioscope analyze demo/videos --model runs/tiny --forecast-model runs/fc_clf --out results --keypoints gt
"""

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".m4v", ".webm", ".mpg", ".mpeg", ".wmv", ".flv")
MANIFEST_EXTENSIONS = (".csv", ".json")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="VIDEO|DIR|MANIFEST", help="videos, folders of videos, manifests")
    p.add_argument("--model", required=True, metavar="RUN", help="trained run folder (run.json + model.safetensors)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder for results and events.csv")
    p.add_argument("--stride", type=float, default=1.0, metavar="S", help="window stride in seconds (default 1)")
    p.add_argument("--device", default="auto", help="auto (CUDA with bf16 if present), cpu, cuda, cuda:N")
    add_keypoints_options(p, "mediapipe",
                          "pose source: 'mediapipe' (default, cached) or another pose backend ('onnx' with "
                          "--pose-model), 'gt' (<video stem>.keypoints.npz beside each video), or a keypoint "
                          "file / a folder of them")
    p.add_argument("--threshold", type=float, help="event threshold (default: the run's validation threshold)")
    p.add_argument("--hysteresis", type=float, help="event hysteresis (default: the run's)")
    p.add_argument("--min-duration", type=float, metavar="S", help="minimum event duration (default: the run's)")
    p.add_argument("--merge-gap", type=float, metavar="S", help="merge events closer than this (default: the run's)")
    p.add_argument("--pose-workers", type=int, default=0, metavar="K",
                   help="pose processes per video when its pose is not cached (default: cores - 1, but 1 "
                        "for onnx, whose model uses every core or the GPU; 1 = pose frame by frame beside "
                        "the model)")
    p.add_argument("--batch-size", default="auto", help="windows per model call (default: auto from the device)")
    p.add_argument("--cache-dir", help="pose cache folder (default: the pose cache's own)")
    p.add_argument("--forecast-model", metavar="DIR", default=None,
                   help="forecast classifier folder (`forecast finetune`): also store its trace, P(onset within "
                        "H s) per window, as trace 'forecast' in each result file")
    p.add_argument("--force", action="store_true", help="redo files whose result is already up to date")
    p.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                   help="spread files over a Ray cluster, one task per file (no address: a local Ray instance)")


def collect_videos(inputs: list[str]) -> list[Path]:
    """Videos named by files, folders and manifests, in order, without duplicates."""

    out: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.is_file() and q.suffix.lower() in VIDEO_EXTENSIONS)
            if not found:
                raise InputFileError(p, f"folder holds no video files ({', '.join(VIDEO_EXTENSIONS)})")
            out.extend(found)
        elif p.suffix.lower() in MANIFEST_EXTENSIONS:
            out.extend(r.video for r in load_manifest(p))
        else:
            out.append(p)  # a missing/unreadable video fails on its own, the batch goes on
    seen: set[Path] = set()
    unique = []
    for v in out:
        key = v.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(v)
    return unique


def output_paths(videos: list[Path], out_dir: Path) -> list[Path]:
    """``OUT/<stem>.result.npz``; videos sharing a stem get their folder name prefixed."""
    stems = Counter(v.stem for v in videos)
    return [result_path_for(v, out_dir) if stems[v.stem] == 1
            else out_dir / f"{v.parent.name}_{v.stem}{RESULT_SUFFIX}" for v in videos]


def engine_config(args) -> "object":
    if args.stride <= 0:
        raise SemioscopeError(f"--stride must be positive (got {args.stride})")
    batch = args.batch_size
    if batch != "auto":
        try:
            batch = int(batch)
            assert batch > 0
        except (ValueError, AssertionError):
            raise SemioscopeError(f"--batch-size must be 'auto' or a positive integer (got {args.batch_size!r})") from None
    kp = args.keypoints
    # 'gt' or something path-like is a keypoint source; any other word names a pose backend.
    is_file = kp == "gt" or Path(kp).exists() or "/" in kp or kp.endswith((".npz", ".json"))
    backend = "mediapipe" if is_file else kp
    model = pose_model_path(args, backend)
    pose = PoseConfig(backend=backend, onnx_model=model) if model else PoseConfig()
    workers = getattr(args, "pose_workers", 0) or (1 if one_process_backend(backend) else 0)
    overrides = {"threshold": args.threshold, "hysteresis": args.hysteresis,
                 "min_duration_s": args.min_duration, "merge_gap_s": args.merge_gap}
    return EngineConfig(
        stride_s=args.stride, batch_size=batch, device=args.device,
        pose_backend=backend, pose=pose,
        keypoints=kp if is_file else None, cache_dir=args.cache_dir,
        events={k: v for k, v in overrides.items() if v is not None} or None,
        forecast_model=getattr(args, "forecast_model", None),
        pose_workers=workers,
    )


def run(args) -> int:
    videos = collect_videos(args.inputs)
    if not videos:
        raise SemioscopeError("no videos to analyse")
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    outs = output_paths(videos, out_dir)
    config = engine_config(args)
    if config.forecast_model:

        read_forecast_json(config.forecast_model, KIND_CLASSIFIER)  # one clear error, not one per file
    if args.ray is not None:

        outcomes = analyze_with_ray(videos, outs, args.model, config,
                                    address=None if args.ray == "local" else args.ray, reuse=not args.force)
    else:
        outcomes = _run_local(videos, outs, args.model, config, reuse=not args.force)

    done = [(o, v) for o, v in zip(outcomes, videos) if o.out_path]
    results = []
    for o, v in done:
        results.append((str(v), AnalysisResult.load(o.out_path, keypoints=False)))
    csv_path = write_events_csv(out_dir / "events.csv", results)
    return report(outcomes, csv_path)


def _run_local(videos, outs, run_dir, config, reuse: bool):
    engine = AnalysisEngine(load_run(run_dir, device=config.device), config)
    probed = probe_durations(videos)  # 0.0 when unreadable: fails again, with its message, when analysed
    durations = [round(probed[v], 1) for v in videos]
    total = round(float(sum(durations)), 1)
    outcomes = []
    # Bars count video seconds, so tqdm's rate reads directly as video-seconds per second.
    with cli_progress("all videos", total=total, unit="video-s", position=0) as overall:
        base = 0.0
        for k, (v, o) in enumerate(zip(videos, outs)):
            with cli_progress(f"[{k + 1}/{len(videos)}] {v.name}", total=durations[k] or None, unit="video-s",
                              position=1, leave=False) as bar:
                def progress(done, tot, message="", _base=base, _total=durations[k]):
                    done = round(min(done, _total), 1)
                    if message == "forecast":  # the forecast pass after the detector: this file's bar only
                        bar(done, _total, message)
                        return
                    bar(done, _total)
                    overall(round(_base + done, 1), total)

                outcomes.append(analyze_file(engine, v, o, progress=progress, reuse=reuse))
                bar(durations[k], durations[k])
            base += durations[k]
            overall(round(base, 1), total)
    return outcomes


def report(outcomes, csv_path: Path) -> int:
    ok = [o for o in outcomes if o.succeeded]
    warn = [o for o in outcomes if o.status == "warning"]
    failed = [o for o in outcomes if o.status == "failed"]
    video_s = sum(o.video_s for o in outcomes if o.status in ("ok", "warning"))
    wall_s = sum(o.wall_s for o in outcomes if o.status in ("ok", "warning"))
    n_events = sum(o.n_events for o in outcomes)
    rate = f", {video_s / wall_s:.1f} video-s/s" if wall_s > 0 and video_s > 0 else ""
    reused = sum(o.status == "reused" for o in outcomes)
    print(f"analysed {len(ok) + len(warn)} of {len(outcomes)} videos ({reused} already up to date){rate}; "
          f"{n_events} events -> {csv_path}")
    if warn or failed:
        print(f"\n{len(failed)} failed, {len(warn)} with problems:", file=sys.stderr)
        for o in failed:
            print(f"  FAILED  {o.message}", file=sys.stderr)
        for o in warn:
            print(f"  WARNING {o.message}", file=sys.stderr)
        return 1
    return 0

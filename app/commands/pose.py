"""``semioscope pose``: the cleaned 14-joint track of one or more videos (cached per video)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from inference.core.errors import Cancelled, InputFileError, SemioscopeError
from inference.core.progress import cli_progress
from inference.pose.cache import cached_track
from inference.pose.cleaning import clean_track
from inference.pose.estimate import estimate_track
from inference.pose.joints import JOINT_NAMES
from inference.pose.keypoint_files import sidecar_path
from inference.pose.keypoints import KeypointTrack
from inference.pose.parallel import default_pose_workers, estimate_track_parallel
from inference.pose.quality import evaluate_pose, evaluate_pose_many
from inference.pose.registry import one_process_backend

from ._config_option import add_config_option, config_from_args

NAME = "pose"
HELP = "estimate the 14-joint keypoint track of videos (MediaPipe, an ONNX model or a keypoint file), cached"
ORDER = 30
DESCRIPTION = """\
Estimate the patient's 14-joint track (head, neck, shoulders, elbows, wrists, hips, knees,
ankles) at 6 samples per second, clean it (unsure joints dropped, gaps <= 0.5 s interpolated)
and cache it per video, so the next run over the same file is instant.

Backends: 'mediapipe' (default; offline, in video mode with tracking), 'onnx' (a top-down
RTMPose or ViTPose model from a local .onnx file, --pose-model FILE; CUDA with onnxruntime-gpu,
else CPU; README "Using real data" says how to get one) or 'file' (keypoints you bring with
--keypoints: an OpenPose --write_json folder, COCO-18 or BODY-25, or a Semioscope .npz track;
without --keypoints the synthetic sidecar <video stem>.keypoints.npz is used).

examples:
  semioscope pose demo/videos/rec01.mp4 --out rec01.track.npz
  semioscope pose rec01.mp4 --backend file --keypoints openpose_json/rec01/
  semioscope pose rec01.mp4 --backend onnx --pose-model ~/models/rtmpose-m-body7.onnx
  semioscope pose a.mp4 b.mp4 --out tracks/          # several videos: --out is a folder
  semioscope pose data/synth/videos/*.mp4 --evaluate --json pose_quality.json   # against ground truth

--evaluate compares each track with the ground truth (default: the synthetic sidecar
<video stem>.keypoints.npz; --truth for another track file) and prints per joint the detection
rate, PCK at 0.1 and 0.2 torso lengths, the frame-to-frame jitter of the error, and how well the
estimate follows the true motion (motion_corr, motion_gain: a tracking filter can keep PCK high
while it damps the jerks a seizure detector reads); with several
videos, also the pooled figures. --json writes them (the pooled ones for several videos).
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_config_option(p)
    p.add_argument("videos", nargs="+", metavar="VIDEO", help="video file(s)")
    p.add_argument("--backend", default=None, help="pose backend: mediapipe (default), onnx or file")
    p.add_argument("--pose-model", metavar="FILE.onnx",
                   help="the ONNX pose model of --backend onnx (implies it; [pose] onnx_model in --config)")
    p.add_argument("--bed-region", metavar="X0,Y0,X1,Y1",
                   help="onnx: person box when no keypoints are known, as fractions of the frame "
                        "(default: the whole frame)")
    p.add_argument("--keypoints", metavar="PATH", help="keypoint file or OpenPose JSON folder (implies --backend file)")
    p.add_argument("--out", metavar="PATH", help="write the track here (.npz); a folder when several videos")
    p.add_argument("--fps", type=float, default=None, help="sampling rate (default 6)")
    p.add_argument("--cache-dir", metavar="DIR", help="pose cache folder (default ~/.cache/semioscope/pose "
                                                      "or $SEMIOSCOPE_CACHE_DIR/pose)")
    p.add_argument("--no-cache", action="store_true", help="always run the pose model; do not read or write the cache")
    p.add_argument("--model-complexity", type=int, choices=(0, 1, 2), help="MediaPipe model (default 1)")
    p.add_argument("--min-confidence", type=float, help="joints below this confidence are missing (default 0.3)")
    p.add_argument("--smooth", action="store_true", help="zero-phase low-pass smoothing (only above 2x the cutoff rate)")
    smoothing = p.add_mutually_exclusive_group()
    smoothing.add_argument("--landmark-smoothing", dest="landmark_smoothing", action="store_true", default=None,
                           help="MediaPipe: turn on its own landmark filter (steadier overlay, but it halves "
                                "fast jerks; off by default; [pose] landmark_smoothing in --config)")
    smoothing.add_argument("--no-landmark-smoothing", dest="landmark_smoothing", action="store_false",
                           help="MediaPipe: its landmark filter off (the default)")
    p.add_argument("--workers", type=int, default=0, metavar="K",
                   help="pose processes per video on a cache miss (default: cores - 1, but 1 for onnx, "
                        "whose model uses every core or the GPU; 1 = this process)")
    p.add_argument("--evaluate", action="store_true", help="compare each track with its ground truth (per-joint table)")
    p.add_argument("--truth", metavar="FILE", help="ground-truth track for --evaluate (default: the video's "
                                                     "synthetic sidecar <stem>.keypoints.npz); one video only")
    p.add_argument("--json", metavar="FILE", help="with --evaluate: write the accuracy figures as JSON")


def pose_config_from_args(args: argparse.Namespace):
    """The ``PoseConfig`` named by the packaged defaults, ``--config`` and the command-line options."""
    cfg = config_from_args(args).pose
    model = getattr(args, "pose_model", None)
    backend = args.backend or ("file" if getattr(args, "keypoints", None) else "onnx" if model else cfg.backend)
    if model and backend != "onnx":
        raise SemioscopeError(f"--pose-model is the model of --backend onnx, not of {backend!r}")
    changes = {"backend": backend}
    if model:
        changes["onnx_model"] = str(Path(model).expanduser().resolve())
    if getattr(args, "bed_region", None):
        changes["bed_region"] = args.bed_region
    if getattr(args, "model_complexity", None) is not None:
        changes["model_complexity"] = args.model_complexity
    if getattr(args, "min_confidence", None) is not None:
        changes["min_confidence"] = args.min_confidence
    if getattr(args, "smooth", False):
        changes["smoothing"] = True
    if getattr(args, "landmark_smoothing", None) is not None:
        changes["landmark_smoothing"] = args.landmark_smoothing
    return cfg.replace(**changes)


def describe_track(track) -> str:
    """One line: frames, joints found, and per-joint presence."""

    n = len(track)
    valid = track.valid()
    per_joint = valid.mean(axis=0) if n else np.zeros(len(JOINT_NAMES))
    frames_any = int(valid.any(axis=1).sum())
    joints_mostly = int((per_joint >= 0.5).sum())
    worst = ", ".join(f"{JOINT_NAMES[j]} {per_joint[j]:.0%}" for j in np.argsort(per_joint)[:3])
    return (f"{n} frames, person found in {frames_any} ({frames_any / max(n, 1):.0%}); "
            f"{joints_mostly}/14 joints present in >= 50% of frames; least present: {worst}")


def _estimate_uncached(video: Path, cfg, fps: float, args: argparse.Namespace, progress) -> KeypointTrack:
    """The cleaned track computed afresh (``--no-cache``), by several processes unless told otherwise."""
    workers = _workers(args, cfg)
    if workers > 1 and cfg.backend != "file":
        raw = estimate_track_parallel(video, cfg, fps, workers, progress=progress)
        track = clean_track(raw, cfg)
        track.meta["cleaning"] = cfg.to_dict()
        return track
    return estimate_track(video, cfg, fps=fps, progress=progress, keypoints_path=args.keypoints)


def _workers(args: argparse.Namespace, cfg) -> int:
    """``--workers``, else cores - 1, or 1 for a backend that uses the whole machine itself (onnx)."""
    return args.workers or (1 if one_process_backend(cfg.backend) else default_pose_workers())


def _truth_for(video: Path, truth: str | None) -> KeypointTrack:
    path = Path(truth) if truth else sidecar_path(video)
    if not path.exists():
        raise InputFileError(path, f"no ground truth for {video.name} (--evaluate needs the synthetic sidecar "
                                   "<video stem>.keypoints.npz beside the video, or --truth FILE)")
    return KeypointTrack.load(path)


def run(args: argparse.Namespace) -> int:
    cfg = pose_config_from_args(args)
    fps = args.fps or 6.0
    out = Path(args.out) if args.out else None
    many = len(args.videos) > 1
    if args.truth and many:
        raise SemioscopeError("--truth names one ground-truth file: give one video with it")
    if args.json and not args.evaluate:
        raise SemioscopeError("--json writes the --evaluate figures: add --evaluate")
    failures: list[str] = []
    compared: list[tuple[KeypointTrack, KeypointTrack]] = []
    for video in args.videos:
        video = Path(video)
        try:
            with cli_progress(f"pose {video.name}", unit="frame") as progress:
                if args.no_cache:
                    track = _estimate_uncached(video, cfg, fps, args, progress)
                else:
                    track = cached_track(video, cfg, cache_dir=args.cache_dir, fps=fps, progress=progress,
                                         keypoints_path=args.keypoints, workers=_workers(args, cfg))
            cached = " (from cache)" if track.meta.get("from_cache") else ""
            print(f"{video}: {describe_track(track)}{cached}")
            if args.evaluate:
                truth = _truth_for(video, args.truth)
                quality = evaluate_pose(track, truth, cfg.min_confidence)
                compared.append((track, truth))
                print(quality.table())
            if out is not None:
                target = (out / f"{video.stem}.track.npz") if (many or out.is_dir()) else out
                track.save(target)
                print(f"  wrote {target}")
        except Cancelled:
            raise
        except SemioscopeError as exc:
            print(f"semioscope pose: error: {exc}", file=sys.stderr)
            failures.append(str(video))
    if compared:
        quality = evaluate_pose_many(compared, cfg.min_confidence) if len(compared) > 1 else \
            evaluate_pose(*compared[0], cfg.min_confidence)
        if len(compared) > 1:
            print(f"all {len(compared)} videos:\n{quality.table()}")
        if args.json:
            print(f"wrote {quality.save(args.json)}")
    if failures:
        print(f"semioscope pose: {len(failures)} of {len(args.videos)} video(s) failed: {', '.join(failures)}",
              file=sys.stderr)
        return 1
    return 0

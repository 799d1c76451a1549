"""Pose accuracy per backend and camera placement, against the synthetic ground truth (issue 14).

    .venv/bin/python bench/bench_pose_quality.py [--subjects 2] [--duration 20] [--size 320x240]
        [--placements ceiling,corner,foot] [--blanket 0,1] [--onnx-model FILE] [--json out.json]

A fixed, seeded synthetic set: ``--subjects`` patients, each filmed from every placement (the same
patient, look and motion in each, so the placements are compared pairwise) and under every
``--blanket`` setting (0: legs bare, 1: under a blanket whose hidden joints are not scored).
Recordings are ``--duration`` s long with a seizure (focal and fbtc alternate, EEG onset at 40%),
no staff, day light (``--night-fraction`` to change). Each available backend — ``mediapipe``,
and ``onnx`` when ``--onnx-model`` is given and that backend is installed — runs over every video
at 6 fps (``estimate_track``: the product's sampling and cleaning), and
``inference.pose.quality.evaluate_pose_many`` pools each backend x placement x blanket cell:
detection rate, PCK@0.1 / PCK@0.2 of the torso length, jitter, and how well the estimate follows
the true motion (``motion_corr``, ``motion_gain``: the jerks a seizure detector reads), overall
and per joint. ``mediapipe, landmark filter on`` is MediaPipe with its own filter on (off by default). Only
joints the ground truth marks visible are scored; ``visible`` is their share of all joints.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inference.core.config import PoseConfig  # noqa: E402
from inference.core.errors import SemioscopeError  # noqa: E402
from inference.pose.estimate import estimate_track  # noqa: E402
from inference.pose.joints import JOINT_NAMES  # noqa: E402
from inference.pose.keypoint_files import sidecar_path  # noqa: E402
from inference.pose.keypoints import KeypointTrack  # noqa: E402
from inference.pose.quality import evaluate_pose_many, format_stat  # noqa: E402
from inference.pose.registry import get_backend  # noqa: E402
from inference.synth import SynthConfig, generate_recording  # noqa: E402
from inference.synth.seeds import _derive  # noqa: E402

FPS = 6.0
KEYS = ("detection_rate", "pck@0.1", "pck@0.2", "jitter", "motion_corr", "motion_gain")


def make_set(out: Path, placements: list[str], blankets: list[float], subjects: int, duration: float,
             size: tuple[int, int], seed: int, night_fraction: float) -> dict[tuple[str, float], list[Path]]:
    """Render the set; returns the videos of each (placement, blanket) cell."""
    cells: dict[tuple[str, float], list[Path]] = {}
    for placement in placements:
        for blanket in blankets:
            cfg = SynthConfig(size=size, camera=placement, blanket=blanket, staff_probability=0.0,
                              night_fraction=night_fraction)
            videos = []
            for i in range(subjects):
                path = out / f"{placement}_b{blanket:g}" / f"sub{i + 1:02d}.mp4"
                path.parent.mkdir(parents=True, exist_ok=True)
                generate_recording(path, f"sub{i + 1:02d}", path.stem, _derive(seed, i, 1), cfg,
                                   "focal" if i % 2 == 0 else "fbtc", duration_s=duration,
                                   eeg_onset_s=0.4 * duration, subject_seed=_derive(seed, i, 2))
                videos.append(path)
            cells[(placement, blanket)] = videos
    return cells


def backends(onnx_model: str | None) -> list[tuple[str, PoseConfig]]:
    """The backends to run, each checked by starting it once; a missing one is skipped with a note."""
    wanted = [("mediapipe", lambda: PoseConfig(backend="mediapipe")),
              # MediaPipe with its own landmark filter on (off by default): what does it cost the jerks?
              ("mediapipe, landmark filter on", lambda: PoseConfig(backend="mediapipe", landmark_smoothing=True))]
    if onnx_model:
        wanted.append(("onnx", lambda: PoseConfig(backend="onnx", onnx_model=str(onnx_model))))
    else:
        print("onnx: skipped (no --onnx-model FILE)")
    ready = []
    for name, make in wanted:
        try:
            cfg = make()
            backend = get_backend(cfg.backend, cfg)
            backend.start((64, 64))
            backend.close()
        except (TypeError, ImportError, OSError, SemioscopeError, ValueError, RuntimeError) as exc:
            print(f"{name}: skipped ({type(exc).__name__}: {exc})")
            continue
        ready.append((name, cfg))
    return ready


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--subjects", type=int, default=2, help="patients per placement (default 2)")
    ap.add_argument("--duration", type=float, default=20.0, help="seconds per recording (default 20)")
    ap.add_argument("--size", default="320x240", help="frame size (default 320x240)")
    ap.add_argument("--placements", default="ceiling,corner,foot")
    ap.add_argument("--blanket", default="0,1", help="blanket probabilities, comma-separated (default 0,1)")
    ap.add_argument("--night-fraction", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--onnx-model", metavar="FILE", help="also run PoseConfig(backend='onnx', onnx_model=FILE)")
    ap.add_argument("--keep", metavar="DIR", help="write the synthetic set here (default: a temporary folder)")
    ap.add_argument("--json", metavar="FILE", help="write every figure (overall and per joint) as JSON")
    args = ap.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    placements = [p.strip() for p in args.placements.split(",") if p.strip()]
    blankets = [float(b) for b in args.blanket.split(",")]
    tmp = None if args.keep else tempfile.TemporaryDirectory(prefix="bench_pose_quality_")
    out = Path(args.keep or tmp.name)
    t0 = time.perf_counter()
    cells = make_set(out, placements, blankets, args.subjects, args.duration, (w, h), args.seed, args.night_fraction)
    print(f"synthetic set: {args.subjects} subjects x {len(placements)} placements x blanket {blankets}, "
          f"{args.duration:g} s at {w}x{h} (seed {args.seed}), made in {time.perf_counter() - t0:.0f} s")
    results: dict[str, dict] = {}
    rows = []
    for name, cfg in backends(args.onnx_model):
        t1 = time.perf_counter()
        frames = 0
        for (placement, blanket), videos in cells.items():
            pairs = []
            for v in videos:
                est = estimate_track(v, cfg, fps=FPS)
                pairs.append((est, KeypointTrack.load(sidecar_path(v))))
                frames += len(est)
            q = evaluate_pose_many(pairs, cfg.min_confidence)
            visible = q.overall["visible_samples"] / max(1, q.frames * len(JOINT_NAMES))
            results[f"{name}/{placement}/blanket={blanket:g}"] = {**q.to_dict(), "visible_fraction": visible}
            rows.append((name, placement, f"{blanket:g}", q.frames, visible, *(q.overall.get(k) for k in KEYS)))
        print(f"{name}: {frames} frames in {time.perf_counter() - t1:.0f} s")
    if not rows:
        print("no pose backend available")
        return 1
    head = ("backend", "placement", "blanket", "frames", "visible", "detected", "PCK@0.1", "PCK@0.2", "jitter",
            "motion corr", "motion gain")
    print()
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print("| " + " | ".join([r[0], r[1], r[2], str(r[3])] + [format_stat(v) for v in r[4:]]) + " |")
    # Per joint: PCK@0.2 in each cell (the overall figures above pool these).
    for name in dict.fromkeys(r[0] for r in rows):
        keys = [k for k in results if k.startswith(name + "/")]
        print(f"\n{name}: PCK@0.2 (motion_corr) per joint")
        print("| joint | " + " | ".join(k.split("/", 1)[1] for k in keys) + " |")
        print("|---|" + "---|" * len(keys))
        for j in JOINT_NAMES:
            print(f"| {j} | " + " | ".join(f'{format_stat(results[k]["per_joint"][j].get("pck@0.2"))} '
                                         f'({format_stat(results[k]["per_joint"][j].get("motion_corr"))})'
                                         for k in keys) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "results": results}, indent=2) + "\n")
        print(f"\nJSON: {args.json}")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())

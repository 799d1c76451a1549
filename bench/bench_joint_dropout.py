"""What joint-dropout augmentation does (issue 14): the same recipe trained with and without
``--joint-dropout``, each evaluated on its held-out subjects as they are and with the lower body
hidden from pose (hips, knees and ankles missing in every frame, as under a blanket that the pose
model cannot see through).

    python bench/bench_joint_dropout.py --data /tmp/semioscope-bench/pose-e2e/seed4141/data \\
        --base-run /tmp/semioscope-bench/pose-e2e/seed4141/run-gt        # reuse a dropout-0 run
    python bench/bench_joint_dropout.py --data DATA --dropout 0.3        # train both

The hidden-body set is a copy of the test recordings (videos linked, not copied) whose
ground-truth keypoint files mark the hidden joints missing (conf 0), with a manifest beside
them; ``evaluate --manifest`` scores each run on it. Eight joints stay visible, above the
default pose gate of 7, so the windows are scored, not gated: the question is whether the scores
stay calibrated. Runs are evaluated on copies of their folders, so their own evaluation.json
stays as it was.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_replication import cli  # noqa: E402
from inference.dataset.manifest import Manifest, load_manifest, save_manifest  # noqa: E402
from inference.pose.joints import JOINT_INDEX  # noqa: E402
from inference.pose.keypoint_files import sidecar_path  # noqa: E402
from inference.pose.keypoints import KeypointTrack  # noqa: E402

HIDDEN = ("right_hip", "left_hip", "right_knee", "left_knee", "right_ankle", "left_ankle")


def hidden_body_set(manifest: Manifest, subjects: list[str], out: Path) -> Path:
    """Copy the subjects' recordings with HIDDEN joints missing; returns the new manifest's path."""
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    cols = [JOINT_INDEX[j] for j in HIDDEN]
    for rec in manifest:
        if rec.subject_id not in subjects:
            continue
        video = out / rec.subject_id / Path(rec.video).name
        video.parent.mkdir(parents=True, exist_ok=True)
        if not video.exists():
            os.symlink(Path(rec.video).resolve(), video)
        track = KeypointTrack.load(sidecar_path(rec.video))
        conf = track.conf.copy()
        conf[:, cols] = 0.0
        dataclasses.replace(track, conf=conf, source=track.source + "+lower-body-hidden").save(sidecar_path(video))
        rows.append(dataclasses.replace(rec, video=video))
    path = out / "manifest.csv"
    save_manifest(Manifest(rows), path)
    return path


def evaluate_copy(run: Path, name: str, manifest: Path, base: Path) -> dict:
    """``evaluate`` on a copy of ``run`` (its own evaluation stays), against ``manifest``."""
    dst = base / f"eval-{name}"
    if not (dst / "evaluation.json").exists():
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(run, dst, ignore=shutil.ignore_patterns("evaluation*", "*.png", "checkpoints"))
        cli("evaluate", str(dst), "--manifest", str(manifest), "--device", "cpu", "--cache-dir",
            str(base / "cache"), log=base / "log.txt")
    ev = json.loads((dst / "evaluation.json").read_text())
    e = ev["events"]
    return {"auroc": ev["segment"].get("auroc"), "auprc": ev["segment"].get("auprc"),
            "detected": e["detected"], "seizures": e["seizures"], "false_alarms_per_hour": e["false_alarms_per_hour"],
            "flagged_fraction": e["interictal_alarm_fraction"], "latency_clinical_median_s": e["latency_clinical_s"]["median"],
            "windows_gated": ev["counts"].get("dropped")}


def _f(v, d=3) -> str:
    return "n/a" if v is None or v != v else f"{v:.{d}f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    e2e = Path(os.environ.get("SEMIOSCOPE_BENCH_DIR", "/tmp/semioscope-bench")) / "pose-e2e" / "seed4141"
    ap.add_argument("--data", default=str(e2e / "data"),
                    help="a synthetic data folder with manifest.csv (default: bench_pose_endtoend's; generated "
                         "with its settings when missing)")
    ap.add_argument("--base-run", help="an existing run trained without dropout on --data (default: "
                                       "bench_pose_endtoend's ground-truth run when it exists; else trained here)")
    ap.add_argument("--dropout", type=float, default=0.3)
    ap.add_argument("--test-subjects", type=int, default=4)
    ap.add_argument("--epochs", type=int, default=0)
    ap.add_argument("--out", default=os.environ.get("SEMIOSCOPE_BENCH_DIR", "/tmp/semioscope-bench") + "/joint-dropout")
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    data, base = Path(args.data), Path(args.out)
    base.mkdir(parents=True, exist_ok=True)
    if args.base_run is None and data == e2e / "data" and (e2e / "run-gt" / "run.json").exists():
        args.base_run = str(e2e / "run-gt")
    if not (data / "manifest.csv").exists():  # bench_pose_endtoend's set: 12 subjects x 2 x 5-7 min, ceiling
        t = cli("synth", str(data), "--subjects", "12", "--seed", "4141", "--size", "320x240", "--duration", "300:420",
                "--recordings", "2:2", "--camera", "ceiling", log=base / "log.txt")
        print(f"synth: {t:.0f} s", flush=True)
    manifest = load_manifest(data / "manifest.csv")
    runs = {}
    for p in ([0.0] if not args.base_run else []) + [args.dropout]:
        run = base / f"run-dropout{p:g}"
        if not (run / "run.json").exists():
            extra = ["--epochs", str(args.epochs)] if args.epochs else []
            t = cli("train", "--manifest", str(data / "manifest.csv"), "--preset", "tiny", "--mode", "full",
                    "--out", str(run), "--keypoints", "gt", "--test-subjects", str(args.test_subjects),
                    "--device", "cpu", "--cache-dir", str(base / "cache"), "--interictal-per-ictal", "3",
                    "--val-interictal-per-ictal", "3", "--no-eval", "--joint-dropout", str(p), *extra,
                    log=base / "log.txt")
            print(f"trained dropout {p:g} in {t:.0f} s", flush=True)
        runs[p] = run
    if args.base_run:
        runs = {0.0: Path(args.base_run), **runs}
    splits = {p: json.loads((r / "run.json").read_text())["split"]["test"] for p, r in runs.items()}
    test = sorted(splits[0.0])
    if any(sorted(s) != test for s in splits.values()):
        raise SystemExit(f"the runs hold out different subjects: {splits}")
    hidden = hidden_body_set(manifest, test, base / "lower-body-hidden")
    rows = []
    for p, run in runs.items():
        for name, man in (("as recorded", data / "manifest.csv"), ("lower body hidden", hidden)):
            t0 = time.perf_counter()
            r = {"dropout": p, "test_set": name,
                 **evaluate_copy(run, f"dropout{p:g}-{name.split()[0]}", man, base)}
            rows.append(r)
            print(f"dropout {p:g}, {name}: AUROC {_f(r['auroc'])}, {r['detected']}/{r['seizures']} seizures, "
                  f"{_f(r['false_alarms_per_hour'], 2)} FA/h, {_f(100 * r['flagged_fraction'], 2)}% flagged, "
                  f"clinical latency {_f(r['latency_clinical_median_s'], 1)} s, {r['windows_gated']} windows without a value "
                  f"({time.perf_counter() - t0:.0f} s)",
                  flush=True)
    print("\n| joint dropout | test set | AUROC | AUPRC | seizures | FA/h | flagged | clinical latency |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['dropout']:g} | {r['test_set']} | {_f(r['auroc'])} | {_f(r['auprc'])} | "
              f"{r['detected']}/{r['seizures']} | {_f(r['false_alarms_per_hour'], 2)} | "
              f"{_f(100 * r['flagged_fraction'], 2)}% | {_f(r['latency_clinical_median_s'], 1)} s |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())

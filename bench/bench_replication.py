"""Replicate the detector's acceptance recipe on fresh seeds (issue 21).

For each seed: generate 12 new synthetic subjects (long recordings, the README's sizes), train
the README's recipe unchanged, evaluate on the held-out subjects, and collect the event-level
figures. Prints one row per seed and mean ± sd over seeds against the targets:
sensitivity >= 90%, <= 2 false alarms per hour, <= 5% of the interictal time under alarm,
median latency from clinical onset <= 10 s. Alarms that begin more than 30 s before EEG onset
count as false alarms (``scoring.score_recording``) and are also reported on their own.

The commands are the README's, run through the installed CLI, so this measures what a user gets:

    python bench/bench_replication.py --seeds 7001,7002,7003          # about 40 min per seed on 2 cores
    python bench/bench_replication.py --seeds 9 --subjects 6 --duration 120:180 --epochs 3   # a quick look

Each seed's cache is deleted after its evaluation (about 5 GB per seed) unless --keep-cache.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

TARGETS = {"sensitivity": (">=", 0.90), "false_alarms_per_hour": ("<=", 2.0),
           "flagged_fraction": ("<=", 0.05), "latency_clinical_median_s": ("<=", 10.0)}


def cli(*args: str, log: Path | None) -> float:
    """Run one `semioscope` command; its output goes to ``log``, or to this terminal (progress
    bars included) when ``log`` is None. Returns the wall time."""
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "app", *args]
    if log is None:
        print("$ semioscope " + " ".join(args), flush=True)
        rc = subprocess.call(cmd)
    else:
        with open(log, "a") as fh:
            fh.write("$ semioscope " + " ".join(args) + "\n")
            fh.flush()
            rc = subprocess.call(cmd, stdout=fh, stderr=subprocess.STDOUT)
    if rc != 0:
        raise SystemExit(f"semioscope {args[0]} failed (exit {rc})" + (f"; see {log}" if log else ""))
    return time.perf_counter() - t0


def run_seed(seed: int, root: Path, args) -> dict:
    base = root / f"seed{seed}"
    data, run, cache = base / "data", base / "run", base / "cache"
    base.mkdir(parents=True, exist_ok=True)
    log = base / "log.txt"
    times = {}
    if not (data / "manifest.csv").exists():
        times["synth_s"] = cli("synth", str(data), "--subjects", str(args.subjects), "--seed", str(seed),
                               "--size", args.size, "--duration", args.duration, "--recordings", args.recordings,
                               log=log)
    if not (run / "run.json").exists():
        extra = ["--epochs", str(args.epochs)] if args.epochs else []
        times["train_s"] = cli("train", "--manifest", str(data / "manifest.csv"), "--preset", "tiny", "--mode", "full",
                               "--out", str(run), "--keypoints", "gt", "--test-subjects", str(args.test_subjects),
                               "--device", "cpu", "--cache-dir", str(cache), "--interictal-per-ictal", "3",
                               "--val-interictal-per-ictal", "3", "--no-eval", *extra, log=log)
    if not (run / "evaluation.json").exists():
        times["evaluate_s"] = cli("evaluate", str(run), "--device", "cpu", "--cache-dir", str(cache), log=log)
    if not args.keep_cache:
        shutil.rmtree(cache, ignore_errors=True)
    ev = json.loads((run / "evaluation.json").read_text())
    e = ev["events"]
    row = {"seed": seed, "seizures": e["seizures"], "detected": e["detected"], "sensitivity": e["sensitivity"],
           "false_alarms": e["false_alarms"], "interictal_hours": e["interictal_hours"],
           "false_alarms_per_hour": e["false_alarms_per_hour"], "flagged_fraction": e["interictal_alarm_fraction"],
           "latency_eeg_median_s": e["latency_eeg_s"]["median"],
           "latency_clinical_median_s": e["latency_clinical_s"]["median"],
           "early_alarms": e.get("early_alarms", 0), "auroc": ev["segment"].get("auroc"),
           "degenerate": bool(ev.get("operating_point", {}).get("degenerate")), **times}
    (base / "row.json").write_text(json.dumps(row, indent=2, default=float))
    return row


def _f(v, digits: int = 2) -> str:
    return "n/a" if v is None or not np.isfinite(v) else f"{v:.{digits}f}"


def mean_sd(rows: list[dict], key: str) -> tuple[float, float]:
    v = np.asarray([r[key] for r in rows if r.get(key) is not None], dtype=np.float64)
    v = v[np.isfinite(v)]
    if not len(v):
        return float("nan"), float("nan")
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="7001,7002,7003", help="comma-separated; seeds never used in development")
    ap.add_argument("--subjects", type=int, default=12)
    ap.add_argument("--test-subjects", type=int, default=4)
    ap.add_argument("--size", default="320x240")
    ap.add_argument("--duration", default="600:900")
    ap.add_argument("--recordings", default="2:3")
    ap.add_argument("--epochs", type=int, default=0, help="0: the preset's default")
    ap.add_argument("--data", default=os.environ.get("SEMIOSCOPE_BENCH_DIR", "/tmp/semioscope-bench") + "/replication")
    ap.add_argument("--keep-cache", action="store_true")
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    root = Path(args.data)
    rows = []
    for seed in (int(s) for s in args.seeds.split(",")):
        t0 = time.perf_counter()
        r = run_seed(seed, root, args)
        rows.append(r)
        print(f"seed {seed}: {_f(r['false_alarms_per_hour'])} FA/h ({r['early_alarms']} early), "
              f"{_f(r['flagged_fraction'] and 100 * r['flagged_fraction'], 1)}% flagged; "
              f"{r['detected']}/{r['seizures']} seizures; median latency EEG {_f(r['latency_eeg_median_s'], 1)} s, "
              f"clinical {_f(r['latency_clinical_median_s'], 1)} s; "
              f"AUROC {_f(r['auroc'], 3)}{'; DEGENERATE' if r['degenerate'] else ''} "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
    summary = {k: mean_sd(rows, k) for k in ("sensitivity", "false_alarms_per_hour", "flagged_fraction",
                                            "latency_eeg_median_s", "latency_clinical_median_s", "early_alarms",
                                            "auroc")}
    print(f"\nover {len(rows)} seeds (mean ± sd):")
    for k, (m, sd) in summary.items():
        verdict = ""
        if k in TARGETS:
            op, lim = TARGETS[k]
            ok = m >= lim if op == ">=" else m <= lim
            verdict = f"   target {op} {lim}: {'met' if ok else 'NOT met'}"
        print(f"  {k:28s} {m:8.3f} ± {sd:.3f}{verdict}")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "mean_sd": summary}, indent=2, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How the model that `make demo` trains does on subjects it has never seen (issue 21).

Generates new synthetic subjects with a seed the demo never uses (default 101; the demo uses 3
for training and 7 for its recording), long recordings of the demo's own kind, analyses each
whole with the demo model (ground-truth keypoints, the review stride, the run's event rules,
exactly as `semioscope analyze`), and scores them by the same SzCORE rules as `evaluate`:

- seizure sensitivity, false alarms per hour of interictal video, latency from EEG and clinical
  onset, and the flagged fraction (interictal time under alarm);
- alarms that begin more than 30 s before EEG onset are also counted separately ("early").

Targets (issue 21): <= 2 false alarms per hour and <= 5% of the time flagged, at >= 90% sensitivity.

    python bench/bench_demo_model.py                         # 6 subjects, 10-15 min recordings
    python bench/bench_demo_model.py --subjects 2 --duration 120:180   # a quick look
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.commands.demo import DATASET, demo_dir, prepare  # noqa: E402
from inference.analysis.engine import AnalysisEngine  # noqa: E402
from inference.analysis.settings import EngineConfig  # noqa: E402
from inference.core.progress import cli_progress  # noqa: E402
from inference.dataset.manifest import load_manifest  # noqa: E402
from inference.detector.checkpoint import load_run  # noqa: E402
from inference.synth.generator import SynthConfig, generate_dataset  # noqa: E402
from inference.training.scoring import RecordingTrace, score_recording, summarise_events  # noqa: E402

EARLY_S = 30.0  # scoring.TOL_BEFORE_S: an alarm starting earlier is a false alarm, reported as early


def make_subjects(out: Path, subjects: int, seed: int, duration: tuple[float, float]) -> Path:
    manifest = out / "manifest.csv"
    if not manifest.exists():
        cfg = SynthConfig(size=tuple(DATASET["size"]), duration_s=duration, recordings_per_subject=(2, 2))
        with cli_progress("generate", unit="video-s") as bar:
            generate_dataset(out, subjects, seed, cfg, progress=bar)
    return manifest


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--subjects", type=int, default=6)
    ap.add_argument("--seed", type=int, default=101, help="a seed the demo never uses")
    ap.add_argument("--duration", default="600:900", help="seconds per recording, MIN:MAX")
    ap.add_argument("--data", default=os.environ.get("SEMIOSCOPE_BENCH_DIR", "/tmp/semioscope-bench"))
    ap.add_argument("--demo-dir", default=None, help="the demo folder (default: the demo's own)")
    ap.add_argument("--run", default=None, help="score this run folder instead of the demo model (to try recipes)")
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    lo, hi = (float(x) for x in args.duration.split(":"))
    t0 = time.perf_counter()
    if args.run:
        run = Path(args.run)
    else:
        _, run, _ = prepare(demo_dir(args.demo_dir), device="cpu")  # trains the demo model once if missing
    manifest = load_manifest(make_subjects(Path(args.data) / f"demo-model-seed{args.seed}", args.subjects,
                                           args.seed, (lo, hi)))
    loaded = load_run(run, device="cpu")
    engine = AnalysisEngine(loaded, EngineConfig(keypoints="gt", device="cpu", use_pose_cache=False, resume=False))
    rows, hours = [], 0.0
    with cli_progress("analyse", unit="rec", total=len(manifest.recordings)) as bar:
        for i, rec in enumerate(manifest.recordings):
            res = engine.analyze(rec.video)
            trace = RecordingTrace(rec.recording_id, rec.subject_id, res.window_start_s, res.window_end_s,
                                   res.prob, res.attention, float(res.video.get("meta", {}).get("duration_s", 0.0)))
            rows.append(score_recording(trace, rec.seizures, loaded.segment_config, engine.event_config()))
            hours += trace.duration_s / 3600.0
            bar(i + 1, len(manifest.recordings), rec.recording_id)
    s = summarise_events(rows)
    early = s["early_alarms"]
    out = {"seed": args.seed, "subjects": args.subjects, "recordings": len(rows), "hours": hours,
           "seizures": s["seizures"], "detected": s["detected"], "sensitivity": s["sensitivity"],
           "false_alarms_per_hour": s["false_alarms_per_hour"], "flagged_fraction": s["interictal_alarm_fraction"],
           "latency_eeg_median_s": s["latency_eeg_s"]["median"],
           "latency_clinical_median_s": s["latency_clinical_s"]["median"],
           "early_alarms": early, "wall_s": time.perf_counter() - t0}
    ok = (out["sensitivity"] >= 0.9 and out["false_alarms_per_hour"] <= 2.0 and out["flagged_fraction"] <= 0.05)
    print(f"demo model on {out['recordings']} unseen recordings ({hours:.2f} h, {args.subjects} subjects, seed "
          f"{args.seed}): {out['false_alarms_per_hour']:.2f} false alarms/h, "
          f"{100 * out['flagged_fraction']:.1f}% of interictal time flagged; sensitivity {s['detected']}/"
          f"{s['seizures']} ({out['sensitivity']:.3f}); median latency from EEG onset "
          f"{out['latency_eeg_median_s']:.1f} s, from clinical onset {out['latency_clinical_median_s']:.1f} s; "
          f"{early} alarm(s) began > {EARLY_S:.0f} s before EEG onset")
    print(f"targets (<= 2 FA/h, <= 5% flagged, >= 90% sensitivity): {'MET' if ok else 'NOT MET'}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``semioscope benchmark``: the proposed detector against the paper's baselines (Table 1)."""
from __future__ import annotations

import argparse

from inference.core.device import choose_device
from inference.core.errors import SemioscopeError
from inference.core.progress import cli_log, cli_progress
from inference.dataset.manifest import load_manifest
from inference.dataset.split_plan import plan_split
from inference.training.benchmark import ALL_METHODS, run_benchmark
from inference.training.config import TrainConfig

from ._config_option import add_config_option, config_from_args

NAME = "benchmark"
HELP = "the proposed detector and the paper's baselines on one split, several seeds (Table 1)"
ORDER = 42
DESCRIPTION = """\
Train and evaluate the proposed cross-joint attention detector (cja) and the baselines of the
paper's Table 1 on the same subject-wise split, with the same windows, the same epoch sampling
and the same rule for the threshold and event rules (chosen together on the validation
recordings), over several seeds:

  cja      the proposed detector (exactly `semioscope train` + `evaluate`)
  vsvig    VSViG-light: Gaussian-weighted 32 px joint patches, skeleton graph + temporal convolutions
  frame3d  R(2+1)D on the whole frame, resized (64 px tiny, 112 px paper)
  flow3d   the same network on dense optical flow (OpenCV Farneback) of the whole frame

Writes OUT/benchmark.md and OUT/benchmark.json: the Table 1 layout (Random Chance, One-Class,
each method; accuracy, AUROC, AUPRC, F1, precision, recall as mean ± sd) and the event level
(sensitivity, false alarms per hour, time under alarm). Each (method, seed) result is saved as
soon as it is done (OUT/<method>/seed_<s>/result.json): rerun the same command to resume. The
clip, pose, frame and flow caches are shared with train/evaluate.

--test-manifest M2: also evaluate every model on the same test subjects from another manifest,
e.g. the room-bias experiment: train on `synth --room-bias train`, test on `synth --room-bias
swapped` made with the same seed; the drop from the matched to the swapped rows shows which
methods learned the room instead of the patient.

Presets: tiny (CPU) and paper (the papers' sizes: cja is vivit-b, for a GPU); auto, the default,
takes paper where --device resolves to CUDA and tiny otherwise. A benchmark folder keeps one
preset: resuming it with another is refused.

examples:
  semioscope benchmark data/synth/manifest.csv --out bench/table1 --seeds 5
  semioscope benchmark data/synth/manifest.csv --methods cja,frame3d --seeds 2 --epochs 6 --out bench/quick
  semioscope synth data/rb-train --subjects 12 --seed 4 --room-bias train
  semioscope synth data/rb-swap --subjects 12 --seed 4 --room-bias swapped
  semioscope benchmark data/rb-train/manifest.csv --test-manifest data/rb-swap/manifest.csv --out bench/rooms
"""


def _methods(text: str) -> tuple[str, ...]:
    got = tuple(m.strip() for m in text.split(",") if m.strip())
    bad = [m for m in got if m not in ALL_METHODS]
    if bad or not got:
        raise argparse.ArgumentTypeError(f"unknown method(s) {', '.join(bad) or '(none)'}; "
                                         f"choose from {', '.join(ALL_METHODS)}")
    return got


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("manifest", metavar="MANIFEST", help="recording manifest (.csv or .json)")
    p.add_argument("--out", required=True, metavar="DIR", help="benchmark folder (created; rerun to resume)")
    p.add_argument("--methods", type=_methods, default=ALL_METHODS, metavar="M,M,...",
                   help=f"methods to run (default all: {','.join(ALL_METHODS)})")
    p.add_argument("--seeds", type=int, default=5, metavar="N", help="training seeds per method (default 5)")
    p.add_argument("--seed", type=int, default=0, help="first training seed (default 0)")
    p.add_argument("--preset", default="auto", choices=("auto", "tiny", "paper"),
                   help="model sizes: auto (paper on a GPU, tiny on a CPU; default), tiny or paper")
    p.add_argument("--test-manifest", metavar="M2", help="also evaluate on these recordings of the same test subjects")
    p.add_argument("--keypoints", default="gt", help="keypoints for cja and vsvig: gt, mediapipe, or a folder (gt)")
    p.add_argument("--epochs", type=int, default=15, help="maximum epochs per run (default 15)")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--test-subjects", type=int, default=None, metavar="N", help="held-out test subjects")
    p.add_argument("--val-subjects", type=int, default=None, metavar="N", help="validation subjects")
    p.add_argument("--interictal-per-ictal", type=float, default=3.0, metavar="R",
                   help="interictal windows drawn per ictal one each epoch (default 3)")
    p.add_argument("--val-interictal-per-ictal", type=float, default=3.0, metavar="R",
                   help="interictal windows per ictal one checked after each epoch (default 3)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    p.add_argument("--threads", type=int, default=0, metavar="N", help="torch CPU threads (0: default)")
    p.add_argument("--cache-dir", help="clip/pose/frame cache folder (default: the user cache)")
    add_config_option(p)


def run(args) -> int:
    if args.seeds < 1:
        raise SemioscopeError(f"--seeds must be at least 1 (got {args.seeds})")
    cfg = config_from_args(args)
    split = cfg.split
    if args.test_subjects is not None:
        split = split.replace(n_test_subjects=args.test_subjects)
    manifest = load_manifest(args.manifest)
    test_manifest = load_manifest(args.test_manifest) if args.test_manifest else None
    plan_split(manifest, split, n_val=args.val_subjects, need_test=True)  # fails at once with the remedy
    preset = args.preset
    if preset == "auto":
        preset = "paper" if choose_device(args.device).is_cuda else "tiny"
    tcfg = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, seed=args.seed, keypoints=args.keypoints,
                       device=args.device, threads=args.threads, interictal_per_ictal=args.interictal_per_ictal,
                       val_interictal_per_ictal=args.val_interictal_per_ictal)
    with cli_progress("benchmark", unit="run") as bar:
        summary = run_benchmark(manifest, args.out, args.methods, args.seeds, preset, tcfg, cfg.segments,
                                cfg.clips, split, cfg.events, cfg.pose, args.cache_dir, test_manifest,
                                log=cli_log, progress=bar, n_val=args.val_subjects)
    for method, entry in summary["methods"].items():
        m = entry["matched"]
        print(f"{method:8s} AUROC {m['segment']['auroc']['mean']:.3f} ± {m['segment']['auroc']['sd']:.3f}, "
              f"sensitivity {m['events']['sensitivity']['mean']:.3f}, "
              f"{m['events']['false_alarms_per_hour']['mean']:.2f} FA/h"
              + (f"; swapped rooms AUROC drop {entry['auroc_drop']:+.3f}" if "auroc_drop" in entry else ""))
    print(f"table: {args.out}/benchmark.md, preset {preset} ({summary['wall_s'] / 60:.1f} min)")
    return 0

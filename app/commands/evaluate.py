"""``semioscope evaluate``: segment- and event-level evaluation of a trained run on its test subjects."""
from __future__ import annotations

import argparse
from pathlib import Path

from inference.core.errors import SemioscopeError
from inference.core.progress import cli_log, cli_progress
from inference.training.evaluation import EVAL_MD, evaluate_run, summary_lines
from inference.training.seeds import evaluate_seeds

NAME = "evaluate"
HELP = "evaluate a trained run on its held-out subjects (Table 1 metrics, event sensitivity, false alarms/h)"
ORDER = 41
DESCRIPTION = """\
Evaluate a run folder from `semioscope train` on its held-out test subjects.

Segment level: accuracy, AUROC, AUPRC, F1, precision and recall at the validation threshold,
next to random chance and the one-class (majority) classifier, per subject too, with ROC and PR
curves (roc.png, pr.png). Event level: whole test recordings at a 1 s stride, alarms from the
run's event rules, per-seizure sensitivity, false alarms per hour of interictal video, and
detection latency from EEG and clinical onset (timescoring / SzCORE rules).
--seeds K trains K-1 more runs with seeds seed+1.. (same split) and reports mean ± sd.

Writes RUN/evaluation.md (tables shaped like the paper's Table 1) and RUN/evaluation.json. The
summary (first in evaluation.md, last on screen) leads with false alarms per hour and the share of
interictal time under alarm, then sensitivity and latency; an operating point with more than 10%
of the interictal time under alarm, or below the one-class classifier's accuracy, is called
degenerate before anything else. The run's test subjects must be in the manifest.

examples:
  semioscope evaluate runs/tiny
  semioscope evaluate runs/tiny --manifest other/manifest.csv
  semioscope evaluate runs/tiny --seeds 5
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", metavar="RUN", help="run folder (run.json + model.safetensors)")
    p.add_argument("--manifest", metavar="M", help="manifest (default: the one named in run.json)")
    p.add_argument("--seeds", type=int, default=1, metavar="K", help="mean ± sd over K training seeds (default 1)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    p.add_argument("--event-threshold", type=float, metavar="P",
                   help="event threshold (default: the run's validation threshold)")
    p.add_argument("--min-duration", type=float, metavar="S",
                   help="minimum event duration (default: the run's, chosen on its validation subjects)")
    p.add_argument("--cache-dir", help="clip cache folder (default ~/.cache/semioscope or $SEMIOSCOPE_CACHE_DIR)")


def run(args) -> int:
    if args.seeds < 1:
        raise SemioscopeError(f"--seeds must be at least 1 (got {args.seeds})")

    log = cli_log

    events = {"threshold": args.event_threshold, "min_duration_s": args.min_duration}
    with cli_progress("data", unit="rec", leave=False) as prep:
        if args.seeds > 1:
            result = evaluate_seeds(args.run, args.seeds, args.manifest, args.cache_dir, args.device, prep, log,
                                    events=events)
        else:
            result = evaluate_run(args.run, args.manifest, args.cache_dir, args.device, prep, log, events=events)
    print((Path(args.run) / EVAL_MD).read_text("utf-8"))
    print("\n".join(summary_lines(result)))  # last, where it is read: a degenerate operating point first
    return 0

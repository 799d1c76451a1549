"""``semioscope segments``: validate a manifest and count labelled windows per subject and split."""
from __future__ import annotations

import argparse
import sys

from inference.core.errors import SplitError
from inference.core.progress import cli_progress
from inference.dataset.manifest import load_manifest
from inference.dataset.manifest_checks import require_valid
from inference.dataset.segments import SegmentCount, count_segments, segment_manifest, total_count
from inference.dataset.split_plan import plan_split
from inference.dataset.splits import ROLES, split_subjects, subject_strata

from ._config_option import add_config_option, config_from_args

NAME = "segments"
HELP = "validate a manifest; count interictal/ictal windows per subject and per split"
ORDER = 20
DESCRIPTION = """\
Validate a recording manifest (.csv/.json) and print how many 5 s windows are interictal (they
end at or before EEG onset) and ictal (they start within 40 s after clinical onset), per subject
and per subject-wise split (train / val / test, stratified by seizure type). Other windows are
excluded from training. The split is the one `semioscope train` would use with the same options:
adapted (and said so) when the manifest has too few subjects for it.

Manifest errors (missing video, negative time, time past the end, ...) stop with exit status 2
and a list of every error; warnings (clinical onset before EEG onset, ...) are printed.

examples:
  semioscope segments demo/manifest.csv
  semioscope segments wu-sahzu/manifest.csv --test-subjects 5 --split-seed 3
  semioscope segments manifest.json --window 5 --stride 1 --ictal-span 30
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_config_option(p)
    p.add_argument("manifest", metavar="MANIFEST", help="recording manifest (.csv or .json)")
    p.add_argument("--window", type=float, metavar="S", help="window length in seconds (default 5)")
    p.add_argument("--fps", type=float, help="sampling rate inside a window (default 6)")
    p.add_argument("--stride", type=float, metavar="S", help="window stride in seconds (default: training stride, 5)")
    p.add_argument("--ictal-span", type=float, metavar="S",
                   help="ictal windows start within this many seconds after clinical onset (default 40)")
    p.add_argument("--postictal-guard", type=float, metavar="S",
                   help="windows after a seizure count as interictal only this long after its end "
                        "(default 600; 'inf' = only before the first seizure)")
    p.add_argument("--split-seed", type=int, metavar="N", help="seed of the subject split (default 0)")
    p.add_argument("--test-subjects", type=int, metavar="N", help="held-out test subjects (default 5)")
    p.add_argument("--val-fraction", type=float, metavar="F",
                   help="fraction of training subjects used for validation (default 0.2)")
    p.add_argument("--val-subjects", type=int, metavar="N",
                   help="validation subjects by count (instead of --val-fraction)")


def _configs(args):
    cfg = config_from_args(args)
    seg, split = cfg.segments, cfg.split
    for attr, field in (("window", "window_s"), ("fps", "fps"), ("ictal_span", "ictal_span_s"),
                        ("postictal_guard", "postictal_guard_s")):
        if getattr(args, attr) is not None:
            seg = seg.replace(**{field: getattr(args, attr)})
    for attr, field in (("split_seed", "seed"), ("test_subjects", "n_test_subjects"), ("val_fraction", "val_fraction")):
        if getattr(args, attr) is not None:
            split = split.replace(**{field: getattr(args, attr)})
    return seg, split


def format_tables(manifest, segments, split, seg_cfg, stride_s) -> str:
    """The per-subject and per-split tables, as printed."""

    per_subject = count_segments(segments)
    strata = subject_strata(manifest)
    lines = [f"windows: {seg_cfg.window_s:g} s ({seg_cfg.frames_per_window} frames at {seg_cfg.fps:g} fps), "
             f"stride {stride_s:g} s, ictal span {seg_cfg.ictal_span_s:g} s after clinical onset", ""]
    header = f"{'subject':<14} {'type':<6} {'split':<5} {'interictal':>10} {'ictal':>7} {'total':>7}"
    lines += [header, "-" * len(header)]
    for s in manifest.subjects:
        c = per_subject.get(s, SegmentCount())
        lines.append(f"{s:<14} {strata[s]:<6} {split.role(s) or '-':<5} {c.interictal:>10} {c.ictal:>7} {c.total:>7}")
    lines.append("")
    header = f"{'split':<8} {'subjects':>8} {'interictal':>10} {'ictal':>7} {'total':>7}"
    lines += [header, "-" * len(header)]
    for role in ROLES:
        subjects = getattr(split, role)
        c = total_count(per_subject.get(s, SegmentCount()) for s in subjects)
        lines.append(f"{role:<8} {len(subjects):>8} {c.interictal:>10} {c.ictal:>7} {c.total:>7}")
    t = total_count(per_subject)
    lines.append(f"{'total':<8} {len(manifest.subjects):>8} {t.interictal:>10} {t.ictal:>7} {t.total:>7}")
    return "\n".join(lines)


def run(args) -> int:
    seg_cfg, split_cfg = _configs(args)
    stride = args.stride if args.stride is not None else seg_cfg.train_stride_s
    manifest = load_manifest(args.manifest)
    durations: dict[str, float] = {}
    with cli_progress("checking videos", total=len(manifest), unit="video", leave=False) as progress:
        warnings = require_valid(manifest, check_videos=True, durations=durations, progress=progress)
    for w in warnings:
        print(f"semioscope segments: {w}", file=sys.stderr)
    segments = segment_manifest(manifest, seg_cfg, stride_s=stride, durations=durations)
    try:
        plan = plan_split(manifest, split_cfg, n_val=args.val_subjects, need_test=split_cfg.n_test_subjects > 0)
        split = plan.split
        if plan.note:
            print(f"semioscope segments: {plan.note}", file=sys.stderr)
    except SplitError as exc:  # still count the windows: this command is where one finds out why
        print(f"semioscope segments: warning: {exc}", file=sys.stderr)
        split = split_subjects(manifest, split_cfg, args.val_subjects)
    print(f"{args.manifest}: {len(manifest)} recording(s), {len(manifest.subjects)} subject(s)")
    print(format_tables(manifest, segments, split, seg_cfg, stride))
    return 0

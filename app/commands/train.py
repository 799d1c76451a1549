"""``semioscope train``: train the cross-joint attention detector on a manifest."""
from __future__ import annotations

import argparse
import time

from inference.core.errors import SemioscopeError
from inference.core.progress import cli_log, cli_progress
from inference.dataset.manifest import load_manifest
from inference.dataset.split_plan import plan_split
from inference.training.config import TrainConfig
from inference.training.evaluation import evaluate_run, summary_lines
from inference.training.loop import TrainOutcome, train_run
from inference.training.operating_point import assess_operating_point, summary_line

from ._config_option import add_config_option, config_from_args
from ._pose_option import add_keypoints_options, pose_model_path

NAME = "train"
HELP = "train the cross-joint attention detector (subject-wise split, early stopping, evaluation)"
ORDER = 40
DESCRIPTION = """\
Train the cross-joint attention seizure detector on a recording manifest.

Subjects are split into train / validation / test (no subject in two parts; at least 2 / 1 / 1,
each with seizures: a manifest with too few subjects for --test-subjects gets a smaller test set,
and says so; one too small for any split stops at once with the remedy). Validation subjects
choose the best epoch (early stopping) and the decision threshold; the held-out test subjects are
evaluated at the end (RUN/evaluation.md and .json, roc.png, pr.png). Every epoch saves a
resumable state: rerun with --resume after an interruption. Joint crops are cached on disk per
recording, so reruns and `semioscope evaluate` never decode or crop again.

Presets: tiny (CPU, random init), small, vivit-b (the layout of google/vivit-b-16x2-kinetics400;
give pretrained weights with --encoder LOCAL_FOLDER). Modes: full (everything trains), lora
(adapters on the last two encoder layers), frozen (encoder frozen, its tokens cached).

Event rules: after training, the best model scores the validation recordings whole (1 s stride)
and the threshold, minimum event duration and trace smoothing are chosen there together (highest
seizure sensitivity with at most --max-fa-per-hour false alarms; an alarm that began more than
30 s before EEG onset counts as false); then the pose-coverage gate (min joints). run.json stores
them and evaluate/analyze/review use them. Long interictal recordings: --interictal-per-ictal R keeps epochs short.

examples:
  semioscope train --manifest demo/manifest.csv --preset tiny --mode full --out runs/tiny --keypoints gt
  semioscope train --manifest data/manifest.csv --preset vivit-b --encoder ~/models/vivit-b-16x2-kinetics400 \\
      --mode lora --out runs/vivit-lora --keypoints mediapipe
  semioscope train --manifest demo/manifest.csv --preset tiny --out runs/tiny --resume
"""


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {text!r}") from None


def _ints(text: str) -> tuple[int, ...]:
    try:
        vals = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole numbers separated by commas, got {text!r}") from None
    if not vals or min(vals) < 1:
        raise argparse.ArgumentTypeError(f"smoothing windows must be >= 1, got {text!r}")
    return vals


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_config_option(p)
    p.add_argument("--manifest", required=True, metavar="M", help="recording manifest (.csv or .json)")
    p.add_argument("--out", required=True, metavar="RUN", help="run folder to create (or continue with --resume)")
    p.add_argument("--preset", default="tiny", choices=("tiny", "small", "vivit-b"), help="model size (default tiny)")
    p.add_argument("--mode", default="full", choices=("frozen", "lora", "full"), help="fine-tuning mode (default full)")
    p.add_argument("--encoder", metavar="PATH", default="",
                   help="pretrained ViViT weights: a local folder (a hub id works only when online)")
    p.add_argument("--epochs", type=int, default=15, help="maximum epochs (default 15)")
    p.add_argument("--batch-size", type=int, default=16, help="windows per step (default 16)")
    p.add_argument("--lr", type=float, default=0.0,
                   help="peak learning rate of AdamW (default by preset: tiny 3e-3, small 1e-3, vivit-b 5e-4)")
    p.add_argument("--weight-decay", type=float, default=0.05)
    p.add_argument("--patience", type=int, default=6, help="early stopping patience in epochs (default 6)")
    p.add_argument("--min-epochs", type=int, default=8, help="never stop early before this many epochs (default 8)")
    p.add_argument("--seed", type=int, default=0, help="seed for initialisation, order and augmentation")
    p.add_argument("--split-seed", type=int, default=None, help="seed of the subject split (default: from config)")
    p.add_argument("--test-subjects", type=int, default=None, metavar="N",
                   help="held-out test subjects (default: from config, 5)")
    p.add_argument("--val-fraction", type=float, default=None, help="share of training subjects for validation")
    p.add_argument("--val-subjects", type=int, default=None, metavar="N",
                   help="validation subjects by count (instead of --val-fraction)")
    add_keypoints_options(p, "gt",
                          "keypoints: 'gt' (the generator's <video stem>.keypoints.npz), 'mediapipe' or 'onnx' "
                          "(cached pose; onnx needs --pose-model), or a folder of <video stem>.keypoints.npz "
                          "files (default gt)")
    p.add_argument("--threshold-rule", default="f1", choices=("f1", "youden"),
                   help="threshold chosen on validation by max F1 or Youden's J (default f1)")
    p.add_argument("--balance", default="pos_weight", choices=("pos_weight", "sampler"),
                   help="class imbalance: BCE pos_weight or a balanced sampler (default pos_weight)")
    p.add_argument("--no-augment", action="store_true", help="no left-right flip augmentation (nor joint dropout)")
    p.add_argument("--joint-dropout", type=float, default=0.0, metavar="P",
                   help="augmentation: probability that a training window loses a body part or 1-3 joints, "
                        "for partly visible patients (default 0)")
    p.add_argument("--lora-r", type=int, default=8)
    p.add_argument("--lora-alpha", type=int, default=16)
    p.add_argument("--lora-dropout", type=float, default=0.1)
    p.add_argument("--pooling", default="cls", choices=("cls", "mean"), help="token per joint: CLS or mean of patches")
    p.add_argument("--joint-layers", type=int, default=1, help="cross-joint attention layers (default 1)")
    p.add_argument("--joint-heads", type=int, default=4, help="cross-joint attention heads (default 4)")
    p.add_argument("--position-encoding", default="relative", choices=("relative", "absolute"),
                   help="position features: tracks centred per window plus their mean (default), or the "
                        "paper's raw x/W, y/H")
    p.add_argument("--no-motion-features", action="store_true",
                   help="do not add |frame-to-frame displacement| to the position features")
    g = p.add_argument_group("event rules and long recordings")
    g.add_argument("--event-rules", default="validation", choices=("validation", "fixed"),
                   help="validation (default): after training, score the validation recordings whole and choose "
                        "the minimum event duration and smoothing with the highest sensitivity at <= "
                        "--max-fa-per-hour; fixed: keep the configured rules")
    g.add_argument("--min-duration", type=float, default=None, metavar="S",
                   help="a fixed event minimum duration (implies --event-rules fixed)")
    g.add_argument("--event-min-durations", type=_floats, default=None, metavar="S,S,...",
                   help="minimum durations tried on validation (default 3,6,8,10,12,15,20)")
    g.add_argument("--event-smoothing", type=_ints, default=None, metavar="K,K,...",
                   help="trailing moving averages (windows) tried on validation (default 1,3,5)")
    g.add_argument("--max-fa-per-hour", type=float, default=2.0, metavar="F",
                   help="false alarms per interictal hour allowed on validation (default 2)")
    g.add_argument("--interictal-per-ictal", type=float, default=0.0, metavar="R",
                   help="train each epoch on every ictal window plus a fresh draw of R interictal windows per "
                        "ictal one (default 0: every window every epoch)")
    g.add_argument("--val-interictal-per-ictal", type=float, default=0.0, metavar="R",
                   help="check each epoch on every ictal validation window plus one fixed draw of R interictal "
                        "windows per ictal one; the threshold is still chosen on all (default 0: all)")
    p.add_argument("--device", default="auto", help="auto (CUDA with bf16 if present), cpu, cuda, cuda:N")
    p.add_argument("--threads", type=int, default=0, metavar="N",
                   help="CPU threads for torch (default: torch's choice; 1 is faster on a crowded machine)")
    p.add_argument("--cache-dir", help="clip/token cache folder (default ~/.cache/semioscope or $SEMIOSCOPE_CACHE_DIR)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")
    p.add_argument("--no-eval", action="store_true", help="skip the held-out evaluation at the end")


def run(args) -> int:
    cfg = config_from_args(args)
    split = cfg.split
    if args.split_seed is not None:
        split = split.replace(seed=args.split_seed)
    if args.test_subjects is not None:
        split = split.replace(n_test_subjects=args.test_subjects)
    if args.val_fraction is not None:
        split = split.replace(val_fraction=args.val_fraction)
    events = cfg.events if args.min_duration is None else cfg.events.replace(min_duration_s=args.min_duration)
    pose_model = pose_model_path(args, args.keypoints)
    if pose_model:  # stored in run.json's pose config, so evaluate poses with the same model
        cfg = cfg.replace(pose=cfg.pose.replace(onnx_model=pose_model))
    tcfg = TrainConfig(preset=args.preset, mode=args.mode, encoder=args.encoder or "", epochs=args.epochs,
                       batch_size=args.batch_size, lr=args.lr, weight_decay=args.weight_decay, seed=args.seed,
                       patience=args.patience, min_epochs=args.min_epochs, threshold_rule=args.threshold_rule,
                       balance=args.balance,
                       augment=not args.no_augment, joint_dropout=args.joint_dropout, keypoints=args.keypoints, device=args.device, threads=args.threads,
                       lora_r=args.lora_r, lora_alpha=args.lora_alpha, lora_dropout=args.lora_dropout,
                       pooling=args.pooling, joint_layers=args.joint_layers, joint_heads=args.joint_heads,
                       position_encoding=args.position_encoding, motion_features=not args.no_motion_features,
                       interictal_per_ictal=args.interictal_per_ictal,
                       val_interictal_per_ictal=args.val_interictal_per_ictal,
                       event_rules="fixed" if args.min_duration is not None else args.event_rules,
                       max_false_alarms_per_hour=args.max_fa_per_hour,
                       **({"event_min_durations": args.event_min_durations} if args.event_min_durations else {}),
                       **({"event_smoothing": args.event_smoothing} if args.event_smoothing else {}))
    if split.n_test_subjects == 0 and not args.no_eval:
        raise SemioscopeError("--test-subjects 0 leaves nobody to evaluate on: add --no-eval, or hold out subjects")
    t0 = time.perf_counter()
    manifest = load_manifest(args.manifest)
    # Before any video is decoded: a split that fits, said so when adapted, or the remedy.
    # --no-eval: held-out subjects are kept where the manifest allows, not required.
    plan = plan_split(manifest, split, n_val=args.val_subjects,
                      need_test=split.n_test_subjects > 0 and not args.no_eval)

    log = cli_log

    with cli_progress("data", unit="rec", position=0, leave=False) as prep, \
            cli_progress("train", unit="step", position=1) as bar:
        out = train_run(manifest, args.out, tcfg, cfg.segments, cfg.clips, split, events, cfg.pose,
                        cache_dir=args.cache_dir, resume=args.resume, progress=bar, prep_progress=prep, log=log,
                        split=plan)
    result = None
    if not args.no_eval:  # training and evaluation are separate steps; the command runs both
        with cli_progress("evaluate", unit="rec") as prep:
            result = evaluate_run(out.run_dir, manifest, cache_dir=args.cache_dir, device=tcfg.device,
                                  progress=prep, log=log)
    total = time.perf_counter() - t0
    sp = out.split
    print(f"run {out.run_dir}: best epoch {out.best_epoch} of {out.epochs_run}, threshold {out.threshold:.3f}, "
          f"val AUROC {out.val_metrics.get('auroc', float('nan')):.3f}; data {out.prep_seconds:.0f} s, "
          f"training {out.train_seconds:.0f} s, total {total:.0f} s; event rules: min duration "
          f"{out.events.get('min_duration_s', 0):g} s, smoothing {out.events.get('smooth_windows', 1)} windows; "
          f"subjects: {len(sp.get('train', []))} train, {len(sp.get('val', []))} validation, "
          f"{len(sp.get('test', []))} test{' (split adapted, see above)' if sp.get('adapted') else ''}")
    print("\n".join(summary_lines(result) if result is not None else _validation_summary(out)))
    return 0


def _validation_summary(out: TrainOutcome) -> list[str]:
    """Without the held-out evaluation: the run's caveats, then the chosen event rule's figures on
    validation (where it was chosen, so optimistic)."""
    lines = [f"warning: {w}" for w in out.warnings]
    row = out.validation_events
    if row is None:
        return lines + ["no event-level figures: --no-eval with fixed event rules"]
    events = {"false_alarms_per_hour": row["false_alarms_per_hour"], "interictal_hours": row["interictal_hours"],
              "interictal_alarm_fraction": row.get("interictal_alarm_fraction"), "sensitivity": row["sensitivity"],
              "detected": row["detected"], "seizures": row["seizures"],
              "latency_eeg_s": {"mean": row.get("latency_eeg_mean_s")},
              "latency_clinical_s": {"mean": row.get("latency_clinical_mean_s")}}
    op = assess_operating_point(events, {})
    return ([op["message"]] if op["degenerate"] else []) + lines + [
        summary_line(events, "validation (where the event rules were chosen; no held-out evaluation)")]

"""Training the cross-joint detector on a manifest: subject-wise split, early stopping and
threshold choice on validation subjects, resumable epochs. The held-out test subjects are a
separate step (``evaluation.evaluate_run``; ``semioscope train`` runs both).

Phases of ``train_run``:

0. Plan the subject split (``dataset.split_plan``): adapted, and said so, when the manifest has
   too few subjects for the one asked for; an error with the remedy, in seconds, when no split fits.
1. Set up or resume (``train_state``): an existing run is never trained over without ``resume``;
   a resumed run keeps its settings (all but ``config.RESUMABLE_CHANGES``) and its manifest.
2. Build the detector (preset, optional pretrained encoder), apply the fine-tuning mode and log
   the parameter counts.
3. Data (``prepared``): check the manifest, split subjects (train / val / test), cut 5 s windows
   at the training stride with the foundation's label rules, and decode + crop every training and
   validation recording once into the on-disk clip cache. ``frozen`` caches the encoder's tokens
   (``detector.token_cache``) and trains only the cross-joint attention and head on them.
4. Optimiser: AdamW, linear warm-up then cosine decay (per step), gradient clipping, class
   imbalance via ``pos_weight = n_interictal / n_ictal`` (or a balanced sampler). A resumed run
   restores model, optimiser, scheduler and the epoch record here.
5. Epochs with early stopping: each epoch trains on the windows ``sampling.epoch_order`` gives
   (long interictal recordings: every ictal window plus a fresh draw of interictal ones) with
   left-right flip augmentation, then checks validation (``validation.check_epoch``: AUROC, loss,
   the threshold maximising F1 or Youden's J; ``val_interictal_per_ictal`` checks one fixed draw;
   too few validation subjects or ictal windows for that choice is a warning kept in run.json).
   The best epoch (AUROC, then loss) is saved as the run's model with its threshold; the training
   state is saved after every epoch so ``resume`` continues. Training stops after ``patience``
   epochs without improvement (never before ``min_epochs``).
6. Final threshold: when validation was subsampled, it is re-chosen on every validation window
   with the best model.
7. Event rules (``event_rules="validation"``): the best model scores the validation recordings
   whole at the review stride and ``scoring.choose_event_rules`` picks the minimum duration and
   smoothing (highest sensitivity with <= 2 false alarms/h); the choice and the whole grid go to
   run.json (``training.event_rule_choice``) and the log.
8. run.json gets the final bookkeeping, threshold and event rules (the best epoch's weights stay
   as saved).
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from inference.core.atomic import atomic_write_json
from inference.core.cache import cache_root
from inference.core.config import ClipConfig, EventConfig, PoseConfig, SegmentConfig, SplitConfig
from inference.core.device import DeviceChoice, choose_device, torch_threads
from inference.core.errors import SemioscopeError
from inference.core.progress import CancelToken, ProgressFn, check_cancel, no_progress
from inference.core.run_folder import RUN_JSON
from inference.dataset.manifest import Manifest
from inference.dataset.split_plan import SplitPlan, plan_split
from inference.dataset.splits import SubjectSplit
from inference.detector.checkpoint import LoadedDetector, load_run, make_run_config, save_run
from inference.detector.finetune_modes import apply_mode, describe_counts
from inference.detector.model import build_detector, preset_config
from inference.detector.token_cache import cached_tokens, encoder_fingerprint
from inference.training.config import TrainConfig
from inference.training.data import WindowSet
from inference.training.prepared import PreparedData, prepare_data
from inference.training.sampling import epoch_order, epoch_size, validation_check_windows
from inference.training.scoring import forward_windows
from inference.training.train_state import (
    TrainingRecord,
    jsonable,
    read_resume_state,
    restore_training_state,
    save_training_state,
)
from inference.training.validation import (
    check_epoch,
    event_rules_on_validation,
    selection_warnings,
    threshold_on_all_windows,
)


@dataclass
class TrainOutcome:
    run_dir: Path
    best_epoch: int
    epochs_run: int
    threshold: float
    val_metrics: dict[str, float]
    train_seconds: float
    prep_seconds: float
    counts: dict[str, Any]
    stopped_early: bool
    events: dict[str, Any] = field(default_factory=dict)  # the run's event rules (EventConfig as a dict)
    warnings: list[str] = field(default_factory=list)  # what the run's choices rest on (run.json training.warnings)
    split: dict[str, Any] = field(default_factory=dict)  # run.json "split" (with "adapted" when it was)
    validation_events: Optional[dict[str, Any]] = None  # the chosen event rule's figures on validation


def warmup_cosine(total_steps: int, warmup_steps: int) -> Callable[[int], float]:
    """LR multiplier: linear warm-up from ~0 to 1, then cosine decay to 0 at ``total_steps``."""

    def f(step: int) -> float:
        if warmup_steps > 0 and step < warmup_steps:
            return (step + 1) / warmup_steps
        span = max(1, total_steps - warmup_steps)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, (step - warmup_steps) / span)))

    return f


def train_run(manifest: Manifest, run_dir: str | Path, tcfg: TrainConfig = TrainConfig(),
              seg_cfg: SegmentConfig = SegmentConfig(), clip_cfg: ClipConfig = ClipConfig(),
              split_cfg: SplitConfig = SplitConfig(), event_cfg: EventConfig = EventConfig(),
              pose_cfg: PoseConfig = PoseConfig(), cache_dir: Optional[str | Path] = None,
              resume: bool = False, progress: ProgressFn = no_progress,
              prep_progress: ProgressFn = no_progress, log: Callable[[str], None] = print,
              cancel: Optional[CancelToken] = None, split: Optional[SubjectSplit | SplitPlan] = None
              ) -> TrainOutcome:
    """Train one run into ``run_dir`` (phases in the module docstring) and return a summary.
    Evaluation on the test subjects is a separate step (``evaluation.evaluate_run``).

    ``split``: a fixed SubjectSplit (e.g. another seed of a stored run), a ``SplitPlan``, or None to
    plan one from ``split_cfg`` here, first, so a manifest too small to split fails in seconds."""
    run_dir = Path(run_dir)
    if split is None:
        split = plan_split(manifest, split_cfg, need_test=split_cfg.n_test_subjects > 0)
    if isinstance(split, SplitPlan):
        if split.note:
            log(split.note)
        split_cfg, split_record, split = split.config, split.to_dict(), split.split
    else:
        split_record = None
    with torch_threads(tcfg.threads):
        saved_state = read_resume_state(run_dir, tcfg, manifest, resume)
        run_dir.mkdir(parents=True, exist_ok=True)
        run = _TrainingRun(manifest, run_dir, tcfg, seg_cfg, clip_cfg, split_cfg, event_cfg, pose_cfg, log, cancel)
        run.split_record = split_record
        run.build_model()
        run.prepare_windows(Path(cache_dir) if cache_dir else cache_root(), split, prep_progress)
        run.set_up_optimiser()
        record = run.resume_from(saved_state) if saved_state is not None else TrainingRecord()
        run.train_epochs(record, progress, resumed=saved_state is not None)
        run.final_threshold(record)
        events, rule_choice = run.event_rules(record)
        record.threshold = float(events.threshold)  # chosen on validation events when event_threshold="events"
        rc = run.write_final_run_json(record, events, rule_choice)
    chosen = next((r for r in rule_choice.get("grid", []) if r["chosen"]), None)
    return TrainOutcome(run_dir, record.best_epoch + 1, len(record.history), record.threshold, record.best_val,
                        record.train_seconds, run.prep_seconds, run.data.counts, record.stopped_early, rc["events"],
                        list(rc["training"]["warnings"]), rc["split"], chosen)


class _TrainingRun:
    """One run's settings and what its phases build, phase by phase (see the module docstring)."""

    # 2. build_model
    device: DeviceChoice
    model: Any  # CrossJointDetector
    det_cfg: Any  # the built model's DetectorConfig
    # 3. prepare_windows
    data: PreparedData
    prep_seconds: float
    val_check: WindowSet  # the validation windows checked after every epoch
    train_tokens: Optional[np.ndarray]  # frozen mode: the encoder's cached tokens, else None
    val_tokens: Optional[np.ndarray]
    # 4. set_up_optimiser
    params: list[Any]
    optimizer: Any
    scheduler: Any
    pos_weight: Any  # scalar tensor on the device
    steps_per_epoch: int
    total_steps: int

    def __init__(self, manifest: Manifest, run_dir: Path, tcfg: TrainConfig, seg_cfg: SegmentConfig,
                 clip_cfg: ClipConfig, split_cfg: SplitConfig, event_cfg: EventConfig, pose_cfg: PoseConfig,
                 log: Callable[[str], None], cancel: Optional[CancelToken]) -> None:
        self.manifest, self.run_dir, self.tcfg = manifest, run_dir, tcfg
        self.seg_cfg, self.clip_cfg, self.split_cfg = seg_cfg, clip_cfg, split_cfg
        self.event_cfg, self.pose_cfg = event_cfg, pose_cfg
        self.log, self.cancel = log, cancel
        self._best_run: Optional[LoadedDetector] = None
        self.split_record: Optional[dict[str, Any]] = None  # a SplitPlan's record; None: from split_cfg
        self.warnings: list[str] = []  # what the run's choices rest on (run.json training.warnings)

    # -- 2. the model ---------------------------------------------------------------------------

    def build_model(self) -> None:
        import torch  # heavy: only when training

        tcfg = self.tcfg
        torch.manual_seed(tcfg.seed)
        np.random.seed(tcfg.seed % (2 ** 32))
        self.device = choose_device(tcfg.device)
        det_cfg = preset_config(tcfg.preset, pooling=tcfg.pooling, joint_layers=tcfg.joint_layers,
                                joint_heads=tcfg.joint_heads, window_frames=self.seg_cfg.frames_per_window,
                                motion_features=tcfg.motion_features, position_encoding=tcfg.position_encoding)
        self.model = build_detector(det_cfg, tcfg.encoder or None)
        self.det_cfg = self.model.cfg
        apply_mode(self.model, tcfg.mode, tcfg.lora())
        self.model.to(self.device.torch_device())
        self.log(describe_counts(self.model, tcfg.mode) + (" (the cross-joint attention and head always train)"
                                                           if tcfg.mode != "full" else ""))
        self.clip_cfg = self.clip_cfg.replace(input_size=self.det_cfg.image_size)  # crops at the encoder's size

    # -- 3. the windows -------------------------------------------------------------------------

    def prepare_windows(self, cache_dir: Path, split: Optional[SubjectSplit], prep_progress: ProgressFn) -> None:
        tcfg, log = self.tcfg, self.log
        t0 = time.perf_counter()
        data = prepare_data(self.manifest, self.seg_cfg, self.clip_cfg, self.split_cfg, self.pose_cfg,
                            tcfg.keypoints, cache_dir, split=split, roles=("train", "val"), progress=prep_progress,
                            cancel=self.cancel, log=log)
        self.data, self.prep_seconds = data, time.perf_counter() - t0
        c = data.counts
        log(f"subjects: train {data.split.train}, val {data.split.val}, test {data.split.test}")
        log(f"windows: train {c['train']['windows']} ({c['train']['ictal']} ictal), val {c['val']['windows']} "
            f"({c['val']['ictal']} ictal); data ready in {self.prep_seconds:.1f} s")
        if c["train"]["ictal"] == 0 or c["train"]["interictal"] == 0:
            raise SemioscopeError(f"{self.manifest.path or 'manifest'}: training windows need both classes "
                                  f"(ictal {c['train']['ictal']}, interictal {c['train']['interictal']})")
        for w in selection_warnings(len(data.split.val), c["val"]["ictal"]):
            log(f"warning: {w}")
            self.warnings.append(w)
        self.val_check = validation_check_windows(data.val, tcfg.val_interictal_per_ictal, tcfg.seed)
        if self.val_check is not data.val:
            log(f"per-epoch validation on {len(self.val_check)} of {len(data.val)} windows (every ictal one, "
                f"{tcfg.val_interictal_per_ictal:g} interictal per ictal, one fixed draw); the threshold is "
                f"re-chosen on all of them at the end")
        self.train_tokens = self.val_tokens = None
        if tcfg.mode == "frozen":
            enc_fp = encoder_fingerprint(self.model.encoder)
            tok_dir = cache_dir / "tokens"
            self.train_tokens = cached_tokens(self.model, data.train, tok_dir, self.device, tcfg.eval_batch_size,
                                              prep_progress, self.cancel, enc_fp)
            self.val_tokens = cached_tokens(self.model, self.val_check, tok_dir, self.device, tcfg.eval_batch_size,
                                            prep_progress, self.cancel, enc_fp)

    # -- 4. the optimiser -----------------------------------------------------------------------

    def set_up_optimiser(self) -> None:
        import torch  # heavy: only when training

        tcfg = self.tcfg
        labels = self.data.train.labels
        n_pos = int(labels.sum())
        n_epoch = epoch_size(labels, tcfg.interictal_per_ictal)
        n_neg = n_epoch - n_pos  # interictal windows seen per epoch
        if n_epoch < len(labels):
            self.log(f"each epoch: all {n_pos} ictal + {n_neg} of {len(labels) - n_pos} interictal training "
                     f"windows (a fresh draw per epoch, {tcfg.interictal_per_ictal:g} per ictal window)")
        # pos_weight follows the ratio an epoch really sees (the draw's, not the whole set's).
        self.pos_weight = torch.tensor(n_neg / max(n_pos, 1) if tcfg.balance == "pos_weight" else 1.0,
                                       device=self.device.torch_device())
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(self.params, lr=tcfg.peak_lr, weight_decay=tcfg.weight_decay)
        self.steps_per_epoch = max(1, math.ceil(n_epoch / tcfg.batch_size))
        self.total_steps = self.steps_per_epoch * tcfg.epochs
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, warmup_cosine(self.total_steps, int(tcfg.warmup_frac * self.total_steps)))

    def resume_from(self, saved_state: dict[str, Any]) -> TrainingRecord:
        record = restore_training_state(self.run_dir, saved_state, self.model, self.optimizer, self.scheduler)
        self.log(f"resuming after epoch {record.epochs_done} (best epoch {record.best_epoch + 1})")
        return record

    # -- 5. epochs with early stopping ----------------------------------------------------------

    def train_epochs(self, record: TrainingRecord, progress: ProgressFn, resumed: bool) -> None:
        finished = record.stopped_early or record.epochs_done >= self.tcfg.epochs
        if resumed and finished:
            self.log(f"{self.run_dir}: training already finished (best epoch {record.best_epoch + 1}); "
                     f"raise --epochs to continue")
        while not finished:
            finished = self._epoch(record, progress)
        if record.best_epoch < 0:
            raise SemioscopeError(f"{self.run_dir}: no epoch was trained")

    def _epoch(self, record: TrainingRecord, progress: ProgressFn) -> bool:
        """Train and check one epoch, keep the model when it is the best so far, save the training
        state. Returns whether training is finished."""
        tcfg, epoch = self.tcfg, record.epochs_done
        t0 = time.perf_counter()
        losses = self._train_steps(epoch, record.history, progress)
        check = check_epoch(self.model, self.val_check, self.device, tcfg, self.val_tokens, self.cancel)
        improved = check.rank_key > tuple(record.best_key)
        epoch_s = time.perf_counter() - t0
        record.train_seconds += epoch_s
        vm = check.metrics
        row = {"epoch": epoch + 1, "train_loss": float(np.mean(losses)) if losses else float("nan"),
               "val_loss": check.loss, "val_auroc": vm["auroc"], "val_auprc": vm["auprc"], "val_f1": vm["f1"],
               "threshold": check.threshold, "lr": float(self.scheduler.get_last_lr()[0]),
               "seconds": round(epoch_s, 2), "best": bool(improved)}
        record.history.append(row)
        if improved:
            record.best_key, record.best_epoch, record.bad_epochs = check.rank_key, epoch, 0
            record.threshold, record.best_val = check.threshold, check.best_val()
            save_run(self.run_dir, self.model, self._run_config(record, check.threshold))
        else:
            record.bad_epochs += 1
        self.log(f"epoch {epoch + 1}/{tcfg.epochs}: train loss {row['train_loss']:.4f}, val loss {check.loss:.4f}, "
                 f"val AUROC {vm['auroc']:.3f}, F1 {vm['f1']:.3f} at threshold {check.threshold:.3f}"
                 f"{' (best)' if improved else ''} [{epoch_s:.0f} s]")
        stop = record.bad_epochs >= tcfg.patience and epoch + 1 >= tcfg.min_epochs
        finished = stop or epoch + 1 >= tcfg.epochs
        record.stopped_early = stop and epoch + 1 < tcfg.epochs
        record.epochs_done = epoch + 1
        save_training_state(self.run_dir, self.model, self.optimizer, self.scheduler, tcfg,
                            self.manifest.content_hash(), record, finished)
        if stop:
            self.log(f"early stop: no validation improvement for {tcfg.patience} epochs")
        return finished

    def _train_steps(self, epoch: int, history: list[dict[str, Any]], progress: ProgressFn) -> list[float]:
        """One epoch of optimiser steps; returns the batch losses."""
        import torch  # heavy: only when training

        tcfg, train = self.tcfg, self.data.train
        torch.manual_seed(tcfg.seed * 1000 + epoch)  # dropout replays on resume
        self.model.train()
        if tcfg.mode != "full":
            self.model.encoder.eval()  # frozen weights: keep encoder dropout off
        order = epoch_order(len(train), train.labels, tcfg.seed, epoch, tcfg.balance, tcfg.interictal_per_ictal)
        # Flip and joint dropout draw from one per-epoch stream, so a resumed epoch replays them.
        flip_rng = np.random.default_rng([tcfg.seed, epoch, 7]) if tcfg.augment else None
        targets = train.targets
        dev = self.device.torch_device()
        losses: list[float] = []
        for s in range(self.steps_per_epoch):
            check_cancel(self.cancel)
            idx = order[s * tcfg.batch_size:(s + 1) * tcfg.batch_size].tolist()
            if not idx:
                continue
            y = torch.from_numpy(targets[idx]).to(dev)
            with self.device.autocast():
                logits, _ = forward_windows(self.model, train, idx, self.device, self.train_tokens, flip_rng,
                                            tcfg.joint_dropout)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits.float(), y,
                                                                        pos_weight=self.pos_weight)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if tcfg.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(self.params, tcfg.grad_clip)
            self.optimizer.step()
            self.scheduler.step()
            losses.append(float(loss.detach()))
            prev_auroc = history[-1].get("val_auroc") if history else None
            progress(epoch * self.steps_per_epoch + s + 1, self.total_steps,
                     f"epoch {epoch + 1}/{tcfg.epochs} loss {np.mean(losses):.4f}"
                     + (f" val AUROC {prev_auroc:.3f}" if prev_auroc is not None and math.isfinite(prev_auroc)
                        else ""))
        return losses

    # -- 6.-8. after training -------------------------------------------------------------------

    def best_run(self) -> LoadedDetector:
        """The best epoch's saved run, loaded as the engine loads it (once)."""
        if self._best_run is None:
            self._best_run = load_run(self.run_dir, self.tcfg.device)
        return self._best_run

    def final_threshold(self, record: TrainingRecord) -> None:
        """Re-choose the threshold on every validation window when the epochs checked a subsample."""
        if self.val_check is not self.data.val:
            record.threshold, record.best_val = threshold_on_all_windows(
                self.best_run(), self.data.val, self.tcfg, record.best_val, self.log, self.cancel)

    def event_rules(self, record: TrainingRecord) -> tuple[EventConfig, dict[str, Any]]:
        """The run's event rules and how they were chosen (stored in run.json)."""
        if self.tcfg.event_rules != "validation":
            return self.event_cfg.replace(threshold=record.threshold), {"source": "fixed"}
        return event_rules_on_validation(self.best_run(), self.data, self.manifest, self.seg_cfg,
                                         self.event_cfg.replace(threshold=record.threshold), self.tcfg, self.log,
                                         self.cancel)

    def write_final_run_json(self, record: TrainingRecord, events: EventConfig,
                             rule_choice: dict[str, Any]) -> dict[str, Any]:
        """Refresh run.json with the final bookkeeping (the best epoch's weights stay as saved)."""
        rc = json.loads((self.run_dir / RUN_JSON).read_text("utf-8"))
        rc["training"] = self._run_config(record, record.threshold)["training"]
        rc["training"]["stopped_early"] = record.stopped_early
        rc["training"]["event_rule_choice"] = rule_choice
        rc["training"]["warnings"] = self.warnings + ([rule_choice["note"]] if rule_choice.get("note") else [])
        rc["threshold"] = float(record.threshold)
        rc["events"] = events.replace(threshold=float(record.threshold)).to_dict()
        if "min_joints" in rule_choice:  # the pose-coverage gate chosen on validation
            rc["clips"]["min_joints"] = int(rule_choice["min_joints"])
        atomic_write_json(self.run_dir / RUN_JSON, jsonable(rc))
        return rc

    def _run_config(self, record: TrainingRecord, threshold: float) -> dict[str, Any]:
        tcfg, split_cfg, manifest = self.tcfg, self.split_cfg, self.manifest
        return make_run_config(
            detector=self.det_cfg, mode=tcfg.mode, lora=tcfg.lora(), segments=self.seg_cfg, clips=self.clip_cfg,
            events=self.event_cfg, threshold=threshold, keypoint_source=tcfg.keypoints,
            manifest_hash=manifest.content_hash(),
            manifest_path=str(Path(manifest.path).resolve()) if manifest.path else "",
            split=self.split_record or {**self.data.split.to_dict(), "seed": split_cfg.seed,
                                        "n_test_subjects": split_cfg.n_test_subjects,
                                        "val_fraction": split_cfg.val_fraction},
            training={**tcfg.to_dict(), "counts": self.data.counts, "warnings": list(self.warnings),
                      "best_epoch": record.best_epoch + 1, "epochs_run": len(record.history), "train_seconds": round(record.train_seconds, 1),
                      "prep_seconds": round(self.prep_seconds, 1), "val": record.best_val,
                      "device": self.device.name, "pos_weight": float(self.pos_weight), "peak_lr": tcfg.peak_lr},
            pose=self.pose_cfg.to_dict())

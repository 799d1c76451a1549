"""What a training run decides on its validation subjects: the per-epoch check (AUROC, loss,
threshold) that picks the best epoch, the final threshold on every validation window, and the
event rules on the validation recordings scored whole."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

from inference.core.config import EventConfig, SegmentConfig
from inference.core.device import inference_mode
from inference.core.progress import CancelToken
from inference.dataset.manifest import Manifest
from inference.training.config import TrainConfig
from inference.training.data import WindowSet
from inference.training.metrics import choose_threshold, segment_metrics
from inference.training.prepared import PreparedData
from inference.training.scoring import (
    choose_event_rules,
    choose_min_joints,
    engine_scorer,
    model_scorer,
    predict_window_set,
    recording_trace,
)

BEST_VAL_METRICS = ("accuracy", "auroc", "auprc", "f1", "precision", "recall")  # kept in run.json

# Below these, the best epoch and the threshold are picked on a handful of windows from one person:
# AUROC moves by 0.05 with one window's rank, and one subject's habits decide the threshold.
MIN_SELECTION_SUBJECTS = 2
MIN_SELECTION_ICTAL_WINDOWS = 20


def selection_warnings(n_val_subjects: int, n_val_ictal: int) -> list[str]:
    """Why the epoch and threshold choice rests on too little validation data (empty when it does not)."""
    short = []
    if n_val_subjects < MIN_SELECTION_SUBJECTS:
        short.append(f"{n_val_subjects} validation subject{'' if n_val_subjects == 1 else 's'} "
                     f"(fewer than {MIN_SELECTION_SUBJECTS})")
    if n_val_ictal < MIN_SELECTION_ICTAL_WINDOWS:
        short.append(f"{n_val_ictal} ictal validation windows (fewer than {MIN_SELECTION_ICTAL_WINDOWS})")
    if not short:
        return []
    return [f"the choice of epoch and threshold rests on too little data: {' and '.join(short)}; add validation "
            f"subjects with seizures (--val-subjects N, or more subjects in the manifest)"]


@dataclass
class EpochCheck:
    """The validation check after one epoch."""

    loss: float  # binary cross-entropy of the probabilities against the validation targets
    threshold: float  # by the run's threshold rule
    metrics: dict[str, Any]  # segment_metrics at that threshold

    @property
    def rank_key(self) -> tuple[float, float]:
        """Epochs rank by AUROC, then by lower loss (rounded, so float noise never picks an epoch)."""
        auc = self.metrics["auroc"] if math.isfinite(self.metrics["auroc"]) else -math.inf
        return round(auc, 6), -round(self.loss, 6)

    def best_val(self) -> dict[str, Any]:
        return {**{k: self.metrics[k] for k in BEST_VAL_METRICS}, "loss": self.loss}


def check_epoch(model, windows: WindowSet, device, tcfg: TrainConfig, tokens: Optional[np.ndarray],
                cancel: Optional[CancelToken]) -> EpochCheck:
    """Score the validation ``windows`` with the model being trained (from cached ``tokens`` in
    frozen mode) and measure it."""
    import torch  # heavy: only when training

    with inference_mode(model, device):
        prob, _ = predict_window_set(windows, model_scorer(model, windows, device, tokens), cancel,
                                     tcfg.eval_batch_size)
    with torch.no_grad():
        loss = float(torch.nn.functional.binary_cross_entropy(
            torch.from_numpy(prob.astype(np.float64)).clamp(1e-7, 1 - 1e-7),
            torch.from_numpy(windows.targets.astype(np.float64))))
    threshold = choose_threshold(windows.labels, prob, tcfg.threshold_rule)
    return EpochCheck(loss, threshold, segment_metrics(windows.labels, prob, threshold))


def threshold_on_all_windows(loaded, val: WindowSet, tcfg: TrainConfig, best_val: dict[str, Any],
                             log: Callable[[str], None], cancel: Optional[CancelToken]
                             ) -> tuple[float, dict[str, Any]]:
    """Re-choose the threshold on every validation window with the best epoch's saved run (when the
    per-epoch checks saw a subsample). Returns (threshold, validation metrics for run.json)."""
    prob, _ = predict_window_set(val, engine_scorer(loaded, val), cancel)
    threshold = choose_threshold(val.labels, prob, tcfg.threshold_rule)
    vm = segment_metrics(val.labels, prob, threshold)
    log(f"all {len(val)} validation windows: AUROC {vm['auroc']:.3f}, F1 {vm['f1']:.3f} at threshold "
        f"{threshold:.3f}")
    return threshold, {**{k: vm[k] for k in BEST_VAL_METRICS}, "loss": best_val.get("loss"), "windows": len(val)}


def event_rules_on_validation(loaded, data: PreparedData, manifest: Manifest, seg_cfg: SegmentConfig,
                              base: EventConfig, tcfg: TrainConfig, log: Callable[[str], None],
                              cancel: Optional[CancelToken]) -> tuple[EventConfig, dict[str, Any]]:
    """Score the validation recordings whole with the best model and pick the event rules there
    (``scoring.choose_event_rules``). Returns (rules, the record stored in run.json)."""
    t0 = time.perf_counter()
    by_id = {r.recording_id: r for r in manifest}
    default_gate = loaded.clip_config.min_joints
    lenient = min((*tcfg.min_joints_candidates, default_gate))
    scored = []  # with the most lenient gate: every candidate gate is applied afterwards
    for rid, rclips in data.recordings.items():
        rec = by_id[rid]
        if data.split.role(rec.subject_id) == "val":
            scored.append((recording_trace(loaded, rclips, rec.subject_id, seg_cfg.review_stride_s, cancel=cancel,
                                           min_joints=lenient), rec.seizures))
    traces = [(tr.gated(default_gate), sz) for tr, sz in scored]
    thresholds = tcfg.event_thresholds if tcfg.event_threshold == "events" else None
    chosen, rows = choose_event_rules(traces, seg_cfg, base, tcfg.event_min_durations, tcfg.event_smoothing,
                                      tcfg.max_false_alarms_per_hour, thresholds)
    secs = time.perf_counter() - t0
    hours = rows[0]["interictal_hours"] if rows else 0.0
    n_sz = rows[0]["seizures"] if rows else 0
    log(f"event rules on validation ({len(traces)} recordings, {n_sz} seizures, {hours:.2f} interictal hours, "
        f"window-level threshold {base.threshold:.3f}, {secs:.0f} s); the best option per threshold: threshold "
        f"/ min duration / smoothing -> detected, false alarms/h, time under alarm:")
    for thr in sorted({r["threshold"] for r in rows}):
        at = [r for r in rows if r["threshold"] == thr]
        r = next((r for r in at if r["chosen"]), None) or max(
            at, key=lambda r: (r["sensitivity"], -r["false_alarms_per_hour"], -r["delay_s"]))
        log(f"  {thr:.3f} / {r['min_duration_s']:4g} s / {r['smooth_windows']} windows -> {r['detected']}/"
            f"{r['seizures']}, {r['false_alarms_per_hour']:.2f}/h, {100 * (r['interictal_alarm_fraction'] or 0):.1f}%"
            f"{'  <- chosen' if r['chosen'] else ''}")
    note = false_alarm_limit_note(rows, tcfg.max_false_alarms_per_hour)
    if note:
        log(f"warning: {note}")
    gate, gate_rows = (choose_min_joints(scored, seg_cfg, chosen, tcfg.min_joints_candidates, default_gate)
                       if scored else (default_gate, []))
    if gate_rows:
        log("pose-coverage gate on validation (min joints -> detected, false alarms, windows without a value): "
            + ", ".join(f"{r['min_joints']} -> {r['detected']}/{r['seizures']}, {r['false_alarms']} FA, "
                        f"{r['windows_without_value']}" + (" <- chosen" if r["chosen"] else "") for r in gate_rows))
    info = {"min_joints": gate, "min_joints_grid": gate_rows,"source": "validation", "max_false_alarms_per_hour": tcfg.max_false_alarms_per_hour,
            "limit_met": not note, "note": note,
            "threshold": base.threshold, "event_threshold": chosen.threshold,
            "chosen": {"min_duration_s": chosen.min_duration_s,
                                                    "smooth_windows": chosen.smooth_windows},
            "validation_recordings": [t.recording_id for t, _ in traces], "seconds": round(secs, 1), "grid": rows}
    return chosen, info


def false_alarm_limit_note(rows: list[dict[str, Any]], limit: float) -> str:
    """Why the false-alarm limit did not decide the event rules on validation ('' when it did):
    validation too short to measure it, or no option meeting it (the rules then only maximise
    sensitivity, so the run's false-alarm rate is unchecked)."""
    if not rows:
        return ""
    hours = rows[0]["interictal_hours"]
    if hours <= 0:
        return ("validation has no interictal time outside the seizures' scoring margins (EEG onset - 30 s to end "
                "+ 60 s), so false alarms could not be counted; the event rules were chosen for sensitivity alone")
    if hours * limit < 1.0:
        return (f"validation holds {60 * hours:.1f} interictal minutes, too few to check <= {limit:g} false alarms/h "
                f"(one false alarm would be {1 / hours:.1f}/h); the event rules were "
                f"chosen for sensitivity alone")
    if not any(r["feasible"] for r in rows):
        fewest = min(r["false_alarms_per_hour"] for r in rows)
        return (f"no event rule met <= {limit:g} false alarms/h on validation (fewest: {fewest:.2f}/h); the rules "
                f"were chosen for sensitivity, then fewest false alarms, so expect more than {limit:g}/h")
    return ""

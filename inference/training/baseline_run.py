"""One baseline (``inference.baselines``) trained and evaluated on a prepared split, exactly as the
cross-joint detector is: the same subject split and windows (``PreparedData``), the same epoch
sampling (every ictal window plus a fresh draw of interictal ones, ``pos_weight`` for the rest),
early stopping on validation AUROC, the threshold and event rules chosen together on the
validation recordings scored whole (``scoring.choose_event_rules``), then the held-out subjects:
segment metrics at that threshold and SzCORE events over whole recordings at the review stride.

The inputs differ by method: ``vsvig`` reads the joint clips of ``PreparedData`` (32 px patches);
``frame3d`` and ``flow3d`` read whole frames or their optical flow (``baselines.frames``) at the
same sample grid, so a window means the same 5 s everywhere.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

from inference.baselines.frames import RecordingFrames, recording_frames
from inference.baselines.models import BaselineConfig, build_baseline
from inference.core.config import EventConfig, SegmentConfig
from inference.core.device import choose_device
from inference.core.progress import CancelToken, check_cancel
from inference.pose.joints import NUM_JOINTS
from inference.training.config import TrainConfig
from inference.training.data import WindowSet
from inference.training.metrics import auroc, majority_class, random_chance, segment_metrics
from inference.training.operating_point import assess_operating_point, summary_line
from inference.training.prepared import PreparedData
from inference.training.sampling import epoch_order, validation_check_windows
from inference.training.scoring import (
    RecordingTrace,
    choose_event_rules,
    predict_window_set,
    score_recording,
    summarise_events,
)


class BaselineInputs:
    """Model inputs of windows: joint clips (vsvig) or whole frames / flow (frame3d, flow3d)."""

    def __init__(self, cfg: BaselineConfig, data: PreparedData, manifest, cache_dir, fps: float,
                 cancel: Optional[CancelToken] = None):
        self.cfg = cfg
        self.frames: dict[str, RecordingFrames] = {}
        if cfg.method != "vsvig":
            by_id = {r.recording_id: r for r in manifest}
            for rid in data.recordings:
                check_cancel(cancel)
                self.frames[rid] = recording_frames(rid, by_id[rid].video, fps, cfg.frame_size, cache_dir, cancel)
        self.kind = "flow" if cfg.method == "flow3d" else "rgb"

    def windows(self, ws: WindowSet, idx) -> tuple[np.ndarray, ...]:
        if self.cfg.method == "vsvig":
            return ws.batch(idx)
        out = []
        for i in idx:
            rid, start, _, _ = ws.items[i]
            w = self.frames[rid].window(start, ws.frames_per_window, self.kind)
            out.append(w if w is not None else np.zeros(self._shape(ws), self._dtype()))
        return (np.stack(out),)

    def at(self, rid: str, rclips, starts: np.ndarray, t: int) -> tuple[list[int], tuple[np.ndarray, ...]]:
        """Inputs of the whole-recording windows starting at ``starts`` that can be scored."""
        idx, parts = [], []
        for k, s in enumerate(starts):
            if self.cfg.method == "vsvig":
                w = rclips.window(float(s), t)
                if w is not None and w[2].any():
                    idx.append(k)
                    parts.append(w)
            else:
                w = self.frames[rid].window(float(s), t, self.kind)
                if w is not None:
                    idx.append(k)
                    parts.append((w,))
        if not parts:
            return idx, ()
        return idx, tuple(np.stack([p[j] for p in parts]) for j in range(len(parts[0])))

    def _shape(self, ws: WindowSet) -> tuple[int, ...]:
        s = self.cfg.frame_size
        return (ws.frames_per_window, s, s, 2 if self.kind == "flow" else 3)

    def _dtype(self):
        return np.float16 if self.kind == "flow" else np.uint8


def _predict(model, arrays: tuple[np.ndarray, ...], device, batch_size: int = 16) -> np.ndarray:
    import torch  # heavy: only when a model runs

    n = len(arrays[0]) if arrays else 0
    out = np.zeros(n, np.float32)
    model.eval()
    with torch.no_grad():
        for a in range(0, n, batch_size):
            xs = [torch.from_numpy(np.ascontiguousarray(x[a:a + batch_size])).to(device) for x in arrays]
            out[a:a + batch_size] = torch.sigmoid(model(*xs).float()).cpu().numpy()
    return out


def _window_probs(model, inputs: BaselineInputs, ws: WindowSet, device, batch_size: int = 16) -> np.ndarray:
    """Probabilities of every window of ``ws`` through the detector's own window-set loop."""
    def score(idx: list[int]) -> tuple[np.ndarray, np.ndarray]:
        no_attention = np.zeros((len(idx), NUM_JOINTS), np.float32)
        return _predict(model, inputs.windows(ws, idx), device, batch_size), no_attention

    return predict_window_set(ws, score, batch_size=batch_size)[0]


def _trace(model, inputs: BaselineInputs, rid: str, subject: str, rclips, seg: SegmentConfig, device) -> RecordingTrace:
    t = seg.frames_per_window
    step = max(1, int(round(seg.review_stride_s * seg.fps)))
    n_win = (rclips.n_samples - t) // step + 1 if rclips.n_samples >= t else 0
    starts = np.arange(n_win) * step / seg.fps
    prob = np.full(n_win, np.nan, np.float32)
    for a in range(0, n_win, 256):
        idx, arrays = inputs.at(rid, rclips, starts[a:a + 256], t)
        if idx:
            prob[np.asarray(idx) + a] = _predict(model, arrays, device)
    return RecordingTrace(rid, subject, starts, starts + seg.window_s, prob, np.zeros((n_win, 14), np.float32),
                          rclips.duration_s)


@dataclass
class TrainedBaseline:
    """A baseline trained on a split, with its inputs and the rules chosen on validation."""

    cfg: BaselineConfig
    model: Any
    inputs: BaselineInputs
    rules: EventConfig
    history: list[dict[str, Any]]
    best_val_auroc: float
    majority: int  # the training majority class (the one-class classifier's answer)
    device: Any
    seconds: float


def train_baseline(cfg: BaselineConfig, data: PreparedData, manifest, seg: SegmentConfig, tcfg: TrainConfig,
                   events: EventConfig, cache_dir=None, log: Callable[[str], None] = print,
                   cancel: Optional[CancelToken] = None) -> TrainedBaseline:
    """Train ``cfg.method`` with ``tcfg`` (seed, epochs, lr, batch size, interictal per ictal) and
    choose its threshold and event rules on the validation recordings."""
    import torch  # heavy: only when a model runs

    t0 = time.perf_counter()
    device = choose_device(tcfg.device).torch_device()
    torch.manual_seed(tcfg.seed)
    inputs = BaselineInputs(cfg, data, manifest, cache_dir, seg.fps, cancel)
    model = build_baseline(cfg).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=tcfg.lr or 1e-3, weight_decay=tcfg.weight_decay)
    y_train = data.train.labels
    ratio = tcfg.interictal_per_ictal
    n_pos = max(1, int((y_train == 1).sum()))
    pos_weight = ratio if ratio > 0 else (len(y_train) - n_pos) / n_pos
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(float(pos_weight), device=device))
    val_check = validation_check_windows(data.val, tcfg.val_interictal_per_ictal, tcfg.seed)
    best, best_auc, since = None, -1.0, 0
    history = []
    for epoch in range(tcfg.epochs):
        check_cancel(cancel)
        model.train()
        order = epoch_order(len(y_train), y_train, tcfg.seed, epoch, tcfg.balance, ratio)
        losses = []
        for a in range(0, len(order), tcfg.batch_size):
            idx = order[a:a + tcfg.batch_size].tolist()
            if len(idx) < 2:
                continue  # batch norm needs two windows
            xs = [torch.from_numpy(x).to(device) for x in inputs.windows(data.train, idx)]
            target = torch.from_numpy(data.train.targets[idx]).to(device)
            loss = loss_fn(model(*xs).float(), target)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            losses.append(loss.item())
        val_auc = auroc(val_check.labels, _window_probs(model, inputs, val_check, device))
        history.append({"epoch": epoch + 1, "loss": float(np.mean(losses)) if losses else float("nan"),
                        "val_auroc": val_auc})
        log(f"{cfg.method} seed {tcfg.seed} epoch {epoch + 1}/{tcfg.epochs}: loss {history[-1]['loss']:.4f}, "
            f"val AUROC {val_auc:.3f}")
        if best is None or val_auc > best_auc + 1e-6:
            best, best_auc, since = copy.deepcopy(model.state_dict()), val_auc, 0
        else:
            since += 1
            if since >= tcfg.patience and epoch + 1 >= tcfg.min_epochs:
                break
    model.load_state_dict(best)
    val = _role_traces(model, inputs, data, manifest, seg, device, "val", cancel)
    rules, _ = choose_event_rules(val, seg, events, tcfg.event_min_durations, tcfg.event_smoothing,
                                  tcfg.max_false_alarms_per_hour, tcfg.event_thresholds)
    majority = 1 if (y_train == 1).sum() > (y_train == 0).sum() else 0
    return TrainedBaseline(cfg, model, inputs, rules, history, best_auc, majority, device,
                           round(time.perf_counter() - t0, 1))


def _role_traces(model, inputs: BaselineInputs, data: PreparedData, manifest, seg: SegmentConfig, device,
                 role: str, cancel: Optional[CancelToken]) -> list[tuple[RecordingTrace, Any]]:
    by_id = {r.recording_id: r for r in manifest}
    out = []
    for rid, rclips in data.recordings.items():
        rec = by_id.get(rid)
        if rec is not None and data.split.role(rec.subject_id) == role:
            check_cancel(cancel)
            out.append((_trace(model, inputs, rid, rec.subject_id, rclips, seg, device), rec.seizures))
    return out


def evaluate_baseline(tb: TrainedBaseline, data: PreparedData, manifest, seg: SegmentConfig, cache_dir=None,
                      cancel: Optional[CancelToken] = None) -> dict[str, Any]:
    """The held-out evaluation of a trained baseline on ``data.test`` (which may come from another
    manifest of the same subjects, e.g. the room-swapped set)."""
    inputs = BaselineInputs(tb.cfg, data, manifest, cache_dir, seg.fps, cancel)
    prob = _window_probs(tb.model, inputs, data.test, tb.device)
    y = data.test.labels
    seg_m = segment_metrics(y, prob, tb.rules.threshold)
    baselines = {"random_chance": random_chance(y), "one_class": majority_class(y, tb.majority)}
    test = _role_traces(tb.model, inputs, data, manifest, seg, tb.device, "test", cancel)
    ev = summarise_events([score_recording(tr, sz, seg, tb.rules) for tr, sz in test])
    return {"method": tb.cfg.method, "config": tb.cfg.to_dict(), "history": tb.history,
            "best_val_auroc": tb.best_val_auroc, "events_config": tb.rules.to_dict(), "segment": seg_m,
            "baselines": baselines, "events": ev,
            "operating_point": assess_operating_point(ev, seg_m, baselines["one_class"]),
            "summary": summary_line(ev), "train_seconds": tb.seconds,
            "parameters": int(sum(p.numel() for p in tb.model.parameters()))}


def run_baseline(cfg: BaselineConfig, data: PreparedData, manifest, seg: SegmentConfig, tcfg: TrainConfig,
                 events: EventConfig, cache_dir=None, log: Callable[[str], None] = print,
                 cancel: Optional[CancelToken] = None) -> dict[str, Any]:
    """Train on ``data`` and evaluate on its test subjects (``train_baseline`` + ``evaluate_baseline``)."""
    tb = train_baseline(cfg, data, manifest, seg, tcfg, events, cache_dir, log, cancel)
    return {**evaluate_baseline(tb, data, manifest, seg, cache_dir, cancel), "seed": tcfg.seed}

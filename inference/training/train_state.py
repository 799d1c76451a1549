"""The resumable state of a training run, saved after every epoch so ``--resume`` continues it.

RUN/train_state.safetensors holds the tensors (model weights ``model.*``, the optimiser's moments
``optim.*``); RUN/train_state.json the rest (TrainConfig, manifest hash, scheduler, the epoch
bookkeeping of ``TrainingRecord``); RUN/train_log.jsonl and .csv one row per epoch. Never pickled.
"""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from inference.core.atomic import atomic_write_json, atomic_write_text
from inference.core.errors import CheckpointError, SemioscopeError
from inference.core.run_folder import is_run_folder
from inference.dataset.manifest import Manifest
from inference.detector.checkpoint import load_tensors, save_tensors
from inference.training.config import TrainConfig

TRAIN_STATE_JSON = "train_state.json"
TRAIN_STATE_TENSORS = "train_state.safetensors"
TRAIN_LOG_JSONL = "train_log.jsonl"
TRAIN_LOG_CSV = "train_log.csv"
STATE_FORMAT = "semioscope.train_state"


@dataclass
class TrainingRecord:
    """Bookkeeping carried from epoch to epoch (and across a resume)."""

    epochs_done: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)  # one train-log row per epoch
    best_key: tuple[float, float] = (-math.inf, -math.inf)  # (validation AUROC, -loss) of the best epoch
    best_epoch: int = -1  # 0-based; -1 before any epoch
    bad_epochs: int = 0  # epochs since the last improvement
    threshold: float = 0.5  # chosen on validation at the best epoch
    best_val: dict[str, Any] = field(default_factory=dict)  # validation metrics of the best epoch
    train_seconds: float = 0.0
    stopped_early: bool = False

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> TrainingRecord:
        fresh = cls()
        return cls(epochs_done=int(state["epoch"]) + 1, history=list(state.get("history", [])),
                   best_key=tuple(state.get("best_key", fresh.best_key)),  # type: ignore[arg-type]
                   best_epoch=int(state.get("best_epoch", -1)), bad_epochs=int(state.get("bad_epochs", 0)),
                   threshold=float(state.get("threshold", 0.5)), best_val=dict(state.get("best_val", {})),
                   train_seconds=float(state.get("train_seconds", 0.0)),
                   stopped_early=bool(state.get("stopped_early")))


def jsonable(obj: Any) -> Any:
    """``obj`` with numbers that JSON does not know (numpy scalars, tensors) as floats, the rest as text."""
    return json.loads(json.dumps(obj, default=lambda o: float(o) if hasattr(o, "__float__") else str(o)))


def read_resume_state(run_dir: Path, tcfg: TrainConfig, manifest: Manifest, resume: bool) -> Optional[dict[str, Any]]:
    """The saved state to continue from (None: start afresh). Refuses to train over an existing run
    without ``resume``, and to resume with other settings (outside RESUMABLE_CHANGES) or another manifest."""
    state_json = run_dir / TRAIN_STATE_JSON
    if not resume and (state_json.exists() or is_run_folder(run_dir)):
        raise SemioscopeError(f"{run_dir}: already holds a run; pass --resume to continue it or choose another --out")
    if not (resume and state_json.exists()):
        return None
    try:
        state = json.loads(state_json.read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(state_json, f"cannot read the training state ({exc})") from None
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        raise CheckpointError(state_json, "not a Semioscope training state")
    if not isinstance(state.get("train_config"), dict):
        raise CheckpointError(state_json, "training state without its settings ('train_config'); "
                                          "start afresh with another --out")
    conflicts = tcfg.resume_conflicts(TrainConfig.from_dict(state["train_config"]))
    if conflicts:
        raise CheckpointError(state_json, f"--resume with different settings {conflicts} (run: old, now: new)")
    if state.get("manifest_hash") != manifest.content_hash():
        raise CheckpointError(state_json, "--resume with a different manifest (content hash differs)")
    return state


def restore_training_state(run_dir: Path, state: dict[str, Any], model, optimizer, scheduler) -> TrainingRecord:
    """Load the saved model, optimiser and scheduler into the freshly built ones; return the bookkeeping."""
    tensors, _ = load_tensors(run_dir / TRAIN_STATE_TENSORS, expect_format=STATE_FORMAT)
    model_sd = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    try:
        model.load_state_dict(model_sd, strict=True)
        _optimizer_from_tensors(optimizer, tensors, state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
    except (RuntimeError, KeyError, ValueError) as exc:
        raise CheckpointError(run_dir / TRAIN_STATE_TENSORS,
                              f"training state does not fit this model ({exc})") from None
    return TrainingRecord.from_state(state)


def save_training_state(run_dir: Path, model, optimizer, scheduler, tcfg: TrainConfig, manifest_hash: str,
                        record: TrainingRecord, finished: bool) -> None:
    """Save everything a resume needs after an epoch, then the train logs."""
    opt_tensors, opt_meta = _optimizer_to_tensors(optimizer)
    save_tensors(run_dir / TRAIN_STATE_TENSORS,
                 {**{f"model.{k}": v for k, v in model.state_dict().items()}, **opt_tensors},
                 {"format": STATE_FORMAT})
    p = record
    atomic_write_json(run_dir / TRAIN_STATE_JSON, jsonable({
        "format": STATE_FORMAT, "version": 1, "epoch": p.epochs_done - 1, "finished": finished,
        "train_config": tcfg.to_dict(), "manifest_hash": manifest_hash,
        "optimizer": opt_meta, "scheduler": scheduler.state_dict(), "history": p.history,
        "best_key": list(p.best_key), "best_epoch": p.best_epoch, "bad_epochs": p.bad_epochs,
        "threshold": p.threshold, "best_val": p.best_val, "train_seconds": p.train_seconds,
        "stopped_early": p.stopped_early}))
    write_train_logs(run_dir, p.history)


def write_train_logs(run_dir: Path, history: list[dict[str, Any]]) -> None:
    atomic_write_text(run_dir / TRAIN_LOG_JSONL, "".join(json.dumps(r) + "\n" for r in history))
    if history:
        buf = io.StringIO()
        cols = list(history[0].keys())
        w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        for r in history:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})
        atomic_write_text(run_dir / TRAIN_LOG_CSV, buf.getvalue())


def _optimizer_to_tensors(opt) -> tuple[dict[str, Any], dict[str, Any]]:
    """Flatten an optimizer state dict into safetensors-able tensors + a JSON part."""
    import torch  # heavy: only when training

    sd = opt.state_dict()
    tensors: dict[str, Any] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for pid, st in sd["state"].items():
        for name, v in st.items():
            if isinstance(v, torch.Tensor):
                tensors[f"optim.{pid}.{name}"] = v
            else:
                scalars.setdefault(str(pid), {})[name] = v
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def _optimizer_from_tensors(opt, tensors: dict[str, Any], meta: dict[str, Any]) -> None:
    state: dict[int, dict[str, Any]] = {}
    for key, v in tensors.items():
        if key.startswith("optim."):
            _, pid, name = key.split(".", 2)
            state.setdefault(int(pid), {})[name] = v
    for pid, st in meta.get("scalars", {}).items():
        state.setdefault(int(pid), {}).update(st)
    opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})

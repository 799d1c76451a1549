"""Run folders: the detector's weights (safetensors) plus ``run.json`` with everything needed to
rebuild and apply it. Loading never unpickles anything: weights are read with safetensors only.

Layout of a run folder (see README "Run folder")::

    run.json            format "semioscope.run": detector + encoder config, fine-tuning mode,
                        joints, fps/window, crop config, label rules, event config with the
                        validation threshold, manifest hash, package version, keypoint source
    model.safetensors   the chosen (best-validation) weights
    train_state.*       resumable optimiser/scheduler state (training.py)
    train_log.jsonl/csv, evaluation.md/json, roc.png, pr.png
"""
from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np

from inference.core.atomic import atomic_write_bytes, atomic_write_json
from inference.core.config import ClipConfig, EventConfig, SegmentConfig
from inference.core.device import choose_device
from inference.core.errors import CheckpointError, SemioscopeError
from inference.core.run_folder import RUN_FORMAT, RUN_JSON, RUN_VERSION, WEIGHTS_FILE, run_json_path
from inference.core.version import __version__
from inference.core.versioned_json import read_folder_json
from inference.detector.clips import to_float
from inference.detector.finetune_modes import LoraSettings, apply_mode
from inference.detector.model import CrossJointDetector, DetectorConfig
from inference.pose.joints import JOINT_NAMES, NUM_JOINTS

WEIGHTS_FORMAT = "semioscope.detector"


# -- tensors <-> safetensors (no pickle anywhere) ---------------------------------------------

def save_tensors(path: str | Path, tensors: dict[str, Any], metadata: Optional[dict[str, str]] = None) -> Path:
    """Write a dict of torch tensors atomically as safetensors."""
    from safetensors.torch import save  # safetensors.torch needs torch: loaded only when weights are read or written

    data = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    return atomic_write_bytes(path, save(data, metadata=metadata or {}))


def load_tensors(path: str | Path, expect_format: Optional[str] = None) -> tuple[dict[str, Any], dict[str, str]]:
    """Read a safetensors file -> (tensors on CPU, metadata). Raises CheckpointError naming the file."""
    from safetensors import safe_open  # safetensors.torch needs torch: loaded only when weights are read or written

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "file not found")
    try:
        tensors = {}
        with safe_open(str(path), framework="pt", device="cpu") as fh:
            meta = dict(fh.metadata() or {})
            for k in fh.keys():
                tensors[k] = fh.get_tensor(k)
    except Exception as exc:  # safetensors raises SafetensorError/OSError on bad files
        raise CheckpointError(path, f"not a readable safetensors file ({type(exc).__name__}: {exc}); "
                                    "Semioscope never loads pickled checkpoints") from None
    if expect_format is not None and meta.get("format") != expect_format:
        raise CheckpointError(path, f"not a Semioscope file of kind {expect_format!r} "
                                    f"(format={meta.get('format')!r})")
    return tensors, meta


# -- run config -------------------------------------------------------------------------------

def make_run_config(*, detector, mode: str, lora, segments: SegmentConfig, clips: ClipConfig,
                    events: EventConfig, threshold: float, keypoint_source: str,
                    manifest_hash: str = "", manifest_path: str = "", split: Optional[dict] = None,
                    training: Optional[dict] = None, pose: Optional[dict] = None) -> dict[str, Any]:
    """The ``run.json`` content. ``detector`` is a DetectorConfig; ``lora`` a LoraSettings."""
    import torch  # torch is heavy (seconds to import): loaded only when a model runs
    import transformers  # transformers is heavy: loaded only when a model is built

    return {
        "format": RUN_FORMAT,
        "version": RUN_VERSION,
        "package_version": __version__,
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
        "python": platform.python_version(),
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "preset": detector.preset,
        "detector": detector.to_dict(),
        "encoder_config": detector.vivit_config().to_dict(),
        "finetune": {"mode": mode, "lora": lora.to_dict()},
        "joints": list(JOINT_NAMES),
        "fps": segments.fps,
        "window_s": segments.window_s,
        "window_frames": segments.frames_per_window,
        "segments": segments.to_dict(),
        "clips": clips.to_dict(),
        "events": events.replace(threshold=float(threshold)).to_dict(),
        "threshold": float(threshold),
        "keypoint_source": keypoint_source,
        "pose": pose or {},
        "manifest": {"path": manifest_path, "hash": manifest_hash},
        "split": split or {},
        "training": training or {},
    }


def read_run_config(run_dir: str | Path) -> dict[str, Any]:
    """Parse and check ``run.json``. Raises CheckpointError naming the file and the problem."""
    # Tests and users grep for "not a Semioscope run": keep that wording via ``what``.
    path = run_json_path(run_dir)
    rc = read_folder_json(run_dir, RUN_JSON, RUN_FORMAT, RUN_VERSION, CheckpointError, what="run", folder_what="run")
    for key in ("detector", "finetune", "joints", "segments", "clips", "events", "threshold"):
        if key not in rc:
            raise CheckpointError(path, f"incomplete run.json: missing {key!r}")
    if list(rc["joints"]) != list(JOINT_NAMES):
        raise CheckpointError(path, f"trained on a different joint set ({len(rc['joints'])} joints: "
                                    f"{', '.join(map(str, rc['joints'][:4]))}, ...); this Semioscope uses {NUM_JOINTS}")
    return rc


def build_model(rc: dict[str, Any], path_for_errors: str | Path = RUN_JSON):
    """A CrossJointDetector with the architecture (and LoRA adapters) described by a run config."""

    try:
        cfg = DetectorConfig.from_dict(rc["detector"])
        model = CrossJointDetector(cfg)
        apply_mode(model, rc["finetune"].get("mode", "full"), LoraSettings.from_dict(rc["finetune"].get("lora")))
    except (TypeError, ValueError, KeyError, SemioscopeError) as exc:
        raise CheckpointError(path_for_errors, f"cannot rebuild the detector from run.json ({exc})") from None
    return model


def save_weights(path: str | Path, model) -> Path:
    return save_tensors(path, model.state_dict(), {"format": WEIGHTS_FORMAT, "version": str(RUN_VERSION)})


def load_weights_into(model, path: str | Path) -> None:
    """Load safetensors weights, requiring exactly the model's keys and shapes."""
    path = Path(path)
    tensors, _ = load_tensors(path, expect_format=WEIGHTS_FORMAT)
    own = model.state_dict()
    missing = sorted(set(own) - set(tensors))
    extra = sorted(set(tensors) - set(own))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing weights (e.g. {missing[0]})")
        if extra:
            parts.append(f"{len(extra)} unexpected weights (e.g. {extra[0]})")
        raise CheckpointError(path, "weights do not match run.json's architecture: " + "; ".join(parts))
    for k, v in tensors.items():
        if tuple(v.shape) != tuple(own[k].shape):
            raise CheckpointError(path, f"weight {k} has shape {tuple(v.shape)}, the architecture in run.json "
                                        f"needs {tuple(own[k].shape)}")
    model.load_state_dict(tensors, strict=True)


def save_run(run_dir: str | Path, model, run_config: dict[str, Any]) -> Path:
    """Write weights then run.json (atomically each), so run.json never points at missing weights."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    save_weights(run_dir / WEIGHTS_FILE, model)
    atomic_write_json(run_dir / RUN_JSON, run_config)
    return run_dir


# -- applying a trained run -------------------------------------------------------------------

@dataclass
class LoadedDetector:
    """A trained detector ready to apply. ``predict`` is what the engine calls."""

    model: Any  # CrossJointDetector in eval mode on ``device``
    run_dir: Path
    run_config: dict[str, Any]
    segment_config: SegmentConfig
    clip_config: ClipConfig
    event_config: EventConfig  # threshold = the validation threshold
    threshold: float
    device: Any  # DeviceChoice
    batch_size: int = 16  # windows per forward call inside predict
    keypoint_source: str = field(default="unknown")

    @property
    def detector_config(self):
        return self.model.cfg

    @property
    def frames_per_window(self) -> int:
        return self.segment_config.frames_per_window

    def predict(self, clips: np.ndarray, positions: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """clips uint8 ``[B, 14, T, 3, S, S]``, positions ``[B, 14, T, 3]``, mask bool ``[B, 14]`` ->
        (probabilities float32 ``[B]``, received attention float32 ``[B, 14]``)."""
        import torch  # torch is heavy (seconds to import): loaded only when a model runs

        clips = np.asarray(clips)
        positions = np.asarray(positions, dtype=np.float32)
        mask = np.asarray(mask, dtype=bool)
        if clips.ndim != 6 or clips.shape[1] != NUM_JOINTS or clips.shape[3] != 3:
            raise ValueError(f"clips must be [B, {NUM_JOINTS}, T, 3, S, S], got {clips.shape}")
        b = clips.shape[0]
        if positions.shape != (b, NUM_JOINTS, clips.shape[2], 3) or mask.shape != (b, NUM_JOINTS):
            raise ValueError(f"positions {positions.shape} / mask {mask.shape} do not match clips {clips.shape}")
        probs = np.zeros(b, dtype=np.float32)
        att = np.zeros((b, NUM_JOINTS), dtype=np.float32)
        dev = self.device.torch_device()
        with torch.no_grad(), self.device.autocast():
            for i in range(0, b, self.batch_size):
                c = to_float(torch.from_numpy(np.ascontiguousarray(clips[i:i + self.batch_size])).to(dev))
                p = torch.from_numpy(positions[i:i + self.batch_size]).to(dev)
                m = torch.from_numpy(mask[i:i + self.batch_size]).to(dev)
                logits, a = self.model(c, p, m)
                probs[i:i + len(c)] = torch.sigmoid(logits.float()).cpu().numpy()
                att[i:i + len(c)] = a.float().cpu().numpy()
        return probs, att


def load_run(run_dir: str | Path, device: str = "auto") -> LoadedDetector:
    """Rebuild a trained detector from its run folder (safetensors only; never a pickle)."""

    run_dir = Path(run_dir)
    rc = read_run_config(run_dir)
    model = build_model(rc, run_dir / RUN_JSON)
    load_weights_into(model, run_dir / WEIGHTS_FILE)
    choice = choose_device(device)
    model.to(choice.torch_device()).eval()
    seg = SegmentConfig.from_dict(rc["segments"])
    det_frames = int(rc["detector"].get("window_frames", seg.frames_per_window))
    if det_frames != seg.frames_per_window:
        raise CheckpointError(run_dir / RUN_JSON, f"detector expects {det_frames} frames per window but the "
                                                  f"label rules give {seg.frames_per_window}")
    threshold = float(rc["threshold"])
    events = EventConfig.from_dict(rc["events"]).replace(threshold=threshold)
    return LoadedDetector(model=model, run_dir=run_dir, run_config=rc, segment_config=seg,
                          clip_config=ClipConfig.from_dict(rc["clips"]), event_config=events,
                          threshold=threshold, device=choice,
                          keypoint_source=str(rc.get("keypoint_source", "unknown")))

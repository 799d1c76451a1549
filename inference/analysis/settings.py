"""How to analyse a video: engine settings, what the engine needs of a model, keypoint identity,
the resume key and where partial results go."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Protocol, Union

import numpy as np

from inference.core.config import ClipConfig, EventConfig, PoseConfig, SegmentConfig
from inference.core.errors import VideoError
from inference.pose.joints import NUM_JOINTS
from inference.pose.keypoint_files import keypoints_fingerprint, resolve_keypoint_file
from inference.pose.registry import available_backends, get_backend

PARTIAL_SUFFIX = ".partial"


class NoPersonError(VideoError):
    """No joint of any person was found anywhere in the video."""


class WindowModel(Protocol):
    """What the engine needs from a detector (``inference.detector.checkpoint.LoadedDetector`` fits).

    ``predict(clips uint8 [B, 14, T, 3, S, S], positions float32 [B, 14, T, 3], mask bool [B, 14])
    -> (probabilities float32 [B], attention float32 [B, 14])``.
    """

    run_config: dict[str, Any]
    segment_config: SegmentConfig
    clip_config: ClipConfig
    event_config: EventConfig
    threshold: float
    device: Any  # inference.core.device.DeviceChoice

    def predict(self, clips: np.ndarray, positions: np.ndarray, mask: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass(frozen=True)
class EngineConfig:
    """How to analyse. Everything here that shapes the windows is checked before resuming.

    - ``stride_s``: window stride, rounded to whole sampled frames (1/6 s).
    - ``batch_size``: windows per model call, or ``"auto"`` (from the device and clip size).
    - ``device``: used by :func:`analyze_video` when loading a run (auto, cpu, cuda, cuda:N).
    - ``keypoints``: None -> the pose backend ``pose_backend``; ``"gt"`` -> the sidecar
      ``<video stem>.keypoints.npz``; a pose backend's name (``"mediapipe"``) -> that backend;
      otherwise a keypoint file, or a folder holding ``<video stem>.keypoints.npz`` / OpenPose JSON.
    - ``cache_dir``: pose cache folder (None: the pose cache's default); ``use_pose_cache``.
    - ``events``: overrides of the run's event rules (threshold, hysteresis, ...); None keeps them.
    - ``flush_every_s``: wall seconds between partial-result flushes; ``resume``: use a partial.
    - ``queue_windows``: windows buffered between producer and model (0: 2 x batch size).
    - ``cpu_threads``: torch threads for the model on CPU during an analysis (0: one fewer than
      the cores, at least 1: the producer needs a core, and oversubscribed torch threads spin).
    - ``pose_workers``: on a pose-cache miss with a live backend, the track is first posed by
      this many processes (``inference.pose.parallel``) and cached; 1 runs the backend frame by
      frame in the producer instead (0: cores - 1, so 1 on a 2-core machine).
    - ``forecast_model``: a forecast ``classifier`` folder (``semioscope forecast finetune``);
      after the detector pass the engine adds its trace, P(onset within H s) over windows at
      ``stride_s``, to the result as trace ``"forecast"``. Not part of the resume key: a changed
      forecast model only recomputes that trace.
    """

    stride_s: float = 1.0
    batch_size: Union[int, str] = "auto"
    device: str = "auto"
    pose_backend: str = "mediapipe"
    pose: PoseConfig = field(default_factory=PoseConfig)
    keypoints: Optional[str] = None
    cache_dir: Optional[str] = None
    use_pose_cache: bool = True
    events: Optional[dict[str, float]] = None
    flush_every_s: float = 30.0
    resume: bool = True
    queue_windows: int = 0
    cpu_threads: int = 0
    pose_workers: int = 0  # pose processes on a pose-cache miss (0: cores - 1; 1: live, in the producer)
    forecast_model: Optional[str] = None

    def event_config(self, base: EventConfig) -> EventConfig:
        return base.replace(**{k: float(v) for k, v in (self.events or {}).items() if v is not None})


def auto_batch_size(model: WindowModel, frames_per_window: int) -> int:
    """Windows per batch: bounded by a memory budget for the clips (uint8 in, float inside the model)."""
    s_in = model.clip_config.input_size
    det_cfg = getattr(getattr(model, "model", None), "cfg", None)  # LoadedDetector -> CrossJointDetector
    s_model = int(getattr(det_cfg, "image_size", s_in))
    per_window = NUM_JOINTS * frames_per_window * 3 * (s_in * s_in + 8 * s_model * s_model)
    cuda = bool(getattr(getattr(model, "device", None), "is_cuda", False))
    budget, cap = (4 << 30, 128) if cuda else (256 << 20, 8)
    return int(max(1, min(cap, budget // per_window)))


def partial_path_for(out_path: str | Path) -> Path:
    """Where a run keeps its partial result for ``out_path`` (``<out>.partial``)."""
    out_path = Path(out_path)
    return out_path.with_name(out_path.name + PARTIAL_SUFFIX)


def keypoint_identity(cfg: EngineConfig, video: Path) -> tuple[dict[str, Any], Optional[Path], Any]:
    """What the keypoints come from, as stored in the result: ``(identity, keypoint file or
    None, pose backend or None)``. A changed file or backend parameter changes the identity."""
    backend_name = cfg.pose_backend
    spec = cfg.keypoints
    if spec is not None and spec != "file" and spec in available_backends():
        backend_name, spec = spec, None  # keypoints="mediapipe" names a pose backend, not a file
    if spec is not None:
        path = resolve_keypoint_file(spec, video)
        return ({"kind": "file", "file": path.name, "fingerprint": keypoints_fingerprint(path),
                 "pose": cfg.pose.to_dict()}, path, None)
    backend = get_backend(backend_name, cfg.pose)
    return ({"kind": "pose", "backend": backend.name, "params": json_roundtrip(backend.params()),
             "pose": cfg.pose.to_dict()}, None, backend)


def json_roundtrip(obj: Any) -> Any:
    """``obj`` as it reads back from a result file (tuples become lists, keys strings), so that a
    configuration built now compares equal to a stored one."""
    return json.loads(json.dumps(obj))


def resume_key(config: dict[str, Any]) -> dict[str, Any]:
    """The part of a stored analysis configuration that must match to resume a partial result or
    reuse a finished one: all but the event rules, which are cheap to recompute."""
    return {k: v for k, v in config.items() if k != "events"}

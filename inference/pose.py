"""Pose estimation behind one interface: a video in, a cleaned 14-joint ``KeypointTrack`` out.

A backend is a small stateful object that sees the sampled frames one by one, in time order
(the streaming engine calls it from a producer thread; ``estimate_track`` calls it for a whole
file). Tracking backends keep state between frames, so one backend instance serves one video.

Built-in backends (``get_backend(name, cfg)``):

- ``"mediapipe"``: MediaPipe Pose (legacy solution, model inside the wheel, offline), video
  mode with tracking. See ``inference.pose_mediapipe``.
- ``"file"``: keypoints from a file the user brings (OpenPose JSON folder, or a Semioscope /
  synthetic-sidecar ``.npz``); ``get_backend("file", cfg, keypoints_path=...)``. See
  ``inference.keypoint_import``.

Adding a backend, e.g. an ONNX pose model from a local file, without touching any caller::

    # my_onnx_pose.py
    import numpy as np, onnxruntime as ort
    from inference.pose import PoseBackend, register_backend

    class OnnxPose(PoseBackend):
        name = "onnx"
        def __init__(self, cfg, model_path="/models/pose.onnx"):
            self.cfg, self.model_path = cfg, model_path
        def params(self):            # everything that changes the output (cache key)
            return {"model": self.model_path, "model_sha": sha256_of(self.model_path)}
        def start(self, frame_size):
            self.session = ort.InferenceSession(self.model_path)
        def process(self, t, rgb):   # -> xy [14, 2] float32 pixels (NaN missing), conf [14]
            heatmaps = self.session.run(None, {"input": preprocess(rgb)})[0]
            return decode_to_14_joints(heatmaps, rgb.shape)   # map to inference.joints order
        def close(self):
            self.session = None

    register_backend("onnx", lambda cfg, **kw: OnnxPose(cfg, **kw))

Then ``PoseConfig(backend="onnx")`` works everywhere: ``estimate_track``, ``cached_track``
(its cache key includes ``params()``), the engine and ``semioscope pose --backend onnx`` once
the module is imported (list it in the ``SEMIOSCOPE_POSE_PLUGINS`` environment variable,
comma-separated module names, and it is imported on first use of the registry).
"""
from __future__ import annotations

import importlib
import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from .config import PoseConfig
from .errors import SemioscopeError
from .joints import NUM_JOINTS
from .keypoints import KeypointTrack
from .progress import CancelToken, ProgressFn, check_cancel, no_progress


class PoseBackend(ABC):
    """One pose model, used for one video: ``start`` -> ``process`` per frame -> ``close``.

    ``process(t, rgb)`` gets the sample time in seconds and an RGB uint8 ``[H, W, 3]`` frame and
    returns ``xy`` float32 ``[14, 2]`` (pixels, NaN where missing) and ``conf`` float32 ``[14]``
    in [0, 1] (0 where missing), joints in ``inference.joints.JOINT_NAMES`` order. Frames come
    in increasing time order; a backend may track across them.
    """

    name: str = "abstract"

    @abstractmethod
    def params(self) -> dict[str, Any]:
        """JSON-able parameters that change the output (part of the cache key)."""

    def start(self, frame_size: tuple[int, int]) -> None:
        """Prepare for a video of ``frame_size = (width, height)`` (load the model, reset tracking)."""
        self.frame_size = (int(frame_size[0]), int(frame_size[1]))

    @abstractmethod
    def process(self, t: float, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Keypoints of the patient in one frame: ``(xy [14, 2], conf [14])``."""

    def close(self) -> None:
        """Release the model."""

    def __enter__(self) -> "PoseBackend":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


BackendFactory = Callable[..., PoseBackend]
_REGISTRY: dict[str, BackendFactory] = {}
_PLUGINS_LOADED = False


def register_backend(name: str, factory: BackendFactory) -> None:
    """Make ``factory(cfg: PoseConfig, **kwargs) -> PoseBackend`` available as ``name``."""
    _REGISTRY[name] = factory


def _load_plugins() -> None:
    global _PLUGINS_LOADED
    if _PLUGINS_LOADED:
        return
    _PLUGINS_LOADED = True
    for mod in filter(None, (m.strip() for m in os.environ.get("SEMIOSCOPE_POSE_PLUGINS", "").split(","))):
        importlib.import_module(mod)


def available_backends() -> list[str]:
    _load_plugins()
    return sorted(_REGISTRY)


def get_backend(name: str, cfg: PoseConfig = PoseConfig(), **kwargs: Any) -> PoseBackend:
    """A fresh backend instance. Extra keyword arguments go to the factory
    (``keypoints_path`` for ``"file"``). Unknown names raise a ``SemioscopeError``."""
    _load_plugins()
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise SemioscopeError(f"unknown pose backend {name!r}; available: {', '.join(sorted(_REGISTRY))}") from None
    return factory(cfg, **kwargs)


def empty_pose() -> tuple[np.ndarray, np.ndarray]:
    """``(xy, conf)`` of a frame with nobody found."""
    return (np.full((NUM_JOINTS, 2), np.nan, dtype=np.float32), np.zeros(NUM_JOINTS, dtype=np.float32))


def _mediapipe_factory(cfg: PoseConfig, **kwargs: Any) -> PoseBackend:
    from .pose_mediapipe import MediaPipePoseBackend

    return MediaPipePoseBackend(cfg, **kwargs)


def _file_factory(cfg: PoseConfig, keypoints_path: str | Path | None = None, **kwargs: Any) -> PoseBackend:
    from .keypoint_import import FileKeypointBackend

    return FileKeypointBackend(cfg, keypoints_path=keypoints_path, **kwargs)


register_backend("mediapipe", _mediapipe_factory)
register_backend("file", _file_factory)


def estimate_track(video_path: str | Path, cfg: PoseConfig = PoseConfig(), fps: float = 6.0,
                   progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None,
                   keypoints_path: str | Path | None = None, backend: Optional[PoseBackend] = None,
                   clean: bool = True, start_s: float = 0.0, end_s: Optional[float] = None
                   ) -> KeypointTrack:
    """Sample ``video_path`` by time at ``fps``, run the pose backend, then clean the track.

    The track has one sample per sampling instant (``FrameIndex.sample_times`` between
    ``start_s`` and ``end_s``, default the whole video), so its time grid is regular; instants
    whose frame cannot be decoded are missing (conf 0) and go through the same gap rules as
    undetected joints (``meta["decode_failures"]`` counts them). For ``cfg.backend == "file"``
    the keypoints come from ``keypoints_path`` (default: the synthetic sidecar
    ``<video>.keypoints.npz``) and the video is only indexed, not decoded. ``clean=False``
    returns the raw backend output (what the pose cache stores). ``backend``: use this instance
    instead of ``get_backend(cfg.backend, cfg)``; it is closed at the end.
    """
    from .track_cleaning import clean_track
    from .video import VideoReader

    progress = progress or no_progress
    if backend is None:
        extra = {"keypoints_path": keypoints_path, "video_path": video_path} if cfg.backend == "file" else {}
        backend = get_backend(cfg.backend, cfg, **extra)
    with VideoReader(video_path) as reader:
        times, frames = reader.index.sample(fps, start_s, end_s)
        frame_size = (reader.meta.width, reader.meta.height)
        n = len(times)
        xy = np.full((n, NUM_JOINTS, 2), np.nan, dtype=np.float32)
        conf = np.zeros((n, NUM_JOINTS), dtype=np.float32)
        seen = np.zeros(n, dtype=bool)
        progress(0, n, "pose")
        if getattr(backend, "needs_frames", True):
            backend.start(frame_size)
        else:  # an OpenPose folder holds one file per video frame: give it the frame times
            backend.start(frame_size, times=reader.index.pts_s)  # type: ignore[call-arg]
        try:
            if getattr(backend, "needs_frames", True):
                for t, _, rgb in reader.iter_sampled(fps, start_s, end_s):
                    check_cancel(cancel)
                    k = int(np.searchsorted(times, t - 1e-9))
                    xy[k], conf[k] = backend.process(t, rgb)
                    seen[k] = True
                    progress(k + 1, n, "pose")
            else:  # keypoints from a file: ask at each frame's presentation time
                pts = reader.index.pts_s[frames]
                for k in range(n):
                    check_cancel(cancel)
                    xy[k], conf[k] = backend.process(float(pts[k]), None)  # type: ignore[arg-type]
                seen[:] = True
                progress(n, n, "pose")
        finally:
            backend.close()
    raw = KeypointTrack(times, xy, conf, frame_size, source=backend.name,
                        meta={"backend": backend.name, "backend_params": backend.params(),
                              "fps": float(fps), "video": str(video_path),
                              "decode_failures": int((~seen).sum())})
    if not clean:
        return raw
    track = clean_track(raw, cfg)
    track.meta["cleaning"] = cfg.to_dict()
    return track

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
from pathlib import Path
from typing import Any, Callable

from inference.core.config import PoseConfig
from inference.core.errors import SemioscopeError
from inference.pose.backend import PoseBackend
from inference.pose.keypoint_files import FileKeypointBackend
from inference.pose.mediapipe_backend import MediaPipePoseBackend

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


def _mediapipe_factory(cfg: PoseConfig, **kwargs: Any) -> PoseBackend:
    return MediaPipePoseBackend(cfg, **kwargs)


def _file_factory(cfg: PoseConfig, keypoints_path: str | Path | None = None, **kwargs: Any) -> PoseBackend:
    return FileKeypointBackend(cfg, keypoints_path=keypoints_path, **kwargs)


register_backend("mediapipe", _mediapipe_factory)
register_backend("file", _file_factory)



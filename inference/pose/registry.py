"""Pose estimation behind one interface: a video in, a cleaned 14-joint ``KeypointTrack`` out.

A backend is a small stateful object that sees the sampled frames one by one, in time order
(the streaming engine calls it from a producer thread; ``estimate_track`` calls it for a whole
file). Tracking backends keep state between frames, so one backend instance serves one video.

Built-in backends (``get_backend(name, cfg)``):

- ``"mediapipe"``: MediaPipe Pose (legacy solution, model inside the wheel, offline), video
  mode with tracking. See ``inference.pose.mediapipe_backend``.
- ``"onnx"``: a top-down RTMPose / ViTPose model from a local ``.onnx`` file
  (``PoseConfig.onnx_model``) through onnxruntime, CUDA when present, batched over frames. See
  ``inference.pose.onnx_backend``.
- ``"file"``: keypoints from a file the user brings (OpenPose JSON folder, or a Semioscope /
  synthetic-sidecar ``.npz``); ``get_backend("file", cfg, keypoints_path=...)``. See
  ``inference.pose.keypoint_files``.

Adding a backend without touching any caller::

    # my_pose.py
    import numpy as np
    from inference.pose.backend import PoseBackend
    from inference.pose.registry import register_backend

    class MyPose(PoseBackend):
        name = "my-pose"
        def __init__(self, cfg, **kwargs):
            self.cfg = cfg
        def params(self):            # everything that changes the output (cache key)
            return {"model": "my-pose-v1"}
        def start(self, frame_size):
            self.model = load_my_model()
        def process(self, t, rgb):   # -> xy [14, 2] float32 pixels (NaN missing), conf [14]
            return run_and_map_to_14_joints(self.model, rgb)   # inference.pose.joints order
        def close(self):
            self.model = None

    register_backend("my-pose", lambda cfg, **kw: MyPose(cfg, **kw))

Then ``PoseConfig(backend="my-pose")`` works everywhere: ``estimate_track``, ``cached_track``
(its cache key includes ``params()``), the engine and ``semioscope pose --backend my-pose`` once
the module is imported (list it in the ``SEMIOSCOPE_POSE_PLUGINS`` environment variable,
comma-separated module names, and it is imported on first use of the registry). A backend that
is faster on several frames at once sets ``batch_size`` and overrides ``process_batch``.
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
from inference.pose.onnx_backend import OnnxPoseBackend

BackendFactory = Callable[..., PoseBackend]
_REGISTRY: dict[str, BackendFactory] = {}
_PLUGINS_LOADED = False
#: Backends that use the whole machine from one process (all cores, or a GPU) and batch frames:
#: callers pose with them in one process unless the user asks for more (``one_process_backend``).
_ONE_PROCESS = {"onnx"}


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


def one_process_backend(name: str) -> bool:
    """Whether ``name`` should pose a video in one process by default (no parallel chunks): its
    model already uses every core or a GPU, and K copies of it would only compete."""
    return name in _ONE_PROCESS


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


def _onnx_factory(cfg: PoseConfig, **kwargs: Any) -> PoseBackend:
    return OnnxPoseBackend(cfg, **kwargs)


register_backend("mediapipe", _mediapipe_factory)
register_backend("onnx", _onnx_factory)
register_backend("file", _file_factory)



"""The ``--keypoints`` / ``--pose-model`` options shared by ``analyze`` and ``train``."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional

from inference.core.errors import SemioscopeError


def add_keypoints_options(p: argparse.ArgumentParser, default: str, keypoints_help: str) -> None:
    """``--keypoints`` (a pose backend or a keypoint source) and ``--pose-model`` (its ONNX model)."""
    p.add_argument("--keypoints", default=default, metavar="gt|mediapipe|onnx|PATH", help=keypoints_help)
    p.add_argument("--pose-model", metavar="FILE.onnx",
                   help="the ONNX pose model (RTMPose/ViTPose, top-down) of --keypoints onnx")


def pose_model_path(args: argparse.Namespace, backend: str) -> Optional[str]:
    """The resolved ``--pose-model`` (None when not given); it belongs to ``--keypoints onnx`` only."""
    model = getattr(args, "pose_model", None)
    if not model:
        return None
    if backend != "onnx":
        raise SemioscopeError("--pose-model is the model of --keypoints onnx")
    return str(Path(model).expanduser().resolve())

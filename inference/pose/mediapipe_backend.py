"""MediaPipe Pose as a ``PoseBackend``: 33 BlazePose landmarks mapped to the 14 joints.

Uses the legacy ``mediapipe.solutions.pose`` of mediapipe 0.10.21, whose models ship inside the
wheel, so it runs offline (the wheel ships only the model of ``model_complexity=1``; the others
raise a clear error rather than letting mediapipe download them). ``static_image_mode=False`` is video mode: the detector runs once,
then landmarks are tracked from frame to frame (faster, steadier). One instance per video.

Mapping: head = nose (0); neck = midpoint of the shoulders (11, 12); the other joints map
directly. Confidence = landmark visibility (the neck takes the smaller of the two shoulders').
MediaPipe names sides from the person's point of view, like our joints: for a person facing the
camera, the *right* shoulder appears on the image's *left*.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from inference.core.config import PoseConfig
from inference.core.errors import SemioscopeError
from inference.pose.backend import PoseBackend, empty_pose
from inference.pose.joints import keypoints_to_joints

# Our joint -> BlazePose landmark index (the neck is the midpoint of the shoulders).
_BLAZEPOSE: dict[str, int] = {
    "head": 0,  # nose
    "right_shoulder": 12, "left_shoulder": 11,
    "right_elbow": 14, "left_elbow": 13,
    "right_wrist": 16, "left_wrist": 15,
    "right_hip": 24, "left_hip": 23,
    "right_knee": 26, "left_knee": 25,
    "right_ankle": 28, "left_ankle": 27,
}


def landmarks_to_joints(lm_xyv: np.ndarray, frame_size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """``lm_xyv``: ``[33, 3]`` (x, y normalised to the image, visibility) -> ``(xy [14, 2] px, conf [14])``."""
    px = lm_xyv[:, :2] * np.array(frame_size, dtype=np.float64)
    return keypoints_to_joints(px, np.clip(lm_xyv[:, 2], 0.0, 1.0), _BLAZEPOSE)


_MODEL_FILES = {0: "pose_landmark_lite.tflite", 1: "pose_landmark_full.tflite", 2: "pose_landmark_heavy.tflite"}


def model_file(model_complexity: int) -> Path:
    """Where mediapipe looks for the landmark model of ``model_complexity``."""
    import mediapipe  # mediapipe is heavy (TensorFlow Lite, OpenCV): loaded only when this backend runs

    if model_complexity not in _MODEL_FILES:
        raise SemioscopeError(f"MediaPipe model_complexity must be 0, 1 or 2, got {model_complexity}")
    return Path(mediapipe.__file__).parent / "modules" / "pose_landmark" / _MODEL_FILES[model_complexity]


def check_model_available(model_complexity: int) -> Path:
    """The model file, or a clear error instead of mediapipe's silent download at run time.

    The wheel ships only the ``full`` model (complexity 1); ``lite`` (0) and ``heavy`` (2) are
    fetched from the internet by mediapipe, which Semioscope never does on its own.
    """
    path = model_file(model_complexity)
    if not path.exists():
        raise SemioscopeError(
            f"MediaPipe model_complexity={model_complexity} needs {path.name}, which the mediapipe wheel does "
            f"not ship and Semioscope does not download; use model_complexity=1, or copy the file to {path}")
    return path


class MediaPipePoseBackend(PoseBackend):
    """MediaPipe Pose, video mode with tracking (``PoseConfig.model_complexity`` 0, 1 or 2)."""

    name = "mediapipe"

    def __init__(self, cfg: PoseConfig = PoseConfig(), min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5, smooth_landmarks: bool | None = None):
        self.cfg = cfg
        self.min_detection_confidence = float(min_detection_confidence)
        self.min_tracking_confidence = float(min_tracking_confidence)
        self.smooth_landmarks = bool(cfg.landmark_smoothing if smooth_landmarks is None else smooth_landmarks)
        self._pose = None
        self.frame_size = (0, 0)

    def params(self) -> dict[str, Any]:
        import mediapipe  # mediapipe is heavy (TensorFlow Lite, OpenCV): loaded only when this backend runs

        return {
            "model_complexity": int(self.cfg.model_complexity),
            "min_detection_confidence": self.min_detection_confidence,
            "min_tracking_confidence": self.min_tracking_confidence,
            "smooth_landmarks": self.smooth_landmarks,
            "mediapipe_version": mediapipe.__version__,
        }

    def start(self, frame_size: tuple[int, int]) -> None:
        import mediapipe as mp  # mediapipe is heavy (TensorFlow Lite, OpenCV): loaded only when this backend runs

        super().start(frame_size)
        self.close()
        check_model_available(int(self.cfg.model_complexity))
        self._pose = mp.solutions.pose.Pose(
            static_image_mode=False,
            model_complexity=int(self.cfg.model_complexity),
            smooth_landmarks=self.smooth_landmarks,
            enable_segmentation=False,
            min_detection_confidence=self.min_detection_confidence,
            min_tracking_confidence=self.min_tracking_confidence,
        )

    def process(self, t: float, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self._pose is None:
            self.start((rgb.shape[1], rgb.shape[0]))
        result = self._pose.process(np.ascontiguousarray(rgb))
        if result.pose_landmarks is None:
            return empty_pose()
        lm = np.array([(p.x, p.y, p.visibility) for p in result.pose_landmarks.landmark], dtype=np.float64)
        return landmarks_to_joints(lm, (rgb.shape[1], rgb.shape[0]))

    def close(self) -> None:
        if self._pose is not None:
            self._pose.close()
            self._pose = None

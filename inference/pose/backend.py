"""The pose backend protocol: one pose model used for one video (``start`` -> ``process`` or
``process_batch`` -> ``close``)."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from inference.pose.joints import NUM_JOINTS


class PoseBackend(ABC):
    """One pose model, used for one video: ``start`` -> ``process`` per frame -> ``close``.

    ``process(t, rgb)`` gets the sample time in seconds and an RGB uint8 ``[H, W, 3]`` frame and
    returns ``xy`` float32 ``[14, 2]`` (pixels, NaN where missing) and ``conf`` float32 ``[14]``
    in [0, 1] (0 where missing), joints in ``inference.joints.JOINT_NAMES`` order. Frames come
    in increasing time order; a backend may track across them.

    Batching (optional): a backend whose model is faster on several frames at once sets
    ``batch_size`` > 1 and overrides ``process_batch``; ``estimate_track`` then gathers that many
    sampled frames per call (the last call may get fewer). Its output must not depend on how the
    frames were grouped into calls beyond what the backend documents (the streaming engine still
    calls ``process`` frame by frame). Others keep ``batch_size = 1`` and get ``process`` per frame.
    """

    name: str = "abstract"
    batch_size: int = 1  # frames per ``process_batch`` call that ``estimate_track`` gathers

    @abstractmethod
    def params(self) -> dict[str, Any]:
        """JSON-able parameters that change the output (part of the cache key)."""

    def start(self, frame_size: tuple[int, int]) -> None:
        """Prepare for a video of ``frame_size = (width, height)`` (load the model, reset tracking)."""
        self.frame_size = (int(frame_size[0]), int(frame_size[1]))

    @abstractmethod
    def process(self, t: float, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Keypoints of the patient in one frame: ``(xy [14, 2], conf [14])``."""

    def process_batch(self, times: np.ndarray, frames: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Keypoints of consecutive frames: ``times [N]``, ``frames`` N RGB uint8 ``[H, W, 3]`` ->
        ``(xy [N, 14, 2], conf [N, 14])``. The default calls ``process`` on each frame."""
        out = [self.process(float(t), rgb) for t, rgb in zip(times, frames)]
        if not out:
            return np.zeros((0, NUM_JOINTS, 2), np.float32), np.zeros((0, NUM_JOINTS), np.float32)
        return np.stack([o[0] for o in out]), np.stack([o[1] for o in out])

    def runtime(self) -> dict[str, Any]:
        """JSON-able facts about how the model ran that do not change its output (e.g. the
        execution provider actually used); stored in the track's meta, not in the cache key."""
        return {}

    def close(self) -> None:
        """Release the model."""

    def __enter__(self) -> "PoseBackend":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def empty_pose() -> tuple[np.ndarray, np.ndarray]:
    """``(xy, conf)`` of a frame with nobody found."""
    return (np.full((NUM_JOINTS, 2), np.nan, dtype=np.float32), np.zeros(NUM_JOINTS, dtype=np.float32))



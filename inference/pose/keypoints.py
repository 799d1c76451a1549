"""KeypointTrack: the 14-joint track of the patient, the one structure pose, clips, engine and GUI share.

Stored as ``.npz`` (no pickles) with a JSON header; readable without torch.
"""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from inference.core.atomic import atomic_write
from inference.core.errors import InputFileError
from inference.core.versioned_json import check_format_header
from inference.pose.joints import JOINT_NAMES, NUM_JOINTS

TRACK_FORMAT = "semioscope.keypoints"
TRACK_VERSION = 1


def deterministic_npz(arrays: dict[str, np.ndarray]) -> bytes:
    """A compressed ``.npz`` (readable by ``np.load``) whose bytes depend only on the arrays.

    ``np.savez_compressed`` stamps the current time into each zip entry, so identical data gives
    different files; fixed entry dates make same-seed outputs byte-identical.
    """

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w") as entry:
                np.lib.format.write_array(entry, np.asarray(arr), allow_pickle=False)
    return buf.getvalue()


@dataclass
class KeypointTrack:
    """A 14-joint track sampled at ``times``.

    - ``times``: ``[T]`` float64 seconds from video start, increasing.
    - ``xy``: ``[T, 14, 2]`` float32 pixel coordinates (x right, y down); NaN where unknown.
    - ``conf``: ``[T, 14]`` float32 in [0, 1]; 0 means missing/occluded. For the synthetic ground
      truth this is the visibility flag (1 visible, 0 occluded) and ``xy`` stays the true position.
    - ``frame_size``: ``(width, height)`` of the video in pixels.
    - ``source``: which backend produced it ("mediapipe", "openpose", "synthetic-gt", ...).
    - ``meta``: free JSON-able details (backend parameters, video fingerprint, ...).
    """

    times: np.ndarray
    xy: np.ndarray
    conf: np.ndarray
    frame_size: tuple[int, int]
    source: str = "unknown"
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.times = np.asarray(self.times, dtype=np.float64)
        self.xy = np.asarray(self.xy, dtype=np.float32)
        self.conf = np.asarray(self.conf, dtype=np.float32)
        T = len(self.times)
        if self.xy.shape != (T, NUM_JOINTS, 2):
            raise ValueError(f"xy must be [T={T}, {NUM_JOINTS}, 2], got {self.xy.shape}")
        if self.conf.shape != (T, NUM_JOINTS):
            raise ValueError(f"conf must be [T={T}, {NUM_JOINTS}], got {self.conf.shape}")
        self.frame_size = (int(self.frame_size[0]), int(self.frame_size[1]))

    def __len__(self) -> int:
        return len(self.times)

    def valid(self, min_conf: float = 1e-6) -> np.ndarray:
        """``[T, 14]`` bool: joint present (confident and with finite coordinates)."""
        return (self.conf >= min_conf) & np.isfinite(self.xy).all(axis=-1)

    def normalised_xy(self) -> np.ndarray:
        """``[T, 14, 2]`` coordinates divided by frame width/height."""
        w, h = self.frame_size
        return self.xy / np.array([w, h], dtype=np.float32)

    def nearest_indices(self, times: np.ndarray) -> np.ndarray:
        """Index of the sample nearest to each requested time."""
        times = np.asarray(times, dtype=np.float64)
        if len(self.times) == 0:
            raise ValueError("empty track")
        i = np.searchsorted(self.times, times)
        i = np.clip(i, 1, max(len(self.times) - 1, 1))
        left = self.times[i - 1]
        right = self.times[np.minimum(i, len(self.times) - 1)]
        choose_left = np.abs(times - left) <= np.abs(right - times)
        return np.where(choose_left, i - 1, i).clip(0, len(self.times) - 1)

    def resample(self, times: np.ndarray, tolerance_s: float | None = None) -> "KeypointTrack":
        """Nearest-sample resampling at ``times``; samples further than ``tolerance_s`` are missing."""
        idx = self.nearest_indices(times)
        xy = self.xy[idx].copy()
        conf = self.conf[idx].copy()
        if tolerance_s is not None and len(self.times):
            far = np.abs(self.times[idx] - np.asarray(times)) > tolerance_s
            conf[far] = 0.0
            xy[far] = np.nan
        return KeypointTrack(np.asarray(times, dtype=np.float64), xy, conf, self.frame_size,
                             self.source, dict(self.meta))

    def slice_time(self, start_s: float, end_s: float) -> "KeypointTrack":
        m = (self.times >= start_s) & (self.times < end_s)
        return KeypointTrack(self.times[m], self.xy[m], self.conf[m], self.frame_size,
                             self.source, dict(self.meta))

    # -- files ------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        header = {
            "format": TRACK_FORMAT,
            "version": TRACK_VERSION,
            "joints": list(JOINT_NAMES),
            "frame_size": list(self.frame_size),
            "source": self.source,
            "meta": self.meta,
        }

        arrays = {"header": np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
                  "times": self.times, "xy": self.xy, "conf": self.conf}
        return atomic_write(path, lambda fh: fh.write(deterministic_npz(arrays)))

    @classmethod
    def load(cls, path: str | Path) -> "KeypointTrack":
        path = Path(path)
        if not path.exists():
            raise InputFileError(path, "keypoint file not found")
        try:
            with np.load(path, allow_pickle=False) as z:
                header = json.loads(bytes(z["header"]).decode())
                times, xy, conf = z["times"], z["xy"], z["conf"]
        except Exception as exc:
            raise InputFileError(path, f"not a readable Semioscope keypoint file ({type(exc).__name__}: {exc})") from None
        check_format_header(header, path, TRACK_FORMAT, TRACK_VERSION, InputFileError, what="keypoint file")
        if list(header.get("joints", [])) != list(JOINT_NAMES):
            raise InputFileError(path, "keypoint file uses a different joint set")
        try:
            return cls(times, xy, conf, tuple(header["frame_size"]), header.get("source", "unknown"),
                       header.get("meta", {}))
        except ValueError as exc:
            raise InputFileError(path, f"malformed keypoint arrays: {exc}") from None

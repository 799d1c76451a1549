"""Whole frames for the frame baselines: every recording sampled at the clips' own grid (sample
``k`` at ``k / fps``, as ``training.data.RecordingClips``), resized to a square, and its dense
optical flow (OpenCV Farnebäck between consecutive samples), cached on disk by the video's
content so a benchmark reruns without decoding.

Cache: ``<cache root>/frames/<fingerprint>-<fps>fps-<size>.npz`` holding ``frames`` uint8
``[N, S, S, 3]``, ``decoded`` bool ``[N]`` and ``flow`` float16 ``[N, S, S, 2]`` (flow of sample
k from k - 1; zero for the first and after an undecodable sample).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import cv2
import numpy as np

from inference.core.atomic import atomic_write_bytes
from inference.core.cache import cache_root
from inference.core.fingerprint import file_fingerprint
from inference.core.progress import CancelToken, check_cancel
from inference.video.reader import VideoReader

FRAMES = "frames"


@dataclass
class RecordingFrames:
    recording_id: str
    fps: float
    frames: np.ndarray  # uint8 [N, S, S, 3]
    flow: np.ndarray  # float16 [N, S, S, 2]
    decoded: np.ndarray  # bool [N]

    def start_index(self, start_s: float) -> int:
        return int(round(start_s * self.fps))

    def window(self, start_s: float, n_frames: int, kind: str) -> Optional[np.ndarray]:
        """``[T, S, S, 3]`` frames or ``[T, S, S, 2]`` flow, or None when the window does not fit."""
        a = self.start_index(start_s)
        b = a + n_frames
        if a < 0 or b > len(self.decoded) or not bool(np.all(self.decoded[a:b])):
            return None
        return np.ascontiguousarray((self.flow if kind == "flow" else self.frames)[a:b])


def dense_flow(frames: np.ndarray, decoded: np.ndarray) -> np.ndarray:
    """Farnebäck flow of each sample from the one before (pixels of the resized frame)."""
    n, s = len(frames), frames.shape[1]
    flow = np.zeros((n, s, s, 2), np.float16)
    prev = None
    for k in range(n):
        if not decoded[k]:
            prev = None
            continue
        gray = cv2.cvtColor(frames[k], cv2.COLOR_RGB2GRAY)
        if prev is not None:
            flow[k] = cv2.calcOpticalFlowFarneback(prev, gray, None, 0.5, 2, 9, 3, 5, 1.1, 0).astype(np.float16)
        prev = gray
    return flow


def recording_frames(recording_id: str, video: str | Path, fps: float, size: int,
                     cache_dir: Optional[str | Path] = None, cancel: Optional[CancelToken] = None) -> RecordingFrames:
    """The sampled, resized frames and flow of ``video`` (from the cache when it has them)."""
    video = Path(video)
    folder = Path(cache_dir) / FRAMES if cache_dir else cache_root() / FRAMES
    path = folder / f"{file_fingerprint(video)}-{fps:g}fps-{size}.npz"
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as z:
                return RecordingFrames(recording_id, fps, z["frames"], z["flow"], z["decoded"])
        except Exception:  # a damaged entry is rebuilt
            pass
    with VideoReader(video) as reader:
        grid = reader.index.sample_times(fps)
        frames = np.zeros((len(grid), size, size, 3), np.uint8)
        decoded = np.zeros(len(grid), bool)
        for t, _fi, rgb in reader.iter_sampled(fps):
            j = int(np.searchsorted(grid, t - 1e-6))
            if j >= len(grid) or abs(grid[j] - t) > 1e-4:
                continue
            if j % 256 == 0:
                check_cancel(cancel)
            frames[j] = cv2.resize(rgb, (size, size), interpolation=cv2.INTER_AREA)
            decoded[j] = True
    flow = dense_flow(frames, decoded)
    buf = io.BytesIO()
    np.savez(buf, frames=frames, flow=flow, decoded=decoded)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buf.getvalue())
    return RecordingFrames(recording_id, fps, frames, flow, decoded)

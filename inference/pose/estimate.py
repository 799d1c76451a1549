"""Pose for a whole video: sample by time, run a backend, clean the track."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from inference.core.config import PoseConfig
from inference.core.progress import CancelToken, ProgressFn, check_cancel, no_progress
from inference.pose.backend import PoseBackend
from inference.pose.cleaning import clean_track
from inference.pose.joints import NUM_JOINTS
from inference.pose.keypoints import KeypointTrack
from inference.pose.registry import get_backend
from inference.video.reader import VideoReader


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
    instead of ``get_backend(cfg.backend, cfg)``; it is closed at the end. A backend with
    ``batch_size`` > 1 gets the sampled frames in groups of that size (``process_batch``), the
    others one by one (``process``); ``meta["backend_runtime"]`` holds ``backend.runtime()``.
    """

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
        runtime: dict = {}
        try:
            if getattr(backend, "needs_frames", True):
                batch = max(1, int(getattr(backend, "batch_size", 1)))
                pending: list[tuple[int, float, np.ndarray]] = []
                for t, _, rgb in reader.iter_sampled(fps, start_s, end_s):
                    check_cancel(cancel)
                    pending.append((int(np.searchsorted(times, t - 1e-9)), t, rgb))
                    if len(pending) >= batch:
                        _pose_frames(backend, pending, xy, conf, seen)
                        progress(pending[-1][0] + 1, n, "pose")
                        pending = []
                if pending:
                    _pose_frames(backend, pending, xy, conf, seen)
                    progress(pending[-1][0] + 1, n, "pose")
            else:  # keypoints from a file: ask at each frame's presentation time
                pts = reader.index.pts_s[frames]
                for k in range(n):
                    check_cancel(cancel)
                    xy[k], conf[k] = backend.process(float(pts[k]), None)  # type: ignore[arg-type]
                seen[:] = True
                progress(n, n, "pose")
            runtime = dict(getattr(backend, "runtime", dict)())
        finally:
            backend.close()
    raw = KeypointTrack(times, xy, conf, frame_size, source=backend.name,
                        meta={"backend": backend.name, "backend_params": backend.params(),
                              "fps": float(fps), "video": str(video_path),
                              "decode_failures": int((~seen).sum()),
                              **({"backend_runtime": runtime} if runtime else {})})
    if not clean:
        return raw
    track = clean_track(raw, cfg)
    track.meta["cleaning"] = cfg.to_dict()
    return track


def _pose_frames(backend: PoseBackend, pending: list[tuple[int, float, np.ndarray]], xy: np.ndarray,
                 conf: np.ndarray, seen: np.ndarray) -> None:
    """Pose ``pending`` = ``[(sample index, time, rgb)]``: one ``process`` call for a single frame
    with a backend that does not batch, else one ``process_batch`` call."""
    index = [k for k, _, _ in pending]
    if len(pending) == 1 and int(getattr(backend, "batch_size", 1)) <= 1:
        k, t, rgb = pending[0]
        xy[k], conf[k] = backend.process(t, rgb)
    else:
        bxy, bconf = backend.process_batch(np.array([t for _, t, _ in pending]), [f for _, _, f in pending])
        xy[index], conf[index] = bxy, bconf
    seen[index] = True

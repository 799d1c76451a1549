"""What one analysis run knows about its video and fills in as it goes.

:class:`RunState` is the run's shared memory: the sampling grid, the windows cut from it, the
per-window outputs and the per-sample keypoints. The producer thread writes the per-sample arrays
(``decoded``, ``kp_xy``, ``kp_conf``; each sample once, in order), the consumer writes the
per-window ones (``prob``, ``att``, ``reasons``); resume and result assembly read them.
:func:`open_run_state` lays it out, :func:`open_keypoint_source` says where the keypoints come from.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np

from inference.analysis.settings import EngineConfig, keypoint_identity
from inference.core.config import PoseConfig, SegmentConfig
from inference.core.errors import InputFileError, VideoError
from inference.core.fingerprint import file_fingerprint
from inference.core.progress import CancelToken, ProgressFn
from inference.pose.cache import cached_track, store_track
from inference.pose.cleaning import clean_track
from inference.pose.joints import NUM_JOINTS
from inference.pose.keypoint_files import load_keypoints
from inference.pose.keypoints import KeypointTrack
from inference.pose.parallel import default_pose_workers, estimate_track_parallel
from inference.results.result_file import ResultChunk
from inference.video.index import VideoMeta
from inference.video.reader import VideoReader


@dataclass(eq=False)
class KeypointSource:
    """Where a run's keypoints come from: a keypoint file, the pose cache, or a live pose backend."""

    identity: dict[str, Any]  # as stored in the result's configuration
    pose_cfg: PoseConfig
    backend: Any = None  # the live pose backend; None when the keypoints are known up front
    track: Optional[KeypointTrack] = None  # the whole video's cleaned track, when known up front
    raw_source: str = "unknown"  # the known track's source

    @property
    def name(self) -> str:
        return self.backend.name if self.backend is not None else self.raw_source

    def close(self) -> None:
        """Stop the live backend; the object stays, as its name and parameters go into the pose cache."""
        if self.backend is not None:
            self.backend.close()


@dataclass(eq=False)
class RunState:
    """The sampling grid and windows of one video, and the arrays a run fills in."""

    video_path: Path
    reader: VideoReader
    fingerprint: str
    fps: float  # sampling rate of the grid
    window_len: int  # samples per window
    step: int  # samples between window starts (the stride)
    grid: np.ndarray  # sampling instants [n_samples], seconds
    starts: np.ndarray  # window starts [n_windows], seconds
    ends: np.ndarray  # window ends [n_windows], seconds
    keypoints: Optional[KeypointSource] = None
    # Per window: probability and attention (NaN until analysed), and why a window has no value.
    prob: np.ndarray = field(init=False)
    att: np.ndarray = field(init=False)
    reasons: dict[int, str] = field(default_factory=dict)
    # Per sample: keypoints (raw, before cleaning) and whether the frame was decoded.
    kp_xy: np.ndarray = field(init=False)
    kp_conf: np.ndarray = field(init=False)
    decoded: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        n_samples, n_windows = len(self.grid), len(self.starts)
        self.prob = np.full(n_windows, np.nan, dtype=np.float32)
        self.att = np.full((n_windows, NUM_JOINTS), np.nan, dtype=np.float32)
        self.kp_xy = np.full((n_samples, NUM_JOINTS, 2), np.nan, dtype=np.float32)
        self.kp_conf = np.zeros((n_samples, NUM_JOINTS), dtype=np.float32)
        self.decoded = np.zeros(n_samples, dtype=bool)

    @property
    def meta(self) -> VideoMeta:
        return self.reader.meta

    @property
    def frame_size(self) -> tuple[int, int]:
        return (self.meta.width, self.meta.height)

    @property
    def n_windows(self) -> int:
        return len(self.starts)

    @property
    def n_samples(self) -> int:
        return len(self.grid)

    def chunk(self, a: int, b: int) -> ResultChunk:
        """Windows ``[a, b)`` as a chunk for the caller (copies: the arrays keep filling)."""
        return ResultChunk(a, self.starts[a:b].copy(), self.ends[a:b].copy(), self.prob[a:b].copy(),
                           self.att[a:b].copy(), self.n_windows, float(self.ends[b - 1]))

    def close(self) -> None:
        """Release the pose backend and the decoder (the arrays stay readable)."""
        if self.keypoints is not None:
            self.keypoints.close()
        self.reader.close()


def open_run_state(video_path: Path, segments: SegmentConfig, config: EngineConfig) -> RunState:
    """Open the video and lay out its windows (the keypoint source comes next, from
    :func:`open_keypoint_source`). Raises ``VideoError`` when the readable part is shorter than
    one window."""
    fps = float(segments.fps)
    window_len = segments.frames_per_window
    step = max(1, int(round(config.stride_s * fps)))
    reader = VideoReader(video_path)
    try:
        fingerprint = file_fingerprint(video_path)
        grid = reader.index.sample_times(fps)
        if len(grid) < window_len:
            raise VideoError(video_path, f"readable part is {reader.meta.duration_s:.2f} s, shorter than one "
                                         f"{segments.window_s:g} s analysis window")
    except BaseException:
        reader.close()
        raise
    n_windows = (len(grid) - window_len) // step + 1
    starts = grid[np.arange(n_windows) * step]
    return RunState(video_path, reader, fingerprint, fps, window_len, step, grid, starts, starts + segments.window_s)


def open_keypoint_source(state: RunState, config: EngineConfig, progress: Optional[ProgressFn] = None,
                         cancel: Optional[CancelToken] = None) -> KeypointSource:
    """Set ``state.keypoints``: a keypoint file or a pose-cache hit gives the whole track now (and
    fills the state's raw keypoints); so does a cache miss with ``config.pose_workers`` > 1 (posed
    in parallel first, then cached); otherwise the live backend runs frame by frame in the
    producer. ``state.close()`` releases the backend, also when this fails half-way."""
    identity, kp_file, backend = keypoint_identity(config, state.video_path)
    source = state.keypoints = KeypointSource(identity, config.pose, backend)
    if kp_file is not None:
        track = load_keypoints(kp_file, frame_size=state.frame_size, times=state.reader.index.pts_s)
        _use_whole_track(state, source, track)
    elif config.use_pose_cache:
        track = cached_track(state.video_path, backend, config.pose, cache_dir=config.cache_dir,
                             fingerprint=state.fingerprint, fps=state.fps)
        workers = config.pose_workers or default_pose_workers()
        if track is None and workers > 1:
            report = None if progress is None else (
                lambda done, total, msg="": progress(done / state.fps, total / state.fps, "pose"))
            track = estimate_track_parallel(state.video_path, config.pose.replace(backend=backend.name),
                                            state.fps, workers, progress=report, cancel=cancel)
            store_track(state.video_path, backend, config.pose, track, cache_dir=config.cache_dir,
                        fingerprint=state.fingerprint, fps=state.fps)
        if track is not None:
            backend.close()
            source.backend = None
            _use_whole_track(state, source, track)
    return source


def _use_whole_track(state: RunState, source: KeypointSource, track: KeypointTrack) -> None:
    w, h = state.frame_size
    if tuple(track.frame_size) != (w, h):
        raise InputFileError(state.video_path, f"keypoints are for a {track.frame_size[0]}x{track.frame_size[1]} "
                                               f"video but this video is {w}x{h}")
    # The keypoints of the frame on screen at each sampling instant (as pose.estimate_track
    # does); nothing within half a sampling step means missing, never invented.
    index = state.reader.index
    raw = track.resample(index.pts_s[index.times_to_frames(state.grid)], tolerance_s=0.5 / state.fps)
    raw.times = state.grid.copy()
    state.kp_xy[:] = raw.xy
    state.kp_conf[:] = raw.conf
    source.raw_source = track.source
    source.track = clean_track(raw, source.pose_cfg)
    source.track.meta = dict(source.track.meta, cleaned=True, fingerprint=state.fingerprint)

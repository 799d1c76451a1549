"""Recordings -> joint-clip windows for training and evaluation, with an on-disk cache.

Each recording is decoded ONCE, sequentially, at the segment rate (6 fps). Every sampled frame is
cut into its 14 joint crops (``inference.clips.crop_joint_clips``, the same function the engine
uses) and the crops of all frames are cached on disk per recording, so any window at any stride
(5 s for training, 1 s for event-level evaluation) is a slice of the cache and reruns never
decode or crop again.

Keypoints are prepared exactly as the engine prepares them: the track (ground-truth sidecar,
keypoint file/folder, or the cached MediaPipe or ONNX pose) is resampled to the 6 fps grid with a
tolerance of half a step, then cleaned with ``track_cleaning.clean_track``.

Cache entry (``ROOT/clips/<key>/``, a folder named by a hash of: video fingerprint, keypoint identity, pose cleaning
config, clip config, fps, cache version)::

    clips.npy      uint8   [N, 14, 3, S, S]  crops of sampled frame k (time k / fps)
    positions.npy  float32 [N, 14, 3]        (x / W, y / H, conf); zeros where missing
    decoded.npy    bool    [N]               the frame could be decoded
    meta.json      written last: the entry is complete when it exists

Disk use is ``N x 14 x 3 x S x S`` bytes: ~0.93 GB per hour of video at S = 32 (tiny),
~3.7 GB/h at S = 64; for the 224 px vivit-b prefer the frozen mode's token cache.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

import numpy as np

from inference.core.atomic import atomic_write_json
from inference.core.cache import cache_root
from inference.core.config import ClipConfig, PoseConfig, SegmentConfig
from inference.core.errors import InputFileError, SemioscopeError
from inference.core.fingerprint import file_fingerprint
from inference.core.progress import CancelToken, ProgressFn, check_cancel, no_progress
from inference.dataset.manifest import Recording
from inference.dataset.segments import Segment
from inference.detector.clips import DEFAULT_MIN_CONF, MIN_PRESENT_FRACTION, crop_joint_clips
from inference.pose.cache import lookup_track, store_track
from inference.pose.cleaning import clean_track
from inference.pose.estimate import estimate_track
from inference.pose.joints import NUM_JOINTS
from inference.pose.keypoint_files import keypoints_fingerprint, load_keypoints, resolve_keypoint_file
from inference.pose.keypoints import KeypointTrack
from inference.pose.parallel import default_pose_workers, estimate_track_parallel
from inference.pose.registry import get_backend, one_process_backend
from inference.video.reader import VideoReader

CACHE_VERSION = 1
POSE_BACKENDS = ("mediapipe", "onnx")  # keypoint specs that name a pose backend
_CHUNK = 30  # sampled frames cropped per call (one 5 s window's worth)


# -- keypoints ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class KeypointSource:
    """Where keypoints come from: ``gt`` (the generator's sidecar ``<video stem>.keypoints.npz``),
    ``mediapipe`` or ``onnx`` (that pose backend through the pose cache, computing the pose when
    missing; onnx's model is ``PoseConfig.onnx_model``) or a file/folder path."""

    spec: str = "gt"
    pose_workers: int = 0  # processes posing a video on a pose-cache miss (0: cores - 1; 1 for onnx)

    @property
    def is_pose(self) -> bool:
        return self.spec in POSE_BACKENDS


def load_track(rec: Recording, source: KeypointSource, pose_cfg: PoseConfig, fps: float = 6.0,
               pose_cache_dir: Optional[str] = None, progress: ProgressFn = no_progress,
               cancel: Optional[CancelToken] = None) -> tuple[KeypointTrack, dict[str, Any]]:
    """The recording's raw (uncleaned) keypoint track and a JSON identity of it (for cache keys)."""
    if not source.is_pose:
        path = resolve_keypoint_file(source.spec, Path(rec.video))
        track = load_keypoints(path)
        return track, {"kind": "file", "fingerprint": keypoints_fingerprint(path), "source": track.source}

    cfg = pose_cfg.replace(backend=source.spec)
    fp = file_fingerprint(rec.video)
    backend = get_backend(source.spec, cfg)
    ident = {"kind": "pose", "backend": backend.name, "params": backend.params()}
    raw = lookup_track(rec.video, backend, cfg, cache_dir=pose_cache_dir, fingerprint=fp, fps=fps)
    workers = source.pose_workers or (1 if one_process_backend(source.spec) else default_pose_workers())
    if raw is None and workers > 1:  # posed by several processes, stored in the shared pose cache
        raw = estimate_track_parallel(rec.video, cfg, fps, workers, progress=progress, cancel=cancel)
        store_track(rec.video, backend, cfg, raw, pose_cache_dir, fp, fps)
    elif raw is None:  # one sequential decode for the pose, stored in the shared pose cache
        raw = estimate_track(rec.video, cfg, fps=fps, progress=progress, cancel=cancel, backend=backend,
                             clean=False)
        store_track(rec.video, backend, cfg, raw, pose_cache_dir, fp, fps)
    else:
        backend.close()
    return raw, ident


def grid_track(track: KeypointTrack, grid: np.ndarray, fps: float, pose_cfg: PoseConfig) -> KeypointTrack:
    """Resample to the sampling grid (nearest within half a step, else missing) and clean, as the engine does."""

    return clean_track(track.resample(grid, tolerance_s=0.5 / fps), pose_cfg)


# -- per-recording clip cache -------------------------------------------------------------------

@dataclass
class RecordingClips:
    """Joint crops of every sampled frame of one recording (arrays memory-mapped from the cache).

    - ``clips``: uint8 ``[N, 14, 3, S, S]``; sample ``k`` is at time ``k / fps``.
    - ``positions``: float32 ``[N, 14, 3]`` = (x / W, y / H, conf), zeros where missing.
    - ``decoded``: bool ``[N]``.
    """

    recording_id: str
    fps: float
    clips: np.ndarray
    positions: np.ndarray
    decoded: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_samples(self) -> int:
        return int(len(self.decoded))

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fps

    def start_index(self, start_s: float) -> int:
        return int(round(start_s * self.fps))

    def window(self, start_s: float, n_frames: int) -> Optional[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(clips ``[14, T, 3, S, S]``, positions ``[14, T, 3]``, mask ``[14]``) of the window starting
        at ``start_s``, or None when it runs past the end or holds an undecodable frame."""
        a = self.start_index(start_s)
        b = a + n_frames
        if a < 0 or b > self.n_samples or not bool(np.all(self.decoded[a:b])):
            return None
        pos = np.ascontiguousarray(self.positions[a:b].transpose(1, 0, 2))
        clips = np.ascontiguousarray(self.clips[a:b].transpose(1, 0, 2, 3, 4))
        return clips, pos, window_mask(pos)


def _window_usable(rc: "RecordingClips", start_s: float, n_frames: int) -> bool:
    """The window fits, every frame was decoded and at least one joint is valid (no crop copy)."""
    a = rc.start_index(start_s)
    b = a + n_frames
    if a < 0 or b > rc.n_samples or not bool(np.all(rc.decoded[a:b])):
        return False
    return bool(window_mask(np.asarray(rc.positions[a:b]).transpose(1, 0, 2)).any())


def window_mask(positions: np.ndarray) -> np.ndarray:
    """``[14, T, 3]`` -> bool ``[14]``: the clips module's rule (present in >= half the frames)."""
    present = positions[..., 2] >= DEFAULT_MIN_CONF
    return present.mean(axis=-1) >= MIN_PRESENT_FRACTION


def cache_key(video_fingerprint: str, keypoint_identity: dict, pose_cfg: PoseConfig, clip_cfg: ClipConfig,
              fps: float) -> str:
    blob = json.dumps({"v": CACHE_VERSION, "video": video_fingerprint, "keypoints": keypoint_identity,
                       "pose": pose_cfg.to_dict(), "clips": clip_cfg.to_dict(), "fps": float(fps)},
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _open_entry(folder: Path, recording_id: str, fps: float) -> Optional[RecordingClips]:
    meta_path = folder / "meta.json"
    if not meta_path.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text("utf-8"))
        arrays = {k: np.load(folder / f"{k}.npy", mmap_mode="r", allow_pickle=False)
                  for k in ("clips", "positions", "decoded")}
    except (OSError, ValueError, json.JSONDecodeError):
        return None  # damaged entry: rebuilt by the caller
    if not (len(arrays["clips"]) == len(arrays["positions"]) == len(arrays["decoded"])):
        return None
    return RecordingClips(recording_id, fps, arrays["clips"], arrays["positions"], arrays["decoded"], meta)


def recording_clips(rec: Recording, source: KeypointSource, seg_cfg: SegmentConfig, clip_cfg: ClipConfig,
                    pose_cfg: PoseConfig = PoseConfig(), cache_dir: Optional[str | Path] = None,
                    progress: ProgressFn = no_progress, cancel: Optional[CancelToken] = None) -> RecordingClips:
    """The recording's cached crops, building the cache entry (one sequential decode) when missing.
    ``cache_dir`` is the cache root (entries go to ``cache_dir/clips``)."""

    root = Path(cache_dir) if cache_dir else cache_root()
    cache_dir = root / "clips"
    fps = float(seg_cfg.fps)
    video = Path(rec.video)
    fp = file_fingerprint(video)
    # The pose cache sits beside the clips (``<root>/pose``, the pose cache's own default layout), so
    # ``--cache-dir`` keeps a whole run's caches in one place.
    track, kp_ident = load_track(rec, source, pose_cfg, fps, pose_cache_dir=str(root / "pose"), progress=progress,
                                 cancel=cancel)
    key = cache_key(fp, kp_ident, pose_cfg, clip_cfg, fps)
    folder = cache_dir / key
    hit = _open_entry(folder, rec.recording_id, fps)
    if hit is not None:
        return hit

    with VideoReader(video) as reader:
        w, h = reader.meta.width, reader.meta.height
        if tuple(track.frame_size) != (w, h):
            raise InputFileError(video, f"keypoints are for a {track.frame_size[0]}x{track.frame_size[1]} video "
                                        f"but this video is {w}x{h}")
        grid = reader.index.sample_times(fps)
        n = len(grid)
        kp = grid_track(track, grid, fps, pose_cfg)
        s = int(clip_cfg.input_size)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=_ensure_dir(cache_dir)))
        try:
            clips = np.lib.format.open_memmap(tmp / "clips.npy", mode="w+", dtype=np.uint8,
                                              shape=(n, NUM_JOINTS, 3, s, s))
            positions = np.zeros((n, NUM_JOINTS, 3), np.float32)
            decoded = np.zeros(n, bool)
            blank = np.zeros((h, w, 3), np.uint8)
            frames: list[np.ndarray] = []
            idx: list[int] = []

            def flush() -> None:
                if not idx:
                    return
                sel = np.asarray(idx)
                xy, cf = kp.xy[sel].copy(), kp.conf[sel].copy()
                cf[~decoded[sel]] = 0.0  # an undecoded frame has no crop
                jc = crop_joint_clips(np.stack(frames), xy, cf, clip_cfg)
                clips[sel] = jc.clips.transpose(1, 0, 2, 3, 4)
                positions[sel] = jc.positions.transpose(1, 0, 2)
                frames.clear()
                idx.clear()

            nxt = 0
            for t, _fi, rgb in reader.iter_sampled(fps):
                check_cancel(cancel)
                j = int(np.searchsorted(grid, t - 1e-6))
                if j >= n or abs(grid[j] - t) > 1e-4:
                    continue
                while nxt < j:  # undecodable samples in between stay blank
                    frames.append(blank)
                    idx.append(nxt)
                    nxt += 1
                decoded[j] = True
                frames.append(rgb)
                idx.append(j)
                nxt = j + 1
                if len(idx) >= _CHUNK:
                    flush()
                    progress(nxt, n, f"crops {rec.recording_id}")
            while nxt < n:
                frames.append(blank)
                idx.append(nxt)
                nxt += 1
                if len(idx) >= _CHUNK:
                    flush()
            flush()
            clips.flush()
            clips = None  # release the memmap before its folder is moved into place
            np.save(tmp / "positions.npy", positions)
            np.save(tmp / "decoded.npy", decoded)
            atomic_write_json(tmp / "meta.json", {
                "format": "semioscope.clip_cache", "version": CACHE_VERSION, "recording_id": rec.recording_id,
                "video": str(video), "fingerprint": fp, "keypoints": kp_ident, "clips": clip_cfg.to_dict(),
                "pose": pose_cfg.to_dict(), "fps": fps, "n_samples": n, "frame_size": [w, h]})
            if folder.exists():  # a damaged or concurrent entry: replace it
                shutil.rmtree(folder, ignore_errors=True)
            os.replace(tmp, folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    progress(n, n, f"crops {rec.recording_id}")
    hit = _open_entry(folder, rec.recording_id, fps)
    if hit is None:
        raise SemioscopeError(f"{folder}: clip cache entry could not be read back")
    return hit


def _ensure_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


# -- windows dataset ----------------------------------------------------------------------------

@dataclass
class WindowSet:
    """Labelled windows over cached recordings; ``batch`` gathers them as model inputs.

    ``items[i] = (recording_id, start_s, label, soft_label)``; windows that run past the end,
    hold undecodable frames or have no valid joint are dropped at construction (``dropped``).
    """

    recordings: dict[str, RecordingClips]
    items: list[tuple[str, float, int, float]]
    subjects: list[str]
    frames_per_window: int
    dropped: int = 0

    @classmethod
    def from_segments(cls, segments: Sequence[Segment], recordings: dict[str, RecordingClips],
                      frames_per_window: int) -> "WindowSet":
        items, subjects, dropped = [], [], 0
        for s in segments:
            rc = recordings.get(s.recording_id)
            if rc is None or not _window_usable(rc, s.start_s, frames_per_window):
                dropped += 1
                continue
            soft = float(s.soft_label) if s.soft_label is not None else float(s.label)
            items.append((s.recording_id, float(s.start_s), int(s.label), soft))
            subjects.append(s.subject_id)
        return cls(recordings, items, subjects, frames_per_window, dropped)

    def __len__(self) -> int:
        return len(self.items)

    def subset(self, indices: Iterable[int]) -> "WindowSet":
        """The windows at ``indices`` (same recordings; ``dropped`` kept)."""
        idx = [int(i) for i in indices]
        return WindowSet(self.recordings, [self.items[i] for i in idx], [self.subjects[i] for i in idx],
                         self.frames_per_window, self.dropped)

    @property
    def labels(self) -> np.ndarray:
        return np.asarray([it[2] for it in self.items], dtype=np.int64)

    @property
    def targets(self) -> np.ndarray:
        return np.asarray([it[3] for it in self.items], dtype=np.float32)

    def batch(self, indices: Iterable[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(clips uint8 ``[B, 14, T, 3, S, S]``, positions ``[B, 14, T, 3]``, mask ``[B, 14]``)."""
        wins = [self.recordings[self.items[i][0]].window(self.items[i][1], self.frames_per_window)
                for i in indices]
        return (np.stack([w[0] for w in wins]), np.stack([w[1] for w in wins]), np.stack([w[2] for w in wins]))

    def positions_batch(self, indices: Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
        """(positions ``[B, 14, T, 3]``, mask ``[B, 14]``) without touching the crops."""
        pos = []
        for i in indices:
            rid, start, _, _ = self.items[i]
            rc = self.recordings[rid]
            a = rc.start_index(start)
            pos.append(np.ascontiguousarray(rc.positions[a:a + self.frames_per_window].transpose(1, 0, 2)))
        p = np.stack(pos)
        return p, np.stack([window_mask(x) for x in p])

    def key(self, i: int) -> str:
        """A stable identity of window ``i`` (for the token cache)."""
        rid, start, _, _ = self.items[i]
        return f"{rid}@{start:.3f}"

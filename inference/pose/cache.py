"""Per-video cache of pose tracks, so a second run over the same video is near-instant.

What is cached: the *raw* backend output on the sampling grid (before cleaning). Cleaning is
cheap and runs on every read, so changing ``min_confidence``, ``max_gap_s`` or smoothing never
re-runs the pose model, and a cached track can never be stale with respect to them.

Key: sha256 of the video's fingerprint (``inference.fingerprint.file_fingerprint``), the
backend name, ``backend.params()`` (everything that changes the backend's output; for
``"file"`` it includes the keypoint file's own fingerprint), the sampling rate and the cache
format version. Any change gives another key, hence another file: stale entries are never read.

Files: ``<cache dir>/<video stem>-<key[:20]>.npz``, a ``KeypointTrack`` file whose ``meta``
holds the full key. Cache dir: ``$SEMIOSCOPE_CACHE_DIR/pose`` if that variable is set, else
``~/.cache/semioscope/pose``. A file that cannot be read, is truncated, holds another key or
inconsistent arrays is treated as absent: recomputed and overwritten (atomically), never trusted.

Two ways in:

- ``cached_track(video, cfg, ...)``: the cleaned track, from the cache or computed and stored.
- ``cached_track(video, backend, cfg, cache_dir=..., fingerprint=...)``: look-up only (the
  streaming engine runs the pose itself); returns the raw track or None. Equivalent to
  ``lookup_track``; the engine saves what it computed with ``store_track``.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Optional

import numpy as np

from inference.core.cache import POSE, cache_dir
from inference.core.config import PoseConfig
from inference.core.errors import InputFileError
from inference.core.fingerprint import file_fingerprint
from inference.core.progress import CancelToken, ProgressFn
from inference.pose.backend import PoseBackend
from inference.pose.cleaning import clean_track
from inference.pose.estimate import estimate_track
from inference.pose.keypoints import KeypointTrack
from inference.pose.parallel import estimate_track_parallel
from inference.pose.registry import get_backend

CACHE_VERSION = 1


def default_cache_dir() -> Path:
    """``<cache root>/pose``."""
    return cache_dir(POSE)


def _backend_for(cfg: PoseConfig, video_path: str | Path, keypoints_path: str | Path | None) -> PoseBackend:
    extra = {"keypoints_path": keypoints_path, "video_path": video_path} if cfg.backend == "file" else {}
    return get_backend(cfg.backend, cfg, **extra)


def cache_key(video_path: str | Path, backend: PoseBackend, fps: float = 6.0,
              fingerprint: Optional[str] = None) -> str:
    """The full cache key (hex sha256) of one video's raw track from ``backend`` at ``fps``."""
    ident = {
        "cache_version": CACHE_VERSION,
        "video": fingerprint or file_fingerprint(video_path),
        "backend": backend.name,
        "backend_params": backend.params(),
        "fps": round(float(fps), 6),
    }
    return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()


def cache_path_for(video_path: str | Path, backend: PoseBackend | PoseConfig, fps: float = 6.0,
                   cache_dir: str | Path | None = None, fingerprint: Optional[str] = None,
                   keypoints_path: str | Path | None = None, key: Optional[str] = None) -> Path:
    """Where the track of ``video_path`` from this backend (or ``PoseConfig``) is cached."""
    if isinstance(backend, PoseConfig):
        backend = _backend_for(backend, video_path, keypoints_path)
    key = key or cache_key(video_path, backend, fps, fingerprint)
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(video_path).stem)[:60]
    return folder / f"{stem}-{key[:20]}.npz"


def _read_valid(path: Path, key: str) -> Optional[KeypointTrack]:
    """The track at ``path`` if it is intact and holds ``key``; else None (never trusted)."""
    if not path.exists():
        return None
    try:
        track = KeypointTrack.load(path)
    except (InputFileError, ValueError, OSError):
        return None
    if track.meta.get("cache_key") != key:
        return None
    if len(track) and (not np.all(np.diff(track.times) > 0) or not np.all(np.isfinite(track.conf))
                       or track.conf.min() < 0 or track.conf.max() > 1):
        return None
    return track


def lookup_track(video_path: str | Path, backend: PoseBackend, cfg: PoseConfig = PoseConfig(),
                 cache_dir: str | Path | None = None, fingerprint: Optional[str] = None,
                 fps: float = 6.0) -> Optional[KeypointTrack]:
    """The cached raw track of ``video_path`` from ``backend``, or None when absent or invalid."""
    key = cache_key(video_path, backend, fps, fingerprint)
    track = _read_valid(cache_path_for(video_path, backend, fps, cache_dir, key=key), key)
    if track is not None:
        track.meta["from_cache"] = True
    return track


def store_track(video_path: str | Path, backend: PoseBackend, cfg: PoseConfig, track: KeypointTrack,
                cache_dir: str | Path | None = None, fingerprint: Optional[str] = None,
                fps: float = 6.0) -> Path:
    """Save a raw track computed elsewhere (the streaming engine) under its cache key (atomic)."""
    fingerprint = fingerprint or file_fingerprint(video_path)
    key = cache_key(video_path, backend, fps, fingerprint)
    path = cache_path_for(video_path, backend, fps, cache_dir, key=key)
    meta = {k: v for k, v in track.meta.items() if k not in ("from_cache", "cache_path")}
    meta.update(cache_key=key, video_fingerprint=fingerprint, backend=backend.name,
                backend_params=backend.params(), fps=float(fps))
    KeypointTrack(track.times, track.xy, track.conf, track.frame_size, track.source, meta).save(path)
    return path


def cached_track(video_path: str | Path, *args: Any, **kwargs: Any) -> Optional[KeypointTrack]:
    """``cached_track(video, cfg=PoseConfig(), cache_dir=None, fps=6.0, progress=None,
    cancel=None, keypoints_path=None, workers=1)`` -> the cleaned track, from the cache or
    computed (by ``workers`` processes when more than 1; 0: cores - 1).

    Called as ``cached_track(video, backend, cfg, cache_dir=None, fingerprint=None, fps=6.0)``
    with a ``PoseBackend`` instance it only looks up (``lookup_track``): raw track or None.
    """
    first = args[0] if args else kwargs.get("backend")
    if isinstance(first, PoseBackend):
        return lookup_track(video_path, *args, **kwargs)
    return _cached_or_estimated(video_path, *args, **kwargs)


def _cached_or_estimated(video_path: str | Path, cfg: PoseConfig = PoseConfig(),
                         cache_dir: str | Path | None = None, fps: float = 6.0,
                         progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None,
                         keypoints_path: str | Path | None = None,
                         fingerprint: Optional[str] = None, workers: int = 1) -> KeypointTrack:

    backend = _backend_for(cfg, video_path, keypoints_path)
    fingerprint = fingerprint or file_fingerprint(video_path)
    raw = lookup_track(video_path, backend, cfg, cache_dir, fingerprint, fps)
    if raw is not None:
        if progress is not None:
            progress(len(raw), len(raw), "pose (cached)")
        backend.close()
    else:
        if workers != 1 and cfg.backend != "file":  # several processes (0: cores - 1)
            raw = estimate_track_parallel(video_path, cfg, fps, workers, progress=progress, cancel=cancel)
        else:
            raw = estimate_track(video_path, cfg, fps=fps, progress=progress, cancel=cancel,
                                 backend=backend, clean=False)
        store_track(video_path, backend, cfg, raw, cache_dir, fingerprint, fps)
        raw.meta["from_cache"] = False
    track = clean_track(raw, cfg)
    track.meta.update(cleaning=cfg.to_dict(),
                      cache_path=str(cache_path_for(video_path, backend, fps, cache_dir, fingerprint)))
    return track

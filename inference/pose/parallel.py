"""Pose in K worker processes over chunks of one video, stitched in time order.

One pose model runs on one CPU thread (MediaPipe's legacy solution), so a long video is cut into
K contiguous stretches of the sampling grid, each decoded and posed by its own process. A
tracking backend needs time to lock on, so every chunk but the first starts ``warmup_s`` early
and those warm-up samples are dropped: the stitched raw track has exactly the samples of the
single-process one. A stateless backend gives the identical track; a tracker gives the identical
first chunk, and after each cut it restarts from a fresh detection instead of the previous
frame's track, so where its detector alone does not find the person (MediaPipe on the synthetic
patient finds it in about half the frames) the two can differ for longer than the warm-up.

Workers are spawned (never forked: the caller may hold decoder and Qt threads) and report
progress through a queue; cancelling stops waiting, cancels pending chunks and terminates the
pool. The limit on a big machine is the decode per worker plus one model per process in memory
(~200 MB for MediaPipe); see README "Pose" for figures.
"""
from __future__ import annotations

import multiprocessing
import os
import queue as queue_module
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Optional

import numpy as np

from inference.core.config import PoseConfig
from inference.core.errors import Cancelled, SemioscopeError
from inference.core.progress import CancelToken, ProgressFn, no_progress
from inference.pose.estimate import estimate_track
from inference.pose.keypoints import KeypointTrack
from inference.pose.registry import get_backend
from inference.video.reader import VideoReader

DEFAULT_WARMUP_S = 2.0
_POLL_S = 0.2
_MIN_SAMPLES_PER_WORKER = 60  # below this (10 s at 6 fps) the process start-up costs more than it saves


def default_pose_workers() -> int:
    """Cores minus one (the caller's own thread decodes or runs a model), at least 1."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores - 1)


def chunk_bounds(n_samples: int, workers: int, warmup: int) -> list[tuple[int, int, int]]:
    """``(first sample posed, first sample kept, end)`` per chunk of ``[0, n_samples)``: K near-equal
    stretches, each posed from ``warmup`` samples before the part it keeps."""
    workers = max(1, min(workers, n_samples // _MIN_SAMPLES_PER_WORKER or 1))
    edges = np.linspace(0, n_samples, workers + 1).round().astype(int)
    return [(max(0, int(a) - warmup), int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def _pose_chunk(video: str, cfg: dict, fps: float, times: tuple[float, float], chunk: int,
                progress_queue) -> tuple[int, np.ndarray, np.ndarray, int]:
    """Worker: the raw track of samples ``[times[0], times[1])``; reports ``(chunk, done)``."""
    def report(done: float, total: float, message: str = "") -> None:
        progress_queue.put((chunk, int(done)))

    raw = estimate_track(video, PoseConfig.from_dict(cfg), fps=fps, clean=False, start_s=times[0],
                         end_s=times[1], progress=report)
    return chunk, raw.xy, raw.conf, int(raw.meta.get("decode_failures", 0))


def estimate_track_parallel(video_path: str | Path, cfg: PoseConfig = PoseConfig(), fps: float = 6.0,
                            workers: int = 0, warmup_s: float = DEFAULT_WARMUP_S,
                            progress: Optional[ProgressFn] = None,
                            cancel: Optional[CancelToken] = None) -> KeypointTrack:
    """The raw (uncleaned) track of ``video_path``, as ``estimate_track(..., clean=False)`` gives
    it, posed by ``workers`` processes (0: ``default_pose_workers()``). One worker, a short video
    or a backend that reads keypoints from a file run in this process instead."""
    progress = progress or no_progress
    workers = workers or default_pose_workers()
    with VideoReader(video_path) as reader:
        grid = reader.index.sample_times(fps)
        frame_size = (reader.meta.width, reader.meta.height)
    chunks = chunk_bounds(len(grid), workers, int(round(warmup_s * fps)))
    if len(chunks) < 2 or cfg.backend == "file":
        return estimate_track(video_path, cfg, fps=fps, progress=progress, cancel=cancel, clean=False)
    backend = get_backend(cfg.backend, cfg)  # for its name and parameters (the cache key); never started
    name, params = backend.name, backend.params()
    backend.close()
    # Each chunk samples from one of the grid's instants; its end falls half a step after its
    # last instant, so the worker's grid is exactly the slice [first, end) of the whole one.
    spans = [(float(grid[s]), float(grid[s]) + (e - s + 0.5) / fps) for s, _, e in chunks]
    xy = np.full((len(grid), 14, 2), np.nan, np.float32)
    conf = np.zeros((len(grid), 14), np.float32)
    done = [0] * len(chunks)
    failures = 0
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        updates = manager.Queue()
        pool = ProcessPoolExecutor(max_workers=len(chunks), mp_context=ctx)
        try:
            pending = {pool.submit(_pose_chunk, str(video_path), cfg.to_dict(), fps, span, k, updates)
                       for k, span in enumerate(spans)}
            progress(0, len(grid), "pose")
            while pending:
                finished, pending = wait(pending, timeout=_POLL_S, return_when=FIRST_COMPLETED)
                for fut in finished:
                    k, cxy, cconf, fails = fut.result()
                    first, keep, end = chunks[k]
                    if len(cxy) != end - first:
                        raise SemioscopeError(f"{video_path}: pose chunk {k} gave {len(cxy)} samples, "
                                              f"expected {end - first}")
                    xy[keep:end], conf[keep:end] = cxy[keep - first:], cconf[keep - first:]
                    failures += fails
                    done[k] = end - first
                _drain(updates, done)
                if cancel is not None and cancel.cancelled:
                    raise Cancelled("pose cancelled")
                progress(min(sum(done), len(grid)), len(grid), "pose")
        except BaseException:
            for proc in list(getattr(pool, "_processes", {}).values()):
                proc.terminate()  # a cancelled or failed run must not leave K processes posing
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
    return KeypointTrack(grid, xy, conf, frame_size, source=name,
                         meta={"backend": name, "backend_params": params, "fps": float(fps),
                               "video": str(video_path), "decode_failures": failures,
                               "pose_workers": len(chunks), "warmup_s": float(warmup_s)})


def _drain(updates, done: list[int]) -> None:
    """Fold the workers' progress reports into ``done`` (the latest count per chunk)."""
    while True:
        try:
            chunk, count = updates.get_nowait()
        except queue_module.Empty:
            return
        done[chunk] = max(done[chunk], count)

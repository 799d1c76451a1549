"""The night's results: the growing per-window trace, the live partial result file, and the
final ``night.mp4`` + ``night.result.npz`` that ``semioscope review OUT/night.mp4`` opens.

``night.result.npz`` is an ordinary result file: every window of the night (NaN in gaps), the
alarms as its events, the gaps (``camera down``, ``behind``, ``decode failure``, ``no person``,
``partial pose``), the cleaned keypoint track, and in ``notes["alarms"]`` each alarm's raise
time, lag and acknowledgement. Its ``video`` entry describes ``night.mp4`` (fingerprint, meta,
and the wall-clock start of the night, ``start_time_source = "monitor"``).
"""
from __future__ import annotations

import dataclasses
import threading
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

import numpy as np

from inference.core.fingerprint import file_fingerprint
from inference.core.wall_clock import format_start_time
from inference.live.alarms import Alarm
from inference.pose.joints import NUM_JOINTS
from inference.pose.keypoints import KeypointTrack
from inference.results.result_file import AnalysisResult, Gap, merge_gaps
from inference.video.index import probe

NIGHT_VIDEO = "night.mp4"
NIGHT_RESULT = "night.result.npz"
LIVE_RESULT = "live.result.npz"


class GrowArray:
    """An append-only numpy array (capacity doubles), for per-window values."""

    def __init__(self, shape: tuple[int, ...] = (), dtype=np.float64, fill=np.nan):
        self._a = np.full((64,) + shape, fill, dtype=dtype)
        self.n = 0

    def append(self, value) -> None:
        if self.n == len(self._a):
            grown = np.empty((2 * len(self._a),) + self._a.shape[1:], dtype=self._a.dtype)
            grown[: self.n] = self._a
            self._a = grown
        self._a[self.n] = value
        self.n += 1

    def view(self) -> np.ndarray:
        return self._a[: self.n]


class NightTrace:
    """Every window's start, end, probability, attention and gap reason, filled by the
    processing thread and read (copied, under the lock) by the flushes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.start = GrowArray()
        self.end = GrowArray()
        self.prob = GrowArray(dtype=np.float32)
        self.att = GrowArray((NUM_JOINTS,), dtype=np.float32)
        self.window_gaps: list[Gap] = []  # windows without a person / with too few joints

    def add(self, start_s: float, end_s: float, prob: float, att: Optional[np.ndarray]) -> None:
        with self.lock:
            self.start.append(start_s)
            self.end.append(end_s)
            self.prob.append(prob)
            self.att.append(att if att is not None else np.full(NUM_JOINTS, np.nan, np.float32))

    def __len__(self) -> int:
        return self.start.n

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        with self.lock:
            return (self.start.view().copy(), self.end.view().copy(), self.prob.view().copy(),
                    self.att.view().copy())

    def mean_attention(self, start_s: float, end_s: float) -> tuple[float, ...]:
        with self.lock:
            m = (self.start.view() >= start_s - 1e-6) & (self.end.view() <= end_s + 1e-6)
            block = self.att.view()[m]
        if not len(block) or not np.isfinite(block).any():
            return ()
        return tuple(float(x) for x in np.nanmean(block, axis=0))


def night_result(trace: NightTrace, alarms: list[Alarm], gaps: list[Gap], keypoints: Optional[KeypointTrack],
                 model: dict[str, Any], config: dict[str, Any], video: dict[str, Any], complete: bool,
                 notes: dict[str, Any]) -> AnalysisResult:
    """The night so far as a result file (``complete``: the night is over)."""
    start, end, prob, att = trace.arrays()
    events = [a.event(trace.mean_attention(a.start_s, a.end_s)) for a in alarms]
    with trace.lock:
        window_gaps = list(trace.window_gaps)
    return AnalysisResult(start, end, prob, att, model=model, config=config, video=video,
                          gaps=merge_gaps(list(gaps) + window_gaps), events=events, keypoints=keypoints,
                          complete=complete,
                          notes={**notes, "windows_done": len(start), "alarms": [a.to_dict() for a in alarms]})


def night_video_entry(video_path: Optional[Path], started: datetime, source: str,
                      recording_error: Optional[str]) -> dict[str, Any]:
    """The result's ``video`` entry: ``night.mp4`` when it exists, and the night's start."""
    entry: dict[str, Any] = {"source": source, "start_time": format_start_time(started),
                             "start_time_source": "monitor"}
    if recording_error:
        entry["recording_error"] = recording_error
    if video_path is None or not video_path.exists():
        return {"path": "", "name": "", "fingerprint": "", **entry}
    meta = probe(video_path)
    return {"path": str(video_path.resolve()), "name": video_path.name, "fingerprint": file_fingerprint(video_path),
            "meta": dataclasses.asdict(meta), **entry}

"""Turning a run's arrays into result files: gaps, the keypoint track, partial and final results.

Nothing is invented: sampled frames that could not be decoded, a truncated tail, and windows
where no joint is visible become explicit ``Gap`` intervals (their windows keep NaN values).
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from inference.analysis.settings import NoPersonError
from inference.analysis.state import RunState
from inference.core.config import EventConfig
from inference.core.errors import VideoError
from inference.core.wall_clock import format_start_time
from inference.pose.cleaning import clean_track
from inference.pose.keypoints import KeypointTrack
from inference.results.events import detect_events
from inference.results.result_file import (
    GAP_DECODE,
    GAP_NO_PERSON,
    GAP_PARTIAL_POSE,
    GAP_TRUNCATED,
    AnalysisResult,
    Gap,
    merge_gaps,
)
from inference.video.start_time import recording_start


def result_gaps(state: RunState, upto_window: int) -> list[Gap]:
    """Explicit gaps of windows ``[0, upto_window)``: undecodable samples, windows without a
    person and, once the run is complete, a truncated tail."""
    gaps: list[Gap] = []
    complete = upto_window >= state.n_windows
    # Samples before the next window's start (a resumed run decodes the rest again); once complete,
    # every sample up to the last window's end.
    limit = upto_window * state.step + (state.window_len - state.step if complete else 0)
    limit = min(limit, state.n_samples)
    for j in np.flatnonzero(~state.decoded[:limit]):
        gaps.append(Gap(float(state.grid[j]), float(state.grid[j] + 1.0 / state.fps), GAP_DECODE))
    for w, reason in state.reasons.items():
        if w < upto_window and reason in (GAP_NO_PERSON, GAP_PARTIAL_POSE):
            gaps.append(Gap(float(state.starts[w]), float(state.ends[w]), reason))
    meta = state.meta
    if complete and meta.truncated:
        expected_end = meta.expected_frame_count / meta.fps if meta.fps > 0 else 0.0
        gaps.append(Gap(float(meta.duration_s), float(max(expected_end, meta.duration_s)), GAP_TRUNCATED))
    return merge_gaps(gaps)


def keypoint_track(state: RunState, upto_sample: int, cleaned: bool) -> KeypointTrack:
    """The decoded samples' keypoints before ``upto_sample``, raw or cleaned."""
    ok = np.flatnonzero(state.decoded[:upto_sample])
    raw = KeypointTrack(state.grid[ok], state.kp_xy[ok], state.kp_conf[ok], state.frame_size,
                        state.keypoints.name, {"fingerprint": state.fingerprint, "cleaned": False})
    if not cleaned:
        return raw
    track = clean_track(raw, state.keypoints.pose_cfg)
    track.meta = dict(track.meta, cleaned=True)
    return track


def video_dict(state: RunState) -> dict[str, Any]:
    """The ``video`` entry of a result: path, name, fingerprint, container facts and, when the
    container or the file name says it, the wall-clock start (``start_time``, ISO 8601)."""
    start, source = recording_start(state.video_path)
    clock = {"start_time": format_start_time(start), "start_time_source": source} if start is not None else {}
    return {"path": str(state.video_path.resolve()), "name": state.video_path.name,
            "fingerprint": state.fingerprint, "meta": dataclasses.asdict(state.meta), **clock}


def partial_result(state: RunState, done: int, model_identity: dict[str, Any],
                   config: dict[str, Any]) -> AnalysisResult:
    """Windows ``[0, done)`` with the raw keypoints of their samples, to resume from (no events)."""
    return AnalysisResult(state.starts[:done], state.ends[:done], state.prob[:done], state.att[:done],
                          model=model_identity, config=config, video=video_dict(state),
                          gaps=result_gaps(state, done),
                          keypoints=keypoint_track(state, done * state.step, cleaned=False),
                          complete=False, notes={"windows_done": done})


def require_person(state: RunState) -> None:
    """Raise when the run has nothing to show: no decodable sample, or no joint of a person in any."""
    if state.decoded.any() and not (state.kp_conf[state.decoded] >= state.keypoints.pose_cfg.min_confidence).any():
        identity = state.keypoints.identity
        raise NoPersonError(state.video_path, "no person was detected in any frame "
                                              f"(keypoints: {identity.get('kind')} "
                                              f"{identity.get('backend', identity.get('file', ''))})")
    if not state.decoded.any():
        raise VideoError(state.video_path, "no sampled frame could be decoded")


def final_result(state: RunState, model_identity: dict[str, Any], config: dict[str, Any],
                 event_config: EventConfig, notes: dict[str, Any]) -> AnalysisResult:
    """The complete result: every window, its events and gaps, and the cleaned keypoint track.
    ``notes`` are added to ``windows_done`` and ``decode_failures``."""
    source = state.keypoints
    events = detect_events(state.starts, state.ends, state.prob, event_config, state.att)
    return AnalysisResult(
        state.starts, state.ends, state.prob, state.att, model=model_identity, config=config,
        video=video_dict(state), gaps=result_gaps(state, state.n_windows), events=events,
        keypoints=source.track if source.track is not None else keypoint_track(state, state.n_samples, cleaned=True),
        complete=True,
        notes={"windows_done": state.n_windows, **notes, "decode_failures": int((~state.decoded).sum())},
    )

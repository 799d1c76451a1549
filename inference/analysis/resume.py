"""Continuing an interrupted run from its partial result (``<out>.partial``).

A partial result is used only for the same video (fingerprint), the same model (run hash) and the
same resume key (:func:`inference.analysis.settings.resume_key`: all but the event rules), and
only up to a window count it could have come from. Its finished windows, their gaps and the
keypoints of their samples are copied into the run; the run then continues from the first window
still to analyse, always redoing the last finished one so that the samples after it are decoded
(and checked) again.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from inference.analysis.settings import resume_key
from inference.analysis.state import RunState
from inference.core.errors import InputFileError
from inference.results.result_file import GAP_DECODE, GAP_NO_PERSON, AnalysisResult


def resume_from_partial(state: RunState, partial_path: Path, model_identity: dict[str, Any],
                        config: dict[str, Any]) -> int:
    """Fill ``state`` from a matching partial result; returns the first window still to analyse
    (0 when there is none, it is unreadable, or it belongs to another video, model or configuration)."""
    if not partial_path.exists():
        return 0
    try:
        part = AnalysisResult.load(partial_path)
    except InputFileError:
        return 0  # unreadable partial: start over (it is rewritten at the next flush)
    same = (part.fingerprint == state.fingerprint
            and part.model.get("run_hash") == model_identity["run_hash"]
            and resume_key(part.config) == resume_key(config)
            and len(part) <= state.n_windows)
    if not same:
        return 0
    # Redo at least the last window, so the samples after it are decoded (and checked) again.
    done = min(int(part.notes.get("windows_done", 0)), len(part), state.n_windows - 1)
    state.prob[:done] = part.prob[:done]
    state.att[:done] = part.attention[:done]
    for g in part.gaps:
        if g.reason == GAP_NO_PERSON:
            inside = (state.starts[:done] >= g.start_s - 1e-6) & (state.ends[:done] <= g.end_s + 1e-6)
            for w in np.flatnonzero(inside):
                state.reasons[int(w)] = GAP_NO_PERSON
    if part.keypoints is not None and len(part.keypoints):
        _take_sample_keypoints(state, part, upto_sample=done * state.step)
    for w in range(done):
        if not np.isfinite(state.prob[w]) and w not in state.reasons:
            state.reasons[w] = GAP_DECODE
    return done


def _take_sample_keypoints(state: RunState, part: AnalysisResult, upto_sample: int) -> None:
    """Mark the partial's samples before ``upto_sample`` decoded; with a live pose backend, also
    take their raw keypoints (a keypoint file or the pose cache has already filled them)."""
    kp = part.keypoints
    j = np.clip(np.round(kp.times * state.fps).astype(np.int64), 0, state.n_samples - 1)
    keep = j < upto_sample
    if state.keypoints.track is None:
        state.kp_xy[j[keep]] = kp.xy[keep]
        state.kp_conf[j[keep]] = kp.conf[keep]
    state.decoded[j[keep]] = True

"""Forecast trace over a whole video: P(onset within H s) for sliding clips, and alarms.

Window k covers ``[k * stride_s, k * stride_s + clip_s)``; its 16 frames are the ones on screen
at the centres of 16 equal slices of the window, exactly as the clips were sampled for
fine-tuning (``corpora.clip_sample_times``). The video is decoded once, sequentially, converting
only the frames some window needs (about 16 per second of video for a 5 s clip and 1 s stride);
frames are shrunk to the model's size on arrival and dropped as soon as no later window needs
them, so memory stays flat however long the video is.

The trace is plain arrays (``start_s``, ``end_s``, ``prob``), so the engine's result file
(``add_forecast_to_result``) and the GUI can carry it without torch. The forecast for a window
is issued at its end: alarms and lead times are measured from ``end_s``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from inference.core.device import choose_device
from inference.core.progress import CancelToken, ProgressFn, check_cancel, no_progress
from inference.forecast.corpora import clip_sample_times, prepare_frame
from inference.forecast.fewshot import predict_probs
from inference.forecast.model import load_classifier
from inference.results.result_file import Trace, canonical_hash
from inference.video.reader import VideoReader

FORECAST_TRACE = "forecast"  # trace name in the result file


@dataclass
class ForecastTrace(Trace):
    """A result-file ``Trace`` whose value is the forecast probability, also named ``prob``.

    ``start_s``, ``end_s`` float64 ``[N]``; ``value``/``prob`` float32 ``[N]`` (NaN where frames failed).
    """

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.value.ndim != 1:
            raise ValueError(f"trace arrays disagree: {self.start_s.shape}, {self.end_s.shape}, {self.value.shape}")

    @property
    def prob(self) -> np.ndarray:
        return self.value

    @prob.setter
    def prob(self, prob) -> None:
        self.value = np.asarray(prob, dtype=np.float32)

    def __len__(self) -> int:
        return len(self.value)


def window_starts(duration_s: float, clip_s: float, stride_s: float) -> np.ndarray:
    """Starts of every complete window ``[N]``."""
    if stride_s <= 0:
        raise ValueError("stride must be positive")
    n = int(np.floor((duration_s - clip_s) / stride_s + 1e-6)) + 1 if duration_s >= clip_s - 1e-9 else 0
    return np.arange(max(n, 0), dtype=np.float64) * stride_s


def forecast_trace(video_path: str | Path, model_dir: str | Path, stride_s: float = 1.0,
                   clip_s: Optional[float] = None, progress: Optional[ProgressFn] = None,
                   cancel: Optional[CancelToken] = None, device: str = "auto", batch_size: int = 16,
                   model=None) -> ForecastTrace:
    """Apply a fine-tuned ``classifier`` folder to every window of a video (streaming).

    ``clip_s`` defaults to the clip length the model was fine-tuned on. ``model`` may pass an
    already loaded ``(classifier, forecast_json)`` pair (the engine loads it once per batch).
    """

    progress = progress or no_progress
    clf, info = model if model is not None else load_classifier(model_dir)
    choice = choose_device(device)
    clf.to(choice.torch_device())
    vcfg = clf.encoder.config
    T, S = int(vcfg.num_frames), int(vcfg.image_size)
    clip_s = float(clip_s or info.get("clip_s", 5.0))
    with VideoReader(video_path) as reader:
        starts = window_starts(reader.index.end_s, clip_s, stride_s)
        n = len(starts)
        win_frames = np.stack([reader.index.times_to_frames(clip_sample_times(s, clip_s, T)) for s in starts]) \
            if n else np.zeros((0, T), dtype=np.int64)
        prob = np.full(n, np.nan, dtype=np.float32)
        wanted = np.unique(win_frames)
        buf: dict[int, np.ndarray] = {}
        batch_clips: list[np.ndarray] = []
        batch_ids: list[int] = []
        nxt = 0  # next window to assemble

        def flush() -> None:
            if batch_clips:
                prob[batch_ids] = predict_probs(clf, np.stack(batch_clips), batch_size, choice)
                batch_clips.clear()
                batch_ids.clear()
                progress(nxt, n, "")

        def assemble(k: int) -> None:
            fr = win_frames[k]
            have = [f for f in fr if f in buf]
            if not have:
                return  # every frame of this window failed to decode: NaN
            batch_clips.append(np.stack([buf[f] if f in buf else buf[min(have, key=lambda h: abs(h - f))]
                                         for f in fr]))
            batch_ids.append(k)
            if len(batch_clips) >= batch_size:
                flush()

        def release() -> None:
            first_needed = win_frames[nxt][0] if nxt < n else np.iinfo(np.int64).max
            for f in [f for f in buf if f < first_needed]:
                del buf[f]

        progress(0, n, "")
        for i, rgb in reader.iter_frames(wanted):
            check_cancel(cancel)
            if i not in buf:
                buf[i] = prepare_frame(rgb, S)
            while nxt < n and win_frames[nxt][-1] <= i:
                assemble(nxt)
                nxt += 1
            release()
        while nxt < n:  # windows whose last frames failed to decode
            assemble(nxt)
            nxt += 1
        flush()
        progress(n, n, "")
        failures = len(reader.decode_failures)
    meta = {"kind": "forecast", "label": f"P(onset within {info.get('horizon_s', 5.0):g} s)",
            "model_dir": str(Path(model_dir).resolve()) if model_dir else "", "model_hash": canonical_hash(info),
            "clip_s": clip_s, "stride_s": float(stride_s), "horizon_s": float(info.get("horizon_s", 5.0)),
            "threshold": float(info.get("threshold", 0.5)), "onset": (info.get("labels") or {}).get("onset", "clinical"),
            "decode_failures": failures}
    return ForecastTrace(starts, starts + clip_s, prob, meta)


def forecast_alarms(trace: ForecastTrace, threshold: float, onsets: Sequence[float] = (),
                    max_lead_s: float = 60.0) -> list[tuple[float, Optional[float]]]:
    """Upward threshold crossings -> ``[(time_s, lead_time_s or None)]``.

    An alarm fires at the ``end_s`` of a window whose probability reaches ``threshold`` when the
    previous window's did not (NaN counts as below). Its lead time is ``onset - time_s`` for the
    first annotated onset at or after the alarm within ``max_lead_s``; otherwise None (a false or
    late alarm).
    """
    p = np.nan_to_num(np.asarray(trace.prob, dtype=np.float64), nan=-np.inf)
    above = p >= threshold
    rising = above & ~np.concatenate([[False], above[:-1]])
    ons = np.sort(np.asarray(list(onsets), dtype=np.float64))
    out: list[tuple[float, Optional[float]]] = []
    for k in np.flatnonzero(rising):
        t = float(trace.end_s[k])
        ahead = ons[(ons >= t - 1e-9) & (ons - t <= max_lead_s + 1e-9)]
        out.append((t, float(ahead[0] - t) if len(ahead) else None))
    return out


def add_forecast_to_result(result, trace: ForecastTrace, name: str = FORECAST_TRACE) -> None:
    """Store the trace in an ``inference.results.AnalysisResult`` as extra trace ``name``."""
    result.add_trace(name, Trace(trace.start_s, trace.end_s, trace.prob, meta=dict(trace.meta)))


def forecast_from_result(result, name: str = FORECAST_TRACE) -> Optional[ForecastTrace]:
    """The forecast trace of a loaded result, or None when it has none."""
    tr = (result.traces or {}).get(name)
    if tr is None:
        return None
    return ForecastTrace(tr.start_s, tr.end_s, tr.value, dict(tr.meta))

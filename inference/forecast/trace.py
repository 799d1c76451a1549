"""Forecast trace over a whole video: P(onset within H s) for sliding clips.

Window k covers ``[k * stride_s, k * stride_s + clip_s)``; its 16 frames are the ones on screen
at the centres of 16 equal slices of the window, exactly as the clips were sampled for
fine-tuning (``corpora.clip_sample_times``). The video is decoded once, sequentially, converting
only the frames some window needs (about 16 per second of video for a 5 s clip and 1 s stride);
frames are shrunk to the model's size on arrival and dropped as soon as no later window needs
them, so memory stays flat however long the video is.

The trace is plain arrays (``forecast.trace_data``), so the engine's result file and the GUI
carry it without torch.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from inference.core.device import choose_device
from inference.core.progress import CancelToken, ProgressFn, check_cancel, no_progress
from inference.forecast.corpora import clip_sample_times, prepare_frame
from inference.forecast.fewshot import predict_probs
from inference.forecast.model import load_classifier
from inference.forecast.trace_data import ForecastTrace
from inference.results.result_file import canonical_hash
from inference.video.reader import VideoReader


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

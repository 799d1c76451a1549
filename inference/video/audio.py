"""The sound track of a video: probing, a loudness envelope, and PCM blocks for playback.

Times are on the video's clock, the same as ``inference.video.index`` and the reader: seconds
from the first presented video frame (``t0``). Both streams of a container carry timestamps on
one presentation timeline, so an audio sample at stream time ``a`` (``frame.time``, which
already includes the edit list, i.e. AAC priming is removed) sits at ``a - t0`` on the video's
clock, where ``t0`` is the video stream's ``start_time`` (its first PTS, as the index's first
timestamp). An audio track that starts after the first frame begins at a positive time; one that
starts before it has a negative start, and what lies before 0 is never shown or played. Checked
by tests/test_audio.py (AAC and PCM tracks, also with the audio starting 0.5 s late).

Decoding is one streaming pass through PyAV with ``av.AudioResampler`` to mono float32 at the
wanted rate (16 kHz for the envelope), so a 24-hour file never holds more than one decoded frame
of PCM at a time. The envelope (RMS in dBFS per ``step_s``) is cached under the cache root's
``audio/`` folder, keyed by the file's fingerprint and the step, like the timestamp index.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import numpy as np

from inference.core.atomic import atomic_write_bytes
from inference.core.cache import AUDIO, cache_dir
from inference.core.fingerprint import file_fingerprint
from inference.core.progress import CancelToken, ProgressFn, no_progress
from inference.video.index import _open_container

ENVELOPE_RATE = 16000  # Hz: the envelope's decode rate (speech and cries are well inside 8 kHz)
PLAYBACK_RATE = 48000  # Hz: what ``AudioDecoder`` yields unless told otherwise
FLOOR_DB = -100.0  # dBFS of digital silence and of gaps without audio
GAP_S = 0.05  # a jump between decoded frames larger than this is a gap (or overlap), not jitter
_CACHE_VERSION = 1


@dataclass(frozen=True)
class AudioInfo:
    """What a player needs to know of a video's first audio track."""

    codec: str
    sample_rate: int
    channels: int
    start_s: float  # the first audio sample on the video's clock (may be negative)
    duration_s: float  # the track's stated duration (0.0 when the container states none)
    video_t0_s: float  # the video's first PTS on the container's clock (what ``start_s`` is relative to)

    def summary(self) -> str:
        return f"{self.codec}, {self.sample_rate} Hz, {self.channels} ch, from {self.start_s:+.3f} s"


def _video_t0(container) -> float:
    """The video stream's first PTS in seconds: ``t0`` of ``inference.video.index``."""
    v = container.streams.video[0]
    if v.start_time is not None and v.time_base:
        return float(v.start_time * v.time_base)
    return 0.0


def _audio_info(container) -> Optional[AudioInfo]:
    if not container.streams.audio:
        return None
    a = container.streams.audio[0]
    t0 = _video_t0(container)
    start = float(a.start_time * a.time_base) if a.start_time is not None and a.time_base else t0
    duration = float(a.duration * a.time_base) if a.duration and a.time_base else 0.0
    ctx = a.codec_context
    channels = int(getattr(ctx, "channels", 0) or len(getattr(ctx.layout, "channels", ())) or 1)
    return AudioInfo(codec=ctx.name or "unknown", sample_rate=int(a.sample_rate or ctx.sample_rate or 0),
                     channels=channels, start_s=start - t0, duration_s=duration, video_t0_s=t0)


def probe_audio(path: str | Path) -> Optional[AudioInfo]:
    """The first audio track of ``path``, or None when the file has none (VideoError when the
    file is not a readable video)."""
    container = _open_container(Path(path))
    try:
        return _audio_info(container)
    finally:
        container.close()


def _pcm_blocks(container, rate: int, start_s: float, t0: float) -> Iterator[tuple[float, np.ndarray]]:
    """``(time of the first sample on the video's clock, mono float32 [n] at rate)`` in order,
    from the audio frame at or before ``start_s`` (the caller trims what lies before it)."""
    import av  # PyAV takes ~0.1 s to import (see inference.video.index)

    stream = container.streams.audio[0]
    if start_s > 0 and stream.time_base:
        container.seek(int((start_s + t0) / stream.time_base), backward=True, any_frame=False, stream=stream)
    resampler = None
    out_t = None  # the next resampled sample's time
    expect_in = None  # where the next decoded frame should start if there is no gap
    tb = None
    for frame in container.decode(stream):
        if tb is None:  # a float: Fraction arithmetic per frame costs more than the decode
            tb = float(frame.time_base or stream.time_base or 0.0)
        in_t = None if frame.pts is None or not tb else frame.pts * tb - t0
        if resampler is None or (in_t is not None and expect_in is not None and abs(in_t - expect_in) > GAP_S):
            if resampler is not None:  # a gap or a jump: what the old resampler holds ends here
                tail = _flatten(resampler.resample(None))
                if len(tail):
                    yield out_t, tail
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            out_t = in_t if in_t is not None else (expect_in or 0.0)
        base = in_t if in_t is not None else expect_in
        expect_in = (base or 0.0) + frame.samples / float(frame.sample_rate or rate)
        pcm = _flatten(resampler.resample(frame))
        if len(pcm):
            yield out_t, pcm
            out_t += len(pcm) / rate
    if resampler is not None:
        tail = _flatten(resampler.resample(None))
        if len(tail):
            yield out_t, tail


def _flatten(frames) -> np.ndarray:
    arrays = [f.to_ndarray().reshape(-1) for f in frames]
    if not arrays:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(arrays).astype(np.float32, copy=False) if len(arrays) > 1 else arrays[0].astype(np.float32)


class AudioDecoder:
    """``AudioDecoder(path, rate=48000)``; ``blocks(start_s)`` yields ``(t_s, pcm)``: mono float32
    PCM at ``rate`` whose first sample plays at ``t_s`` on the video's clock, from ``start_s`` on
    (a seek; the first block starts exactly there, or later where the audio starts later).
    Consecutive blocks are contiguous except across gaps in the track (the next ``t_s`` jumps).
    ``info`` is None when the file has no audio (``blocks`` then yields nothing). Not
    thread-safe: one decoder per thread; each ``blocks`` call restarts decoding.
    """

    def __init__(self, path: str | Path, rate: int = PLAYBACK_RATE):
        self.path = Path(path)
        self.rate = int(rate)
        self._container = _open_container(self.path)
        self.info = _audio_info(self._container)

    def blocks(self, start_s: float = 0.0) -> Iterator[tuple[float, np.ndarray]]:
        if self.info is None or self._container is None:
            return
        start_s = float(start_s)
        for t, pcm in _pcm_blocks(self._container, self.rate, start_s, self.info.video_t0_s):
            end = t + len(pcm) / self.rate
            if end <= start_s:
                continue
            if t < start_s:
                skip = int(round((start_s - t) * self.rate))
                pcm, t = pcm[skip:], t + skip / self.rate
            if len(pcm):
                yield t, pcm

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
        self._container = None

    def __enter__(self) -> "AudioDecoder":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# -- the loudness envelope -------------------------------------------------------------------
def envelope_cache_path(fingerprint: str, step_s: float) -> Path:
    """``<cache root>/audio/<fingerprint>-<step in ms>ms.npz``."""
    return cache_dir(AUDIO) / f"{fingerprint}-{int(round(step_s * 1000))}ms.npz"


class _Accumulator:
    """Sum of squares and sample count per bin of ``step`` samples, grown as audio arrives."""

    def __init__(self, step: int):
        self.step = step
        self.sumsq = np.zeros(1024, dtype=np.float64)
        self.count = np.zeros(1024, dtype=np.int64)
        self.n_bins = 0

    def add(self, first_sample: int, pcm: np.ndarray) -> None:
        if first_sample < 0:  # before the first video frame: never shown
            pcm, first_sample = pcm[-first_sample:], 0
        if not len(pcm):
            return
        b0 = first_sample // self.step
        b1 = (first_sample + len(pcm) - 1) // self.step
        if b1 >= len(self.sumsq):
            size = max(2 * len(self.sumsq), b1 + 1)
            self.sumsq = np.resize(self.sumsq, size)
            self.sumsq[self.n_bins:] = 0
            self.count = np.resize(self.count, size)
            self.count[self.n_bins:] = 0
        idx = (first_sample + np.arange(len(pcm))) // self.step - b0
        x = pcm.astype(np.float64)
        self.sumsq[b0:b1 + 1] += np.bincount(idx, weights=x * x, minlength=b1 - b0 + 1)
        self.count[b0:b1 + 1] += np.bincount(idx, minlength=b1 - b0 + 1)
        self.n_bins = max(self.n_bins, b1 + 1)

    def db(self) -> np.ndarray:
        n = self.n_bins
        ms = np.divide(self.sumsq[:n], np.maximum(self.count[:n], 1))
        with np.errstate(divide="ignore"):
            db = 10.0 * np.log10(ms)
        db[self.count[:n] == 0] = FLOOR_DB
        return np.maximum(db, FLOOR_DB).astype(np.float32)


def _coalesce(blocks: Iterator[tuple[float, np.ndarray]], rate: int,
              max_s: float = 10.0) -> Iterator[tuple[float, np.ndarray]]:
    """Contiguous blocks joined into runs of up to ``max_s`` (one numpy pass per run, not per
    decoded frame); a gap between blocks ends a run."""
    run: list[np.ndarray] = []
    run_t, run_n, limit = 0.0, 0, int(max_s * rate)
    for t, pcm in blocks:
        if run and (abs(t - (run_t + run_n / rate)) > 0.5 / rate or run_n >= limit):
            yield run_t, np.concatenate(run)
            run, run_n = [], 0
        if not run:
            run_t = t
        run.append(pcm)
        run_n += len(pcm)
    if run:
        yield run_t, np.concatenate(run)


def compute_envelope(path: str | Path, step_s: float = 0.05, progress: ProgressFn = no_progress,
                     cancel: Optional[CancelToken] = None) -> tuple[np.ndarray, np.ndarray]:
    """``loudness_envelope`` without the cache: one streaming decode of the whole track."""
    if step_s <= 0:
        raise ValueError("step_s must be positive")
    container = _open_container(Path(path))
    try:
        info = _audio_info(container)
        if info is None:
            return np.zeros(0), np.zeros(0, dtype=np.float32)
        acc = _Accumulator(max(int(round(step_s * ENVELOPE_RATE)), 1))
        total = max(info.duration_s, 1e-9)
        last_report = 0.0
        for t, pcm in _coalesce(_pcm_blocks(container, ENVELOPE_RATE, 0.0, info.video_t0_s), ENVELOPE_RATE):
            acc.add(int(round(t * ENVELOPE_RATE)), pcm)
            if t - last_report >= 60.0:  # a minute of audio at a time: cheap checks
                last_report = t
                if cancel is not None:
                    cancel.check()
                progress(min(t, total), total, "audio loudness")
    finally:
        container.close()
    db = acc.db()
    step = acc.step / ENVELOPE_RATE
    return (np.arange(len(db)) + 0.5) * step, db


def loudness_envelope(path: str | Path, step_s: float = 0.05, progress: ProgressFn = no_progress,
                      cancel: Optional[CancelToken] = None, use_cache: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``(t [N], rms_db [N])``: the RMS level in dBFS (a full-scale sine is -3 dB; silence and
    gaps ``FLOOR_DB``) of the mono mix at 16 kHz over consecutive bins ``[k, k + 1) * step_s``
    of the video's clock, ``t`` their centres, from 0 to the end of the audio. Empty arrays when
    the file has no audio. Cached per file content and step (``envelope_cache_path``)."""
    path = Path(path)
    fingerprint = file_fingerprint(path) if use_cache else None
    if fingerprint is not None:
        cached = _load_envelope(envelope_cache_path(fingerprint, step_s), fingerprint)
        if cached is not None:
            return cached
    t, db = compute_envelope(path, step_s, progress, cancel)
    if fingerprint is not None:
        buf = io.BytesIO()
        np.savez(buf, version=_CACHE_VERSION, fingerprint=fingerprint, t=t, db=db)
        try:
            atomic_write_bytes(envelope_cache_path(fingerprint, step_s), buf.getvalue())
        except OSError:
            pass  # a read-only cache only costs the next open another decode
    return t, db


def _load_envelope(cached: Path, fingerprint: str) -> Optional[tuple[np.ndarray, np.ndarray]]:
    if not cached.exists():
        return None
    try:
        with np.load(cached, allow_pickle=False) as z:
            if int(z["version"]) != _CACHE_VERSION or str(z["fingerprint"]) != fingerprint:
                return None
            t, db = z["t"], z["db"]
        return (t, db) if len(t) == len(db) else None
    except Exception:  # a damaged cache file is never trusted: decode again and overwrite it
        return None


__all__ = ["ENVELOPE_RATE", "FLOOR_DB", "PLAYBACK_RATE", "AudioDecoder", "AudioInfo", "compute_envelope",
           "envelope_cache_path", "loudness_envelope", "probe_audio"]

"""The player's sound, without Qt or a device: PCM decoded ahead (``AudioFeed``) and the blocks
an output device asks for, placed on the playback clock (``AudioSync``).

The playback clock is the master (``app.playback``: wall clock x speed). Each time the device
asks for a block it says how far ahead that block will be heard (``lead_s``: the device's DAC
time minus now); ``AudioSync.render`` fills the block with the sound at the clock's time *then*
(``now + lead_s x speed``), read at ``speed`` (0.25x-2x: resampled by linear interpolation,
pitch not preserved; silent above 2x). Consecutive blocks continue each other while they stay
within ``RESYNC_S`` of the clock, easing small drifts by at most ``SLEW`` in rate, so device-clock
drift and jitter in the reported latency cause no clicks; beyond that (a seek, a stall) the next
block jumps to the clock. ``audio_clock_s`` is the media time the device is playing now,
read from what each block was and when the device said it would be heard.

``AudioFeed`` decodes in its own thread (``inference.video.audio.AudioDecoder``) up to
``AHEAD_S`` beyond where the device reads, keeping ``KEEP_S`` behind it: a few seconds of PCM,
whatever the length of the file. A read outside what it holds (a seek) restarts the decoder
there; the block meanwhile is silent.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from inference.video.audio import AudioDecoder

MAX_AUDIBLE_SPEED = 2.0  # faster than this plays silent
RESYNC_S = 0.030  # audio further from the clock than this jumps to it (one click)
SLEW = 0.005  # at most 0.5% faster or slower to pull a smaller drift back...
EASE_S = 0.5  # ...over about this long
AHEAD_S = 1.0  # decoded ahead of the read position
KEEP_S = 0.5  # kept behind it (a small step back needs no new decode)
SEEK_SLACK_S = 0.35  # a read this far beyond the decoded end is a seek, not an underrun
LONG_GAP_S = 1.0  # a gap in the track longer than this is not filled with zeros in memory


class AudioFeed:
    """``AudioFeed(path, rate)``: mono float32 PCM at ``rate`` around the read position, decoded
    in a daemon thread; ``read(t, step, n)`` (any thread, never blocks on decoding) returns
    ``n`` samples at media times ``t + k * step``; ``close()`` stops the thread.
    ``seeks`` counts decoder restarts, ``underruns`` the reads the decoder had not reached yet."""

    def __init__(self, path: str | Path, rate: int, decoder_factory: Callable[..., AudioDecoder] = AudioDecoder):
        self.rate = int(rate)
        self.seeks = 0
        self.underruns = 0
        self._path = Path(path)
        self._factory = decoder_factory
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = False
        capacity = int((AHEAD_S + KEEP_S + LONG_GAP_S + 1.0) * self.rate)
        self._buf = np.zeros(capacity, dtype=np.float32)
        self._n = 0  # valid samples in _buf
        self._data_t = 0.0  # media time of _buf[0]
        self._origin: Optional[float] = None  # reads at or after this (and before the data) are silence
        self._silent_to = 0.0  # ...up to here: the start of a pending block after a long gap
        self._eof = False
        self._read_t = 0.0
        self._seek_to: Optional[float] = 0.0  # the first read starts the decoder (from 0 unless told)
        self._thread = threading.Thread(target=self._run, name="audio-feed", daemon=True)
        self._thread.start()

    # -- the device side ----------------------------------------------------------------------
    def read(self, t: float, step: float, n: int) -> np.ndarray:
        with self._lock:
            self._read_t = t
            end = self._data_t + self._n / self.rate
            origin = self._origin
            if origin is None or t < origin - 0.5 / self.rate or \
                    (not self._eof and t > max(end, self._silent_to) + SEEK_SLACK_S):
                if self._seek_to is None or abs(self._seek_to - t) > SEEK_SLACK_S:
                    self._seek_to = t
                    self._wake.set()
                return np.zeros(n, dtype=np.float32)
            if self._n == 0:
                self.underruns += int(not self._eof and t + n * step > self._silent_to)
                return np.zeros(n, dtype=np.float32)
            pos = (t - self._data_t) * self.rate + np.arange(n) * (step * self.rate)
            out = np.interp(pos, np.arange(self._n), self._buf[:self._n], left=0.0, right=0.0).astype(np.float32)
            if not self._eof and pos[-1] > self._n - 1 and t + n * step > self._silent_to:
                self.underruns += 1
            drop = int((t - KEEP_S - self._data_t) * self.rate)
            if drop > 0:
                self._drop(min(drop, self._n))
        self._wake.set()
        return out

    def _drop(self, k: int) -> None:
        self._buf[: self._n - k] = self._buf[k: self._n]
        self._n -= k
        self._data_t += k / self.rate

    # -- the decoder thread ---------------------------------------------------------------------
    def _run(self) -> None:
        try:
            decoder = self._factory(self._path, self.rate)
        except Exception:  # an unreadable track plays silent (the lane and the video still work)
            return
        blocks, pending = None, None
        try:
            while not self._stop:
                with self._lock:
                    target, self._seek_to = self._seek_to, None
                    if target is not None:
                        start = max(target - 0.05, 0.0)
                        self._n, self._data_t, self._origin, self._silent_to = 0, start, start, start
                        self._eof, self.seeks = False, self.seeks + 1
                    wanted = self._read_t + AHEAD_S
                    full = self._data_t + self._n / self.rate >= wanted
                if target is not None:
                    blocks, pending = decoder.blocks(start), None
                if blocks is None or self._eof or full:
                    self._wake.wait(0.05)
                    self._wake.clear()
                    continue
                if pending is None:
                    pending = next(blocks, None)
                    if pending is None:
                        with self._lock:
                            self._eof = True
                        continue
                if self._append(*pending):
                    pending = None
                else:
                    self._wake.wait(0.05)  # a long gap: wait until what is held has been played
                    self._wake.clear()
        finally:
            decoder.close()

    def _append(self, t: float, pcm: np.ndarray) -> bool:
        """Add a decoded block; False (nothing added) while a long gap must wait for the reader."""
        with self._lock:
            if self._seek_to is not None:
                return True  # stale: a seek is waiting
            end = self._data_t + self._n / self.rate
            gap = int(round((t - end) * self.rate))
            if gap > LONG_GAP_S * self.rate:
                self._silent_to = t
                if self._read_t < end:
                    return False
                self._n, self._data_t, gap = 0, t, 0  # the reader is past the old data: start afresh
            if gap < 0:  # overlaps what is held: keep the newer samples only beyond it
                pcm = pcm[-gap:]
                gap = 0
            need = self._n + gap + len(pcm)
            if need > len(self._buf):
                self._drop(min(need - len(self._buf), self._n))
                need = self._n + gap + len(pcm)
                if need > len(self._buf):
                    return True  # cannot happen with the blocks a decoder yields; never overflow
            self._buf[self._n: self._n + gap] = 0.0
            self._buf[self._n + gap: need] = pcm
            self._n = need
            return True

    def close(self) -> None:
        self._stop = True
        self._wake.set()
        self._thread.join(timeout=2.0)


class AudioSync:
    """Fills device blocks from a feed at the clock's time; ``audio_clock_s()`` is what is heard.

    ``clock_now()`` -> ``(media time now, playing)`` and ``clock_speed()`` (any thread: the
    playback clock's ``now`` and ``speed``). ``render(out, lead_s, now_wall)`` is called by the
    device for each block (``now_wall``: ``time.perf_counter()`` then). ``volume`` 0..1,
    ``muted``: the block is still placed (and counted by ``audio_clock_s``) but silent.
    """

    def __init__(self, clock_now: Callable[[], tuple[float, bool]], clock_speed: Callable[[], float],
                 feed: Optional[AudioFeed], rate: int):
        self.clock_now = clock_now
        self.clock_speed = clock_speed
        self.feed = feed
        self.rate = int(rate)
        self.volume = 1.0
        self.muted = False
        self.resyncs = 0  # jumps to the clock after playback had started (a seek counts)
        self.blocks = 0
        self._next_t: Optional[float] = None
        # (wall time the block's first sample is heard, its media time or None, media s per s)
        self._heard: deque = deque(maxlen=256)

    def render(self, out: np.ndarray, lead_s: float, now_wall: float) -> None:
        n = len(out)
        t_now, playing = self.clock_now()
        speed = float(self.clock_speed())
        t_now -= (time.perf_counter() - now_wall) * speed if playing else 0.0  # the clock at now_wall
        heard_at = now_wall + max(lead_s, 0.0)
        self.blocks += 1
        if not playing or speed > MAX_AUDIBLE_SPEED + 1e-9 or self.feed is None:
            out.fill(0.0)
            self._next_t = None
            self._heard.append((heard_at, None, 0.0))
            return
        want = t_now + max(lead_s, 0.0) * speed
        t0 = self._next_t
        if t0 is None or abs(want - t0) > RESYNC_S:
            if t0 is not None:
                self.resyncs += 1
            t0 = want
        pace = speed * (1.0 + float(np.clip((want - t0) / EASE_S, -SLEW, SLEW)))  # media s per s
        pcm = self.feed.read(t0, pace / self.rate, n)
        gain = 0.0 if self.muted else float(self.volume)
        np.multiply(pcm, gain, out=out)
        self._next_t = t0 + n * pace / self.rate
        self._heard.append((heard_at, t0, pace))

    def audio_clock_s(self, now_wall: Optional[float] = None) -> Optional[float]:
        """The media time of the sample the device plays now (None: silent, paused, above 2x)."""
        now = time.perf_counter() if now_wall is None else now_wall
        for heard_at, t0, pace in reversed(tuple(self._heard)):  # a copy: the device thread appends
            if heard_at <= now:
                return None if t0 is None else t0 + (now - heard_at) * pace
        return None


__all__ = ["MAX_AUDIBLE_SPEED", "RESYNC_S", "AudioFeed", "AudioSync"]

"""Frames for the video view, decoded on a worker thread where the latest request wins.

While the user scrubs, requests arrive faster than frames decode. The loader keeps only the
newest pending request: older ones are dropped (counted in ``dropped``), so the view always
catches up with the cursor instead of replaying the whole scrub. Decoding is frame accurate:
frames are addressed by index through ``inference.video.VideoReader``'s PTS index, never by
``t * fps``. One VideoReader is used only by this thread (VideoReader is not thread-safe).

Given a path, the thread also opens the video: it shows the first frame at once (decoded
straight from the container), then builds the timestamp index (~0.2 s for an hour of MP4 from
its sample table; seconds where packets must be read) and hands the reader to the window with
``opened``.

Playback (``follow(clock)``): while the clock runs, the thread decodes frames in sequence on its
own and shows each when the clock reaches it (at most one every 20 ms, to leave the CPU to decoding).
When decoding cannot keep up (16x needs ~480 frames/s), late frames are decoded but neither
converted nor shown (one every 40 ms still is, so motion stays visible), and once the clock is
about to reach the next keyframe (``JUMP_LEAD_S``) the rest of the current group of pictures is
skipped: decoding restarts at that keyframe, which is then on time. So the lag behind the clock
stays below about one group of pictures, and every frame shown is an exact decoded frame.

With a scrubbing proxy (``set_proxy``: the same frames, small and all-intra; see
``inference.video.proxy``) a seek shows the proxy's frame at once, scaled to the original's
size, and the original replaces it once the position has rested ``REST_S``; ``showing_proxy``
says which is on screen. From ``FAST_SPEED`` up, playback shows proxy frames (any frame is one
intra decode away, so there is no group of pictures to fall behind in); paused, the original.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Optional, Union

import cv2
import numpy as np
from PySide6.QtCore import QThread, Signal

from inference.core.errors import SemioscopeError
from inference.video.reader import VideoReader


class FrameLoader(QThread):
    """``request(frame)`` from any thread; ``frame_ready(frame, time_s, rgb)`` arrives queued.

    ``FrameLoader(reader_or_path)``. Signals:

    - ``frame_ready(int, float, object)``: ``rgb`` is ``uint8 [H, W, 3]``.
    - ``failed(int, str)``: that frame could not be decoded (the message names the file).
    - ``opened(VideoReader)``: (given a path) the index is built; ``open_failed(str)``: it cannot be.
    - ``dropped``: how many requests were superseded before being decoded.
    - ``last_latency_s``: request-to-decoded time of the last delivered frame.
    """

    frame_ready = Signal(int, float, object)
    failed = Signal(int, str)
    opened = Signal(object)
    open_failed = Signal(str)

    #: Memory for recently decoded frames (YUV), so stepping back does not decode twice.
    CACHE_MB = 192
    #: While playing, show frames at most this often (wall seconds): a screen shows ~60 per
    #: second, and converting and painting more would take CPU time from the decoder.
    MIN_SHOW_GAP_S = 0.02
    #: While late at high speed, still show a frame at least this often (wall seconds).
    MAX_SHOW_GAP_S = 0.04
    #: A late player jumps to the keyframe the clock reaches this much later (wall seconds:
    #: about one seek plus one keyframe decode), so the keyframe is not late on arrival.
    JUMP_LEAD_S = 0.015
    #: With a proxy: the original frame replaces the proxy's once the position rests this long.
    REST_S = 0.15
    #: With a proxy: playback at this speed and above shows proxy frames.
    FAST_SPEED = 4.0
    #: Proxy playback picks the frame due this long from now (wall seconds): about what decoding,
    #: scaling and painting it take, so it is on time when it appears rather than that late.
    PROXY_LEAD_S = 0.02

    def __init__(self, source: Union[VideoReader, str, Path], parent=None):
        super().__init__(parent)
        if isinstance(source, VideoReader):
            self.reader: Optional[VideoReader] = source
            self.path = source.path
        else:
            self.reader = None
            self.path = Path(source)
        self._cond = threading.Condition()
        self._pending: Optional[tuple[int, float]] = None  # (frame, time requested)
        self._stopping = False
        self.dropped = 0
        self.decoded = 0
        self.last_latency_s = 0.0
        self._clock = None  # a PlaybackClock to follow (``follow``)
        self.shown = -1  # the last frame emitted
        self.play_shown = 0  # frames shown / decoded but not shown / keyframe jumps while playing
        self.play_skipped = 0
        self.play_jumps = 0
        self._proxy_path: Optional[Path] = None
        self._proxy: Optional[VideoReader] = None  # opened in the thread (a reader is not thread-safe)
        self.showing_proxy = False
        self.proxy_shown = 0
        self.last_original_s = 0.0  # request-to-original time of the last seek served with the proxy

    @property
    def frame_count(self) -> int:
        return len(self.reader.index) if self.reader is not None else 0

    def request(self, frame: int) -> None:
        frame = max(int(frame), 0)  # the upper clamp happens in the thread, once the index exists
        with self._cond:
            if self._pending is not None:
                self.dropped += 1
            self._pending = (frame, time.perf_counter())
            self._cond.notify()

    def request_time(self, t: float) -> int:
        """Request the frame on screen at ``t`` seconds (the index must exist); returns its index."""
        assert self.reader is not None
        frame = self.reader.time_to_frame(t)
        self.request(frame)
        return frame

    def follow(self, clock) -> None:
        """Play along with ``clock`` (an ``app.playback.PlaybackClock``) whenever it runs."""
        self._clock = clock
        clock.state_changed.connect(self._wake)
        clock.speed_changed.connect(self._wake)
        self._wake()

    def set_proxy(self, path: Optional[Path]) -> None:
        """Use the scrubbing proxy at ``path`` (same frame count as the video) from now on."""
        with self._cond:
            self._proxy_path = Path(path) if path is not None else None
            self._cond.notify()

    def _proxy_reader(self) -> Optional[VideoReader]:
        """The proxy's reader (thread side), opened on first use; None when there is none or it
        does not match the video frame for frame."""
        with self._cond:
            path = self._proxy_path
        if path is None:
            if self._proxy is not None:
                self._proxy.close()
                self._proxy = None
            return None
        if self._proxy is None or self._proxy.path != path:
            try:
                proxy = VideoReader(path)
            except Exception:  # a damaged cache file: work without it
                self._proxy_path = None
                return None
            if len(proxy.index) != self.frame_count:
                proxy.close()
                self._proxy_path = None
                return None
            self._proxy = proxy
        return self._proxy

    def _proxy_rgb(self, proxy: VideoReader, frame: int) -> Optional[np.ndarray]:
        try:
            small = proxy.read_frame(frame)
        except Exception:
            return None
        meta = self.reader.meta
        return cv2.resize(small, (meta.width, meta.height), interpolation=cv2.INTER_LINEAR)

    def _wake(self, *_args) -> None:
        with self._cond:
            self._cond.notify()

    def _clock_running(self) -> bool:
        return self._clock is not None and self.reader is not None and self._clock.now()[1]

    def stop(self, wait_ms: int = 60000) -> None:
        """Stop after the current decode (or after the index, while opening) and wait."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self.wait(wait_ms)

    def _preview_first_frame(self) -> None:
        """Frame 0 straight from the container, before the index exists (best effort)."""
        try:
            import av  # PyAV takes ~0.1 s to import: only once a file is opened

            with av.open(str(self.path)) as container:
                stream = container.streams.video[0]
                for av_frame in container.decode(stream):
                    self.frame_ready.emit(0, 0.0, av_frame.to_ndarray(format="rgb24"))
                    return
        except Exception:
            return  # opening the reader reports what is wrong with the file

    def _open(self) -> bool:
        self._preview_first_frame()
        try:
            self.reader = VideoReader(self.path, cache_mb=self.CACHE_MB)
        except SemioscopeError as exc:
            self.open_failed.emit(str(exc))
            return False
        except Exception as exc:
            self.open_failed.emit(f"{self.path}: cannot open ({type(exc).__name__}: {exc})")
            return False
        self.opened.emit(self.reader)
        return True

    def run(self) -> None:
        if self.reader is None and not self._open():
            return
        while True:
            with self._cond:
                while self._pending is None and not self._stopping and not self._clock_running():
                    self._cond.wait()
                if self._stopping:
                    break
                request, self._pending = self._pending, None
            if request is not None:
                self._serve(*request)
            else:
                self._play()
        if self.reader is not None:
            self.reader.close()
        if self._proxy is not None:
            self._proxy.close()

    def _cheap(self, frame: int) -> bool:
        """The original of ``frame`` is at hand: cached, or a few frames on from the decoder's
        position (stepping frame by frame)."""
        reader = self.reader
        nxt = reader.next_frame
        return frame in reader.cache or (nxt is not None and nxt <= frame <= nxt + 2 and reader._decoder is not None)

    def _serve(self, frame: int, asked: float, use_proxy: bool = True) -> None:
        """Decode and emit exactly ``frame`` (a seek); with a proxy, its frame first, then the
        original once no other request came for ``REST_S``."""
        frame = min(frame, self.frame_count - 1)
        proxy = self._proxy_reader() if use_proxy else None
        if proxy is not None and not self._cheap(frame):
            rgb = self._proxy_rgb(proxy, frame)
            if rgb is not None:
                self.proxy_shown += 1
                self.last_latency_s = time.perf_counter() - asked
                self._emit(frame, rgb, proxy=True)
                self._sleep(self.REST_S)
                if self._interrupted() or self._clock_running():
                    return  # the position moved on: the original of this frame is not needed
        try:
            rgb = self.reader.read_frame(frame)
        except (SemioscopeError, IndexError) as exc:
            self.failed.emit(frame, str(exc))
            return
        except Exception as exc:  # a decoder error must not kill the thread
            self.failed.emit(frame, f"{self.reader.path}: frame {frame} cannot be decoded ({type(exc).__name__}: {exc})")
            return
        self.decoded += 1
        if self.showing_proxy and self.shown == frame:
            self.last_original_s = time.perf_counter() - asked
        else:
            self.last_latency_s = time.perf_counter() - asked
        self._emit(frame, rgb)

    def _emit(self, frame: int, rgb: np.ndarray, proxy: bool = False) -> None:
        self.shown = frame
        self.showing_proxy = proxy
        self.frame_ready.emit(frame, self.reader.frame_to_time(frame), np.ascontiguousarray(rgb))

    def _interrupted(self) -> bool:
        with self._cond:
            return self._pending is not None or self._stopping

    def _play(self) -> None:
        """Follow the running clock until it stops or a request (a seek) arrives."""
        if self._clock.speed >= self.FAST_SPEED and self._proxy_reader() is not None:
            self._play_proxy()
            return
        reader, clock = self.reader, self._clock
        pts, n = reader.index.pts_s, len(reader.index)
        # (frame, decoder frame, late): decoded, then shown or skipped once the clock reaches it.
        decoded = None
        last_show = time.perf_counter()
        while not self._interrupted():
            t, playing = clock.now()
            if not playing:
                # Paused: the exact frame at the clock's position, as a seek would show it.
                frame = reader.time_to_frame(t)
                if frame != self.shown:
                    self._serve(frame, time.perf_counter())
                return
            if decoded is None:
                want = reader.time_to_frame(t)
                self._keep_up(t, want)
                try:
                    got = reader.decode_next()
                except Exception as exc:
                    self.failed.emit(want, f"{reader.path}: playback stopped at frame {want} ({type(exc).__name__}: {exc})")
                    return
                if got is None:  # the end: wait for the clock to stop there
                    self._sleep(0.02)
                    continue
                i, av_frame = got
                t, _ = clock.now()
                decoded = (i, av_frame, i + 1 < n and pts[i + 1] <= t)  # late: its successor is due
            i, av_frame, late = decoded
            if pts[i] > t:  # early: sleep until due (a seek, pause or stop wakes us)
                self._sleep(min((pts[i] - t) / clock.speed, 0.1))
                continue
            decoded = None
            if self._shows(i, late, t, time.perf_counter() - last_show):
                self._show(i, av_frame)
                last_show = time.perf_counter()
            else:
                self.play_skipped += 1  # decoded for the frames after it, never converted

    def _play_proxy(self) -> None:
        """Fast playback from the all-intra proxy: the frame due now, whichever it is."""
        reader, clock, proxy = self.reader, self._clock, self._proxy_reader()
        while not self._interrupted():
            t, playing = clock.now()
            if not playing:
                frame = reader.time_to_frame(t)
                if frame != self.shown or self.showing_proxy:
                    self._serve_original(frame)
                return
            if clock.speed < self.FAST_SPEED:
                return  # slower again: the run loop plays the original
            want = reader.time_to_frame(t + self.PROXY_LEAD_S * clock.speed)
            if want != self.shown:
                rgb = self._proxy_rgb(proxy, want)
                if rgb is not None:
                    self.play_shown += 1
                    self._emit(want, rgb, proxy=True)
            self._sleep(self.MIN_SHOW_GAP_S)

    def _serve_original(self, frame: int) -> None:
        """The original frame, without the proxy first (paused: what is marked must be exact)."""
        self._serve(frame, time.perf_counter(), use_proxy=False)

    def _keep_up(self, t: float, want: int) -> None:
        """Restart decoding at a keyframe when the decoder is elsewhere (after a seek) or behind
        the clock by more than the rest of its group of pictures, skipping what is late."""
        reader = self.reader
        nxt = reader.next_frame
        # Where the clock will be once a keyframe is decoded: jumping there lands on time.
        ahead = reader.time_to_frame(t + self.JUMP_LEAD_S * self._clock.speed)
        key = reader.index.keyframe_at_or_before(ahead)
        if nxt is None or nxt > want + 1 or (key is not None and key > nxt):
            reader.start_at_keyframe(ahead if key is not None and nxt is not None and key > nxt else want)
            self.play_jumps += 1

    def _shows(self, frame: int, late: bool, t: float, since_show_s: float) -> bool:
        """Whether a decoded frame that is due at clock time ``t`` is converted and shown.

        Not sooner than ``MIN_SHOW_GAP_S`` after the last one (``MAX_SHOW_GAP_S`` while late:
        converting and painting would take the decoder's CPU), and never a step back behind the
        frame on screen (the lead-in to a seek target) unless the clock itself went back there.
        """
        if since_show_s < (self.MAX_SHOW_GAP_S if late else self.MIN_SHOW_GAP_S):
            return False
        return frame > self.shown or t < self.reader.index.pts_s[self.shown]

    def _sleep(self, seconds: float) -> None:
        """Wait up to ``seconds``; a request, stop, pause or change of speed ends it early."""
        with self._cond:
            if self._pending is None and not self._stopping:
                self._cond.wait(seconds)

    def _show(self, frame: int, av_frame) -> None:
        self.play_shown += 1
        self._emit(frame, self.reader.to_rgb(av_frame))

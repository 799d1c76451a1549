"""Frames for the video view, decoded on a worker thread where the latest request wins.

While the user scrubs, requests arrive faster than frames decode. The loader keeps only the
newest pending request: older ones are dropped (counted in ``dropped``), so the view always
catches up with the cursor instead of replaying the whole scrub. Decoding is frame accurate:
frames are addressed by index through ``inference.video.VideoReader``'s PTS index, never by
``t * fps``. One VideoReader is used only by this thread (VideoReader is not thread-safe).

Given a path, the thread also opens the video: it shows the first frame at once (decoded
straight from the container), then builds the timestamp index, which for an hour of video means
reading every packet (seconds), and hands the reader to the window with ``opened``.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Optional, Union

import numpy as np
from PySide6.QtCore import QThread, Signal

from inference.errors import SemioscopeError
from inference.video import VideoReader


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

    def stop(self, wait_ms: int = 60000) -> None:
        """Stop after the current decode (or after the index, while opening) and wait."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self.wait(wait_ms)

    def _preview_first_frame(self) -> None:
        """Frame 0 straight from the container, before the index exists (best effort)."""
        try:
            import av

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
            self.reader = VideoReader(self.path)
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
                while self._pending is None and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    break
                frame, asked = self._pending
                self._pending = None
            frame = min(frame, self.frame_count - 1)
            try:
                rgb = self.reader.read_frame(frame)
            except (SemioscopeError, IndexError) as exc:
                self.failed.emit(frame, str(exc))
                continue
            except Exception as exc:  # a decoder error must not kill the thread
                self.failed.emit(frame, f"{self.reader.path}: frame {frame} cannot be decoded ({type(exc).__name__}: {exc})")
                continue
            self.decoded += 1
            self.last_latency_s = time.perf_counter() - asked
            self.frame_ready.emit(frame, self.reader.frame_to_time(frame), np.ascontiguousarray(rgb))
        if self.reader is not None:
            self.reader.close()

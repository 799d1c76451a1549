"""Decoding frames of a video: random access by frame, sequential decoding and sampling by time.

``VideoReader`` finds every frame through the ``FrameIndex`` (``inference.video.index``), so
seeks and samples are exact on variable-frame-rate files.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Iterable, Iterator, Optional

import numpy as np

from inference.core.errors import VideoError
from inference.video.index import _build_index, _open_container


class RecentFrames:
    """Decoded frames (decoder output, before any RGB conversion) by frame index, least recently
    used dropped first once ``max_bytes`` is exceeded. A seek decodes every frame from the
    keyframe to its target anyway; keeping them makes stepping back, and seeks near the current
    position, a look-up instead of a second decode of the group of pictures.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = int(max_bytes)
        self.bytes = 0
        self.hits = 0
        self._frames: "OrderedDict[int, tuple[object, int]]" = OrderedDict()

    def __len__(self) -> int:
        return len(self._frames)

    def __contains__(self, frame: int) -> bool:
        return frame in self._frames

    def get(self, frame: int):
        item = self._frames.get(frame)
        if item is None:
            return None
        self._frames.move_to_end(frame)
        self.hits += 1
        return item[0]

    def put(self, frame: int, av_frame, nbytes: int) -> None:
        if nbytes > self.max_bytes:
            return
        old = self._frames.pop(frame, None)
        if old is not None:
            self.bytes -= old[1]
        self._frames[frame] = (av_frame, nbytes)
        self.bytes += nbytes
        while self.bytes > self.max_bytes:
            _, (_, b) = self._frames.popitem(last=False)
            self.bytes -= b

    def clear(self) -> None:
        self._frames.clear()
        self.bytes = 0


def _frame_bytes(av_frame) -> int:
    return sum(plane.buffer_size for plane in av_frame.planes)


class VideoReader:
    """Random and sequential access to the frames of one video file, as RGB ``uint8 [H, W, 3]``.

    Opening builds the PTS index (raises :class:`VideoError` naming the file on bad input).
    ``read_frame`` is frame accurate on any file: it continues the open decoder when the target
    lies ahead in the same group of pictures, else seeks to the keyframe before the target and
    decodes forward. Only the target is converted to RGB; frames nothing refers to
    (non-reference B-frames) that are presented before the target are not decoded at all, and
    the frames it does decode are kept (``cache_mb``, YUV, 0 = off) for later requests. The
    frame returned is always bit-exact what a full sequential decode gives.
    ``iter_frames`` decodes sequentially and is what bulk work should use.
    For players: ``decode(frame)`` / ``decode_next()`` return decoder frames without converting
    and ``to_rgb`` converts one; ``next_frame`` is where sequential decoding stands.
    Frames that fail to decode are skipped and recorded in ``decode_failures`` (frame indices),
    never invented. Not thread-safe: use one reader per thread.
    """

    def __init__(self, path: str | Path, cache_mb: float = 0.0):
        self.path = Path(path)
        self.index, self.meta, self._t0_s = _build_index(self.path)
        self._container = None
        self._stream = None
        self.decode_failures: list[int] = []
        self._lock = threading.RLock()
        self.next_frame: Optional[int] = None  # frame the open decoder would produce next
        self._decoder: Optional[Iterator] = None
        self._target_ticks: Optional[int] = None  # packets presented before it may skip non-ref frames
        self.cache = RecentFrames(int(cache_mb * 2 ** 20))
        self.seeks = 0  # container seeks done by read_frame / decode (for benchmarks and tests)
        self.frames_decoded = 0

    # -- context management -------------------------------------------------------------
    def __enter__(self) -> "VideoReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
        self._container = None
        self._decoder = None
        self.next_frame = None
        self.cache.clear()

    # -- helpers ------------------------------------------------------------------------
    def _ensure_open(self):
        if self._container is None:
            self._container = _open_container(self.path)
            self._stream = self._container.streams.video[0]
            # Random access decodes a short run from a keyframe to one target: slice threads
            # speed up every frame of it, frame threads add a pipeline to fill after each seek
            # (measured on 2 cores, 720p H.264: SLICE 73 ms, AUTO 81 ms, FRAME 88 ms per seek).
            self._stream.thread_type = "SLICE"
            self._tb = float(self._stream.time_base)
        return self._container

    def _frame_number(self, frame) -> Optional[int]:
        if frame.pts is None:
            return None
        t = frame.pts * self._tb - self._t0_s
        i = int(np.searchsorted(self.index.pts_s, t - 1e-6, side="left"))
        if i < len(self.index.pts_s) and abs(self.index.pts_s[i] - t) < 1e-4:
            return i
        return None

    def _ticks(self, frame: int) -> int:
        return int(round((self.index.pts_s[frame] + self._t0_s) / self._tb))

    def _seek_before(self, frame: int) -> None:
        """Position the decoder so it yields frames from the keyframe at or before ``frame``."""
        container = self._ensure_open()
        container.seek(self._ticks(frame), backward=True, any_frame=False, stream=self._stream)
        self.seeks += 1
        self._decoder = self._decoded_frames(container, self._stream, skip_nonref=True)
        self.next_frame = None

    def _decoded_frames(self, container, stream, skip_nonref: bool = False) -> Iterator:
        demux = container.demux(stream)
        ctx = stream.codec_context
        skipping = False
        while True:
            try:
                packet = next(demux)
            except StopIteration:
                return
            except Exception:
                return  # truncated stream: stop where reading stopped
            if skip_nonref:
                # A non-reference frame shown before the target can change nothing the target
                # is built from (H.264 nal_ref_idc == 0), so the decoder may drop it unparsed.
                skip = (self._target_ticks is not None and packet.pts is not None
                        and packet.pts < self._target_ticks)
                if skip != skipping:
                    ctx.skip_frame = "NONREF" if skip else "DEFAULT"
                    skipping = skip
            try:
                frames = packet.decode()
            except Exception:
                continue  # corrupt packet: its frames are missing, never invented
            for frame in frames:
                yield frame

    def _can_continue_to(self, frame: int) -> bool:
        """Continuing the open decoder reaches ``frame`` with no more work than a seek would."""
        if self._decoder is None or self.next_frame is None or frame < self.next_frame:
            return False
        key = self.index.keyframe_at_or_before(frame)
        if key is None:
            return frame <= self.next_frame + 30
        return key <= self.next_frame

    # -- public API -----------------------------------------------------------------------
    def frame_to_time(self, frame: int) -> float:
        return self.index.frame_to_time(frame)

    def time_to_frame(self, t: float) -> int:
        return self.index.time_to_frame(t)

    def read_frame(self, frame: int) -> np.ndarray:
        """Decode frame ``frame`` exactly (RGB uint8). Raises VideoError if it cannot be decoded."""
        return self.to_rgb(self.decode(frame))

    @staticmethod
    def to_rgb(av_frame) -> np.ndarray:
        """``uint8 [H, W, 3]`` RGB of a frame from ``decode`` / ``decode_next``."""
        return av_frame.to_ndarray(format="rgb24")

    def decode(self, frame: int):
        """The decoder's frame ``frame`` (not converted; see ``to_rgb``). Raises VideoError."""
        if not 0 <= frame < len(self.index):
            raise IndexError(f"{self.path}: frame {frame} out of range 0..{len(self.index) - 1}")
        with self._lock:
            hit = self.cache.get(frame)
            if hit is not None:
                return hit
            if self._can_continue_to(frame):
                got = self._decode_forward_to(frame)
                if got is not None and got[0] == frame:
                    return got[1]
            self._seek_before(frame)
            got = self._decode_forward_to(frame)
            if got is None or got[0] != frame:
                self._decoder = None  # the target was lost (undecodable): the next request seeks
                raise VideoError(self.path, f"frame {frame} (t={self.index.pts_s[frame]:.3f} s) cannot be decoded")
            return got[1]

    def decode_next(self) -> Optional[tuple[int, object]]:
        """``(frame index, decoder frame)`` of the next frame in sequence (after the last one
        decoded, or the first frame); None at the end. For players: every frame from there on
        is returned, in order."""
        with self._lock:
            start = 0 if self.next_frame is None else self.next_frame
            if start >= len(self.index):
                return None
            if self._decoder is None or self.next_frame is None:
                self._seek_before(start)
            return self._decode_forward_to(start)

    def _decode_forward_to(self, frame: int) -> Optional[tuple[int, object]]:
        """Run the open decoder up to ``frame``: ``(index, decoder frame)`` of the first frame
        at or after it (``frame`` itself unless that was lost), None once the stream ends.
        Frames presented before ``frame`` may be skipped undecoded if nothing refers to them;
        every frame decoded is counted, cached and moves ``next_frame``."""
        assert self._decoder is not None
        self._target_ticks = self._ticks(frame)
        for av_frame in self._decoder:
            i = self._frame_number(av_frame)
            if i is None:
                continue
            self.frames_decoded += 1
            self.next_frame = i + 1
            if self.cache.max_bytes:
                self.cache.put(i, av_frame, _frame_bytes(av_frame))
            if i >= frame:
                return i, av_frame
        self._decoder = None
        return None

    def start_at_keyframe(self, frame: int) -> None:
        """Make ``decode_next`` continue from the keyframe at or before ``frame`` (a player
        that fell behind jumps ahead instead of decoding what it can no longer show)."""
        with self._lock:
            key = self.index.keyframe_at_or_before(frame)
            if key is None:  # unknown keyframes: decode_next seeks and starts at ``frame``
                self._decoder, self.next_frame = None, frame
                return
            self._seek_before(key)
            self.next_frame = key

    def read_at_time(self, t: float) -> np.ndarray:
        return self.read_frame(self.time_to_frame(t))

    def iter_frames(self, frames: Optional[Iterable[int]] = None, start_frame: int = 0
                    ) -> Iterator[tuple[int, np.ndarray]]:
        """Decode sequentially and yield ``(frame_index, rgb)`` for the wanted frames, in order.

        ``frames`` (sorted ascending; repeats allowed) defaults to every frame from
        ``start_frame``. Frames that cannot be decoded are skipped and appended to
        ``decode_failures``. Only decoded frames that are wanted are converted to RGB.
        """
        if frames is None:
            wanted = np.arange(start_frame, len(self.index))
        else:
            wanted = np.asarray(list(frames), dtype=np.int64)
        if len(wanted) == 0:
            return
        container = _open_container(self.path)
        try:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            tb = float(stream.time_base)
            t0 = self._t0_s
            first = int(wanted[0])
            if first > 0:
                ticks = int(round((self.index.pts_s[first] + t0) / tb))
                container.seek(ticks, backward=True, any_frame=False, stream=stream)
            k = 0  # position in wanted
            pts = self.index.pts_s
            for av_frame in self._decoded_frames(container, stream):
                if av_frame.pts is None:
                    continue
                t = av_frame.pts * tb - t0
                i = int(np.searchsorted(pts, t - 1e-6, side="left"))
                if i >= len(pts) or abs(pts[i] - t) > 1e-4:
                    continue
                # Frames we passed without seeing were lost to decode errors.
                while k < len(wanted) and wanted[k] < i:
                    self.decode_failures.append(int(wanted[k]))
                    k += 1
                if k >= len(wanted):
                    break
                if wanted[k] == i:
                    rgb = av_frame.to_ndarray(format="rgb24")
                    while k < len(wanted) and wanted[k] == i:
                        yield i, rgb
                        k += 1
                    if k >= len(wanted):
                        break
            while k < len(wanted):
                self.decode_failures.append(int(wanted[k]))
                k += 1
        finally:
            container.close()

    def iter_sampled(self, fps: float, start_s: float = 0.0, end_s: Optional[float] = None
                     ) -> Iterator[tuple[float, int, np.ndarray]]:
        """Sample by time at ``fps`` and yield ``(time_s, frame_index, rgb)``.

        Sampling instants whose frame cannot be decoded are skipped (their times are missing).
        """
        times, frames = self.index.sample(fps, start_s, end_s)
        k = 0
        for i, rgb in self.iter_frames(frames):
            # ``frames`` may repeat (sampling faster than the video); emit each instant once.
            while k < len(frames) and frames[k] < i:
                k += 1
            if k < len(frames) and frames[k] == i:
                yield float(times[k]), i, rgb
                k += 1

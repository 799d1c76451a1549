"""Video timing: a frame index from presentation timestamps, frame-accurate seeking and sampling.

Frames are always found through the presentation-timestamp (PTS) index, never as ``t * fps``,
so variable-frame-rate files stay in sync. The index is built by demuxing packets (no decoding),
which is fast and also reveals truncated files: the reader keeps what can be read and says where
it stopped.

Times are seconds relative to the first presented frame.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Iterator, Optional

import numpy as np

from .errors import VideoError


@dataclass(frozen=True)
class VideoMeta:
    """What a user wants to know about a video before reading it."""

    path: str
    width: int
    height: int
    frame_count: int  # readable frames (after truncation, if any)
    duration_s: float  # end of the last readable frame
    fps: float  # average rate = frame_count / duration (nominal rate for CFR files)
    codec: str
    variable_frame_rate: bool
    truncated: bool  # the container promised more frames than could be read
    expected_frame_count: int  # what the container header promised (0 when unknown)

    def summary(self) -> str:
        vfr = " (variable frame rate)" if self.variable_frame_rate else ""
        s = (f"{self.width}x{self.height}, {self.frame_count} frames, {self.duration_s:.2f} s, "
             f"{self.fps:.3f} fps{vfr}, codec {self.codec}")
        if self.truncated:
            s += f"; TRUNCATED: readable up to {self.duration_s:.2f} s (frame {self.frame_count} of {self.expected_frame_count})"
        return s


class FrameIndex:
    """Presentation timestamps of every frame, sorted. ``pts_s[i]`` is when frame ``i`` appears.

    ``end_s`` is when the last frame stops being shown.
    """

    def __init__(self, pts_s: np.ndarray, end_s: float):
        pts_s = np.asarray(pts_s, dtype=np.float64)
        if pts_s.ndim != 1 or len(pts_s) == 0:
            raise ValueError("a frame index needs at least one timestamp")
        if np.any(np.diff(pts_s) <= 0):
            raise ValueError("timestamps must be strictly increasing")
        self.pts_s = pts_s
        self.end_s = float(max(end_s, pts_s[-1]))

    def __len__(self) -> int:
        return len(self.pts_s)

    @property
    def duration_s(self) -> float:
        return self.end_s

    def frame_to_time(self, frame: int) -> float:
        if not 0 <= frame < len(self.pts_s):
            raise IndexError(f"frame {frame} out of range 0..{len(self.pts_s) - 1}")
        return float(self.pts_s[frame])

    def time_to_frame(self, t: float) -> int:
        """The frame on screen at time ``t``: the last frame whose PTS is <= t (clamped)."""
        i = int(np.searchsorted(self.pts_s, t + 1e-9, side="right")) - 1
        return int(min(max(i, 0), len(self.pts_s) - 1))

    def times_to_frames(self, times: np.ndarray) -> np.ndarray:
        i = np.searchsorted(self.pts_s, np.asarray(times, dtype=np.float64) + 1e-9, side="right") - 1
        return np.clip(i, 0, len(self.pts_s) - 1).astype(np.int64)

    def sample_times(self, fps: float, start_s: float = 0.0, end_s: Optional[float] = None) -> np.ndarray:
        """Sampling instants ``start, start + 1/fps, ...`` strictly before ``end`` (default: video end)."""
        end = self.end_s if end_s is None else min(end_s, self.end_s)
        n = int(np.floor((end - start_s) * fps + 1e-6))
        return start_s + np.arange(max(n, 0), dtype=np.float64) / fps

    def sample(self, fps: float, start_s: float = 0.0, end_s: Optional[float] = None) -> tuple[np.ndarray, np.ndarray]:
        """Sample by time at ``fps``: returns (times [N], frame indices [N]) of the frames on screen."""
        times = self.sample_times(fps, start_s, end_s)
        return times, self.times_to_frames(times)

    @property
    def is_variable_rate(self) -> bool:
        if len(self.pts_s) < 3:
            return False
        d = np.diff(self.pts_s)
        return bool((d.max() - d.min()) > 0.1 * np.median(d))


def _open_container(path: Path):
    import av

    if not path.exists():
        raise VideoError(path, "file not found")
    if path.is_dir():
        raise VideoError(path, "is a folder, not a video file")
    if path.stat().st_size == 0:
        raise VideoError(path, "file is empty (0 bytes)")
    try:
        container = av.open(str(path), mode="r")
    except Exception as exc:  # av raises many error types; all mean "unreadable"
        raise VideoError(path, f"cannot open as video ({type(exc).__name__}: {exc}); "
                               "the file may be corrupt, truncated or not a video") from None
    if not container.streams.video:
        container.close()
        raise VideoError(path, "contains no video stream")
    return container


def _build_index(path: Path) -> tuple[FrameIndex, VideoMeta, float]:
    """Demux packets to build the index. Also returns the first PTS in seconds (stream clock)."""
    container = _open_container(path)
    try:
        stream = container.streams.video[0]
        tb = stream.time_base or Fraction(1, 90000)
        pts: list[int] = []
        last_dur = 0
        truncated_by_error = False
        try:
            for packet in container.demux(stream):
                if packet.size == 0 or packet.pts is None:
                    continue  # flush packet / no timestamp
                pts.append(packet.pts)
                last_dur = packet.duration or last_dur
        except Exception:
            truncated_by_error = True
        expected = int(stream.frames or 0)
        ctx = stream.codec_context
        width, height = int(ctx.width or 0), int(ctx.height or 0)
        codec = ctx.name or "unknown"
    finally:
        container.close()
    if not pts:
        raise VideoError(path, "contains zero readable frames")
    ticks = np.unique(np.asarray(pts, dtype=np.int64))  # sort presentation order, drop dups
    t0 = ticks[0]
    pts_s = (ticks - t0).astype(np.float64) * float(tb)
    if len(pts_s) > 1:
        typical = float(np.median(np.diff(pts_s)))
    else:
        typical = 1.0 / 30.0
    end_s = pts_s[-1] + (last_dur * float(tb) if last_dur else typical)
    index = FrameIndex(pts_s, end_s)
    n = len(pts_s)
    truncated = truncated_by_error or (expected > 0 and n < expected)
    meta = VideoMeta(
        path=str(path), width=width, height=height, frame_count=n, duration_s=index.end_s,
        fps=n / index.end_s if index.end_s > 0 else 0.0, codec=codec,
        variable_frame_rate=index.is_variable_rate, truncated=truncated,
        expected_frame_count=expected,
    )
    if width <= 0 or height <= 0:
        raise VideoError(path, "video stream has no frame size")
    return index, meta, float(t0 * tb)


class VideoReader:
    """Random and sequential access to the frames of one video file, as RGB ``uint8 [H, W, 3]``.

    Opening builds the PTS index (raises :class:`VideoError` naming the file on bad input).
    ``read_frame`` seeks to the keyframe before the target and decodes forward, so it is frame
    accurate on any file. ``iter_frames`` decodes sequentially and is what bulk work should use.
    Frames that fail to decode are skipped and recorded in ``decode_failures`` (frame indices),
    never invented. Not thread-safe: use one reader per thread.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.index, self.meta, self._t0_s = _build_index(self.path)
        self._container = None
        self._stream = None
        self.decode_failures: list[int] = []
        self._lock = threading.Lock()
        self._next_frame: Optional[int] = None  # frame the open decoder would produce next
        self._decoder: Optional[Iterator] = None

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
        self._next_frame = None

    # -- helpers ------------------------------------------------------------------------
    def _ensure_open(self):
        if self._container is None:
            self._container = _open_container(self.path)
            self._stream = self._container.streams.video[0]
            self._stream.thread_type = "AUTO"
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

    def _decode_from(self, target_frame: int) -> Iterator:
        """Position a decoder so it yields frames starting at or before ``target_frame``."""
        container = self._ensure_open()
        stream = self._stream
        target_ticks = int(round((self.index.pts_s[target_frame] + self._t0_s) / self._tb))
        container.seek(target_ticks, backward=True, any_frame=False, stream=stream)
        return self._decoded_frames(container, stream)

    def _decoded_frames(self, container, stream) -> Iterator:
        demux = container.demux(stream)
        while True:
            try:
                packet = next(demux)
            except StopIteration:
                return
            except Exception:
                return  # truncated stream: stop where reading stopped
            try:
                frames = packet.decode()
            except Exception:
                continue  # corrupt packet: its frames are missing, never invented
            for frame in frames:
                yield frame

    # -- public API -----------------------------------------------------------------------
    def frame_to_time(self, frame: int) -> float:
        return self.index.frame_to_time(frame)

    def time_to_frame(self, t: float) -> int:
        return self.index.time_to_frame(t)

    def read_frame(self, frame: int) -> np.ndarray:
        """Decode frame ``frame`` exactly (RGB uint8). Raises VideoError if it cannot be decoded."""
        if not 0 <= frame < len(self.index):
            raise IndexError(f"{self.path}: frame {frame} out of range 0..{len(self.index) - 1}")
        with self._lock:
            # Sequential fast path: the open decoder is just before the target.
            if self._decoder is not None and self._next_frame is not None and \
                    self._next_frame <= frame <= self._next_frame + 30:
                got = self._advance_to(frame)
                if got is not None:
                    return got
            self._decoder = self._decode_from(frame)
            self._next_frame = None
            got = self._advance_to(frame)
            if got is None:
                raise VideoError(self.path, f"frame {frame} (t={self.index.pts_s[frame]:.3f} s) cannot be decoded")
            return got

    def _advance_to(self, frame: int) -> Optional[np.ndarray]:
        assert self._decoder is not None
        for av_frame in self._decoder:
            i = self._frame_number(av_frame)
            if i is None:
                continue
            self._next_frame = i + 1
            if i == frame:
                return av_frame.to_ndarray(format="rgb24")
            if i > frame:
                self._decoder = None
                return None
        self._decoder = None
        return None

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


def probe(path: str | Path) -> VideoMeta:
    """Metadata of a video (builds the index; raises VideoError naming the file)."""
    return _build_index(Path(path))[1]


def probe_durations(videos: Iterable[str | Path]) -> dict[str | Path, float]:
    """Duration in seconds of each video, keyed by the given path; 0.0 for an unreadable one.

    For sizing progress bars before a batch (read from the header, so a batch does not index
    every file twice): an unreadable file fails again, with its message,
    when it is processed, so only VideoError is swallowed here.
    """
    durations: dict[str | Path, float] = {}
    for v in videos:
        try:
            durations[v] = _header_duration(Path(v))
        except VideoError:
            durations[v] = 0.0
    return durations


def _header_duration(path: Path) -> float:
    """The duration the container header states (no demuxing, so cheap on multi-GB files);
    falls back to the full PTS index when the header states none."""
    container = _open_container(path)
    try:
        stream = container.streams.video[0]
        if stream.duration and stream.time_base:
            return float(stream.duration * stream.time_base)
        if container.duration:
            return container.duration / 1_000_000  # AV_TIME_BASE
    finally:
        container.close()
    return probe(path).duration_s

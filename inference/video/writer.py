"""Writing MP4 video (synthetic recordings, test files) with explicit presentation timestamps.

Files are written with ``movflags=faststart`` (index at the front), so a file cut short by a
crash or a copy error stays readable up to where it stops. Timestamps can be given per frame,
which is how variable-frame-rate test files are made.
"""
from __future__ import annotations

from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path
from typing import Optional

import av
import numpy as np

# 1/60000 s: fine enough for any VFR timing and within MPEG-4 part 2's 16-bit time-base limit.
_TIME_BASE = Fraction(1, 60000)


class VideoWriter:
    """``with VideoWriter(path, fps=30, size=(w, h)) as w: w.write(rgb, t=None)``.

    - ``codec``: "mpeg4" (MP4V, fastest) or "libx264" (H.264).
    - ``write(frame, t)``: ``frame`` is RGB ``uint8 [H, W, 3]``; ``t`` the presentation time in
      seconds (default: ``n / fps``). Times must increase.
    - ``creation_time``: the wall-clock time of the first frame (aware datetime), written as the
      container's ``creation_time`` tag so a reader can find the recording's start in the file.
      MP4 keeps whole seconds of it; the frames are the same with or without it.
    """

    def __init__(self, path: str | Path, fps: float = 30.0, size: tuple[int, int] = (640, 480),
                 codec: str = "mpeg4", quality: Optional[int] = None, gop: int = 30,
                 threads: int = 1, creation_time: Optional[datetime] = None):

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fps = float(fps)
        self.size = (int(size[0]), int(size[1]))
        tag = creation_time_tag(creation_time) if creation_time is not None else None
        self._container = av.open(str(self.path), mode="w", options={"movflags": "faststart"})
        if tag is not None:
            self._container.metadata["creation_time"] = tag  # read by the muxer when it writes the header
        rate = Fraction(self.fps).limit_denominator(1001)
        stream = self._container.add_stream(codec, rate=rate)
        stream.width, stream.height = self.size
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = _TIME_BASE
        stream.codec_context.gop_size = gop
        stream.thread_count = threads
        opts = {}
        if codec == "libx264":
            opts = {"preset": "veryfast", "crf": str(quality or 23), "tune": "zerolatency"}
        elif quality is not None:
            stream.codec_context.qscale = quality  # type: ignore[attr-defined]
        else:
            stream.codec_context.bit_rate = int(self.size[0] * self.size[1] * self.fps * 0.15)
        if opts:
            stream.codec_context.options = opts
        self._stream = stream
        self._n = 0
        self._last_pts = -1

    def write(self, frame: np.ndarray, t: Optional[float] = None) -> None:
        if frame.shape[:2] != (self.size[1], self.size[0]):
            raise ValueError(f"frame is {frame.shape[1]}x{frame.shape[0]}, writer expects {self.size[0]}x{self.size[1]}")
        t = self._n / self.fps if t is None else float(t)
        pts = int(round(t / _TIME_BASE))
        if pts <= self._last_pts:
            raise ValueError(f"timestamps must increase (got {t:.4f} s after {self._last_pts * float(_TIME_BASE):.4f} s)")
        vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
        vf.pts = pts
        vf.time_base = _TIME_BASE
        for packet in self._stream.encode(vf):
            self._container.mux(packet)
        self._last_pts = pts
        self._n += 1

    @property
    def frames_written(self) -> int:
        return self._n

    def close(self) -> None:
        if self._container is None:
            return
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()
        self._container = None

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, exc_type, *rest) -> None:
        self.close()


def creation_time_tag(value: datetime) -> str:
    """``2026-03-14T20:30:00.000000Z``: the form FFmpeg writes and reads (ISO 8601, UTC)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"creation time {value.isoformat()} has no time zone")
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def write_video(path: str | Path, frames, fps: float = 30.0, times=None, codec: str = "mpeg4") -> Path:
    """Write a sequence of RGB frames (optionally with per-frame times) to ``path``."""
    frames = list(frames)
    h, w = frames[0].shape[:2]
    with VideoWriter(path, fps=fps, size=(w, h), codec=codec) as wr:
        for k, f in enumerate(frames):
            wr.write(f, None if times is None else times[k])
    return Path(path)

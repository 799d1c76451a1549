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
from av.bitstream import BitStreamFilterContext

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
    - ``bare_metadata``: for files that leave the clinic (de-identified clips): no ``encoder``
      tag (muxer ``fflags=+bitexact``), no encoder version in the bitstream (codec flag
      ``bitexact``; for libx264 its version SEI is dropped by the ``filter_units`` bitstream
      filter), creation times left at 0. What remains: the brands, the track's generic
      ``handler_name`` ("VideoHandler") and ``language`` ("und"). Off by default: the default
      output bytes are unchanged.
    """

    def __init__(self, path: str | Path, fps: float = 30.0, size: tuple[int, int] = (640, 480),
                 codec: str = "mpeg4", quality: Optional[int] = None, gop: int = 30,
                 threads: int = 1, creation_time: Optional[datetime] = None, bare_metadata: bool = False):

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fps = float(fps)
        self.size = (int(size[0]), int(size[1]))
        tag = creation_time_tag(creation_time) if creation_time is not None else None
        if bare_metadata and tag is not None:
            raise ValueError("bare_metadata writes no creation_time")
        options = {"movflags": "faststart"}
        if bare_metadata:
            options["fflags"] = "+bitexact"  # the muxer then writes no "encoder" (Lavf version) tag
        self._container = av.open(str(self.path), mode="w", options=options)
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
        self._bsf = None
        self._strip_sei = bare_metadata and codec == "libx264"
        if bare_metadata:
            # The MPEG-4 encoder writes "Lavc<version>" user data unless bitexact; x264 writes
            # its version and settings in an SEI (NAL type 6) whatever the flags say.
            stream.codec_context.flags |= av.codec.context.Flags.bitexact
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
        self._mux(self._stream.encode(vf))
        self._last_pts = pts
        self._n += 1

    def _mux(self, packets, flush: bool = False) -> None:
        if not self._strip_sei:
            for packet in packets:
                self._container.mux(packet)
            return
        packets = list(packets)
        if self._bsf is None and packets:
            # The filter copies the stream's parameters: only once the encoder has filled them in
            # (start_encoding), and with no output stream, whose encoder it would reset.
            self._container.start_encoding()
            self._bsf = BitStreamFilterContext("filter_units=remove_types=6", self._stream)
        if self._bsf is None:
            return
        for packet in packets + ([None] if flush else []):
            for out in self._bsf.filter(packet):
                out.stream = self._stream
                self._container.mux(out)

    @property
    def frames_written(self) -> int:
        return self._n

    def close(self) -> None:
        if self._container is None:
            return
        self._mux(self._stream.encode())
        self._mux([], flush=True)
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

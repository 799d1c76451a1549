"""Live sources: a V4L2 camera, a network stream (udp://, rtsp://, http://, ...) or a file that
is still being written (follow mode), read packet by packet with reconnection.

:class:`LiveSource` yields :class:`SourceItem` s: ``up`` when (re)connected, then ``packet``
(the compressed packet, for the recorder) and ``frame`` (the decoded frame and its timestamp in
seconds on the source's own clock) items, ``corrupt`` for a packet that failed to demux or
decode (skipped), and ``down`` when the source stops delivering; it then reopens the source with
exponential backoff until it comes back or the caller stops. Packets before the first keyframe
of a connection are dropped (nothing can decode them).

Follow mode reads a growing file through :class:`FollowFile`, which waits for new bytes at the
end instead of reporting the end: the container must be streamable (MPEG-TS, Matroska,
fragmented MP4); a plain MP4 is unreadable until its writer finishes it.
"""
from __future__ import annotations

import io
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional

import av

# Reading options for network streams: keep going after a receive-buffer overrun, probe briefly.
NETWORK_OPTIONS = {"analyzeduration": "1500000", "probesize": "500000", "fflags": "+discardcorrupt"}
UDP_QUERY = "overrun_nonfatal=1&fifo_size=500000"
BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0)  # waits between reopen attempts (the last repeats)


@dataclass
class SourceItem:
    """``kind``: ``up`` | ``packet`` | ``frame`` | ``corrupt`` | ``down``.

    ``packet``: an ``av.Packet`` (``packet`` items); ``frame``: an ``av.VideoFrame`` with
    ``time_s``, its timestamp on the source's clock (``frame`` items); ``stream``: the video
    stream (``up`` items, for the recorder's template); ``message``: why (``down``/``corrupt``).
    """

    kind: str
    packet: Any = None
    frame: Any = None
    time_s: float = 0.0
    stream: Any = None
    message: str = ""


def source_kind(spec: str) -> str:
    """``camera`` (/dev/video*), ``network`` (a URL) or ``file`` (follow mode)."""
    if spec.startswith("/dev/video"):
        return "camera"
    if "://" in spec:
        return "network"
    return "file"


class FollowFile(io.RawIOBase):
    """A file read like ``tail -f``: at the end it waits for the writer instead of returning EOF.

    It reports EOF only when ``stop`` is set, or after ``idle_eof_s`` without growth (None:
    never). Not seekable, so the demuxer reads it as a stream.
    """

    def __init__(self, path: Path, stop: threading.Event, idle_eof_s: Optional[float] = None, poll_s: float = 0.05):
        self._fh = open(path, "rb")
        self._stop = stop
        self.idle_eof_s = idle_eof_s
        self.poll_s = poll_s

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        waited = 0.0
        while True:
            n = self._fh.readinto(buf)
            if n:
                return n
            if self._stop.is_set() or (self.idle_eof_s is not None and waited >= self.idle_eof_s):
                return 0
            time.sleep(self.poll_s)
            waited += self.poll_s

    def close(self) -> None:
        self._fh.close()
        super().close()


class LiveSource:
    """Read ``spec`` for as long as ``stop`` is unset, reconnecting with backoff.

    - ``read_timeout_s``: a network stream silent this long is down (then reopened).
    - ``follow_idle_s``: a followed file that stops growing for this long has ended (None: wait
      for ever); a camera or network source never ends by itself.
    - ``options``: extra demuxer options (e.g. ``{"video_size": "640x480"}`` for V4L2).
    """

    def __init__(self, spec: str, stop: threading.Event, read_timeout_s: float = 3.0, open_timeout_s: float = 5.0,
                 follow_idle_s: Optional[float] = None, options: Optional[dict[str, str]] = None):
        self.spec = spec
        self.kind = source_kind(spec)
        self.stop = stop
        self.read_timeout_s = read_timeout_s
        self.open_timeout_s = open_timeout_s
        self.follow_idle_s = follow_idle_s
        self.options = dict(options or {})
        self.ended = False  # a followed file ended (no reopen)
        self.corrupt = 0
        self.reconnects = 0
        if self.kind == "file" and not Path(spec).exists():
            raise FileNotFoundError(2, "live source file not found", spec)

    def _open(self):
        if self.kind == "file":
            raw = FollowFile(Path(self.spec), self.stop, self.follow_idle_s)
            try:
                return av.open(io.BufferedReader(raw, 1 << 16), format=self.options.get("format"),
                               options={k: v for k, v in self.options.items() if k != "format"}), raw
            except BaseException:
                raw.close()
                raise
        if self.kind == "camera":
            return av.open(self.spec, format=self.options.get("format", "v4l2"),
                           options={k: v for k, v in self.options.items() if k != "format"},
                           timeout=(self.open_timeout_s, self.read_timeout_s)), None
        url = self.spec
        if url.startswith("udp://") and "overrun_nonfatal" not in url:
            url += ("&" if "?" in url else "?") + UDP_QUERY
        opts = {**NETWORK_OPTIONS, **self.options}
        if url.startswith("rtsp://"):
            opts.setdefault("rtsp_transport", "tcp")
        return av.open(url, options=opts, timeout=(self.open_timeout_s, self.read_timeout_s)), None

    def items(self) -> Iterator[SourceItem]:
        """Items until ``stop`` (or a followed file's end); reconnects in between."""
        attempt = 0
        while not self.stop.is_set() and not self.ended:
            try:
                container, raw = self._open()
            except (av.error.FFmpegError, OSError) as exc:
                if self.kind == "file" and not Path(self.spec).exists():
                    raise
                yield SourceItem("down", message=f"cannot open: {exc}")
                self._backoff(attempt)
                attempt += 1
                continue
            got_frames = False
            try:
                for item in self._read(container):
                    if item.kind == "frame" and not got_frames:
                        got_frames, attempt = True, 0
                    yield item
            finally:
                container.close()
                if raw is not None:
                    raw.close()
            if self.kind == "file" and not self.stop.is_set():
                self.ended = True  # a followed file only ends when its writer stopped for good
                yield SourceItem("down", message="file stopped growing")
                return
            if not self.stop.is_set():
                self.reconnects += 1
                if not got_frames:
                    self._backoff(attempt)
                    attempt += 1

    def _backoff(self, attempt: int) -> None:
        self.stop.wait(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])

    def _read(self, container) -> Iterator[SourceItem]:
        if not container.streams.video:
            yield SourceItem("down", message="no video stream")
            return
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        tb = float(stream.time_base)
        yield SourceItem("up", stream=stream, message=f"{stream.codec_context.name} "
                                                      f"{stream.codec_context.width}x{stream.codec_context.height}")
        keyed = False
        demux = container.demux(stream)
        while not self.stop.is_set():
            try:
                packet = next(demux)
            except StopIteration:
                yield SourceItem("down", message="stream ended")
                return
            except av.error.InvalidDataError as exc:
                self.corrupt += 1
                yield SourceItem("corrupt", message=f"demux: {exc}")
                demux = container.demux(stream)
                continue
            except (av.error.FFmpegError, OSError) as exc:
                yield SourceItem("down", message=f"{type(exc).__name__}: {exc}")
                return
            if packet.pts is None and packet.dts is None:
                continue  # the demuxer's flush packet
            if not keyed and not packet.is_keyframe:
                continue
            keyed = True
            if packet.is_corrupt:
                self.corrupt += 1
                yield SourceItem("corrupt", message="corrupt packet")
                continue
            try:
                frames = stream.codec_context.decode(packet)
            except av.error.FFmpegError as exc:
                self.corrupt += 1
                frames = []
                yield SourceItem("corrupt", message=f"decode: {exc}")
            # After decoding: the recorder's muxer takes the packet's data.
            yield SourceItem("packet", packet=packet)
            for frame in frames:
                if frame.pts is None:
                    continue
                yield SourceItem("frame", frame=frame, time_s=frame.pts * tb)


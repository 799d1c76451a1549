"""Serve a video file as a live MPEG-TS stream, paced by the wall clock (tests, the benchmark,
a demo without a camera).

The file's packets are remuxed (never re-encoded) into MPEG-TS and written to ``url``
(``udp://127.0.0.1:PORT`` or a file path, which then grows in real time for follow mode). The
file's own timestamps are kept (``mpegts_copyts``), so a keypoint sidecar can be looked up at
the stream's timestamps. ``pauses`` stop sending for a while (a camera outage); ``loops``
repeats the file with timestamps that keep increasing.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import av
from av.bitstream import BitStreamFilterContext

TS_OPTIONS = {"mpegts_copyts": "1"}  # keep the file's timestamps (no mux-delay offset)


@dataclass
class StreamSender:
    """Send ``video`` to ``url`` at ``speed`` x real time in a thread: ``start()``, ``stop()``.

    - ``pauses``: ``(at_s, for_s)`` pairs in file time: nothing is sent for ``for_s`` wall
      seconds when the stream reaches ``at_s`` (that stretch of the file is skipped, as a camera
      that was down never filmed it).
    - ``loops``: how many times the file is sent (timestamps continue across loops).
    - ``done`` is set when everything was sent (or on ``stop``); ``error`` holds a failure.
    """

    video: Path
    url: str
    speed: float = 1.0
    pauses: Sequence[tuple[float, float]] = ()
    loops: int = 1
    packet_size: int = 1316  # UDP payload: 7 TS packets
    done: threading.Event = field(default_factory=threading.Event)
    error: Optional[BaseException] = None
    sent_s: float = 0.0  # file time of the last packet sent

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def start(self) -> "StreamSender":
        self._thread = threading.Thread(target=self._run, name="semioscope-sender", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wait(self, timeout: Optional[float] = None) -> bool:
        return self.done.wait(timeout)

    def _run(self) -> None:
        try:
            self._send()
        except BaseException as exc:  # reported to whoever started the sender
            self.error = exc
        finally:
            self.done.set()

    def _open_out(self):
        fmt_opts = dict(TS_OPTIONS)
        url = self.url
        if url.startswith("udp://") and "pkt_size" not in url:
            url += ("&" if "?" in url else "?") + f"pkt_size={self.packet_size}"
        return av.open(url, mode="w", format="mpegts", options=fmt_opts)

    def _send(self) -> None:
        pauses = sorted((float(a), float(b)) for a, b in self.pauses)
        with av.open(str(self.video)) as src:
            ins = src.streams.video[0]
            tb = float(ins.time_base)
            duration = float(src.duration or 0) / 1e6 or (float(ins.duration or 0) * tb)
            out = self._open_out()
            try:
                outs = out.add_stream_from_template(ins)
                # MPEG-4 part 2 keeps its headers in the MP4's extradata: repeat them in-band at
                # each keyframe so a receiver can start (the TS muxer does this itself for H.264).
                bsf = None if ins.codec_context.name in ("h264", "hevc") else BitStreamFilterContext("dump_extra", ins)
                t0_wall = time.monotonic()
                offset = 0.0  # file time added per loop
                skip_until = -1.0  # a pause skips the file up to here, then waits for a keyframe
                for _loop in range(max(1, self.loops)):
                    src.seek(0, stream=ins)
                    for packet in src.demux(ins):
                        if self._stop.is_set():
                            return
                        if packet.pts is None or packet.dts is None:
                            continue
                        t = packet.pts * tb + offset
                        while pauses and t >= pauses[0][0]:
                            at, dur = pauses.pop(0)
                            skip_until = max(skip_until, at + dur * self.speed)
                        if t < skip_until or (skip_until >= 0 and not packet.is_keyframe):
                            continue  # not filmed: the camera was down
                        skip_until = -1.0
                        # Real time: the packet goes out when the wall clock reaches its time (a
                        # pause's wall time equals the file time it skips, so this holds across it).
                        wait = t0_wall + t / self.speed - time.monotonic()
                        if wait > 0:
                            self._sleep(wait)
                        shift = int(round(offset / float(ins.time_base)))
                        for q in (bsf.filter(packet) if bsf is not None else [packet]):
                            if shift:
                                q.pts += shift
                                q.dts += shift
                            q.stream = outs
                            out.mux(q)
                        self.sent_s = t
                    offset += duration
            finally:
                out.close()

    def _sleep(self, seconds: float) -> None:
        self._stop.wait(max(0.0, seconds))

"""Recording a live source: MPEG-TS segments on the night's clock, then one ``night.mp4``.

Packets are remuxed without re-encoding when the container allows the codec (H.264, HEVC,
MPEG-4, MPEG-1/2 video); anything else (a raw or MJPEG camera) is encoded (MPEG-4, quality
scale 4) from the decoded frames. Segment timestamps are the night's seconds (kept exactly by
``mpegts_copyts``), so an outage stays a jump in time, and the segments concatenate by remux.
A segment is a crash-safe MPEG-TS file: a power cut loses at most what the muxer buffered.

A write that fails (full disk, lost mount) or free space below ``min_free_mb`` stops the
recording for the rest of the night: ``failed`` says why, and the monitor raises a
``recording_stopped`` alarm: it never stops silently.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Optional

import av
from av.bitstream import BitStreamFilterContext

REMUX_CODECS = ("h264", "hevc", "mpeg4", "mpeg2video", "mpeg1video")
TS_TIME_BASE = Fraction(1, 90000)
TS_OPTIONS = {"mpegts_copyts": "1"}
SEGMENT_GLOB = "seg_*.ts"


@dataclass
class Segment:
    path: Path
    start_s: float
    end_s: float = 0.0
    packets: int = 0


@dataclass
class SegmentRecorder:
    """Write the live stream to ``folder/seg_NNNNN.ts``, a new segment every ``segment_s`` (at
    the next keyframe) and at every reconnection.

    ``begin(stream)`` on each connection; ``packet(packet, pts_s, dts_s)`` (remux) or
    ``frame(frame, t_s)`` (encode) with night times; ``close()`` at the end.
    """

    folder: Path
    segment_s: float = 600.0
    min_free_mb: float = 200.0
    segments: list[Segment] = field(default_factory=list)
    failed: Optional[str] = None  # why the recording stopped (None: recording)
    encode: bool = False  # this connection's frames are encoded (no remux)

    def __post_init__(self) -> None:
        self.folder = Path(self.folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._out = None
        self._ostream = None
        self._template = None
        self._bsf = None
        self._last_dts = -1
        self._new_segment = True
        self._checked_free_at = -1e9

    # -- connection -----------------------------------------------------------------------
    def begin(self, stream: Any) -> None:
        """A (re)connection: the next packet starts a new segment from this stream."""
        self._close_segment()
        self._template = stream
        self.encode = stream.codec_context.name not in REMUX_CODECS
        self._new_segment = True

    @property
    def recording(self) -> bool:
        return self.failed is None

    def packet(self, packet: Any, pts_s: float, dts_s: float) -> None:
        """Remux one packet at night times ``pts_s``/``dts_s`` (ignored in encode mode)."""
        if self.failed is not None or self.encode or self._template is None:
            return
        try:
            if self._new_segment or (packet.is_keyframe and self._segment_due(pts_s)):
                if not packet.is_keyframe:
                    return  # a segment starts at a keyframe
                self._start_segment(pts_s)
                if self.failed is not None:
                    return
            pts = int(round(pts_s / TS_TIME_BASE))
            dts = int(round(dts_s / TS_TIME_BASE))
            if dts <= self._last_dts:
                return  # never backwards in one file
            packets = self._bsf.filter(packet) if self._bsf is not None else [packet]
            for q in packets:
                q.pts, q.dts = pts, dts
                q.time_base = TS_TIME_BASE
                q.stream = self._ostream
                self._out.mux(q)
            self._last_dts = dts
            self._note(pts_s)
        except (OSError, av.error.FFmpegError) as exc:
            self._fail(f"cannot write {self._current_name()}: {exc}")

    def frame(self, frame: Any, t_s: float) -> None:
        """Encode one decoded frame at night time ``t_s`` (encode mode only)."""
        if self.failed is not None or not self.encode:
            return
        try:
            if self._new_segment or self._segment_due(t_s):
                self._start_segment(t_s, encoder=(frame.width, frame.height))
                if self.failed is not None:
                    return
            pts = int(round(t_s / TS_TIME_BASE))
            if pts <= self._last_dts:
                return
            vf = frame.reformat(format="yuv420p")
            vf.pts, vf.time_base = pts, TS_TIME_BASE
            for q in self._ostream.encode(vf):
                self._out.mux(q)
            self._last_dts = pts
            self._note(t_s)
        except (OSError, av.error.FFmpegError) as exc:
            self._fail(f"cannot write {self._current_name()}: {exc}")

    def check_space(self, now_s: float, every_s: float = 10.0) -> None:
        """Stop the recording when the disk is (nearly) full; looked at every ``every_s``."""
        if self.failed is not None or now_s - self._checked_free_at < every_s:
            return
        self._checked_free_at = now_s
        free_mb = shutil.disk_usage(self.folder).free / 2 ** 20
        if free_mb < self.min_free_mb:
            self._fail(f"disk nearly full: {free_mb:.0f} MB free in {self.folder} (limit {self.min_free_mb:.0f} MB)")

    def close(self) -> None:
        self._close_segment()

    # -- internals ------------------------------------------------------------------------
    def _segment_due(self, t_s: float) -> bool:
        return bool(self.segments) and t_s - self.segments[-1].start_s >= self.segment_s

    def _current_name(self) -> str:
        return self.segments[-1].path.name if self.segments else str(self.folder)

    def _note(self, t_s: float) -> None:
        seg = self.segments[-1]
        seg.end_s = max(seg.end_s, t_s)
        seg.packets += 1

    def _start_segment(self, t_s: float, encoder: Optional[tuple[int, int]] = None) -> None:
        self._close_segment()
        self.check_space(t_s, every_s=0.0)
        if self.failed is not None:
            return
        path = self.folder / f"seg_{len(self.segments):05d}.ts"
        self.segments.append(Segment(path, t_s, t_s))
        self._out = av.open(str(path), mode="w", format="mpegts", options=TS_OPTIONS)
        if encoder is not None:
            stream = self._out.add_stream("mpeg4", rate=30)
            stream.width, stream.height = encoder
            stream.pix_fmt = "yuv420p"
            stream.codec_context.time_base = TS_TIME_BASE
            stream.codec_context.qscale = 4  # type: ignore[attr-defined]
            stream.codec_context.gop_size = 30
        else:
            stream = self._out.add_stream_from_template(self._template)
            name = self._template.codec_context.name
            self._bsf = None if name in ("h264", "hevc") else BitStreamFilterContext("dump_extra", self._template)
        self._ostream = stream
        self._new_segment = False
        self._last_dts = -1

    def _close_segment(self) -> None:
        out, self._out = self._out, None
        if out is None:
            return
        try:
            if self.encode and self._ostream is not None:
                for q in self._ostream.encode(None):
                    out.mux(q)
            out.close()
        except (OSError, av.error.FFmpegError) as exc:
            if self.failed is None:
                self.failed = f"cannot finish {self._current_name()}: {exc}"
        self._ostream = None
        self._new_segment = True

    def _fail(self, why: str) -> None:
        if self.failed is None:
            self.failed = why
        try:
            self._close_segment()
        except Exception:  # the disk is full: closing may fail too, the reason is already kept
            pass


def concatenate_segments(folder: Path, out_path: Path) -> dict[str, Any]:
    """Remux every segment in ``folder`` (in name order) into ``out_path`` (MP4), keeping the
    night's timestamps (an outage stays a jump). Segments whose codec or size differ from the
    first are left out and named in the returned summary (``{"segments", "packets",
    "skipped"}``); raises ``ValueError`` when there is nothing to concatenate."""
    paths = sorted(Path(folder).glob(SEGMENT_GLOB))
    summary: dict[str, Any] = {"segments": 0, "packets": 0, "skipped": []}
    out = ostream = None
    shape = None
    last_dts = None
    tmp = out_path.with_name(f".{out_path.stem}.partial{out_path.suffix}")
    try:
        for path in paths:
            try:
                src = av.open(str(path))
            except (av.error.FFmpegError, OSError) as exc:
                summary["skipped"].append(f"{path.name}: {exc}")
                continue
            with src:
                if not src.streams.video:
                    summary["skipped"].append(f"{path.name}: no video")
                    continue
                ins = src.streams.video[0]
                this = (ins.codec_context.name, ins.codec_context.width, ins.codec_context.height)
                if out is None:
                    out = av.open(str(tmp), mode="w", format="mp4", options={"movflags": "faststart"})
                    ostream = out.add_stream_from_template(ins)
                    shape = this
                elif this != shape:
                    summary["skipped"].append(f"{path.name}: {this} differs from {shape}")
                    continue
                n = 0
                try:
                    for packet in src.demux(ins):
                        if packet.dts is None or packet.pts is None:
                            continue
                        dts_s = float(packet.dts * packet.time_base)
                        if last_dts is not None and dts_s <= last_dts:
                            continue
                        last_dts = dts_s
                        packet.stream = ostream
                        out.mux(packet)
                        n += 1
                except av.error.FFmpegError as exc:  # a segment cut short by a crash: keep what was read
                    summary["skipped"].append(f"{path.name}: stopped after {n} packets ({exc})")
                summary["segments"] += 1
                summary["packets"] += n
        if out is None or summary["packets"] == 0:
            raise ValueError(f"no recorded video in {folder}")
        out.close()
        out = None
        tmp.replace(out_path)
    finally:
        if out is not None:
            out.close()
        if tmp.exists():
            tmp.unlink()
    return summary

"""Video timing: the presentation-timestamp index of a file, its metadata, and probing.

Frames are always found through the presentation-timestamp (PTS) index, never as ``t * fps``,
so variable-frame-rate files stay in sync. The index is built by demuxing packets (no decoding),
which is fast and also reveals truncated files: the reader keeps what can be read and says where
it stopped. Long files' demux results are cached under the cache root, keyed by fingerprint.

Times are seconds relative to the first presented frame.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Optional

import numpy as np

from inference.core.atomic import atomic_write_bytes
from inference.core.cache import INDEX, cache_dir
from inference.core.errors import VideoError
from inference.core.fingerprint import file_fingerprint


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

    ``end_s`` is when the last frame stops being shown. ``keyframes`` (sorted frame indices of
    the frames a decoder can start from; None when unknown) tell how far a seek must decode.
    """

    def __init__(self, pts_s: np.ndarray, end_s: float, keyframes: Optional[np.ndarray] = None):
        pts_s = np.asarray(pts_s, dtype=np.float64)
        if pts_s.ndim != 1 or len(pts_s) == 0:
            raise ValueError("a frame index needs at least one timestamp")
        if np.any(np.diff(pts_s) <= 0):
            raise ValueError("timestamps must be strictly increasing")
        self.pts_s = pts_s
        self.end_s = float(max(end_s, pts_s[-1]))
        self.keyframes = None if keyframes is None else np.asarray(keyframes, dtype=np.int64)

    def keyframe_at_or_before(self, frame: int) -> Optional[int]:
        """The keyframe a seek to ``frame`` starts decoding from (None when keyframes are unknown)."""
        if self.keyframes is None or len(self.keyframes) == 0:
            return None
        k = int(np.searchsorted(self.keyframes, frame, side="right")) - 1
        return int(self.keyframes[max(k, 0)])

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
    import av  # PyAV takes ~0.1 s to import: only once a file is opened

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


def _sample_table(container, stream, path: Path) -> Optional[tuple[np.ndarray, np.ndarray, int]]:
    """``(pts ticks [N], keyframe flags [N], last duration)`` from the demuxer's own sample
    table, which MP4/MOV read from the file header at open: no packet is read, so an hour of
    video indexes in ~0.1 s instead of ~6 s of demuxing.

    Used only where it provably equals what demuxing gives, else None (the caller demuxes):
    presentation order is decode order (pts == dts, checked on the first packets, so B-frame
    files are demuxed) and every sample lies inside the file (a truncated file is demuxed, so
    it says where reading stops).
    """
    fmt = container.format.name or ""
    if "mp4" not in fmt and "mov" not in fmt:
        return None
    entries = stream.index_entries
    n = len(entries)
    if n < 2:
        return None
    # Straight into arrays, one entry at a time: a list of per-entry tuples first would cost
    # ~140 bytes a frame (370 MB at the peak for a day at 30 fps).
    ticks = np.empty(n, np.int64)
    keys = np.empty(n, bool)
    ends = np.empty(n, np.int64)
    for i, e in enumerate(entries):
        ticks[i] = e.timestamp
        keys[i] = e.is_keyframe
        ends[i] = e.pos + e.size
    if ends.max() > path.stat().st_size or np.any(np.diff(ticks) <= 0):
        return None
    for k, packet in enumerate(container.demux(stream)):
        if k >= 120 or packet.size == 0:
            break
        if packet.pts is None or packet.pts != packet.dts or packet.pts != ticks[k]:
            return None
    if not stream.duration or stream.duration <= ticks[-1] - ticks[0]:
        return None
    return ticks, keys, int(ticks[0] + stream.duration - ticks[-1])


def _demux_packets(container, stream) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """``(pts ticks [N], keyframe flags [N], last duration, stopped by an error)`` by demuxing."""
    pts: list[int] = []
    keys: list[bool] = []
    last_dur = 0
    truncated_by_error = False
    try:
        for packet in container.demux(stream):
            if packet.size == 0 or packet.pts is None:
                continue  # flush packet / no timestamp
            pts.append(packet.pts)
            keys.append(bool(packet.is_keyframe))
            last_dur = packet.duration or last_dur
    except Exception:
        truncated_by_error = True
    return np.asarray(pts, dtype=np.int64), np.asarray(keys, dtype=bool), last_dur, truncated_by_error


#: Files with fewer frames demux in well under a second: not worth a cache entry.
INDEX_CACHE_MIN_FRAMES = 20000
_INDEX_CACHE_VERSION = 1


def index_cache_path(fingerprint: str) -> Path:
    """``<cache root>/index/<fingerprint>.npz`` (``inference.core.cache``)."""
    return cache_dir(INDEX) / f"{fingerprint}.npz"


def _load_cached_scan(path: Path, fingerprint: str) -> Optional[dict]:
    """A demux result cached for this exact file content, or None (absent, unreadable, other)."""
    cached = index_cache_path(fingerprint)
    if not cached.exists():
        return None
    try:
        with np.load(cached, allow_pickle=False) as z:
            scan = {k: z[k] for k in z.files}
        if int(scan["version"]) != _INDEX_CACHE_VERSION or str(scan["fingerprint"]) != fingerprint:
            return None
        if len(scan["pts"]) != len(scan["keys"]) or not len(scan["pts"]):
            return None
        return scan
    except Exception:  # a damaged cache file is never trusted: demux again and overwrite it
        return None


def _store_scan(fingerprint: str, scan: dict) -> None:
    buf = io.BytesIO()
    np.savez(buf, version=_INDEX_CACHE_VERSION, fingerprint=fingerprint, **scan)
    try:
        atomic_write_bytes(index_cache_path(fingerprint), buf.getvalue())
    except OSError:
        pass  # a read-only cache only costs the next open another demux


def _scan(path: Path, use_sample_table: bool) -> dict:
    """Timestamps, keyframes and stream facts of ``path``: for a long file, a cached scan of the
    same content (keyed by its fingerprint); else the MP4 sample table, else demuxing."""
    fingerprint = None
    container = _open_container(path)
    try:
        stream = container.streams.video[0]
        tb = stream.time_base or Fraction(1, 90000)
        ctx = stream.codec_context
        scan = {"tb": np.array([tb.numerator, tb.denominator]), "expected": int(stream.frames or 0),
                "width": int(ctx.width or 0), "height": int(ctx.height or 0), "codec": ctx.name or "unknown"}
        if use_sample_table and len(stream.index_entries) >= INDEX_CACHE_MIN_FRAMES:
            # Reading a long sample table entry by entry costs ~1 s per 1M frames (a day at
            # 30 fps: ~3 s), demuxing far more: both are cached by content.
            fingerprint = file_fingerprint(path)
            cached = _load_cached_scan(path, fingerprint)
            if cached is not None:
                return cached
        table = _sample_table(container, stream, path) if use_sample_table else None
        if table is not None:
            scan.update(pts=table[0], keys=table[1], last_dur=table[2], truncated=False)
        elif use_sample_table:
            container.seek(0, backward=True, any_frame=False, stream=stream)
        if table is None:
            pts, keys, last_dur, truncated = _demux_packets(container, stream)
            scan.update(pts=pts, keys=keys, last_dur=last_dur, truncated=truncated)
    finally:
        container.close()
    if fingerprint is not None and len(scan["pts"]) >= INDEX_CACHE_MIN_FRAMES:
        _store_scan(fingerprint, scan)
    return scan


def _build_index(path: Path, use_sample_table: bool = True) -> tuple[FrameIndex, VideoMeta, float]:
    """Index the frames. Also returns the first PTS in seconds (stream clock).

    ``use_sample_table=False`` always demuxes (no sample table, no cache): the reference."""
    scan = _scan(path, use_sample_table)
    tb = Fraction(int(scan["tb"][0]), int(scan["tb"][1]))
    raw_pts, raw_keys = np.asarray(scan["pts"], dtype=np.int64), np.asarray(scan["keys"], dtype=bool)
    last_dur, truncated_by_error = int(scan["last_dur"]), bool(scan["truncated"])
    expected, width, height = int(scan["expected"]), int(scan["width"]), int(scan["height"])
    codec = str(scan["codec"])
    if not len(raw_pts):
        raise VideoError(path, "contains zero readable frames")
    if len(raw_pts) > 1 and np.all(raw_pts[1:] > raw_pts[:-1]):  # already in presentation order
        ticks, keyframes = raw_pts, np.flatnonzero(raw_keys)
    else:
        ticks = np.unique(raw_pts)  # sort presentation order, drop dups
        keyframes = np.flatnonzero(np.isin(ticks, raw_pts[raw_keys]))
    t0 = ticks[0]
    pts_s = (ticks - t0).astype(np.float64) * float(tb)
    if len(pts_s) > 1:
        typical = float(np.median(np.diff(pts_s)))
    else:
        typical = 1.0 / 30.0
    end_s = pts_s[-1] + (last_dur * float(tb) if last_dur else typical)
    index = FrameIndex(pts_s, end_s, keyframes)
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

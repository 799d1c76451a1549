"""A scrubbing proxy: the same frames, small and all-intra, so any one of them decodes at once.

A 720p H.264 recording with a 2 s group of pictures needs up to 60 frames decoded for one seek
(65-80 ms on 2 cores). The proxy re-encodes every frame at 240 lines as H.264 with a keyframe
on every frame (x264 ``ultrafast``, ``fastdecode``): a seek is one small intra frame, a couple
of milliseconds, and 16x playback can show any frame without a group of pictures to decode.
Chosen over MJPEG because x264 intra at this size is smaller and as fast to decode, and over a
short-GOP proxy because even 10 frames to decode would cost what the target is meant to save.

Frame ``i`` of the proxy is frame ``i`` of the original, at the same presentation time (VFR
kept): a frame that fails to decode is repeated from its predecessor so the numbering never
shifts. Cached under ``<cache root>/proxy/<fingerprint>.mp4`` with a small JSON beside it; a
proxy is used only when that JSON says it is complete and its frame count matches.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Optional

import av
import numpy as np

from inference.core.cache import PROXY, cache_dir
from inference.core.errors import Cancelled, VideoError
from inference.core.fingerprint import file_fingerprint
from inference.core.progress import CancelToken, ProgressFn, check_cancel, no_progress
from inference.video.index import _open_container, probe
from inference.video.reader import VideoReader

PROXY_HEIGHT = 240
MIN_DURATION_S = 120.0  # shorter videos seek fast enough without one
_TIME_BASE = Fraction(1, 90000)
FORMAT = "semioscope.proxy"


@dataclass(frozen=True)
class ProxyInfo:
    path: Path
    frames: int
    size: tuple[int, int]
    build_s: float


def proxy_paths(video: str | Path) -> tuple[Path, Path]:
    """(proxy video, its JSON) for ``video`` in the cache."""
    fp = file_fingerprint(video)
    folder = cache_dir(PROXY)
    return folder / f"{fp}.mp4", folder / f"{fp}.json"


def find_proxy(video: str | Path, frames: int) -> Optional[Path]:
    """The complete proxy of ``video`` (``frames`` frames), or None."""
    path, meta = proxy_paths(video)
    try:
        data = json.loads(meta.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("format") != FORMAT or int(data.get("frames", -1)) != int(frames) or not path.is_file():
        return None
    return path


def _proxy_size(width: int, height: int, target: int) -> tuple[int, int]:
    h = min(target, height) // 2 * 2
    w = max(int(round(width * h / height / 2)) * 2, 2)
    return w, h


def build_proxy(video: str | Path, height: int = PROXY_HEIGHT, progress: ProgressFn = no_progress,
                cancel: Optional[CancelToken] = None, threads: int = 1) -> ProxyInfo:
    """Build (or find) the proxy of ``video``. Raises VideoError, or Cancelled (nothing left)."""
    video = Path(video)
    source = VideoReader(video)
    pts, n, t_first = source.index.pts_s, len(source.index), source._t0_s  # the index counts from t0
    source.close()
    found = find_proxy(video, n)
    if found is not None:
        meta = probe(found)
        return ProxyInfo(found, n, (meta.width, meta.height), 0.0)
    out, meta_path = proxy_paths(video)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.partial.mp4")
    t0 = time.perf_counter()
    container = _open_container(video)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.thread_count = threads
        tb = float(stream.time_base)
        w, h = _proxy_size(stream.codec_context.width, stream.codec_context.height, height)
        fps = Fraction(float(n / max(pts[-1] - pts[0], 1e-3)) if n > 1 else 30.0).limit_denominator(1001)
        with av.open(str(tmp), mode="w", options={"movflags": "faststart"}) as dst:
            ostream = dst.add_stream("libx264", rate=fps)
            ostream.width, ostream.height, ostream.pix_fmt = w, h, "yuv420p"
            ostream.codec_context.time_base = _TIME_BASE
            ostream.codec_context.gop_size = 1
            ostream.thread_count = threads
            ostream.codec_context.options = {"preset": "ultrafast", "tune": "fastdecode", "crf": "26",
                                             "x264-params": "keyint=1:min-keyint=1:scenecut=0"}
            written, last = 0, None
            report_every = max(int(n // 200), 1)
            for av_frame in container.decode(stream):
                if av_frame.pts is None:
                    continue
                t = av_frame.pts * tb - t_first
                i = int(np.searchsorted(pts, t - 1e-6, side="left"))
                if i >= n or abs(pts[i] - t) > 1e-4 or i < written:
                    continue
                small = av_frame.reformat(width=w, height=h, format="yuv420p")
                while written < i:  # frames the decoder lost: repeat the last so numbers stay aligned
                    written = _write(dst, ostream, (last if last is not None else small), pts[written], written)
                last = small
                written = _write(dst, ostream, small, pts[i], written)
                if written % report_every == 0:
                    check_cancel(cancel)
                    progress(written, n, f"proxy {written}/{n} frames")
            while 0 < written < n and last is not None:  # a truncated tail: repeat the last frame
                written = _write(dst, ostream, last, pts[written], written)
            for packet in ostream.encode(None):
                dst.mux(packet)
        if written != n:
            raise VideoError(video, f"proxy has {written} of {n} frames (the video could not be read through)")
        os.replace(tmp, out)
        # Index it now, in the builder's background thread: a long proxy's index is then cached
        # and its first seek in the window does not wait for it (a day: ~3 s).
        probe(out)
        build_s = time.perf_counter() - t0
        meta_path.write_text(json.dumps({"format": FORMAT, "version": 1, "video": str(video.resolve()),
                                         "frames": n, "size": [w, h], "build_s": round(build_s, 2)}), "utf-8")
        progress(n, n, "proxy done")
        return ProxyInfo(out, n, (w, h), build_s)
    except (Cancelled, VideoError):
        tmp.unlink(missing_ok=True)
        raise
    except Exception as exc:  # an encoder or muxer failure: no proxy, the original still works
        tmp.unlink(missing_ok=True)
        raise VideoError(video, f"cannot build the scrubbing proxy ({type(exc).__name__}: {exc})") from None
    finally:
        container.close()


def _write(dst, ostream, frame, t: float, written: int) -> int:
    """Encode ``frame`` at ``t`` seconds; returns the new count of frames written."""
    frame.pts = int(round(t / _TIME_BASE))
    frame.time_base = _TIME_BASE
    for packet in ostream.encode(frame):
        dst.mux(packet)
    return written + 1


__all__ = ["MIN_DURATION_S", "PROXY_HEIGHT", "ProxyInfo", "build_proxy", "find_proxy", "proxy_paths"]


def build_proxy_in_child(video: str, conn, cancel_event) -> None:
    """Entry of a spawned proxy-building process (``app.proxy_control``): its own interpreter,
    so the build never holds the window's interpreter lock, and its own low priority. Sends
    ``("progress", done, total)``, then ``("done", path)``, ``("cancelled",)`` or
    ``("failed", message)`` on ``conn``; ``cancel_event`` (a multiprocessing Event) cancels."""
    try:
        os.nice(15)  # the whole process: the window's seeks and the analysis come first
    except (AttributeError, OSError):
        pass
    try:
        info = build_proxy(Path(video), progress=lambda d, t, _m="": conn.send(("progress", float(d), float(t))),
                           cancel=CancelToken(cancel_event))
        conn.send(("done", str(info.path)))
    except Cancelled:
        conn.send(("cancelled",))
    except (VideoError, OSError) as exc:
        conn.send(("failed", str(exc)))
    except Exception as exc:  # reported to the window; the original video still works
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()

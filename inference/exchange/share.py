"""De-identified clips for teaching or a second opinion (``semioscope share``, File → Share clip).

``share_clip`` writes, into the output folder, ``case-<random>.mp4`` and ``case-<random>.labels.json``:

- the frames of ``start_s..end_s`` with the faces blurred (``blur-face``), the whole frame blurred
  under the skeleton (``blur-body``) or the skeleton alone on black (``skeleton``); times start
  at 0 on the clip's first frame; no audio;
- a container without metadata (``VideoWriter(bare_metadata=True)``: no creation time, no
  encoder tags; what remains is the brands and the track's generic handler name and language);
- the labels inside the clip, clip-relative: seizures (onsets, end, type, ILAE label, signs)
  and detections; no names, dates or reviewers.

The pseudonym is random (never derived from the patient). Which video, times and date it stands
for is kept only on this machine, in the share map (``share_map_path``: ``$SEMIOSCOPE_SHARE_MAP``
or the user data folder), never beside the clip.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional, Sequence

import av
import numpy as np
import platformdirs

from inference.core.atomic import atomic_write_json
from inference.core.errors import InputFileError, SemioscopeError
from inference.core.progress import CancelToken, ProgressFn, check_cancel, no_progress
from inference.core.versioned_json import read_format_json
from inference.dataset.manifest import Seizure
from inference.dataset.semiology import SIGNS, coarse_type, ilae_label
from inference.exchange.deidentify import FaceBlurrer, blur_frame, draw_skeleton, keypoints_at
from inference.pose.keypoint_files import sidecar_path
from inference.pose.keypoints import KeypointTrack
from inference.results.events import Event
from inference.results.result_file import AnalysisResult, result_path_for
from inference.video.reader import VideoReader
from inference.video.writer import VideoWriter

MODES = ("blur-face", "blur-body", "skeleton")
SHARE_MAP_ENV = "SEMIOSCOPE_SHARE_MAP"
SHARE_MAP_NAME = "share-map.json"
MAP_FORMAT, MAP_VERSION = "semioscope.share-map", 1
LABELS_FORMAT, LABELS_VERSION = "semioscope.shared-clip-labels", 1
DEFAULT_MARGIN_S = 10.0
UNKNOWN_END_S = 60.0  # how much of a seizure without an end a clip shows after its onset


@dataclass(frozen=True)
class SharedClip:
    """What ``share_clip`` wrote and did. ``whole_frames``: frames blurred entirely because
    nothing located the head (blur-face); ``reblurred``: faces found again after blurring and
    blurred once more; ``decode_failures``: source frames that could not be decoded (left out)."""

    pseudonym: str
    clip: Path
    labels: Path
    map_path: Path
    mode: str
    start_s: float  # source time of the clip's first frame
    end_s: float
    frames: int
    seizures: int
    face_frames: int = 0
    keypoint_frames: int = 0
    whole_frames: int = 0
    reblurred: int = 0
    decode_failures: int = 0

    def message(self) -> str:
        s = (f"Wrote {self.clip} ({self.frames} frames, {self.end_s - self.start_s:.1f} s, {self.mode}) and "
             f"{self.labels.name} ({self.seizures} seizure(s)); the link to the source is only in {self.map_path}")
        if self.mode == "blur-face":
            s += (f". Faces: {self.face_frames} frame(s) by the face detector, {self.keypoint_frames} by the "
                  f"head keypoints, {self.whole_frames} blurred whole (head not located)")
        return s


def share_map_path() -> Path:
    """``$SEMIOSCOPE_SHARE_MAP``, else ``<user data folder>/semioscope/share-map.json``."""
    env = os.environ.get(SHARE_MAP_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("semioscope", appauthor=False)) / SHARE_MAP_NAME


def read_share_map(path: Path) -> dict:
    if not path.exists():
        return {"format": MAP_FORMAT, "version": MAP_VERSION, "clips": {}}
    data = read_format_json(path, MAP_FORMAT, MAP_VERSION, what="share map")
    if not isinstance(data.get("clips"), dict):
        raise InputFileError(path, "share map has no 'clips' object")
    return data


def new_pseudonym(taken: set[str], out_dir: Path) -> str:
    """``case-7f3a9c``: random (``secrets``), unused in the map and the output folder."""
    while True:
        name = f"case-{secrets.token_hex(3)}"
        if name not in taken and not any(out_dir.glob(f"{name}.*")):
            return name


def find_keypoints(video: str | Path) -> Optional[KeypointTrack]:
    """The recording's keypoints: the result file's (beside the video), else the
    ``<stem>.keypoints.npz`` sidecar; None without either."""
    result = result_path_for(video)
    if result.exists():
        track = AnalysisResult.load(result, keypoints=True).keypoints
        if track is not None and len(track):
            return track
    side = sidecar_path(video)
    return KeypointTrack.load(side) if side.exists() else None


def find_events(video: str | Path) -> list[Event]:
    """The detections of the result file beside the video ([] without one)."""
    result = result_path_for(video)
    return list(AnalysisResult.load(result, keypoints=False).events) if result.exists() else []


def _around(start_s: float, end_s: float, margin_s: float, duration_s: float) -> tuple[float, float]:
    return max(0.0, start_s - margin_s), min(duration_s, end_s + margin_s)


def event_range(video: str | Path, events: Sequence[Event], number: int, margin_s: float,
                duration_s: float) -> tuple[float, float]:
    """Detection ``number`` (1-based, in time order) with ``margin_s`` either side, within the video."""
    ordered = sorted(events, key=lambda e: e.start_s)
    if not 1 <= number <= len(ordered):
        have = f"events 1..{len(ordered)}" if ordered else "no detections (analyse it first)"
        raise InputFileError(video, f"unknown event number {number}: the result file has {have}")
    e = ordered[number - 1]
    return _around(e.start_s, e.end_s, margin_s, duration_s)


def seizure_range(video: str | Path, seizures: Sequence[Seizure], number: int, margin_s: float,
                  duration_s: float) -> tuple[float, float]:
    """Reviewed seizure ``number`` (1-based, by onset) from its first onset to its end (onset +
    ``UNKNOWN_END_S`` when the end is not marked), with ``margin_s`` either side."""
    ordered = sorted(seizures, key=lambda z: min(z.eeg_onset_s, z.clinical_onset_s))
    if not 1 <= number <= len(ordered):
        have = f"seizures 1..{len(ordered)}" if ordered else "no reviewed seizures"
        raise InputFileError(video, f"unknown seizure number {number}: the recording has {have}")
    z = ordered[number - 1]
    onset = min(z.eeg_onset_s, z.clinical_onset_s)
    end = z.end_s if z.end_s is not None else max(z.eeg_onset_s, z.clinical_onset_s) + UNKNOWN_END_S
    return _around(onset, end, margin_s, duration_s)


def _rel(t: Optional[float], origin: float) -> Optional[float]:
    return None if t is None else round(float(t) - origin, 3)


def clip_labels(seizures: Sequence[Seizure], events: Sequence[Event], origin_s: float, end_s: float,
                recording_type: str = "") -> dict:
    """The labels overlapping ``origin_s..end_s``, in seconds from ``origin_s`` (the clip's first
    frame). Times of a seizure that starts before or ends after the clip fall outside
    ``0..duration_s`` (negative or larger); they are kept, since that is what a reader of the
    clip needs to know. Plain content: no names, no dates, no reviewers."""
    out_seizures = []
    for z in sorted(seizures, key=lambda z: min(z.eeg_onset_s, z.clinical_onset_s)):
        first = min(z.eeg_onset_s, z.clinical_onset_s)
        last = z.end_s if z.end_s is not None else max(z.eeg_onset_s, z.clinical_onset_s)
        if last < origin_s or first >= end_s:
            continue
        out_seizures.append({
            "eeg_onset_s": _rel(z.eeg_onset_s, origin_s),
            "clinical_onset_s": _rel(z.clinical_onset_s, origin_s),
            "end_s": _rel(z.end_s, origin_s),
            "type": coarse_type(z.ilae_type) or recording_type or "unknown",
            "ilae_type": z.ilae_type,
            "ilae_label": ilae_label(z.ilae_type, z.awareness),
            "awareness": z.awareness,
            "signs": [{"time_s": _rel(g.time_s, origin_s), "term": g.term, "label": SIGNS[g.term][1],
                       "body_part": g.body_part, "laterality": g.laterality} for g in z.signs],
        })
    out_events = [{"start_s": _rel(e.start_s, origin_s), "end_s": _rel(e.end_s, origin_s),
                   "peak_time_s": _rel(e.peak_time_s, origin_s), "peak_prob": round(float(e.peak_prob), 4)}
                  for e in sorted(events, key=lambda e: e.start_s) if e.end_s > origin_s and e.start_s < end_s]
    return {"seizures": out_seizures, "detections": out_events}


def check_range(video: Path, start_s: float, end_s: float, duration_s: float) -> None:
    if not (np.isfinite(start_s) and np.isfinite(end_s)) or start_s < 0 or end_s > duration_s + 1e-3 \
            or start_s >= duration_s:
        raise InputFileError(video, f"range {start_s:.2f}-{end_s:.2f} s is outside the video (0-{duration_s:.2f} s)")
    if end_s <= start_s:
        raise InputFileError(video, f"range {start_s:.2f}-{end_s:.2f} s is empty (the end must come after the start)")


def _check_map_place(map_path: Path, out_dir: Path) -> None:
    """The map names patients: it must never travel with the clips."""
    m, o = map_path.resolve(), out_dir.resolve()
    if m.parent == o or o in m.parents:
        raise SemioscopeError(f"{map_path}: the share map must not lie in the output folder {out_dir} "
                              f"(set ${SHARE_MAP_ENV} elsewhere)")


def share_clip(video: str | Path, start_s: float, end_s: float, out_dir: str | Path, *, mode: str = "blur-face",
               keypoints: Optional[KeypointTrack] = None, seizures: Sequence[Seizure] = (),
               events: Sequence[Event] = (), recording_type: str = "", recording_start: Optional[datetime] = None,
               map_path: Optional[Path] = None, fill: bool = False, progress: ProgressFn = no_progress,
               cancel: Optional[CancelToken] = None) -> SharedClip:
    """Write the de-identified clip of ``video`` from ``start_s`` to ``end_s`` (source seconds)
    and its labels into ``out_dir``; record the pseudonym in the share map. ``keypoints``: the
    recording's track (needed by the skeleton modes; in blur-face, where no face is found).
    ``fill``: paint face regions grey instead of blurring. Raises ``InputFileError`` naming the
    video for a range outside it, a corrupt video or missing keypoints."""
    video, out_dir = Path(video), Path(out_dir)
    if mode not in MODES:
        raise SemioscopeError(f"unknown share mode {mode!r} (expected one of {', '.join(MODES)})")
    map_path = Path(map_path) if map_path is not None else share_map_path()
    _check_map_place(map_path, out_dir)
    if mode != "blur-face" and keypoints is None:
        raise InputFileError(video, f"no keypoints for the {mode} mode: analyse the video first (semioscope "
                                    f"analyze) or put {sidecar_path(video).name} beside it")
    share_map = read_share_map(map_path)
    with VideoReader(video) as reader:
        pts = reader.index.pts_s
        check_range(video, float(start_s), float(end_s), reader.index.end_s)
        frames = np.flatnonzero((pts >= start_s - 1e-6) & (pts < end_s - 1e-6))
        if len(frames) == 0:
            raise InputFileError(video, f"no frame starts within {start_s:.2f}-{end_s:.2f} s")
        origin = float(pts[frames[0]])
        clip_end = float(pts[frames[-1] + 1]) if frames[-1] + 1 < len(pts) else reader.index.end_s
        out_dir.mkdir(parents=True, exist_ok=True)
        name = new_pseudonym(set(share_map["clips"]), out_dir)
        clip, labels_path = out_dir / f"{name}.mp4", out_dir / f"{name}.labels.json"
        partial = out_dir / f".{name}.partial.mp4"
        try:
            stats = _write_frames(reader, frames, origin, partial, mode, keypoints, fill, progress, cancel)
            labels = {"format": LABELS_FORMAT, "version": LABELS_VERSION, "clip": clip.name, "mode": mode,
                      "time_origin": "the clip's first frame (0 s)", "duration_s": round(clip_end - origin, 3),
                      "frames": stats["frames"],
                      **clip_labels(seizures, events, origin, clip_end, recording_type)}
            atomic_write_json(labels_path, labels)
            share_map["clips"][name] = {
                "clip": str(clip.resolve()), "video": str(video.resolve()), "start_s": round(origin, 6),
                "end_s": round(clip_end, 6), "requested": [float(start_s), float(end_s)], "mode": mode,
                "recording_start": recording_start.isoformat() if recording_start else None,
                "shared_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            atomic_write_json(map_path, share_map)
            os.chmod(map_path, 0o600)  # it links pseudonyms to patients: this user only
            os.replace(partial, clip)
        except BaseException:
            partial.unlink(missing_ok=True)
            if not clip.exists():
                labels_path.unlink(missing_ok=True)
            raise
    return SharedClip(name, clip, labels_path, map_path, mode, origin, clip_end, stats["frames"],
                      len(labels["seizures"]), stats["faces"], stats["keypoints"], stats["whole"], stats["reblurred"],
                      stats["failures"])


def _write_frames(reader: VideoReader, frames: np.ndarray, origin: float, path: Path, mode: str,
                  keypoints: Optional[KeypointTrack], fill: bool, progress: ProgressFn,
                  cancel: Optional[CancelToken]) -> dict:
    meta = reader.meta
    # H.264 plays everywhere (browsers, slides); its 4:2:0 chroma needs even sizes.
    codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
    w, h = meta.width - meta.width % 2, meta.height - meta.height % 2
    times = reader.index.pts_s[frames]
    xy = conf = None
    if keypoints is not None:
        xy, conf = keypoints_at(keypoints, times, (meta.width, meta.height))
    blurrer = FaceBlurrer(fill=fill) if mode == "blur-face" else None
    stats = {"frames": 0, "faces": 0, "keypoints": 0, "whole": 0, "reblurred": 0, "failures": 0}
    failures_before = len(reader.decode_failures)
    pos = {int(f): k for k, f in enumerate(frames)}
    quality = 20 if codec == "libx264" else None  # CRF 20: detail enough to see semiology
    try:
        with VideoWriter(path, fps=meta.fps, size=(w, h), codec=codec, quality=quality, bare_metadata=True) as out:
            for i, rgb in _decoded(reader, frames):
                check_cancel(cancel)
                k = pos[i]
                kxy = None if xy is None else xy[k]
                kconf = None if conf is None else conf[k]
                if mode == "blur-face":
                    frame, rep = blurrer.frame(rgb, kxy, kconf)
                    stats["faces"] += rep.faces > 0
                    stats["keypoints"] += rep.keypoint_regions > 0
                    stats["whole"] += rep.whole_frame
                    stats["reblurred"] += rep.reblurred
                else:
                    frame = blur_frame(rgb) if mode == "blur-body" else np.zeros_like(rgb)
                    draw_skeleton(frame, kxy, kconf)
                out.write(np.ascontiguousarray(frame[:h, :w]), t=float(times[k]) - origin)
                stats["frames"] += 1
                progress(k + 1, len(frames), f"frame {k + 1}/{len(frames)}")
    finally:
        if blurrer is not None:
            blurrer.close()
    stats["failures"] = len(reader.decode_failures) - failures_before
    if stats["frames"] == 0:
        raise InputFileError(reader.path, "no frame of the range could be decoded; the file may be corrupt")
    return stats


def _decoded(reader: VideoReader, frames: np.ndarray):
    """``reader.iter_frames`` with FFmpeg's errors (a damaged file) named after the video."""
    it = reader.iter_frames(frames)
    while True:
        try:
            item = next(it)
        except StopIteration:
            return
        except av.error.FFmpegError as exc:
            raise InputFileError(reader.path, f"cannot decode the video ({exc}); the file may be corrupt") from None
        yield item


def load_share_map_entry(pseudonym: str, map_path: Optional[Path] = None) -> dict:
    """The local record of a shared clip (which video, times, date), for the person who shared it."""
    path = Path(map_path) if map_path is not None else share_map_path()
    clips = read_share_map(path)["clips"]
    if pseudonym not in clips:
        raise InputFileError(path, f"no shared clip named {pseudonym}")
    return dict(clips[pseudonym])


__all__ = ["DEFAULT_MARGIN_S", "MODES", "SHARE_MAP_ENV", "SharedClip", "check_range", "clip_labels", "event_range",
           "find_events", "find_keypoints", "load_share_map_entry", "new_pseudonym", "read_share_map",
           "seizure_range", "share_clip", "share_map_path"]

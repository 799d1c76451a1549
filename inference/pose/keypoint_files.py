"""Keypoints the user brings: OpenPose JSON folders and Semioscope ``.npz`` tracks (incl. the sidecar).

Formats read by ``load_keypoints(path)``:

- **Semioscope track** ``.npz`` (``KeypointTrack.save``). The synthetic generator writes its
  ground truth as such a file next to each video, ``<id>.keypoints.npz`` (``sidecar_path``),
  at the video's full frame rate.
- **OpenPose folder**: one ``*_keypoints.json`` per video frame (OpenPose ``--write_json``),
  each ``{"people": [{"pose_keypoints_2d": [x0, y0, c0, x1, ...]}, ...]}``. COCO-18 and
  BODY-25 are told apart by the keypoint count (18 or 25) and mapped directly to our 14 joints
  (nose -> head). A keypoint (0, 0, 0) is missing. With several people in a frame the patient
  is chosen with ``track_cleaning.select_patient``. Frame ``k`` (files sorted by the frame
  number in their name) is at ``times[k]`` if given, else ``k / fps``.

``FileKeypointBackend`` turns a keypoint file into a ``PoseBackend`` (``backend="file"``): it
answers ``process(t, _)`` with the file's sample nearest to ``t``.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from inference.core.config import PoseConfig
from inference.core.errors import InputFileError, SemioscopeError
from inference.core.fingerprint import file_fingerprint
from inference.pose.backend import PoseBackend, empty_pose
from inference.pose.cleaning import sampling_rate, select_patient
from inference.pose.joints import JOINT_NAMES, NUM_JOINTS
from inference.pose.keypoints import KeypointTrack
from inference.video.reader import VideoReader

# OpenPose keypoint index for each of our joints, by layout.
_COCO18 = {"head": 0, "neck": 1, "right_shoulder": 2, "right_elbow": 3, "right_wrist": 4,
           "left_shoulder": 5, "left_elbow": 6, "left_wrist": 7, "right_hip": 8, "right_knee": 9,
           "right_ankle": 10, "left_hip": 11, "left_knee": 12, "left_ankle": 13}
_BODY25 = {"head": 0, "neck": 1, "right_shoulder": 2, "right_elbow": 3, "right_wrist": 4,
           "left_shoulder": 5, "left_elbow": 6, "left_wrist": 7, "right_hip": 9, "right_knee": 10,
           "right_ankle": 11, "left_hip": 12, "left_knee": 13, "left_ankle": 14}
OPENPOSE_LAYOUTS: dict[int, tuple[str, np.ndarray]] = {
    18: ("COCO-18", np.array([_COCO18[n] for n in JOINT_NAMES])),
    25: ("BODY-25", np.array([_BODY25[n] for n in JOINT_NAMES])),
}
_FRAME_NUMBER = re.compile(r"(\d+)(?!.*\d)")  # last number in the file name


KEYPOINT_SIDECAR_SUFFIX = ".keypoints.npz"


def sidecar_path(video_path: str | Path) -> Path:
    """Where the synthetic generator puts a video's ground-truth track: ``<id>.keypoints.npz``."""
    p = Path(video_path)
    return p.with_name(p.stem + KEYPOINT_SIDECAR_SUFFIX)


def resolve_keypoint_file(spec: str, video: Path) -> Path:
    """The keypoints of ``video`` named by ``spec``: ``gt`` -> the generator's sidecar
    ``<stem>.keypoints.npz`` beside the video; a folder -> ``<stem>.keypoints.npz`` or an
    OpenPose JSON folder ``<stem>/`` in it, or the folder itself when it holds OpenPose JSON."""

    if spec == "gt":
        path = sidecar_path(video)
        if not path.exists():
            raise InputFileError(path, f"ground-truth keypoints for {video.name} not found "
                                       "(--keypoints gt expects <video stem>.keypoints.npz beside the video)")
        return path
    path = Path(spec)
    if path.is_dir():
        for cand in (path / sidecar_path(video).name, path / video.stem):
            if cand.exists():
                return cand
        if any(path.glob("*.json")):
            return path
        raise InputFileError(path, f"no keypoints for {video.name} in this folder "
                                   f"(expected {video.stem}.keypoints.npz or an OpenPose folder {video.stem}/)")
    if not path.exists():
        raise InputFileError(path, "keypoint file not found")
    return path


def _openpose_people(path: Path) -> list[np.ndarray]:
    """People of one OpenPose JSON file as ``[K, 3]`` arrays (K = 18 or 25)."""
    try:
        data = json.loads(path.read_text("utf-8"))
        people = data["people"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputFileError(path, f"not an OpenPose keypoint JSON file ({type(exc).__name__}: {exc})") from None
    out = []
    for person in people:
        flat = np.asarray(person.get("pose_keypoints_2d", []), dtype=np.float64)
        if flat.size == 0:
            continue
        if flat.size % 3 or flat.size // 3 not in OPENPOSE_LAYOUTS:
            raise InputFileError(path, f"pose_keypoints_2d has {flat.size} values; expected 18 or 25 "
                                       "keypoints x (x, y, confidence)")
        out.append(flat.reshape(-1, 3))
    return out


def _to_joints(person: np.ndarray) -> np.ndarray:
    """``[K, 3]`` OpenPose person -> ``[14, 3]`` (x, y, conf) with NaN where missing."""
    idx = OPENPOSE_LAYOUTS[len(person)][1]
    j = person[idx].copy()
    missing = (j[:, 2] <= 0) | ((j[:, 0] == 0) & (j[:, 1] == 0))
    j[missing, :2] = np.nan
    j[missing, 2] = 0.0
    return j


def load_openpose_json_dir(directory: str | Path, frame_size: Optional[tuple[int, int]] = None,
                           times: Optional[Sequence[float]] = None, fps: Optional[float] = None
                           ) -> KeypointTrack:
    """Read an OpenPose ``--write_json`` folder as a 14-joint track (see the module docstring)."""

    directory = Path(directory)
    if not directory.is_dir():
        raise InputFileError(directory, "OpenPose keypoint folder not found")
    files = sorted(directory.glob("*.json"))
    if not files:
        raise InputFileError(directory, "folder holds no OpenPose .json files")

    def frame_key(p: Path) -> tuple[int, str]:
        m = _FRAME_NUMBER.search(p.stem)
        return (int(m.group(1)) if m else -1, p.name)

    files.sort(key=frame_key)
    raw = [_openpose_people(f) for f in files]
    kinds = sorted({OPENPOSE_LAYOUTS[len(p)][0] for frame in raw for p in frame})
    people = [[_to_joints(p) for p in frame] for frame in raw]
    n = len(files)
    if times is not None:
        times_arr = np.asarray(times, dtype=np.float64)
        if len(times_arr) != n:
            raise InputFileError(directory, f"{n} keypoint files but {len(times_arr)} frame times "
                                            "(one JSON file per video frame is expected)")
    elif fps:
        times_arr = np.arange(n, dtype=np.float64) / float(fps)
    else:
        raise InputFileError(directory, "OpenPose JSON has no timing: give the video's fps or frame times")
    chosen = select_patient([np.stack(p) if p else np.zeros((0, NUM_JOINTS, 3)) for p in people], frame_size)
    xy = np.full((n, NUM_JOINTS, 2), np.nan, dtype=np.float32)
    conf = np.zeros((n, NUM_JOINTS), dtype=np.float32)
    for t, p in enumerate(chosen.tolist()):
        if p >= 0:
            xy[t] = people[t][p][:, :2]
            conf[t] = people[t][p][:, 2]
    if frame_size is None:  # OpenPose does not store it; a rough bound from the data
        finite = xy[np.isfinite(xy).all(axis=-1)]
        frame_size = tuple(np.maximum(np.ceil(finite.max(axis=0)) + 1, 1).astype(int)) if len(finite) else (1, 1)
    return KeypointTrack(times_arr, xy, np.clip(conf, 0, 1), frame_size, source="openpose",
                         meta={"layout": ",".join(kinds), "folder": str(directory),
                               "people_per_frame_max": max((len(p) for p in people), default=0)})


def load_keypoints(path: str | Path, frame_size: Optional[tuple[int, int]] = None,
                   times: Optional[Sequence[float]] = None, fps: Optional[float] = None) -> KeypointTrack:
    """A ``KeypointTrack`` from a Semioscope ``.npz`` or an OpenPose JSON folder (auto-detected)."""
    path = Path(path)
    if path.is_dir():
        return load_openpose_json_dir(path, frame_size, times, fps)
    if not path.exists():
        raise InputFileError(path, "keypoint file not found")
    if path.suffix.lower() == ".npz":
        return KeypointTrack.load(path)
    raise InputFileError(path, "unknown keypoint format: expected a Semioscope .npz track or a folder of OpenPose JSON files")


def keypoints_fingerprint(path: str | Path) -> str:
    """Identity of a keypoint file or folder (for cache keys): contents of a file, names,
    sizes and modification times of a folder's JSON files."""

    path = Path(path)
    if path.is_dir():
        h = hashlib.sha256()
        for f in sorted(path.glob("*.json")):
            st = f.stat()
            h.update(f"{f.name}:{st.st_size}:{st.st_mtime_ns};".encode())
        return "dir-" + h.hexdigest()[:32]
    return file_fingerprint(path)


class FileKeypointBackend(PoseBackend):
    """``backend="file"``: keypoints from ``keypoints_path`` (default: the video's sidecar).

    ``process(t, rgb)`` ignores the frame and returns the file's sample nearest to ``t``, or
    nothing when the nearest sample is further than ``tolerance_s`` (default: 1.5 sampling
    periods of the file) away. ``needs_frames`` is False, so ``estimate_track`` does not decode.
    """

    name = "file"
    needs_frames = False

    def __init__(self, cfg: PoseConfig = PoseConfig(), keypoints_path: str | Path | None = None,
                 video_path: str | Path | None = None, tolerance_s: Optional[float] = None):
        if keypoints_path is None and video_path is not None:
            keypoints_path = sidecar_path(video_path)
        if keypoints_path is None:
            raise SemioscopeError("the 'file' pose backend needs a keypoint file or folder (--keypoints PATH)")
        self.cfg = cfg
        self.keypoints_path = Path(keypoints_path)
        self.tolerance_s = tolerance_s
        self.video_path = Path(video_path) if video_path is not None else None
        self.track: Optional[KeypointTrack] = None
        self.frame_size = (0, 0)

    def params(self) -> dict[str, Any]:
        if not self.keypoints_path.exists():
            raise InputFileError(self.keypoints_path, "keypoint file not found (the 'file' pose backend reads "
                                                      "--keypoints PATH, by default the sidecar <video stem>.keypoints.npz)")
        return {"keypoints": str(self.keypoints_path.resolve()),
                "keypoints_fingerprint": keypoints_fingerprint(self.keypoints_path)}

    def start(self, frame_size: tuple[int, int], times: Optional[Sequence[float]] = None,
              fps: Optional[float] = None) -> None:
        super().start(frame_size)
        if times is None and fps is None and self.keypoints_path.is_dir() and self.video_path is not None:

            with VideoReader(self.video_path) as reader:  # one OpenPose file per video frame
                times = reader.index.pts_s
        self.track = load_keypoints(self.keypoints_path, frame_size=self.frame_size, times=times, fps=fps)
        if self.tolerance_s is None:

            rate = sampling_rate(self.track.times)
            self._tol = 1.5 / rate if rate > 0 else np.inf
        else:
            self._tol = float(self.tolerance_s)

    def process(self, t: float, rgb: Optional[np.ndarray] = None) -> tuple[np.ndarray, np.ndarray]:
        if self.track is None:
            raise RuntimeError("FileKeypointBackend.start() was not called")
        if len(self.track) == 0:
            return empty_pose()
        i = int(self.track.nearest_indices(np.array([t]))[0])
        if abs(self.track.times[i] - t) > self._tol:
            return empty_pose()
        return self.track.xy[i].copy(), self.track.conf[i].copy()

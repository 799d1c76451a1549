"""The other cameras of a recording: which files, and how each one's clock runs against the
first (the one analysed): ``t_camera = offset_s + (1 + drift_ppm * 1e-6) * t_first``.

Given in a manifest (JSON ``"cameras"``) or on the command line (``review A.mp4 B.mp4``), and
nudged by eye in the window; what the reviewer set is saved beside the first video as
``<video>.semioscope-cameras.json`` with who set it and when, and wins over the manifest.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional, Sequence

from inference.core.atomic import atomic_write_json
from inference.core.errors import InputFileError
from inference.core.versioned_json import read_format_json

CAMERAS_FORMAT = "semioscope.cameras"
CAMERAS_SUFFIX = ".semioscope-cameras.json"
MAX_CAMERAS = 4  # the first and up to three more


@dataclass(frozen=True)
class CameraFile:
    name: str
    video: Path
    offset_s: float = 0.0
    drift_ppm: float = 0.0
    source: str = "given"  # "manifest", "command line", "nudged"
    by: str = ""
    at: str = ""

    def to_camera(self, t: float) -> float:
        """The camera's time at ``t`` seconds of the first camera."""
        return self.offset_s + (1.0 + self.drift_ppm * 1e-6) * float(t)

    def nudged(self, seconds: float, by: str) -> "CameraFile":
        return replace(self, offset_s=round(self.offset_s + float(seconds), 6), source="nudged", by=by,
                       at=datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def describe(self) -> str:
        drift = f", drift {self.drift_ppm:+.1f} ppm" if self.drift_ppm else ""
        return f"offset {self.offset_s:+.3f} s{drift} ({self.source}{', ' + self.by if self.by else ''})"

    def to_dict(self, base: Path) -> dict[str, Any]:
        try:
            video = os.path.relpath(self.video, base)
        except ValueError:
            video = str(self.video)
        return {"camera": self.name, "video": video, "offset_s": self.offset_s, "drift_ppm": self.drift_ppm,
                "source": self.source, "by": self.by, "at": self.at}

    @classmethod
    def from_dict(cls, d: dict[str, Any], base: Path, where: str, path: Path) -> "CameraFile":
        try:
            video = Path(os.path.expanduser(str(d["video"])))
            return cls(str(d.get("camera") or video.stem), video if video.is_absolute() else base / video,
                       float(d.get("offset_s", 0.0)), float(d.get("drift_ppm", 0.0)), str(d.get("source", "given")),
                       str(d.get("by", "")), str(d.get("at", "")))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputFileError(path, f"{where}: malformed camera entry ({exc!r})") from None


def cameras_path(video: str | Path) -> Path:
    video = Path(video)
    return video.with_name(video.name + CAMERAS_SUFFIX)


def save_cameras(video: str | Path, cameras: Sequence[CameraFile]) -> Path:
    path = cameras_path(video)
    base = path.parent.resolve()
    atomic_write_json(path, {"format": CAMERAS_FORMAT, "version": 1,
                             "cameras": [c.to_dict(base) for c in cameras]})
    return path


def load_cameras(video: str | Path) -> Optional[list[CameraFile]]:
    """The cameras saved beside ``video``, or None when nothing was saved."""
    path = cameras_path(video)
    if not path.exists():
        return None
    data = read_format_json(path, CAMERAS_FORMAT, 1, InputFileError, what="camera file")
    items = data.get("cameras")
    if not isinstance(items, list):
        raise InputFileError(path, "'cameras' must be a list")
    return [CameraFile.from_dict(d, path.parent, f"camera #{k + 1}", path) for k, d in enumerate(items)]


__all__ = ["CAMERAS_SUFFIX", "CameraFile", "MAX_CAMERAS", "cameras_path", "load_cameras", "save_cameras"]

"""Which EEG belongs to a video, and how their clocks line up: ``<video>.semioscope-eeg.json``.

::

    {"format": "semioscope.eeg_link", "version": 1,
     "eeg": "rec.edf",                       # relative to the video's folder when possible
     "video_start": "2026-03-14T21:30:00.000+01:00" | null, "video_start_source": "manifest",
     "eeg_zone": "+01:00",                   # the zone the EEG header's local time is in
     "alignment": {"offset_s", "drift_ppm", "source", "by", "at", "residual_ms", "points": [...]},
     "history": [earlier alignments, newest last]}

Written atomically on every change: a fitted alignment is the reviewer's work, like a mark.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, Optional

from inference.core.atomic import atomic_write_json
from inference.core.errors import EegError
from inference.core.versioned_json import read_format_json
from inference.core.wall_clock import format_start_time, parse_start_time
from inference.eeg.alignment import ClockAlignment

LINK_FORMAT = "semioscope.eeg_link"
LINK_VERSION = 1
LINK_SUFFIX = ".semioscope-eeg.json"


def link_path(video: str | Path) -> Path:
    video = Path(video)
    return video.with_name(video.name + LINK_SUFFIX)


def zone_text(zone: tzinfo) -> str:
    offset = datetime(2000, 1, 1, tzinfo=zone).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def parse_zone(text: str) -> tzinfo:
    return parse_start_time(f"2000-01-01T00:00:00{text}").tzinfo or timezone.utc


@dataclass
class EegLink:
    eeg: Path
    alignment: ClockAlignment
    eeg_zone: tzinfo = timezone.utc
    video_start: Optional[datetime] = None
    video_start_source: str = "unknown"
    history: list[ClockAlignment] = field(default_factory=list)

    def to_json(self, base: Path) -> dict[str, Any]:
        try:
            eeg = os.path.relpath(self.eeg, base)
        except ValueError:
            eeg = str(self.eeg)
        return {"format": LINK_FORMAT, "version": LINK_VERSION, "eeg": eeg,
                "video_start": format_start_time(self.video_start) if self.video_start else None,
                "video_start_source": self.video_start_source, "eeg_zone": zone_text(self.eeg_zone),
                "alignment": self.alignment.to_dict(), "history": [a.to_dict() for a in self.history]}


def save_link(video: str | Path, link: EegLink) -> Path:
    path = link_path(video)
    atomic_write_json(path, link.to_json(path.parent.resolve()))
    return path


def load_link(video: str | Path) -> Optional[EegLink]:
    """The saved link, or None when there is none. Malformed files raise EegError naming the file."""
    path = link_path(video)
    if not path.exists():
        return None
    data = read_format_json(path, LINK_FORMAT, LINK_VERSION, EegError, what="EEG link file")
    try:
        eeg = Path(os.path.expanduser(str(data["eeg"])))
        if not eeg.is_absolute():
            eeg = path.parent / eeg
        start = data.get("video_start")
        zone = parse_zone(str(data.get("eeg_zone", "+00:00")))
        return EegLink(eeg, ClockAlignment.from_dict(data["alignment"]), zone,
                       parse_start_time(start) if start else None, str(data.get("video_start_source", "unknown")),
                       [ClockAlignment.from_dict(a) for a in data.get("history", [])])
    except (KeyError, TypeError, ValueError) as exc:
        raise EegError(path, f"malformed EEG link file ({exc})") from None


__all__ = ["EegLink", "LINK_SUFFIX", "link_path", "load_link", "parse_zone", "save_link", "zone_text"]

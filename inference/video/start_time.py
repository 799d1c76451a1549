"""When a video started, in wall-clock time: the container's tag, else the file's name.

MP4/MOV cameras write ``creation_time`` (UTC) in the container or the video stream; EMU exports
often carry the start in the EDF video naming convention (``..._03-MAY-2013_14h45m49.013s_...``).
A manifest's ``start_time`` overrides both (``recording_start``).
"""
from __future__ import annotations

from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Optional

import av

from inference.core.wall_clock import parse_start_time, start_time_from_name

_TAGS = ("creation_time", "com.apple.quicktime.creationdate", "date")
_PLACEHOLDER_YEARS = (1904, 1970)  # QuickTime's and Unix's epochs: an unset clock, not a start


def container_start_time(path: str | Path) -> Optional[datetime]:
    """The ``creation_time`` tag of the container (or its video stream), or None."""
    try:
        with av.open(str(path), mode="r") as container:
            tags = [dict(container.metadata)] + [dict(s.metadata) for s in container.streams.video]
    except Exception:  # unreadable videos are reported by the reader, with the reason
        return None
    for found in tags:
        for key in _TAGS:
            text = found.get(key)
            if not text:
                continue
            try:
                value = parse_start_time(text, default_zone=timezone.utc)  # the tag is UTC by convention
            except ValueError:
                continue
            if value.year not in _PLACEHOLDER_YEARS:
                return value
    return None


def recording_start(path: str | Path, given: Optional[datetime] = None,
                    zone: Optional[tzinfo] = None) -> tuple[Optional[datetime], str]:
    """(start time, where it came from): ``given`` (the manifest), else the container's tag,
    else the file's name (in ``zone``, default this machine's); (None, "unknown") otherwise."""
    if given is not None:
        return given, "manifest"
    found = container_start_time(path)
    if found is not None:
        return found, "container creation_time"
    named = start_time_from_name(Path(path).name, zone)
    if named is not None:
        return named, "file name"
    return None, "unknown"


__all__ = ["container_start_time", "recording_start"]

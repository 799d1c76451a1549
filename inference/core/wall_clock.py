"""The recording clock: when a recording started, in wall-clock time, and how times are shown.

Every time inside Semioscope stays "seconds from the video's start"; the recording's start time
(an aware ``datetime``, ISO 8601 with a time zone in files) turns them into clock times for
display, for the go-to field and for exchange. Sources, most trusted first: the user (manifest
``start_time`` column), the container's ``creation_time`` tag (``inference.video.start_time``),
the EDF video naming convention in the file name (``..._03-MAY-2013_14h45m49.013s_Video...``).
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Optional

_MONTHS = {m: i + 1 for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"))}
# 03-MAY-2013_14h45m49.013s (the seconds' fraction is optional)
_EDF_VIDEO_NAME = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})_(\d{1,2})h(\d{1,2})m(\d{1,2}(?:\.\d+)?)s")
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d*)?))?\s*$")


def local_zone() -> tzinfo:
    """This machine's time zone (for clock times that come without one)."""
    return datetime.now().astimezone().tzinfo or timezone.utc


def parse_start_time(text: str, default_zone: Optional[tzinfo] = None) -> datetime:
    """An ISO 8601 date and time (``2013-05-03T14:45:49.013+02:00``, ``...Z``) as an aware datetime.

    Without a zone it raises ValueError, unless ``default_zone`` says which zone to assume:
    a clock without a zone can't be placed beside an EEG recorded elsewhere.
    """
    raw = str(text).strip()
    if not raw:
        raise ValueError("empty start time")
    try:
        value = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw)
    except ValueError:
        raise ValueError(f"start time {raw!r} is not ISO 8601 (e.g. 2013-05-03T14:45:49.013+02:00)") from None
    if value.tzinfo is None:
        if default_zone is None:
            raise ValueError(f"start time {raw!r} has no time zone (add one, e.g. +02:00 or Z)")
        value = value.replace(tzinfo=default_zone)
    return value


def format_start_time(value: datetime) -> str:
    """ISO 8601 with milliseconds and the zone offset (what the files store)."""
    return value.isoformat(timespec="milliseconds")


def start_time_from_name(name: str, zone: Optional[tzinfo] = None) -> Optional[datetime]:
    """The start time in an EDF-style video file name (``..._03-MAY-2013_14h45m49.013s_...``),
    in ``zone`` (default: this machine's); None when the name holds none."""
    m = _EDF_VIDEO_NAME.search(name)
    if m is None:
        return None
    day, mon, year, hh, mm, ss = m.groups()
    month = _MONTHS.get(mon.upper())
    if month is None:
        return None
    seconds = float(ss)
    try:
        base = datetime(int(year), month, int(day), int(hh), int(mm), tzinfo=zone or local_zone())
    except ValueError:
        return None
    return base + timedelta(seconds=seconds)


def clock_at(start: datetime, t_s: float) -> datetime:
    return start + timedelta(seconds=float(t_s))


def format_clock(start: datetime, t_s: float, with_date: bool = False, decimals: int = 3) -> str:
    """``14:45:49.013`` (``2013-05-03 14:45:49.013`` with the date) for ``t_s`` seconds after
    ``start``, rounded once to ``decimals`` (so 59.9996 s shows as the next second, never :60)."""
    at = clock_at(start, t_s)
    unit = 10 ** (6 - max(decimals, 0))  # microseconds per digit shown
    at = at.replace(microsecond=0) + timedelta(microseconds=int(round(at.microsecond / unit)) * unit)
    text = at.strftime("%H:%M:%S") + (f".{at.microsecond // unit:0{decimals}d}" if decimals > 0 else "")
    return f"{at:%Y-%m-%d} {text}" if with_date else text


def parse_clock_time(text: str, start: datetime, duration_s: Optional[float] = None) -> float:
    """Seconds from ``start`` for a clock time typed by the user.

    ``hh:mm`` or ``hh:mm:ss(.fff)`` is taken on the recording's first day, or on the next day
    when that is earlier than the start (overnight recordings); a full ISO date and time is taken
    as it is (in the recording's zone when it has none). Raises ValueError when the time is
    before the start or after ``duration_s``.
    """
    raw = str(text).strip()
    m = _CLOCK.match(raw)
    if m is not None:
        hh, mm, ss = int(m.group(1)), int(m.group(2)), float(m.group(3) or 0.0)
        if hh > 23 or mm > 59 or ss >= 60:
            raise ValueError(f"{raw!r} is not a clock time")
        day = start.replace(hour=0, minute=0, second=0, microsecond=0)
        at = day + timedelta(hours=hh, minutes=mm, seconds=ss)
        if at < start - timedelta(milliseconds=1):
            at += timedelta(days=1)
    else:
        at = parse_start_time(raw, default_zone=start.tzinfo)
    t = (at - start).total_seconds()
    if t < -1e-3 or (duration_s is not None and t > duration_s + 1e-3):
        span = f"{format_clock(start, 0.0, True)} to {format_clock(start, duration_s or 0.0, True)}"
        raise ValueError(f"{raw!r} is outside the recording ({span})")
    return max(t, 0.0)


__all__ = ["clock_at", "format_clock", "format_start_time", "local_zone", "parse_clock_time", "parse_start_time",
           "start_time_from_name"]

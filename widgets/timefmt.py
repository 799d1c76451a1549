"""Times shown to people as ``hh:mm:ss.fff`` and parsed back; shared by every widget.

``format_position`` is what positions on the recording show: the time from the video's start,
or the wall-clock time when the window has switched to it (``set_wall_clock(start)``, one
setting for the whole window, like a locale; ``set_wall_clock(None)`` switches back).
"""
from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Optional

from inference.core.wall_clock import format_clock

_CLOCK = re.compile(r"^\s*(?:(\d+):)?(\d+):(\d+(?:\.\d*)?)\s*$")


def format_time(t: float | None, decimals: int = 3) -> str:
    """``3723.5`` -> ``"01:02:03.500"``. Negative times get a leading ``-``; None/NaN -> ``"--:--:--"``."""
    if t is None or not math.isfinite(t):
        return "--:--:--"
    sign = "-" if t < 0 else ""
    scale = 10 ** decimals
    # Round once in integer units so 59.9996 becomes 00:01:00.000, never 00:00:60.000.
    units = int(round(abs(t) * scale))
    whole, frac = divmod(units, scale)
    h, rem = divmod(whole, 3600)
    m, s = divmod(rem, 60)
    text = f"{sign}{h:02d}:{m:02d}:{s:02d}"
    return f"{text}.{frac:0{decimals}d}" if decimals > 0 else text


def parse_time(text: str) -> float:
    """Seconds from ``"hh:mm:ss.fff"``, ``"mm:ss.fff"`` or plain seconds (``"12.5"``).

    Raises ``ValueError`` with a readable message for anything else (negative, minutes or seconds
    of 60 or more in clock notation, empty text).
    """
    s = text.strip()
    if not s:
        raise ValueError("empty time")
    try:
        value = float(s)
    except ValueError:
        m = _CLOCK.match(s)
        if not m:
            raise ValueError(f"not a time: {text!r} (use hh:mm:ss.fff or seconds)") from None
        hours = int(m.group(1)) if m.group(1) is not None else 0
        minutes, seconds = int(m.group(2)), float(m.group(3))
        if m.group(1) is not None and minutes >= 60:
            raise ValueError(f"minutes must be below 60 in {text!r}")
        if seconds >= 60:
            raise ValueError(f"seconds must be below 60 in {text!r}")
        value = hours * 3600 + minutes * 60 + seconds
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"not a time: {text!r} (must be a non-negative number of seconds)")
    return value


_wall_start: Optional[datetime] = None


def set_wall_clock(start: Optional[datetime]) -> None:
    """Show positions as clock times from ``start`` (an aware datetime), or relative (None)."""
    global _wall_start
    _wall_start = start


def wall_clock() -> Optional[datetime]:
    return _wall_start


def format_position(t: float | None, decimals: int = 3) -> str:
    """A position on the recording as the window shows it now (relative or wall clock)."""
    if _wall_start is None or t is None or not math.isfinite(t):
        return format_time(t, decimals)
    return format_clock(_wall_start, float(t), decimals=decimals)

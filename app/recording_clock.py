"""The open recording's wall clock: where its start time came from, the clock/relative toggle, and
the go-to field's reading of clock times.

The start comes from the manifest that lists the video, else the container's ``creation_time``,
else an EDF-style file name (``inference.video.start_time``). With View → Wall-clock time on,
every position the window shows (transport, timeline axis, events table, EEG axis) reads as a
clock time, and the go-to field takes clock times (``23:55``, ``00:10:05.5`` the next morning,
or a full ISO date and time); relative times stay accepted as ``+01:02:03`` or plain seconds.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from app.export import manifest_recording
from inference.core.wall_clock import format_clock, parse_clock_time
from inference.dataset.manifest import Recording
from inference.video.start_time import recording_start
from widgets.timefmt import parse_time, set_wall_clock

if TYPE_CHECKING:
    from app.main_window import MainWindow


class RecordingClock:
    """``start`` (aware datetime or None), ``source``, ``manifest_recording``, ``showing_wall``."""

    def __init__(self, win: MainWindow):
        self.win = win
        self.start: Optional[datetime] = None
        self.source = "unknown"
        self.manifest_recording: Optional[Recording] = None
        self.showing_wall = False

    def on_video_opened(self, video: Path) -> None:
        self.manifest_recording = manifest_recording(video)
        given = self.manifest_recording.start_time if self.manifest_recording is not None else None
        self.start, self.source = recording_start(video, given)
        action = self.win.actions.get("view.wall_clock")
        if action is not None:
            action.setEnabled(self.start is not None)
            action.setToolTip(f"Recording started {format_clock(self.start, 0.0, True)} ({self.source})"
                              if self.start is not None else "This recording's start time is unknown")
        self.show_wall_clock(self.showing_wall)

    def close(self) -> None:
        self.start, self.source, self.manifest_recording = None, "unknown", None
        set_wall_clock(None)

    def show_wall_clock(self, on: bool) -> None:
        """Positions as clock times (``on``, when the start is known) or from the video's start."""
        self.showing_wall = bool(on)
        set_wall_clock(self.start if on and self.start is not None else None)
        win = self.win
        win.transport.setPosition(win.current_time, win.current_frame)
        win.timeline.plot.getAxis("bottom").picture = None
        win.timeline.plot.getAxis("bottom").update()
        win.event_list.view.viewport().update()
        win.eeg_view.time_axis.picture = None
        win.eeg_view.time_axis.update()

    def describe(self, t: float) -> str:
        if self.start is None:
            return ""
        return format_clock(self.start, t, with_date=True)

    def parse(self, text: str) -> float:
        """Seconds from the video's start for what the user typed in the go-to field.
        Raises ValueError with a message fit for the user."""
        raw = text.strip()
        duration = self.win.reader.meta.duration_s if self.win.reader is not None else None
        if raw.startswith("+"):
            return parse_time(raw[1:])
        wall = self.start is not None and (self.showing_wall or "T" in raw or "-" in raw[1:])
        if wall and ":" in raw:
            return parse_clock_time(raw, self.start, duration)
        return parse_time(raw)


__all__ = ["RecordingClock"]

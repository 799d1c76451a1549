"""Playback clock: keeps real-time pace at 0.25x..16x and drops frames rather than falling behind.

A QTimer ticks about every display interval; on each tick the wanted video time is computed from
the wall clock (``start time + elapsed x speed``), not by adding one frame per tick, so a slow
decode or a busy GUI never makes playback drift. The frame loader reads the same clock from its
own thread (``now()``) and shows each frame when the clock reaches it, dropping the ones it
cannot show in time.
"""
from __future__ import annotations

import time
from typing import NamedTuple, Optional

from PySide6.QtCore import QObject, QTimer, Signal

SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


class _Anchor(NamedTuple):
    """Video time ``time_s`` at wall time ``wall`` (``time.perf_counter``), advancing at
    ``speed`` while ``playing``: all the clock's state but the last tick."""

    wall: float
    time_s: float
    speed: float
    playing: bool


class PlaybackClock(QObject):
    """``tick(time_s)`` while playing; ``state_changed(playing)``; ``speed_changed(speed)``.

    ``duration_s``: the end of the video (playback stops there). ``frame_interval_s``: the
    video's typical frame interval (the tick period, bounded to 10..40 ms). ``position_s``: the
    last tick's time (where the clock stands while paused).
    """

    tick = Signal(float)
    state_changed = Signal(bool)
    speed_changed = Signal(float)

    def __init__(self, duration_s: float, frame_interval_s: float = 1 / 30, parent=None):
        super().__init__(parent)
        self.duration_s = float(duration_s)
        self._timer = QTimer(self)
        self._timer.setTimerType(self._timer.timerType().PreciseTimer)
        self._timer.setInterval(int(min(max(frame_interval_s * 1000.0, 10.0), 40.0)))
        self._timer.timeout.connect(self._on_timeout)
        self.position_s = 0.0
        self.ticks = 0
        # Replaced as a whole, never changed in place, so ``now()`` can read it from another
        # thread without a lock and never sees half an update.
        self._anchor = _Anchor(wall=0.0, time_s=0.0, speed=1.0, playing=False)

    def now(self) -> tuple[float, bool]:
        """``(video time now, playing)`` from the wall clock; safe to call from any thread."""
        wall, t, speed, playing = self._anchor
        if playing:
            t = min(t + (time.perf_counter() - wall) * speed, self.duration_s)
        return t, playing

    @property
    def speed(self) -> float:
        return self._anchor.speed

    @property
    def playing(self) -> bool:
        return self._anchor.playing

    def _anchor_at(self, t: float, **changes) -> None:
        """Stand at ``t`` now (and change ``speed`` / ``playing`` if given), in one update."""
        self.position_s = min(max(float(t), 0.0), self.duration_s)
        self._anchor = self._anchor._replace(wall=time.perf_counter(), time_s=self.position_s, **changes)

    def set_position(self, t: float) -> None:
        """Jump (a seek); playback continues from there at the same pace."""
        self._anchor_at(t)

    def play(self, from_s: Optional[float] = None) -> None:
        t = self.position_s if from_s is None else float(from_s)
        if t >= self.duration_s - 1e-6:
            t = 0.0  # play at the end starts over
        was_playing = self.playing
        self._anchor_at(t, playing=True)
        if not was_playing:
            self._timer.start()
            self.state_changed.emit(True)

    def pause(self) -> None:
        if self.playing:
            # Stand still where the clock is now, not at the last tick: the loader follows now()
            # and may already show a frame up to one tick later, which must not step back.
            self._anchor_at(self.now()[0], playing=False)
            self._timer.stop()
            self.tick.emit(self.position_s)
            self.state_changed.emit(False)

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def set_speed(self, speed: float) -> None:
        speed = float(speed)
        if speed <= 0:
            raise ValueError("speed must be positive")
        # Re-anchor at the current time so the change of speed does not jump the position.
        self._anchor_at(self.now()[0], speed=speed)
        self.speed_changed.emit(speed)

    def faster(self) -> float:
        higher = [s for s in SPEEDS if s > self.speed + 1e-9]
        self.set_speed(higher[0] if higher else SPEEDS[-1])
        return self.speed

    def slower(self) -> float:
        lower = [s for s in SPEEDS if s < self.speed - 1e-9]
        self.set_speed(lower[-1] if lower else SPEEDS[0])
        return self.speed

    def _on_timeout(self) -> None:
        t, _ = self.now()
        if t >= self.duration_s:
            self.position_s = self.duration_s
            self.tick.emit(self.duration_s)
            self.pause()
            return
        self.position_s = t
        self.ticks += 1
        self.tick.emit(t)

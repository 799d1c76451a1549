"""Playback clock: keeps real-time pace at 0.25x..16x and drops frames rather than falling behind.

A QTimer ticks about every display interval; on each tick the wanted video time is computed from
the wall clock (``start time + elapsed x speed``), not by adding one frame per tick, so a slow
decode or a busy GUI never makes playback drift. The frame loader reads the same clock from its
own thread (``now()``) and shows each frame when the clock reaches it, dropping the ones it
cannot show in time.
"""
from __future__ import annotations

import time
from typing import Optional

from PySide6.QtCore import QObject, QTimer, Signal

SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


class PlaybackClock(QObject):
    """``tick(time_s)`` while playing; ``state_changed(playing)``; ``speed_changed(speed)``.

    ``duration_s``: the end of the video (playback stops there). ``frame_interval_s``: the
    video's typical frame interval (the tick period, bounded to 10..40 ms).
    """

    tick = Signal(float)
    state_changed = Signal(bool)
    speed_changed = Signal(float)

    def __init__(self, duration_s: float, frame_interval_s: float = 1 / 30, parent=None):
        super().__init__(parent)
        self.duration_s = float(duration_s)
        self.speed = 1.0
        self._timer = QTimer(self)
        self._timer.setTimerType(self._timer.timerType().PreciseTimer)
        self._timer.setInterval(int(min(max(frame_interval_s * 1000.0, 10.0), 40.0)))
        self._timer.timeout.connect(self._on_timeout)
        self._origin_wall = 0.0
        self._origin_t = 0.0
        self.position_s = 0.0
        self.ticks = 0
        # (wall, video time, speed, playing) replaced as one tuple, so ``now()`` can read it from
        # another thread without a lock and never sees half an update.
        self._anchor = (0.0, 0.0, 1.0, False)

    def now(self) -> tuple[float, bool]:
        """``(video time now, playing)`` from the wall clock; safe to call from any thread."""
        wall, t, speed, playing = self._anchor
        if playing:
            t = min(t + (time.perf_counter() - wall) * speed, self.duration_s)
        return t, playing

    def _reanchor(self) -> None:
        self._anchor = (self._origin_wall, self._origin_t, self.speed, self._timer.isActive())

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def set_position(self, t: float) -> None:
        """Jump (a seek); playback continues from there at the same pace."""
        self.position_s = min(max(float(t), 0.0), self.duration_s)
        self._origin_wall = time.perf_counter()
        self._origin_t = self.position_s
        self._reanchor()

    def play(self, from_s: Optional[float] = None) -> None:
        if from_s is not None:
            self.position_s = float(from_s)
        if self.position_s >= self.duration_s - 1e-6:
            self.position_s = 0.0  # play at the end starts over
        self.set_position(self.position_s)
        if not self._timer.isActive():
            self._timer.start()
            self._reanchor()
            self.state_changed.emit(True)

    def pause(self) -> None:
        if self._timer.isActive():
            # Stand still where the clock is now, not at the last tick: the loader follows now()
            # and may already show a frame up to one tick later, which must not step back.
            t = min(self.now()[0], self.duration_s)
            self._timer.stop()
            self.set_position(t)
            self.tick.emit(self.position_s)
            self.state_changed.emit(False)

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def set_speed(self, speed: float) -> None:
        speed = float(speed)
        if speed <= 0:
            raise ValueError("speed must be positive")
        # Re-anchor at the current time so the change of speed does not jump the position.
        self.set_position(self.now()[0] if self.playing else self.position_s)
        self.speed = speed
        self._reanchor()
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
        t = self._origin_t + (time.perf_counter() - self._origin_wall) * self.speed
        if t >= self.duration_s:
            self.position_s = self.duration_s
            self.tick.emit(self.duration_s)
            self.pause()
            return
        self.position_s = t
        self.ticks += 1
        self.tick.emit(t)

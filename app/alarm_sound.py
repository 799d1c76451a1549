"""The live window's alarm sound: a two-tone chime through PortAudio (``sounddevice``), played
without blocking; where there is no audio device (a server, CI) the system beep, and the window
says once that it is silent (the banner still flashes)."""
from __future__ import annotations

from typing import Optional

import numpy as np
from PySide6.QtWidgets import QApplication

RATE = 22050


def chime(rate: int = RATE) -> np.ndarray:
    """Two 0.25 s tones (880 Hz then 660 Hz) with soft edges, float32 mono."""
    t = np.arange(int(0.25 * rate)) / rate
    ramp = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.02)
    tone = lambda f: 0.4 * np.sin(2 * np.pi * f * t) * ramp  # noqa: E731
    return np.concatenate([tone(880.0), tone(660.0)]).astype(np.float32)


class AlarmSound:
    def __init__(self):
        self.problem: Optional[str] = None  # why the chime cannot be heard, once known
        self._samples = chime()

    def play(self) -> bool:
        """Sound the alarm once; False when only the system beep could be tried."""
        if self.problem is None:
            try:
                import sounddevice  # PortAudio: absent on some machines

                sounddevice.play(self._samples, RATE, blocking=False)
                return True
            except Exception as exc:  # no PortAudio library or no output device
                self.problem = f"no sound output for the alarm ({exc.__class__.__name__}: {exc})"
        QApplication.beep()
        return False

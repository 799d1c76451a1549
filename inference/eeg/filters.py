"""Display filters for an EEG page: high-pass, low-pass and notch, zero-phase.

Second-order Butterworth sections run forward and backward (``sosfiltfilt``: no phase shift, so
a spike stays where it was recorded), over the page plus a margin on each side that is then cut
off, so the page's edges don't ring. The usual clinical settings: high-pass 0.5-1 Hz ("time
constant 0.3 s" is 0.53 Hz), low-pass 35-70 Hz, notch at the mains frequency (50 or 60 Hz).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

import numpy as np
from scipy import signal

HIGHPASS_CHOICES = (None, 0.1, 0.3, 0.5, 1.0, 1.6, 5.0)
LOWPASS_CHOICES = (None, 15.0, 30.0, 35.0, 50.0, 70.0, 100.0)
NOTCH_CHOICES = (None, 50.0, 60.0)


@dataclass(frozen=True)
class DisplayFilters:
    """Cut-offs in Hz; None switches a filter off."""

    highpass_hz: Optional[float] = 0.5
    lowpass_hz: Optional[float] = 70.0
    notch_hz: Optional[float] = None

    def margin_s(self) -> float:
        """Seconds read on each side of a page so the filter has settled at its edges."""
        return min(max(2.0, 3.0 / self.highpass_hz if self.highpass_hz else 0.0), 30.0)

    def describe(self) -> str:
        parts = [f"HP {self.highpass_hz:g} Hz" if self.highpass_hz else "HP off",
                 f"LP {self.lowpass_hz:g} Hz" if self.lowpass_hz else "LP off",
                 f"notch {self.notch_hz:g} Hz" if self.notch_hz else "no notch"]
        return ", ".join(parts)


@lru_cache(maxsize=32)
def _sections(fs: float, highpass: Optional[float], lowpass: Optional[float], notch: Optional[float]):
    nyq = fs / 2.0
    parts = []
    if highpass and highpass < nyq:
        parts.append(signal.butter(2, highpass, btype="highpass", fs=fs, output="sos"))
    if lowpass and lowpass < nyq:
        parts.append(signal.butter(2, lowpass, btype="lowpass", fs=fs, output="sos"))
    if notch and notch < nyq:
        b, a = signal.iirnotch(notch, Q=30.0, fs=fs)
        parts.append(signal.tf2sos(b, a))
    return np.vstack(parts) if parts else None


def apply_filters(data: np.ndarray, fs: float, filters: DisplayFilters) -> np.ndarray:
    """``data [C, N]`` filtered along time (returned as a new array; unchanged when all are off)."""
    sos = _sections(float(fs), filters.highpass_hz, filters.lowpass_hz, filters.notch_hz)
    if sos is None or data.shape[-1] < 16:
        return data
    pad = min(data.shape[-1] - 1, 3 * (2 * len(sos) + 1))
    return signal.sosfiltfilt(sos, data, axis=-1, padlen=pad)


__all__ = ["DisplayFilters", "HIGHPASS_CHOICES", "LOWPASS_CHOICES", "NOTCH_CHOICES", "apply_filters"]

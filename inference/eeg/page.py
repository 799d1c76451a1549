"""One page of EEG for the screen: read lazily, re-referenced, filtered, thinned for drawing.

``EegPager(file).page(start_s, settings)`` reads only the page (plus the filters' margin) from
disk, builds the montage's traces, filters them and cuts the margin off. The widget thins the
full-rate page for the screen (``widgets.trace_thinning``); marks use the full-rate samples.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

import numpy as np

from inference.eeg.edf_file import EegFile
from inference.eeg.filters import DisplayFilters, apply_filters
from inference.eeg.montage import combine, derivations, needed_channels

DEFAULT_PAGE_S = 10.0
DEFAULT_GAIN_UV_PER_MM = 7.0  # the common clinical sensitivity (7 µV/mm)


@dataclass(frozen=True)
class PageSettings:
    montage: str = "bipolar"
    filters: DisplayFilters = DisplayFilters()
    page_s: float = DEFAULT_PAGE_S
    gain_uv_per_mm: float = DEFAULT_GAIN_UV_PER_MM
    hidden: frozenset = field(default_factory=frozenset)  # trace names not drawn

    def with_(self, **changes) -> "PageSettings":
        return replace(self, **changes)


@dataclass
class EegPage:
    """``data [C, N]`` µV (or the channel's unit for non-voltage traces) from ``start_s`` EEG
    seconds at ``fs``; ``names`` and ``is_eeg`` per trace."""

    start_s: float
    fs: float
    names: list[str]
    data: np.ndarray
    is_eeg: list[bool]

    @property
    def n_samples(self) -> int:
        return int(self.data.shape[1]) if self.data.ndim == 2 else 0

    def times(self) -> np.ndarray:
        return self.start_s + np.arange(self.n_samples) / self.fs


class EegPager:
    """Pages of one EEG file."""

    def __init__(self, eeg: EegFile):
        self.eeg = eeg

    def trace_names(self, montage: str) -> list[str]:
        return [d.name for d in derivations(self.eeg.channels, montage)]

    def page(self, start_s: float, settings: PageSettings) -> EegPage:
        """The page starting at ``start_s`` EEG seconds (clamped to the file)."""
        eeg, fs = self.eeg, self.eeg.fs
        length = min(settings.page_s, eeg.duration_s)
        start_s = min(max(float(start_s), 0.0), max(eeg.duration_s - length, 0.0))
        start_s = np.floor(start_s * fs + 1e-9) / fs  # on a sample
        derivs = [d for d in derivations(eeg.channels, settings.montage) if d.name not in settings.hidden]
        margin = settings.filters.margin_s()
        lo, hi = max(start_s - margin, 0.0), min(start_s + length + margin, eeg.duration_s)
        wanted = needed_channels(derivs)
        first_s, arrays = eeg.read(wanted, lo, hi)
        n = int(round((hi - first_s) * fs))
        grid = first_s + np.arange(n) / fs
        signals: dict[int, np.ndarray] = {}
        for index, values in zip(wanted, arrays):
            ch = eeg.channels[index]
            if abs(ch.fs - fs) > 1e-9:  # another rate (ECG at 512 Hz...): onto the page's grid, display only
                own = np.ceil(lo * ch.fs - 1e-9) / ch.fs + np.arange(len(values)) / ch.fs
                values = np.interp(grid, own, values) if len(values) else np.zeros(n)
            signals[index] = values[:n] if len(values) >= n else np.pad(values, (0, n - len(values)))
        traces = combine(derivs, signals) if derivs else np.zeros((0, n))
        eeg_rows = [k for k, d in enumerate(derivs) if d.is_eeg]
        if eeg_rows and traces.shape[1]:
            traces[eeg_rows] = apply_filters(traces[eeg_rows], fs, settings.filters)
        cut = int(round((start_s - first_s) * fs))
        keep = int(round(length * fs))
        return EegPage(first_s + cut / fs, fs, [d.name for d in derivs], traces[:, cut:cut + keep],
                       [d.is_eeg for d in derivs])


def page_start_for(t_eeg: float, page_s: float, current: Optional[float]) -> float:
    """Where the page showing ``t_eeg`` starts: the current page while ``t_eeg`` is on it,
    else the page that has ``t_eeg`` a tenth in (paging like an EEG reader, not scrolling)."""
    if current is not None and current <= t_eeg < current + page_s:
        return current
    return max(t_eeg - 0.1 * page_s, 0.0)


__all__ = ["DEFAULT_GAIN_UV_PER_MM", "DEFAULT_PAGE_S", "EegPage", "EegPager", "PageSettings", "page_start_for"]

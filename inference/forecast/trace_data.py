"""The forecast trace as data: P(onset within H s) per window, kept in the result file beside the
detector's trace, and its alarms. Plain arrays, no torch: the review window draws it from here;
``forecast.trace`` computes it.

The forecast for a window is issued at its end: alarms and lead times are measured from ``end_s``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from inference.results.result_file import Trace

FORECAST_TRACE = "forecast"  # trace name in the result file


@dataclass
class ForecastTrace(Trace):
    """A result-file ``Trace`` whose value is the forecast probability, also named ``prob``.

    ``start_s``, ``end_s`` float64 ``[N]``; ``value``/``prob`` float32 ``[N]`` (NaN where frames failed).
    """

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.value.ndim != 1:
            raise ValueError(f"trace arrays disagree: {self.start_s.shape}, {self.end_s.shape}, {self.value.shape}")

    @property
    def prob(self) -> np.ndarray:
        return self.value

    @prob.setter
    def prob(self, prob) -> None:
        self.value = np.asarray(prob, dtype=np.float32)

    def __len__(self) -> int:
        return len(self.value)


def forecast_alarms(trace: ForecastTrace, threshold: float, onsets: Sequence[float] = (),
                    max_lead_s: float = 60.0) -> list[tuple[float, Optional[float]]]:
    """Upward threshold crossings -> ``[(time_s, lead_time_s or None)]``.

    An alarm fires at the ``end_s`` of a window whose probability reaches ``threshold`` when the
    previous window's did not (NaN counts as below). Its lead time is ``onset - time_s`` for the
    first annotated onset at or after the alarm within ``max_lead_s``; otherwise None (a false or
    late alarm).
    """
    p = np.nan_to_num(np.asarray(trace.prob, dtype=np.float64), nan=-np.inf)
    above = p >= threshold
    rising = above & ~np.concatenate([[False], above[:-1]])
    ons = np.sort(np.asarray(list(onsets), dtype=np.float64))
    out: list[tuple[float, Optional[float]]] = []
    for k in np.flatnonzero(rising):
        t = float(trace.end_s[k])
        ahead = ons[(ons >= t - 1e-9) & (ons - t <= max_lead_s + 1e-9)]
        out.append((t, float(ahead[0] - t) if len(ahead) else None))
    return out


def add_forecast_to_result(result, trace: ForecastTrace, name: str = FORECAST_TRACE) -> None:
    """Store the trace in an ``inference.results.AnalysisResult`` as extra trace ``name``."""
    result.add_trace(name, Trace(trace.start_s, trace.end_s, trace.prob, meta=dict(trace.meta)))


def forecast_from_result(result, name: str = FORECAST_TRACE) -> Optional[ForecastTrace]:
    """The forecast trace of a loaded result, or None when it has none."""
    tr = (result.traces or {}).get(name)
    if tr is None:
        return None
    return ForecastTrace(tr.start_s, tr.end_s, tr.value, dict(tr.meta))

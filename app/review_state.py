"""What the review window knows about the open recording's analysis, without Qt.

``ReviewState`` holds the detector's trace (window starts/ends, probabilities, per-joint
attention) with its window midpoints computed once per change, the gaps, the keypoints for the
skeleton, the forecaster's curve and alarms, and the events detected under the current event
rules. The window pushes what it asks of it (``attention_at``, ``events``, ``next_event``...) to
the widgets; tests use it with plain arrays.

Rows: the events panel lists the detections first (``0 .. len(events) - 1``), then the forecast
alarms; the navigation queries take and return such row numbers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Collection, Iterable, Optional

import numpy as np

from inference.core.config import EventConfig
from inference.forecast.trace_data import ForecastTrace, forecast_alarms, forecast_from_result
from inference.pose.joints import NUM_JOINTS
from inference.pose.keypoints import KeypointTrack
from inference.results.events import Event, detect_events
from inference.results.result_file import AnalysisResult, Gap, ResultChunk

POSE_MAX_GAP_S = 0.6  # no keypoint sample this near: show no pose rather than a wrong one
START_TOLERANCE_S = 1e-9  # event starts closer than this to the cursor count as "at" it


@dataclass(frozen=True)
class ForecastAlarm:
    """An upward crossing of the forecaster's threshold: at ``time_s`` (a window's end) with the
    window's probability ``prob``; ``lead_time_s`` before the next annotated onset within 60 s,
    None when none follows."""

    time_s: float
    prob: float
    lead_time_s: Optional[float]


@dataclass(frozen=True)
class PoseSample:
    """The skeleton to draw at a time: ``xy [14, 2]``, ``conf [14]`` (NaN / 0 when no keypoint
    sample is near), ``attention [14]`` of the analysed window there (None: none)."""

    xy: np.ndarray
    conf: np.ndarray
    attention: Optional[np.ndarray]


class ReviewState:
    """The analysis under review. Arrays are read-only views of the state (replace, don't edit).

    Trace: ``starts``, ``ends`` ``[N]`` float64, ``prob`` ``[N]`` float32 (NaN in gaps),
    ``attention`` ``[N, 14]``, ``mid`` ``[N]`` window midpoints; ``gaps`` (``list[Gap]``).
    ``keypoints`` (KeypointTrack or None). Forecast: ``forecast_trace`` (the windows alarms come
    from, or None), ``forecast_curve`` (``(t, value)`` float64 to draw, or None), ``alarms``.
    ``event_config`` (assigning it, or ``set_threshold``, recomputes ``events``).
    """

    def __init__(self, event_config: Optional[EventConfig] = None):
        self._event_config = event_config or EventConfig()
        self._seizures: list[Any] = []
        self.clear()

    # == setting ===========================================================================
    def clear(self) -> None:
        """Nothing loaded (the video closed). The event rules stay for the next recording."""
        self.keypoints: Optional[KeypointTrack] = None
        self.forecast_trace: Optional[ForecastTrace] = None
        self.forecast_curve: Optional[tuple[np.ndarray, np.ndarray]] = None
        self._seizures = []
        self.alarms: list[ForecastAlarm] = []
        self.clear_trace()

    def clear_trace(self) -> None:
        """Drop the detector's trace and gaps (a new analysis starts); keypoints and forecast stay."""
        self.gaps: list[Gap] = []
        self._set_trace(np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.float32),
                        np.zeros((0, NUM_JOINTS), dtype=np.float32))

    def set_result(self, result: AnalysisResult) -> None:
        """Show a whole result: its trace, gaps, keypoints (when it has them), event rules (its
        own, else the model's threshold) and forecast trace."""
        self._set_trace(result.window_start_s, result.window_end_s, result.prob, result.attention)
        if result.keypoints is not None:
            self.keypoints = result.keypoints
        rules = (result.config or {}).get("events")
        if rules:
            self.event_config = EventConfig.from_dict(rules)
        elif "threshold" in (result.model or {}):
            self.event_config = self._event_config.replace(threshold=float(result.model["threshold"]))
        self.gaps = list(result.gaps or [])
        fc = forecast_from_result(result)
        self.forecast_trace = fc
        self.forecast_curve = None if fc is None else (
            0.5 * (np.asarray(fc.start_s, dtype=np.float64) + np.asarray(fc.end_s, dtype=np.float64)),
            np.asarray(fc.prob, dtype=np.float64))
        self._update_alarms()

    def add_chunk(self, chunk: ResultChunk) -> None:
        """Windows ``chunk.first_index ..`` just analysed: they replace whatever was there."""
        n = chunk.first_index
        self._set_trace(np.concatenate([self._starts[:n], chunk.start_s]),
                        np.concatenate([self._ends[:n], chunk.end_s]),
                        np.concatenate([self._prob[:n], chunk.prob]),
                        np.concatenate([self._att[:n], chunk.attention]))

    def set_forecast_curve(self, t, value) -> None:
        """A bare forecast curve (``t [M]`` seconds, ``value [M]``): drawn, but without windows
        there are no alarms to take from it."""
        self.forecast_curve = (np.asarray(t, dtype=np.float64), np.asarray(value, dtype=np.float64))
        self.forecast_trace = None
        self._update_alarms()

    def set_seizures(self, seizures: Iterable[Any]) -> None:
        """The annotated seizures (anything with ``eeg_onset_s`` / ``clinical_onset_s``, e.g.
        ``app.annotations.SeizureLabel``): the onsets the alarms' lead times are measured to."""
        self._seizures = list(seizures)
        self._update_alarms()

    @property
    def event_config(self) -> EventConfig:
        return self._event_config

    @event_config.setter
    def event_config(self, config: EventConfig) -> None:
        if config == self._event_config:
            return  # e.g. a threshold drag's release at the value it was dragged to: events stand
        self._event_config = config
        self._events = None

    def set_threshold(self, value: float) -> float:
        """Move the detection threshold (clamped to [0, 1]); returns the value used."""
        value = float(min(max(value, 0.0), 1.0))
        self.event_config = self._event_config.replace(threshold=value)
        return value

    def _set_trace(self, starts, ends, prob, attention) -> None:
        self._starts = np.array(starts, dtype=np.float64)
        self._ends = np.array(ends, dtype=np.float64)
        self._prob = np.array(prob, dtype=np.float32)
        self._att = np.array(attention, dtype=np.float32).reshape(len(self._prob), NUM_JOINTS)
        # Every per-frame query looks the window up by its midpoint: computed once here.
        self._mid = 0.5 * (self._starts + self._ends)
        self._att_known = np.isfinite(self._att).all(axis=1)
        for a in (self._starts, self._ends, self._prob, self._att, self._mid):
            a.flags.writeable = False
        self._events: Optional[list[Event]] = None  # detected when first asked for

    # == the trace =========================================================================
    @property
    def starts(self) -> np.ndarray:
        return self._starts

    @property
    def ends(self) -> np.ndarray:
        return self._ends

    @property
    def prob(self) -> np.ndarray:
        return self._prob

    @property
    def attention(self) -> np.ndarray:
        return self._att

    @property
    def mid(self) -> np.ndarray:
        return self._mid

    def __len__(self) -> int:
        return len(self._prob)

    @property
    def analysed_until_s(self) -> float:
        """End of the last analysed window (0 when none)."""
        return float(self._ends[-1]) if len(self._ends) else 0.0

    @property
    def window_s(self) -> float:
        """The windows' typical length in seconds (0 when there is no trace)."""
        return float(np.median(self._ends - self._starts)) if len(self._starts) else 0.0

    @property
    def stride_s(self) -> float:
        """The typical step between window starts in seconds (0 with fewer than two windows)."""
        return float(np.median(np.diff(self._starts))) if len(self._starts) > 1 else 0.0

    @property
    def gap_spans(self) -> Optional[tuple[list[float], list[float]]]:
        """``(starts, ends)`` of the gaps, None when there are none (the timeline then shades
        the trace's NaN runs)."""
        if not self.gaps:
            return None
        return [g.start_s for g in self.gaps], [g.end_s for g in self.gaps]

    def window_at(self, t: float) -> Optional[int]:
        """The window covering ``t`` whose midpoint is nearest ``t`` and whose attention is
        known (None: no such window)."""
        n = len(self._mid)
        i = int(np.searchsorted(self._mid, t))
        best = None
        for j in (i - 1, i):
            covers = 0 <= j < n and self._starts[j] <= t < self._ends[j] and self._att_known[j]
            if covers and (best is None or abs(self._mid[j] - t) < abs(self._mid[best] - t)):
                best = j
        return best

    def attention_at(self, t: float) -> Optional[np.ndarray]:
        """``[14]`` float64 attention of ``window_at(t)``, None when there is none."""
        j = self.window_at(t)
        return None if j is None else self._att[j].astype(np.float64)

    def prob_at(self, t: float) -> Optional[float]:
        """The probability of ``window_at(t)`` (NaN in a gap), None when there is none."""
        j = self.window_at(t)
        return None if j is None else float(self._prob[j])

    def pose_at(self, t: float) -> Optional[PoseSample]:
        """The keypoint sample nearest ``t`` with the attention there; a missing pose when no
        sample is within ``POSE_MAX_GAP_S``; None without keypoints."""
        kp = self.keypoints
        if kp is None or not len(kp):
            return None
        i = int(kp.nearest_indices(np.array([t]))[0])
        if abs(kp.times[i] - t) > POSE_MAX_GAP_S:
            return PoseSample(np.full((NUM_JOINTS, 2), np.nan), np.zeros(NUM_JOINTS), None)
        return PoseSample(kp.xy[i], kp.conf[i], self.attention_at(t))

    # == events ============================================================================
    @property
    def events(self) -> list[Event]:
        """The detections under ``event_config`` (sorted by start)."""
        if self._events is None:
            self._events = detect_events(self._starts, self._ends, self._prob, self._event_config, self._att) \
                if len(self._prob) else []
        return self._events

    @property
    def row_count(self) -> int:
        """Rows of the events panel: the detections, then the forecast alarms."""
        return len(self.events) + len(self.alarms)

    def alarm_of_row(self, row: int) -> Optional[ForecastAlarm]:
        """The forecast alarm listed in ``row`` (None: the row is a detection or out of range)."""
        k = row - len(self.events)
        return self.alarms[k] if 0 <= k < len(self.alarms) else None

    def row_start_s(self, row: int) -> float:
        alarm = self.alarm_of_row(row)
        return alarm.time_s if alarm is not None else float(self.events[row].start_s)

    def event_at(self, t: float) -> Optional[int]:
        """The first detection spanning ``t`` (None: none does)."""
        for i, e in enumerate(self.events):
            if e.start_s <= t <= e.end_s:
                return i
        return None

    def next_event(self, t: float, current: Optional[int] = None,
                   among: Optional[Collection[int]] = None) -> Optional[int]:
        """The next detection in (start, row) order: after row ``current`` (a detection or an
        alarm), else the first starting at or after ``t``. ``among``: the rows eligible (those
        the panel shows; None: all). Alarms are never returned: N / P walk what is reviewed."""
        if current is not None and 0 <= current < self.row_count:
            key = (self.row_start_s(current), current)
        else:
            key = (t - 1e-6 + START_TOLERANCE_S, float("inf"))  # at the cursor counts as next
        later = [(e.start_s, i) for i, e in enumerate(self.events)
                 if (among is None or i in among) and (e.start_s, i) > key]
        return min(later)[1] if later else None

    def previous_event(self, t: float, current: Optional[int] = None,
                       among: Optional[Collection[int]] = None) -> Optional[int]:
        """As ``next_event``, backwards: before row ``current``, else the last starting before ``t``."""
        if current is not None and 0 <= current < self.row_count:
            key = (self.row_start_s(current), current)
        else:
            key = (t - START_TOLERANCE_S, -1)
        earlier = [(e.start_s, i) for i, e in enumerate(self.events)
                   if (among is None or i in among) and (e.start_s, i) < key]
        return max(earlier)[1] if earlier else None

    # == forecast ==========================================================================
    @property
    def forecast_threshold(self) -> Optional[float]:
        """The forecaster's alarm threshold (None: no forecast trace to take alarms from)."""
        fc = self.forecast_trace
        return float(fc.meta.get("threshold", 0.5)) if fc is not None and len(fc) else None

    def _update_alarms(self) -> None:
        fc, threshold = self.forecast_trace, self.forecast_threshold
        if fc is None or threshold is None:
            self.alarms = []
            return
        # Lead times to the onset the forecaster was trained on: clinical unless it says EEG.
        field = "eeg_onset_s" if fc.meta.get("onset") == "eeg" else "clinical_onset_s"
        onsets = [t for t in (getattr(s, field) for s in self._seizures) if t is not None]
        alarms = []
        for t, lead in forecast_alarms(fc, threshold, onsets):
            k = int(np.argmin(np.abs(fc.end_s - t)))
            alarms.append(ForecastAlarm(t, float(fc.prob[k]), lead))
        self.alarms = alarms

"""The plain records the review widgets draw: flagged events and annotated seizures.

The app builds these from ``inference.events.Event`` and its annotation store; widgets only read
them, so neither side depends on the other's internals.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

UNREVIEWED = "unreviewed"
CONFIRMED = "confirmed"
REJECTED = "rejected"
REVIEW_STATUSES = (UNREVIEWED, CONFIRMED, REJECTED)

DETECTION = "detection"
FORECAST_ALARM = "forecast alarm"

# The three editable seizure times, named as in the manifest (``inference.manifest.Seizure``).
EEG_ONSET = "eeg_onset_s"
CLINICAL_ONSET = "clinical_onset_s"
SEIZURE_END = "end_s"
SEIZURE_TIME_FIELDS = (EEG_ONSET, CLINICAL_ONSET, SEIZURE_END)
SEIZURE_TYPE = "seizure_type"

# Colours (hex) shared by the timeline and the tables so a status looks the same everywhere.
STATUS_COLORS = {UNREVIEWED: "#f0a030", CONFIRMED: "#3cb371", REJECTED: "#8a8f98"}
MARKER_COLORS = {EEG_ONSET: "#4aa3ff", CLINICAL_ONSET: "#ff5c8a", SEIZURE_END: "#c9a0ff"}
MARKER_LABELS = {EEG_ONSET: "EEG", CLINICAL_ONSET: "Clin", SEIZURE_END: "End"}


@dataclass(frozen=True)
class EventRow:
    """One flagged stretch as the review widgets show it.

    ``kind``: ``DETECTION`` or ``FORECAST_ALARM``; ``lead_time_s``: for a forecast alarm, how long
    before the onset it fired (None when unknown). ``status``: one of ``REVIEW_STATUSES``.
    """

    start_s: float
    end_s: float
    peak_prob: float
    status: str = UNREVIEWED
    kind: str = DETECTION
    lead_time_s: Optional[float] = None

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @classmethod
    def from_event(cls, event, status: str = UNREVIEWED, kind: str = DETECTION,
                   lead_time_s: Optional[float] = None) -> "EventRow":
        """From an ``inference.events.Event`` (anything with start_s, end_s, peak_prob)."""
        return cls(float(event.start_s), float(event.end_s), float(event.peak_prob), status, kind, lead_time_s)


@dataclass(frozen=True)
class SeizureRow:
    """One annotated seizure; any time may still be unknown (None)."""

    eeg_onset_s: Optional[float] = None
    clinical_onset_s: Optional[float] = None
    end_s: Optional[float] = None
    seizure_type: str = "focal"

    def time(self, field: str) -> Optional[float]:
        return getattr(self, field)

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
# Derived, never recorded: the reviews on file cover only part of the event (its span changed
# with the threshold since), or give its parts different verdicts.
PARTLY_REVIEWED = "partly reviewed"
NEEDS_REVIEW = (UNREVIEWED, PARTLY_REVIEWED)

DETECTION = "detection"
FORECAST_ALARM = "forecast alarm"

# The three editable seizure times, named as in the manifest (``inference.manifest.Seizure``).
EEG_ONSET = "eeg_onset_s"
CLINICAL_ONSET = "clinical_onset_s"
SEIZURE_END = "end_s"
SEIZURE_TIME_FIELDS = (EEG_ONSET, CLINICAL_ONSET, SEIZURE_END)
SEIZURE_TYPE = "seizure_type"

# Colours (hex) shared by the timeline and the tables so a status looks the same everywhere.
STATUS_COLORS = {UNREVIEWED: "#f0a030", CONFIRMED: "#3cb371", REJECTED: "#8a8f98", PARTLY_REVIEWED: "#e0d040"}
MARKER_COLORS = {EEG_ONSET: "#4aa3ff", CLINICAL_ONSET: "#ff5c8a", SEIZURE_END: "#c9a0ff"}
MARKER_LABELS = {EEG_ONSET: "EEG", CLINICAL_ONSET: "Clin", SEIZURE_END: "End"}


@dataclass(frozen=True)
class EventRow:
    """One flagged stretch as the review widgets show it.

    ``kind``: ``DETECTION`` or ``FORECAST_ALARM``; ``lead_time_s``: for a forecast alarm, how long
    before the onset it fired (None when unknown). ``status``: one of ``REVIEW_STATUSES`` or
    ``PARTLY_REVIEWED``; ``reviewed_parts``: ``(start_s, end_s, status)`` of the stretches that
    reviews cover (drawn for a partly reviewed event).
    """

    start_s: float
    end_s: float
    peak_prob: float
    status: str = UNREVIEWED
    kind: str = DETECTION
    lead_time_s: Optional[float] = None
    reviewed_parts: tuple[tuple[float, float, str], ...] = ()
    semiology: tuple[str, ...] = ()  # ILAE types and signs of the seizures it overlaps (for filtering)

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @classmethod
    def from_event(cls, event, status: str = UNREVIEWED, kind: str = DETECTION,
                   lead_time_s: Optional[float] = None) -> "EventRow":
        """From an ``inference.events.Event`` (anything with start_s, end_s, peak_prob)."""
        return cls(float(event.start_s), float(event.end_s), float(event.peak_prob), status, kind, lead_time_s)


def proposal_label(text: str, proposed: bool) -> str:
    """A mark's label: a ``?`` says the detector proposed the value and nobody has set it yet."""
    return f"{text}?" if proposed else text


@dataclass(frozen=True)
class SeizureRow:
    """One annotated seizure; any time may still be unknown (None). ``proposed``: the time
    fields whose value the detector proposed and no person has set or accepted yet."""

    eeg_onset_s: Optional[float] = None
    clinical_onset_s: Optional[float] = None
    end_s: Optional[float] = None
    seizure_type: str = "focal"
    proposed: frozenset = frozenset()

    def time(self, field: str) -> Optional[float]:
        return getattr(self, field)

    def is_proposed(self, field: str) -> bool:
        return field in self.proposed and self.time(field) is not None

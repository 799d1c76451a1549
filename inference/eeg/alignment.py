"""The EEG amplifier's clock against the camera's: an offset and a linear drift.

    eeg_s = offset_s + (1 + drift_ppm * 1e-6) * video_s

``video_s`` is seconds from the video's first frame (presentation time), ``eeg_s`` seconds from
the EEG file's first sample. With no sync point the offset is what the two start times say
(``header_offset_s``) and the drift is zero; one sync point fixes the offset; two or more fit
offset and drift by least squares. A sync point is an instant seen in both: a tap, a light
flash, a button press. Each alignment records where it came from (provenance), and the points
it was fitted from stay editable.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Optional, Sequence

import numpy as np

MAX_DRIFT_PPM = 1000.0  # 3.6 s an hour: beyond this two marks are surely a mistake, not a drift


@dataclass(frozen=True)
class SyncPoint:
    """The same instant on both clocks: ``video_s`` (a frame's time) and ``eeg_s`` (a sample's)."""

    video_s: float
    eeg_s: float
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"video_s": self.video_s, "eeg_s": self.eeg_s, "label": self.label}


@dataclass(frozen=True)
class ClockAlignment:
    """``offset_s`` and ``drift_ppm`` with the ``points`` they came from and their provenance
    (``source``: "start times", "sync points", "manual"; ``by``, ``at``)."""

    offset_s: float = 0.0
    drift_ppm: float = 0.0
    points: tuple[SyncPoint, ...] = ()
    source: str = "start times"
    by: str = ""
    at: str = ""
    residual_ms: Optional[float] = None  # RMS misfit of the points (three or more)
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def rate(self) -> float:
        return 1.0 + self.drift_ppm * 1e-6

    def to_eeg(self, video_s):
        """EEG seconds at ``video_s`` (float or array)."""
        return self.offset_s + self.rate * np.asarray(video_s, dtype=np.float64) if np.ndim(video_s) \
            else self.offset_s + self.rate * float(video_s)

    def to_video(self, eeg_s):
        return (np.asarray(eeg_s, dtype=np.float64) - self.offset_s) / self.rate if np.ndim(eeg_s) \
            else (float(eeg_s) - self.offset_s) / self.rate

    def describe(self) -> str:
        text = f"offset {self.offset_s:+.3f} s, drift {self.drift_ppm:+.1f} ppm ({self.source}"
        if self.points:
            text += f", {len(self.points)} sync point{'s' if len(self.points) != 1 else ''}"
        if self.residual_ms is not None:
            text += f", residual {self.residual_ms:.1f} ms"
        return text + ")"

    def to_dict(self) -> dict[str, Any]:
        return {"offset_s": self.offset_s, "drift_ppm": self.drift_ppm, "source": self.source, "by": self.by,
                "at": self.at, "residual_ms": self.residual_ms, "points": [p.to_dict() for p in self.points]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ClockAlignment":
        """Raises ValueError (with the field) on malformed content."""
        try:
            points = tuple(SyncPoint(float(p["video_s"]), float(p["eeg_s"]), str(p.get("label", "")))
                           for p in data.get("points", []))
            residual = data.get("residual_ms")
            return cls(float(data["offset_s"]), float(data.get("drift_ppm", 0.0)), points,
                       str(data.get("source", "manual")), str(data.get("by", "")), str(data.get("at", "")),
                       None if residual is None else float(residual))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed alignment ({exc!r})") from None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def from_start_times(video_start: Optional[datetime], eeg_start: Optional[datetime]) -> ClockAlignment:
    """What the two start times say (no drift); offset 0 when either is unknown."""
    if video_start is None or eeg_start is None:
        return ClockAlignment(0.0, 0.0, source="no start times (EEG assumed to start with the video)", at=_now())
    return ClockAlignment((video_start - eeg_start).total_seconds(), 0.0, source="start times", at=_now())


def fit_alignment(points: Sequence[SyncPoint], fallback: ClockAlignment, by: str = "") -> ClockAlignment:
    """Offset (one point) or offset and drift (two or more, least squares) from ``points``;
    ``fallback`` when there are none. Raises ValueError when the points contradict each other
    (two at the same video time, or a drift beyond ±1000 ppm)."""
    pts = tuple(sorted(points, key=lambda p: p.video_s))
    if not pts:
        return replace(fallback, points=())
    if len(pts) == 1:
        p = pts[0]
        return ClockAlignment(p.eeg_s - p.video_s * fallback.rate, fallback.drift_ppm, pts,
                              "sync point (offset; drift kept)", by, _now())
    v = np.array([p.video_s for p in pts])
    e = np.array([p.eeg_s for p in pts])
    if float(v.max() - v.min()) < 1.0:
        raise ValueError("sync points less than 1 s apart on the video can't fix a drift: mark them further apart")
    # Centred least squares: exact for two points, well conditioned over a 24-hour span.
    vm, em = v.mean(), e.mean()
    rate = float(np.sum((v - vm) * (e - em)) / np.sum((v - vm) ** 2))
    drift_ppm = (rate - 1.0) * 1e6
    if abs(drift_ppm) > MAX_DRIFT_PPM:
        raise ValueError(f"the sync points imply a drift of {drift_ppm:+.0f} ppm (beyond ±{MAX_DRIFT_PPM:.0f}): "
                         "one of them is probably on the wrong event")
    offset = float(em - rate * vm)
    residual = None
    if len(pts) > 2:
        residual = float(np.sqrt(np.mean((offset + rate * v - e) ** 2)) * 1000.0)
    return ClockAlignment(offset, drift_ppm, pts, "sync points", by, _now(), residual)


__all__ = ["ClockAlignment", "MAX_DRIFT_PPM", "SyncPoint", "fit_alignment", "from_start_times"]

"""Whether an evaluated operating point is usable, and the summary line that leads with the
figures a clinician checks first (false alarms per hour, share of interictal time under alarm).

A detector that alarms most of the time can "detect" every seizure with hardly any false alarms
(one alarm over a whole recording is one detection and no false alarm), and one whose windows are
classified worse than by always answering the training majority class has learnt nothing usable
at its threshold. Both are called degenerate, in words, before any sensitivity is shown.
"""
from __future__ import annotations

import math
from typing import Any, Optional

# More interictal time under alarm than this and nobody could review the alarms (1 in 10 minutes).
DEGENERATE_ALARM_FRACTION = 0.10


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v)


def assess_operating_point(events: dict[str, Any], segment: dict[str, Any],
                           one_class: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """``{"degenerate", "reasons", "message"}`` for an evaluation's event summary
    (``scoring.summarise_events``), segment metrics and the one-class baseline's metrics."""
    reasons = []
    frac = events.get("interictal_alarm_fraction")
    if _finite(frac) and frac > DEGENERATE_ALARM_FRACTION:
        reasons.append(f"{100 * frac:.0f}% of the interictal time is under alarm (more than "
                       f"{100 * DEGENERATE_ALARM_FRACTION:.0f}%)")
    acc, base = segment.get("accuracy"), (one_class or {}).get("accuracy")
    if _finite(acc) and _finite(base) and acc < base:
        reasons.append(f"segment accuracy {acc:.3f} is below the one-class classifier's {base:.3f}")
    message = ""
    if reasons:
        message = ("DEGENERATE operating point: " + "; ".join(reasons) + ". At this threshold the detector is "
                   "not usable, whatever its sensitivity.")
    return {"degenerate": bool(reasons), "reasons": reasons, "message": message,
            "alarm_fraction_limit": DEGENERATE_ALARM_FRACTION}


def _s(v: Any, digits: int = 1) -> str:
    return f"{v:.{digits}f} s" if _finite(v) else "n/a"


def summary_line(events: dict[str, Any], label: str = "test") -> str:
    """E.g. 'test: 0.62 false alarms/h, 1.3% of interictal time under alarm; sensitivity 7/7 (1.000);
    latency from EEG onset 15.0 s (median 13.8 s), from clinical onset 5.2 s (median 4.8 s)'."""
    fah = events.get("false_alarms_per_hour")
    frac = events.get("interictal_alarm_fraction")
    sens = events.get("sensitivity")
    le = events.get("latency_eeg_s") or {}
    lc = events.get("latency_clinical_s") or {}
    if events.get("interictal_hours", 1.0) == 0:  # every second lies within a seizure's scoring margin
        lead = "no interictal time outside the seizures' scoring margins (false alarms not measurable)"
    else:
        lead = (f"{f'{fah:.2f}' if _finite(fah) else 'n/a'} false alarms/h, "
                f"{f'{100 * frac:.1f}%' if _finite(frac) else 'n/a'} of interictal time under alarm")
    return (f"{label}: {lead}; "
            f"sensitivity {events.get('detected', 0)}/{events.get('seizures', 0)} "
            f"({f'{sens:.3f}' if _finite(sens) else 'n/a'}); latency from EEG onset {_latency(le)}, "
            f"from clinical onset {_latency(lc)}"
            + (f"; {events['early_alarms']} of the false alarms began more than 30 s before EEG onset"
               if events.get("early_alarms") else ""))


def _latency(stat: dict[str, Any]) -> str:
    """'15.0 s (median 13.8 s)', '15.0 s' without a median, 'n/a' without detections."""
    mean, median = stat.get("mean"), stat.get("median")
    return _s(mean) + (f" (median {_s(median)})" if _finite(mean) and _finite(median) else "")

"""The JSON sidecars and README text of a BIDS export (``bids_export``): column descriptions,
levels from the project's vocabulary, and the notes a reader of the dataset needs."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inference.dataset.semiology import AWARENESS_LABELS, BODY_PARTS, ILAE_TYPES, LATERALITY, SIGNS
from inference.exchange.bids_hed import HED_VERSION
from inference.exchange.bids_names import (
    CLINICAL_ONSET,
    DETECTION_CONFIRMED,
    DETECTION_REJECTED,
    EEG_ONSET,
    SEIZURE,
    SIGN_PREFIX,
    VIDEO_SUFFIX,
)


def events_sidecar(clock: str, with_hed: bool) -> dict[str, Any]:
    """``*_events.json``: every column, its levels and units; ``clock`` says what onset counts from."""
    trial_types = {
        SEIZURE: "The seizure from its earliest onset (EEG or clinical) to its end; duration n/a when the end "
                 "was not marked.",
        EEG_ONSET: "Electrographic onset (first EEG change).",
        CLINICAL_ONSET: "Clinical onset (first visible sign).",
        DETECTION_CONFIRMED: "A machine detection that a reviewer confirmed as a seizure.",
        DETECTION_REJECTED: "A machine detection that a reviewer rejected (false alarm).",
        **{SIGN_PREFIX + key: f"Semiological sign (Blume glossary): {label}." for key, (_, label) in SIGNS.items()},
    }
    d: dict[str, Any] = {
        "onset": {"Description": f"Seconds from the {clock}.", "Units": "s"},
        "duration": {"Description": "Seconds; 0 for an instant (an onset, a sign).", "Units": "s"},
        "trial_type": {"Description": "What the row marks.", "Levels": trial_types},
        "value": {"Description": "seizure rows: the coarse type the detector trains on (focal, fbtc, unknown); "
                                 "detection rows: the detector's peak probability."},
        "seizure_id": {"Description": "Which seizure of this recording the row belongs to (sz1, sz2, ...)."},
        "ilae_type": {"Description": "ILAE 2017 seizure type (2025 wording where it differs), on seizure rows.",
                      "Levels": {k: label for k, (_, label) in ILAE_TYPES.items()}},
        "awareness": {"Description": "Awareness during a focal seizure (ILAE 2025: consciousness).",
                      "Levels": dict(AWARENESS_LABELS)},
        "body_part": {"Description": "Body part of a sign.", "Levels": {b: b for b in BODY_PARTS if b}},
        "laterality": {"Description": "Side of a sign (the patient's).", "Levels": {s: s for s in LATERALITY if s}},
        "reviewer": {"Description": "Who set or last changed the value (the reviewer of a detection)."},
        "source": {"Description": "Who decided the value.",
                   "Levels": {"human": "set or accepted by a person",
                              "machine": "proposed by the seizure detector and not yet set by a person"}},
    }
    if with_hed:
        d["HED"] = {"Description": f"HED annotation of the row (schemas {', '.join(HED_VERSION)}; sc: = HED-SCORE); "
                                   "n/a where the label has no exact HED-SCORE counterpart."}
    return d


def participants_sidecar() -> dict[str, Any]:
    return {"participant_id": {"Description": "Subject label (pseudonymised when the export was given a subject "
                                              "map)."}}


def scans_sidecar(shift_days: int) -> dict[str, Any]:
    shifted = f" Dates are shifted {shift_days} days back for de-identification; times of day are kept." \
        if shift_days else ""
    return {"filename": {"Description": "The file, relative to the session folder."},
            "acq_time": {"Description": "When the file's first sample or frame was recorded, in UTC." + shifted},
            "utc_offset": {"Description": "The recording's local time zone offset from UTC (+hh:mm), so that the "
                                          "local clock time can be told (BIDS acq_time allows no offset)."}}


def readme_text(shift_days: int, hed: bool, notes: Sequence[str]) -> str:
    lines = [
        "Seizure labels of epilepsy-monitoring-unit video recordings, exported by Semioscope (export-bids).",
        "",
        "Layout",
        f"- beh/*_{VIDEO_SUFFIX}.<ext> (+ .json): the video. The _video suffix is the BEP047 proposal, not yet in",
        "  the released specification; .bidsignore lists these files so that the validator skips them.",
        "- beh/*_events.tsv: the labels, onsets in seconds from the video's first frame.",
        "- motion/*_tracksys-video_*: body keypoints computed from the video (Motion-BIDS; pixels, not metres).",
        "- eeg/*_eeg.edf: the EEG recorded with the video; eeg/*_events.tsv holds the same labels in seconds",
        "  from the EEG's first sample (see SemioscopeVideoAlignment in *_eeg.json for the clock mapping).",
        "- sub-*/*_scans.tsv: acq_time of each file in UTC, utc_offset the local zone.",
        "",
        "De-identification",
        "- The videos are NOT de-identified: they show the patient's face and the room.",
        "- EEG files are rewritten with an anonymous patient field (X) and without the source's annotations.",
    ]
    if shift_days:
        lines += [
            f"- All dates are shifted {shift_days} days back (scans.tsv acq_time); times of day are kept.",
            "  The EDF format cannot hold a date before 1985: where the shifted EEG start is earlier, the EDF",
            "  header says 1985-01-01 with the shifted time of day, and scans.tsv holds the shifted date.",
            "  The videos' own metadata (e.g. an MP4 creation_time tag) still holds the true date.",
        ]
    if hed:
        lines += ["", (f"HED: events.tsv has a HED column ({', '.join(HED_VERSION)}); labels without an exact "
                       "HED-SCORE counterpart are n/a.")]
    if notes:
        lines += ["", "Notes"] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


__all__ = ["events_sidecar", "participants_sidecar", "readme_text", "scans_sidecar"]

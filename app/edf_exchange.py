"""EDF+ annotations for a reviewed video, out and in (no Qt: the CLI and the window share it).

Out: the reviewed labels (``reviewed_recording``) and the reviewed detections as EDF+
annotations, on the EEG's clock when an EEG is linked (``<video>.semioscope-eeg.json``): into a
copy of that EEG, or an annotation-only EDF+ starting with the EEG (else with the video).
In: an EDF+ file's annotations become seizures of the video's annotation store. File time is
placed on the video's clock through the two files' start times and, when the EDF's start is
the linked EEG's, the fitted alignment (offset and drift).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Optional

from app.annotations import CONFIRMED, REJECTED, AnnotationStore
from app.edit_commands import new_seizure_op
from app.export import reviewed_recording
from inference.core.config import SemioscopeConfig
from inference.core.errors import SemioscopeError
from inference.dataset.manifest import Recording, normalise_seizure_type
from inference.dataset.semiology import coarse_type
from inference.eeg.edf_file import EegFile, file_start
from inference.eeg.link import EegLink, load_link
from inference.exchange.edf_annotations import (
    ImportedLabels,
    Review,
    add_annotations_to_copy,
    export_annotations,
    read_edf_labels,
    write_annotations_edf,
)

EDF_EPOCH = datetime(1985, 1, 1)  # what an EDF gets when the recording's start time is unknown


@dataclass
class EdfExport:
    path: Path
    annotations: int
    clock: str  # what the onsets count from


def detection_reviews(store: Optional[AnnotationStore]) -> list[Review]:
    if store is None:
        return []
    return [Review(r.start_s, r.end_s, r.status, r.peak_prob) for r in store.reviews()
            if r.status in (CONFIRMED, REJECTED)]


def _linked(video: Path) -> Optional[EegLink]:
    try:
        return load_link(video)
    except SemioscopeError:
        return None


def export_edf(video: str | Path, out: Optional[str | Path] = None, annotations: Optional[str | Path] = None,
               annotations_only: bool = False) -> EdfExport:
    """Write the reviewed labels of ``video`` as EDF+ (see the module docstring). Default
    ``out``: ``<video>.annotations.edf``, or ``<eeg stem>.semioscope.edf`` for the EEG copy."""
    video = Path(video).resolve()
    rec, store = reviewed_recording(video, annotations)
    link = _linked(video)
    reviews = detection_reviews(store)
    if link is not None and link.eeg.is_file():
        eeg = EegFile.open(link.eeg)
        items = export_annotations(rec.seizures, reviews, lambda t: float(link.alignment.to_eeg(t)))
        clock = f"the EEG's first sample ({link.eeg.name}, {link.alignment.describe()})"
        if not annotations_only:
            target = Path(out) if out else link.eeg.with_name(link.eeg.stem + ".semioscope.edf")
            return EdfExport(add_annotations_to_copy(link.eeg, target, items), len(items), clock)
        start = eeg.start
    else:
        items = export_annotations(rec.seizures, reviews)
        start = rec.start_time.replace(tzinfo=None) if rec.start_time is not None else EDF_EPOCH
        clock = "the video's start" + ("" if rec.start_time is not None else " (start time unknown: dated 1985-01-01)")
    target = Path(out) if out else video.with_name(video.name + ".annotations.edf")
    return EdfExport(write_annotations_edf(target, items, start), len(items), clock)


def file_to_video_time(edf: Path, rec: Recording, link: Optional[EegLink]) -> tuple[Callable[[float], float], str]:
    """How ``edf``'s seconds map onto the video's, and in words why."""
    header = file_start(edf)
    if link is not None and link.eeg.is_file():
        eeg_start = EegFile.open(link.eeg).start
        shift = (header - eeg_start).total_seconds() if header is not None else 0.0
        how = (f"through the linked EEG's alignment ({link.alignment.describe()}), "
               f"file start {shift:+.3f} s from the EEG's")
        return (lambda s: float(link.alignment.to_video(s + shift))), how
    if rec.start_time is not None and header is not None:
        video_start = rec.start_time.replace(tzinfo=None)  # EDF headers hold the unit's wall clock
        shift = (header - video_start).total_seconds()
        return (lambda s: s + shift), f"through the start times (file starts {shift:+.3f} s from the video)"
    return float, "as seconds from the video's start (no start time to place it by)"


def import_ops(store: AnnotationStore, labels: ImportedLabels, origin: str) -> list:
    """``add_seizure`` ops (with their semiology) for the imported seizures, ids fresh in ``store``."""
    ops, next_id = [], int(store.new_seizure_id()[1:])
    for sz in labels.seizures:
        stype = coarse_type(sz.ilae_type) or "unknown"
        ops.append(("add_seizure", {
            **new_seizure_op(store, {})[1], "id": f"s{next_id}", "eeg_onset_s": round(sz.eeg_onset_s, 6),
            "clinical_onset_s": round(sz.clinical_onset_s, 6),
            "end_s": None if sz.end_s is None else round(sz.end_s, 6),
            "seizure_type": normalise_seizure_type(stype), "origin": origin, "ilae_type": sz.ilae_type,
            "awareness": sz.awareness, "signs": [g.to_dict() for g in sz.signs]}))
        next_id += 1
    return ops


def read_for_video(edf: str | Path, video: str | Path, config: Optional[SemioscopeConfig] = None
                   ) -> tuple[ImportedLabels, str]:
    """The seizures in ``edf`` on ``video``'s clock, and how the clocks were matched."""
    edf, video = Path(edf), Path(video).resolve()
    rec, _store = reviewed_recording(video)
    to_video, how = file_to_video_time(edf, rec, _linked(video))
    patterns = config.edf_patterns.overrides() if config is not None else None
    return read_edf_labels(edf, patterns, to_video), how


__all__ = ["EdfExport", "detection_reviews", "export_edf", "file_to_video_time", "import_ops", "read_for_video"]

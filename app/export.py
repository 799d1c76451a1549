"""Export reviewed annotations back to training data, and events to CSV.

``export_training_labels`` writes, into one folder:

- ``manifest.json``: the recording manifest (``inference.manifest``) with the *corrected* human
  onsets; ``semioscope train --manifest OUT/manifest.json`` consumes it directly. Exporting a
  second recording into the same folder adds it (a recording with the same id is replaced).
- ``segments.csv``: the labelled 5 s windows those onsets give (``inference.segments``):
  ``recording_id, subject_id, start_s, end_s, label`` (0 interictal, 1 ictal).
- ``detections.csv``: every reviewed machine detection with its status (confirmed = a true
  seizure, rejected = a false alarm), reviewer and time, for hard-negative mining; ``on_labels``
  names the seizure labels it overlaps (a rejected detection kept beside a seizure).
- ``provenance.csv``: per exported seizure time, whether a person set it (``human``) or it is
  still the detector's proposal (``machine``); the summary counts the onsets of each.

Labels that break the rules (``app.label_rules``: marks out of order, overlapping seizures, a
seizure without onset, a confirmed detection without a seizure label; with
``require_human_onsets`` also machine-proposed onsets) stop the export with a message naming
each seizure and its problem: a confirmed seizure never becomes interictal windows.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable, Optional, Sequence

import numpy as np

from inference.core.atomic import atomic_write_text
from inference.core.config import SegmentConfig
from inference.core.errors import InputFileError, ManifestError, SemioscopeError
from inference.dataset.manifest import NO_SEIZURE, Manifest, Recording, Seizure, load_manifest, save_manifest
from inference.dataset.segments import ICTAL, segment_manifest
from inference.eeg.link import load_link
from inference.pose.joints import JOINT_NAMES
from inference.results.events import Event
from inference.video.start_time import recording_start

from .annotations import (
    CONFIRMED,
    MARK_FIELDS,
    REJECTED,
    UNREVIEWED,
    AnnotationStore,
    SeizureLabel,
    annotations_path_for,
)
from .label_rules import LabelRuleError, export_problems, source_counts, spans_overlap

MANIFEST_NAME = "manifest.json"
SEGMENTS_NAME = "segments.csv"
DETECTIONS_NAME = "detections.csv"
PROVENANCE_NAME = "provenance.csv"


class LabelExportError(LabelRuleError):
    """The labels of a recording cannot be exported as they are (the message lists why)."""


@dataclass(frozen=True)
class ExportSummary:
    manifest: Path
    segments_csv: Path
    detections_csv: Path
    recordings: int
    seizures: int
    interictal: int
    ictal: int
    confirmed: int
    rejected: int
    human_onsets: int  # onsets (EEG and clinical) a person set or accepted
    machine_onsets: int  # onsets still as the detector proposed them
    provenance_csv: Path

    def message(self) -> str:
        return (f"Exported {self.seizures} seizure(s) to {self.manifest} ({self.recordings} recording(s); "
                f"{self.interictal} interictal + {self.ictal} ictal segments; {self.confirmed} confirmed and "
                f"{self.rejected} rejected detections; onsets: {self.human_onsets} set by a person, "
                f"{self.machine_onsets} proposed by the detector)")


def labels_to_seizures(labels: Iterable[SeizureLabel]) -> list[Seizure]:
    """Manifest seizures from labels that keep the rules (``check_labels``). A missing one of
    the two onsets takes the other's value, as the manifest reader does."""
    out = []
    for s in labels:
        eeg, clin = s.eeg_onset_s, s.clinical_onset_s
        eeg = clin if eeg is None else eeg
        clin = eeg if clin is None else clin
        out.append(Seizure(float(eeg), float(clin), None if s.end_s is None else float(s.end_s),
                           s.ilae_type, s.awareness, s.signs))
    return sorted(out, key=lambda z: z.eeg_onset_s)


def check_labels(store: AnnotationStore, what: str, require_human_onsets: bool = False) -> None:
    """Raise ``LabelExportError`` listing every problem that stops ``what`` from being exported."""
    problems = export_problems(store.seizures(), store.confirmed_parts(), require_human_onsets)
    if problems:
        raise LabelExportError(problems, f"cannot export {what}: {len(problems)} problem(s) with its labels")


def manifest_recording(video: str | Path) -> Optional[Recording]:
    """The recording a manifest beside the video (or one folder up) lists for it, or None."""
    me = Path(video).resolve()
    for folder in (me.parent, me.parent.parent):
        for name in ("manifest.json", "manifest.csv"):
            p = folder / name
            if not p.exists():
                continue
            try:
                for rec in load_manifest(p):
                    if Path(rec.video).resolve() == me:
                        return rec
            except SemioscopeError:
                continue
    return None


def recording_identity(video: str | Path) -> tuple[str, str]:
    """(recording_id, subject_id): from a manifest beside the video (or one folder up) that
    lists it, else the file name."""
    rec = manifest_recording(video)
    if rec is not None:
        return rec.recording_id, rec.subject_id
    stem = Path(video).resolve().stem
    return stem, stem


def reviewed_recording(video: str | Path, annotations: Optional[str | Path] = None
                       ) -> tuple[Recording, Optional[AnnotationStore]]:
    """The recording as reviewed, for reports and exchange without a window: the manifest's
    entry beside the video (else one named after the file), with the seizures of the annotation
    file (``annotations``, default beside the video) when there is one, semiology included; the
    start time from the manifest, else the container or the file name; the EEG from the link
    file, else the manifest. Returns (recording, the store read, or None). The store is opened
    read-only (``autosave=False``); rule-breaking labels raise ``LabelExportError``."""
    video = Path(video).resolve()
    listed = manifest_recording(video)
    rid, sid = (listed.recording_id, listed.subject_id) if listed else (video.stem, video.stem)
    path = Path(annotations) if annotations is not None else annotations_path_for(video)
    store = AnnotationStore.open(path, "semioscope", autosave=False) if path.is_file() else None
    if store is not None:
        check_labels(store, f"{video.name} (recording {rid})")
        labels = store.seizures()
        seizures = tuple(labels_to_seizures(labels))
        stype = recording_type(labels) if seizures else NO_SEIZURE
    else:
        seizures = listed.seizures if listed else ()
        stype = listed.seizure_type if listed else NO_SEIZURE
    start, _source = recording_start(video, listed.start_time if listed else None)
    try:
        link = load_link(video)
    except SemioscopeError:
        link = None
    eeg = link.eeg if link is not None else (listed.eeg if listed else None)
    return Recording(rid, sid, video, stype, seizures, listed.duration_s if listed else None, start, eeg), store


def recording_type(labels: Sequence[SeizureLabel]) -> str:
    types = [s.seizure_type for s in labels if s.seizure_type != NO_SEIZURE]
    if "fbtc" in types:
        return "fbtc"
    return types[0] if types else NO_SEIZURE


def export_training_labels(store: AnnotationStore, video: str | Path, out_dir: str | Path, *,
                           duration_s: float, recording_id: Optional[str] = None,
                           subject_id: Optional[str] = None, segment_config: SegmentConfig = SegmentConfig(),
                           require_human_onsets: bool = False, start_time: Optional[datetime] = None,
                           eeg: Optional[Path] = None) -> ExportSummary:
    """Write manifest.json, segments.csv, detections.csv and provenance.csv for this recording
    into ``out_dir``; nothing is written when its labels break a rule (``LabelExportError``).
    The recording's ``start_time`` and ``eeg`` (default: a manifest's beside the video) go with it."""
    video = Path(video).resolve()
    out_dir = Path(out_dir)
    rid = recording_id or video.stem
    check_labels(store, f"{video.name} (recording {rid})", require_human_onsets)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputFileError(out_dir, "the export destination is a file, not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputFileError(out_dir, f"cannot create the export folder ({exc.strerror or exc})") from None
    labels = store.seizures()
    seizures = labels_to_seizures(labels)
    sid = subject_id or rid
    listed = manifest_recording(video)  # its clock and EEG travel with the labels
    rec = Recording(rid, sid, video, recording_type(labels) if seizures else NO_SEIZURE, tuple(seizures),
                    float(duration_s), start_time or (listed.start_time if listed else None),
                    eeg or (listed.eeg if listed else None))
    manifest_path = out_dir / MANIFEST_NAME
    manifest = Manifest([])
    if manifest_path.exists():
        try:
            manifest = load_manifest(manifest_path)
        except ManifestError as exc:
            raise SemioscopeError(f"cannot add to the existing export: {exc}") from None
    manifest.recordings = [r for r in manifest.recordings if r.recording_id != rid] + [rec]
    save_manifest(manifest, manifest_path)

    segments = segment_manifest(manifest, segment_config)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["recording_id", "subject_id", "start_s", "end_s", "label"])
    for s in segments:
        w.writerow([s.recording_id, s.subject_id, f"{s.start_s:.3f}", f"{s.end_s:.3f}", s.label])
    segments_csv = atomic_write_text(out_dir / SEGMENTS_NAME, buf.getvalue())
    ictal = sum(1 for s in segments if s.label == ICTAL)

    # Reviewed detections of this recording replace its earlier rows.
    detections_csv = out_dir / DETECTIONS_NAME
    kept = []
    if detections_csv.exists():
        with open(detections_csv, newline="", encoding="utf-8") as fh:
            kept = [row for row in csv.DictReader(fh) if row.get("recording_id") != rid]
    cols = ["recording_id", "subject_id", "start_s", "end_s", "peak_prob", "status", "reviewer", "reviewed_utc",
            "on_labels"]
    buf = io.StringIO()
    w = csv.DictWriter(buf, cols, lineterminator="\n")
    w.writeheader()
    for row in kept:
        w.writerow({c: row.get(c, "") for c in cols})
    reviews = store.reviews()
    for r in reviews:
        if r.status == UNREVIEWED:
            continue
        w.writerow({"recording_id": rid, "subject_id": sid, "start_s": f"{r.start_s:.3f}", "end_s": f"{r.end_s:.3f}",
                    "peak_prob": f"{r.peak_prob:.4f}", "status": r.status, "reviewer": r.author,
                    "reviewed_utc": r.time_utc,
                    "on_labels": " ".join(s.id for s in labels if spans_overlap(s.span, (r.start_s, r.end_s)))})
    atomic_write_text(detections_csv, buf.getvalue())
    provenance_csv = _write_provenance(out_dir / PROVENANCE_NAME, rid, labels)
    confirmed = sum(1 for r in reviews if r.status == CONFIRMED)
    rejected = sum(1 for r in reviews if r.status == REJECTED)
    onsets = source_counts(labels)
    return ExportSummary(manifest_path, segments_csv, detections_csv, len(manifest.recordings), len(seizures),
                         len(segments) - ictal, ictal, confirmed, rejected, onsets["human"], onsets["machine"],
                         provenance_csv)


PROVENANCE_COLUMNS = ("recording_id", "seizure_id", "field", "value_s", "source", "seizure_type")


def _write_provenance(path: Path, rid: str, labels: Sequence[SeizureLabel]) -> Path:
    """One row per set time of each exported seizure with its source; rows of other recordings
    already in the file stay."""
    kept = []
    if path.exists():
        with open(path, newline="", encoding="utf-8") as fh:
            kept = [row for row in csv.DictReader(fh) if row.get("recording_id") != rid]
    buf = io.StringIO()
    w = csv.DictWriter(buf, PROVENANCE_COLUMNS, lineterminator="\n")
    w.writeheader()
    for row in kept:
        w.writerow({c: row.get(c, "") for c in PROVENANCE_COLUMNS})
    for s in labels:
        for f in MARK_FIELDS:
            if s.get(f) is not None:
                w.writerow({"recording_id": rid, "seizure_id": s.id, "field": f, "value_s": f"{s.get(f):.3f}",
                            "source": s.source(f), "seizure_type": s.seizure_type})
    return atomic_write_text(path, buf.getvalue())


EVENT_COLUMNS = ("event", "start_s", "end_s", "duration_s", "peak_prob", "peak_time_s", "status", "reviewer",
                 "reviewed_utc", "top_joints")


def events_csv_text(events: Sequence[Event], store: Optional[AnnotationStore] = None) -> str:
    """One row per event with its review status (from ``store``) and its three most attended joints."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(EVENT_COLUMNS)
    for k, ev in enumerate(events, start=1):
        review = store.review_of(ev.start_s, ev.end_s) if store is not None else None
        status = store.status_of(ev.start_s, ev.end_s) if store is not None else UNREVIEWED
        top = ""
        if ev.mean_attention:
            order = np.argsort(-np.nan_to_num(np.asarray(ev.mean_attention, dtype=float), nan=-1.0))[:3]
            top = " ".join(JOINT_NAMES[i] for i in order)
        w.writerow([k, f"{ev.start_s:.3f}", f"{ev.end_s:.3f}", f"{ev.duration_s:.3f}", f"{ev.peak_prob:.4f}",
                    f"{ev.peak_time_s:.3f}", status,
                    review.author if review else "", review.time_utc if review else "", top])
    return buf.getvalue()


def export_events_csv(path: str | Path, events: Sequence[Event], store: Optional[AnnotationStore] = None) -> Path:
    return atomic_write_text(path, events_csv_text(events, store))

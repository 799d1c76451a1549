"""Write reviewed recordings as a BIDS dataset (plain data in: recordings and label provenance).

Per recording (``name = sub-<sub>[_ses-<ses>]_task-<task>_run-<n>``, runs numbered per subject
in start-time order):

- ``beh/<name>_video.<ext>``: the video, hard-linked or copied (BEP047's proposed ``_video``
  suffix), with ``_video.json`` (FrameRate, RecordingDuration, Width, Height, Codec, ...);
- ``beh/<name>_events.tsv`` + ``.json``: the labels, onsets in seconds from the video's start
  (columns ``bids_names.EVENT_COLUMNS``, plus ``HED`` where a HED-SCORE counterpart exists);
- ``motion/<sub..>_tracksys-video_run-<n>_motion.tsv`` + ``_channels.tsv`` + ``_motion.json``: the
  14 joints' image positions (one POS channel per joint and axis, in pixels), their confidence
  (MISC) and each sample's time (LATENCY), when a keypoint track is given;
- ``eeg/<name>_eeg.edf`` + ``_eeg.json`` + ``_channels.tsv`` + ``_events.tsv``/``.json``: the EEG
  rewritten as EDF+ (patient field "X": no name) with the same labels, onsets in seconds from the
  EEG's first sample through the video-to-EEG clock alignment (the link file's; else what the two
  start times say, as the review window assumes before any sync; else the video's seconds);
- ``<session>/<sub..>_scans.tsv``: ``filename``, ``acq_time`` (UTC, ``Z``) and ``utc_offset``.

Top level: ``dataset_description.json``, ``participants.tsv``/``.json``, ``README``,
``scans.json`` and ``.bidsignore`` (``*_video.*``). ``shift_days`` moves every date that many days
back (BIDS de-identification); an EDF header cannot hold a date before 1985, so a shifted EEG
start earlier than that is written as 1985-01-01 with its time of day, and scans.tsv keeps the
shifted date. What the bids-validator package accepts: ``bids_names`` module docstring.
"""
from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import numpy as np

from inference.core.atomic import atomic_write_text
from inference.core.errors import EegError, InputFileError, SemioscopeError
from inference.core.progress import ProgressFn, no_progress
from inference.core.version import __version__
from inference.dataset.manifest import Recording, Seizure
from inference.dataset.semiology import coarse_type
from inference.eeg.alignment import ClockAlignment, from_start_times
from inference.eeg.edf_file import EegFile
from inference.eeg.edf_writer import EDF_MIN_YEAR, write_edf
from inference.exchange.bids_hed import HED_VERSION, seizure_hed, sign_hed
from inference.exchange.bids_names import (
    BIDS_VERSION,
    CLINICAL_ONSET,
    DEFAULT_TASK,
    DETECTION_CONFIRMED,
    DETECTION_REJECTED,
    EEG_ONSET,
    EVENT_COLUMNS,
    HED_COLUMN,
    SEIZURE,
    SIGN_PREFIX,
    TRACKSYS,
    VIDEO_SUFFIX,
    BidsName,
    bids_datetime,
    bids_label,
    check_label,
    offset_text,
    tsv_text,
)
from inference.exchange.bids_sidecars import (
    events_sidecar,
    participants_sidecar,
    readme_text,
    scans_sidecar,
)
from inference.pose.joints import JOINT_NAMES
from inference.pose.keypoints import KeypointTrack
from inference.video.index import VideoMeta

Clock = Callable[[float], float]


@dataclass(frozen=True)
class Provenance:
    """Who set one label value and whether a person (``human``) or the detector (``machine``) did."""

    reviewer: str = ""
    source: str = ""


@dataclass(frozen=True)
class SeizureProvenance:
    """Per seizure: its coarse type (focal / fbtc / unknown), and per time field
    (``eeg_onset_s``, ``clinical_onset_s``, ``end_s``, ``ilae_type``) and per sign id, who set it."""

    seizure_type: str = ""
    fields: dict[str, Provenance] = field(default_factory=dict)
    signs: dict[str, Provenance] = field(default_factory=dict)


@dataclass(frozen=True)
class DetectionReview:
    """A machine detection a person confirmed or rejected."""

    start_s: float
    end_s: float
    status: str  # "confirmed" | "rejected"
    reviewer: str = ""
    peak_prob: float | None = None


@dataclass
class ExportItem:
    """One recording to export. ``provenance`` is keyed by the recording's Seizure objects;
    ``alignment`` maps video seconds to EEG seconds (None: EEG events use the video's clock);
    ``eeg_zone``: the zone the EEG header's wall clock is in (default: the video's)."""

    recording: Recording
    video_meta: VideoMeta
    provenance: dict[Seizure, SeizureProvenance] = field(default_factory=dict)
    detections: Sequence[DetectionReview] = ()
    keypoints: KeypointTrack | None = None
    alignment: ClockAlignment | None = None
    eeg_zone: tzinfo | None = None


@dataclass(frozen=True)
class BidsOptions:
    task: str = DEFAULT_TASK
    session: str | None = None
    shift_days: int = 0
    subject_map: dict[str, str] | None = None  # subject_id -> BIDS label (pseudonyms)
    hed: bool = True
    hard_link: bool = True  # else always copy the videos
    name: str = "Semioscope export"


@dataclass
class ExportedRecording:
    recording_id: str
    name: BidsName
    files: list[str] = field(default_factory=list)
    eeg_clock: str = ""  # "link" | "start times" | "video" (neither known) | "" (no EEG)


@dataclass
class BidsExport:
    root: Path
    recordings: list[ExportedRecording]
    files: list[str]  # every file written, dataset-relative with a leading '/'
    notes: list[str]
    subject_labels: dict[str, str]


# -- labels -> events rows ---------------------------------------------------------------------

def event_rows(rec: Recording, provenance: dict[Seizure, SeizureProvenance], detections: Sequence[DetectionReview],
               clock: Clock | None = None, hed: bool = True) -> list[dict[str, Any]]:
    """The events.tsv rows of a recording, sorted by onset; ``clock`` maps video seconds to the
    file's clock (default: the video's)."""
    to = clock or (lambda t: t)
    rows: list[dict[str, Any]] = []

    def add(t0: float, t1: float | None, trial_type: str, **extra: Any) -> None:
        onset = to(t0)
        rows.append({"onset": onset, "duration": 0.0 if t1 is None else to(t1) - onset, "trial_type": trial_type,
                     **extra})

    for k, sz in enumerate(rec.seizures, start=1):
        prov = provenance.get(sz, SeizureProvenance())
        sid = f"sz{k}"
        stype = prov.seizure_type or coarse_type(sz.ilae_type) or rec.seizure_type

        def who(name: str, prov: SeizureProvenance = prov) -> dict[str, str]:
            p = prov.fields.get(name, Provenance())
            return {"reviewer": p.reviewer, "source": p.source}

        start = min(sz.eeg_onset_s, sz.clinical_onset_s)
        seizure_row = {"value": stype, "seizure_id": sid, "ilae_type": sz.ilae_type, "awareness": sz.awareness,
                       **who("end_s" if sz.end_s is not None else "eeg_onset_s"),
                       HED_COLUMN: seizure_hed(sz.ilae_type, sz.awareness) if hed else ""}
        if sz.end_s is None:
            onset = to(start)
            rows.append({"onset": onset, "duration": None, "trial_type": SEIZURE, **seizure_row})
        else:
            add(start, sz.end_s, SEIZURE, **seizure_row)
        add(sz.eeg_onset_s, None, EEG_ONSET, seizure_id=sid, **who("eeg_onset_s"))
        add(sz.clinical_onset_s, None, CLINICAL_ONSET, seizure_id=sid, **who("clinical_onset_s"))
        for sign in sz.signs:
            p = prov.signs.get(sign.id, Provenance())
            add(sign.time_s, None, SIGN_PREFIX + sign.term, seizure_id=sid, body_part=sign.body_part,
                laterality=sign.laterality, reviewer=p.reviewer, source=p.source,
                **{HED_COLUMN: sign_hed(sign) if hed else ""})
    for d in detections:
        kind = {"confirmed": DETECTION_CONFIRMED, "rejected": DETECTION_REJECTED}.get(d.status)
        if kind:
            add(d.start_s, d.end_s, kind, value="" if d.peak_prob is None else f"{d.peak_prob:.4f}",
                reviewer=d.reviewer, source="machine")
    order = {SEIZURE: 0, EEG_ONSET: 1, CLINICAL_ONSET: 2}
    rows.sort(key=lambda r: (round(r["onset"], 6), order.get(r["trial_type"], 3), r["trial_type"]))
    return rows


def events_tsv(rows: Sequence[dict[str, Any]], with_hed: bool) -> str:
    columns = EVENT_COLUMNS + ((HED_COLUMN,) if with_hed else ())
    return tsv_text(columns, ([r.get(c) for c in columns] for r in rows))


# -- the export --------------------------------------------------------------------------------

class _Writer:
    def __init__(self, root: Path):
        self.root = root
        self.files: list[str] = []

    def text(self, rel: str, text: str) -> str:
        atomic_write_text(self.root / rel, text)
        self.files.append("/" + rel)
        return rel

    def json(self, rel: str, obj: Any) -> str:
        return self.text(rel, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def subject_labels(recordings: Sequence[Recording], subject_map: dict[str, str] | None) -> dict[str, str]:
    """subject_id -> BIDS label: from ``subject_map`` (every subject must be in it), else the id
    without its non-alphanumeric characters. Two subjects may not end up with one label."""
    ids = sorted({r.subject_id for r in recordings})
    if subject_map is not None:
        missing = [s for s in ids if s not in subject_map]
        if missing:
            raise SemioscopeError(f"the subject map has no label for subject(s) {', '.join(missing)}")
        try:
            labels = {s: check_label(subject_map[s], f"subject map label for {s!r}") for s in ids}
        except ValueError as exc:
            raise SemioscopeError(str(exc)) from None
    else:
        try:
            labels = {s: bids_label(s, "subject id") for s in ids}
        except ValueError as exc:
            raise SemioscopeError(f"{exc}; give --subject-map") from None
    seen: dict[str, str] = {}
    for s, label in labels.items():
        if label in seen:
            raise SemioscopeError(f"subjects {seen[label]!r} and {s!r} both become sub-{label}; give --subject-map")
        seen[label] = s
    return labels


def _copy_video(src: Path, dst: Path, hard_link: bool, progress: ProgressFn, done: int, total: int) -> int:
    dst.parent.mkdir(parents=True, exist_ok=True)
    size = src.stat().st_size
    if hard_link:
        try:
            os.link(src, dst)
            progress(done + size, total, src.name)
            return size
        except OSError:
            pass  # another file system, or links not allowed: copy instead
    tmp = dst.with_name(f".{dst.name}.partial")
    with open(src, "rb") as fi, open(tmp, "wb") as fo:
        copied = 0
        while chunk := fi.read(8 << 20):
            fo.write(chunk)
            copied += len(chunk)
            progress(done + copied, total, src.name)
    os.replace(tmp, dst)
    return size


def _motion(w: _Writer, name: BidsName, track: KeypointTrack, task: str) -> list[str]:
    times = np.asarray(track.times, dtype=np.float64)
    dt = np.diff(times)
    fs = float(1.0 / np.median(dt)) if len(dt) and np.median(dt) > 0 else 0.0
    cols = [times[:, None]]
    channels = [("latency", "LATENCY", "n/a", "n/a", "s")]
    for j, joint in enumerate(JOINT_NAMES):
        cols += [track.xy[:, j, 0:1].astype(np.float64), track.xy[:, j, 1:2].astype(np.float64)]
        channels += [(f"{joint}_x", "POS", "x", joint, "px"), (f"{joint}_y", "POS", "y", joint, "px")]
    for j, joint in enumerate(JOINT_NAMES):
        cols.append(track.conf[:, j:j + 1].astype(np.float64))
        channels.append((f"{joint}_conf", "MISC", "n/a", joint, "n/a"))
    buf = io.StringIO()
    np.savetxt(buf, np.hstack(cols), fmt="%.4f", delimiter="\t")
    data = buf.getvalue().replace("nan", "n/a")  # Motion-BIDS: no header row, n/a for missing
    stem = name.path("motion", "", "", TRACKSYS)[:-1]  # ..._run-1 (then the suffix)
    files = [w.text(stem + "_motion.tsv", data),
             w.text(stem + "_channels.tsv",
                    tsv_text(("name", "type", "component", "tracked_point", "units"), channels))]
    w.json(stem + "_motion.json", {
        "TaskName": task, "SamplingFrequency": round(fs, 6) if fs else "n/a",
        "SamplingFrequencyEffective": round((len(times) - 1) / (times[-1] - times[0]), 6) if len(times) > 1 and
        times[-1] > times[0] else "n/a",
        "TrackingSystemName": f"video pose estimation ({track.source})", "RecordingType": "continuous",
        "RecordingDuration": float(times[-1] - times[0]) if len(times) else 0.0,
        "MotionChannelCount": len(channels), "POSChannelCount": 2 * len(JOINT_NAMES),
        "MISCChannelCount": len(JOINT_NAMES), "LATENCYChannelCount": 1, "TrackedPointsCount": len(JOINT_NAMES),
        "SpatialAxes": "image: x right, y down, in pixels of the video frame",
        "FrameSize": list(track.frame_size),
        "Description": "Body keypoints computed from the video (not the footage). The latency channel holds each "
                       "sample's time in seconds from the video's first frame; *_conf is the joint's confidence "
                       "(0 = missing or hidden)."})
    return files + [stem + "_motion.json"]


def _shifted(t: datetime | None, days: int) -> datetime | None:
    return None if t is None else t - timedelta(days=days)


def _eeg(w: _Writer, name: BidsName, item: ExportItem, eeg: EegFile, al: ClockAlignment | None,
         options: BidsOptions, rows: list[dict[str, Any]], with_hed: bool, notes: list[str]
         ) -> tuple[list[str], datetime | None]:
    """Write the EEG files; returns (files, the EEG's shifted aware start or None)."""
    rec = item.recording
    picks = [c for c in eeg.channels if c.uv_per_unit is not None and c.fs == eeg.fs]
    if not picks:
        raise EegError(rec.eeg, "has no voltage channel at its EEG sampling rate to export")
    skipped = [c.label for c in eeg.channels if c not in picks]
    _, data = eeg.read([c.index for c in picks], 0.0, eeg.duration_s)
    n = min(len(d) for d in data)
    signals = np.vstack([d[:n] for d in data])
    header_start = eeg.start - timedelta(days=options.shift_days)
    if header_start.year < EDF_MIN_YEAR:  # EDF cannot say it: keep the time of day, the date goes to scans.tsv
        header_start = header_start.replace(year=EDF_MIN_YEAR, month=1, day=1)
        notes.append(f"{name.stem()}: EDF header date set to {EDF_MIN_YEAR}-01-01 (shifted date before {EDF_MIN_YEAR})")
    path = name.path("eeg", "eeg", ".edf")
    write_edf(w.root / path, signals, eeg.fs, [c.label for c in picks], header_start, patient_code="X",
              equipment="X")
    w.files.append("/" + path)
    zone = item.eeg_zone or (rec.start_time.tzinfo if rec.start_time is not None else None)
    start = _shifted(eeg.start_time(zone) if zone is not None else None, options.shift_days)
    w.json(name.path("eeg", "eeg", ".json"), {
        "TaskName": options.task, "SamplingFrequency": eeg.fs, "EEGReference": "n/a", "PowerLineFrequency": "n/a",
        "SoftwareFilters": "n/a", "RecordingType": "continuous", "RecordingDuration": n / eeg.fs,
        "EEGChannelCount": sum(1 for c in picks if c.electrode is not None),
        "MiscChannelCount": sum(1 for c in picks if c.electrode is None),
        "SemioscopeVideoAlignment": None if al is None else {
            "offset_s": al.offset_s, "drift_ppm": al.drift_ppm, "source": al.source,
            "formula": "eeg_s = offset_s + (1 + drift_ppm * 1e-6) * video_s"},
        **({"SemioscopeSkippedChannels": skipped} if skipped else {})})
    w.text(name.path("eeg", "channels", ".tsv"), tsv_text(
        ("name", "type", "units", "sampling_frequency"),
        ((c.label, "EEG" if c.electrode is not None else "MISC", "uV", f"{eeg.fs:g}") for c in picks)))
    w.text(name.path("eeg", "events", ".tsv"), events_tsv(rows, with_hed))
    w.json(name.path("eeg", "events", ".json"), events_sidecar(
        "EEG's first sample" + (f" (video times through the clock alignment, from {al.source})" if al else
                                " - NO alignment or start times were known: these are the video's seconds"),
        with_hed))
    return [path], start


def export_bids(items: Sequence[ExportItem], out: str | Path, options: BidsOptions = BidsOptions(),
                progress: ProgressFn = no_progress) -> BidsExport:
    """Write ``items`` as a BIDS dataset into ``out`` (new or empty). Raises InputFileError for
    a missing video or EEG, SemioscopeError for a label problem; ``progress`` counts video bytes."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputFileError(out, "the BIDS folder must be new or empty" if out.is_dir() else "is a file, not a folder")
    try:
        check_label(options.task, "task")
        if options.session:
            check_label(options.session, "session")
    except ValueError as exc:
        raise SemioscopeError(str(exc)) from None
    for item in items:
        rec = item.recording
        if not Path(rec.video).is_file():
            raise InputFileError(rec.video, f"video of recording {rec.recording_id!r} not found")
        if rec.eeg is not None and not Path(rec.eeg).is_file():
            raise InputFileError(rec.eeg, f"EEG of recording {rec.recording_id!r} not found")
    labels = subject_labels([i.recording for i in items], options.subject_map)
    by_subject: dict[str, list[ExportItem]] = {}
    for item in items:
        by_subject.setdefault(labels[item.recording.subject_id], []).append(item)
    w = _Writer(out)
    out.mkdir(parents=True, exist_ok=True)
    total = sum(Path(i.recording.video).stat().st_size for i in items)
    done = 0
    use_hed = options.hed and any(
        seizure_hed(s.ilae_type, s.awareness) or any(sign_hed(g) for g in s.signs)
        for i in items for s in i.recording.seizures)
    notes: list[str] = []
    exported: list[ExportedRecording] = []
    scans: dict[str, list[tuple[str, datetime | None]]] = {}
    for sub, subject_items in sorted(by_subject.items()):
        subject_items.sort(key=lambda i: (i.recording.start_time.timestamp() if i.recording.start_time
                                          else float("inf"), i.recording.recording_id))
        for run, item in enumerate(subject_items, start=1):
            rec, meta = item.recording, item.video_meta
            name = BidsName(sub, options.task, run, options.session)
            ex = ExportedRecording(rec.recording_id, name)
            first_file = len(w.files)
            video_rel = name.path("beh", VIDEO_SUFFIX, Path(rec.video).suffix.lower())
            done += _copy_video(Path(rec.video), out / video_rel, options.hard_link, progress, done, total)
            w.files.append("/" + video_rel)
            w.json(name.path("beh", VIDEO_SUFFIX, ".json"), {
                "TaskName": options.task, "FrameRate": round(meta.fps, 6),
                "RecordingDuration": round(meta.duration_s, 6),
                "Width": meta.width, "Height": meta.height, "Codec": meta.codec, "FrameCount": meta.frame_count,
                "VariableFrameRate": meta.variable_frame_rate, "Truncated": meta.truncated,
                "Description": "Video of the patient (BEP047 proposal). It is not de-identified: it shows the face."})
            rows = event_rows(rec, item.provenance, item.detections, hed=use_hed)
            w.text(name.path("beh", "events", ".tsv"), events_tsv(rows, use_hed))
            w.json(name.path("beh", "events", ".json"), events_sidecar("video's first frame", use_hed))
            start = _shifted(rec.start_time, options.shift_days)
            session_scans = scans.setdefault(name.session_dir, [])
            session_scans.append((video_rel.split("/", 1 + bool(name.ses))[-1], start))
            if item.keypoints is not None and len(item.keypoints):
                for rel in _motion(w, name, item.keypoints, options.task):
                    if rel.endswith("_motion.tsv"):
                        session_scans.append((rel.split("/", 1 + bool(name.ses))[-1], start))
            if rec.eeg is not None:
                eeg = EegFile.open(rec.eeg)
                al = item.alignment
                if al is None and rec.start_time is not None:  # as the review window does before any sync
                    al = from_start_times(rec.start_time, eeg.start_time(item.eeg_zone or rec.start_time.tzinfo))
                eeg_rows = event_rows(rec, item.provenance, item.detections, clock=al.to_eeg if al else None,
                                      hed=use_hed)
                eeg_files, eeg_start = _eeg(w, name, item, eeg, al, options, eeg_rows, use_hed, notes)
                session_scans += [(p.split("/", 1 + bool(name.ses))[-1], eeg_start) for p in eeg_files]
                ex.eeg_clock = ("link" if item.alignment is not None else "start times") if al else "video"
            ex.files = w.files[first_file:]
            exported.append(ex)
    for session_dir, entries in sorted(scans.items()):
        prefix = session_dir.replace("/", "_")
        w.text(f"{session_dir}/{prefix}_scans.tsv", tsv_text(
            ("filename", "acq_time", "utc_offset"),
            ((f, bids_datetime(t) if t else "", offset_text(t)) for f, t in entries)))
    w.json("scans.json", scans_sidecar(options.shift_days))
    w.text("participants.tsv", tsv_text(("participant_id",), ((f"sub-{s}",) for s in sorted(by_subject))))
    w.json("participants.json", participants_sidecar())
    description = {"Name": options.name, "BIDSVersion": BIDS_VERSION, "DatasetType": "raw",
                   "GeneratedBy": [{"Name": "Semioscope", "Version": __version__,
                                    "Description": "semioscope export-bids: reviewed seizure labels of EMU videos"}]}
    if use_hed:
        description["HEDVersion"] = HED_VERSION
    w.json("dataset_description.json", description)
    w.text("README", readme_text(options.shift_days, use_hed, notes))
    w.text(".bidsignore", f"*_{VIDEO_SUFFIX}.*\n")
    return BidsExport(out, exported, sorted(w.files), notes, labels)


__all__ = ["BidsExport", "BidsOptions", "DetectionReview", "ExportItem", "ExportedRecording", "Provenance",
           "SeizureProvenance", "event_rows", "events_tsv", "export_bids", "subject_labels"]

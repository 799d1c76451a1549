"""``semioscope export-bids``: reviewed recordings (videos, labels, keypoints, EEG) as a BIDS dataset."""
from __future__ import annotations

import argparse
import csv
import json
from dataclasses import replace
from pathlib import Path

from app.annotations import AnnotationStore
from app.export import labels_to_seizures, reviewed_recording
from inference.core.atomic import atomic_write_json
from inference.core.errors import InputFileError, ManifestError, SemioscopeError
from inference.core.progress import cli_log, cli_progress
from inference.dataset.manifest import Recording, load_manifest
from inference.eeg.link import load_link
from inference.exchange.bids_export import (
    BidsOptions,
    DetectionReview,
    ExportItem,
    Provenance,
    SeizureProvenance,
    export_bids,
)
from inference.exchange.bids_names import DEFAULT_TASK, validator_refusal
from inference.pose.keypoint_files import sidecar_path
from inference.pose.keypoints import KeypointTrack
from inference.results.result_file import AnalysisResult, result_path_for
from inference.video.index import probe

NAME = "export-bids"
HELP = "write reviewed videos, labels, keypoints and EEG as a BIDS dataset (video: BEP047 proposal)"
ORDER = 56
DESCRIPTION = """\
Write each VIDEO (and every recording of --manifest) into the new or empty folder OUT as a BIDS
dataset: the labels of its annotation file (else the manifest's) as events.tsv, the video
(hard-linked or copied), its keypoints as Motion-BIDS, its EEG as EDF+, and per subject a
scans.tsv with each file's start time.

  OUT/dataset_description.json, participants.tsv/.json, README, scans.json, .bidsignore
  OUT/sub-<s>/[ses-<x>/]sub-<s>_scans.tsv                   filename, acq_time (UTC), utc_offset
  OUT/sub-<s>/beh/sub-<s>_task-emu_run-<n>_video.mp4 + .json   (BEP047 proposal)
  OUT/sub-<s>/beh/..._events.tsv + .json                     onsets in seconds from the video start
  OUT/sub-<s>/motion/..._tracksys-video_run-<n>_motion.tsv, _channels.tsv, _motion.json
  OUT/sub-<s>/eeg/..._eeg.edf, _eeg.json, _channels.tsv, _events.tsv + .json
                                                    onsets in seconds from the EEG's first sample

events.tsv columns: onset, duration, trial_type (seizure, eeg_onset, clinical_onset,
sign:<term>, detection_confirmed, detection_rejected), value, seizure_id, ilae_type,
awareness, body_part, laterality, reviewer, source (human/machine), and HED (HED-SCORE 2.1.0
tags, sc: prefix) where a label has an exact counterpart. EEG events go through the video-to-EEG
alignment of <video>.semioscope-eeg.json; without one, through what the video's and the EEG's
start times say (as the review window does before any sync); with neither, the video's seconds.

De-identification: --subject-map FILE (JSON {"subject_id": "label"} or a two-column CSV) or
'auto' (01, 02, ...; the map is written beside OUT, not into it) replaces subject ids;
--shift-dates DAYS moves every date DAYS days back (BIDS suggests landing in 1925 or earlier).
EDF headers cannot hold a year before 1985: such an EEG start is written as 1985-01-01 with its
time of day (the README says so; scans.tsv has the shifted date). The videos are not
de-identified (faces; the MP4 creation_time tag keeps the true date).

What the Python bids-validator (BIDSValidator().is_bids, file names only) says:
  accepted: dataset_description.json, participants.*, README, scans.json, *_scans.tsv,
    beh/*_events.*, motion/*_tracksys-video_*_motion.tsv/.json + _channels.tsv,
    eeg/*_eeg.edf/.json, eeg/*_channels.tsv, eeg/*_events.*
  refused: beh/*_video.<ext> and beh/*_video.json (the released 'beh' rule allows only _beh,
    _events, _physio and _stim; _video is BEP047), and .bidsignore (in the specification, not in
    the package's rules).
  not checked: anything inside the files (columns, sidecar fields, acq_time, EDF header, HED
    tags, onsets within the recording) and whether required files exist.

examples:
  semioscope export-bids bids/ rec01.mp4 rec02.mp4
  semioscope export-bids bids/ --manifest data/synth/manifest.csv --subject-map auto --shift-dates 36500
  semioscope export-bids bids/ night3.mp4 --session night3 --no-hed --copy
  semioscope import-bids bids/ --out roundtrip.json
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("out", metavar="OUT", help="the BIDS folder to write (new or empty)")
    p.add_argument("videos", nargs="*", metavar="VIDEO", help="reviewed video file(s)")
    p.add_argument("--manifest", metavar="M", help="also export every recording of this manifest (.csv/.json)")
    p.add_argument("--task", default=DEFAULT_TASK, help=f"BIDS task label (default {DEFAULT_TASK})")
    p.add_argument("--session", metavar="LABEL", help="put every recording in ses-LABEL")
    p.add_argument("--shift-dates", type=int, default=0, metavar="DAYS", help="move all dates DAYS days back")
    p.add_argument("--subject-map", metavar="FILE|auto", help="pseudonymise subject ids (JSON, CSV or 'auto')")
    p.add_argument("--no-hed", action="store_true", help="leave out the HED column")
    p.add_argument("--no-keypoints", action="store_true", help="leave out the Motion-BIDS keypoints")
    p.add_argument("--copy", action="store_true", help="always copy the videos (default: hard link when possible)")


def _subject_map(spec: str | None, recordings: list[Recording], out: Path) -> dict[str, str] | None:
    if not spec:
        return None
    if spec == "auto":
        ids = sorted({r.subject_id for r in recordings})
        mapping = {s: f"{k:02d}" for k, s in enumerate(ids, start=1)}
        key = out.resolve().with_name(out.resolve().name + ".subject-map.json")  # outside the shared dataset
        atomic_write_json(key, mapping)
        print(f"subject map (keep it private): {key}")
        return mapping
    path = Path(spec)
    if not path.is_file():
        raise InputFileError(path, "subject map not found")
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(path.read_text("utf-8"))
            if not isinstance(data, dict):
                raise InputFileError(path, 'expected a JSON object {"subject_id": "label", ...}')
            return {str(k): str(v) for k, v in data.items()}
        dialect = "excel-tab" if path.suffix.lower() in (".tsv", ".txt") else "excel"
        rows = [r for r in csv.reader(path.read_text("utf-8-sig").splitlines(), dialect) if r]
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"cannot read the subject map ({exc})") from None
    if any(len(r) != 2 for r in rows):
        raise InputFileError(path, "expected two columns per line: subject_id, label")
    return {r[0].strip(): r[1].strip() for r in rows if r[0].strip() not in ("subject_id", "subject")}


def _provenance(store: AnnotationStore) -> dict:
    """Who set each time, type and sign of each seizure (from the edit history) and whether
    a person or the detector did (from the labels' sources)."""
    authors: dict[tuple[str, str], Provenance] = {}
    for e in store.edits:
        d = e.data
        if e.op == "add_seizure":
            for f in ("eeg_onset_s", "clinical_onset_s", "end_s", "ilae_type"):
                if d.get(f) not in (None, ""):
                    authors[(str(d["id"]), f)] = Provenance(e.author, (d.get("sources") or {}).get(f, e.source))
            for g in d.get("signs") or []:
                authors[(str(d["id"]), "sign:" + str(g.get("id")))] = Provenance(e.author, e.source)
        elif e.op == "set_seizure":
            authors[(str(d["id"]), str(d["field"]))] = Provenance(e.author, d.get("source", e.source))
        elif e.op == "add_sign":
            authors[(str(d["id"]), "sign:" + str(d["sign"]["id"]))] = Provenance(e.author, e.source)
    out = {}
    for label in store.seizures():
        fields = {}
        for f in ("eeg_onset_s", "clinical_onset_s", "end_s", "ilae_type"):
            p = authors.get((label.id, f), Provenance(label.created_by, ""))
            fields[f] = Provenance(p.reviewer, label.source(f) or p.source) if f != "ilae_type" else p
        signs = {g.id: authors.get((label.id, "sign:" + g.id), Provenance()) for g in label.signs}
        out[labels_to_seizures([label])[0]] = SeizureProvenance(label.seizure_type, fields, signs)
    return out


def _keypoints(video: Path) -> KeypointTrack | None:
    side = sidecar_path(video)
    if side.is_file():
        return KeypointTrack.load(side)
    result = result_path_for(video)
    return AnalysisResult.load(result).keypoints if result.is_file() else None


def _item(video: Path, listed: Recording | None, keypoints: bool) -> ExportItem:
    if not video.is_file():
        raise InputFileError(video, "video not found" if not video.exists() else "is not a file")
    rec, store = reviewed_recording(video)
    if listed is not None:  # the manifest given names the recording; the annotation file has the labels
        rec = replace(rec, recording_id=listed.recording_id, subject_id=listed.subject_id,
                      start_time=listed.start_time or rec.start_time, eeg=rec.eeg or listed.eeg,
                      duration_s=listed.duration_s or rec.duration_s,
                      **({} if store is not None else {"seizures": listed.seizures,
                                                       "seizure_type": listed.seizure_type}))
    link = load_link(video)
    same_eeg = link is not None and rec.eeg is not None and Path(link.eeg).resolve() == Path(rec.eeg).resolve()
    detections = [DetectionReview(r.start_s, r.end_s, r.status, r.author, r.peak_prob)
                  for r in (store.reviews() if store is not None else [])]
    return ExportItem(rec, probe(video), _provenance(store) if store is not None else {}, detections,
                      _keypoints(video) if keypoints else None, link.alignment if same_eeg else None,
                      link.eeg_zone if same_eeg else None)


def run(args: argparse.Namespace) -> int:
    pairs: list[tuple[Path, Recording | None]] = []
    if args.manifest:
        manifest = load_manifest(args.manifest)
        for rec in manifest:
            if not Path(rec.video).is_file():
                raise ManifestError(args.manifest, f"recording {rec.recording_id!r}: video {rec.video} not found")
            if rec.eeg is not None and not Path(rec.eeg).is_file():
                raise ManifestError(args.manifest, f"recording {rec.recording_id!r}: EEG {rec.eeg} not found")
            pairs.append((Path(rec.video), rec))
    pairs += [(Path(v), None) for v in args.videos]
    if not pairs:
        raise SemioscopeError("give at least one VIDEO or --manifest")
    out = Path(args.out)
    items = [_item(video, listed, not args.no_keypoints) for video, listed in pairs]
    options = BidsOptions(task=args.task, session=args.session, shift_days=args.shift_dates,
                          subject_map=_subject_map(args.subject_map, [i.recording for i in items], out),
                          hed=not args.no_hed, hard_link=not args.copy)
    total_mb = sum(Path(i.recording.video).stat().st_size for i in items) / 1e6
    with cli_progress("copying videos", total=round(total_mb, 1), unit="MB", leave=False) as progress:
        result = export_bids(items, out, options,
                             progress=lambda done, total, msg="": progress(round(done / 1e6, 1), round(total_mb, 1), msg))
    print(f"wrote BIDS dataset {out}: {len(result.recordings)} recording(s) of {len(result.subject_labels)} "
          f"subject(s), {len(result.files)} files")
    for ex in result.recordings:
        eeg = {"link": ", EEG events through the saved clock alignment",
               "start times": ", EEG events through the start times (no saved alignment)",
               "video": ", EEG events on the video's clock (no alignment, no start times)"}.get(ex.eeg_clock, "")
        print(f"  {ex.recording_id} -> {ex.name.stem()}{eeg}")
    refused = [f for f in result.files if validator_refusal(f)]
    for why in sorted({validator_refusal(f) or "" for f in refused}):
        n = sum(1 for f in refused if validator_refusal(f) == why)
        print(f"  {n} file(s) the bids-validator refuses: {why}")
    for note in result.notes:
        cli_log(f"semioscope export-bids: note: {note}")
    if args.shift_dates and any(i.recording.start_time and
                                i.recording.start_time.year - args.shift_dates / 365.25 > 1925 for i in items):
        cli_log("semioscope export-bids: warning: some shifted dates fall after 1925 (BIDS suggests 1925 or "
                "earlier so that shifted dates can't be mistaken for real ones)")
    return 0

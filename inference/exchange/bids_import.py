"""Read a BIDS dataset's events back into a recording manifest (the inverse of ``bids_export``).

For every ``sub-*/[ses-*/]beh/<name>_events.tsv``: the video beside it (``<name>_video.<ext>``),
its duration (``_video.json`` RecordingDuration), its start (the video's ``acq_time`` in the
session's scans.tsv, shown in its ``utc_offset`` when given), the EEG
(``eeg/<name>_eeg.edf``) when there is one, and the seizures: per ``seizure_id``, the
``eeg_onset`` and ``clinical_onset`` rows' onsets, the end from the ``seizure`` row's onset +
duration, its ``ilae_type`` and ``awareness``, and the ``sign:<term>`` rows (body part,
laterality). Events written by other tools without ``seizure_id`` give one seizure per
``seizure`` row (onset = both onsets). The recording id is ``sub-<sub>[_ses-<ses>]_run-<n>``
(``_task-<task>`` added when the dataset has more than one task), the subject id the label.
Errors name the file, the line and the problem.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from inference.core.errors import InputFileError
from inference.dataset.manifest import FBTC, NO_SEIZURE, UNKNOWN, Manifest, Recording, Seizure
from inference.dataset.semiology import SemiologySign, check_awareness, check_ilae_type, coarse_type, ordered
from inference.exchange.bids_names import (
    CLINICAL_ONSET,
    EEG_ONSET,
    SEIZURE,
    SIGN_PREFIX,
    VIDEO_SUFFIX,
    float_cell,
    parse_bids_datetime,
    read_tsv,
)

_STEM = re.compile(r"^sub-(?P<sub>[A-Za-z0-9]+)(?:_ses-(?P<ses>[A-Za-z0-9]+))?_task-(?P<task>[A-Za-z0-9]+)"
                   r"(?:_acq-[A-Za-z0-9]+)?(?:_run-(?P<run>\d+))?$")


@dataclass
class _Draft:
    """One seizure's rows while reading."""

    eeg_onset: float | None = None
    clinical_onset: float | None = None
    start: float | None = None
    end: float | None = None
    ilae_type: str = ""
    awareness: str = ""
    coarse: str = ""
    signs: list[SemiologySign] = field(default_factory=list)
    line: int = 0


def _seizures(path: Path) -> tuple[list[Seizure], list[str]]:
    """The seizures of one events.tsv and their coarse types (the ``value`` of seizure rows)."""
    rows = read_tsv(path, required=("onset", "duration", "trial_type"))
    drafts: dict[str, _Draft] = {}
    anonymous = 0
    for lineno, row in enumerate(rows, start=2):
        kind = row.get("trial_type", "")
        if kind not in (SEIZURE, EEG_ONSET, CLINICAL_ONSET) and not kind.startswith(SIGN_PREFIX):
            continue  # detections and other tools' events
        onset = float_cell(row, "onset", path, lineno)
        if onset is None:
            raise InputFileError(path, f"line {lineno}: {kind} row without an onset")
        sid = row.get("seizure_id", "")
        if not sid:
            if kind != SEIZURE:
                continue  # an onset or sign of no known seizure
            anonymous += 1
            sid = f"#{anonymous}"
        d = drafts.setdefault(sid, _Draft(line=lineno))
        try:
            if kind == SEIZURE:
                duration = float_cell(row, "duration", path, lineno)
                d.start, d.end = onset, (None if duration is None else onset + duration)
                d.ilae_type = check_ilae_type(row.get("ilae_type"))
                d.awareness = check_awareness(row.get("awareness"))
                d.coarse = row.get("value", "")
            elif kind == EEG_ONSET:
                d.eeg_onset = onset
            elif kind == CLINICAL_ONSET:
                d.clinical_onset = onset
            else:
                d.signs.append(SemiologySign(f"g{len(d.signs) + 1}", kind[len(SIGN_PREFIX):], onset,
                                             row.get("body_part", ""), row.get("laterality", "")))
        except ValueError as exc:
            raise InputFileError(path, f"line {lineno}: {exc}") from None
    seizures, types = [], []
    for sid, d in drafts.items():
        eeg = d.eeg_onset if d.eeg_onset is not None else (d.start if d.start is not None else d.clinical_onset)
        clin = d.clinical_onset if d.clinical_onset is not None else eeg
        if eeg is None:
            raise InputFileError(path, f"line {d.line}: seizure {sid!r} has neither an onset nor a seizure row")
        # Keep the file's millisecond values exact (the sum onset + duration can add float noise).
        end = None if d.end is None else round(d.end, 6)
        signs = ordered(SemiologySign(f"g{k}", g.term, g.time_s, g.body_part, g.laterality)
                        for k, g in enumerate(sorted(d.signs, key=lambda g: g.time_s), start=1))
        seizures.append(Seizure(eeg, clin, end, d.ilae_type, d.awareness, signs))
        types.append(d.coarse or coarse_type(d.ilae_type) or UNKNOWN)
    order = sorted(range(len(seizures)), key=lambda k: seizures[k].eeg_onset_s)
    return [seizures[k] for k in order], [types[k] for k in order]


def _scans(session_dir: Path, prefix: str) -> dict[str, dict[str, str]]:
    path = session_dir / f"{prefix}_scans.tsv"
    if not path.is_file():
        return {}
    return {r["filename"].replace("\\", "/"): r for r in read_tsv(path, required=("filename",))}


def _start_time(scans: dict[str, dict[str, str]], rel: str, where: Path) -> datetime | None:
    row = scans.get(rel)
    if row is None:
        return None
    try:
        return parse_bids_datetime(row.get("acq_time", ""), row.get("utc_offset", ""))
    except ValueError as exc:
        raise InputFileError(where, f"{rel}: acq_time {row.get('acq_time')!r}: {exc}") from None


def _duration(video: Path) -> float | None:
    sidecar = video.with_suffix(".json")
    if not sidecar.is_file():
        return None
    try:
        value = json.loads(sidecar.read_text("utf-8")).get("RecordingDuration")
    except (json.JSONDecodeError, AttributeError) as exc:
        raise InputFileError(sidecar, f"invalid JSON ({exc})") from None
    return float(value) if isinstance(value, (int, float)) else None


def import_bids(dataset: str | Path) -> Manifest:
    """The recordings of a BIDS dataset with their seizure labels (absolute paths)."""
    root = Path(dataset)
    if not root.is_dir():
        raise InputFileError(root, "BIDS dataset folder not found" if not root.exists() else "is not a folder")
    if not (root / "dataset_description.json").is_file():
        raise InputFileError(root, "not a BIDS dataset (no dataset_description.json)")
    found = []
    for events in sorted(root.glob("sub-*/**/beh/*_events.tsv")):
        m = _STEM.match(events.name[:-len("_events.tsv")])
        if m is None:
            raise InputFileError(events, "file name is not sub-<label>[_ses-<label>]_task-<label>[_run-<n>]_events.tsv")
        found.append((events, m))
    if not found:
        raise InputFileError(root, "holds no sub-*/beh/*_events.tsv (nothing exported by export-bids)")
    tasks = {m["task"] for _, m in found}
    recordings = []
    for events, m in found:
        stem = events.name[:-len("_events.tsv")]
        videos = [p for p in events.parent.glob(f"{stem}_{VIDEO_SUFFIX}.*") if p.suffix.lower() != ".json"]
        if not videos:
            raise InputFileError(events, f"no video beside it ({stem}_{VIDEO_SUFFIX}.<ext>)")
        video = videos[0]
        session_dir = events.parent.parent
        prefix = f"sub-{m['sub']}" + (f"_ses-{m['ses']}" if m["ses"] else "")
        scans = _scans(session_dir, prefix)
        start = _start_time(scans, f"beh/{video.name}", session_dir / f"{prefix}_scans.tsv")
        eeg = session_dir / "eeg" / f"{stem}_eeg.edf"
        seizures, types = _seizures(events)
        stype = NO_SEIZURE if not seizures else (FBTC if FBTC in types else types[0])
        rid = prefix + (f"_task-{m['task']}" if len(tasks) > 1 else "") + (f"_run-{m['run']}" if m["run"] else "")
        recordings.append(Recording(rid, m["sub"], video.resolve(), stype, tuple(seizures), _duration(video), start,
                                    eeg.resolve() if eeg.is_file() else None))
    return Manifest(recordings)


__all__ = ["import_bids"]

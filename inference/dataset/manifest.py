"""Recording manifests (CSV or JSON): which videos, which subject, which seizures when.

CSV: one row per seizure; a recording without seizures has one row with empty onset columns.
Columns: ``recording_id, subject_id, video, seizure_type, eeg_onset_s, clinical_onset_s, end_s``
(optional: ``duration_s``; ``start_time``, the recording's wall-clock start in ISO 8601 with a time
zone; ``eeg``, the EEG file (EDF, EDF+ or BDF) recorded with the video). ``video`` and ``eeg`` are
relative to the manifest.

JSON: ``{"format": "semioscope.manifest", "version": 1, "recordings": [{"recording_id": ...,
"subject_id": ..., "video": ..., "seizure_type": ..., "duration_s": ..., "start_time": ...,
"eeg": ..., "seizures":
[{"eeg_onset_s": ..., "clinical_onset_s": ..., "end_s": ...}]}]}``.

Parsing errors raise :class:`ManifestError` naming the file, the row and the problem.
Semantic checks (videos exist, times in range, onset order, duplicates) are in
:func:`inference.manifest_checks.check_manifest`.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Optional

from inference.core.atomic import atomic_write_text
from inference.core.errors import ManifestError
from inference.core.wall_clock import format_start_time, parse_start_time
from inference.dataset.semiology import (
    SemiologySign,
    check_awareness,
    check_ilae_type,
    ordered,
    signs_from_text,
    signs_to_text,
)
from inference.video.cameras import MAX_CAMERAS, CameraFile

MANIFEST_FORMAT = "semioscope.manifest"
MANIFEST_VERSION = 1

# Seizure types. P (focal) and PG (focal to bilateral tonic-clonic) in the WU-SAHZU dataset.
FOCAL = "focal"
FBTC = "fbtc"
UNKNOWN = "unknown"  # a seizure whose type nobody has chosen yet: still a seizure for the labels
NO_SEIZURE = "none"
SEIZURE_TYPES = (FOCAL, FBTC, UNKNOWN, NO_SEIZURE)
_TYPE_ALIASES = {
    "p": FOCAL, "focal": FOCAL, "fs": FOCAL,
    "pg": FBTC, "fbtc": FBTC, "focal_to_bilateral": FBTC, "focal-to-bilateral tonic-clonic": FBTC,
    "focal to bilateral tonic-clonic": FBTC, "gtcs": FBTC, "tonic-clonic": FBTC,
    "unknown": UNKNOWN, "?": UNKNOWN,
    "": NO_SEIZURE, "none": NO_SEIZURE, "no": NO_SEIZURE,
}

CSV_COLUMNS = ("recording_id", "subject_id", "video", "seizure_type",
               "eeg_onset_s", "clinical_onset_s", "end_s", "duration_s")
CLOCK_COLUMNS = ("start_time", "eeg")  # written only when some recording has them
SEMIOLOGY_COLUMNS = ("ilae_type", "awareness", "semiology")  # written only when some seizure has them


def normalise_seizure_type(value: Any) -> str:
    key = str(value or "").strip().lower()
    if key in _TYPE_ALIASES:
        return _TYPE_ALIASES[key]
    raise ValueError(f"unknown seizure type {value!r} (expected one of: focal/P, fbtc/PG, unknown, none)")


@dataclass(frozen=True)
class Seizure:
    """One seizure; times in seconds from video start. ``end_s`` may be unknown (None).
    Semiology (``inference.dataset.semiology``): ``ilae_type``, ``awareness`` ("" = not given)
    and the ordered ``signs``."""

    eeg_onset_s: float
    clinical_onset_s: float
    end_s: Optional[float] = None
    ilae_type: str = ""
    awareness: str = ""
    signs: tuple[SemiologySign, ...] = ()

    @property
    def has_semiology(self) -> bool:
        return bool(self.ilae_type or self.awareness or self.signs)

    def to_dict(self) -> dict[str, Any]:
        d = {"eeg_onset_s": self.eeg_onset_s, "clinical_onset_s": self.clinical_onset_s, "end_s": self.end_s}
        if self.has_semiology:  # old manifests (and their content hashes) stay as they were
            d.update(ilae_type=self.ilae_type, awareness=self.awareness, signs=[g.to_dict() for g in self.signs])
        return d


@dataclass(frozen=True)
class Recording:
    """One video of one subject. ``video`` is an absolute path (resolved against the manifest)."""

    recording_id: str
    subject_id: str
    video: Path
    seizure_type: str = NO_SEIZURE
    seizures: tuple[Seizure, ...] = ()
    duration_s: Optional[float] = None  # known duration, if the manifest states it
    start_time: Optional[datetime] = None  # wall-clock time of the video's start (aware)
    eeg: Optional[Path] = None  # the EEG file recorded with the video (absolute)
    cameras: tuple[CameraFile, ...] = ()  # the other cameras (JSON manifests only)

    def with_seizures(self, seizures: Iterable[Seizure]) -> "Recording":
        return replace(self, seizures=tuple(sorted(seizures, key=lambda s: s.eeg_onset_s)))


@dataclass
class Manifest:
    recordings: list[Recording] = field(default_factory=list)
    path: Optional[Path] = None  # where it was read from / written to

    def __iter__(self):
        return iter(self.recordings)

    def __len__(self) -> int:
        return len(self.recordings)

    @property
    def subjects(self) -> list[str]:
        return sorted({r.subject_id for r in self.recordings})

    def by_id(self, recording_id: str) -> Recording:
        for r in self.recordings:
            if r.recording_id == recording_id:
                return r
        raise KeyError(recording_id)

    def content_hash(self) -> str:
        """Hash of the manifest's content (ids, subjects, file names, onsets), for run provenance."""
        rows = [(r.recording_id, r.subject_id, r.video.name, r.seizure_type,
                 [s.to_dict() for s in r.seizures]) for r in self.recordings]
        return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()[:16]


# -- reading -----------------------------------------------------------------------------------

def _float_or_none(value: Any, where: str, path: Path, column: str) -> Optional[float]:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        v = float(value)
    else:
        text = str(value).strip()
        if text == "" or text.lower() in ("na", "nan", "none", "null", "-"):
            return None
        try:
            v = float(text)
        except ValueError:
            raise ManifestError(path, f"{where}: {column} = {text!r} is not a number of seconds") from None
    if not math.isfinite(v):
        return None
    return v


def _semiology(ilae, awareness, signs, where: str, path: Path) -> dict[str, Any]:
    """The optional semiology fields; ``signs`` is a list of dicts (JSON) or text (CSV)."""
    try:
        if isinstance(signs, list):
            parsed = ordered(SemiologySign.from_dict(g) if isinstance(g, dict) else g for g in signs)
        else:
            parsed = signs_from_text(signs or "")
        return {"ilae_type": check_ilae_type(ilae), "awareness": check_awareness(awareness), "signs": parsed}
    except (ValueError, KeyError, TypeError) as exc:
        raise ManifestError(path, f"{where}: semiology: {exc}") from None


def _seizure(eeg, clin, end, where: str, path: Path, semiology: Optional[dict] = None) -> Optional[Seizure]:
    eeg_v = _float_or_none(eeg, where, path, "eeg_onset_s")
    clin_v = _float_or_none(clin, where, path, "clinical_onset_s")
    end_v = _float_or_none(end, where, path, "end_s")
    if eeg_v is None and clin_v is None:
        if end_v is not None:
            raise ManifestError(path, f"{where}: end_s given without any onset")
        return None
    # One onset alone: use it for both (the other is unknown), as annotators sometimes do.
    if eeg_v is None:
        eeg_v = clin_v
    if clin_v is None:
        clin_v = eeg_v
    return Seizure(float(eeg_v), float(clin_v), end_v, **(semiology or {}))


def _start_time(value: Any, where: str, path: Path) -> Optional[datetime]:
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    try:
        return parse_start_time(text)
    except ValueError as exc:
        raise ManifestError(path, f"{where}: start_time: {exc}") from None


def _optional_path(base: Path, value: Any) -> Optional[Path]:
    text = "" if value is None else str(value).strip()
    return _resolve_video(base, text) if text else None


def _resolve_video(base: Path, video: str) -> Path:
    p = Path(os.path.expanduser(video))
    return p if p.is_absolute() else (base / p)


def _read_csv(path: Path) -> Manifest:
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        raise ManifestError(path, "empty manifest (no header row)")
    fields = [f.strip() for f in reader.fieldnames]
    missing = [c for c in ("recording_id", "subject_id", "video") if c not in fields]
    if missing:
        raise ManifestError(path, f"missing column(s) {', '.join(missing)}; found columns: {', '.join(fields)}")
    order: list[str] = []
    rows: dict[str, dict[str, Any]] = {}
    for lineno, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() if isinstance(v, str) else v for k, v in raw.items()}
        where = f"line {lineno}"
        rid = row.get("recording_id", "")
        if not rid:
            raise ManifestError(path, f"{where}: empty recording_id")
        if not row.get("video"):
            raise ManifestError(path, f"{where}: empty video path for recording {rid!r}")
        if not row.get("subject_id"):
            raise ManifestError(path, f"{where}: empty subject_id for recording {rid!r}")
        try:
            stype = normalise_seizure_type(row.get("seizure_type", ""))
        except ValueError as exc:
            raise ManifestError(path, f"{where}: {exc}") from None
        sz = _seizure(row.get("eeg_onset_s"), row.get("clinical_onset_s"), row.get("end_s"), where, path,
                      _semiology(row.get("ilae_type"), row.get("awareness"), row.get("semiology"), where, path))
        duration = _float_or_none(row.get("duration_s"), where, path, "duration_s")
        start = _start_time(row.get("start_time"), where, path)
        eeg = _optional_path(path.parent, row.get("eeg"))
        if rid not in rows:
            order.append(rid)
            rows[rid] = {"subject_id": row["subject_id"], "video": row["video"], "seizure_type": stype,
                         "seizures": [], "duration_s": duration, "line": lineno, "start_time": start, "eeg": eeg}
        else:
            prev = rows[rid]
            if prev["video"] != row["video"] or prev["subject_id"] != row["subject_id"]:
                raise ManifestError(path, f"{where}: duplicate recording_id {rid!r} (first on line "
                                          f"{prev['line']}) with a different video or subject")
            if stype != NO_SEIZURE:
                prev["seizure_type"] = stype
            prev["start_time"] = prev["start_time"] or start
            prev["eeg"] = prev["eeg"] or eeg
        if sz is not None:
            rows[rid]["seizures"].append(sz)
    recs = []
    for rid in order:
        r = rows[rid]
        recs.append(Recording(rid, r["subject_id"], _resolve_video(path.parent, r["video"]), r["seizure_type"],
                              tuple(sorted(r["seizures"], key=lambda s: s.eeg_onset_s)), r["duration_s"],
                              r["start_time"], r["eeg"]))
    return Manifest(recs, path)


def _read_json(path: Path) -> Manifest:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ManifestError(path, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    if isinstance(data, list):
        items = data
    elif isinstance(data, dict) and isinstance(data.get("recordings"), list):
        if data.get("format", MANIFEST_FORMAT) != MANIFEST_FORMAT:
            raise ManifestError(path, f"format is {data.get('format')!r}, expected {MANIFEST_FORMAT!r}")
        items = data["recordings"]
    else:
        raise ManifestError(path, "expected a list of recordings or an object with a 'recordings' list")
    recs = []
    seen: dict[str, int] = {}
    for k, item in enumerate(items):
        where = f"recording #{k + 1}"
        if not isinstance(item, dict):
            raise ManifestError(path, f"{where}: expected an object, got {type(item).__name__}")
        for key in ("recording_id", "subject_id", "video"):
            if not str(item.get(key, "")).strip():
                raise ManifestError(path, f"{where}: missing {key}")
        rid = str(item["recording_id"])
        if rid in seen:
            raise ManifestError(path, f"{where}: duplicate recording_id {rid!r} (also recording #{seen[rid] + 1})")
        seen[rid] = k
        where = f"recording {rid!r}"
        try:
            stype = normalise_seizure_type(item.get("seizure_type", ""))
        except ValueError as exc:
            raise ManifestError(path, f"{where}: {exc}") from None
        seizures = []
        raw_seizures = item.get("seizures", [])
        if not isinstance(raw_seizures, list):
            raise ManifestError(path, f"{where}: 'seizures' must be a list")
        # Flat single-seizure form is accepted too.
        if not raw_seizures and ("eeg_onset_s" in item or "clinical_onset_s" in item):
            raw_seizures = [item]
        for j, s in enumerate(raw_seizures):
            if not isinstance(s, dict):
                raise ManifestError(path, f"{where}, seizure #{j + 1}: expected an object")
            sw = f"{where}, seizure #{j + 1}"
            sz = _seizure(s.get("eeg_onset_s"), s.get("clinical_onset_s"), s.get("end_s"), sw, path,
                          _semiology(s.get("ilae_type"), s.get("awareness"), s.get("signs") or [], sw, path))
            if sz is not None:
                seizures.append(sz)
        duration = _float_or_none(item.get("duration_s"), where, path, "duration_s")
        cams = item.get("cameras") or []
        if not isinstance(cams, list) or len(cams) > MAX_CAMERAS - 1:
            raise ManifestError(path, f"{where}: 'cameras' must be a list of at most {MAX_CAMERAS - 1} other cameras")
        cameras = tuple(replace(CameraFile.from_dict(c, path.parent, f"{where}, camera #{j + 1}", path),
                                source="manifest") for j, c in enumerate(cams))
        recs.append(Recording(rid, str(item["subject_id"]), _resolve_video(path.parent, str(item["video"])),
                              stype, tuple(sorted(seizures, key=lambda s: s.eeg_onset_s)), duration,
                              _start_time(item.get("start_time"), where, path),
                              _optional_path(path.parent, item.get("eeg")), cameras))
    return Manifest(recs, path)


def load_manifest(path: str | Path) -> Manifest:
    """Read a CSV or JSON manifest. Raises ManifestError naming the file and the problem."""
    path = Path(path)
    if not path.exists():
        raise ManifestError(path, "manifest file not found")
    if path.is_dir():
        raise ManifestError(path, "is a folder; give the manifest file (manifest.csv or manifest.json)")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return _read_csv(path)
        if suffix == ".json":
            return _read_json(path)
    except UnicodeDecodeError:
        raise ManifestError(path, "not a text file (cannot decode as UTF-8)") from None
    raise ManifestError(path, f"unknown manifest extension {suffix!r} (use .csv or .json)")


# -- writing -----------------------------------------------------------------------------------

def _relative(target: Path, base: Path) -> str:
    try:
        return os.path.relpath(target, base)
    except ValueError:  # different drive on Windows
        return str(target)


def _relative_video(rec: Recording, base: Path) -> str:
    return _relative(rec.video, base)


def _clock_fields(rec: Recording, base: Path) -> dict[str, Optional[str]]:
    return {"start_time": format_start_time(rec.start_time) if rec.start_time is not None else None,
            "eeg": _relative(rec.eeg, base) if rec.eeg is not None else None}


def manifest_to_json(manifest: Manifest, base: Path) -> dict[str, Any]:
    return {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "recordings": [
            {"recording_id": r.recording_id, "subject_id": r.subject_id, "video": _relative_video(r, base),
             "seizure_type": r.seizure_type, "duration_s": r.duration_s,
             **{k: v for k, v in _clock_fields(r, base).items() if v is not None},
             **({"cameras": [c.to_dict(base) for c in r.cameras]} if r.cameras else {}),
             "seizures": [s.to_dict() for s in r.seizures]}
            for r in manifest.recordings
        ],
    }


def manifest_to_csv(manifest: Manifest, base: Path) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    clock = any(r.start_time is not None or r.eeg is not None for r in manifest.recordings)
    semiology = any(s.has_semiology for r in manifest.recordings for s in r.seizures)
    w.writerow(CSV_COLUMNS + (CLOCK_COLUMNS if clock else ()) + (SEMIOLOGY_COLUMNS if semiology else ()))

    def fmt(v: Optional[float]) -> str:
        return "" if v is None else f"{v:.3f}"

    for r in manifest.recordings:
        video = _relative_video(r, base)
        extra = [v or "" for v in _clock_fields(r, base).values()] if clock else []
        if not r.seizures:
            w.writerow([r.recording_id, r.subject_id, video, r.seizure_type, "", "", "", fmt(r.duration_s)] + extra
                       + (["", "", ""] if semiology else []))
        for s in r.seizures:
            sem = [s.ilae_type, s.awareness, signs_to_text(s.signs)] if semiology else []
            w.writerow([r.recording_id, r.subject_id, video, r.seizure_type, fmt(s.eeg_onset_s),
                        fmt(s.clinical_onset_s), fmt(s.end_s), fmt(r.duration_s)] + extra + sem)
    return buf.getvalue()


def save_manifest(manifest: Manifest, path: str | Path) -> Path:
    """Write atomically as CSV or JSON (by extension); video paths are made relative to ``path``."""
    path = Path(path)
    base = path.parent.resolve()
    if path.suffix.lower() == ".json":
        atomic_write_text(path, json.dumps(manifest_to_json(manifest, base), indent=2) + "\n")
    elif path.suffix.lower() == ".csv":
        atomic_write_text(path, manifest_to_csv(manifest, base))
    else:
        raise ManifestError(path, "manifest must end in .csv or .json")
    manifest.path = path
    return path

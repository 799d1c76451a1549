"""Importer for the public WU-SAHZU EMU video dataset (VSViG) into a recording manifest.

Layout::

    DIR/                      (or DIR/dataset/)
      Label.xlsx              one row per seizure: patient, seizure number, EEG onset, clinical onset
      pat01/Sz1P.mp4          P  = focal seizure
      pat01/Sz2PG.mp4         PG = focal to bilateral tonic-clonic
      pat02/...

Each video holds one seizure. Recording ids are ``pat01_Sz1``, subjects ``pat01``.

The workbook's exact headers are not fixed, so columns are found by keywords (case-insensitive):
patient (``pat``, ``patient``, ``subject``), seizure (``seizure``, ``sz``, ``#``), EEG onset
(``eeg``), clinical onset (``clinical``/``clin``), optionally seizure end (``end``, ``offset``).
Times may be seconds (numbers), ``mm:ss``, ``hh:mm:ss`` or Excel time cells. Blank patient
cells (merged cells) take the patient of the row above.

A video without a label row is left out with a warning: it holds a seizure at an unknown time,
so keeping it as seizure-free would teach the model that seizures are interictal. Label rows
without a video are reported as warnings too.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from inference.core.errors import ManifestError
from inference.dataset.manifest import FBTC, FOCAL, Manifest, Recording, Seizure, save_manifest

log = logging.getLogger(__name__)

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".m4v")
_PATIENT_DIR = re.compile(r"^pat(?:ient)?[_\- ]?0*(\d+)$", re.IGNORECASE)
_VIDEO_NAME = re.compile(r"^sz[_\- ]?0*(\d+)[_\- ]?(pg|p)$", re.IGNORECASE)
_TYPE_BY_SUFFIX = {"p": FOCAL, "pg": FBTC}


@dataclass(frozen=True)
class EmuVideo:
    patient: int
    seizure: int
    seizure_type: str
    path: Path

    @property
    def subject_id(self) -> str:
        return f"pat{self.patient:02d}"

    @property
    def recording_id(self) -> str:
        return f"{self.subject_id}_Sz{self.seizure}"


@dataclass(frozen=True)
class EmuLabel:
    patient: int
    seizure: int
    eeg_onset_s: Optional[float]
    clinical_onset_s: Optional[float]
    end_s: Optional[float]
    row: int  # 1-based worksheet row, for messages


# -- the folder ---------------------------------------------------------------------------------

def _dataset_root(dataset_dir: Path) -> Path:
    """``DIR`` itself, or ``DIR/dataset`` as in the published archive."""
    def has_patients(d: Path) -> bool:
        return d.is_dir() and any(_PATIENT_DIR.match(c.name) for c in d.iterdir() if c.is_dir())

    if not dataset_dir.is_dir():
        raise ManifestError(dataset_dir, "dataset folder not found")
    for cand in (dataset_dir, dataset_dir / "dataset"):
        if has_patients(cand):
            return cand
    raise ManifestError(dataset_dir, "no patient folders (patNN/) found; expected the WU-SAHZU layout "
                                     "patNN/Sz{k}{P|PG}.mp4 plus Label.xlsx")


def find_videos(root: Path, on_warning: Callable[[str], None]) -> list[EmuVideo]:
    videos: dict[tuple[int, int], EmuVideo] = {}
    for pdir in sorted(root.iterdir()):
        m = _PATIENT_DIR.match(pdir.name)
        if not (pdir.is_dir() and m):
            continue
        for f in sorted(pdir.iterdir()):
            if f.suffix.lower() not in VIDEO_EXTENSIONS:
                continue
            vm = _VIDEO_NAME.match(f.stem)
            if not vm:
                on_warning(f"{f}: skipped, name is not Sz{{k}}P or Sz{{k}}PG")
                continue
            v = EmuVideo(int(m.group(1)), int(vm.group(1)), _TYPE_BY_SUFFIX[vm.group(2).lower()], f)
            key = (v.patient, v.seizure)
            if key in videos:
                raise ManifestError(f, f"second video for {v.recording_id} (also {videos[key].path.name})")
            videos[key] = v
    return sorted(videos.values(), key=lambda v: (v.patient, v.seizure))


def find_label_file(root: Path, dataset_dir: Path) -> Path:
    for d in dict.fromkeys((root, dataset_dir, root.parent)):
        hits = sorted(p for p in d.glob("*.xlsx") if p.stem.lower().startswith("label") and not p.name.startswith("~$"))
        if hits:
            return hits[0]
    raise ManifestError(root / "Label.xlsx", "label workbook not found (expected Label.xlsx beside the patNN folders)")


# -- the workbook -------------------------------------------------------------------------------

def _norm(header: Any) -> str:
    return re.sub(r"[^a-z0-9#]+", " ", str(header or "").lower()).strip()


def _is_patient(h: str) -> bool:
    return (bool(re.search(r"pat|subj", h)) or h in ("id", "name")) and "onset" not in h


def _is_seizure(h: str) -> bool:
    words = ("onset", "eeg", "clin", "type", "end", "offset", "duration", "pat", "subj")
    return bool(re.search(r"seizure|\bsz|#|video|file", h)) and not any(w in h for w in words)


def _is_eeg(h: str) -> bool:
    return "eeg" in h and not re.search(r"\bend\b|offset|termination", h)


def _is_clinical(h: str) -> bool:
    return "clin" in h and not re.search(r"\bend\b|offset|termination", h)


def _is_end(h: str) -> bool:
    return bool(re.search(r"\bend\b|offset|termination", h))


_MATCHERS = {"patient": _is_patient, "seizure": _is_seizure, "eeg": _is_eeg, "clinical": _is_clinical}


def _match_columns(headers: list[str]) -> tuple[dict[str, int], list[str]]:
    """Column index per role (first matching header), and the roles left unmatched."""
    norm = [_norm(h) for h in headers]
    cols: dict[str, int] = {}
    for role, test in _MATCHERS.items():
        for j, h in enumerate(norm):
            if h and j not in cols.values() and test(h):
                cols[role] = j
                break
    for j, h in enumerate(norm):
        if h and j not in cols.values() and _is_end(h):
            cols["end"] = j
            break
    missing = [r for r in _MATCHERS if r not in cols]
    return cols, missing


def parse_label_time(value: Any) -> Optional[float]:
    """Seconds from a number, an Excel time/timedelta, or text ``ss``, ``mm:ss``, ``hh:mm:ss``.
    Raises ValueError on anything else; None for a blank cell."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("a boolean is not a time")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, dt.datetime):  # Excel durations over a day come back as dates from 1899-12-30
        if value.year < 1901:
            return (value - dt.datetime(1899, 12, 30)).total_seconds()
        value = value.time()
    if isinstance(value, dt.time):
        return value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    text = str(value).strip().lower()
    if text in ("", "-", "na", "n/a", "none", "nan"):
        return None
    text = re.sub(r"\s*(s|sec|secs|seconds)$", "", text)
    parts = text.split(":")
    if 1 <= len(parts) <= 3 and all(re.fullmatch(r"\d+(\.\d+)?", p.strip()) for p in parts):
        total = 0.0
        for p in parts:
            total = total * 60 + float(p)
        return total
    raise ValueError(f"{value!r} is not a time (use seconds, mm:ss or hh:mm:ss)")


def _number(value: Any, prefix: str) -> Optional[int]:
    """The integer in ``value``: 3, '3', 'pat03', 'Pat3', 'Sz3'."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value) if float(value).is_integer() else None
    text = str(value).strip().lower()
    m = re.search(rf"{prefix}\D*?0*(\d+)", text) or re.fullmatch(r"\D*?0*(\d+)\D*", text)
    return int(m.group(1)) if m else None


def read_labels(path: Path) -> list[EmuLabel]:
    """Rows of the label workbook (first sheet whose headers match)."""
    try:
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ManifestError(path, f"cannot read the workbook: {exc}") from None
    try:
        found: list[str] = []  # the headers that came closest, for the message
        best = -1
        for ws in wb.worksheets:
            rows = list(ws.iter_rows(values_only=True))
            for h_idx, header in enumerate(rows[:10]):  # title rows may sit above the header
                headers = ["" if h is None else str(h) for h in header]
                if not any(h.strip() for h in headers):
                    continue
                cols, missing = _match_columns(headers)
                if not missing:
                    return _parse_rows(path, rows, h_idx, cols)
                if len(_MATCHERS) - len(missing) > best:
                    best, found = len(_MATCHERS) - len(missing), [h for h in headers if h.strip()]
        raise ManifestError(path, "cannot match the label columns (need patient, seizure, EEG onset and "
                                  f"clinical onset); headers found: {', '.join(repr(h) for h in found) or 'none'}")
    finally:
        wb.close()


def _parse_rows(path: Path, rows: list[tuple], h_idx: int, cols: dict[str, int]) -> list[EmuLabel]:
    labels: list[EmuLabel] = []
    patient: Optional[int] = None
    for i, row in enumerate(rows[h_idx + 1:], start=h_idx + 2):
        cell = lambda role: row[cols[role]] if role in cols and cols[role] < len(row) else None  # noqa: E731
        if all(v is None or str(v).strip() == "" for v in row):
            continue
        raw_p, raw_s = cell("patient"), cell("seizure")
        if raw_p is not None and str(raw_p).strip():
            patient = _number(raw_p, "pat")
            if patient is None:
                raise ManifestError(path, f"row {i}: patient {raw_p!r} has no patient number")
        if patient is None:
            raise ManifestError(path, f"row {i}: no patient given")
        seizure = _number(raw_s, "sz")
        if seizure is None:
            if raw_s is None or str(raw_s).strip() == "":
                continue  # a note or summary row under the table
            raise ManifestError(path, f"row {i}: seizure {raw_s!r} has no seizure number")
        times = {}
        for role in ("eeg", "clinical", "end"):
            try:
                times[role] = parse_label_time(cell(role))
            except ValueError as exc:
                raise ManifestError(path, f"row {i}: {role} column: {exc}") from None
        labels.append(EmuLabel(patient, seizure, times["eeg"], times["clinical"], times["end"], i))
    return labels


# -- putting it together ------------------------------------------------------------------------

def import_emu(dataset_dir: str | Path, out_path: str | Path | None = None,
               on_warning: Optional[Callable[[str], None]] = None) -> Manifest:
    """Build (and with ``out_path``, write) the manifest of a WU-SAHZU dataset folder.

    Warnings (a video without a label row, which is left out; a label row without a video; a
    skipped file) go to ``on_warning`` (default: the logger). Problems that make the import
    meaningless raise ManifestError naming the file.
    """
    warn = on_warning or log.warning
    dataset_dir = Path(dataset_dir)
    root = _dataset_root(dataset_dir)
    videos = find_videos(root, warn)
    label_path = find_label_file(root, dataset_dir)
    labels: dict[tuple[int, int], EmuLabel] = {}
    for lab in read_labels(label_path):
        key = (lab.patient, lab.seizure)
        prev = labels.get(key)
        if prev is not None and (prev.eeg_onset_s, prev.clinical_onset_s, prev.end_s) != (
                lab.eeg_onset_s, lab.clinical_onset_s, lab.end_s):
            raise ManifestError(label_path, f"rows {prev.row} and {lab.row}: two different labels for "
                                            f"pat{lab.patient:02d} seizure {lab.seizure}")
        labels.setdefault(key, lab)
    recs: list[Recording] = []
    for v in videos:
        lab = labels.get((v.patient, v.seizure))
        if lab is None or (lab.eeg_onset_s is None and lab.clinical_onset_s is None):
            warn(f"{v.path}: no onset in {label_path.name} for {v.recording_id}; left out of the manifest")
            continue
        eeg = lab.eeg_onset_s if lab.eeg_onset_s is not None else lab.clinical_onset_s
        clin = lab.clinical_onset_s if lab.clinical_onset_s is not None else lab.eeg_onset_s
        recs.append(Recording(v.recording_id, v.subject_id, v.path, v.seizure_type,
                              (Seizure(float(eeg), float(clin), lab.end_s),)))
    have = {(v.patient, v.seizure) for v in videos}
    for key, lab in sorted(labels.items()):
        if key not in have:
            warn(f"{label_path}: row {lab.row} labels pat{key[0]:02d} seizure {key[1]}, which has no video")
    if not recs:
        raise ManifestError(dataset_dir, f"no labelled videos found ({len(videos)} video(s), "
                                         f"{len(labels)} label row(s) in {label_path.name})")
    manifest = Manifest(recs)
    if out_path is not None:
        save_manifest(manifest, out_path)
    return manifest

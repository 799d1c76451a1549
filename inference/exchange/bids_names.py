"""What the BIDS export and import share: entity labels and file names, the events.tsv columns
and trial types, TSV reading and writing, and BIDS date-times.

BIDS labels are alphanumeric (``sub-01``, ``task-emu``); file names follow the entity order
``sub-<label>[_ses-<label>]_task-<label>[_tracksys-<label>][_run-<index>]_<suffix>.<ext>``.
BIDS date-times are ``YYYY-MM-DDThh:mm:ss[.000000][Z]``: no zone offset, so the export writes
UTC with ``Z`` and keeps the recording's own offset in a ``utc_offset`` column of scans.tsv.

What the Python ``bids-validator`` (1.14.7) says about an export, file by file
(``BIDSValidator().is_bids(path)``; see ``VALIDATOR_REFUSED``):

- accepted: ``dataset_description.json``, ``participants.tsv``/``.json``, ``README``, ``scans.json``,
  ``sub-*/[ses-*/]sub-*_scans.tsv``, ``beh/*_events.tsv``/``.json``, ``eeg/*_eeg.edf``,
  ``eeg/*_eeg.json``, ``eeg/*_channels.tsv``, ``eeg/*_events.tsv``/``.json``,
  ``motion/*_tracksys-video_*_motion.tsv``/``_motion.json``/``_channels.tsv``.
- refused: ``beh/*_video.<ext>`` and ``beh/*_video.json``: the validator's ``beh`` rule allows only
  the suffixes ``_beh``, ``_events``, ``_physio`` and ``_stim``; ``_video`` is BEP047's proposal, not
  in the released specification. ``.bidsignore`` (which lists ``*_video.*`` so that the full
  validator skips them) is in the specification but not in this package's rules.
- not checked at all: file contents. The package matches paths against regular expressions: it
  does not read events.tsv columns, JSON sidecar fields, acq_time formats, EDF headers, HED
  tags, that onsets fall inside the recording, nor that the required top-level files exist.
"""
from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from inference.core.errors import InputFileError

BIDS_VERSION = "1.10.0"
DEFAULT_TASK = "emu"  # epilepsy monitoring unit: the whole recording is one "task"
TRACKSYS = "video"  # Motion-BIDS tracking system of positions computed from the video
NA = "n/a"

# events.tsv: onset and duration first (BIDS), then the rest in this order.
EVENT_COLUMNS = ("onset", "duration", "trial_type", "value", "seizure_id", "ilae_type", "awareness",
                 "body_part", "laterality", "reviewer", "source")
HED_COLUMN = "HED"

EEG_ONSET = "eeg_onset"
CLINICAL_ONSET = "clinical_onset"
SEIZURE = "seizure"
SIGN_PREFIX = "sign:"
DETECTION_CONFIRMED = "detection_confirmed"
DETECTION_REJECTED = "detection_rejected"
SEIZURE_TRIAL_TYPES = (EEG_ONSET, CLINICAL_ONSET, SEIZURE)

VIDEO_SUFFIX = "video"  # BEP047 (proposal)

#: The files of an export that ``BIDSValidator().is_bids`` refuses, as path patterns, with why.
VALIDATOR_REFUSED = {
    r"/beh/[^/]+_video\.[a-z0-9]+$": "BEP047 '_video' suffix: not in the released BIDS 'beh' rule "
                                     "(which allows _beh, _events, _physio, _stim only)",
    r"^/\.bidsignore$": "in the BIDS specification, but not among the Python bids-validator's rules",
}


def validator_refusal(path: str) -> str | None:
    """Why the validator refuses ``path`` (a dataset-relative path starting with '/'), or None."""
    for pattern, why in VALIDATOR_REFUSED.items():
        if re.search(pattern, path):
            return why
    return None


def bids_label(text: str, what: str = "label") -> str:
    """``text`` with everything but letters and digits removed (BIDS labels are alphanumeric);
    ValueError when nothing is left."""
    label = re.sub(r"[^A-Za-z0-9]", "", str(text))
    if not label:
        raise ValueError(f"{what} {text!r} has no letters or digits to make a BIDS label of")
    return label


def check_label(text: str, what: str = "label") -> str:
    if not re.fullmatch(r"[A-Za-z0-9]+", str(text)):
        raise ValueError(f"{what} {text!r} is not a BIDS label (letters and digits only)")
    return str(text)


@dataclass(frozen=True)
class BidsName:
    """The entities of one recording: ``sub``, optional ``ses``, ``task`` and ``run``."""

    sub: str
    task: str
    run: int
    ses: str | None = None

    @property
    def session_dir(self) -> str:
        """``sub-01`` or ``sub-01/ses-a``: the folder of the scans.tsv."""
        return f"sub-{self.sub}" + (f"/ses-{self.ses}" if self.ses else "")

    def prefix(self) -> str:
        return f"sub-{self.sub}" + (f"_ses-{self.ses}" if self.ses else "")

    def stem(self, tracksys: str | None = None) -> str:
        """``sub-01[_ses-a]_task-emu[_tracksys-video]_run-1`` (the BIDS entity order)."""
        ts = f"_tracksys-{tracksys}" if tracksys else ""
        return f"{self.prefix()}_task-{self.task}{ts}_run-{self.run}"

    def path(self, datatype: str, suffix: str, ext: str, tracksys: str | None = None) -> str:
        """Dataset-relative path, e.g. ``sub-01/beh/sub-01_task-emu_run-1_events.tsv``."""
        return f"{self.session_dir}/{datatype}/{self.stem(tracksys)}_{suffix}{ext}"

    @property
    def scans(self) -> str:
        return f"{self.session_dir}/{self.prefix()}_scans.tsv"

    @property
    def recording_id(self) -> str:
        """The manifest id the import gives this recording."""
        return f"{self.prefix()}_run-{self.run}"


# -- TSV --------------------------------------------------------------------------------------

def cell(value: Any, digits: int = 3) -> str:
    """A TSV cell: ``n/a`` for None/NaN/"", fixed decimals for floats, no tabs or newlines."""
    if value is None or value == "":
        return NA
    if isinstance(value, float):
        return NA if not math.isfinite(value) else f"{value:.{digits}f}"
    return re.sub(r"[\t\r\n]+", " ", str(value))


def tsv_text(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = ["\t".join(columns)]
    out += ["\t".join(cell(v) for v in row) for row in rows]
    return "\n".join(out) + "\n"


def read_tsv(path: Path, required: Sequence[str] = ()) -> list[dict[str, str]]:
    """Rows of a TSV with a header as dicts ("" for ``n/a``); InputFileError names the file and line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"cannot read ({exc})") from None
    reader = csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader, None)
    if not header:
        raise InputFileError(path, "empty TSV (no header row)")
    header = [h.strip() for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        raise InputFileError(path, f"missing column(s) {', '.join(missing)}; found: {', '.join(header)}")
    rows = []
    for lineno, raw in enumerate(reader, start=2):
        if not any(v.strip() for v in raw):
            continue
        if len(raw) != len(header):
            raise InputFileError(path, f"line {lineno}: {len(raw)} cells for {len(header)} columns")
        rows.append({k: ("" if v.strip() == NA else v.strip()) for k, v in zip(header, raw)})
    return rows


def float_cell(row: dict[str, str], column: str, path: Path, lineno: int) -> float | None:
    text = row.get(column, "")
    if text == "":
        return None
    try:
        v = float(text)
    except ValueError:
        raise InputFileError(path, f"line {lineno}: {column} = {text!r} is not a number") from None
    return v if math.isfinite(v) else None


# -- date-times -------------------------------------------------------------------------------

def bids_datetime(value: datetime) -> str:
    """``2026-03-14T20:30:00.000Z`` for an aware time (in UTC), the local wall clock without a
    zone for a naive one (BIDS allows no offset other than Z)."""
    if value.tzinfo is None:
        return value.isoformat(timespec="milliseconds")
    return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def offset_text(value: datetime | None) -> str:
    if value is None or value.tzinfo is None:
        return NA
    minutes = int((value.utcoffset() or timedelta(0)).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def parse_bids_datetime(text: str, offset: str = "") -> datetime | None:
    """The inverse of ``bids_datetime`` (+ ``offset_text``): aware when the text ends in Z,
    shown in ``offset`` when one is given; naive otherwise. ValueError on a bad value."""
    text = text.strip()
    if not text:
        return None
    utc = text.endswith("Z")
    value = datetime.fromisoformat(text[:-1] if utc else text)
    if utc:
        value = value.replace(tzinfo=timezone.utc)
        if offset:
            m = re.fullmatch(r"([+-])(\d{2}):(\d{2})", offset.strip())
            if not m:
                raise ValueError(f"utc_offset {offset!r} is not +hh:mm")
            delta = timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
            value = value.astimezone(timezone(delta if m.group(1) == "+" else -delta))
    return value


__all__ = [
    "BIDS_VERSION",
    "CLINICAL_ONSET",
    "DEFAULT_TASK",
    "DETECTION_CONFIRMED",
    "DETECTION_REJECTED",
    "EEG_ONSET",
    "EVENT_COLUMNS",
    "HED_COLUMN",
    "NA",
    "SEIZURE",
    "SEIZURE_TRIAL_TYPES",
    "SIGN_PREFIX",
    "TRACKSYS",
    "VALIDATOR_REFUSED",
    "VIDEO_SUFFIX",
    "BidsName",
    "bids_datetime",
    "bids_label",
    "cell",
    "check_label",
    "float_cell",
    "offset_text",
    "parse_bids_datetime",
    "read_tsv",
    "tsv_text",
    "validator_refusal",
]

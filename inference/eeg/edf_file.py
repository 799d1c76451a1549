"""An EEG file (EDF, EDF+ or BDF) opened lazily: the header now, the samples a page at a time.

EDF and EDF+: edfio reads the header and memory-maps the data records, so a 24-hour file opens
in milliseconds and only the pages shown are ever read. BDF: edfio can only load BDF whole, so
mne's lazy reader (``preload=False``) reads it, a page at a time too; mne's import takes a
second or two, paid only when a BDF is opened. Nothing loads the whole recording.
Times here are "EEG seconds": seconds from the file's first sample (the header's start).
Discontinuous EDF+ (EDF+D) is refused with a clear message: drawing it as continuous would put
every mark after the first gap at the wrong time.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Optional, Sequence

import edfio
import mne
import numpy as np

from inference.core.errors import EegError
from inference.eeg.channels import electrode_name, microvolts_per_unit

EEG_SUFFIXES = (".edf", ".bdf", ".rec")


@dataclass(frozen=True)
class EegChannel:
    """One signal of the file: ``index`` in the file's signal list, the ``label`` as written,
    the 10-20 ``electrode`` it names (or None), its rate, and the factor to µV (None: not a
    voltage, shown in its own unit)."""

    index: int
    label: str
    electrode: Optional[str]
    fs: float
    unit: str
    uv_per_unit: Optional[float]


@dataclass(frozen=True)
class EegAnnotation:
    onset_s: float
    duration_s: Optional[float]
    text: str


def _header_kind(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            head = fh.read(256)
    except OSError as exc:
        raise EegError(path, f"cannot read the file ({exc.strerror or exc})") from None
    if len(head) < 256:
        raise EegError(path, f"too short to be EDF or BDF ({len(head)} bytes; the header alone is 256)")
    if head[:8] == b"\xffBIOSEMI":
        return "BDF"
    if head[:1] != b"0":
        raise EegError(path, "not an EDF or BDF file (the header does not start with version '0' or BIOSEMI)")
    reserved = head[192:236].decode("ascii", "replace").strip()
    return reserved[:5] if reserved.startswith("EDF+") else "EDF"


class _EdfioSource:
    """EDF/EDF+ samples through edfio's memory map."""

    def __init__(self, edf):
        self.edf = edf

    def read(self, index: int, fs: float, first_s: float, stop_s: float) -> np.ndarray:
        return self.edf.signals[index].get_data_slice(first_s, stop_s)

    def annotations(self) -> list[EegAnnotation]:
        return [EegAnnotation(float(a.onset), None if a.duration is None else float(a.duration), a.text)
                for a in self.edf.annotations if a.text]


class _MneSource:
    """BDF samples through mne's lazy reader (mne gives SI units: volts for EEG)."""

    def __init__(self, raw):
        self.raw = raw

    def read(self, index: int, fs: float, first_s: float, stop_s: float) -> np.ndarray:
        start = int(round(first_s * fs))
        stop = min(int(round(stop_s * fs)), self.raw.n_times)
        return self.raw.get_data(picks=[index], start=start, stop=max(stop, start))[0]

    def annotations(self) -> list[EegAnnotation]:
        a = self.raw.annotations
        return [EegAnnotation(float(o), float(d) if d else None, str(t))
                for o, d, t in zip(a.onset, a.duration, a.description) if t]


def _open_bdf(path: Path) -> tuple[_MneSource, datetime, list[EegChannel], float]:
    try:
        raw = mne.io.read_raw_bdf(path, preload=False, verbose="error")
    except Exception as exc:  # mne raises ValueError/RuntimeError/IndexError on malformed files
        raise EegError(path, f"malformed BDF file ({exc})") from None
    fs = float(raw.info["sfreq"])
    units = getattr(raw, "_orig_units", {}) or {}
    channels = []
    for i, name in enumerate(raw.ch_names):
        unit = str(units.get(name, "uV"))
        is_volt = microvolts_per_unit(unit) is not None
        channels.append(EegChannel(i, name.strip(), electrode_name(name), fs, unit, 1e6 if is_volt else None))
    meas = raw.info["meas_date"]
    start = meas.replace(tzinfo=None) if meas is not None else datetime(1985, 1, 1)
    return _MneSource(raw), start, channels, raw.n_times / fs


class EegFile:
    """``EegFile.open(path)``. ``channels``, ``fs`` (the EEG channels' common rate),
    ``duration_s``, ``start`` (the header's start, naive as EDF stores it), ``kind``,
    ``read(indices, start_s, stop_s)``, ``annotations()``, ``start_time(zone)``."""

    def __init__(self, path: Path, source, kind: str, start: datetime, channels: list[EegChannel],
                 duration_s: float, note: str = ""):
        self.path = path
        self.kind = kind
        self._source = source
        self.channels = channels
        self.duration_s = duration_s
        self.note = note  # e.g. "truncated: 3599 of 3600 records on disk"
        self.start = start  # naive: EDF has no zone
        rates = [c.fs for c in channels if c.electrode is not None] or [c.fs for c in channels]
        values, counts = np.unique(np.asarray(rates, dtype=np.float64), return_counts=True)
        self.fs = float(values[int(np.argmax(counts))]) if len(values) else 0.0

    @classmethod
    def open(cls, path: str | Path) -> "EegFile":
        path = Path(path)
        if not path.exists():
            raise EegError(path, "EEG file not found")
        if path.is_dir():
            raise EegError(path, "is a folder; give the EEG file (.edf or .bdf)")
        kind = _header_kind(path)
        if kind == "BDF":
            source, start, channels, duration = _open_bdf(path)
            return cls(path, source, kind, start, channels, duration)
        try:
            with warnings.catch_warnings(record=True) as caught:  # edfio warns about truncated files
                warnings.simplefilter("always")
                edf = edfio.read_edf(path, lazy_load_data=True)
        except Exception as exc:  # edfio raises ValueError/IndexError/UnicodeError on malformed headers
            raise EegError(path, f"malformed {kind} header ({exc})") from None
        said = "; ".join(str(w.message) for w in caught)
        if kind == "EDF+D" and not edf.is_continuous:
            raise EegError(path, "discontinuous EDF+ (EDF+D) is not supported: export the recording as continuous "
                                 "EDF+ (EDF+C) from the EEG software")
        # edfio counts the records on disk itself (and warns) when the header claims more.
        records = edf.num_data_records
        note = f"truncated ({said})" if "truncated" in said.lower() or "but file contains" in said else ""
        if records <= 0:
            raise EegError(path, "holds no complete data record (empty or truncated right after the header)")
        duration = records * float(edf.data_record_duration)
        channels = [EegChannel(i, s.label.strip(), electrode_name(s.label), float(s.sampling_frequency),
                               s.physical_dimension.strip(), microvolts_per_unit(s.physical_dimension))
                    for i, s in enumerate(edf.signals)]
        if not channels:
            raise EegError(path, "holds no signals (only annotations)")
        return cls(path, _EdfioSource(edf), kind, edf.startdatetime, channels, duration, note)

    def start_time(self, zone: tzinfo) -> datetime:
        """The header's start in ``zone`` (the unit's zone: EDF stores local time without one)."""
        return self.start.replace(tzinfo=zone)

    @property
    def eeg_channels(self) -> list[EegChannel]:
        return [c for c in self.channels if c.electrode is not None]

    def read(self, indices: Sequence[int], start_s: float, stop_s: float) -> tuple[float, list[np.ndarray]]:
        """Samples of channels ``indices`` between ``start_s`` and ``stop_s`` EEG seconds (clamped
        to the file), in µV for voltage channels. Returns (time of the first sample, arrays)."""
        start_s = min(max(float(start_s), 0.0), self.duration_s)
        stop_s = min(max(float(stop_s), start_s), self.duration_s)
        out = []
        for i in indices:
            ch = self.channels[i]
            # Whole samples: the first one at or after start_s.
            first = math.ceil(start_s * ch.fs - 1e-9) / ch.fs
            try:
                data = self._source.read(i, ch.fs, first, max(stop_s, first))
            except (ValueError, OSError) as exc:
                raise EegError(self.path, f"cannot read {ch.label} at {start_s:.1f}-{stop_s:.1f} s ({exc})") from None
            out.append(np.asarray(data, dtype=np.float64) * (ch.uv_per_unit or 1.0))
        return math.ceil(start_s * self.fs - 1e-9) / self.fs if self.fs else start_s, out

    def annotations(self) -> list[EegAnnotation]:
        """The file's EDF+ annotations (onsets in EEG seconds), without the time-keeping ones."""
        try:
            return self._source.annotations()
        except Exception as exc:  # a malformed TAL is the file's problem, said with its name
            raise EegError(self.path, f"malformed EDF+ annotations ({exc})") from None

    def summary(self) -> str:
        n_eeg = len(self.eeg_channels)
        hours = self.duration_s / 3600.0
        text = (f"{self.kind}, {len(self.channels)} channels ({n_eeg} 10-20), {self.fs:g} Hz, "
                f"{hours:.2f} h from {self.start:%Y-%m-%d %H:%M:%S}")
        return f"{text}; {self.note}" if self.note else text


def _header_only(path: str | Path):
    """(source, header start) of ``path`` without requiring signals (an annotation-only EDF+ too)."""
    path = Path(path)
    if not path.is_file():
        raise EegError(path, "EEG file not found" if not path.exists() else "is not a file")
    kind = _header_kind(path)
    try:
        if kind == "BDF":
            raw = mne.io.read_raw_bdf(path, preload=False, verbose="error")
            meas = raw.info["meas_date"]
            return _MneSource(raw), (meas.replace(tzinfo=None) if meas is not None else None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a truncated file's header and annotations are still worth reading
            edf = edfio.read_edf(path, lazy_load_data=True)
        return _EdfioSource(edf), edf.startdatetime
    except Exception as exc:  # malformed header: the file's problem, said with its name
        raise EegError(path, f"malformed {kind} header ({exc})") from None


def file_start(path: str | Path) -> Optional[datetime]:
    """The header's start (naive, as EDF stores it) of ``path``, annotation-only files included."""
    return _header_only(path)[1]


def file_annotations(path: str | Path) -> list[EegAnnotation]:
    """The EDF+ (or BDF+) annotations of ``path``, also of a file that holds annotations only."""
    source, _start = _header_only(path)
    try:
        return source.annotations()
    except Exception as exc:  # a malformed TAL is the file's problem, said with its name
        raise EegError(Path(path), f"cannot read its annotations ({exc})") from None


__all__ = ["EEG_SUFFIXES", "EegAnnotation", "EegChannel", "EegFile", "file_annotations", "file_start"]

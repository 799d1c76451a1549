"""Writing EDF+ files: signals in physical units, a start date and time, and annotations.

Used for the synthetic EEG and for exporting annotations. EDF stores each signal as int16 with a
linear map from a physical range; the range is chosen per signal from the data (symmetric, with
headroom) so small signals keep their resolution and large artefacts are not clipped.
EDF has no time zone: the header holds ``start``'s wall clock in its own zone. A start with
a fraction of a second is kept through the EDF+ subsecond offset (first annotation record).
The file is written under a temporary name beside the target and renamed, so a reader never
sees half a file.
"""
from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Iterable, Optional, Sequence

import edfio
import numpy as np

from inference.core.atomic import atomic_write

EDF_MIN_YEAR = 1985  # EDF's two-digit years cover 1985-2084
_LABEL_CHARS = 16
_DIGITAL = (-32768, 32767)

Annotation = tuple[float, Optional[float], str]  # (onset_s from the file start, duration_s or None, text)


def physical_range(values: np.ndarray, headroom: float = 1.1) -> tuple[float, float]:
    """A symmetric range covering ``values`` with ``headroom``, rounded up to a number that fits
    the header's 8 characters (integers from 1 upward; EDF headers print the range)."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    peak = float(np.abs(finite).max()) if finite.size else 0.0
    top = max(1.0, math.ceil(peak * float(headroom)))
    if top >= 1e7:
        raise ValueError(f"signal peak {peak:g} does not fit an EDF header's 8-character physical range")
    return -float(top), float(top)


def _pad_to_records(x: np.ndarray, per_record: int) -> np.ndarray:
    """Repeat the last sample up to a whole number of data records (EDF stores whole records)."""
    n = x.shape[1]
    short = (-n) % per_record
    if short == 0:
        return x
    return np.concatenate([x, np.repeat(x[:, -1:], short, axis=1)], axis=1)


def write_edf(path: str | Path, signals_uv: np.ndarray, fs: float, channel_names: Sequence[str],
              start: datetime, annotations: Iterable[Annotation] = (), *, unit: str = "uV",
              record_s: float = 1.0, headroom: float = 1.1, prefiltering: str = "",
              transducer: str = "", patient_code: str = "X", equipment: str = "X") -> Path:
    """Write ``signals_uv`` ([channels, samples], in ``unit``) sampled at ``fs`` Hz as EDF+C.

    ``start``: the first sample's date and time (naive or aware; its wall clock is written).
    ``annotations``: ``(onset_s, duration_s | None, text)`` with onsets from the first sample.
    ``record_s``: data record length; ``fs * record_s`` must be whole, and the signals are padded
    with their last value to a whole number of records. Returns ``path``.
    """
    path = Path(path)
    data = np.asarray(signals_uv, dtype=np.float64)
    if data.ndim != 2:
        raise ValueError(f"signals must be [channels, samples], got shape {data.shape}")
    names = [str(n) for n in channel_names]
    if len(names) != data.shape[0]:
        raise ValueError(f"{len(names)} channel names for {data.shape[0]} signals")
    if any(len(n) > _LABEL_CHARS for n in names):
        raise ValueError(f"EDF channel labels hold at most {_LABEL_CHARS} characters: {names}")
    if data.shape[1] == 0:
        raise ValueError("no samples to write")
    if not np.isfinite(data).all():
        raise ValueError("signals hold NaN or infinite values")
    if start.year < EDF_MIN_YEAR or start.year >= EDF_MIN_YEAR + 100:
        raise ValueError(f"EDF dates must lie in {EDF_MIN_YEAR}-{EDF_MIN_YEAR + 99}, got {start:%Y-%m-%d}")
    per_record = float(fs) * float(record_s)
    if per_record <= 0 or abs(per_record - round(per_record)) > 1e-9:
        raise ValueError(f"fs * record_s must be a whole number of samples, got {fs} * {record_s}")
    data = _pad_to_records(data, int(round(per_record)))
    signals = [edfio.EdfSignal(row, float(fs), label=name, physical_dimension=unit,
                               physical_range=physical_range(row, headroom), digital_range=_DIGITAL,
                               prefiltering=prefiltering, transducer_type=transducer)
               for row, name in zip(data, names)]
    notes = [edfio.EdfAnnotation(float(onset), None if duration is None else float(duration), str(text))
             for onset, duration, text in annotations]
    edf = edfio.Edf(signals, patient=edfio.Patient(code=patient_code),
                    recording=edfio.Recording(startdate=start.date(), equipment_code=equipment),
                    starttime=start.time().replace(tzinfo=None), data_record_duration=float(record_s),
                    annotations=notes)  # a list, even empty: that makes the file EDF+C
    return atomic_write(path, edf.write)


__all__ = ["EDF_MIN_YEAR", "physical_range", "write_edf"]

"""Labels as EDF+ annotations, both ways: what EEG software (and mne, edfio) reads and writes.

Export: each seizure gives ``EEG onset``, ``Clinical onset`` and ``Seizure end`` (with the
seizure number, ``Sz1 EEG onset``...), a ``Seizure type: ...`` note at its first onset when it is
classified, and one ``Sign: TERM; BODY PART; LATERALITY`` per semiology sign; reviewed detections
become ``Detection confirmed`` / ``Detection rejected`` with their duration. Onsets are seconds
from the EEG file's first sample when an EEG is attached (through the clock alignment), else
from the video's start. The file is either annotations only (an EDF+ with no signal) or a copy
of the recording's EEG with the annotations added to its own.

Import: annotation texts are matched, case-insensitively, against patterns per kind (defaults
below for common wording: ``sz``, ``seizure``, ``EEG onset``, ``clinical onset``, ``end``; the
config's ``[exchange.edf_patterns]`` overrides them), then grouped into seizures in time order:
an EEG onset opens a seizure, a clinical onset joins the open one (or opens one), an end closes
it; a seizure annotation with a duration is a whole seizure. Signs and type notes join the
seizure they fall in. Texts that match nothing are returned as ``ignored`` for the user to see.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

import edfio

from inference.core.atomic import atomic_write
from inference.core.errors import EegError
from inference.dataset.manifest import Seizure
from inference.dataset.semiology import ILAE_TYPES, SIGNS, SemiologySign, ilae_label, ordered
from inference.eeg.edf_file import file_annotations
from inference.eeg.edf_writer import EDF_MIN_YEAR, Annotation

EEG_ONSET, CLINICAL_ONSET, END, SEIZURE, SIGN, TYPE = "eeg_onset", "clinical_onset", "end", "seizure", "sign", "type"
DEFAULT_PATTERNS: dict[str, str] = {
    # Order matters: the first kind whose pattern matches wins.
    SIGN: r"^\s*sign\s*:",
    TYPE: r"^\s*(seizure\s*type|sz\s*type)\s*:",
    EEG_ONSET: (r"\b(eeg|electrographic|electro)\s*(sz\s*)?onset\b|\bsz\s*onset\b|\bonset\s*eeg\b"
                r"|^\s*(sz\d*\s*)?eeg\s*on\b"),
    CLINICAL_ONSET: r"\bclinical\s*(sz\s*)?onset\b|\bclin\.?\s*onset\b|\bonset\s*clin",
    END: r"\b(seizure|sz)\s*(end|offset|stop)\b|\bend\s*of\s*(seizure|sz)\b|^\s*(sz\d*\s*)?end\b|\boffset\b",
    SEIZURE: r"^\s*(sz|seizure)\b|\bseizure\b",
}
_SZ_NUMBER = re.compile(r"^\s*sz\s*(\d+)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Review:
    """A reviewed detection (video seconds) for export."""

    start_s: float
    end_s: float
    status: str  # "confirmed" | "rejected"
    peak_prob: float = float("nan")


def export_annotations(seizures: Sequence[Seizure], reviews: Iterable[Review] = (),
                       to_file_time: Callable[[float], float] = float) -> list[Annotation]:
    """The annotations for ``seizures`` and ``reviews`` (times in video seconds), with onsets
    turned into the file's time by ``to_file_time`` (the clock alignment, or the identity)."""
    out: list[Annotation] = []
    for k, sz in enumerate(sorted(seizures, key=lambda s: s.eeg_onset_s), start=1):
        tag = f"Sz{k}"
        out.append((to_file_time(sz.eeg_onset_s), None, f"{tag} EEG onset"))
        out.append((to_file_time(sz.clinical_onset_s), None, f"{tag} Clinical onset"))
        if sz.end_s is not None:
            out.append((to_file_time(sz.end_s), None, f"{tag} Seizure end"))
        if sz.ilae_type:
            label = ilae_label(sz.ilae_type, sz.awareness)
            out.append((to_file_time(min(sz.eeg_onset_s, sz.clinical_onset_s)), None,
                        f"Seizure type: {label} [{sz.ilae_type}{'/' + sz.awareness if sz.awareness else ''}]"))
        for g in sz.signs:
            out.append((to_file_time(g.time_s), None, f"Sign: {g.term}; {g.body_part or '-'}; {g.laterality or '-'}"))
    for r in reviews:
        if r.status not in ("confirmed", "rejected"):
            continue
        t0, t1 = to_file_time(r.start_s), to_file_time(r.end_s)
        peak = f" (peak {r.peak_prob:.2f})" if r.peak_prob == r.peak_prob else ""
        out.append((t0, max(t1 - t0, 0.0), f"Detection {r.status}{peak}"))
    return sorted(out, key=lambda a: a[0])


def _edf_annotations(items: Iterable[Annotation]) -> list[edfio.EdfAnnotation]:
    # EDF+ onsets may be negative (an event before the file's first sample) but mne and many
    # readers reject them; a label before the EEG started is clamped to its first sample.
    return [edfio.EdfAnnotation(max(float(t), 0.0), None if d is None else float(d), str(text))
            for t, d, text in items]


def write_annotations_edf(path: str | Path, annotations: Sequence[Annotation], start: datetime) -> Path:
    """An EDF+ holding only the annotations (no signal), starting at ``start`` (its wall clock)."""
    if start.year < EDF_MIN_YEAR or start.year >= EDF_MIN_YEAR + 100:
        raise ValueError(f"EDF dates must lie in {EDF_MIN_YEAR}-{EDF_MIN_YEAR + 99}, got {start:%Y-%m-%d}; "
                         "give the recording a start time in that range")
    edf = edfio.Edf([], starttime=start.time().replace(tzinfo=None, microsecond=0),
                    recording=edfio.Recording(startdate=start.date()), annotations=_edf_annotations(annotations))
    return atomic_write(Path(path), edf.write)


def add_annotations_to_copy(eeg_path: str | Path, out: str | Path, annotations: Sequence[Annotation]) -> Path:
    """A copy of the EEG file with ``annotations`` added to the ones it already holds."""
    eeg_path, out = Path(eeg_path), Path(out)
    if eeg_path.resolve() == out.resolve():
        raise EegError(out, "would overwrite the recording's own EEG file; choose another name")
    try:
        edf = edfio.read_edf(eeg_path, lazy_load_data=True)
        edf.set_annotations(list(edf.annotations) + _edf_annotations(annotations))
    except (ValueError, OSError) as exc:
        raise EegError(eeg_path, f"cannot add annotations to a copy ({exc})") from None
    return atomic_write(out, edf.write)


# -- import --------------------------------------------------------------------------------------

@dataclass
class ImportedLabels:
    seizures: list[Seizure] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # texts that matched no kind


def classify(text: str, patterns: dict[str, str]) -> Optional[str]:
    for kind, pattern in patterns.items():
        if re.search(pattern, text, re.IGNORECASE):
            return kind
    return None


def _parse_sign(text: str, at: float, k: int) -> Optional[SemiologySign]:
    body = text.split(":", 1)[1]
    parts = [p.strip() for p in body.split(";")]
    term = parts[0].lower().replace(" ", "_").replace("-", "_") if parts else ""
    if term not in SIGNS:  # a label rather than the key ("manual automatisms")
        term = next((key for key, (_g, label) in SIGNS.items() if label.lower() == parts[0].lower()), "")
    if not term:
        return None
    extra = [("" if p in ("-", "") else p.lower()) for p in parts[1:3]] + ["", ""]
    try:
        return SemiologySign(f"g{k}", term, at, extra[0], extra[1])
    except ValueError:
        return None


def _parse_type(text: str) -> tuple[str, str]:
    m = re.search(r"\[([a-z_]+)(?:/([a-z]+))?\]", text)
    if m and m.group(1) in ILAE_TYPES:
        return m.group(1), m.group(2) or ""
    label = text.split(":", 1)[1].strip().lower()
    for key, (_g, name) in ILAE_TYPES.items():
        if label.startswith(name.lower()):
            awareness = "impaired" if "impaired" in label else ("aware" if "aware" in label else "")
            return key, awareness
    return "", ""


def import_annotations(items: Iterable[tuple[float, Optional[float], str]],
                       patterns: Optional[dict[str, str]] = None,
                       to_video_time: Callable[[float], float] = float) -> ImportedLabels:
    """Seizures from ``(onset_s, duration_s, text)`` annotations (file time; ``to_video_time``
    maps it onto the video's clock)."""
    pats = dict(DEFAULT_PATTERNS)
    pats.update(patterns or {})
    result = ImportedLabels()
    open_sz: Optional[dict] = None
    done: list[dict] = []
    pending_notes: list[tuple[float, str, str]] = []

    def close() -> None:
        nonlocal open_sz
        if open_sz is not None:
            done.append(open_sz)
            open_sz = None

    numbered: dict[int, dict] = {}  # "Sz3 ..." texts: the number says which seizure, whatever the order
    for onset, duration, text in sorted(items, key=lambda a: a[0]):
        kind = classify(text, pats)
        t = float(to_video_time(float(onset)))
        tag = _SZ_NUMBER.match(text)
        if kind in (EEG_ONSET, CLINICAL_ONSET, END) and tag is not None:
            numbered.setdefault(int(tag.group(1)), {})[{EEG_ONSET: "eeg", CLINICAL_ONSET: "clin", END: "end"}[kind]] = t
        elif kind is None:
            result.ignored.append(text)
        elif kind == EEG_ONSET:
            if open_sz is None or "eeg" in open_sz:  # else it joins a seizure opened by its clinical onset
                close()
                open_sz = {}
            open_sz["eeg"] = t
        elif kind == CLINICAL_ONSET:
            if open_sz is None or "clin" in open_sz:
                close()
                open_sz = {}
            open_sz["clin"] = t
        elif kind == END:
            if open_sz is not None:
                open_sz["end"] = t
                close()
            else:
                result.ignored.append(text)
        elif kind == SEIZURE:
            close()
            end = float(to_video_time(float(onset) + float(duration))) if duration else None
            done.append({"eeg": t, "end": end} if end is not None else {"eeg": t})
        else:
            pending_notes.append((t, kind, text))
    close()
    done.extend(d for _n, d in sorted(numbered.items()) if "eeg" in d or "clin" in d)
    done.sort(key=lambda d: min(d.get("eeg", float("inf")), d.get("clin", float("inf"))))
    for d in done:
        eeg = d.get("eeg", d.get("clin"))
        clin = d.get("clin", eeg)
        start, stop = min(eeg, clin), d.get("end", float("inf"))
        signs, ilae, awareness = [], "", ""
        for t, kind, text in pending_notes:
            if not start - 1e-6 <= t <= stop + 1e-6:
                continue
            if kind == SIGN:
                sign = _parse_sign(text, t, len(signs) + 1)
                if sign is not None:
                    signs.append(sign)
                else:
                    result.ignored.append(text)
            elif kind == TYPE:
                ilae, awareness = _parse_type(text)
        result.seizures.append(Seizure(eeg, clin, d.get("end"), ilae, awareness, ordered(signs)))
    return result


def read_edf_labels(path: str | Path, patterns: Optional[dict[str, str]] = None,
                    to_video_time: Callable[[float], float] = float) -> ImportedLabels:
    """The seizure labels in an EDF+ file's annotations (EegError naming the file when unreadable)."""
    items = [(a.onset_s, a.duration_s, a.text) for a in file_annotations(path)]
    return import_annotations(items, patterns, to_video_time)


__all__ = ["DEFAULT_PATTERNS", "ImportedLabels", "Review", "add_annotations_to_copy", "classify",
           "export_annotations", "import_annotations", "read_edf_labels", "write_annotations_edf"]

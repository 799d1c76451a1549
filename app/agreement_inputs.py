"""What ``semioscope agreement`` compares, read from files: annotation files of one recording
(``<video>.semioscope-annotations.json``) or manifests of many (paired by ``recording_id``), the
detector's result files, and each recording's duration.

Every problem is a ``SemioscopeError`` that names the file: unreadable, of another recording,
no duration known. The statistics themselves are ``inference.results.agreement``.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from app.annotations import ANNOTATION_FORMAT, ANNOTATION_SUFFIX, AnnotationStore
from inference.core.errors import InputFileError, SemioscopeError
from inference.dataset.manifest import load_manifest
from inference.results.agreement import RecordingLabels, Times
from inference.results.result_file import AnalysisResult
from inference.video.index import probe


@dataclass
class AgreementInputs:
    """The recordings to compare and what was left out (``notes``, shown to the user)."""

    recordings: list[RecordingLabels]
    sources: dict[str, str]  # rater name -> file
    notes: list[str] = field(default_factory=list)


def rater_name(store: AnnotationStore, path: Path) -> str:
    """Who made an annotation file: the author of most of its human edits, else its file name."""
    authors = Counter(e.author for e in store.edits if e.source == "human" and e.author)
    return authors.most_common(1)[0][0] if authors else Path(path).name.removesuffix(ANNOTATION_SUFFIX)


def store_times(store: AnnotationStore) -> list[Times]:
    return [(s.eeg_onset_s, s.clinical_onset_s, s.end_s) for s in store.seizures()]


def is_annotation_file(path: Path) -> bool:
    """An annotation file (by its name, or a JSON file of that format); else a manifest."""
    if path.name.endswith(ANNOTATION_SUFFIX):
        return True
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    try:
        return json.loads(path.read_text("utf-8")).get("format") == ANNOTATION_FORMAT
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        return False  # load_manifest then says what is wrong with it


def open_annotations(path: Path) -> AnnotationStore:
    if not path.exists():
        raise InputFileError(path, "annotation file not found")
    if not path.is_file():
        raise InputFileError(path, "is not a file")
    try:
        return AnnotationStore.open(path, "semioscope agreement", autosave=False)
    except OSError as exc:
        raise InputFileError(path, f"cannot read the annotation file ({exc.strerror or exc})") from None


def video_of(store: AnnotationStore, path: Path) -> str:
    """The video an annotation file is about (its name), from the file or its own name."""
    named = str(store.video.get("path") or "")
    if named:
        return Path(named).name
    return path.name.removesuffix(ANNOTATION_SUFFIX) if path.name.endswith(ANNOTATION_SUFFIX) else ""


def unique_names(names: Sequence[str], files: Sequence[Path]) -> list[str]:
    """Rater names, with the file added where two files have the same author."""
    counts = Counter(names)
    return [f"{n} ({f.name})" if counts[n] > 1 else n for n, f in zip(names, files)]


def load_result(path: Path) -> AnalysisResult:
    if not path.is_file():
        raise InputFileError(path, "result file not found" if not path.exists() else "is not a file")
    return AnalysisResult.load(path, keypoints=False)


def model_times(result: AnalysisResult) -> list[Times]:
    """The detector's events as seizures: its one onset (the event's start) stands for both."""
    return [(float(e.start_s), float(e.start_s), float(e.end_s)) for e in result.events]


def _probe_duration(candidates: Sequence[Path]) -> tuple[Optional[float], list[str]]:
    tried = []
    for video in candidates:
        if not video.is_file():
            tried.append(f"{video} (not found)")
            continue
        try:
            return float(probe(video).duration_s), tried
        except SemioscopeError as exc:
            tried.append(str(exc))
    return None, tried


def from_annotation_files(paths: Sequence[Path], results: Sequence[Path],
                          duration_s: Optional[float]) -> AgreementInputs:
    """One recording, one rater per annotation file (and the model from one result file)."""
    stores = [open_annotations(p) for p in paths]
    videos = [video_of(s, p) for s, p in zip(stores, paths)]
    prints = [str(s.video.get("fingerprint") or "") for s in stores]
    for s, p, v, fp in zip(stores[1:], paths[1:], videos[1:], prints[1:]):
        if (fp and prints[0] and fp != prints[0]) or (v and videos[0] and v != videos[0]):
            raise InputFileError(p, f"is about another recording ({v or 'unnamed'}) than {paths[0].name} "
                                    f"({videos[0] or 'unnamed'}): compare annotation files of one video")
    video = next((v for v in videos if v), "")
    if len(results) > 1:
        raise SemioscopeError("annotation files are of one recording: give one --results file, not "
                              f"{len(results)}")
    result = load_result(results[0]) if results else None
    if result is not None and video and result.video_path and Path(result.video_path).name != video:
        raise InputFileError(results[0], f"is the analysis of {Path(result.video_path).name}, not of {video}")
    duration = duration_s
    if duration is None and result is not None and result.duration_s > 0:
        duration = result.duration_s
    if duration is None:
        candidates = []
        for s, p in zip(stores, paths):
            if p.name.endswith(ANNOTATION_SUFFIX):
                candidates.append(p.with_name(p.name.removesuffix(ANNOTATION_SUFFIX)))
            if s.video.get("path"):
                named = Path(str(s.video["path"]))
                candidates.append(named if named.is_absolute() else p.parent / named)
        duration, tried = _probe_duration(list(dict.fromkeys(candidates)))
        if duration is None:
            raise InputFileError(paths[0], "no duration known for the recording "
                                           f"{video or '(unnamed)'}: give --duration SECONDS or --results, or "
                                           "keep the video beside the annotation file (tried: "
                                           f"{'; '.join(tried) or 'no video named'})")
    names = unique_names([rater_name(s, p) for s, p in zip(stores, paths)], paths)
    rec = RecordingLabels(video or paths[0].name, float(duration),
                          {n: store_times(s) for n, s in zip(names, stores)},
                          model_times(result) if result is not None else None)
    sources = {n: str(p) for n, p in zip(names, paths)}
    if results:
        sources["model"] = str(results[0])
    return AgreementInputs([rec], sources)


def manifest_rater(path: Path) -> str:
    """A manifest's rater: its file name, or its folder's for an export's ``manifest.json``."""
    return path.parent.name if path.stem == "manifest" and path.parent.name else path.stem


def from_manifests(paths: Sequence[Path], results: Sequence[Path], duration_s: Optional[float]) -> AgreementInputs:
    """Many recordings, one rater per manifest, paired by ``recording_id`` (those in every
    manifest); result files are matched to recordings by their video's file name."""
    manifests = [load_manifest(p) for p in paths]
    names = unique_names([manifest_rater(p) for p in paths], paths)
    by_id = [{r.recording_id: r for r in m.recordings} for m in manifests]
    common = [rid for rid in by_id[0] if all(rid in d for d in by_id[1:])]
    notes = []
    for p, d in zip(paths, by_id):
        left = sorted(set(d) - set(common))
        if left:
            notes.append(f"{p}: {len(left)} recording(s) not in every manifest, left out: {', '.join(left[:10])}"
                         + (" ..." if len(left) > 10 else ""))
    if not common:
        raise InputFileError(paths[-1], f"has no recording_id in common with {paths[0]}: these manifests are of "
                                       "different recordings")
    loaded = [(p, load_result(p)) for p in results]
    by_video = {Path(r.video_path).name: (p, r) for p, r in loaded if r.video_path}
    used: set[Path] = set()
    recs = []
    for rid in common:
        first = by_id[0][rid]
        match = by_video.get(first.video.name)
        if match is None and len(loaded) == 1 and len(common) == 1:
            match = loaded[0]
        result = match[1] if match is not None else None
        if match is not None:
            used.add(match[0])
        duration = next((d[rid].duration_s for d in by_id if d[rid].duration_s), None) or duration_s
        if duration is None and result is not None and result.duration_s > 0:
            duration = result.duration_s
        if duration is None:
            duration, tried = _probe_duration(list(dict.fromkeys(d[rid].video for d in by_id)))
            if duration is None:
                raise InputFileError(paths[0], f"no duration known for recording {rid}: give duration_s in the "
                                               f"manifest, --duration or --results (tried: {'; '.join(tried)})")
        raters = {n: [(s.eeg_onset_s, s.clinical_onset_s, s.end_s) for s in d[rid].seizures]
                  for n, d in zip(names, by_id)}
        recs.append(RecordingLabels(rid, float(duration), raters,
                                    model_times(result) if result is not None else None))
        if loaded and result is None:
            notes.append(f"recording {rid}: no result file among --results (by video name); the model is "
                         "scored on the others")
    for p, _r in loaded:
        if p not in used:
            notes.append(f"{p}: matches no recording of the manifests (by video name); not used")
    sources = {n: str(p) for n, p in zip(names, paths)}
    return AgreementInputs(recs, sources, notes)


def load_inputs(paths: Sequence[Path], results: Sequence[Path] = (), duration_s: Optional[float] = None
                ) -> AgreementInputs:
    """Annotation files of one recording, or manifests of many (not both)."""
    if len(paths) < 2 and not results:
        raise SemioscopeError("give two or more annotation files or manifests (or one with --results)")
    for k, p in enumerate(paths):
        if not p.exists():
            raise InputFileError(p, "file not found")
        if any(p.resolve() == q.resolve() for q in paths[:k]):
            raise InputFileError(p, "is given twice: give each rater's file once")
    kinds = [is_annotation_file(p) for p in paths]
    if any(kinds) and not all(kinds):
        odd = paths[kinds.index(False)] if kinds[0] else paths[kinds.index(True)]
        raise InputFileError(odd, "mixes annotation files and manifests: give only annotation files of one "
                                  "recording, or only manifests")
    if duration_s is not None and not duration_s > 0:
        raise SemioscopeError(f"--duration must be a positive number of seconds, not {duration_s}")
    if all(kinds):
        return from_annotation_files(paths, results, duration_s)
    return from_manifests(paths, results, duration_s)


__all__ = ["AgreementInputs", "load_inputs", "rater_name", "store_times", "video_of", "model_times",
           "from_annotation_files", "from_manifests"]

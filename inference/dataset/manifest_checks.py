"""Semantic checks of a recording manifest: do the videos exist, are the times sensible.

The readers in :mod:`inference.manifest` reject what cannot be parsed; these checks look at what
parsed fine but is wrong. Errors make training meaningless (a missing video, a negative time, a
time past the end of the video, an end before the clinical onset, the same id or video twice);
warnings are odd but usable (clinical onset before EEG onset, overlapping seizures, seizures in a
recording typed ``none``).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, MutableMapping, Optional

from inference.core.errors import ManifestError, VideoError
from inference.core.progress import ProgressFn, no_progress
from inference.dataset.manifest import NO_SEIZURE, Manifest, Recording
from inference.dataset.segments import recording_duration

_TOLERANCE_S = 0.01  # a time this close past the end still counts as inside the video


@dataclass(frozen=True)
class ManifestIssue:
    """One problem of one recording (``recording_id`` is '' for manifest-wide problems)."""

    level: Literal["error", "warning"]
    recording_id: str
    message: str

    def __str__(self) -> str:
        where = f"{self.recording_id}: " if self.recording_id else ""
        return f"{self.level}: {where}{self.message}"


def _duration(rec: Recording, check_videos: bool, durations: Optional[MutableMapping[str, float]],
              issues: list[ManifestIssue]) -> Optional[float]:
    """Known or probed duration; a video that cannot be read becomes an error issue."""

    known = rec.duration_s is not None or (durations is not None and rec.recording_id in durations)
    if not known and (not check_videos or not rec.video.is_file()):
        return None
    try:
        d = recording_duration(rec, durations)
    except VideoError as exc:
        issues.append(ManifestIssue("error", rec.recording_id, f"cannot read video: {exc}"))
        return None
    if durations is not None and not known:
        durations[rec.recording_id] = d
    return d


def _check_recording(rec: Recording, duration: Optional[float]) -> list[ManifestIssue]:
    out: list[ManifestIssue] = []

    def add(level, msg):
        out.append(ManifestIssue(level, rec.recording_id, msg))

    if duration is not None and duration <= 0:
        add("error", f"duration {duration:g} s is not positive")
    for k, sz in enumerate(rec.seizures, start=1):
        name = f"seizure {k}"
        times = {"eeg_onset_s": sz.eeg_onset_s, "clinical_onset_s": sz.clinical_onset_s, "end_s": sz.end_s}
        for col, t in times.items():
            if t is None:
                continue
            if t < 0:
                add("error", f"{name}: negative time {col} = {t:g} s")
            elif duration is not None and t > duration + _TOLERANCE_S:
                add("error", f"{name}: {col} = {t:g} s is past the end of the video ({duration:.2f} s)")
        if sz.clinical_onset_s < sz.eeg_onset_s:
            add("warning", f"{name}: clinical onset ({sz.clinical_onset_s:g} s) is before EEG onset "
                           f"({sz.eeg_onset_s:g} s)")
        if sz.end_s is not None and sz.end_s < max(sz.clinical_onset_s, sz.eeg_onset_s):
            which = "clinical" if sz.clinical_onset_s >= sz.eeg_onset_s else "EEG"
            add("error", f"{name}: end_s ({sz.end_s:g} s) is before the {which} onset "
                         f"({max(sz.clinical_onset_s, sz.eeg_onset_s):g} s)")
    ordered = sorted(rec.seizures, key=lambda s: s.eeg_onset_s)
    for a, b in zip(ordered, ordered[1:]):
        a_end = a.end_s if a.end_s is not None else a.clinical_onset_s
        if b.eeg_onset_s < a_end:
            add("warning", f"seizures overlap: one starting at {b.eeg_onset_s:g} s begins before the "
                           f"previous one ends ({a_end:g} s)")
    if rec.seizures and rec.seizure_type == NO_SEIZURE:
        add("warning", f"seizure_type is 'none' but {len(rec.seizures)} seizure(s) are listed")
    return out


def check_manifest(manifest: Manifest, check_videos: bool = True,
                   durations: Optional[MutableMapping[str, float]] = None,
                   progress: ProgressFn = no_progress) -> list[ManifestIssue]:
    """Every problem found, errors and warnings, in manifest order.

    ``check_videos``: check that videos exist and probe their durations (for times past the end).
    ``durations``: optional ``recording_id -> seconds``; used when the manifest has no duration,
    and probed durations are stored into it so the caller can reuse them (e.g. for segmenting).
    """
    issues: list[ManifestIssue] = []
    if not manifest.recordings:
        issues.append(ManifestIssue("error", "", "the manifest lists no recordings"))
    ids: dict[str, int] = defaultdict(int)
    videos: dict[Path, list[str]] = defaultdict(list)
    for r in manifest.recordings:
        ids[r.recording_id] += 1
        videos[Path(r.video).resolve() if check_videos else Path(r.video)].append(r.recording_id)
    for rid, n in ids.items():
        if n > 1:
            issues.append(ManifestIssue("error", rid, f"duplicate recording_id (listed {n} times)"))
    for video, rids in videos.items():
        if len(rids) > 1:
            issues.append(ManifestIssue("error", rids[1], f"duplicate video {video.name}: also used by "
                                                          f"{', '.join(repr(x) for x in rids if x != rids[1])}"))
    n = len(manifest.recordings)
    for k, rec in enumerate(manifest.recordings):
        progress(k, n, rec.recording_id)
        if check_videos and not rec.video.is_file():
            issues.append(ManifestIssue("error", rec.recording_id, f"video not found: {rec.video}"))
        issues.extend(_check_recording(rec, _duration(rec, check_videos, durations, issues)))
    progress(n, n, "")
    return issues


def format_issues(issues: list[ManifestIssue]) -> str:
    return "\n".join(f"  - {i}" for i in issues)


def require_valid(manifest: Manifest, check_videos: bool = True,
                  durations: Optional[MutableMapping[str, float]] = None,
                  progress: ProgressFn = no_progress) -> list[ManifestIssue]:
    """Raise ManifestError (naming the manifest file, listing every error); return the warnings."""
    issues = check_manifest(manifest, check_videos, durations, progress)
    errors = [i for i in issues if i.level == "error"]
    if errors:
        path = manifest.path if manifest.path is not None else "<manifest>"
        raise ManifestError(path, f"{len(errors)} error(s):\n{format_issues(errors)}")
    return [i for i in issues if i.level == "warning"]

"""The seizure report (``inference.exchange.report``) from what the application knows: the
annotation store (seizures with their semiology and reviewers, reviews of detections, the
reviewer's threshold) and the result file. Used by ``semioscope report`` and, from the open
window's state, by File → Report (``write_report``). Qt-free: the window is only read.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence

from inference.core.errors import InputFileError, SemioscopeError
from inference.dataset.manifest import NO_SEIZURE, Recording
from inference.exchange.report import ReportInput, ReviewedDetection, SeizureNotes, event_rules
from inference.exchange.report import write_report as write_report_pdf
from inference.results.events import detect_events
from inference.results.result_file import AnalysisResult
from inference.video.index import probe

from .annotations import UNREVIEWED, AnnotationStore, SeizureLabel
from .export import check_labels, labels_to_seizures, manifest_recording, recording_type


def report_path_for(video: str | Path) -> Path:
    """``<video stem>.report.pdf`` beside the video."""
    video = Path(video)
    return video.with_name(video.stem + ".report.pdf")


def reviewed_detections(result: Optional[AnalysisResult], store: Optional[AnnotationStore]
                        ) -> tuple[list[ReviewedDetection], Optional[float]]:
    """The detections the window shows (the result's event rules at the reviewer's threshold,
    when one is set) with each one's review status and reviewer; and that threshold."""
    if result is None or not len(result):
        return [], None
    rules = event_rules(result, store.threshold() if store is not None else None)
    out = []
    for ev in detect_events(result.window_start_s, result.window_end_s, result.prob, rules, result.attention):
        status, reviewer = UNREVIEWED, ""
        if store is not None:
            status = store.status_of(ev.start_s, ev.end_s)
            review = store.review_of(ev.start_s, ev.end_s)
            reviewer = review.author if review is not None and status != UNREVIEWED else ""
        out.append(ReviewedDetection(ev.start_s, ev.end_s, ev.peak_prob, status, reviewer))
    return out, rules.threshold


def _ordered_labels(store: AnnotationStore) -> list[SeizureLabel]:
    """The labels in the order ``labels_to_seizures`` gives their seizures (a stable sort on the
    EEG onset, the clinical one standing in for a missing one)."""
    def key(s: SeizureLabel) -> float:
        return s.eeg_onset_s if s.eeg_onset_s is not None else s.clinical_onset_s
    return sorted(store.seizures(), key=key)


def seizure_notes(store: Optional[AnnotationStore]) -> list[SeizureNotes]:
    """Per seizure (in the recording's order): everyone who edited it, in order, and its coarse type."""
    if store is None:
        return []
    notes = []
    for s in _ordered_labels(store):
        who: list[str] = []
        for e in store.edits:
            if e.data.get("id") == s.id and e.author and e.author not in who:
                who.append(e.author)
        for name in (s.created_by, s.modified_by):  # an undone deletion keeps its creator
            if name and name not in who:
                who.append(name)
        notes.append(SeizureNotes(tuple(who), s.seizure_type))
    return notes


def report_input(recording: Recording, store: Optional[AnnotationStore], result: Optional[AnalysisResult], *,
                 start_source: str = "", result_path: Optional[Path] = None,
                 warnings: Sequence[str] = ()) -> ReportInput:
    """What the report shows, from the reviewed recording, its store and its result."""
    if recording.duration_s is None and recording.video.is_file():
        try:
            recording = Recording(recording.recording_id, recording.subject_id, recording.video,
                                  recording.seizure_type, recording.seizures, probe(recording.video).duration_s,
                                  recording.start_time, recording.eeg)
        except SemioscopeError:
            pass  # the result's duration stands in
    detections, threshold = reviewed_detections(result, store)
    return ReportInput(recording, result, detections, seizure_notes(store), threshold,
                       store.threshold() if store is not None else None, start_source, result_path,
                       store.path if store is not None else None, list(warnings))


def result_warnings(result: AnalysisResult, path: Path, video: Path) -> list[str]:
    """Why the result may not describe the video as it is (stale, incomplete)."""
    out = []
    try:
        stale = result.is_stale(video)
    except (SemioscopeError, OSError) as exc:
        stale = str(exc)
    if stale:
        out.append(f"Result {path.name} is stale: {stale}.")
    if not result.complete:
        out.append(f"Result {path.name} is incomplete (analysed up to "
                   f"{result.window_end_s[-1] if len(result) else 0:.0f} s).")
    return out


def window_recording(win: Any) -> Recording:
    """The recording as the window has it: the store's seizures (checked as for an export), the
    manifest's ids, the window's clock and the EEG linked beside the video."""
    video = Path(win.video_path).resolve()
    listed = win.recording_clock.manifest_recording or manifest_recording(video)
    rid, sid = (listed.recording_id, listed.subject_id) if listed else (video.stem, video.stem)
    store = win.store
    seizures, stype = (), (listed.seizure_type if listed else NO_SEIZURE)
    if store is not None:
        check_labels(store, f"{video.name} (recording {rid})")
        labels = store.seizures()
        seizures = tuple(labels_to_seizures(labels))
        stype = recording_type(labels) if seizures else NO_SEIZURE
    link = win.eeg_review.link
    eeg = link.eeg if link is not None else (listed.eeg if listed else None)
    return Recording(rid, sid, video, stype, seizures, listed.duration_s if listed else None,
                     win.recording_clock.start, eeg)


def window_result(win: Any) -> tuple[Optional[AnalysisResult], Optional[Path], list[str]]:
    """The result file the window shows (None, None, [] when there is none). While an analysis is
    running the trace so far is taken from the window, without a model identity."""
    path = win.results_path
    if path is not None and Path(path).is_file():
        result = AnalysisResult.load(path)
        return result, Path(path), result_warnings(result, Path(path), Path(win.video_path))
    state = win.review_state
    if not len(state):
        return None, None, []
    result = AnalysisResult(state.starts, state.ends, state.prob, state.attention, keypoints=state.keypoints,
                            config={"events": state.event_config.to_dict()}, gaps=list(state.gaps))
    return result, None, ["The analysis is not saved yet: the trace so far is shown, without the model's identity."]


def write_report(win: Any, out_path: str | Path) -> Path:
    """The report of the recording open in ``win`` (File → Report); returns the PDF's path.
    Raises ``SemioscopeError`` (no video open, labels that break a rule, an unwritable file)."""
    return window_report_input(win)(out_path)


def window_report_input(win: Any):
    """The report's data taken from the window now (GUI thread); returns ``render(out_path)``,
    which draws and writes the PDF and may run in a worker thread."""
    if win.video_path is None:
        raise SemioscopeError("open a video before writing its report")
    video = Path(win.video_path)
    if not video.is_file():
        raise InputFileError(video, "video not found")
    recording = window_recording(win)
    result, path, warnings = window_result(win)
    data = report_input(recording, win.store, result, start_source=win.recording_clock.source,
                        result_path=path, warnings=warnings)
    return lambda out_path: write_report_pdf(data, out_path)


__all__ = ["report_input", "report_path_for", "result_warnings", "reviewed_detections", "seizure_notes",
           "window_recording", "window_report_input", "window_result", "write_report"]

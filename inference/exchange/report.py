"""The seizure report: a PDF with one page for the recording and one page per seizure.

Page 1: the recording and its clock, the model and threshold, the probability trace with the
threshold, the detections (shaded by review status) and the seizure marks, the table of seizures
(onsets in clock time, duration, ILAE type, semiology sequence, reviewers) and the detections
reviewed with the false alarms. Each seizure page: its times, type and signs, stills at EEG
onset, clinical onset and the probability peak with the skeleton drawn, the five joints with the
most attention, and a zoomed trace. Drawing is in ``report_pages``; this module gathers the data.

Why matplotlib: it is already a dependency (the evaluation's ROC/PR plots), it writes vector PDF
(text stays text: sharp at any zoom, searchable, copyable) and needs no new install. Only its
object API is used (``Figure`` + ``PdfPages``), never pyplot, so no GUI backend (Qt) is loaded
and the report can be made on a headless server.

Input is plain data (:class:`ReportInput`): a manifest ``Recording`` as reviewed, the
``AnalysisResult`` (or None), the detections with their review status, per-seizure reviewers.
The application builds it from the annotation file or from the open window.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
from matplotlib.backends.backend_pdf import PdfPages

from inference.core.atomic import atomic_write
from inference.core.config import EventConfig
from inference.core.errors import InputFileError, SemioscopeError
from inference.core.version import __version__
from inference.core.wall_clock import format_clock
from inference.dataset.manifest import Recording, Seizure
from inference.dataset.semiology import coarse_type, ilae_label
from inference.pose.joints import JOINT_LABELS
from inference.results.result_file import AnalysisResult
from inference.video.reader import VideoReader

from . import report_pages as pages

UNREVIEWED, CONFIRMED, REJECTED, PARTLY = "unreviewed", "confirmed", "rejected", "partly reviewed"
PAPER_SIZES = {"a4": (8.27, 11.69), "letter": (8.5, 11.0)}  # inches, portrait
TOP_JOINTS = 5
ZOOM_MARGIN_S = 30.0  # trace shown before the first onset and after the end on a seizure page
OPEN_END_S = 60.0  # a seizure without an end mark: how far past its onset its peak is looked for
POSE_MAX_GAP_S = 0.5  # a keypoint sample further than this from a still is not drawn on it


@dataclass(frozen=True)
class ReviewedDetection:
    """A detection (at the report's threshold) and what the reviewers said of it."""

    start_s: float
    end_s: float
    peak_prob: float
    status: str = UNREVIEWED  # unreviewed / confirmed / rejected / partly reviewed
    reviewer: str = ""


@dataclass(frozen=True)
class SeizureNotes:
    """What the manifest ``Seizure`` does not carry: who reviewed it and its coarse type."""

    reviewers: tuple[str, ...] = ()
    seizure_type: str = ""  # focal / fbtc / unknown ...


@dataclass
class ReportInput:
    """Everything the report shows; ``notes`` is aligned with ``recording.seizures``.

    ``threshold``: the detection threshold the detections were found at (None: the run's);
    ``reviewer_threshold``: the one the annotation file sets (None: none set).
    ``warnings``: lines shown in red on page 1 (a stale or incomplete result).
    """

    recording: Recording
    result: Optional[AnalysisResult] = None
    detections: Sequence[ReviewedDetection] = ()
    notes: Sequence[SeizureNotes] = ()
    threshold: Optional[float] = None
    reviewer_threshold: Optional[float] = None
    start_source: str = ""
    result_path: Optional[Path] = None
    annotations_path: Optional[Path] = None
    warnings: Sequence[str] = field(default_factory=list)


def event_rules(result: AnalysisResult, threshold: Optional[float] = None) -> EventConfig:
    """The result's event rules (its own, else the model's threshold), at ``threshold`` when given:
    the detections the review window shows."""
    rules = (result.config or {}).get("events")
    cfg = EventConfig.from_dict(rules) if rules else EventConfig()
    if not rules and "threshold" in (result.model or {}):
        cfg = cfg.replace(threshold=float(result.model["threshold"]))
    return cfg if threshold is None else cfg.replace(threshold=float(threshold))


def seizure_span(sz: Seizure, duration_s: float) -> tuple[float, float, bool]:
    """(first onset, end, end marked?): without an end mark the seizure is taken to last
    ``OPEN_END_S`` past its last onset or sign (for the peak and the attention only)."""
    start = min(sz.eeg_onset_s, sz.clinical_onset_s)
    if sz.end_s is not None:
        return start, max(float(sz.end_s), start), True
    last = max([sz.eeg_onset_s, sz.clinical_onset_s] + [g.time_s for g in sz.signs])
    return start, min(last + OPEN_END_S, max(duration_s, last)), False


def _windows_in(result: AnalysisResult, a: float, b: float) -> np.ndarray:
    """Indices of the windows whose middle lies in ``a..b``; the overlapping ones when none does."""
    mid = result.window_mid_s
    idx = np.flatnonzero((mid >= a) & (mid <= b))
    if not len(idx):
        idx = np.flatnonzero((result.window_end_s > a) & (result.window_start_s < b))
    return idx


def top_attention(result: Optional[AnalysisResult], a: float, b: float,
                  k: int = TOP_JOINTS) -> tuple[list[tuple[str, float]], Optional[np.ndarray]]:
    """The ``k`` joints with the highest mean attention over the windows inside ``a..b`` (label,
    value), and the mean over all 14 (None without windows or attention)."""
    if result is None or not len(result):
        return [], None
    block = result.attention[_windows_in(result, a, b)]
    if not len(block) or not np.isfinite(block).any():
        return [], None
    with np.errstate(all="ignore"):
        mean = np.nanmean(block.astype(np.float64), axis=0)
    order = [int(i) for i in np.argsort(-np.nan_to_num(mean, nan=-1.0)) if np.isfinite(mean[i])][:k]
    return [(JOINT_LABELS[i], float(mean[i])) for i in order], mean


def peak_inside(result: Optional[AnalysisResult], a: float, b: float) -> Optional[tuple[float, float]]:
    """(time of the window's middle, probability) of the highest window inside ``a..b``."""
    if result is None or not len(result):
        return None
    idx = _windows_in(result, a, b)
    p = result.prob[idx].astype(np.float64)
    if not len(idx) or not np.isfinite(p).any():
        return None
    i = idx[int(np.nanargmax(p))]
    return float(result.window_mid_s[i]), float(result.prob[i])


def overlaps(det: ReviewedDetection, sz: Seizure, duration_s: float) -> bool:
    a, b, _ = seizure_span(sz, duration_s)
    return det.start_s <= b and det.end_s >= a


def detection_counts(data: ReportInput, duration_s: float) -> dict[str, int]:
    """Confirmed / rejected / unreviewed / partly reviewed counts, and the false alarms: rejected
    detections, and detections that overlap no seizure."""
    dets = list(data.detections)
    counts = {s: sum(1 for d in dets if d.status == s) for s in (CONFIRMED, REJECTED, UNREVIEWED, PARTLY)}
    counts["total"] = len(dets)
    counts["outside"] = sum(1 for d in dets if not any(overlaps(d, z, duration_s) for z in data.recording.seizures))
    counts["false_alarms"] = sum(1 for d in dets if d.status == REJECTED
                                 or not any(overlaps(d, z, duration_s) for z in data.recording.seizures))
    return counts


class Clock:
    """Times as text: clock time when the start is known, else seconds from the start."""

    def __init__(self, start: Optional[datetime], duration_s: float):
        self.start = start
        # A recording that runs past midnight needs the date to tell the nights apart.
        self.dated = start is not None and format_clock(start, 0.0, True)[:10] != format_clock(
            start, max(duration_s, 0.0), True)[:10]

    def at(self, t: Optional[float], seconds: bool = True) -> str:
        if t is None:
            return "not marked"
        if self.start is None:
            return f"{t:.1f} s" + (f" ({_hms(t)})" if t >= 600 else "")
        clock = format_clock(self.start, t, self.dated)
        return f"{clock} (+{t:.1f} s)" if seconds else clock

    def axis(self, t: float) -> str:
        if self.start is None:
            return _hms(t)
        return format_clock(self.start, t)[:8]


def _hms(t: float) -> str:
    t = max(0.0, float(t))
    h, rem = divmod(int(round(t)), 3600)
    return f"{h}:{rem // 60:02d}:{rem % 60:02d}" if h else f"{rem // 60}:{rem % 60:02d}"


def _duration_text(s: float) -> str:
    return f"{s:.1f} s" if s < 120 else f"{s / 60:.1f} min"


def type_text(sz: Seizure, note: SeizureNotes) -> str:
    """The ILAE label when given, else the coarse type."""
    return ilae_label(sz.ilae_type, sz.awareness) or (note.seizure_type or "type not given")


def signs_text(sz: Seizure, clock: Clock, onset: float) -> list[tuple[str, str]]:
    """The semiology sequence in time order: (sign, when: clock time and seconds after the first onset)."""
    return [(g.label, f"{clock.at(g.time_s, False) if clock.start else f'{g.time_s:.1f} s'}  "
                      f"+{g.time_s - onset:.1f} s") for g in sz.signs]


def open_video(video: Path) -> tuple[Optional[VideoReader], str]:
    """The video opened once for every still (its index is built on opening), or None and why."""
    try:
        return VideoReader(video), ""
    except (SemioscopeError, OSError) as exc:
        return None, f"video not readable: {exc}"


def read_stills(reader: Optional[VideoReader], times: Sequence[float]) -> list[Optional[np.ndarray]]:
    """RGB frames at ``times``, None where there is no frame (past the end, not decodable)."""
    out: list[Optional[np.ndarray]] = []
    last = float(reader.index.pts_s[-1]) if reader is not None and len(reader.index) else -1.0
    for t in times:
        if reader is None or t > last + 1.0:  # the reader would clamp to the last frame: not this moment
            out.append(None)
            continue
        try:
            out.append(reader.read_at_time(max(0.0, t)))
        except (SemioscopeError, IndexError):
            out.append(None)
    return out


def pose_at(result: Optional[AnalysisResult], t: float) -> Optional[tuple[np.ndarray, np.ndarray, tuple[int, int]]]:
    """(xy [14, 2], conf [14], frame size) of the keypoint sample nearest ``t``, None when too far."""
    kp = result.keypoints if result is not None else None
    if kp is None or not len(kp.times):
        return None
    i = int(kp.nearest_indices(np.array([t]))[0])
    if abs(float(kp.times[i]) - t) > POSE_MAX_GAP_S:
        return None
    return np.asarray(kp.xy[i], dtype=np.float64), np.asarray(kp.conf[i], dtype=np.float64), tuple(kp.frame_size)


def _duration(data: ReportInput) -> float:
    rec, res = data.recording, data.result
    if rec.duration_s:
        return float(rec.duration_s)
    if res is not None and len(res):
        return float(res.duration_s)
    ends = [z.end_s or max(z.eeg_onset_s, z.clinical_onset_s) for z in rec.seizures]
    return float(max(ends, default=0.0))


def _trace(data: ReportInput, threshold: Optional[float]) -> Optional[pages.TraceView]:
    res = data.result
    if res is None or not len(res):
        return None
    return pages.TraceView(res.window_mid_s, res.prob.astype(np.float64), threshold,
                           [(g.start_s, g.end_s) for g in res.gaps],
                           [(d.start_s, d.end_s, d.status) for d in data.detections],
                           [(z.eeg_onset_s, z.clinical_onset_s, z.end_s) for z in data.recording.seizures])


def _summary(data: ReportInput, clock: Clock, duration_s: float, threshold: Optional[float]) -> pages.SummaryView:
    rec, res = data.recording, data.result
    start, zone = "unknown", rec.start_time.strftime("%z") if rec.start_time is not None else ""
    if rec.start_time is not None:
        start = f"{format_clock(rec.start_time, 0.0, True)} {zone[:3]}:{zone[3:]}"
    recording = [("Recording", rec.recording_id), ("Subject", rec.subject_id), ("Video", str(rec.video)),
                 ("Duration", _duration_text(duration_s) + (f" ({_hms(duration_s)})" if duration_s >= 120 else "")),
                 ("Started at", start)]
    if rec.start_time is not None:
        recording.append(("Clock from", data.start_source or "not recorded"))
    recording.append(("EEG", str(rec.eeg) if rec.eeg else "none linked"))
    if data.annotations_path is not None:
        recording.append(("Annotations", str(data.annotations_path)))
    model: list[tuple[str, str]] = []
    if res is None:
        model.append(("Model", "no analysis result"))
    else:
        m = res.model or {}
        own = m.get("threshold")
        model += [("Model run", str(m.get("run_name") or "unknown")),
                  ("Run hash", str(m.get("run_hash") or "unknown")[:16]), ("Preset", str(m.get("preset") or "unknown")),
                  ("Model threshold", f"{own:.3f}" if isinstance(own, (int, float)) else "not stated")]
        if data.result_path is not None:
            model.append(("Result file", str(data.result_path)))
        model.append(("Analysed", res.created_utc or "unknown"))
    model.append(("Reviewer's threshold", f"{data.reviewer_threshold:.3f} (annotation file)"
                  if data.reviewer_threshold is not None else "not set (the run's is used)"))
    if threshold is not None:
        model.append(("Detections at", f"p >= {threshold:.3f}"))
    rows = []
    for k, (sz, note) in enumerate(zip(rec.seizures, _notes(data)), start=1):
        a, b, ended = seizure_span(sz, duration_s)
        seq = " → ".join(f"{g.label} +{g.time_s - a:.1f} s" for g in sz.signs) or "none recorded"
        rel = (lambda t: f"+{t:.1f} s") if clock.start is not None else (lambda _t: "")  # no clock: once is enough
        rows.append(pages.SeizureRow(str(k), clock.at(sz.eeg_onset_s, False), rel(sz.eeg_onset_s),
                                     clock.at(sz.clinical_onset_s, False), rel(sz.clinical_onset_s),
                                     _duration_text(b - a) if ended else "end not marked", type_text(sz, note), seq,
                                     ", ".join(note.reviewers) or "-"))
    c = detection_counts(data, duration_s)
    hours = duration_s / 3600.0
    if res is None:
        detections = ["No analysis result: no detections to review."]
    else:
        detections = [f"{c['total']} detection(s): {c[CONFIRMED]} confirmed, {c[REJECTED]} rejected, "
                      f"{c[UNREVIEWED]} unreviewed" + (f", {c[PARTLY]} partly reviewed" if c[PARTLY] else "") + ".",
                      f"False alarms: {c['false_alarms']} (rejected: {c[REJECTED]}; overlapping no annotated "
                      f"seizure: {c['outside']})"
                      + (f", {c['false_alarms'] / hours:.2f} per hour." if hours >= 0.25 else ".")]
    return pages.SummaryView(f"Seizure report: {rec.recording_id}", recording, model, rows, detections,
                             list(data.warnings))


def _notes(data: ReportInput) -> list[SeizureNotes]:
    notes = list(data.notes)
    coarse = data.recording.seizure_type
    return [notes[k] if k < len(notes) else SeizureNotes((), coarse_type(z.ilae_type) or coarse)
            for k, z in enumerate(data.recording.seizures)]


def _seizure_page(data: ReportInput, k: int, clock: Clock, duration_s: float, trace: Optional[pages.TraceView],
                  video: tuple[Optional[VideoReader], str]) -> pages.SeizureView:
    rec, res = data.recording, data.result
    sz, note = rec.seizures[k], _notes(data)[k]
    a, b, ended = seizure_span(sz, duration_s)
    peak = peak_inside(res, a, b)
    top, mean_att = top_attention(res, a, b)
    times = [sz.eeg_onset_s, sz.clinical_onset_s] + ([peak[0]] if peak else [])
    frames = read_stills(video[0], times)
    why = video[1] or ("" if all(f is not None for f in frames) else
                       "no frame at this time (past the end of the video, or not decodable)")
    titles = [f"EEG onset  {clock.at(sz.eeg_onset_s, False)}",
              f"Clinical onset  {clock.at(sz.clinical_onset_s, False)}"]
    if peak:
        titles.append(f"Peak p = {peak[1]:.2f}  {clock.at(peak[0], False)}")
    stills = [pages.Still(t, title, frame, pose_at(res, t)) for t, title, frame in zip(times, titles, frames)]
    facts = [("EEG onset", clock.at(sz.eeg_onset_s)), ("Clinical onset", clock.at(sz.clinical_onset_s)),
             ("End", clock.at(sz.end_s)),
             ("Duration", _duration_text(b - a) if ended else "end not marked"),
             ("EEG to clinical", f"{sz.clinical_onset_s - sz.eeg_onset_s:+.1f} s"),
             ("Type", type_text(sz, note)), ("Coarse class", note.seizure_type or coarse_type(sz.ilae_type) or "-"),
             ("Reviewer(s)", ", ".join(note.reviewers) or "-")]
    dets = [d for d in data.detections if overlaps(d, sz, duration_s)]
    if res is not None:
        facts.append(("Detections", "; ".join(f"{d.start_s:.0f}-{d.end_s:.0f} s, peak {d.peak_prob:.2f}, {d.status}"
                                               + (f" ({d.reviewer})" if d.reviewer else "") for d in dets) or "none"))
    zoom = (max(0.0, a - ZOOM_MARGIN_S), min(max(duration_s, b), b + ZOOM_MARGIN_S))
    return pages.SeizureView(f"Seizure {k + 1} of {len(rec.seizures)}: {type_text(sz, note)}",
                             f"{rec.recording_id}, subject {rec.subject_id}", facts, signs_text(sz, clock, a),
                             stills, why, top, mean_att, trace, zoom, (a, b))


def write_report(data: ReportInput, out: str | Path, paper: str = "a4") -> Path:
    """Write the report PDF atomically; returns its path. Raises ``InputFileError`` naming ``out``
    when it cannot be written."""
    out = Path(out)
    if paper not in PAPER_SIZES:
        raise ValueError(f"paper must be one of {', '.join(PAPER_SIZES)}, not {paper!r}")
    duration_s = _duration(data)
    clock = Clock(data.recording.start_time, duration_s)
    threshold = data.threshold
    if threshold is None and data.result is not None:
        threshold = event_rules(data.result, data.reviewer_threshold).threshold
    trace = _trace(data, threshold)
    size = PAPER_SIZES[paper]
    n = 1 + len(data.recording.seizures)
    stamp = f"Semioscope {__version__}, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"
    meta = {"Title": f"Seizure report: {data.recording.recording_id}", "Creator": f"Semioscope {__version__}",
            "Subject": f"{len(data.recording.seizures)} seizure(s), subject {data.recording.subject_id}",
            "Author": ", ".join(sorted({r for note in data.notes for r in note.reviewers})) or "Semioscope"}

    def write(fh) -> None:
        with PdfPages(fh, metadata=meta) as pdf:  # one page drawn and written at a time
            pdf.savefig(pages.summary_page(_summary(data, clock, duration_s, threshold), trace, clock, duration_s,
                                           size, f"{stamp}   page 1 of {n}"))
            if not data.recording.seizures:
                return
            video = open_video(data.recording.video)
            try:
                for k in range(len(data.recording.seizures)):
                    view = _seizure_page(data, k, clock, duration_s, trace, video)
                    pdf.savefig(pages.seizure_page(view, clock, size, f"{stamp}   page {k + 2} of {n}"))
            finally:
                if video[0] is not None:
                    video[0].close()

    try:
        with pages.pdf_fonts():
            return atomic_write(out, write)
    except OSError as exc:
        raise InputFileError(out, f"cannot write the report ({exc.strerror or exc})") from None

__all__ = ["CONFIRMED", "PAPER_SIZES", "PARTLY", "REJECTED", "UNREVIEWED", "ReportInput", "ReviewedDetection",
           "SeizureNotes", "detection_counts", "event_rules", "peak_inside", "seizure_span", "top_attention",
           "write_report"]

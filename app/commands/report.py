"""``semioscope report``: the seizure report of a reviewed recording as a PDF, without a window."""
from __future__ import annotations

import argparse
from pathlib import Path

from app.annotations import annotations_path_for
from app.export import manifest_recording, reviewed_recording
from app.report_actions import report_input, report_path_for, result_warnings
from inference.core.errors import InputFileError, SemioscopeError
from inference.core.progress import cli_log
from inference.exchange.report import PAPER_SIZES, write_report
from inference.results.result_file import RESULT_SUFFIX, AnalysisResult, result_path_for
from inference.video.start_time import recording_start

NAME = "report"
HELP = "write the seizure report of a reviewed recording (PDF: one page per recording and per seizure)"
ORDER = 57
DESCRIPTION = """\
Write a PDF report of one recording: a first page with the recording and its wall clock, the
model and threshold, the seizure probability over the recording with the threshold, the
detections (shaded by review status) and the seizure marks, a table of the seizures (onsets in
clock time, duration, ILAE type, the semiology sequence, the reviewers) and the detections
reviewed with the false alarms; then one page per seizure with its times and signs, stills at
EEG onset, clinical onset and the probability peak with the skeleton drawn, the five joints with
the most attention, and a zoomed trace.

Give the video (its result file <video>.result.npz is used when it lies beside it) or the result
file (its video is the one named inside). The seizures and reviews come from the annotation file
(<video>.semioscope-annotations.json, written by 'semioscope review'; else the manifest beside
the video).

examples:
  semioscope report rec01.mp4                          # writes rec01.report.pdf beside it
  semioscope report out/rec01.result.npz --out reports/rec01.pdf
  semioscope report rec01.mp4 --annotations elsewhere/rec01.json --paper letter
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", metavar="VIDEO|RESULT", help="the video, or its result file (*.result.npz)")
    p.add_argument("--annotations", metavar="FILE", help="the annotation file (default: beside the video)")
    p.add_argument("--out", metavar="PDF", help="the report to write (default: <video stem>.report.pdf beside it)")
    p.add_argument("--paper", choices=sorted(PAPER_SIZES), default="a4", help="page size, portrait (default: a4)")


def _open_source(source: Path) -> tuple[Path, AnalysisResult | None, Path | None]:
    """(video, result or None, result path or None) for a video or a result file."""
    if source.name.endswith(RESULT_SUFFIX) or source.suffix == ".npz":
        result = AnalysisResult.load(source)  # InputFileError names the file and the problem
        if not result.video_path:
            raise InputFileError(source, "the result file does not name its video")
        video = Path(result.video_path)
        if not video.is_absolute():
            video = source.parent / video
        if not video.is_file():
            raise InputFileError(video, f"video not found (named by the result file {source})")
        return video, result, source
    if not source.is_file():
        raise InputFileError(source, "video not found" if not source.exists() else "is not a file")
    path = result_path_for(source)
    if not path.is_file():
        return source, None, None
    return source, AnalysisResult.load(path), path


def run(args: argparse.Namespace) -> int:
    video, result, result_path = _open_source(Path(args.source))
    annotations = Path(args.annotations) if args.annotations else annotations_path_for(video)
    if args.annotations and not annotations.is_file():
        raise InputFileError(annotations, "annotation file not found")
    try:
        recording, store = reviewed_recording(video, annotations)
    except InputFileError:
        raise
    except SemioscopeError as exc:
        raise SemioscopeError(f"{annotations}: {exc}") from None
    listed = manifest_recording(video)
    _start, source = recording_start(video, listed.start_time if listed else None)
    warnings = result_warnings(result, result_path, video) if result is not None else []
    for w in warnings:
        cli_log(f"semioscope report: warning: {w}")
    data = report_input(recording, store, result, start_source=source if recording.start_time else "",
                        result_path=result_path, warnings=warnings)
    out = write_report(data, Path(args.out) if args.out else report_path_for(video), paper=args.paper)
    n = len(recording.seizures)
    print(f"wrote {out}: {1 + n} page(s), {n} seizure(s)"
          + ("" if result is not None else "; no result file, so no trace or detections"))
    return 0

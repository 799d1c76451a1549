"""``semioscope export``: training labels from the reviewed annotation files, without a window."""
from __future__ import annotations

import argparse
from pathlib import Path

from app.annotations import AnnotationStore, annotations_path_for
from app.export import export_training_labels, recording_identity
from inference.core.errors import Cancelled, InputFileError, SemioscopeError
from inference.core.progress import cli_log, cli_progress
from inference.video.index import probe

NAME = "export"
HELP = "export reviewed labels of videos (their annotation files) as a training manifest and segments"
ORDER = 55
DESCRIPTION = """\
Read each video's annotation file (<video>.semioscope-annotations.json, written by
'semioscope review') and write, into --out: manifest.json (the corrected onsets; 'semioscope
train --manifest OUT/manifest.json' reads it), segments.csv (the labelled 5 s windows),
detections.csv (reviewed detections) and provenance.csv (which seizure times a person set and
which are still the detector's proposal). Exporting into a folder again adds or replaces the
recordings given.

A recording whose labels break a rule (an end before its onset, overlapping seizures, a seizure
without onset, a confirmed detection without a seizure label; with --require-human-onsets also
an onset only the detector proposed) is not exported: the error names the file, the seizure and
the problem. The others are exported; the exit status is 1 when any failed.

examples:
  semioscope export rec01.mp4 --out labels/
  semioscope export videos/*.mp4 --out labels/ --require-human-onsets
  semioscope export rec01.mp4 --annotations elsewhere/rec01.json --out labels/
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("videos", nargs="+", metavar="VIDEO", help="reviewed video file(s)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for manifest.json, segments.csv, ...")
    p.add_argument("--annotations", metavar="FILE",
                   help="the annotation file (one video only; default: beside the video)")
    p.add_argument("--require-human-onsets", action="store_true",
                   help="refuse recordings with an onset that is still the detector's proposal")


def export_one(video: Path, annotations: Path, out: Path, require_human_onsets: bool):
    """Export one recording; raises a SemioscopeError naming the file and the problem."""
    if not video.is_file():
        raise InputFileError(video, "video not found" if not video.exists() else "is not a file")
    if not annotations.is_file():
        raise InputFileError(annotations, f"no annotation file for {video.name} (review it first, or give "
                                          "--annotations)")
    store = AnnotationStore.open(annotations, "semioscope export", autosave=False)
    rid, sid = recording_identity(video)
    try:
        return export_training_labels(store, video, out, duration_s=probe(video).duration_s, recording_id=rid,
                                      subject_id=sid, require_human_onsets=require_human_onsets)
    except InputFileError:
        raise  # names its own file (the video, the export folder, its manifest)
    except SemioscopeError as exc:
        raise SemioscopeError(f"{annotations}: {exc}") from None


def run(args: argparse.Namespace) -> int:
    videos = [Path(v) for v in args.videos]
    if args.annotations and len(videos) > 1:
        raise SemioscopeError("--annotations names the file of one video; give one VIDEO with it")
    out = Path(args.out)
    failures: list[str] = []
    done = []
    with cli_progress("export", total=len(videos), unit="video", leave=False) as progress:
        for k, video in enumerate(videos):
            progress(k, len(videos), video.name)
            annotations = Path(args.annotations) if args.annotations else annotations_path_for(video)
            try:
                done.append(export_one(video, annotations, out, args.require_human_onsets))
            except Cancelled:
                raise
            except (SemioscopeError, OSError) as exc:
                cli_log(f"semioscope export: error: {exc}")
                failures.append(str(video))
        progress(len(videos), len(videos))
    if done:
        last = done[-1]
        human = sum(s.human_onsets for s in done)
        machine = sum(s.machine_onsets for s in done)
        print(f"exported {len(done)} of {len(videos)} recording(s) to {out}: {sum(s.seizures for s in done)} "
              f"seizure(s); onsets: {human} set by a person, {machine} proposed by the detector")
        print(f"  manifest: {last.manifest} ({last.recordings} recording(s) in all, {last.interictal} interictal "
              f"+ {last.ictal} ictal segments)")
        print(f"  provenance: {last.provenance_csv}")
    if failures:
        cli_log(f"semioscope export: {len(failures)} of {len(videos)} video(s) not exported: {', '.join(failures)}")
        return 1
    return 0

"""``semioscope import-edf FILE.edf --video VIDEO``: seizure labels from EDF+ annotations."""
from __future__ import annotations

import argparse
from pathlib import Path

from app.annotations import AnnotationStore, annotations_path_for
from app.commands._config_option import add_config_option, config_from_args
from app.edf_exchange import import_ops, read_for_video
from inference.core.errors import InputFileError

NAME = "import-edf"
HELP = "read seizure labels from an EDF+ file's annotations into a video's annotations"
ORDER = 14
DESCRIPTION = """\
Read the annotations of an EDF+ (or BDF+) file, recognise the marks in them, and add the
seizures to the video's annotation file (<video>.semioscope-annotations.json), where the
review window shows them (each import is one step in the edit history, with its author).

Texts are matched case-insensitively: "EEG onset", "sz onset", "electrographic onset" (EEG
onset), "clinical onset", "end", "seizure end", "offset" (end), "seizure"/"sz" with a duration
(a whole seizure), "Sz3 ..." numbering, and what export-edf writes (types, semiology signs).
A unit's own wording goes in the config's [edf_patterns] section (--config). Unmatched texts are
listed. Times are placed on the video's clock through the linked EEG's alignment when the file
starts with that EEG, else through the two start times.

examples:
  semioscope import-edf rec.edf --video rec.mp4
  semioscope import-edf nk_export.edf --video rec.mp4 --reviewer "Dr Smith" --config unit.toml
  semioscope import-edf rec.edf --video rec.mp4 --dry-run
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("edf", metavar="FILE.edf", help="EDF+ / BDF+ file with annotations")
    p.add_argument("--video", required=True, metavar="VIDEO", help="the video the labels belong to")
    p.add_argument("--reviewer", default=None, metavar="NAME",
                   help="author of the imported labels (default: import:FILE)")
    p.add_argument("--dry-run", action="store_true", help="list what would be imported, change nothing")
    add_config_option(p)


def run(args: argparse.Namespace) -> int:
    edf, video = Path(args.edf), Path(args.video)
    if not video.is_file():
        raise InputFileError(video, "video not found" if not video.exists() else "is not a file")
    labels, how = read_for_video(edf, video, config_from_args(args))
    print(f"{edf.name}: {len(labels.seizures)} seizure(s), times placed {how}")
    for k, sz in enumerate(labels.seizures, start=1):
        end = f"{sz.end_s:.3f}" if sz.end_s is not None else "?"
        extra = f", {sz.ilae_type}" if sz.ilae_type else ""
        print(f"  {k}: EEG onset {sz.eeg_onset_s:.3f} s, clinical onset {sz.clinical_onset_s:.3f} s, end {end} s"
              f"{extra}, {len(sz.signs)} sign(s)")
    if labels.ignored:
        print(f"  not recognised ({len(labels.ignored)}): " + "; ".join(sorted(set(labels.ignored))[:12]))
    if args.dry_run or not labels.seizures:
        return 0
    author = args.reviewer or f"import:{edf.name}"
    store = AnnotationStore.open(annotations_path_for(video), author)
    store.apply_many(import_ops(store, labels, f"import:{edf.name}"), author=author)
    print(f"added to {store.path}")
    return 0

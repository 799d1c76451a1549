"""``semioscope export-edf VIDEO``: the reviewed labels as EDF+ annotations, for EEG software."""
from __future__ import annotations

import argparse
from pathlib import Path

from app.edf_exchange import export_edf

NAME = "export-edf"
HELP = "write the reviewed labels of a video as EDF+ annotations (into a copy of its EEG, or alone)"
ORDER = 56
DESCRIPTION = """\
Write the labels reviewed in the window (<video>.semioscope-annotations.json) as EDF+
annotations that EEG software, mne and edfio read: "Sz1 EEG onset", "Sz1 Clinical onset",
"Sz1 Seizure end", "Seizure type: ..." and one "Sign: TERM; BODY PART; LATERALITY" per
semiology sign, plus "Detection confirmed" / "Detection rejected" with their durations.

When an EEG is linked to the video (review --eeg, File -> Open EEG), the onsets count from the
EEG's first sample through the fitted clock alignment, and the default output is a copy of the
EEG with these annotations added (<eeg stem>.semioscope.edf); --annotations-only writes an
EDF+ with no signal instead. Without an EEG the onsets count from the video's start and the
file starts at the recording's start time. `semioscope import-edf` reads such files back.

examples:
  semioscope export-edf rec.mp4                         # rec.semioscope.edf (EEG copy) or rec.mp4.annotations.edf
  semioscope export-edf rec.mp4 --annotations-only --out labels/rec.edf
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("video", metavar="VIDEO", help="the reviewed video")
    p.add_argument("--out", metavar="FILE.edf", help="output file (default: beside the EEG or the video)")
    p.add_argument("--annotations", metavar="FILE", help="annotation file (default: beside the video)")
    p.add_argument("--annotations-only", action="store_true", help="an EDF+ with the annotations only, no signal")


def run(args: argparse.Namespace) -> int:
    done = export_edf(Path(args.video), args.out, args.annotations, args.annotations_only)
    print(f"{done.annotations} annotations written to {done.path} (onsets from {done.clock})")
    return 0

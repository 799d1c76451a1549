"""``semioscope import-bids``: a BIDS dataset's events (written by export-bids) back into a manifest."""
from __future__ import annotations

import argparse
from pathlib import Path

from inference.dataset.manifest import save_manifest
from inference.exchange.bids_import import import_bids

NAME = "import-bids"
HELP = "read a BIDS dataset's events.tsv labels (seizures, ILAE type, signs) into a manifest"
ORDER = 13
DESCRIPTION = """\
Read every sub-*/[ses-*/]beh/*_events.tsv of a BIDS dataset (as 'semioscope export-bids'
writes it) and write a recording manifest: per recording the video beside the events
(*_video.<ext>), its duration (_video.json), its start time (scans.tsv acq_time, in its
utc_offset), the EEG (eeg/*_eeg.edf) when there is one, and the seizures: EEG and clinical
onsets from the eeg_onset/clinical_onset rows, the end from the seizure row's onset + duration,
the ILAE type and awareness, and the sign:<term> rows with body part and laterality.
Recording ids are sub-<s>[_ses-<x>]_run-<n>; subject ids the BIDS labels. Detections and rows
of other kinds are not labels and are left out. A malformed file stops the import with the
file, the line and the problem.

examples:
  semioscope import-bids bids/ --out bids-manifest.json
  semioscope import-bids bids/ --out labels.csv
  semioscope segments labels.csv
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dataset", metavar="DATASET", help="the BIDS dataset folder")
    p.add_argument("--out", required=True, metavar="MANIFEST", help="manifest to write, .csv or .json")


def run(args: argparse.Namespace) -> int:
    manifest = import_bids(args.dataset)
    out = save_manifest(manifest, Path(args.out))
    seizures = sum(len(r.seizures) for r in manifest)
    signs = sum(len(s.signs) for r in manifest for s in r.seizures)
    print(f"wrote {out}: {len(manifest)} recording(s) of {len(manifest.subjects)} subject(s), {seizures} seizure(s), "
          f"{signs} sign(s); {sum(1 for r in manifest if r.eeg is not None)} with EEG")
    return 0

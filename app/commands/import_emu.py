"""``semioscope import-emu``: turn the public WU-SAHZU EMU video dataset into a manifest."""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

from inference.core.progress import cli_progress
from inference.dataset.emu_import import import_emu
from inference.dataset.manifest import save_manifest
from inference.dataset.manifest_checks import check_manifest

NAME = "import-emu"
HELP = "write a manifest for the WU-SAHZU EMU video dataset (patNN/Sz{k}{P|PG}.mp4 + Label.xlsx)"
ORDER = 15
DESCRIPTION = """\
Read the WU-SAHZU EMU video dataset (VSViG) layout, DIR/patNN/Sz{k}P.mp4 (focal) and
Sz{k}PG.mp4 (focal to bilateral tonic-clonic) plus DIR/Label.xlsx with the EEG and clinical
onset of each seizure, and write a recording manifest (video paths relative to it).

Label.xlsx columns are found by keywords (patient, seizure, EEG, clinical onset); times may be
seconds, mm:ss or hh:mm:ss. Videos without an onset are left out (with a warning).

examples:
  semioscope import-emu WU-SAHZU-EMU-Video/dataset
  semioscope import-emu WU-SAHZU-EMU-Video --out wu-sahzu.json
  semioscope segments WU-SAHZU-EMU-Video/dataset/manifest.csv
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dataset", metavar="DIR", help="dataset folder (holding patNN/ and Label.xlsx, or dataset/)")
    p.add_argument("--out", metavar="MANIFEST", help="manifest to write, .csv or .json (default DIR/manifest.csv)")
    p.add_argument("--no-probe", action="store_true",
                   help="do not open the videos (by default their durations are read, stored in the "
                        "manifest and checked against the onsets)")


def run(args) -> int:
    out = Path(args.out) if args.out else Path(args.dataset) / "manifest.csv"
    warnings: list[str] = []
    manifest = import_emu(args.dataset, on_warning=warnings.append)
    for w in warnings:
        print(f"semioscope import-emu: warning: {w}", file=sys.stderr)
    durations: dict[str, float] = {}
    with cli_progress("reading video durations", total=len(manifest), unit="video", leave=False) as progress:
        issues = check_manifest(manifest, check_videos=not args.no_probe, durations=durations, progress=progress)
    # Stored durations spare later commands from probing every video again.
    manifest.recordings = [replace(r, duration_s=durations.get(r.recording_id, r.duration_s)) for r in manifest]
    save_manifest(manifest, out)
    for i in issues:
        print(f"semioscope import-emu: {i}", file=sys.stderr)
    types = Counter(r.seizure_type for r in manifest)
    print(f"wrote {out}: {len(manifest)} recording(s) of {len(manifest.subjects)} subject(s); "
          f"{types.get('focal', 0)} focal, {types.get('fbtc', 0)} focal to bilateral tonic-clonic"
          + (f"; {len(warnings)} warning(s)" if warnings else ""))
    for s in manifest.subjects:
        ids = [r.recording_id.split("_", 1)[-1] + ("PG" if r.seizure_type == "fbtc" else "P")
               for r in manifest if r.subject_id == s]
        print(f"  {s}: {' '.join(ids)}")
    errors = [i for i in issues if i.level == "error"]
    if errors:
        print(f"semioscope import-emu: {len(errors)} error(s); the manifest was written, fix it or "
              "Label.xlsx before training (an onset past the end of its video may be m:ss typed into "
              "Excel, which reads it as h:mm)", file=sys.stderr)
        return 1
    return 0

"""What the false alarms of an evaluated run were doing, on synthetic data (issue 21).

Reads ``RUN/evaluation.json`` (every test recording's alarms) and each recording's generator
sidecar (``<stem>.annotations.json``: the actions, staff walk-throughs, night mode, seizures) and
attributes every false alarm to what overlapped it: an action (reach, scratch, repositioning,
leg, head turn, talk...), a staff pass, the lead-up to a seizure (an early alarm), or nothing
known. Prints a count per cause and per recording, and the alarms with their peak probability.

    python bench/false_alarm_causes.py RUN [--manifest M]
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inference.dataset.manifest import load_manifest  # noqa: E402
from inference.training.scoring import TOL_AFTER_S, TOL_BEFORE_S  # noqa: E402


def causes_of(alarm: dict, side: dict) -> list[str]:
    a, b = float(alarm["start_s"]), float(alarm["end_s"])
    found = []
    for act in side.get("actions", []):
        if act["start_s"] < b and act["end_s"] > a:
            found.append(act["kind"])
    for p in side.get("staff_passes", []) or []:
        s0 = p.get("start_s", p.get("enter_s", 0.0))
        s1 = p.get("end_s", p.get("exit_s", s0))
        if s0 < b and s1 > a:
            found.append("staff")
    for sz in side.get("seizures", []):
        if a < sz["eeg_onset_s"] - TOL_BEFORE_S < b:
            found.append("early (ran into a seizure)")
    return found or ["nothing known"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run")
    ap.add_argument("--manifest", help="default: the run's")
    args = ap.parse_args()
    run = Path(args.run)
    ev = json.loads((run / "evaluation.json").read_text())
    manifest = load_manifest(args.manifest or json.loads((run / "run.json").read_text())["manifest"]["path"])
    by_id = {r.recording_id: r for r in manifest}
    per_cause: Counter = Counter()
    n_false = 0
    for row in ev["event_rows"]:
        rec = by_id[row["recording_id"]]
        side_path = Path(rec.video).with_name(Path(rec.video).stem + ".annotations.json")
        side = json.loads(side_path.read_text()) if side_path.exists() else {}
        guards = [(sz["eeg_onset_s"] - TOL_BEFORE_S, sz["end_s"] + TOL_AFTER_S) for sz in row["seizures"]]
        false = [al for al in row["alarms"]
                 if not any(al["end_s"] > g0 and g0 <= al["start_s"] < g1 for g0, g1 in guards)]
        if not false:
            continue
        print(f"{row['recording_id']} ({row['duration_s']:.0f} s, night {side.get('night_mode')}, "
              f"{len(side.get('staff_passes') or [])} staff passes):")
        for al in false:
            c = causes_of(al, side)
            n_false += 1
            per_cause.update(set(c))
            print(f"  {al['start_s']:7.1f}-{al['end_s']:7.1f} s  peak {al['peak_prob']:.2f}  {', '.join(sorted(set(c)))}")
    print(f"\n{n_false} false alarm(s); overlapping (an alarm can overlap several):")
    for cause, n in per_cause.most_common():
        print(f"  {cause:28s} {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

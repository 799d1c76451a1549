"""``semioscope agreement``: how far raters (and the detector) agree on the seizures of recordings."""
from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path
from typing import Any, Optional

from app.agreement_inputs import AgreementInputs, load_inputs
from inference.core.atomic import atomic_write_json, atomic_write_text
from inference.core.errors import SemioscopeError
from inference.results.agreement import FIELDS, AgreementReport, PairResult, difference_stats, rater_agreement

NAME = "agreement"
HELP = "inter-rater agreement on seizures: sensitivity, false positives, overlap, kappa, onset differences"
ORDER = 59
DESCRIPTION = """\
Compare the seizure labels of two or more raters: annotation files of one recording
(<video>.semioscope-annotations.json, one per reviewer), or manifests of many recordings
(one per rater, e.g. each one's 'semioscope export' manifest.json; recordings are paired by
recording_id). With --results, the detector's events are scored against each rater too.

For every ordered pair (reference, other): SzCORE event sensitivity and false positives per hour
(timescoring: 30 s tolerance before onset, 60 s after end, events < 90 s apart merged, > 5 min
split), any-overlap sensitivity and false positives per hour, the time-weighted overlap (share of
the reference's seizure time the other marks too), Cohen's kappa on 1 s epochs, and the
differences (other - reference) in EEG onset, clinical onset and end of matched seizures (mean,
median, largest absolute, per seizure). Over all raters: Cohen's kappa (two) or Fleiss' kappa
(three or more). A seizure runs from its earliest onset to its end; one without an end ends
120 s after its last mark.

The duration comes from --duration, the manifest's duration_s, the result file, or the video
(beside the annotation file, or named in it).

examples:
  semioscope agreement rec.mp4.semioscope-annotations.json other/rec.mp4.semioscope-annotations.json
  semioscope agreement a.json b.json c.json --results rec.result.npz --csv agree.csv --json agree.json
  semioscope agreement drA/manifest.json drB/manifest.json --duration 86400
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="annotation files of one recording, or manifests of many (one per rater)")
    p.add_argument("--results", action="append", default=[], metavar="R.result.npz",
                   help="the detector's result file, scored against each rater (repeat for manifests)")
    p.add_argument("--duration", type=float, metavar="S", help="the recording's duration in seconds")
    p.add_argument("--csv", metavar="OUT.csv", help="write one row per pair here (and the per-seizure "
                                                    "differences to OUT.seizures.csv)")
    p.add_argument("--json", metavar="OUT.json", help="write everything, per seizure included, here")


def _f(x: Optional[float], fmt: str = "{:.2f}", signed: bool = False) -> str:
    if x is None:
        return "-"
    return ("{:+.1f}" if signed else fmt).format(x)


def _frac(x: Optional[float], k: int, n: int) -> str:
    return f"{_f(x)} ({k}/{n})"


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows)


FIELD_NAMES = {"eeg_onset_s": "EEG onset", "clinical_onset_s": "clinical onset", "end_s": "end"}


def format_report(report: AgreementReport, inputs: AgreementInputs) -> str:
    hours = sum(d for _r, d in report.recordings) / 3600
    rec = (f"{report.recordings[0][0]}, {report.recordings[0][1]:.1f} s" if len(report.recordings) == 1
           else f"{len(report.recordings)} recordings, {hours:.2f} h")
    out = [f"Agreement of {len(report.raters)} rater(s) on {rec}; a seizure without an end ends "
           f"{report.open_end_s:g} s after its last mark."]
    for name, n in report.counts.items():
        what = "event(s)" if name == "model" else "seizure(s)"
        out.append(f"  {name}: {n} {what}  [{inputs.sources.get(name, '')}]")
    if report.kappa_method:
        method = "Cohen's" if report.kappa_method == "cohen" else "Fleiss'"
        out.append(f"{method} kappa on {report.epochs} epochs of 1 s: {_f(report.kappa, '{:.3f}')}")
    out.append("")
    rows = [["reference", "other", "SzCORE sens", "FP/h", "any-overlap sens", "FP/h", "time overlap", "kappa"]]
    for p in report.all_pairs():
        rows.append([p.reference, p.hypothesis, _frac(p.sensitivity, p.tp, p.ref_events), _f(p.fp_per_hour),
                     _frac(p.any_overlap_sensitivity, p.hits, p.ref_seizures), _f(p.any_overlap_fp_per_hour),
                     _f(p.time_overlap), _f(p.kappa if p.kappa == p.kappa else None, "{:.3f}")])
    # Timing is antisymmetric: each pair of raters once (the first named as reference), then the model.
    order = {name: k for k, name in enumerate(report.raters)}
    once = [p for p in report.pairs if order[p.reference] < order[p.hypothesis]] + report.model_pairs
    out += [_table(rows), "", "Timing of matched seizures, other - reference (s); CSV/JSON hold both directions:"]
    rows = [["reference", "other", "field", "n", "mean", "median", "max |d|"]]
    for p in once:
        for f in FIELDS:
            st = difference_stats(p.differences(f))
            rows.append([p.reference, p.hypothesis, FIELD_NAMES[f], str(st["n"]), _f(st["mean"], signed=True),
                         _f(st["median"], signed=True), _f(st["max_abs"], "{:.1f}")])
    out += [_table(rows), "", "Per seizure (reference -> other, seconds; '-' = not marked):"]
    rows = [["reference", "other", "recording", "ref #", "other #"] + [FIELD_NAMES[f] for f in FIELDS]]
    for p in once:
        for r in p.rows:
            cells = []
            for k, f in enumerate(FIELDS):
                d = r.difference(f)
                cells.append(f"{_f(r.ref[k], '{:.1f}')} -> {_f(r.hyp[k], '{:.1f}')}"
                             + (f" ({d:+.1f})" if d is not None else ""))
            rows.append([p.reference, p.hypothesis, r.recording_id,
                         "-" if r.ref_index is None else str(r.ref_index + 1),
                         "-" if r.hyp_index is None else str(r.hyp_index + 1)] + cells)
    out.append(_table(rows))
    return "\n".join(out)


def _csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    if rows:
        w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows([{k: ("" if v is None else v) for k, v in r.items()} for r in rows])
    return buf.getvalue()


def pair_rows(report: AgreementReport) -> list[dict[str, Any]]:
    kappa = {"overall_kappa_method": report.kappa_method, "overall_kappa": report.kappa}
    return [{"kind": kind, **p.summary(), **kappa}
            for kind, pairs in (("raters", report.pairs), ("model", report.model_pairs)) for p in pairs]


def seizure_rows(pairs: list[PairResult]) -> list[dict[str, Any]]:
    return [{"reference": p.reference, "other": p.hypothesis, **r.to_dict()} for p in pairs for r in p.rows]


def run(args: argparse.Namespace) -> int:
    inputs = load_inputs([Path(f) for f in args.files], [Path(r) for r in args.results], args.duration)
    try:
        report = rater_agreement(inputs.recordings)
    except ValueError as exc:
        raise SemioscopeError(f"{', '.join(args.files)}: {exc}") from None
    for note in inputs.notes:
        print(f"note: {note}")
    print(format_report(report, inputs))
    if args.csv:
        path = Path(args.csv)
        atomic_write_text(path, _csv(pair_rows(report)))
        seizures = path.with_name(path.stem + ".seizures.csv")
        atomic_write_text(seizures, _csv(seizure_rows(report.all_pairs())))
        print(f"wrote {path} and {seizures}")
    if args.json:
        atomic_write_json(args.json, {**report.to_dict(), "sources": inputs.sources, "notes": inputs.notes})
        print(f"wrote {args.json}")
    return 0

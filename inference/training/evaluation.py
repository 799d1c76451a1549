"""Evaluation of a trained run on its held-out test subjects: segment level (paper Table 1) and
event level (what clinicians judge by), plus baselines, per-subject rows and ROC/PR curves.

Segment level: the test subjects' labelled 5 s windows (training stride, foundation label rules),
scored at the run's validation threshold: accuracy, AUROC, AUPRC, F1, precision, recall.
Baselines in the same table: random chance (the expected scores of a fair coin: accuracy 0.5,
AUROC 0.5, AUPRC = precision = prevalence, recall 0.5) and the one-class classifier that always
predicts the training set's majority class.

Event level: every test recording is scored whole with a 1 s stride (the review stride), windows
without any valid joint or with undecodable frames get no probability (NaN, as in the engine),
and alarms are ``events.detect_events`` with the run's EventConfig (validation threshold,
hysteresis, minimum duration, merge gap), the same rule the engine and GUI use. Scoring follows
the community seizure-scoring rules (SzCORE) as implemented by the ``timescoring`` package
(``EventScoring`` with its default parameters): a seizure [EEG onset, end] counts as detected
when an alarm overlaps it, extended by 30 s before and 60 s after; an alarm overlapping no
extended seizure is a false alarm. False alarms are counted per hour of interictal video = the
recording time outside the extended seizures. Seizure end = ``end_s`` or clinical onset +
``assumed_seizure_s`` when unknown.
Latency: an alarm is raised once its first firing window has been fully observed and the event
has lasted the minimum duration, i.e. at ``event.start + max(window_s, min_duration_s)``; the
latency of a detected seizure is that time of its first overlapping alarm minus the EEG onset
(and minus the clinical onset). It may be negative when the alarm falls within the 30 s
tolerance before onset.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from inference.core.atomic import atomic_write, atomic_write_json, atomic_write_text
from inference.core.config import PoseConfig, SplitConfig
from inference.core.errors import SemioscopeError
from inference.core.progress import CancelToken, ProgressFn, no_progress
from inference.core.run_folder import run_json_path
from inference.dataset.manifest import Manifest, load_manifest
from inference.dataset.split_plan import check_stored_split
from inference.dataset.splits import SubjectSplit
from inference.detector.checkpoint import load_run
from inference.training.metrics import fmt_pm, majority_class, random_chance, segment_metrics
from inference.training.operating_point import assess_operating_point, summary_line
from inference.training.prepared import prepare_data
from inference.training.scoring import (
    TOL_AFTER_S,
    TOL_BEFORE_S,
    engine_scorer,
    predict_window_set,
    recording_trace,
    score_recording,
    summarise_events,
)

EVAL_JSON = "evaluation.json"
EVAL_MD = "evaluation.md"


def _plot_curves(y: np.ndarray, prob: np.ndarray, out_dir: Path, title: str) -> list[str]:
    # heavy: plotting and sklearn load only when figures are written
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # matplotlib is slow to import: loaded only when plots are drawn
    from sklearn.metrics import (  # scikit-learn is slow to import: loaded only when metrics are computed
        precision_recall_curve,
        roc_curve,
    )

    files = []
    if len(np.unique(y)) < 2:
        return files
    fpr, tpr, _ = roc_curve(y, prob)
    prec, rec, _ = precision_recall_curve(y, prob)
    for name, (xs, ys, xl, yl, diag) in {
        "roc.png": (fpr, tpr, "false positive rate", "true positive rate", ([0, 1], [0, 1])),
        "pr.png": (rec, prec, "recall", "precision", ([0, 1], [y.mean(), y.mean()])),
    }.items():
        fig, ax = plt.subplots(figsize=(4.2, 4.0), dpi=110)
        ax.plot(xs, ys, lw=2, label="detector")
        ax.plot(*diag, ls="--", c="grey", label="chance")
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_title(f"{title}: {'ROC' if name == 'roc.png' else 'precision-recall'}", fontsize=9)
        ax.legend(loc="lower right" if name == "roc.png" else "lower left", fontsize=8)
        fig.tight_layout()

        def write(fh, fig=fig) -> None:
            fig.savefig(fh, format="png")

        atomic_write(out_dir / name, write)
        plt.close(fig)
        files.append(name)
    return files


def manifest_for_run(run_dir: Path, rc: dict[str, Any], manifest, log: Callable[[str], None]) -> Manifest:
    """The manifest to evaluate ``run_dir`` on: ``manifest`` (a Manifest or its path), else the one
    run.json names; warns when it differs from the one the run was trained on."""
    if manifest is None:
        path = rc.get("manifest", {}).get("path")
        if not path:
            raise SemioscopeError(f"{run_dir}: run.json names no manifest; pass --manifest")
        manifest = load_manifest(path)
    elif isinstance(manifest, (str, Path)):
        manifest = load_manifest(manifest)
    want = rc.get("manifest", {}).get("hash")
    if want and manifest.content_hash() != want:
        log(f"warning: manifest {manifest.path} differs from the one the run was trained on "
            f"(hash {manifest.content_hash()} vs {want}); the test subjects come from run.json")
    return manifest


def evaluate_run(run_dir: str | Path, manifest=None, cache_dir: Optional[str | Path] = None, device: str = "auto",
                 progress: ProgressFn = no_progress, log: Callable[[str], None] = print,
                 cancel: Optional[CancelToken] = None, write: bool = True,
                 events: Optional[dict[str, float]] = None) -> dict[str, Any]:
    """Evaluate one run on its test subjects; writes evaluation.json/.md and roc.png/pr.png.
    ``events`` overrides the run's event rules for the event level (threshold, min_duration_s, ...)."""

    run_dir = Path(run_dir)
    loaded = load_run(run_dir, device)
    if events:
        loaded.event_config = loaded.event_config.replace(**{k: float(v) for k, v in events.items() if v is not None})
    rc = loaded.run_config
    manifest = manifest_for_run(run_dir, rc, manifest, log)
    split = SubjectSplit.from_dict(rc.get("split", {}))
    for w in check_stored_split(split, manifest, str(run_json_path(run_dir))):  # before any decoding
        log(f"warning: {w}")
    seg = loaded.segment_config
    data = prepare_data(manifest, seg, loaded.clip_config, SplitConfig(), PoseConfig.from_run(rc.get("pose")),
                        rc.get("keypoint_source", "gt"), cache_dir, split=split, roles=("test",),
                        progress=progress, cancel=cancel, log=log)
    test = data.test
    # Segment level, through the same predict() the engine uses.
    prob, _ = predict_window_set(test, engine_scorer(loaded, test), cancel)
    y = test.labels
    thr = loaded.threshold
    seg_m = segment_metrics(y, prob, thr)
    counts = rc.get("training", {}).get("counts", {}).get("train", {})
    majority = 1 if counts.get("ictal", 0) > counts.get("interictal", 0) else 0
    baselines = {"random_chance": random_chance(y), "one_class": majority_class(y, majority)}
    per_subject = {}
    subj = np.asarray(test.subjects)
    for s in split.test:
        sel = subj == s
        if sel.any():
            per_subject[s] = segment_metrics(y[sel], prob[sel], thr)
    # Event level over whole test recordings.
    ev_rows = []
    by_id = {r.recording_id: r for r in manifest}
    for rid, rclips in data.recordings.items():
        rec = by_id[rid]
        if rec.subject_id not in split.test:
            continue
        trace = recording_trace(loaded, rclips, rec.subject_id, seg.review_stride_s, cancel=cancel)
        ev_rows.append(score_recording(trace, rec.seizures, seg, loaded.event_config))
    ev = summarise_events(ev_rows)
    for s in per_subject:
        rows = [r for r in ev_rows if r["subject_id"] == s]
        per_subject[s]["events"] = {k: v for k, v in summarise_events(rows).items()
                                    if k in ("seizures", "detected", "sensitivity", "false_alarms",
                                             "false_alarms_per_hour", "interictal_hours")}
    result = {
        "format": "semioscope.evaluation", "version": 1, "run": str(run_dir),
        "model": f"{rc.get('preset')} / {rc['finetune'].get('mode')}",
        "threshold": thr, "events_config": loaded.event_config.to_dict(),
        "event_rules_source": ("override" if events and any(v is not None for v in events.values())
                               else rc.get("training", {}).get("event_rule_choice", {}).get("source", "run")),
        "manifest_hash": manifest.content_hash(), "test_subjects": split.test,
        "segment": seg_m, "baselines": baselines, "per_subject": per_subject,
        "events": ev, "event_rows": ev_rows,
        "scoring": {"library": "timescoring EventScoring (SzCORE defaults)", "tolerance_before_s": TOL_BEFORE_S,
                    "tolerance_after_s": TOL_AFTER_S, "stride_s": seg.review_stride_s,
                    "alarm_time": "event start + max(window_s, min_duration_s)"},
        "counts": data.counts.get("test", {}),
        "operating_point": assess_operating_point(ev, seg_m, baselines["one_class"]),
        "summary": summary_line(ev),
        # What the run's own choices rest on (too little validation data, an unmet false-alarm limit).
        "run_warnings": list(rc.get("training", {}).get("warnings", [])),
        # Every scored test window, so anyone can recompute the figures or compare runs.
        "predictions": [{"recording_id": it[0], "start_s": it[1], "label": it[2], "prob": float(p)}
                        for it, p in zip(test.items, prob)],
    }
    if write:
        result["figures"] = _plot_curves(y, prob, run_dir, f"{rc.get('preset')} {rc['finetune'].get('mode')}")
        atomic_write_json(run_dir / EVAL_JSON, json_safe(result))
        atomic_write_text(run_dir / EVAL_MD, evaluation_markdown(result))
    log(f"held-out evaluation: AUROC {seg_m['auroc']:.3f}, AUPRC {seg_m['auprc']:.3f}, F1 {seg_m['f1']:.3f}"
        + (f" -> {run_dir / EVAL_MD}" if write else ""))
    return result


def summary_lines(result: dict[str, Any]) -> list[str]:
    """The evaluation's summary as printed last by ``train`` and ``evaluate``: a degenerate operating
    point first, then the run's caveats, then false alarms/h, time under alarm, sensitivity, latency."""
    op = result.get("operating_point") or {}
    lines = [op["message"]] if op.get("message") else []
    lines += [f"warning: {w}" for w in result.get("run_warnings", [])]
    return lines + [result.get("summary") or summary_line(result["events"])]


def json_safe(obj: Any) -> Any:
    """``obj`` with NaN/inf as None, so the JSON is standard."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        return json_safe(obj.item())
    return obj


def _f(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    if isinstance(v, dict):
        return fmt_pm(v, digits)
    return f"{v:.{digits}f}"


def _table1(rows: list[tuple[str, dict[str, Any]]]) -> list[str]:
    lines = ["| Method | Accuracy | AUROC | AUPRC |", "|---|---|---|---|"]
    lines += [f"| {name} | {_f(m.get('accuracy'))} | {_f(m.get('auroc'))} | {_f(m.get('auprc'))} |" for name, m in rows]
    lines += ["", "| Method | F1 | Precision | Recall |", "|---|---|---|---|"]
    lines += [f"| {name} | {_f(m.get('f1'))} | {_f(m.get('precision'))} | {_f(m.get('recall'))} |" for name, m in rows]
    return lines


def evaluation_markdown(result: dict[str, Any]) -> str:
    seg = result["segment"]
    ev = result["events"]
    name = f"Proposed ({result['model']})"
    model_row = result.get("seeds", {}).get("segment_mean_sd") or seg
    op = result.get("operating_point") or {}
    lines = [f"# Evaluation of `{result['run']}`", ""]
    if op.get("message"):
        lines += [f"**{op['message']}**", ""]
    lines += [f"**Summary**: {result.get('summary') or summary_line(ev)}.", ""]
    if result.get("run_warnings"):
        lines += ["Caveats of this run:", ""] + [f"- {w}" for w in result["run_warnings"]] + [""]
    lines += [f"Held-out test subjects: {', '.join(result['test_subjects'])}; "
             f"{seg['n']} windows ({seg['n_ictal']} ictal); threshold {result['threshold']:.3f} (chosen on validation)."]
    if "seeds" in result:
        lines.append(f"Model rows are mean ± sd over {result['seeds']['n']} training seeds "
                     f"({', '.join(str(s) for s in result['seeds']['seed_values'])}).")
    lines += ["", "## Segment level (layout of the paper's Table 1)", ""]
    lines += _table1([("Random Chance", result["baselines"]["random_chance"]),
                      ("One-Class Classifier", result["baselines"]["one_class"]), (name, model_row)])
    lines += ["", "## Event level (whole test recordings, 1 s stride)", "",
              "| Seizures | Detected | Sensitivity | False alarms | Interictal hours | FA / hour | "
              "Interictal time under alarm | "
              "Latency from EEG onset (mean, median) | Latency from clinical onset (mean, median) |",
              "|---|---|---|---|---|---|---|---|---|"]
    le, lc = ev["latency_eeg_s"], ev["latency_clinical_s"]
    lines.append(f"| {ev['seizures']} | {ev['detected']} | {_f(ev['sensitivity'])} | {ev['false_alarms']} | "
                 f"{ev['interictal_hours']:.2f} | {_f(ev['false_alarms_per_hour'], 2)} | "
                 f"{_f(100 * ev['interictal_alarm_fraction'], 1)}% | "
                 f"{_f(le['mean'], 1)} s, {_f(le['median'], 1)} s | {_f(lc['mean'], 1)} s, {_f(lc['median'], 1)} s |")
    lines.append(f"\nFalse alarms include {ev.get('early_alarms', 0)} alarm(s) that began more than 30 s before "
                 "EEG onset and ran into the seizure (SzCORE counts them as detections; here they are false "
                 "alarms, and the seizure counts only if another alarm began within 30 s of EEG onset).")
    if "seeds" in result:
        es = result["seeds"]["events_mean_sd"]
        lines.append(f"\nOver seeds: sensitivity {_f(es['sensitivity'])}, false alarms/hour "
                     f"{_f(es['false_alarms_per_hour'], 2)}.")
    sc = result["scoring"]
    src = {"validation": "minimum duration and smoothing chosen on the validation subjects",
           "override": "overridden on the command line", "fixed": "fixed at training"}.get(
        result.get("event_rules_source", ""), "from the run")
    lines += ["", f"Alarms: `detect_events` with {result['events_config']} ({src}). Scoring: {sc['library']}, a seizure "
                  f"counts when an alarm overlaps [EEG onset - {sc['tolerance_before_s']:g} s, end + "
                  f"{sc['tolerance_after_s']:g} s]; alarm time = {sc['alarm_time']}.",
              "", "## Per subject", "",
              "| Subject | Windows | Ictal | Accuracy | AUROC | AUPRC | F1 | Precision | Recall | Seizures detected | FA / hour |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for s, m in result["per_subject"].items():
        e = m.get("events", {})
        lines.append(f"| {s} | {m['n']} | {m['n_ictal']} | {_f(m['accuracy'])} | {_f(m['auroc'])} | {_f(m['auprc'])} | "
                     f"{_f(m['f1'])} | {_f(m['precision'])} | {_f(m['recall'])} | "
                     f"{e.get('detected', 0)}/{e.get('seizures', 0)} | {_f(e.get('false_alarms_per_hour'), 2)} |")
    lines += ["", "## Per seizure", "", "| Recording | EEG onset (s) | Clinical onset (s) | Detected | "
              "Latency from EEG (s) | Latency from clinical (s) |", "|---|---|---|---|---|---|"]
    for r in result["event_rows"]:
        for s in r["seizures"]:
            lines.append(f"| {r['recording_id']} | {s['eeg_onset_s']:.1f} | {s['clinical_onset_s']:.1f} | "
                         f"{'yes' if s['detected'] else 'no'} | {_f(s['latency_eeg_s'], 1)} | "
                         f"{_f(s['latency_clinical_s'], 1)} |")
    if result.get("figures"):
        lines += ["", " ".join(f"![{f}]({f})" for f in result["figures"])]
    return "\n".join(lines) + "\n"

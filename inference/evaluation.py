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

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from .atomic import atomic_write_json, atomic_write_text
from .config import EventConfig, PoseConfig, SegmentConfig, SplitConfig
from .errors import SemioscopeError
from .events import detect_events
from .progress import CancelToken, ProgressFn, check_cancel, no_progress

TOL_BEFORE_S = 30.0  # timescoring EventScoring.Parameters defaults (SzCORE)
TOL_AFTER_S = 60.0
EVAL_JSON = "evaluation.json"
EVAL_MD = "evaluation.md"


@dataclass
class RecordingTrace:
    """Probability trace of one whole recording at the review stride."""

    recording_id: str
    subject_id: str
    starts: np.ndarray  # [N] seconds
    ends: np.ndarray  # [N]
    prob: np.ndarray  # [N] float32, NaN where the window has no value
    attention: np.ndarray  # [N, 14]
    duration_s: float


def recording_trace(loaded, rec_clips, subject_id: str, stride_s: float, batch_size: int = 32,
                    cancel: Optional[CancelToken] = None) -> RecordingTrace:
    """Slide the run's window over a cached recording (see training_data.RecordingClips)."""
    seg = loaded.segment_config
    t = seg.frames_per_window
    step = max(1, int(round(stride_s * seg.fps)))
    n_win = (rec_clips.n_samples - t) // step + 1 if rec_clips.n_samples >= t else 0
    starts = np.arange(n_win) * step / seg.fps
    prob = np.full(n_win, np.nan, np.float32)
    att = np.full((n_win, 14), np.nan, np.float32)
    for i in range(0, n_win, batch_size):
        check_cancel(cancel)
        idx, wins = [], []
        for k in range(i, min(n_win, i + batch_size)):
            w = rec_clips.window(float(starts[k]), t)
            if w is not None and w[2].any():
                idx.append(k)
                wins.append(w)
        if wins:
            p, a = loaded.predict(np.stack([w[0] for w in wins]), np.stack([w[1] for w in wins]),
                                  np.stack([w[2] for w in wins]))
            prob[idx] = p
            att[idx] = a
    return RecordingTrace(rec_clips.recording_id, subject_id, starts, starts + seg.window_s, prob, att,
                          rec_clips.duration_s)


def _merge(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[list[float]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def score_recording(trace: RecordingTrace, seizures, seg: SegmentConfig, events_cfg: EventConfig) -> dict[str, Any]:
    """Alarms, per-seizure detection and latency, false alarms and interictal time of one recording."""
    from timescoring.annotations import Annotation
    from timescoring.scoring import EventScoring

    from .segments import seizure_end

    dur = float(trace.duration_s)
    alarms = detect_events(trace.starts, trace.ends, trace.prob, events_cfg)
    refs = [(float(sz.eeg_onset_s), min(dur, seizure_end(sz, seg))) for sz in seizures]
    refs = [(a, b) for a, b in refs if b > a and a < dur]
    fs = 10
    n = int(math.ceil(dur * fs))
    ref_ann = Annotation([(a, b) for a, b in refs], fs, n)
    hyp_ann = Annotation([(e.start_s, min(e.end_s, dur)) for e in alarms], fs, n)
    sc = EventScoring(ref_ann, hyp_ann)
    alarm_delay = max(seg.window_s, events_cfg.min_duration_s)
    per_seizure = []
    for sz, (a, b) in zip(seizures, refs):
        lo, hi = a - TOL_BEFORE_S, b + TOL_AFTER_S
        hits = [e for e in alarms if e.end_s > lo and e.start_s < hi]
        row = {"eeg_onset_s": a, "clinical_onset_s": float(sz.clinical_onset_s), "end_s": b,
               "detected": bool(hits), "latency_eeg_s": None, "latency_clinical_s": None}
        if hits:
            t_alarm = min(e.start_s for e in hits) + alarm_delay
            row["latency_eeg_s"] = t_alarm - a
            row["latency_clinical_s"] = t_alarm - float(sz.clinical_onset_s)
        per_seizure.append(row)
    guarded = _merge([(max(0.0, a - TOL_BEFORE_S), min(dur, b + TOL_AFTER_S)) for a, b in refs])
    interictal_s = dur - sum(b - a for a, b in guarded)
    # Time under alarm outside the extended seizures: exposes a detector that is always "on"
    # (one alarm over a whole short recording is one detection and zero false alarms).
    alarm_s = sum(max(0.0, min(e.end_s, dur) - e.start_s) for e in alarms)
    alarm_in_guard = sum(max(0.0, min(e.end_s, b) - max(e.start_s, a)) for e in alarms for a, b in guarded)
    return {"recording_id": trace.recording_id, "subject_id": trace.subject_id, "duration_s": dur,
            "interictal_s": interictal_s, "interictal_alarm_s": max(0.0, alarm_s - alarm_in_guard),
            "n_alarms": len(alarms), "false_alarms": int(sc.fp),
            "ts_true_positives": int(sc.tp), "ts_reference_events": int(sc.refTrue),
            "seizures": per_seizure, "alarms": [e.to_dict() for e in alarms],
            "windows_without_value": int(np.sum(~np.isfinite(trace.prob))), "n_windows": int(len(trace.prob))}


def summarise_events(rows: list[dict[str, Any]]) -> dict[str, Any]:
    seizures = [s for r in rows for s in r["seizures"]]
    detected = [s for s in seizures if s["detected"]]
    fa = sum(r["false_alarms"] for r in rows)
    hours = sum(r["interictal_s"] for r in rows) / 3600.0

    def stat(key: str) -> dict[str, float]:
        v = np.asarray([s[key] for s in detected], dtype=np.float64)
        if not len(v):
            return {"mean": float("nan"), "median": float("nan"), "min": float("nan"), "max": float("nan")}
        return {"mean": float(v.mean()), "median": float(np.median(v)), "min": float(v.min()), "max": float(v.max())}

    return {"seizures": len(seizures), "detected": len(detected),
            "sensitivity": len(detected) / len(seizures) if seizures else float("nan"),
            "false_alarms": fa, "interictal_hours": hours,
            "false_alarms_per_hour": fa / hours if hours > 0 else float("nan"),
            "interictal_alarm_fraction": (sum(r.get("interictal_alarm_s", 0.0) for r in rows) / (hours * 3600.0)
                                          if hours > 0 else float("nan")),
            "latency_eeg_s": stat("latency_eeg_s"), "latency_clinical_s": stat("latency_clinical_s"),
            "ts_sensitivity": (sum(r["ts_true_positives"] for r in rows) /
                               max(1, sum(r["ts_reference_events"] for r in rows)))}


def choose_event_rules(traces: list[tuple[RecordingTrace, Any]], seg: SegmentConfig, base: EventConfig,
                       min_durations: tuple[float, ...], smoothings: tuple[int, ...],
                       max_false_alarms_per_hour: float = 2.0) -> tuple[EventConfig, list[dict[str, Any]]]:
    """Event rules (minimum duration x trailing smoothing) chosen on VALIDATION traces.

    ``traces``: (whole-recording trace, its seizures) pairs. Every option is scored with
    ``score_recording``, exactly as the test set is. Chosen: the highest seizure sensitivity among
    options with at most ``max_false_alarms_per_hour``; ties go to the smallest alarm delay
    (``max(window, min duration)`` plus the smoothing's lag of ``(k - 1) / 2`` strides), then to
    fewer false alarms. The limit is only applied when validation holds enough interictal time for
    one false alarm to stay under it (``hours * limit >= 1``); otherwise, or when no option meets
    it, the highest sensitivity wins, then the fewest false alarms, then the delay. Otherwise a
    short validation set would pick whichever rule silences every alarm, and miss every seizure:
    the worse error in an EMU. Returns (rules, one row per option).
    """
    rows: list[dict[str, Any]] = []
    for k in smoothings:
        for d in min_durations:
            cfg = base.replace(min_duration_s=float(d), smooth_windows=int(k))
            ev = summarise_events([score_recording(t, sz, seg, cfg) for t, sz in traces])
            sens = ev["sensitivity"] if math.isfinite(ev["sensitivity"]) else 0.0
            fah = ev["false_alarms_per_hour"] if math.isfinite(ev["false_alarms_per_hour"]) else 0.0
            rows.append({"min_duration_s": float(d), "smooth_windows": int(k), "seizures": ev["seizures"],
                         "detected": ev["detected"], "sensitivity": sens, "false_alarms": ev["false_alarms"],
                         "false_alarms_per_hour": fah, "interictal_hours": ev["interictal_hours"],
                         "latency_eeg_mean_s": (ev["latency_eeg_s"]["mean"] if ev["detected"] else None),
                         "delay_s": max(seg.window_s, float(d)) + (int(k) - 1) / 2 * seg.review_stride_s,
                         "feasible": fah <= max_false_alarms_per_hour, "chosen": False})
    if not rows:
        return base, rows
    measurable = rows[0]["interictal_hours"] * max_false_alarms_per_hour >= 1.0
    feasible = [r for r in rows if r["feasible"]] if measurable else []
    if feasible:
        best = max(feasible, key=lambda r: (r["sensitivity"], -r["delay_s"], -r["false_alarms_per_hour"]))
    else:
        best = max(rows, key=lambda r: (r["sensitivity"], -r["false_alarms_per_hour"], -r["delay_s"]))
    best["chosen"] = True
    return base.replace(min_duration_s=best["min_duration_s"], smooth_windows=best["smooth_windows"]), rows


def predict_window_set(loaded, windows, cancel: Optional[CancelToken] = None, batch: int = 32) -> np.ndarray:
    """Probabilities ``[N]`` of a WindowSet through the run's ``predict`` (the engine's path)."""
    prob = np.zeros(len(windows), np.float32)
    for i in range(0, len(windows), batch):
        check_cancel(cancel)
        idx = list(range(i, min(len(windows), i + batch)))
        c, p, m = windows.batch(idx)
        prob[idx] = loaded.predict(c, p, m)[0]
    return prob


def _plot_curves(y: np.ndarray, prob: np.ndarray, out_dir: Path, title: str) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import precision_recall_curve, roc_curve

    from .atomic import atomic_write

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


def _load_manifest_for(run_dir: Path, rc: dict[str, Any], manifest, log) -> Any:
    from .manifest import load_manifest

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
    from .checkpoint import load_run
    from .metrics import majority_class, random_chance, segment_metrics
    from .splits import SubjectSplit
    from .training import prepare_data

    run_dir = Path(run_dir)
    loaded = load_run(run_dir, device)
    if events:
        loaded.event_config = loaded.event_config.replace(**{k: float(v) for k, v in events.items() if v is not None})
    rc = loaded.run_config
    manifest = _load_manifest_for(run_dir, rc, manifest, log)
    split = SubjectSplit.from_dict(rc.get("split", {}))
    if not split.test:
        raise SemioscopeError(f"{run_dir / 'run.json'}: the run has no test subjects to evaluate")
    seg = loaded.segment_config
    data = prepare_data(manifest, seg, loaded.clip_config, SplitConfig(), PoseConfig.from_dict(rc.get("pose")),
                        rc.get("keypoint_source", "gt"), cache_dir, split=split, roles=("test",),
                        progress=progress, cancel=cancel, log=log)
    test = data.test
    # Segment level, through the same predict() the engine uses.
    prob = predict_window_set(loaded, test, cancel)
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
        # Every scored test window, so anyone can recompute the figures or compare runs.
        "predictions": [{"recording_id": it[0], "start_s": it[1], "label": it[2], "prob": float(p)}
                        for it, p in zip(test.items, prob)],
    }
    if write:
        result["figures"] = _plot_curves(y, prob, run_dir, f"{rc.get('preset')} {rc['finetune'].get('mode')}")
        atomic_write_json(run_dir / EVAL_JSON, _clean(result))
        atomic_write_text(run_dir / EVAL_MD, evaluation_markdown(result))
    log(f"test: AUROC {seg_m['auroc']:.3f}, AUPRC {seg_m['auprc']:.3f}, F1 {seg_m['f1']:.3f}; events: "
        f"{ev['detected']}/{ev['seizures']} seizures detected, {ev['false_alarms_per_hour']:.2f} false alarms/h"
        + (f" -> {run_dir / EVAL_MD}" if write else ""))
    return result


def _clean(obj: Any) -> Any:
    """NaN/inf -> None so the JSON is standard."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        return _clean(obj.item())
    return obj


def _f(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    if isinstance(v, dict):
        from .metrics import fmt_pm

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
    lines = [f"# Evaluation of `{result['run']}`", "",
             f"Held-out test subjects: {', '.join(result['test_subjects'])}; "
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
                 f"{_f(100 * ev['interictal_alarm_fraction'] if ev['interictal_alarm_fraction'] == ev['interictal_alarm_fraction'] else None, 1)}% | "
                 f"{_f(le['mean'], 1)} s, {_f(le['median'], 1)} s | {_f(lc['mean'], 1)} s, {_f(lc['median'], 1)} s |")
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


def evaluate_seeds(run_dir: str | Path, n_seeds: int, manifest=None, cache_dir: Optional[str | Path] = None,
                   device: str = "auto", progress: ProgressFn = no_progress, log: Callable[[str], None] = print,
                   cancel: Optional[CancelToken] = None, events: Optional[dict[str, float]] = None) -> dict[str, Any]:
    """Mean ± sd over ``n_seeds`` training runs: the run itself plus runs with seeds seed+1, ...
    trained with the same configuration into ``RUN/seeds/seed_<k>`` (reused when already there).
    Each seed's run chooses its own event rules on validation; ``events`` overrides them all."""
    from .checkpoint import read_run_config
    from .config import ClipConfig
    from .metrics import mean_sd
    from .splits import SubjectSplit
    from .training import TrainConfig, train_run

    run_dir = Path(run_dir)
    rc = read_run_config(run_dir)
    manifest = _load_manifest_for(run_dir, rc, manifest, log)
    base = evaluate_run(run_dir, manifest, cache_dir, device, progress, log, cancel, write=True, events=events)
    tcfg = TrainConfig.from_dict(rc.get("training"))
    results = [base]
    seeds = [tcfg.seed]
    for k in range(1, max(1, n_seeds)):
        seed = tcfg.seed + k
        sub = run_dir / "seeds" / f"seed_{seed}"
        if not (sub / "run.json").exists() or not (sub / "train_state.json").exists() or \
                not json.loads((sub / "train_state.json").read_text("utf-8")).get("finished"):
            log(f"training seed {seed} -> {sub}")
            train_run(manifest, sub, tcfg.replace(seed=seed), SegmentConfig.from_dict(rc["segments"]),
                      ClipConfig.from_dict(rc["clips"]), SplitConfig(), EventConfig.from_dict(rc["events"]),
                      PoseConfig.from_dict(rc.get("pose")), cache_dir, resume=(sub / "train_state.json").exists(),
                      evaluate=False, log=log, cancel=cancel, split=SubjectSplit.from_dict(rc["split"]))
        results.append(evaluate_run(sub, manifest, cache_dir, device, progress, log, cancel, write=True,
                                    events=events))
        seeds.append(seed)
    ev_keys = ("sensitivity", "false_alarms_per_hour")
    out = dict(base)
    out["seeds"] = {"n": len(results), "seed_values": seeds,
                    "segment_mean_sd": mean_sd([r["segment"] for r in results]),
                    "events_mean_sd": mean_sd([r["events"] for r in results], ev_keys),
                    "per_seed": [{"seed": s, "segment": r["segment"], "events_config": r["events_config"],
                                  "events": {k: r["events"][k] for k in ev_keys}} for s, r in zip(seeds, results)]}
    atomic_write_json(run_dir / EVAL_JSON, _clean(out))
    atomic_write_text(run_dir / EVAL_MD, evaluation_markdown(out))
    ms = out["seeds"]["segment_mean_sd"]
    log(f"{len(results)} seeds: AUROC {ms['auroc']['mean']:.3f} ± {ms['auroc']['sd']:.3f} -> {run_dir / EVAL_MD}")
    return out

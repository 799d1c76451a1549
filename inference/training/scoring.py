"""Scoring a detector: window sets (``predict_window_set``), whole recordings at the review stride
(``recording_trace``), events by the SzCORE rules (``timescoring``), and the choice of event rules
on validation recordings.

Shared by training (per-epoch validation, threshold and event rules chosen on validation) and
evaluation (test subjects), so both score exactly as the engine and the review window do.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np
from timescoring.annotations import Annotation
from timescoring.scoring import EventScoring

from inference.core.config import EventConfig, SegmentConfig
from inference.core.progress import CancelToken, check_cancel
from inference.dataset.segments import seizure_end
from inference.detector.clips import enough_joints, to_float
from inference.results.events import detect_events
from inference.training.sampling import drop_joints, flip_half

TOL_BEFORE_S = 30.0  # timescoring EventScoring.Parameters defaults (SzCORE)
TOL_AFTER_S = 60.0


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
    n_joints: Optional[np.ndarray] = None  # [N] valid joints per window (the pose-coverage gate's count)

    def gated(self, min_joints: int) -> "RecordingTrace":
        """The trace as a stricter pose-coverage gate would give it: windows with fewer than
        ``min_joints`` valid joints have no value."""
        if self.n_joints is None:
            return self
        prob = np.where(self.n_joints >= min_joints, self.prob, np.nan).astype(np.float32)
        return RecordingTrace(self.recording_id, self.subject_id, self.starts, self.ends, prob, self.attention,
                              self.duration_s, self.n_joints)


def recording_trace(loaded, rec_clips, subject_id: str, stride_s: float, batch_size: int = 32,
                    cancel: Optional[CancelToken] = None, min_joints: Optional[int] = None) -> RecordingTrace:
    """Slide the run's window over a cached recording (see training_data.RecordingClips).
    ``min_joints``: the pose-coverage gate (default: the run's); the trace records each
    window's valid-joint count, so a stricter gate can be applied afterwards (``gated``)."""
    seg = loaded.segment_config
    gate = loaded.clip_config.min_joints if min_joints is None else min_joints
    t = seg.frames_per_window
    step = max(1, int(round(stride_s * seg.fps)))
    n_win = (rec_clips.n_samples - t) // step + 1 if rec_clips.n_samples >= t else 0
    starts = np.arange(n_win) * step / seg.fps
    prob = np.full(n_win, np.nan, np.float32)
    att = np.full((n_win, 14), np.nan, np.float32)
    n_joints = np.zeros(n_win, np.int16)
    for i in range(0, n_win, batch_size):
        check_cancel(cancel)
        idx, wins = [], []
        for k in range(i, min(n_win, i + batch_size)):
            w = rec_clips.window(float(starts[k]), t)
            if w is not None:
                n_joints[k] = int(np.count_nonzero(w[2]))
            if w is not None and enough_joints(w[2], gate):  # the engine's gate
                idx.append(k)
                wins.append(w)
        if wins:
            p, a = loaded.predict(np.stack([w[0] for w in wins]), np.stack([w[1] for w in wins]),
                                  np.stack([w[2] for w in wins]))
            prob[idx] = p
            att[idx] = a
    return RecordingTrace(rec_clips.recording_id, subject_id, starts, starts + seg.window_s, prob, att,
                          rec_clips.duration_s, n_joints)


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
    early: set[int] = set()
    for sz, (a, b) in zip(seizures, refs):
        lo, hi = a - TOL_BEFORE_S, b + TOL_AFTER_S
        # An alarm that began more than the tolerance before EEG onset and ran into the seizure is
        # SzCORE's detection, but a reviewer met it minutes early, in quiet video: here it is a
        # false alarm ("early"), and the seizure counts as detected only by an alarm that began
        # within the tolerance.
        early.update(i for i, e in enumerate(alarms) if e.start_s < lo < e.end_s)
        hits = [e for e in alarms if e.end_s > lo and lo <= e.start_s < hi]
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
            "n_alarms": len(alarms), "false_alarms": int(sc.fp) + len(early), "early_alarms": len(early),
            "szcore_false_alarms": int(sc.fp),
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
            "early_alarms": sum(r.get("early_alarms", 0) for r in rows),
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
                       max_false_alarms_per_hour: float = 2.0,
                       thresholds: Optional[tuple[float, ...]] = None) -> tuple[EventConfig, list[dict[str, Any]]]:
    """Event rules (threshold x minimum duration x trailing smoothing) chosen together on
    VALIDATION traces; ``thresholds`` None keeps ``base.threshold``.

    ``traces``: (whole-recording trace, its seizures) pairs. Every option is scored with
    ``score_recording``, exactly as the test set is. Chosen: the highest seizure sensitivity among
    options with at most ``max_false_alarms_per_hour``; ties go to the smallest alarm delay
    (``max(window, min duration)`` plus the smoothing's lag of ``(k - 1) / 2`` strides), then to
    fewer false alarms. The limit is only applied when validation holds enough interictal time for
    one false alarm to stay under it (``hours * limit >= 1``); otherwise, or when no option meets
    it, the highest sensitivity wins, then the fewest false alarms, then the delay. Otherwise a
    short validation set would pick whichever rule silences every alarm, and miss every seizure:
    the worse error in an EMU. Among thresholds still tied, the middle one: it leaves the most
    room on both sides for subjects validation never saw (a short validation set ties over a wide
    range, and its low end is one building-up ictal window away from alarming on every reach).

    The threshold is chosen with the rules, not before them: at a window-level threshold far
    below the events' (it can be 0.08), every recording is one long alarm and no minimum
    duration or smoothing can be told apart. Returns (rules, one row per option)."""
    rows: list[dict[str, Any]] = []
    for thr in sorted({float(base.threshold), *map(float, thresholds or ())}):
        for k in smoothings:
            for d in min_durations:
                cfg = base.replace(threshold=thr, min_duration_s=float(d), smooth_windows=int(k))
                ev = summarise_events([score_recording(t, sz, seg, cfg) for t, sz in traces])
                sens = ev["sensitivity"] if math.isfinite(ev["sensitivity"]) else 0.0
                fah = ev["false_alarms_per_hour"] if math.isfinite(ev["false_alarms_per_hour"]) else 0.0
                rows.append({"threshold": thr, "min_duration_s": float(d), "smooth_windows": int(k),
                             "seizures": ev["seizures"], "detected": ev["detected"], "sensitivity": sens,
                             "false_alarms": ev["false_alarms"], "early_alarms": ev["early_alarms"],
                             "false_alarms_per_hour": fah, "interictal_hours": ev["interictal_hours"],
                             "interictal_alarm_fraction": ev["interictal_alarm_fraction"],
                             "latency_eeg_mean_s": (ev["latency_eeg_s"]["mean"] if ev["detected"] else None),
                             "latency_clinical_mean_s": (ev["latency_clinical_s"]["mean"] if ev["detected"] else None),
                             "delay_s": max(seg.window_s, float(d)) + (int(k) - 1) / 2 * seg.review_stride_s,
                             "feasible": fah <= max_false_alarms_per_hour, "chosen": False})
    if not rows:
        return base, rows
    measurable = rows[0]["interictal_hours"] * max_false_alarms_per_hour >= 1.0
    feasible = [r for r in rows if r["feasible"]] if measurable else []
    if feasible:
        key = lambda r: (r["sensitivity"], -r["delay_s"], -r["false_alarms_per_hour"])  # noqa: E731
    else:
        key = lambda r: (r["sensitivity"], -r["false_alarms_per_hour"], -r["delay_s"])  # noqa: E731
    pool = feasible or rows
    top = max(key(r) for r in pool)
    first = next(r for r in pool if key(r) == top)
    tied = sorted((r for r in pool if key(r) == top and r["min_duration_s"] == first["min_duration_s"]
                   and r["smooth_windows"] == first["smooth_windows"]), key=lambda r: r["threshold"])
    best = tied[(len(tied) - 1) // 2]
    best["chosen"] = True
    return base.replace(threshold=best["threshold"], min_duration_s=best["min_duration_s"],
                        smooth_windows=best["smooth_windows"]), rows


def choose_min_joints(traces: list[tuple[RecordingTrace, Any]], seg: SegmentConfig, rules: EventConfig,
                      candidates: tuple[int, ...], default: int) -> tuple[int, list[dict[str, Any]]]:
    """The pose-coverage gate chosen on VALIDATION traces (made with the most lenient candidate).

    Each gate is scored with ``rules`` as the test set is. Chosen: the most seizures detected, then
    the fewest false alarms; among the tied gates, the one nearest ``default``, then the stricter
    (with complete pose every gate ties, and the default stays). Returns (gate, one row per gate)."""
    rows = []
    for k in sorted(set(candidates) | {default}):
        ev = summarise_events([score_recording(tr.gated(k), sz, seg, rules) for tr, sz in traces])
        no_value = sum(int(np.sum(~np.isfinite(tr.gated(k).prob))) for tr, _ in traces)
        rows.append({"min_joints": int(k), "detected": ev["detected"], "seizures": ev["seizures"],
                     "false_alarms": ev["false_alarms"], "windows_without_value": no_value, "chosen": False})
    if not rows or not rows[0]["seizures"]:
        return int(default), rows
    best = max((r["detected"], -r["false_alarms"]) for r in rows)
    tied = [r for r in rows if (r["detected"], -r["false_alarms"]) == best]
    pick = min(tied, key=lambda r: (abs(r["min_joints"] - default), -r["min_joints"]))
    pick["chosen"] = True
    return int(pick["min_joints"]), rows


# -- window sets ---------------------------------------------------------------------------------
# One loop scores a WindowSet for everyone: the per-epoch validation (the model being trained, from
# cached tokens in frozen mode) and evaluation / the final threshold (the saved run, through the
# engine's ``predict``). Only the forward of one batch differs: a ``BatchScorer``.

BatchScorer = Callable[[list[int]], tuple[np.ndarray, np.ndarray]]
"""Window indices -> (probabilities ``[B]``, received attention ``[B, 14]``)."""


def predict_window_set(windows, score_batch: BatchScorer, cancel: Optional[CancelToken] = None,
                       batch_size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities ``[N]``, attention ``[N, 14]``) of every window of a WindowSet, ``batch_size``
    windows at a time (cancellable between batches)."""
    n = len(windows)
    probs = np.zeros(n, np.float32)
    att = np.zeros((n, 14), np.float32)
    for i in range(0, n, batch_size):
        check_cancel(cancel)
        idx = list(range(i, min(n, i + batch_size)))
        probs[idx], att[idx] = score_batch(idx)
    return probs, att


def engine_scorer(loaded, windows) -> BatchScorer:
    """Through the saved run's ``LoadedDetector.predict``, exactly as the engine scores."""
    return lambda idx: loaded.predict(*windows.batch(idx))


def model_scorer(model, windows, device, tokens: Optional[np.ndarray] = None) -> BatchScorer:
    """Through a model being trained, from the frozen encoder's cached ``tokens`` when given. The
    caller holds ``core.device.inference_mode`` around the scoring."""
    import torch  # heavy: only when a model is applied

    def score(idx: list[int]) -> tuple[np.ndarray, np.ndarray]:
        logits, att = forward_windows(model, windows, idx, device, tokens)
        return torch.sigmoid(logits.float()).cpu().numpy(), att.float().cpu().numpy()

    return score


def forward_windows(model, windows, idx: list[int], device, tokens: Optional[np.ndarray] = None,
                    flip_rng: Optional[np.random.Generator] = None, joint_dropout: float = 0.0):
    """(logits ``[B]``, attention ``[B, 14]``) tensors of windows ``idx``: from cached frozen-encoder
    ``tokens`` (only the cross-joint attention and head run) or from the clips. With ``flip_rng``
    (training augmentation) each window is mirrored with probability 1/2 and, with probability
    ``joint_dropout``, loses a body part (``sampling.drop_joints``)."""
    import torch  # heavy: only when a model is applied

    dev = device.torch_device()
    if tokens is not None:
        pos, mask = windows.positions_batch(idx)
        if flip_rng is not None and joint_dropout > 0:
            drop_joints(None, pos, mask, flip_rng, joint_dropout)
        return model.head(torch.from_numpy(tokens[idx]).to(dev), torch.from_numpy(pos).to(dev),
                          torch.from_numpy(mask).to(dev))
    clips, pos, mask = windows.batch(idx)
    if flip_rng is not None:
        flip_half(clips, pos, mask, flip_rng)
        if joint_dropout > 0:
            drop_joints(clips, pos, mask, flip_rng, joint_dropout)
    return model(to_float(torch.from_numpy(clips).to(dev)), torch.from_numpy(pos).to(dev),
                 torch.from_numpy(mask).to(dev))

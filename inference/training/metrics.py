"""Segment-level metrics (paper Table 1), threshold choice on validation, baselines, mean ± sd.

All functions take plain numpy arrays: ``y`` int {0, 1} ``[N]`` and ``prob`` float ``[N]``.
Undefined values (AUROC with one class present, precision with no positive prediction) are NaN
for AUROC/AUPRC and 0 for precision/recall/F1 (scikit-learn's ``zero_division=0``), and the
report says so.
"""
from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np

METRICS = ("accuracy", "auroc", "auprc", "f1", "precision", "recall")


def _two_classes(y: np.ndarray) -> bool:
    return len(np.unique(y)) == 2


def auroc(y: np.ndarray, prob: np.ndarray) -> float:
    # heavy: sklearn loads only when metrics are computed
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y).astype(int)
    return float(roc_auc_score(y, prob)) if _two_classes(y) else float("nan")


def auprc(y: np.ndarray, prob: np.ndarray) -> float:
    """Average precision (the step-wise area under the PR curve)."""
    # heavy: sklearn loads only when metrics are computed
    from sklearn.metrics import average_precision_score

    y = np.asarray(y).astype(int)
    return float(average_precision_score(y, prob)) if y.sum() > 0 else float("nan")


def segment_metrics(y: np.ndarray, prob: np.ndarray, threshold: float) -> dict[str, float]:
    """Accuracy, AUROC, AUPRC, F1, precision, recall at ``threshold`` (``prob >= threshold`` is ictal)."""
    # heavy: sklearn loads only when metrics are computed
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

    y = np.asarray(y).astype(int)
    prob = np.asarray(prob, dtype=np.float64)
    pred = (prob >= threshold).astype(int)
    out = {
        "accuracy": float(accuracy_score(y, pred)) if len(y) else float("nan"),
        "auroc": auroc(y, prob),
        "auprc": auprc(y, prob),
        "f1": float(f1_score(y, pred, zero_division=0)),
        "precision": float(precision_score(y, pred, zero_division=0)),
        "recall": float(recall_score(y, pred, zero_division=0)),
        "n": int(len(y)),
        "n_ictal": int(y.sum()),
        "threshold": float(threshold),
    }
    return out


def choose_threshold(y: np.ndarray, prob: np.ndarray, rule: str = "f1") -> float:
    """Threshold maximising F1 (``rule="f1"``) or Youden's J = TPR - FPR (``"youden"``) on
    validation. Candidates are midpoints between sorted distinct probabilities, so the choice is
    not glued to one validation window's score; 0.5 when validation has one class only."""
    y = np.asarray(y).astype(int)
    prob = np.asarray(prob, dtype=np.float64)
    if not _two_classes(y):
        return 0.5
    u = np.unique(prob)
    cands = np.concatenate([[u[0] - 1e-6], (u[:-1] + u[1:]) / 2.0, [u[-1] + 1e-6]]) if len(u) > 1 else u
    pos = y == 1
    best_t, best_v = 0.5, -math.inf
    for t in cands:
        pred = prob >= t
        tp = float(np.sum(pred & pos))
        fp = float(np.sum(pred & ~pos))
        fn = float(np.sum(~pred & pos))
        if rule == "youden":
            v = tp / max(pos.sum(), 1) - fp / max((~pos).sum(), 1)
        elif rule == "f1":
            v = 2 * tp / max(2 * tp + fp + fn, 1e-12)
        else:
            raise ValueError(f"unknown threshold rule {rule!r} (use f1 or youden)")
        if v > best_v + 1e-12:
            best_t, best_v = float(t), v
    return float(min(max(best_t, 0.0), 1.0))


def random_chance(y: np.ndarray) -> dict[str, float]:
    """Expected metrics of a fair coin (p = 0.5 per window, independent of the data)."""
    y = np.asarray(y).astype(int)
    prev = float(y.mean()) if len(y) else float("nan")
    prec, rec = prev, 0.5
    f1 = 2 * prec * rec / (prec + rec) if prec + rec > 0 else 0.0
    return {"accuracy": 0.5, "auroc": 0.5, "auprc": prev, "f1": f1, "precision": prec, "recall": rec,
            "n": int(len(y)), "n_ictal": int(y.sum())}


def majority_class(y: np.ndarray, majority: int) -> dict[str, float]:
    """The one-class classifier that always predicts ``majority`` (the training set's majority class)."""
    y = np.asarray(y).astype(int)
    prob = np.full(len(y), float(majority))
    out = segment_metrics(y, prob, 0.5)
    out["auroc"] = 0.5 if _two_classes(y) else float("nan")  # a constant score ranks nothing
    out["auprc"] = float(y.mean()) if len(y) else float("nan")
    out.pop("threshold", None)
    return out


def mean_sd(rows: Sequence[dict[str, float]], keys: Iterable[str] = METRICS) -> dict[str, dict[str, float]]:
    """Per metric: mean and sample standard deviation (ddof=1; 0 for a single run), ignoring NaN."""
    out = {}
    for k in keys:
        v = np.asarray([r.get(k, float("nan")) for r in rows], dtype=np.float64)
        v = v[np.isfinite(v)]
        out[k] = {"mean": float(v.mean()) if len(v) else float("nan"),
                  "sd": float(v.std(ddof=1)) if len(v) > 1 else 0.0, "n": int(len(v))}
    return out


def fmt_pm(stat: dict[str, float], digits: int = 3) -> str:
    """``0.912 ± 0.013`` (or ``n/a``)."""
    m = stat.get("mean", float("nan"))
    if not math.isfinite(m):
        return "n/a"
    if stat.get("n", 1) > 1:
        return f"{m:.{digits}f} ± {stat.get('sd', 0.0):.{digits}f}"
    return f"{m:.{digits}f}"

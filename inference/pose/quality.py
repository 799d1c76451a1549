"""Pose accuracy against ground truth: how well an estimated track matches the true one.

Compared at the estimated track's sample times, against the ground-truth sample nearest in time
(within half a ground-truth frame interval). Only ground-truth joints marked visible are scored,
so an occluded joint that the backend misses is not held against it; the torso length of each
frame (neck to the midpoint of the hips, from the ground truth) sets the scale.

Per joint:

- ``detection_rate``: of the visible ground-truth joints, the fraction the estimate has
  (confidence >= ``min_confidence``);
- ``pck@a``: of the visible ground-truth joints, the fraction estimated within ``a`` torso lengths
  (a missed joint counts as wrong), for each ``a`` in ``thresholds`` (default 0.1 and 0.2);
- ``jitter``: the median frame-to-frame change of the error (estimate minus truth) in torso
  lengths, over consecutive samples where both are present: noise that real motion does not
  explain (a constant offset has zero jitter).
- ``motion_corr``: over the steps where the true joint moves (at least ``MOVING_STEP`` torso
  lengths between consecutive samples, both present), the correlation of the estimated step with
  the true one (x and y pooled). A detector of rhythmic jerks reads exactly this motion, and an
  estimate can have a high PCK and still not follow it (tracking filters lag and damp fast
  movement). 1 = follows every step, 0 = unrelated.
- ``motion_gain``: on the same steps, the mean length of the estimated step over the true one
  (below 1: motion damped; above 1: noise added).

``all`` aggregates every joint (visible-joint weighted). Readable without torch.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from inference.core.atomic import atomic_write_text
from inference.core.errors import SemioscopeError
from inference.pose.joints import JOINT_INDEX, JOINT_NAMES, NUM_JOINTS
from inference.pose.keypoints import KeypointTrack

PCK_THRESHOLDS = (0.1, 0.2)
QUALITY_FORMAT = "semioscope.pose_quality"
QUALITY_VERSION = 1
_NECK = JOINT_INDEX["neck"]
_HIPS = (JOINT_INDEX["right_hip"], JOINT_INDEX["left_hip"])
MOVING_STEP = 0.02  # torso lengths per sample: a true step at least this long is motion
_MIN_MOVING_STEPS = 10  # fewer moving steps than this: motion_corr and motion_gain are n/a


@dataclass
class PoseQuality:
    """Accuracy of one estimated track (or several pooled) against ground truth."""

    per_joint: dict[str, dict[str, float]]
    overall: dict[str, float]
    frames: int  # samples compared
    frames_with_person: float  # fraction of samples where the estimate has any joint
    thresholds: tuple[float, ...] = PCK_THRESHOLDS
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"format": QUALITY_FORMAT, "version": QUALITY_VERSION, "frames": self.frames,
                "frames_with_person": self.frames_with_person, "thresholds": list(self.thresholds),
                "overall": self.overall, "per_joint": self.per_joint, "meta": self.meta}

    def save(self, path: str | Path) -> Path:
        return atomic_write_text(path, json.dumps(self.to_dict(), indent=2) + "\n")

    def table(self) -> str:
        """A per-joint text table, one row per joint and one for all joints."""
        keys = ["detection_rate"] + [f"pck@{a:g}" for a in self.thresholds] + ["jitter", "motion_corr", "motion_gain"]
        head = f"{'joint':<16}" + "".join(f"{k:>15}" for k in keys)
        rows = [head, "-" * len(head)]
        for name, stats in list(self.per_joint.items()) + [("all", self.overall)]:
            cells = "".join(f"{format_stat(stats.get(k)):>15}" for k in keys)
            rows.append(f"{name:<16}{cells}")
        return "\n".join(rows)


def format_stat(v: Any) -> str:
    """A figure to 3 decimals; ``"n/a"`` for None or a non-finite value."""
    return "n/a" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:.3f}"


@dataclass
class _Pairs:
    """Estimate and truth at the same instants: ``est``/``gt`` ``[T, 14, 2]``, ``found``/``visible``
    ``[T, 14]`` bool, ``torso`` ``[T]`` (NaN where the truth gives none)."""

    est: np.ndarray
    gt: np.ndarray
    found: np.ndarray
    visible: np.ndarray
    torso: np.ndarray


def _pair(estimate: KeypointTrack, truth: KeypointTrack, min_confidence: float) -> _Pairs:
    if tuple(estimate.frame_size) != tuple(truth.frame_size):
        raise SemioscopeError(f"pose evaluation: frame sizes differ (estimate {estimate.frame_size}, "
                              f"ground truth {truth.frame_size}): not the same video")
    if len(truth) < 2 or len(estimate) == 0:
        raise SemioscopeError("pose evaluation: the ground truth or the estimate is empty")
    gt_step = float(np.median(np.diff(truth.times)))
    idx = truth.nearest_indices(estimate.times)
    close = np.abs(truth.times[idx] - estimate.times) <= gt_step / 2 + 1e-9
    if not close.any():
        raise SemioscopeError("pose evaluation: no estimated sample falls on the ground truth's time grid")
    est_idx = np.flatnonzero(close)
    gt_idx = idx[close]
    gt_xy = truth.xy[gt_idx]
    hips = gt_xy[:, list(_HIPS)].mean(axis=1)
    torso = np.linalg.norm(gt_xy[:, _NECK] - hips, axis=1)
    torso[~np.isfinite(torso) | (torso <= 1e-6)] = np.nan
    est_xy = estimate.xy[est_idx]
    found = estimate.valid(min_confidence)[est_idx]
    visible = (truth.conf[gt_idx] > 0.5) & np.isfinite(gt_xy).all(axis=2)
    return _Pairs(est_xy, gt_xy, found, visible, torso)


def _scored(p: _Pairs, joints: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """``(scored, found)`` ``[T, len(joints)]``: joints the truth shows (with a torso to scale by),
    and those of them the estimate has."""
    scored = p.visible[:, joints] & np.isfinite(p.torso)[:, None]
    return scored, p.found[:, joints] & scored


def _stats(p: _Pairs, joints: Sequence[int], thresholds: Sequence[float]) -> dict[str, float]:
    vis, found = _scored(p, joints)
    n = int(vis.sum())
    out: dict[str, float] = {"visible_samples": float(n)}
    if n == 0:
        out.update({"detection_rate": float("nan"), **{f"pck@{a:g}": float("nan") for a in thresholds}})
        return out
    err = np.linalg.norm(p.est[:, joints] - p.gt[:, joints], axis=2) / p.torso[:, None]
    out["detection_rate"] = float(found.sum() / n)
    for a in thresholds:
        out[f"pck@{a:g}"] = float((found & (err <= a)).sum() / n)
    return out


def evaluate_pose(estimate: KeypointTrack, truth: KeypointTrack, min_confidence: float = 0.3,
                  thresholds: Sequence[float] = PCK_THRESHOLDS) -> PoseQuality:
    """Accuracy of ``estimate`` against ``truth`` (see the module docstring)."""
    return evaluate_pose_many([(estimate, truth)], min_confidence, thresholds)


def evaluate_pose_many(pairs: Sequence[tuple[KeypointTrack, KeypointTrack]], min_confidence: float = 0.3,
                       thresholds: Sequence[float] = PCK_THRESHOLDS) -> PoseQuality:
    """Accuracy pooled over several (estimate, truth) pairs, e.g. a set of recordings."""
    matched = [_pair(e, t, min_confidence) for e, t in pairs]
    pooled = _Pairs(*(np.concatenate([getattr(m, f) for m in matched]) for f in ("est", "gt", "found", "visible", "torso")))
    per_joint = {}
    for j, name in enumerate(JOINT_NAMES):
        per_joint[name] = {**_stats(pooled, [j], thresholds), "jitter": _jitter(matched, [j]),
                           **_motion(matched, [j])}
    everything = list(range(NUM_JOINTS))
    overall = {**_stats(pooled, everything, thresholds), "jitter": _jitter(matched, everything),
               **_motion(matched, everything)}
    person = float(np.mean(np.concatenate([m.found.any(axis=1) for m in matched])))
    return PoseQuality(per_joint, overall, int(len(pooled.torso)), person, tuple(thresholds),
                       {"min_confidence": min_confidence, "recordings": len(pairs)})


def _jitter(matched: Sequence[_Pairs], joints: Sequence[int]) -> float:
    """Median step of the error between consecutive samples, per recording (a step never spans
    two recordings), pooled."""
    steps = []
    for m in matched:
        _, found = _scored(m, joints)
        delta = (m.est[:, joints] - m.gt[:, joints]) / m.torso[:, None, None]
        both = found[1:] & found[:-1]
        steps.append(np.linalg.norm(delta[1:] - delta[:-1], axis=2)[both])
    allsteps = np.concatenate(steps) if steps else np.zeros(0)
    return float(np.median(allsteps)) if allsteps.size else float("nan")


def _motion(matched: Sequence[_Pairs], joints: Sequence[int]) -> dict[str, float]:
    """``motion_corr`` and ``motion_gain`` (module docstring) over the steps where the truth moves."""
    est_steps, gt_steps = [], []
    for m in matched:
        _, found = _scored(m, joints)
        scale = m.torso[1:, None, None]
        d_gt = (m.gt[1:, joints] - m.gt[:-1, joints]) / scale  # [T-1, J, 2] in torso lengths
        d_est = (m.est[1:, joints] - m.est[:-1, joints]) / scale
        moving = found[1:] & found[:-1] & (np.linalg.norm(d_gt, axis=2) >= MOVING_STEP)
        gt_steps.append(d_gt[moving])
        est_steps.append(d_est[moving])
    g = np.concatenate(gt_steps) if gt_steps else np.zeros((0, 2))
    e = np.concatenate(est_steps) if est_steps else np.zeros((0, 2))
    if len(g) < _MIN_MOVING_STEPS:
        return {"motion_corr": float("nan"), "motion_gain": float("nan"), "moving_steps": float(len(g))}
    gf, ef = g.ravel(), e.ravel()
    corr = float(np.corrcoef(gf, ef)[0, 1]) if ef.std() > 0 and gf.std() > 0 else 0.0
    gain = float(np.linalg.norm(e, axis=1).mean() / np.linalg.norm(g, axis=1).mean())
    return {"motion_corr": corr, "motion_gain": gain, "moving_steps": float(len(g))}

"""Which windows an epoch sees, in which order, and how they are augmented.

Long interictal recordings: ``interictal_per_ictal`` = r > 0 trains each epoch on every ictal
window plus a fresh seeded draw of r x as many interictal ones (all data is seen over the epochs);
``val_interictal_per_ictal`` likewise fixes one draw of validation windows for the per-epoch
checks. Every draw is seeded by (seed, epoch), so a resumed run replays the same epochs.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from inference.pose.joints import JOINT_INDEX, MIRROR
from inference.training.data import WindowSet


def _interictal_count(n_pos: int, n_neg: int, ratio: float) -> int:
    """Interictal windows drawn for ``n_pos`` ictal ones: ``ratio`` x as many, at most all of them."""
    return min(n_neg, int(round(ratio * max(n_pos, 1))))


def interictal_draw(labels: np.ndarray, ratio: float, rng: np.random.Generator) -> np.ndarray:
    """Indices of every ictal window plus ``ratio`` x as many interictal ones drawn without
    replacement (all interictal windows when there are fewer), sorted."""
    pos = np.flatnonzero(labels == 1)
    neg = np.flatnonzero(labels == 0)
    k = _interictal_count(len(pos), len(neg), ratio)
    if k < len(neg):
        neg = rng.choice(neg, k, replace=False)
    return np.sort(np.concatenate([pos, neg]))


def epoch_size(labels: np.ndarray, interictal_per_ictal: float = 0.0) -> int:
    """Windows per epoch: all of them, or every ictal one plus ratio x as many interictal."""
    n_pos = int((labels == 1).sum())
    if interictal_per_ictal <= 0:
        return len(labels)
    return n_pos + _interictal_count(n_pos, len(labels) - n_pos, interictal_per_ictal)


def epoch_order(n: int, labels: np.ndarray, seed: int, epoch: int, balance: str,
                interictal_per_ictal: float = 0.0) -> np.ndarray:
    """Window order of one epoch (deterministic in seed and epoch, so resuming replays it).
    ``interictal_per_ictal`` > 0: the epoch holds every ictal window plus a fresh draw of that many
    interictal windows per ictal one. ``balance="sampler"`` draws ictal and interictal windows
    equally often (with replacement)."""
    rng = np.random.default_rng([seed, epoch])
    if interictal_per_ictal > 0:
        sub = interictal_draw(labels[:n], interictal_per_ictal, rng)
        return sub[epoch_order(len(sub), labels[sub], seed, epoch, balance)]
    if balance != "sampler":
        return rng.permutation(n)
    pos = np.flatnonzero(labels == 1)
    neg = np.flatnonzero(labels == 0)
    if len(pos) == 0 or len(neg) == 0:
        return rng.permutation(n)
    half = n // 2
    idx = np.concatenate([rng.choice(pos, half, replace=True), rng.choice(neg, n - half, replace=True)])
    return rng.permutation(idx)


def validation_check_windows(val: WindowSet, interictal_per_ictal: float, seed: int) -> WindowSet:
    """The validation windows checked after every epoch: all of them, or every ictal one plus one
    fixed draw of ``interictal_per_ictal`` interictal ones per ictal (the same draw every epoch, so
    epochs compare)."""
    if epoch_size(val.labels, interictal_per_ictal) >= len(val):
        return val
    return val.subset(interictal_draw(val.labels, interictal_per_ictal, np.random.default_rng([seed, 11])))


def flip_batch(clips: np.ndarray, positions: np.ndarray, mask: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mirror a batch left-right: image columns reversed, x -> 1 - x, left/right joints swapped."""
    perm = list(MIRROR)
    c = np.ascontiguousarray(clips[:, perm, ..., ::-1])
    p = positions[:, perm].copy()
    present = p[..., 2] > 0
    p[..., 0] = np.where(present, 1.0 - p[..., 0], 0.0)
    return c, p, mask[:, perm].copy()


# Body parts hidden together in an EMU (a blanket over the legs, an arm under the body or out of
# view): joint dropout hides one of these groups, or a few random joints.
DROPOUT_GROUPS: tuple[tuple[str, ...], ...] = (
    ("right_hip", "left_hip", "right_knee", "left_knee", "right_ankle", "left_ankle"),  # lower body
    ("right_knee", "right_ankle"), ("left_knee", "left_ankle"),  # one leg
    ("right_elbow", "right_wrist"), ("left_elbow", "left_wrist"),  # one arm
)
_GROUP_INDICES = tuple(np.array([JOINT_INDEX[n] for n in g]) for g in DROPOUT_GROUPS)


def drop_joints(clips: Optional[np.ndarray], positions: np.ndarray, mask: np.ndarray, rng: np.random.Generator,
                probability: float) -> None:
    """Joint-dropout augmentation in place: each window, with ``probability``, loses a body part
    (one of ``DROPOUT_GROUPS``, half the time) or 1-3 random joints, as a partly visible patient
    would: masked out, positions zeroed, crops black (like joints outside the frame). ``clips`` may
    be None (frozen-encoder tokens: only the mask and positions change)."""
    hit = np.flatnonzero(rng.random(len(mask)) < probability)
    for b in hit:
        if rng.random() < 0.5:
            joints = _GROUP_INDICES[rng.integers(len(_GROUP_INDICES))]
        else:
            joints = rng.choice(mask.shape[1], size=int(rng.integers(1, 4)), replace=False)
        mask[b, joints] = False
        positions[b, joints] = 0.0
        if clips is not None:
            clips[b, joints] = 0


def flip_half(clips: np.ndarray, positions: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> None:
    """Left-right flip augmentation in place: each window of the batch is mirrored with probability 1/2."""
    flip = rng.random(len(clips)) < 0.5
    if flip.any():
        clips[flip], positions[flip], mask[flip] = flip_batch(clips[flip], positions[flip], mask[flip])

"""The 14 joints Semioscope tracks, in the paper's order, and the skeleton drawn between them.

Defined once here: drawing (widgets), graph baselines and the pose mappings all use it.
"""
from __future__ import annotations

import numpy as np

JOINT_NAMES: tuple[str, ...] = (
    "head",
    "neck",
    "right_shoulder",
    "left_shoulder",
    "right_elbow",
    "left_elbow",
    "right_wrist",
    "left_wrist",
    "right_hip",
    "left_hip",
    "right_knee",
    "left_knee",
    "right_ankle",
    "left_ankle",
)
NUM_JOINTS = len(JOINT_NAMES)
JOINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(JOINT_NAMES)}

# Human-readable labels for the GUI ("right wrist").
JOINT_LABELS: tuple[str, ...] = tuple(n.replace("_", " ") for n in JOINT_NAMES)


def _edge(a: str, b: str) -> tuple[int, int]:
    return JOINT_INDEX[a], JOINT_INDEX[b]


# Undirected skeleton edges (index pairs into JOINT_NAMES).
SKELETON_EDGES: tuple[tuple[int, int], ...] = (
    _edge("head", "neck"),
    _edge("neck", "right_shoulder"),
    _edge("neck", "left_shoulder"),
    _edge("right_shoulder", "right_elbow"),
    _edge("right_elbow", "right_wrist"),
    _edge("left_shoulder", "left_elbow"),
    _edge("left_elbow", "left_wrist"),
    _edge("right_shoulder", "right_hip"),
    _edge("left_shoulder", "left_hip"),
    _edge("right_hip", "left_hip"),
    _edge("right_hip", "right_knee"),
    _edge("right_knee", "right_ankle"),
    _edge("left_hip", "left_knee"),
    _edge("left_knee", "left_ankle"),
)

# Left/right mirror permutation (used for flip augmentation and checks).
MIRROR: tuple[int, ...] = tuple(
    JOINT_INDEX[n.replace("right_", "@").replace("left_", "right_").replace("@", "left_")]
    for n in JOINT_NAMES
)


def keypoints_to_joints(xy: np.ndarray, conf: np.ndarray, source: dict[str, int]
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Another model's keypoints -> the 14 joints, in ``JOINT_NAMES`` order.

    ``xy [..., K, 2]``, ``conf [..., K]``; ``source`` maps every joint but the neck to a keypoint
    index. The neck is the midpoint of the two shoulders, its confidence the smaller of theirs.
    Returns ``(xy [..., 14, 2]`` float32, ``conf [..., 14]`` float32).
    """
    ours = [JOINT_INDEX[n] for n in source]
    theirs = list(source.values())
    left, right = source["left_shoulder"], source["right_shoulder"]
    neck = JOINT_INDEX["neck"]
    out_xy = np.full(xy.shape[:-2] + (NUM_JOINTS, 2), np.nan, dtype=np.float32)
    out_conf = np.zeros(conf.shape[:-1] + (NUM_JOINTS,), dtype=np.float32)
    out_xy[..., ours, :] = xy[..., theirs, :]
    out_conf[..., ours] = conf[..., theirs]
    out_xy[..., neck, :] = (xy[..., left, :] + xy[..., right, :]) / 2.0  # NaN when either is missing
    out_conf[..., neck] = np.minimum(conf[..., left], conf[..., right])
    return out_xy, out_conf

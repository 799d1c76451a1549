"""The arithmetic of a top-down pose model (RTMPose, ViTPose) around its ONNX session: person
boxes, crops and normalisation in; heatmap / SimCC decoding and the COCO -> 14-joint mapping out.

Pure numpy (cv2 only for the crop), so each step is tested on its own. Conventions are MMPose's,
so an exported MMPose model decodes as MMPose decodes it:

- A **box** is ``(x0, y0, w, h)`` in frame pixels, float64 ``[4]``. The model sees it warped to
  its input ``W x H`` (bilinear, zero outside the frame): input pixel ``(u, v)`` is frame pixel
  ``(x0 + u * w / W, y0 + v * h / H)``. Boxes always have the input's aspect ``W / H`` (the short
  side grows around the centre), so the crop is never distorted.
- **Heatmaps** ``[N, K, h, w]`` (ViTPose, SimpleBaseline): the arg-max cell, moved a quarter cell
  towards the higher neighbour (MMPose ``refine_keypoints``), times the stride ``W / w``;
  score = the peak value.
- **SimCC** ``simcc_x [N, K, W * r]``, ``simcc_y [N, K, H * r]`` (RTMPose): arg-max bin / r on
  each axis; score = the smaller of the two maxima (MMPose ``get_simcc_maximum``).
- Scores are clipped to [0, 1]; a score <= 0 is no keypoint (NaN, 0). Scores below
  ``PoseConfig.min_confidence`` stay in the raw track and become missing when it is cleaned.
- **Keypoints**: COCO-17 (17), Halpe-26 (26) and COCO-WholeBody (133) all start with the 17 COCO
  body keypoints, which map to the 14 joints: head = nose, neck = midpoint of the shoulders
  (score: the smaller of the two), the rest directly (COCO and our joints both name sides from
  the person's point of view).
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from inference.core.errors import SemioscopeError
from inference.pose.joints import keypoints_to_joints

#: Keypoint sets by count; each starts with the 17 COCO body keypoints.
KEYPOINT_SETS: dict[int, str] = {17: "coco17", 26: "halpe26", 133: "coco_wholebody133"}

#: Our joint -> COCO-17 index (0 nose, 5/6 left/right shoulder, ..., 15/16 left/right ankle).
COCO17_INDEX: dict[str, int] = {
    "head": 0,
    "right_shoulder": 6, "left_shoulder": 5,
    "right_elbow": 8, "left_elbow": 7,
    "right_wrist": 10, "left_wrist": 9,
    "right_hip": 12, "left_hip": 11,
    "right_knee": 14, "left_knee": 13,
    "right_ankle": 16, "left_ankle": 15,
}

#: Input normalisations: channel order and per-channel (mean, std) on the 0-255 scale.
NORMALISATIONS: dict[str, tuple[str, tuple[float, float, float], tuple[float, float, float]]] = {
    "imagenet": ("rgb", (123.675, 116.28, 103.53), (58.395, 57.12, 57.375)),  # MMPose's RTMPose/ViTPose
    "imagenet_bgr": ("bgr", (103.53, 116.28, 123.675), (57.375, 57.12, 58.395)),
    "unit": ("rgb", (0.0, 0.0, 0.0), (255.0, 255.0, 255.0)),  # RGB / 255
    "none": ("rgb", (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)),  # RGB 0-255 as floats
}

MIN_BOX_KEYPOINTS = 3  # confident keypoints needed for a box from the previous keypoints
MIN_BOX_FRACTION = 0.125  # a box from keypoints is at least this fraction of the frame's shorter side


# -- boxes ---------------------------------------------------------------------------------------

def parse_bed_region(text: str) -> Optional[tuple[float, float, float, float]]:
    """``"x0,y0,x1,y1"`` (fractions of the frame, x0 < x1, y0 < y1) -> a tuple; ``""`` -> None."""
    if not text.strip():
        return None
    try:
        vals = tuple(float(v) for v in text.split(","))
    except ValueError:
        vals = ()
    if len(vals) != 4 or not (0.0 <= vals[0] < vals[2] <= 1.0 and 0.0 <= vals[1] < vals[3] <= 1.0):
        raise SemioscopeError(f"bed region {text!r}: expected 'x0,y0,x1,y1', fractions of the frame "
                              "with 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1 (e.g. '0.15,0.1,0.85,0.95')")
    return vals  # type: ignore[return-value]


def fix_aspect(box: np.ndarray, aspect: float) -> np.ndarray:
    """Grow the short side of ``box`` around its centre so that ``w / h == aspect``."""
    x0, y0, w, h = (float(v) for v in box)
    cx, cy = x0 + w / 2, y0 + h / 2
    if w > aspect * h:
        h = w / aspect
    else:
        w = h * aspect
    return np.array([cx - w / 2, cy - h / 2, w, h], dtype=np.float64)


def fallback_box(frame_size: tuple[int, int], aspect: float,
                 bed_region: Optional[tuple[float, float, float, float]] = None) -> np.ndarray:
    """The bed region (fractions of the frame) or the whole frame, at the input's aspect."""
    fw, fh = frame_size
    x0, y0, x1, y1 = bed_region or (0.0, 0.0, 1.0, 1.0)
    return fix_aspect(np.array([x0 * fw, y0 * fh, (x1 - x0) * fw, (y1 - y0) * fh]), aspect)


def keypoint_box(xy: np.ndarray, score: np.ndarray, frame_size: tuple[int, int], aspect: float,
                 padding: float, confidence: float) -> Optional[np.ndarray]:
    """The box around one frame's confident keypoints (``xy [K, 2]`` frame pixels, ``score [K]``):
    their bounding box enlarged ``padding`` times around its centre, each side at least
    ``MIN_BOX_FRACTION`` of the frame's shorter side, at the input's aspect. None when fewer
    than ``MIN_BOX_KEYPOINTS`` keypoints score ``>= confidence``."""
    ok = (score >= confidence) & np.isfinite(xy).all(axis=1)
    if int(ok.sum()) < MIN_BOX_KEYPOINTS:
        return None
    lo, hi = xy[ok].min(axis=0).astype(np.float64), xy[ok].max(axis=0).astype(np.float64)
    floor = MIN_BOX_FRACTION * min(frame_size)
    w, h = max((hi[0] - lo[0]) * padding, floor), max((hi[1] - lo[1]) * padding, floor)
    cx, cy = (lo + hi) / 2
    return fix_aspect(np.array([cx - w / 2, cy - h / 2, w, h]), aspect)


# -- model input ---------------------------------------------------------------------------------

def crop(rgb: np.ndarray, box: np.ndarray, input_size: tuple[int, int]) -> np.ndarray:
    """The box of ``rgb`` warped to ``input_size = (W, H)``: uint8 ``[H, W, 3]``, zero outside."""
    import cv2  # OpenCV costs ~0.2 s to import: only this backend's crops need it

    W, H = input_size
    x0, y0, w, h = (float(v) for v in box)
    sx, sy = W / w, H / h
    m = np.array([[sx, 0.0, -x0 * sx], [0.0, sy, -y0 * sy]], dtype=np.float64)
    return cv2.warpAffine(np.ascontiguousarray(rgb), m, (int(W), int(H)), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))


def normalise(crops: np.ndarray, name: str) -> np.ndarray:
    """uint8 RGB ``[N, H, W, 3]`` -> float32 ``[N, 3, H, W]`` per ``NORMALISATIONS[name]``."""
    try:
        order, mean, std = NORMALISATIONS[name]
    except KeyError:
        raise SemioscopeError(f"unknown ONNX input normalisation {name!r}; "
                              f"known: {', '.join(NORMALISATIONS)}") from None
    x = crops.astype(np.float32)
    if order == "bgr":
        x = x[..., ::-1]
    x = (x - np.array(mean, np.float32)) / np.array(std, np.float32)
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


# -- decoding ------------------------------------------------------------------------------------

def decode_heatmaps(heatmaps: np.ndarray, input_size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """``[N, K, h, w]`` -> ``(uv [N, K, 2]`` input pixels, ``score [N, K])``."""
    n, k, h, w = heatmaps.shape
    flat = heatmaps.reshape(n, k, h * w).astype(np.float32)
    idx = np.argmax(flat, axis=2)
    score = np.take_along_axis(flat, idx[..., None], axis=2)[..., 0]
    x, y = idx % w, idx // w
    hm = heatmaps.reshape(n * k, h, w)
    xf, yf, rows = x.reshape(-1), y.reshape(-1), np.arange(n * k)
    # MMPose refine_keypoints: a quarter cell towards the higher neighbour (same bounds as MMPose).
    can_x = (xf > 1) & (xf < w - 1) & (yf > 0) & (yf < h)
    can_y = (yf > 1) & (yf < h - 1) & (xf > 0) & (xf < w)
    dx = np.where(can_x, hm[rows, yf, np.clip(xf + 1, 0, w - 1)] - hm[rows, yf, np.clip(xf - 1, 0, w - 1)], 0.0)
    dy = np.where(can_y, hm[rows, np.clip(yf + 1, 0, h - 1), xf] - hm[rows, np.clip(yf - 1, 0, h - 1), xf], 0.0)
    uv = np.stack([xf + 0.25 * np.sign(dx), yf + 0.25 * np.sign(dy)], axis=1).reshape(n, k, 2)
    uv = uv * np.array([input_size[0] / w, input_size[1] / h])
    return uv, score


def decode_simcc(simcc_x: np.ndarray, simcc_y: np.ndarray, input_size: tuple[int, int]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``[N, K, W * r]``, ``[N, K, H * r]`` -> ``(uv [N, K, 2]`` input pixels, ``score [N, K])``."""
    rx = simcc_x.shape[2] / input_size[0]
    ry = simcc_y.shape[2] / input_size[1]
    uv = np.stack([np.argmax(simcc_x, axis=2) / rx, np.argmax(simcc_y, axis=2) / ry], axis=2)
    score = np.minimum(simcc_x.max(axis=2), simcc_y.max(axis=2)).astype(np.float32)
    return uv, score


def to_frame(uv: np.ndarray, boxes: np.ndarray, input_size: tuple[int, int]) -> np.ndarray:
    """Input pixels ``uv [N, K, 2]`` -> frame pixels through each frame's box (``boxes [N, 4]``)."""
    scale = boxes[:, None, 2:4] / np.array(input_size, dtype=np.float64)
    return boxes[:, None, 0:2] + uv * scale


def clean_scores(xy: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scores clipped to [0, 1]; keypoints scoring <= 0 (or not finite) are NaN with score 0."""
    score = np.nan_to_num(score.astype(np.float32), nan=0.0, posinf=1.0, neginf=0.0)
    none = score <= 0.0
    xy = np.where(none[..., None], np.nan, xy).astype(np.float32)
    return xy, np.clip(score, 0.0, 1.0)


def coco_to_joints(xy: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``xy [N, K, 2]``, ``score [N, K]`` of a COCO-led keypoint set (K >= 17) ->
    ``(xy [N, 14, 2]`` float32, ``conf [N, 14])`` in ``JOINT_NAMES`` order."""
    if xy.shape[1] < 17:
        raise SemioscopeError(f"a COCO keypoint set has at least 17 keypoints, got {xy.shape[1]}")
    out_xy, out_conf = keypoints_to_joints(xy, score, COCO17_INDEX)
    out_conf[np.isnan(out_xy).any(axis=2)] = 0.0
    return out_xy, out_conf

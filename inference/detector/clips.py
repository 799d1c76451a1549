"""Joint-centric clips: for one window, a square crop centred on each joint in every frame.

What the detector reads (paper section 3.1): per joint ``j`` a clip of the window's frames cut
around that joint, plus a position tensor (x/W, y/H, confidence) per frame, plus a mask of the
joints that are usable in this window. Joint identity (the one-hot of the paper) is implicit in
the joint axis order (``inference.joints.JOINT_NAMES``); the detector adds it.

Shapes (``J`` = 14 joints, ``T`` frames in the window, ``S`` = ``ClipConfig.input_size``):

- ``clips``     uint8   ``[J, T, 3, S, S]`` RGB, channels first.
- ``positions`` float32 ``[J, T, 3]``: ``(x / W, y / H, conf)``; ``(0, 0, 0)`` where the joint
  is missing in that frame (a linear layer reads it, so never NaN).
- ``mask``      bool    ``[J]``: the joint is *valid in this window* when it is present (conf >=
  ``min_conf`` with finite coordinates) in at least ``MIN_PRESENT_FRACTION`` (half) of the
  window's frames. The detector masks out the other joints in its cross-joint attention.

Crop rule: the crop side is ``ClipConfig.crop_side(H)`` (128 px at 1080p, scaled with the frame
height). Pixels outside the frame are zero. The crop is resized to ``S`` with ``cv2.INTER_AREA``.
A frame in which the joint is missing gets an all-zero crop and confidence 0.

Normalisation for the encoder (``to_float``): ``(x / 255 - CLIP_MEAN) / CLIP_STD`` with mean and
std 0.5 per channel, the ViViT (``google/vivit-b-16x2-kinetics400``) convention, giving values
in [-1, 1]. Everyone imports ``CLIP_MEAN`` / ``CLIP_STD`` from here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

from inference.core.config import ClipConfig, SegmentConfig
from inference.pose.joints import JOINT_LABELS, NUM_JOINTS
from inference.pose.keypoints import KeypointTrack

# ViViT-style normalisation (per RGB channel), the single source of truth for every encoder.
CLIP_MEAN: tuple[float, float, float] = (0.5, 0.5, 0.5)
CLIP_STD: tuple[float, float, float] = (0.5, 0.5, 0.5)

# A joint is valid in a window when present in at least this fraction of its frames.
MIN_PRESENT_FRACTION = 0.5



def enough_joints(mask: np.ndarray, min_joints: int) -> bool:
    """The pose-coverage gate: whether a window's valid-joint mask ``[14]`` has ``min_joints``."""
    return int(np.count_nonzero(mask)) >= min_joints


# Cleaned tracks mark missing joints with conf 0 (interpolated ones keep a small positive conf),
# so "present" means any positive confidence by default.
DEFAULT_MIN_CONF = 1e-3


@dataclass
class JointClips:
    """Joint-centred clips of one window.

    - ``clips``: uint8 ``[14, T, 3, S, S]`` (RGB, channels first).
    - ``positions``: float32 ``[14, T, 3]`` = (x / W, y / H, conf) per frame, zeros where missing.
    - ``mask``: bool ``[14]``: joint present in >= ``MIN_PRESENT_FRACTION`` of the frames.
    """

    clips: np.ndarray
    positions: np.ndarray
    mask: np.ndarray

    @property
    def num_frames(self) -> int:
        return int(self.clips.shape[1])

    @property
    def input_size(self) -> int:
        return int(self.clips.shape[-1])


def _gaussian_weight(size: int, sigma_fraction: float) -> np.ndarray:
    """``[S, S]`` float32 weight, 1 at the centre, VSViG-style emphasis of the joint itself."""
    c = (size - 1) / 2.0
    r = np.arange(size, dtype=np.float32) - c
    sigma = max(sigma_fraction * size, 1e-3)
    g = np.exp(-0.5 * (r / sigma) ** 2)
    return np.outer(g, g).astype(np.float32)


def crop_joint_clips(frames: np.ndarray, xy: np.ndarray, conf: np.ndarray,
                     cfg: ClipConfig = ClipConfig(), min_conf: float = DEFAULT_MIN_CONF) -> JointClips:
    """Cut the joint-centred clips of one window.

    - ``frames``: uint8 ``[T, H, W, 3]`` RGB, or a list of ``T`` frames ``[H, W, 3]`` (not copied).
    - ``xy``: ``[T, 14, 2]`` pixel coordinates (pixel ``i`` has its centre at ``i``); NaN = missing.
    - ``conf``: ``[T, 14]`` confidence; below ``min_conf`` the joint is missing in that frame.

    All crops of the window are written into one tiled canvas (no full-frame padding: only the
    part of each crop that lies inside the frame is copied, the rest stays zero), and the whole
    canvas is resized in a single ``cv2.resize`` call. When downscaling, the tiles stay exactly
    separate, because tile borders (multiples of the side) map onto multiples of ``S``.
    """

    if not isinstance(frames, np.ndarray):  # a list of frames: used as is, never stacked (copied)
        frames = [np.asarray(f) for f in frames]
        shapes = {(f.shape, f.dtype) for f in frames}
        if len(shapes) > 1:
            raise ValueError(f"frames differ in shape or dtype: {sorted(map(str, shapes))}")
        first = frames[0] if frames else np.zeros((0, 0, 3), np.uint8)
        T, (H, W), dtype, channels = len(frames), first.shape[:2], first.dtype, first.shape[-1]
        ndim = first.ndim + 1
    else:
        T, H, W = frames.shape[:3] if frames.ndim == 4 else (0, 0, 0)
        dtype, channels, ndim = frames.dtype, frames.shape[-1], frames.ndim
    if ndim != 4 or channels != 3:
        raise ValueError("frames must be [T, H, W, 3] RGB")
    if dtype != np.uint8:
        raise ValueError(f"frames must be uint8, got {dtype}")
    xy = np.asarray(xy, dtype=np.float64)
    conf = np.asarray(conf, dtype=np.float32)
    if xy.shape != (T, NUM_JOINTS, 2) or conf.shape != (T, NUM_JOINTS):
        raise ValueError(f"xy must be [{T}, {NUM_JOINTS}, 2] and conf [{T}, {NUM_JOINTS}], "
                         f"got {xy.shape} and {conf.shape}")
    side = cfg.crop_side(H)
    S = int(cfg.input_size)

    present = (conf >= min_conf) & np.isfinite(xy).all(axis=-1)  # [T, J]
    safe_xy = np.where(present[..., None], xy, 0.0)
    # First pixel of each crop so that the joint sits at crop pixel (side - 1) / 2.
    origin = np.round(safe_xy - (side - 1) / 2.0).astype(np.int64)  # [T, J, 2] (x0, y0)

    canvas = np.zeros((NUM_JOINTS * side, T * side, 3), dtype=np.uint8)
    ts, js = np.nonzero(present)
    for t, j in zip(ts.tolist(), js.tolist()):
        x0, y0 = int(origin[t, j, 0]), int(origin[t, j, 1])
        fx0, fy0 = max(x0, 0), max(y0, 0)
        fx1, fy1 = min(x0 + side, W), min(y0 + side, H)
        if fx1 <= fx0 or fy1 <= fy0:
            continue  # crop entirely outside the frame: all padding
        cy, cx = j * side + (fy0 - y0), t * side + (fx0 - x0)
        canvas[cy:cy + fy1 - fy0, cx:cx + fx1 - fx0] = frames[t][fy0:fy1, fx0:fx1]

    if side >= S:
        small = cv2.resize(canvas, (T * S, NUM_JOINTS * S), interpolation=cv2.INTER_AREA)
        tiles = small.reshape(NUM_JOINTS, S, T, S, 3).transpose(0, 2, 4, 1, 3)  # [J, T, 3, S, S]
    else:  # upscaling would blend neighbouring tiles: resize each crop on its own
        tiles = np.empty((NUM_JOINTS, T, 3, S, S), dtype=np.uint8)
        grid = canvas.reshape(NUM_JOINTS, side, T, side, 3)
        for j in range(NUM_JOINTS):
            for t in range(T):
                tiles[j, t] = cv2.resize(np.ascontiguousarray(grid[j, :, t]), (S, S),
                                         interpolation=cv2.INTER_AREA).transpose(2, 0, 1)
    clips = np.ascontiguousarray(tiles)
    if cfg.gaussian_weighting:
        weight = _gaussian_weight(S, cfg.gaussian_sigma)
        clips = np.round(clips.astype(np.float32) * weight).astype(np.uint8)

    positions = np.zeros((NUM_JOINTS, T, 3), dtype=np.float32)
    norm = np.array([W, H], dtype=np.float64)
    positions[..., :2] = np.where(present[..., None], safe_xy / norm, 0.0).transpose(1, 0, 2)
    positions[..., 2] = np.where(present, conf, 0.0).T
    mask = present.mean(axis=0) >= MIN_PRESENT_FRACTION if T else np.zeros(NUM_JOINTS, bool)
    return JointClips(clips=clips, positions=positions, mask=np.asarray(mask, dtype=bool))


def stack_clips(items: Sequence[JointClips]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Batch windows: clips uint8 ``[B, 14, T, 3, S, S]``, positions ``[B, 14, T, 3]``, mask ``[B, 14]``."""
    if not items:
        raise ValueError("stack_clips needs at least one JointClips")
    return (np.stack([c.clips for c in items]), np.stack([c.positions for c in items]),
            np.stack([c.mask for c in items]))


def to_float(clips_uint8):
    """uint8 clips ``[..., 3, S, S]`` -> float32 ``(x / 255 - CLIP_MEAN) / CLIP_STD``.

    Accepts a numpy array (returns numpy) or a torch tensor (returns a torch tensor on the same
    device), so the training loop can normalise on the GPU after the uint8 transfer.
    """
    mean = np.asarray(CLIP_MEAN, dtype=np.float32).reshape(3, 1, 1)
    std = np.asarray(CLIP_STD, dtype=np.float32).reshape(3, 1, 1)
    if type(clips_uint8).__module__.startswith("torch"):
        import torch  # torch is heavy (seconds to import): loaded only when a model runs

        m = torch.as_tensor(mean, device=clips_uint8.device)
        s = torch.as_tensor(std, device=clips_uint8.device)
        return (clips_uint8.float() / 255.0 - m) / s
    x = np.asarray(clips_uint8)
    if x.shape[-3] != 3:
        raise ValueError(f"clips must have channels at axis -3, got shape {x.shape}")
    return ((x.astype(np.float32) / 255.0 - mean) / std).astype(np.float32)


def window_times(start_s: float, cfg: SegmentConfig = SegmentConfig()) -> np.ndarray:
    """The ``cfg.frames_per_window`` sampling instants of the window starting at ``start_s``."""
    return start_s + np.arange(cfg.frames_per_window, dtype=np.float64) / cfg.fps


def window_frames(track: KeypointTrack, start_s: float, cfg: SegmentConfig = SegmentConfig()) -> np.ndarray:
    """Indices into ``track`` (int64 ``[frames_per_window]``) of the samples of one window.

    Each instant ``start_s + k / fps`` maps to the nearest track sample; at the track's ends the
    first/last sample repeats (callers decide whether such windows are complete, e.g. with
    ``window_is_complete``).
    """
    return track.nearest_indices(window_times(start_s, cfg)).astype(np.int64)


def window_is_complete(track: KeypointTrack, start_s: float, cfg: SegmentConfig = SegmentConfig()) -> bool:
    """True when every instant of the window has a track sample within half a sampling period."""
    if len(track) == 0:
        return False
    times = window_times(start_s, cfg)
    idx = track.nearest_indices(times)
    return bool(np.all(np.abs(track.times[idx] - times) <= 0.5 / cfg.fps + 1e-6))


def clips_for_window(track: KeypointTrack, frames: np.ndarray, start_s: float,
                     seg: SegmentConfig = SegmentConfig(), cfg: ClipConfig = ClipConfig(),
                     min_conf: float = DEFAULT_MIN_CONF) -> JointClips:
    """Convenience: ``frames`` are the decoded frames of the window's samples, in order
    (``[frames_per_window, H, W, 3]``); the keypoints come from ``track`` at ``window_frames``."""
    idx = window_frames(track, start_s, seg)
    return crop_joint_clips(frames, track.xy[idx], track.conf[idx], cfg, min_conf)


def contact_sheet(jc: JointClips, frames: Sequence[int] | int = 6, tile: int = 64,
                  label_width: int = 130) -> np.ndarray:
    """An RGB image of the 14 joint clips: one labelled row per joint, a few frames across.

    ``frames`` is a list of frame indices within the window, or a count of evenly spaced ones.
    Joints outside the window mask are labelled ``(masked)`` in grey; frames where the joint is
    missing show the zero crop with a red border.
    """

    T = jc.num_frames
    if isinstance(frames, int):
        cols = np.unique(np.linspace(0, max(T - 1, 0), num=max(1, min(frames, T))).round().astype(int))
    else:
        cols = np.asarray(list(frames), dtype=int)
        if len(cols) == 0 or cols.min() < 0 or cols.max() >= T:
            raise ValueError(f"frame indices must lie in 0..{T - 1}")
    header = 22
    gap = 2
    height = header + NUM_JOINTS * (tile + gap)
    width = label_width + len(cols) * (tile + gap)
    sheet = np.full((height, width, 3), 30, dtype=np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    for c, t in enumerate(cols):
        x = label_width + c * (tile + gap)
        cv2.putText(sheet, f"f{t}", (x + 4, 16), font, 0.45, (220, 220, 220), 1, cv2.LINE_AA)
    for j in range(NUM_JOINTS):
        y = header + j * (tile + gap)
        valid = bool(jc.mask[j])
        colour = (235, 235, 235) if valid else (120, 120, 120)
        cv2.putText(sheet, JOINT_LABELS[j], (6, y + tile // 2), font, 0.45, colour, 1, cv2.LINE_AA)
        if not valid:
            cv2.putText(sheet, "(masked)", (6, y + tile // 2 + 16), font, 0.4, colour, 1, cv2.LINE_AA)
        for c, t in enumerate(cols):
            x = label_width + c * (tile + gap)
            img = jc.clips[j, t].transpose(1, 2, 0)
            sheet[y:y + tile, x:x + tile] = cv2.resize(img, (tile, tile), interpolation=cv2.INTER_NEAREST)
            if jc.positions[j, t, 2] <= 0:
                cv2.rectangle(sheet, (x, y), (x + tile - 1, y + tile - 1), (200, 40, 40), 1)
    return sheet

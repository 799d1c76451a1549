"""The baselines of the cross-joint attention paper's Table 1, built from their papers'
descriptions (random initialisation; no weights are downloaded):

- ``vsvig``: VSViG (a skeleton-based spatio-temporal graph network over joint patches), light
  variant: each joint's 32 px patch is weighted by a Gaussian centred on the joint (so the
  background around it fades), embedded by a small CNN, with the joint's motion added
  (``motion_features``), then graph convolutions over the
  skeleton's edges alternate with temporal convolutions; pooled over the valid joints and time.
- ``frame3d``: an R(2+1)D network (3D convolutions factorised into spatial then temporal) on the
  whole frame, resized.
- ``flow3d``: the same network on dense optical flow of the whole frame (2 channels).

Every model maps a batch to one logit per window. Presets: ``tiny`` (trains on a CPU) and
``paper`` (the sizes of the papers, for a GPU).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from inference.core.config import DictMixin
from inference.core.errors import SemioscopeError
from inference.pose.joints import NUM_JOINTS, SKELETON_EDGES

METHODS = ("vsvig", "frame3d", "flow3d")
FLOW_SCALE_PX = 8.0  # flow in pixels of the resized frame, divided by this (most motion lies within it)


@dataclass(frozen=True)
class BaselineConfig(DictMixin):
    method: str = "frame3d"
    frame_size: int = 64  # frame3d / flow3d input side, pixels
    widths: tuple[int, ...] = (16, 32, 64)  # R(2+1)D stage widths / VSViG embedding width first
    graph_layers: int = 2  # VSViG spatio-temporal blocks
    dropout: float = 0.1

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise SemioscopeError(f"unknown baseline {self.method!r} (choose from: {', '.join(METHODS)})")
        object.__setattr__(self, "widths", tuple(int(w) for w in self.widths))


PRESETS: dict[str, dict[str, Any]] = {
    "tiny": dict(frame_size=64, widths=(16, 32, 64), graph_layers=2),
    "paper": dict(frame_size=112, widths=(64, 128, 256, 512), graph_layers=4),
}


def baseline_config(method: str, preset: str = "tiny") -> BaselineConfig:
    if preset not in PRESETS:
        raise SemioscopeError(f"unknown baseline preset {preset!r} (choose from: {', '.join(PRESETS)})")
    return BaselineConfig(method=method, **PRESETS[preset])


# -- R(2+1)D on whole frames -------------------------------------------------------------------

class _Block21D(nn.Module):
    """Spatial 1x3x3 then temporal 3x1x1 convolution, with a residual path."""

    def __init__(self, c_in: int, c_out: int, spatial_stride: int):
        super().__init__()
        self.spatial = nn.Conv3d(c_in, c_out, (1, 3, 3), (1, spatial_stride, spatial_stride), (0, 1, 1), bias=False)
        self.bn1 = nn.BatchNorm3d(c_out)
        self.temporal = nn.Conv3d(c_out, c_out, (3, 1, 1), 1, (1, 0, 0), bias=False)
        self.bn2 = nn.BatchNorm3d(c_out)
        self.skip = (nn.Identity() if c_in == c_out and spatial_stride == 1 else
                     nn.Sequential(nn.Conv3d(c_in, c_out, 1, (1, spatial_stride, spatial_stride), bias=False),
                                   nn.BatchNorm3d(c_out)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.spatial(x)))
        return torch.relu(self.bn2(self.temporal(y)) + self.skip(x))


class FrameR21D(nn.Module):
    """R(2+1)D classifier: input ``[B, T, S, S, C]`` (uint8 RGB frames or float16 flow)."""

    def __init__(self, cfg: BaselineConfig):
        super().__init__()
        self.cfg = cfg
        c_in = 2 if cfg.method == "flow3d" else 3
        w = cfg.widths
        self.stem = nn.Sequential(nn.Conv3d(c_in, w[0], (1, 7, 7), (1, 2, 2), (0, 3, 3), bias=False),
                                  nn.BatchNorm3d(w[0]), nn.ReLU(),
                                  nn.Conv3d(w[0], w[0], (3, 1, 1), 1, (1, 0, 0), bias=False),
                                  nn.BatchNorm3d(w[0]), nn.ReLU())
        self.stages = nn.Sequential(*[_Block21D(a, b, 2) for a, b in zip(w[:-1], w[1:])])
        self.head = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(w[-1], 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.cfg.method == "flow3d":
            x = x.float() / FLOW_SCALE_PX
        else:
            x = x.float() / 127.5 - 1.0
        x = x.permute(0, 4, 1, 2, 3).contiguous()  # [B, C, T, S, S]
        y = self.stages(self.stem(x))
        return self.head(y.mean(dim=(2, 3, 4))).squeeze(-1)


# -- VSViG-light on joint patches ----------------------------------------------------------------

def skeleton_adjacency() -> torch.Tensor:
    """Row-normalised adjacency of the 14-joint skeleton with self-loops, ``[14, 14]``."""
    a = np.eye(NUM_JOINTS, dtype=np.float32)
    for i, j in SKELETON_EDGES:
        a[i, j] = a[j, i] = 1.0
    return torch.from_numpy(a / a.sum(axis=1, keepdims=True))


def gaussian_weight(size: int, sigma_frac: float = 0.25) -> torch.Tensor:
    """A 2-D Gaussian ``[size, size]`` peaking at the patch centre (the joint)."""
    r = (torch.arange(size, dtype=torch.float32) - (size - 1) / 2) / (sigma_frac * size)
    return torch.exp(-0.5 * (r[:, None] ** 2 + r[None, :] ** 2))


class _STBlock(nn.Module):
    """Graph convolution over the skeleton, then a temporal convolution, residual."""

    def __init__(self, c: int, dropout: float):
        super().__init__()
        self.graph = nn.Linear(c, c)
        self.temporal = nn.Conv1d(c, c, 3, padding=1, groups=1)
        self.norm1 = nn.LayerNorm(c)
        self.norm2 = nn.LayerNorm(c)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:  # x [B, J, T, C]
        y = torch.einsum("ij,bjtc->bitc", adj, self.graph(self.norm1(x)))
        x = x + self.drop(torch.relu(y))
        b, j, t, c = x.shape
        z = self.temporal(self.norm2(x).reshape(b * j, t, c).transpose(1, 2)).transpose(1, 2).reshape(b, j, t, c)
        return x + self.drop(torch.relu(z))


POSITION_SCALE = 10.0  # joint motion is ~1% of the frame: rescaled so that it is not drowned


def motion_features(positions: torch.Tensor) -> torch.Tensor:
    """``[B, J, T, 3]`` (x/W, y/H, conf) -> ``[B, J, T, 5]``: each joint's track centred on its
    window mean (motion, not where the bed is), its step from the previous frame, and the
    confidence; coordinates x ``POSITION_SCALE``, zero where the joint is missing."""
    pos = torch.nan_to_num(positions.float(), nan=0.0)
    present = (pos[..., 2:3] > 0).float()
    mean = (pos[..., :2] * present).sum(2, keepdim=True) / present.sum(2, keepdim=True).clamp(min=1.0)
    centred = (pos[..., :2] - mean) * present
    both = present[:, :, 1:] * present[:, :, :-1]
    step = torch.cat([torch.zeros_like(centred[:, :, :1]), (centred[:, :, 1:] - centred[:, :, :-1]) * both], dim=2)
    return torch.cat([centred * POSITION_SCALE, step * POSITION_SCALE, pos[..., 2:3]], dim=-1)


class VSViGLite(nn.Module):
    """Input: joint clips ``[B, 14, T, 3, S, S]`` uint8, positions ``[B, 14, T, 3]``, mask ``[B, 14]``."""

    def __init__(self, cfg: BaselineConfig, patch_size: int = 32):
        super().__init__()
        self.cfg = cfg
        c = cfg.widths[0] * 2
        self.register_buffer("adj", skeleton_adjacency(), persistent=False)
        self.register_buffer("weight", gaussian_weight(patch_size), persistent=False)
        self.embed = nn.Sequential(nn.Conv2d(3, c // 2, 3, 2, 1), nn.ReLU(), nn.Conv2d(c // 2, c, 3, 2, 1), nn.ReLU(),
                                   nn.AdaptiveAvgPool2d(1))
        self.joint_embed = nn.Parameter(torch.zeros(NUM_JOINTS, c))
        self.position = nn.Linear(5, c)
        self.blocks = nn.ModuleList([_STBlock(c, cfg.dropout) for _ in range(cfg.graph_layers)])
        self.head = nn.Sequential(nn.LayerNorm(c), nn.Linear(c, 1))

    def forward(self, clips: torch.Tensor, positions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, j, t, ch, s, _ = clips.shape
        x = clips.float() / 127.5 - 1.0
        if s != self.weight.shape[0]:
            x = nn.functional.interpolate(x.reshape(-1, ch, s, s), size=self.weight.shape, mode="bilinear",
                                          align_corners=False).reshape(b, j, t, ch, *self.weight.shape)
        x = x * self.weight  # the joint's surroundings fade: the background barely reaches the model
        feats = self.embed(x.reshape(-1, ch, *self.weight.shape)).reshape(b, j, t, -1)
        x = feats + self.position(motion_features(positions)) + self.joint_embed[None, :, None, :]
        valid = mask.float()[:, :, None, None]
        x = x * valid
        for blk in self.blocks:
            x = blk(x, self.adj) * valid
        pooled = x.sum(dim=(1, 2)) / (valid.sum(dim=(1, 2)) * t).clamp(min=1.0)
        return self.head(pooled).squeeze(-1)


def build_baseline(cfg: BaselineConfig) -> nn.Module:
    return VSViGLite(cfg) if cfg.method == "vsvig" else FrameR21D(cfg)

"""Tube masking for VideoMAE pre-training.

One random spatial mask per sample is repeated over every temporal slot (tubelet), so a masked
patch stays hidden for the whole clip and cannot be copied from a neighbouring frame. Every
sample masks exactly the same number of patches, which ``VideoMAEForPreTraining`` requires.
Token order matches VideoMAE's patch embedding (Conv3d then flatten): ``index = t * (h * w) +
row * w + col``.
"""
from __future__ import annotations

from typing import Optional


def masked_per_slot(patches_per_slot: int, ratio: float) -> int:
    """How many of a slot's spatial patches are masked: ``round(ratio * patches_per_slot)``,
    kept within 1 .. patches_per_slot - 1 (the loss needs a masked patch, the encoder a visible one)."""
    if not 0.0 < ratio < 1.0:
        raise ValueError(f"mask ratio must be between 0 and 1 (exclusive), got {ratio}")
    if patches_per_slot < 2:
        raise ValueError("tube masking needs at least 2 patches per frame")
    return int(min(max(round(ratio * patches_per_slot), 1), patches_per_slot - 1))


def tube_mask(batch_size: int, num_frames: int, tubelet_size: int, grid: tuple[int, int],
              ratio: float = 0.3, generator: Optional["torch.Generator"] = None):
    """``bool_masked_pos`` ``[B, (num_frames // tubelet_size) * gh * gw]`` (True = masked).

    ``grid`` = (gh, gw) patches per frame (image_size // patch_size each side).
    """
    import torch  # torch is heavy (seconds to import): loaded only when a model runs

    slots = num_frames // tubelet_size
    if slots < 1 or num_frames % tubelet_size:
        raise ValueError(f"num_frames {num_frames} must be a positive multiple of tubelet_size {tubelet_size}")
    per_slot = int(grid[0]) * int(grid[1])
    n_mask = masked_per_slot(per_slot, ratio)
    # Rank random keys: the n_mask smallest per sample are masked (a uniform random subset).
    keys = torch.rand(batch_size, per_slot, generator=generator)
    order = keys.argsort(dim=1)
    spatial = torch.zeros(batch_size, per_slot, dtype=torch.bool)
    spatial.scatter_(1, order[:, :n_mask], True)
    return spatial.repeat(1, slots)


def mask_for_config(config, batch_size: int, ratio: float = 0.3, generator=None):
    """``tube_mask`` for a ``VideoMAEConfig`` (image_size, patch_size, num_frames, tubelet_size)."""
    g = config.image_size // config.patch_size
    return tube_mask(batch_size, config.num_frames, config.tubelet_size, (g, g), ratio, generator)

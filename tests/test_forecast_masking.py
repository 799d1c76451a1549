"""Tube masking: shape, exact ratio per sample, identical across time slots; VideoMAE accepts it."""
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from forecast_data import one_torch_thread  # noqa: E402,F401

from inference.forecast.masking import mask_for_config, masked_per_slot, tube_mask


def test_tube_mask_shape_ratio_and_time_invariance():
    g = torch.Generator().manual_seed(3)
    m = tube_mask(5, num_frames=16, tubelet_size=2, grid=(4, 4), ratio=0.3, generator=g)
    assert m.dtype == torch.bool and m.shape == (5, 8 * 16)
    slots = m.view(5, 8, 16)
    # The same spatial mask in every temporal slot.
    assert torch.equal(slots, slots[:, :1].expand_as(slots))
    # Exactly round(0.3 * 16) = 5 masked per slot, so 40 per sample, in every sample.
    assert slots[:, 0].sum(dim=1).tolist() == [5] * 5
    assert m.sum(dim=1).tolist() == [40] * 5
    # Samples get different masks.
    assert len({tuple(s.tolist()) for s in slots[:, 0]}) > 1


@pytest.mark.parametrize("ratio,expected", [(0.3, 59), (0.75, 147), (0.9, 176)])
def test_ratio_of_videomae_base_grid(ratio, expected):
    m = tube_mask(2, 16, 2, (14, 14), ratio, torch.Generator().manual_seed(0))
    assert m.shape == (2, 1568)
    assert m.sum(dim=1).tolist() == [8 * expected] * 2
    assert masked_per_slot(196, ratio) == expected


def test_mask_is_seeded_and_bad_ratios_fail():
    a = tube_mask(3, 4, 2, (3, 3), 0.5, torch.Generator().manual_seed(7))
    b = tube_mask(3, 4, 2, (3, 3), 0.5, torch.Generator().manual_seed(7))
    assert torch.equal(a, b)
    for bad in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError):
            tube_mask(1, 16, 2, (4, 4), bad)
    with pytest.raises(ValueError):
        tube_mask(1, 15, 2, (4, 4), 0.3)  # frames not a multiple of the tubelet


def test_videomae_pretraining_accepts_mask():
    from inference.forecast.model import new_pretraining_model, preset_config

    cfg = preset_config("tiny", image_size=32)
    model = new_pretraining_model(cfg, seed=0)
    mask = mask_for_config(cfg, 2, 0.3, torch.Generator().manual_seed(0))
    assert mask.shape == (2, 8 * 4)
    out = model(pixel_values=torch.randn(2, 16, 3, 32, 32), bool_masked_pos=mask)
    n_masked = int(mask[0].sum())
    assert out.logits.shape[:2] == (2, n_masked) and np.isfinite(float(out.loss.detach()))

"""Joint-dropout augmentation: partly visible patients in training (a blanket, an arm out of view)."""
from __future__ import annotations

import numpy as np
import pytest

from inference.pose.joints import JOINT_INDEX
from inference.training.config import TrainConfig
from inference.training.sampling import DROPOUT_GROUPS, drop_joints


def batch(n=400, t=4, s=8):
    clips = np.full((n, 14, t, 3, s, s), 200, np.uint8)
    positions = np.full((n, 14, t, 3), 0.5, np.float32)
    return clips, positions, np.ones((n, 14), bool)


def test_dropout_hides_whole_parts_consistently():
    clips, pos, mask = batch()
    drop_joints(clips, pos, mask, np.random.default_rng(0), probability=0.5)
    hit = ~mask.all(axis=1)
    assert 0.4 < hit.mean() < 0.6  # about half the windows
    lost = (~mask).sum(axis=1)
    assert lost[hit].min() >= 1 and lost.max() <= 6  # 1-3 joints or one group (at most the lower body)
    # A hidden joint is hidden everywhere: mask, positions and pixels.
    hidden = ~mask
    assert (pos[hidden] == 0).all() and (clips[hidden] == 0).all()
    assert (clips[mask] == 200).all() and (pos[mask] == 0.5).all()
    lower = [JOINT_INDEX[n] for n in DROPOUT_GROUPS[0]]
    assert any(set(np.flatnonzero(~mask[b])) == set(lower) for b in range(len(mask)))  # the blanket case


def test_tokens_path_and_no_dropout():
    _, pos, mask = batch(50)
    drop_joints(None, pos, mask, np.random.default_rng(1), probability=1.0)
    assert (~mask).any(axis=1).all()
    _, pos, mask = batch(50)
    drop_joints(None, pos, mask, np.random.default_rng(1), probability=0.0)
    assert mask.all()


def test_probability_is_checked():
    assert TrainConfig().joint_dropout == 0.0
    with pytest.raises(ValueError, match="joint_dropout"):
        TrainConfig(joint_dropout=1.5)

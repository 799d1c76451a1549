"""Shared test set-up: Qt runs offscreen; helpers write small real videos."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import pytest


def numbered_frames(n: int, size=(64, 48)):
    """Flat frames whose colour encodes their number k < 256 (red: k % 16, green: k // 16, in
    steps of 16), robust to lossy compression, so a decoded frame can be identified."""
    w, h = size
    frames = []
    for k in range(n):
        f = np.zeros((h, w, 3), dtype=np.uint8)
        f[..., 0] = (k % 16) * 16 + 8
        f[..., 1] = (k // 16) * 16 + 8
        f[..., 2] = 128
        frames.append(f)
    return frames


def frame_number_of(rgb: np.ndarray) -> int:
    r = int(round((float(rgb[..., 0].mean()) - 8) / 16))
    g = int(round((float(rgb[..., 1].mean()) - 8) / 16))
    return g * 16 + r


@pytest.fixture
def numbered_video(tmp_path):
    """Factory: write a video of numbered frames, optionally at explicit times (VFR)."""
    from inference.video.writer import write_video

    def make(name="v.mp4", n=60, fps=30.0, times=None, size=(64, 48), codec="mpeg4"):
        return write_video(tmp_path / name, numbered_frames(n, size), fps=fps, times=times, codec=codec)

    return make

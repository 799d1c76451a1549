"""Tiny forecasting videos for the forecast tests: a manifest of subjects whose recordings show a
moving block, with a prodrome (the block stops and brightens) in the seconds before onset."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from inference.video.writer import write_video

ONSET_S = 20.0
DURATION_S = 30.0


def tiny_recording(path: Path, subject: int, fps: float = 8.0, size=(40, 32), onset_s: float = ONSET_S,
                   duration_s: float = DURATION_S) -> Path:
    w, h = size
    rng = np.random.default_rng(subject)
    frames = []
    for k in range(int(duration_s * fps)):
        t = k / fps
        f = np.full((h, w, 3), 30 + 5 * subject, np.uint8)
        pre = onset_s - 6.0 <= t < onset_s
        x = 14 if pre else int(14 + 10 * np.sin(2 * np.pi * 0.4 * t + subject))
        y = int(10 + 3 * np.sin(2 * np.pi * 0.3 * t))
        f[y:y + 10, x:x + 10] = 230 if pre else 140
        f += rng.integers(0, 8, f.shape, dtype=np.uint8)
        frames.append(f)
    return write_video(path, frames, fps=fps)


def tiny_manifest(root: Path, n_subjects: int = 4) -> Path:
    rows = []
    for s in range(n_subjects):
        video = tiny_recording(root / f"s{s}.mp4", s)
        rows.append({"recording_id": f"r{s}", "subject_id": f"sub{s}", "video": video.name, "seizure_type": "focal",
                     "eeg_onset_s": ONSET_S - 1.0, "clinical_onset_s": ONSET_S, "end_s": ONSET_S + 4.0,
                     "duration_s": DURATION_S})
    path = root / "manifest.csv"
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def tiny_corpus(folder: Path, n: int = 3, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    for i in range(n):
        frames = []
        for k in range(40):
            f = np.full((32, 40, 3), 50, np.uint8)
            x = int(15 + 10 * np.sin(k / 4 + i))
            f[8:20, x:x + 8] = rng.integers(100, 250)
            frames.append(f)
        write_video(folder / f"c{i}.mp4", frames, fps=10.0)
    return folder


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """One torch thread for the module: on a shared 2-core machine, OpenMP threads spinning
    against other jobs make a tiny model up to 50x slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

"""Frozen-mode token cache: the frozen encoder's joint tokens of a window set, computed once.

With a frozen encoder, a window's 14 tokens never change, so the first epoch (or an earlier run
with the same encoder) computes them and later epochs train only the cross-joint attention and
head on ``[N, 14, D]`` tokens, which is fast.

A cache file is keyed by the encoder's weights (a hash of its state dict, so a differently
seeded random encoder or other pretrained weights never reuse it) and by the exact list of
windows (recording cache entry + start time). Stored as ``.npy`` (never pickled).
"""
from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Optional

import numpy as np

from inference.core.atomic import atomic_write
from inference.core.device import inference_mode
from inference.core.progress import CancelToken, ProgressFn, check_cancel, no_progress
from inference.detector.clips import to_float


def encoder_fingerprint(encoder) -> str:
    """Hash of the encoder's weights (names, shapes and values)."""
    h = hashlib.sha256()
    for name, t in sorted(encoder.state_dict().items()):
        h.update(name.encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t.detach().to("cpu").contiguous().float().numpy().tobytes())
    return h.hexdigest()[:24]


def window_set_fingerprint(windows) -> str:
    """Hash of a WindowSet's windows (their recordings' cache entries and start times)."""
    h = hashlib.sha256()
    for rid, start, _, _ in windows.items:
        rec = windows.recordings[rid]
        h.update(f"{rec.meta.get('fingerprint', rid)}|{rec.meta.get('clips')}|{start:.4f};".encode())
    h.update(str(windows.frames_per_window).encode())
    return h.hexdigest()[:24]


def cached_tokens(model, windows, cache_dir: str | Path, device, batch_size: int = 8,
                  progress: ProgressFn = no_progress, cancel: Optional[CancelToken] = None,
                  encoder_fp: Optional[str] = None) -> np.ndarray:
    """Tokens ``[N, 14, D]`` float32 of every window of ``windows`` (a training_data.WindowSet),
    read from the cache or computed with ``model.encode_joints`` (no grad) and stored."""
    import torch  # torch is heavy (seconds to import): loaded only when a model runs

    encoder_fp = encoder_fp or encoder_fingerprint(model.encoder)
    path = Path(cache_dir) / encoder_fp / f"{window_set_fingerprint(windows)}.npy"
    if path.is_file():
        try:
            tokens = np.load(path, allow_pickle=False)
            if tokens.shape[:2] == (len(windows), 14):
                return tokens
        except (OSError, ValueError):
            pass  # damaged: recompute
    n = len(windows)
    tokens = np.zeros((n, 14, model.cfg.hidden_size), np.float32)
    dev = device.torch_device()
    with inference_mode(model, device):
        for i in range(0, n, batch_size):
            check_cancel(cancel)
            idx = list(range(i, min(n, i + batch_size)))
            clips, _pos, mask = windows.batch(idx)
            t = model.encode_joints(to_float(torch.from_numpy(clips).to(dev)), torch.from_numpy(mask).to(dev))
            tokens[idx] = t.float().cpu().numpy()
            progress(idx[-1] + 1, n, "encoding tokens")

    def write(fh) -> None:
        buf = io.BytesIO()
        np.save(buf, tokens, allow_pickle=False)
        fh.write(buf.getvalue())

    atomic_write(path, write)
    return tokens

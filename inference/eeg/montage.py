"""Montages: which traces a page shows, each a combination of the recorded channels.

- ``recorded``: every signal as the file holds it (its own reference);
- ``average``: each 10-20 electrode minus the mean of all 10-20 electrodes present;
- ``bipolar``: the longitudinal bipolar "double banana" (left temporal, right temporal, left
  parasagittal, right parasagittal chains, then the midline), derivations whose two electrodes
  are both in the file.

Non-EEG signals (ECG, EMG, EOG...) follow the EEG traces unchanged in every montage.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from inference.eeg.edf_file import EegChannel

MONTAGES = ("recorded", "average", "bipolar")
MONTAGE_LABELS = {"recorded": "As recorded", "average": "Average ref.", "bipolar": "Bipolar (long.)"}
DOUBLE_BANANA = (
    ("Fp1", "F7"), ("F7", "T3"), ("T3", "T5"), ("T5", "O1"),
    ("Fp2", "F8"), ("F8", "T4"), ("T4", "T6"), ("T6", "O2"),
    ("Fp1", "F3"), ("F3", "C3"), ("C3", "P3"), ("P3", "O1"),
    ("Fp2", "F4"), ("F4", "C4"), ("C4", "P4"), ("P4", "O2"),
    ("Fz", "Cz"), ("Cz", "Pz"),
)


@dataclass(frozen=True)
class Derivation:
    """One trace: ``plus`` (a channel index) minus ``minus`` (channel indices averaged; empty: none)."""

    name: str
    plus: int
    minus: tuple[int, ...] = ()
    is_eeg: bool = True


def derivations(channels: Sequence[EegChannel], montage: str) -> list[Derivation]:
    """The traces of ``montage`` for a file's channels (ValueError for an unknown montage)."""
    if montage not in MONTAGES:
        raise ValueError(f"unknown montage {montage!r} (choose from {', '.join(MONTAGES)})")
    eeg = [c for c in channels if c.electrode is not None]
    others = [Derivation(c.label, c.index, (), False) for c in channels if c.electrode is None]
    if montage == "recorded" or not eeg:
        return [Derivation(c.electrode or c.label, c.index) for c in eeg] + others
    if montage == "average":
        everyone = tuple(c.index for c in eeg)
        return [Derivation(f"{c.electrode}-Avg", c.index, everyone) for c in eeg] + others
    by_name = {c.electrode: c.index for c in eeg}
    chains = [Derivation(f"{a}-{b}", by_name[a], (by_name[b],)) for a, b in DOUBLE_BANANA
              if a in by_name and b in by_name]
    return chains + others


def combine(derivs: Sequence[Derivation], signals: dict[int, np.ndarray]) -> np.ndarray:
    """``[len(derivs), N]`` traces from ``signals`` (channel index -> samples, all of length N)."""
    if not derivs:
        return np.zeros((0, 0))
    n = min(len(signals[d.plus]) for d in derivs)
    out = np.empty((len(derivs), n), dtype=np.float64)
    means: dict[tuple[int, ...], np.ndarray] = {}
    for k, d in enumerate(derivs):
        out[k] = signals[d.plus][:n]
        if d.minus:
            if d.minus not in means:
                means[d.minus] = np.mean([signals[i][:n] for i in d.minus], axis=0)
            out[k] -= means[d.minus]
    return out


def needed_channels(derivs: Sequence[Derivation]) -> list[int]:
    return sorted({d.plus for d in derivs} | {i for d in derivs for i in d.minus})


__all__ = ["DOUBLE_BANANA", "Derivation", "MONTAGES", "MONTAGE_LABELS", "combine", "derivations", "needed_channels"]

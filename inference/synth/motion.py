"""Motion primitives shared by the behaviour plans and their evaluation: smooth steps, clonic
jerks, envelopes, and the kinds of action."""
from __future__ import annotations

import numpy as np

ACTION_KINDS = ("reposition", "scratch", "reach", "head_turn", "talk", "leg")
PRODROME_KINDS = ("arrest", "head_turn", "fidget")  # a subject's own movement within the restlessness
POSTICTAL_S = 12.0  # the patient lies still after a seizure


def smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def jerk(phase_frac):
    """One clonic jerk per cycle: fast contraction (12% of the cycle) then exponential relaxation."""
    x = np.mod(phase_frac, 1.0)
    return np.where(x < 0.12, x / 0.12, np.exp(-(x - 0.12) / 0.16))


def envelope(u: float, ramp: float = 0.25) -> float:
    return float(smoothstep(u / ramp) * smoothstep((1.0 - u) / ramp))

"""What the patient does over time: interictal actions, focal and FBTC seizures, prodrome, staff.

A recording's behaviour is planned once (:func:`plan_recording`, all randomness drawn up front
in a fixed order, so a seed fixes it) and then evaluated frame by frame with
:func:`pose_at` — a pure function of time, so recordings of any length stream in flat memory.

Motion design (why the numbers are what they are):
- Interictal actions are slow and smooth (reaching, turning, repositioning) or small and
  irregular (scratching, talking): realistic confounders, never a sustained 2-5 Hz whole-limb
  rhythm.
- Clonic jerks are a sharp contraction then a slower relaxation, repeated at 2-5 Hz, moving a
  wrist by tens of pixels at 480p; FBTC adds a tonic phase with a fine tremor, then bilateral
  jerks whose rate slows down.
- The optional prodrome (forecasting data) is pre-ictal restlessness in the last ~7-11 s before
  clinical onset, growing toward onset: the trunk shifts, the legs flex in turn, and a subject's
  own repetitive movement at its own rate (0.45-0.9 Hz) — hand-to-face rubbing ("fidget"),
  head turning with the arm rising ("head_turn"), or arousal with attempts to sit up that end in a
  stare ("arrest"). Whole-arm and trunk movements (a wrist moves ~0.3-0.6 m) stay visible when a
  frame is shrunk to ~100 px, where hand-only or breathing changes vanish. Confounders: the
  interictal actions, and (with the prodrome option only) interictal restless bouts of the same
  movements, any kind, flat and weaker — what marks the prodrome is its growth toward onset and
  its strength, not movement as such.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from inference.synth.body import SIDE_SIGN, P
from inference.synth.motion import envelope, jerk, smoothstep
from inference.synth.plans import Action, Plan, ProdromePlan, SeizurePlan

# -- evaluation ----------------------------------------------------------------------------------

def _posture(plan: Plan, t: float) -> tuple[np.ndarray, Optional[Action]]:
    """Baseline posture at ``t`` and the action in progress (if any)."""
    i = int(np.searchsorted(plan._starts, t, side="right")) - 1
    if i < 0:
        return plan.postures[0], None
    a = plan.actions[i]
    k = int(plan._rep_idx[i])
    if t >= a.end_s:
        return plan.postures[k], None
    if a.kind == "reposition":
        u = (t - a.start_s) / a.dur_s
        w = float(smoothstep(u))
        p = plan.postures[k - 1] * (1 - w) + plan.postures[k] * w
        p = p.copy()
        bump = np.sin(np.pi * u)
        p[P["lean"]] += 0.08 * bump * SIDE_SIGN[a.side]
        p[P["dy"]] -= 0.03 * bump
        p[P[a.side + "_sh"]] += 0.4 * bump
        p[P[a.side + "_el"]] += 0.6 * bump
        return p, None
    return plan.postures[k], a


def _apply_action(p: np.ndarray, a: Action, t: float) -> None:
    u = (t - a.start_s) / a.dur_s
    env = envelope(u)
    for name, v in a.target.items():
        p[P[name]] += env * (v - p[P[name]])
    if a.kind == "scratch":
        # Small, irregular hand-only strokes while the hand is at the target.
        hold = envelope(u, 0.35)
        burst = 0.5 + 0.5 * np.sin(2 * np.pi * 0.7 * t + a.phase)
        s = np.sin(2 * np.pi * a.freq * t + 0.8 * np.sin(2 * np.pi * 1.1 * t + a.phase))
        p[P[a.side + "_hand_x"]] += 0.012 * hold * burst * s
        p[P[a.side + "_hand_y"]] += 0.006 * hold * burst * s
    elif a.kind == "talk":
        irregular = np.sin(2 * np.pi * a.freq * t + 1.5 * np.sin(2 * np.pi * 0.9 * t + a.phase))
        p[P["mouth"]] += env * max(0.0, 0.5 + 0.5 * irregular) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.37 * t))
        p[P["head_tilt"]] += env * 0.06 * np.sin(2 * np.pi * 0.8 * t + a.phase)
        p[P["head_turn"]] += env * 0.06 * np.sin(2 * np.pi * 0.45 * t + 2 * a.phase)
        p[P[a.side + "_el"]] += env * 0.25 * (0.5 + 0.5 * np.sin(2 * np.pi * 0.6 * t + a.phase))


def _region(p: np.ndarray, region: str, side: str, amp: float, g: float) -> None:
    """Add one clonic jerk ``g`` (0..1) of amplitude ``amp`` to a body region on ``side``."""
    s = SIDE_SIGN[side]
    if region == "arm":
        p[P[side + "_el"]] += amp * 0.75 * g
        p[P[side + "_sh"]] += amp * 0.3 * g
        p[P[side + "_lift"]] += amp * 0.25 * g
        p[P[side + "_shrug"]] += amp * 0.02 * g
    elif region == "face":
        p[P["head_turn"]] += s * amp * 0.4 * g
        p[P["head_tilt"]] += amp * 0.3 * g
        p[P["mouth"]] += amp * 0.9 * g
        p[P[side + "_shrug"]] += amp * 0.05 * g
        p[P[side + "_el"]] += amp * 0.15 * g
    elif region == "leg":
        p[P[side + "_knee"]] += amp * 0.5 * g
        p[P[side + "_hip"]] += amp * 0.12 * g


def _clonic_phase(tau: float, length: float, f0: float, f1: float, wobble: float) -> float:
    """Cycles elapsed ``tau`` s into a clonic stretch whose rate goes linearly from f0 to f1."""
    length = max(length, 1e-6)
    return f0 * tau + (f1 - f0) * tau * tau / (2 * length) + 0.08 * np.sin(2 * np.pi * 0.31 * tau + wobble)


_TONIC = {"r_sh": 0.75, "l_sh": 0.75, "r_el": 0.05, "l_el": 0.05, "r_lift": 0.35, "l_lift": 0.35,
          "r_hip": 0.1, "l_hip": 0.1, "r_knee": 0.0, "l_knee": 0.0, "head_tilt": -0.4, "mouth": 0.8}


def _apply_seizure(p: np.ndarray, sz: SeizurePlan, t: float) -> None:
    tau = t - sz.clinical_onset_s
    length = sz.end_s - sz.clinical_onset_s
    if tau < 0:
        return
    s = SIDE_SIGN[sz.side]
    if tau > length:  # postictal: the head version and the limbs relax over a few seconds
        return
    fade = float(smoothstep((length - tau) / 3.0))
    version = sz.version * float(smoothstep(tau / 3.0)) * fade
    p[P["head_turn"]] += s * version
    p[P["breath"]] *= 0.5
    focal_end = length if sz.kind == "focal" else sz.tonic_start_s - sz.clinical_onset_s
    if tau < focal_end + 1.0:
        amp = min(1.0, 0.4 + 0.6 * tau / max(sz.build_s, 1e-3)) * fade
        if sz.kind == "fbtc":
            amp *= float(smoothstep((focal_end + 1.0 - tau) / 1.0))
        g = float(jerk(_clonic_phase(tau, length, sz.f_start, sz.f_end, 0.0)))
        if sz.focus == "arm":  # the affected arm flexes (dystonic posture) and jerks around it
            p[P[sz.side + "_el"]] += amp * (0.9 - p[P[sz.side + "_el"]]) * 0.6
        _region(p, sz.focus, sz.side, amp, g)
        if sz.kind == "focal" and sz.spread_to and tau > sz.spread_s:
            amp2 = min(1.0, (tau - sz.spread_s) / 5.0) * fade
            _region(p, sz.spread_to, sz.side, amp2, g)
    if sz.kind != "fbtc" or t < sz.tonic_start_s:
        return
    # Tonic phase: limbs stiffen and extend (with a fine tremor), kept partly during clonus.
    t_tonic = t - sz.tonic_start_s
    w = float(smoothstep(t_tonic / 1.5)) * fade
    clonic = t >= sz.clonic_start_s
    if clonic:
        w *= 0.6
    for name, v in _TONIC.items():
        p[P[name]] += w * (v - p[P[name]])
    if not clonic:
        # Tonic vibration ~7-8 Hz (not a multiple of half the 6 fps analysis rate, so it
        # does not alias to stillness), irregular in amplitude.
        tremor = (0.12 + 0.04 * np.sin(2 * np.pi * 0.7 * t)) * np.sin(2 * np.pi * 7.3 * t + 0.5 * np.sin(2 * np.pi * 1.1 * t)) * w
        for name in ("r_el", "l_el", "r_sh", "l_sh", "r_knee", "l_knee"):
            p[P[name]] += tremor
        p[P["head_turn"]] += 0.5 * tremor
        return
    # Clonic phase: bilateral jerks, slowing down.
    tc = t - sz.clonic_start_s
    lc = sz.end_s - sz.clonic_start_s
    g = float(jerk(_clonic_phase(tc, lc, sz.f_start, sz.f_end, 1.0)))
    amp = min(1.0, 0.6 + tc / 2.0) * fade
    for side in "rl":
        p[P[side + "_el"]] += amp * 0.8 * g
        p[P[side + "_sh"]] += amp * 0.35 * g
        p[P[side + "_knee"]] += amp * 0.55 * g
        p[P[side + "_hip"]] += amp * 0.1 * g
        p[P[side + "_shrug"]] += amp * 0.03 * g
    p[P["head_tilt"]] += amp * 0.6 * g
    p[P["head_turn"]] += s * amp * 0.15 * g
    p[P["dy"]] -= amp * 0.02 * g
    p[P["mouth"]] = max(p[P["mouth"]], amp * g)


def _toward(p: np.ndarray, targets: dict[str, float], w: float) -> None:
    """Blend the named pose parameters toward ``targets`` by ``w`` (0..1)."""
    for name, v in targets.items():
        p[P[name]] += w * (v - p[P[name]])


def _apply_prodrome(p: np.ndarray, pro: ProdromePlan, t: float) -> None:
    """Pre-ictal restlessness (module docstring): shared trunk and leg unrest plus the kind's own
    repetitive movement, its amplitude growing from ~30% to full toward clinical onset."""
    if not pro.start_s <= t < pro.end_s + (0.5 if pro.build else 0.0):
        return
    u = min(1.0, (t - pro.start_s) / max(pro.end_s - pro.start_s, 1e-3))
    if pro.build:
        a = (0.3 + 0.7 * u) * float(smoothstep(u / 0.12)) * float(smoothstep((pro.end_s + 0.5 - t) / 0.5)) * pro.gain
    else:
        a = envelope(u, 0.2) * pro.gain
    a1 = min(a, 1.0)
    s, o = pro.side, ("l" if pro.side == "r" else "r")
    if pro.kind == "arrest" and pro.build:  # the arousal ends in a stare: movement freezes 1.2 s before onset
        t = min(t, pro.end_s - 1.2)
    w = 2 * np.pi * pro.hz * t + pro.phase
    # Shared unrest: the trunk shifts and rocks, the legs draw up and fall outward in turn (at
    # half the rate; seen from above a bent knee only shortens the leg, the outward fall shows).
    p[P["dx"]] += 0.06 * a * np.sin(0.5 * w)
    p[P["lean"]] += 0.16 * a * np.sin(0.5 * w + 1.0)
    p[P["rot"]] += 0.05 * a * np.sin(0.5 * w + 2.0)
    for side, sign in (("r", 1.0), ("l", -1.0)):
        up = max(0.0, sign * float(np.sin(0.5 * w + 0.5)))
        p[P[side + "_knee"]] += 1.1 * a * up
        p[P[side + "_hip"]] += 0.3 * a * up
    g = 0.5 - 0.5 * np.cos(w)  # 0 .. 1 once per cycle: one repetition of the kind's movement
    if pro.kind == "fidget":  # hand automatism: rubs the face again and again; the other hand picks
        _toward(p, {s + "_sh": 0.35, s + "_el": 2.45, s + "_lift": 0.35}, a1 * g)
        p[P[s + "_hand_x"]] += 0.02 * a * g * np.sin(3.0 * w)
        p[P[o + "_el"]] += 0.6 * a * (0.5 + 0.5 * np.sin(1.3 * w + 2.0))
        p[P[o + "_hand_x"]] += 0.03 * a * np.sin(1.7 * w)
    elif pro.kind == "head_turn":  # looks around, side to side, the arm rising toward the bed rail
        p[P["head_turn"]] += 0.6 * a * np.sin(w)
        p[P["head_tilt"]] -= 0.3 * a
        _toward(p, {s + "_sh": 1.3, s + "_el": 0.4, s + "_lift": 0.5}, a1 * g)
        p[P[o + "_shrug"]] += 0.02 * a * g
    else:  # arousal: lifts head and trunk, both arms push up as if to sit up, then freezes
        p[P["dy"]] -= 0.05 * a * g
        p[P["head_tilt"]] -= 0.6 * a * g
        for side in "rl":
            _toward(p, {side + "_sh": 0.6, side + "_el": 1.4, side + "_lift": 0.4}, a1 * g)
            p[P[side + "_shrug"]] += 0.03 * a * g


def pose_at(plan: Plan, t: float) -> np.ndarray:
    """The pose vector ``[NUM_PARAMS]`` at time ``t``."""
    base, action = _posture(plan, t)
    p = base.copy()
    if action is not None:
        _apply_action(p, action, t)
    p[P["breath"]] = np.sin(2 * np.pi * t / plan.traits.breath_period_s + plan.breath_phase)
    if plan.prodrome is not None:
        _apply_prodrome(p, plan.prodrome, t)
    for bout in plan.restless:
        _apply_prodrome(p, bout, t)
    if plan.seizure is not None:
        _apply_seizure(p, plan.seizure, t)
    p[P["mouth"]] = float(np.clip(p[P["mouth"]], 0.0, 1.0))
    return p

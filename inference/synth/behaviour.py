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

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from inference.synth.body import SIDE_SIGN, P, rest_pose

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


def _envelope(u: float, ramp: float = 0.25) -> float:
    return float(smoothstep(u / ramp) * smoothstep((1.0 - u) / ramp))


# -- plans ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SubjectTraits:
    """Per-subject habits: how restless, which actions, how a prodrome looks."""

    mean_gap_s: float  # mean quiet time between actions
    action_weights: tuple[float, ...]  # over ACTION_KINDS
    breath_period_s: float
    prodrome_kind: str
    prodrome_s: float  # drawn 3-10 s; the prodrome lasts prodrome_length(prodrome_s)
    prodrome_gain: float
    focal_side: str  # "r" | "l"
    focal_focus: str  # "arm" | "face"
    prodrome_hz: float = 0.6  # repetition rate of the prodrome's movements


def sample_traits(rng: np.random.Generator) -> SubjectTraits:
    w = rng.dirichlet(np.ones(len(ACTION_KINDS)) * 2.0) + 0.03
    return SubjectTraits(
        mean_gap_s=float(rng.uniform(5.0, 16.0)),
        action_weights=tuple(float(x) for x in w / w.sum()),
        breath_period_s=float(rng.uniform(3.0, 5.0)),
        prodrome_kind=str(rng.choice(PRODROME_KINDS)),
        prodrome_s=float(rng.uniform(3.0, 10.0)),
        prodrome_gain=float(rng.uniform(0.7, 1.2)),
        focal_side=str(rng.choice(["r", "l"])),
        focal_focus=str(rng.choice(["arm", "face"])),
        # Drawn last: the draws above (and so every recording without a prodrome) are unchanged.
        prodrome_hz=float(rng.uniform(0.45, 0.9)),
    )


def prodrome_length(prodrome_s: float) -> float:
    """Seconds of prodrome for a subject's drawn ``prodrome_s`` (3-10 s) -> 7.5-10.5 s: long enough
    that a 5 s clip ending up to 5 s before onset still holds some of it."""
    return 7.5 + 3.0 * (float(np.clip(prodrome_s, 3.0, 10.0)) - 3.0) / 7.0


@dataclass
class Action:
    kind: str
    start_s: float
    dur_s: float
    side: str = "r"
    target: dict[str, float] = field(default_factory=dict)  # posture targets (param -> value)
    freq: float = 0.0
    phase: float = 0.0

    @property
    def end_s(self) -> float:
        return self.start_s + self.dur_s


@dataclass(frozen=True)
class SeizurePlan:
    kind: str  # focal | fbtc
    eeg_onset_s: float
    clinical_onset_s: float
    end_s: float
    side: str
    focus: str  # arm | face
    spread_to: Optional[str]  # focal: region joined later ("arm", "face", "leg") or None
    spread_s: float  # focal: time after clinical onset when it spreads
    build_s: float  # amplitude build-up time
    f_start: float  # clonic rate at the start (Hz)
    f_end: float
    version: float  # tonic head turn toward the side (radians)
    tonic_start_s: float  # fbtc: absolute times of the phases
    clonic_start_s: float

    def to_dict(self) -> dict[str, Any]:
        d = {"kind": self.kind, "side": "right" if self.side == "r" else "left", "focus": self.focus,
             "clonic_hz_start": round(self.f_start, 3), "clonic_hz_end": round(self.f_end, 3)}
        if self.kind == "focal":
            d["spread_to"] = self.spread_to
            d["spread_s"] = round(self.clinical_onset_s + self.spread_s, 3) if self.spread_to else None
        else:
            d["tonic_start_s"] = round(self.tonic_start_s, 3)
            d["clonic_start_s"] = round(self.clonic_start_s, 3)
        return d


@dataclass(frozen=True)
class ProdromePlan:
    kind: str
    start_s: float
    end_s: float
    side: str
    gain: float
    hz: float = 0.6  # repetition rate of the restless movements
    phase: float = 0.0
    build: bool = True  # grows toward end_s (a prodrome); False: an interictal bout, flat

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
                "side": "right" if self.side == "r" else "left", "intensity": round(self.gain, 3),
                "rate_hz": round(self.hz, 3)}


@dataclass(frozen=True)
class StaffPass:
    """A second person crossing the bed: bed-frame path along x at height ``y`` (metres)."""

    start_s: float
    dur_s: float
    y: float
    direction: float  # +1: walks toward +x
    pause_at: float  # fraction of the path where they stop a moment
    pause_frac: float  # fraction of the time spent standing

    @property
    def end_s(self) -> float:
        return self.start_s + self.dur_s

    def position(self, t: float) -> Optional[tuple[float, float, float]]:
        """(x, y, walking phase) at ``t``, or None when not in the scene."""
        if not self.start_s <= t < self.end_s:
            return None
        u = (t - self.start_s) / self.dur_s
        # Walk to pause_at, stand, walk on: piecewise-linear progress with a flat part.
        a = self.pause_at * (1 - self.pause_frac)
        b = a + self.pause_frac
        if u < a:
            s = u / (1 - self.pause_frac)
        elif u < b:
            s = self.pause_at
        else:
            s = (u - self.pause_frac) / (1 - self.pause_frac)
        x = self.direction * (-1.6 + 3.2 * s)
        walking = 0.0 if a <= u < b else 1.0
        return float(x), self.y, float(walking * (t - self.start_s) * 1.8)


@dataclass
class Plan:
    """Everything that happens in one recording, in seconds from its start."""

    duration_s: float
    traits: SubjectTraits
    breath_phase: float
    postures: list[np.ndarray]  # posture before/after each reposition; [0] = initial
    actions: list[Action]  # sorted, non-overlapping
    seizure: Optional[SeizurePlan]
    prodrome: Optional[ProdromePlan]
    staff: list[StaffPass]
    restless: list[ProdromePlan] = field(default_factory=list)  # interictal bouts (prodrome mode only)
    _starts: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    _rep_idx: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self._starts = np.array([a.start_s for a in self.actions], dtype=float)
        # posture index in effect after each action (repositions advance it)
        idx, k = [], 0
        for a in self.actions:
            if a.kind == "reposition":
                k += 1
            idx.append(k)
        self._rep_idx = np.array(idx, dtype=int)

    def staff_at(self, t: float) -> Optional[tuple[float, float, float]]:
        for s in self.staff:
            pos = s.position(t)
            if pos is not None:
                return pos
        return None


def _random_posture(rng: np.random.Generator) -> np.ndarray:
    p = rest_pose()
    for side in "rl":
        arm = rng.choice(["side", "side", "belly", "chest", "out"])
        p[P[side + "_sh"]] = {"side": rng.uniform(0.1, 0.35), "belly": rng.uniform(0.0, 0.2),
                              "chest": rng.uniform(0.0, 0.25), "out": rng.uniform(0.5, 0.9)}[arm]
        p[P[side + "_el"]] = {"side": rng.uniform(0.05, 0.4), "belly": rng.uniform(1.1, 1.5),
                              "chest": rng.uniform(1.7, 2.1), "out": rng.uniform(0.2, 1.2)}[arm]
        p[P[side + "_hip"]] = rng.uniform(0.02, 0.15)
        p[P[side + "_knee"]] = rng.uniform(0.7, 1.3) if rng.random() < 0.2 else rng.uniform(0.0, 0.15)
    p[P["dx"]] = rng.uniform(-0.08, 0.08)
    p[P["dy"]] = rng.uniform(-0.04, 0.06)
    p[P["rot"]] = rng.uniform(-0.08, 0.08)
    p[P["lean"]] = rng.uniform(-0.06, 0.06)
    p[P["head_turn"]] = rng.uniform(-0.3, 0.3)
    return p


def _sample_action(rng: np.random.Generator, kind: str, start: float) -> Action:
    side = str(rng.choice(["r", "l"]))
    if kind == "reposition":
        return Action(kind, start, float(rng.uniform(2.0, 4.0)), side)
    if kind == "scratch":
        where = rng.choice(["face", "chest", "thigh", "arm"])
        tgt = {"face": {"sh": 0.35, "el": 2.45, "lift": 0.35}, "chest": {"sh": 0.12, "el": 1.9, "lift": 0.1},
               "thigh": {"sh": -0.1, "el": 0.25, "lift": 0.0}, "arm": {"sh": 0.05, "el": 1.5, "lift": 0.1}}[str(where)]
        return Action(kind, start, float(rng.uniform(2.0, 5.0)), side,
                      {side + "_" + k: v + float(rng.normal(0, 0.08)) for k, v in tgt.items()},
                      freq=float(rng.uniform(3.0, 6.0)), phase=float(rng.uniform(0, 6.28)))
    if kind == "reach":
        return Action(kind, start, float(rng.uniform(3.0, 6.0)), side,
                      {side + "_sh": float(rng.uniform(1.0, 1.6)), side + "_el": float(rng.uniform(0.1, 0.5)),
                       side + "_lift": float(rng.uniform(0.2, 0.6))})
    if kind == "head_turn":
        return Action(kind, start, float(rng.uniform(3.0, 10.0)), side,
                      {"head_turn": SIDE_SIGN[side] * float(rng.uniform(0.3, 0.7))})
    if kind == "talk":
        return Action(kind, start, float(rng.uniform(4.0, 15.0)), side, {},
                      freq=float(rng.uniform(3.0, 5.0)), phase=float(rng.uniform(0, 6.28)))
    # leg: bend one knee up, then put it down again
    return Action("leg", start, float(rng.uniform(3.0, 8.0)), side,
                  {side + "_knee": float(rng.uniform(0.6, 1.4)), side + "_hip": float(rng.uniform(0.0, 0.2))})


def _plan_seizure(rng: np.random.Generator, kind: str, duration_s: float, eeg_onset_s: Optional[float],
                  traits: SubjectTraits) -> SeizurePlan:
    # At least ~35% of the recording precedes EEG onset (interictal windows end before it).
    tail = min(POSTICTAL_S, 0.05 * duration_s) + 1.0
    if eeg_onset_s is None:
        lo = 0.35 * duration_s
        hi = max(lo, duration_s - tail - 50.0)
        eeg = float(rng.uniform(lo, min(hi, max(lo, 0.6 * duration_s))))
    else:
        eeg = float(eeg_onset_s)
    if not 0.0 <= eeg < duration_s:
        raise ValueError(f"EEG onset {eeg:.3f} s is outside the recording (0 .. {duration_s:.3f} s)")
    avail = max(duration_s - tail - eeg, min(1.0, 0.5 * (duration_s - eeg)))
    delay = min(float(rng.uniform(0.0, 20.0)), 0.2 * avail)
    length = min(float(rng.uniform(30.0, 120.0)), avail - delay)  # shorter only if the video is
    clin = eeg + delay
    end = clin + length
    side = traits.focal_side if rng.random() < 0.8 else ("l" if traits.focal_side == "r" else "r")
    focus = traits.focal_focus if rng.random() < 0.8 else ("face" if traits.focal_focus == "arm" else "arm")
    spread_to = None
    if kind == "focal" and rng.random() < 0.5:
        spread_to = str(rng.choice(["face" if focus == "arm" else "arm", "leg"]))
    if kind == "focal":
        f_start, f_end = float(rng.uniform(3.5, 5.0)), float(rng.uniform(2.0, 3.0))
        tonic = clonic = end
    else:
        f_start, f_end = float(rng.uniform(4.0, 5.0)), float(rng.uniform(1.0, 1.8))
        focal_part = length * float(rng.uniform(0.1, 0.25))
        tonic_part = min(length * float(rng.uniform(0.15, 0.3)), float(rng.uniform(8.0, 20.0)))
        tonic, clonic = clin + focal_part, clin + focal_part + tonic_part
    return SeizurePlan(kind, eeg, clin, end, side, focus, spread_to,
                       spread_s=length * float(rng.uniform(0.35, 0.6)),
                       build_s=min(length * 0.3, float(rng.uniform(3.0, 8.0))),
                       f_start=f_start, f_end=f_end, version=float(rng.uniform(0.2, 0.5)) * (rng.random() < 0.7),
                       tonic_start_s=tonic, clonic_start_s=clonic)


def plan_recording(rng: np.random.Generator, duration_s: float, traits: SubjectTraits, seizure_type: str,
                   eeg_onset_s: Optional[float] = None, prodrome: bool = False,
                   staff_probability: float = 0.5) -> Plan:
    """Draw everything that happens in one recording. ``seizure_type``: focal | fbtc | none."""
    seizure = None
    if seizure_type in ("focal", "fbtc"):
        seizure = _plan_seizure(rng, seizure_type, duration_s, eeg_onset_s, traits)
    pro = None
    if seizure is not None and prodrome:
        jitter = 1.0 + 0.5 * (float(rng.uniform(0.85, 1.15)) - 1.0)  # +-7.5% per recording
        length = min(prodrome_length(traits.prodrome_s) * jitter, seizure.clinical_onset_s - 1.0)
        hz = traits.prodrome_hz * float(rng.uniform(0.9, 1.1))
        phase = float(rng.uniform(0, 2 * np.pi))
        if length > 1.0:
            pro = ProdromePlan(traits.prodrome_kind, seizure.clinical_onset_s - length, seizure.clinical_onset_s,
                               seizure.side, traits.prodrome_gain, hz, phase)
    # Quiet block: no voluntary actions from just before the prodrome/clinical onset to postictal.
    quiet = None
    if seizure is not None:
        q0 = (pro.start_s if pro else seizure.clinical_onset_s) - 1.5
        quiet = (q0, seizure.end_s + POSTICTAL_S)
    postures = [_random_posture(rng)]
    actions: list[Action] = []
    t = float(rng.uniform(0.5, traits.mean_gap_s))
    while t < duration_s - 1.0:
        kind = str(rng.choice(ACTION_KINDS, p=np.array(traits.action_weights)))
        a = _sample_action(rng, kind, t)
        if kind == "reposition":
            new = _random_posture(rng)
        ok = a.end_s < duration_s and (quiet is None or a.end_s < quiet[0] or a.start_s > quiet[1])
        if ok:
            actions.append(a)
            if kind == "reposition":
                postures.append(new)
        t = a.end_s + float(rng.exponential(traits.mean_gap_s)) + 0.5
        if quiet is not None and quiet[0] <= t <= quiet[1]:
            t = quiet[1] + float(rng.uniform(0.0, 3.0))
    staff: list[StaffPass] = []
    if rng.random() < staff_probability:
        n = int(rng.integers(1, 3 + int(duration_s // 600)))
        for _ in range(8 * n):  # a few tries to find free slots
            if len(staff) >= n:
                break
            dur = float(rng.uniform(4.0, 9.0))
            start = float(rng.uniform(1.0, max(1.5, duration_s - dur - 1.0)))
            y = float(rng.uniform(0.15, 1.1))
            direction = float(rng.choice([-1.0, 1.0]))
            pause_at, pause_frac = float(rng.uniform(0.3, 0.7)), float(rng.uniform(0.0, 0.4))
            if seizure is not None:  # keep the prodrome and the early ictal windows clear
                if start + dur > (pro.start_s if pro else seizure.eeg_onset_s) - 2.0 and start < seizure.clinical_onset_s + 45.0:
                    continue
            if start + dur > duration_s or any(start < s.end_s + 2 and s.start_s < start + dur + 2 for s in staff):
                continue
            staff.append(StaffPass(start, dur, y, direction, pause_at, pause_frac))
        staff.sort(key=lambda s: s.start_s)
    breath_phase = float(rng.uniform(0, 6.28))
    # Drawn after everything else, so a plan without the prodrome option is unchanged.
    restless = _plan_restless_bouts(rng, duration_s, traits, quiet) if prodrome else []
    return Plan(duration_s, traits, breath_phase, postures, actions, seizure, pro, staff, restless)


def _plan_restless_bouts(rng: np.random.Generator, duration_s: float, traits: SubjectTraits,
                         quiet: Optional[tuple[float, float]]) -> list[ProdromePlan]:
    """Interictal restless bouts (about one per 45 s, 3-8 s each): the prodrome's movements, any
    kind, flat and mostly weaker (40-100% of the subject's prodrome intensity) — the confounder that keeps
    pre-ictal restlessness from being just "any movement"."""
    bouts: list[ProdromePlan] = []
    for _ in range(int(rng.poisson(duration_s / 45.0))):
        dur = float(rng.uniform(3.0, 8.0))
        start = float(rng.uniform(0.5, max(1.0, duration_s - dur - 0.5)))
        kind = str(rng.choice(PRODROME_KINDS))
        side = str(rng.choice(["r", "l"]))
        gain = traits.prodrome_gain * float(rng.uniform(0.4, 1.0))
        hz = traits.prodrome_hz * float(rng.uniform(0.8, 1.25))
        phase = float(rng.uniform(0, 2 * np.pi))
        clash = quiet is not None and start < quiet[1] and start + dur > quiet[0] - 1.0
        if clash or start + dur > duration_s or any(start < b.end_s + 2 and b.start_s < start + dur + 2 for b in bouts):
            continue
        bouts.append(ProdromePlan(kind, start, start + dur, side, gain, hz, phase, build=False))
    return sorted(bouts, key=lambda b: b.start_s)


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
    env = _envelope(u)
    for name, v in a.target.items():
        p[P[name]] += env * (v - p[P[name]])
    if a.kind == "scratch":
        # Small, irregular hand-only strokes while the hand is at the target.
        hold = _envelope(u, 0.35)
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
        a = _envelope(u, 0.2) * pro.gain
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

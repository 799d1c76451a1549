"""Planning what the patient does in a recording: subject traits, interictal actions, seizures,
prodrome, staff passes. All randomness is drawn here, up front and in a fixed order, so a seed
fixes the recording (``inference.synth.behaviour`` evaluates a plan frame by frame)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from inference.synth.body import SIDE_SIGN, P, rest_pose
from inference.synth.motion import ACTION_KINDS, POSTICTAL_S, PRODROME_KINDS

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

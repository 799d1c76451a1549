"""Unlabelled "other species" clip corpora: a rodent-like animal in an arena, top view.

Stands in for rodent seizure/normal video in VideoMAE pre-training (cross-species transfer).
``normal`` clips show exploring, grooming and resting; ``seizure`` clips show Racine-like
behaviour: freezing, rearing with forelimb clonus, falling on the side with limb clonus,
wild running and jumping, tonic extension. Each clip is a short MP4 plus one line in
``corpus.json`` (kind, seed and the phases shown).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import cv2
import numpy as np

from inference.core.atomic import atomic_write_json
from inference.core.progress import CancelToken, ProgressFn, check_cancel
from inference.synth.motion import jerk
from inference.synth.render import _AA, _S, _SHIFT, _pt, _scale, _tones, blob, capsule
from inference.video.writer import VideoWriter

NORMAL_PHASES = ("explore", "groom", "rest")
SEIZURE_PHASES = ("freeze", "rear_clonus", "fall_clonus", "run_jump", "tonic")
_FUR = [(245, 245, 240), (150, 120, 90), (60, 50, 45), (200, 180, 150), (110, 110, 110)]
_BEDDING = [(200, 180, 140), (225, 215, 190), (170, 150, 120), (235, 235, 230)]


@dataclass
class _State:
    x: float
    y: float
    heading: float
    bend: float = 0.0
    rear: float = 0.0  # 0 on all fours .. 1 fully upright (looks shorter, head nearer the camera)
    roll: float = 0.0  # 0 upright .. 1 lying on its side
    jump: float = 0.0  # height above the floor (scale and shadow offset)


def _arena(rng: np.random.Generator, size: tuple[int, int], grey: bool) -> tuple[np.ndarray, float]:
    w, h = size
    base = np.array(_BEDDING[int(rng.integers(len(_BEDDING)))], np.float32)
    small = rng.normal(0, 1, (h // 6 + 2, w // 6 + 2)).astype(np.float32)
    tex = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST) * 14 + rng.normal(0, 7, (h, w)).astype(np.float32)
    img = np.clip(base[None, None] + tex[..., None], 0, 255).astype(np.uint8)
    wall = int(min(w, h) * rng.uniform(0.05, 0.1))
    wall_c = tuple(int(v) for v in rng.integers(120, 230, 3))
    cv2.rectangle(img, (0, 0), (w - 1, h - 1), wall_c, wall)
    cv2.rectangle(img, (wall // 2, wall // 2), (w - 1 - wall // 2, h - 1 - wall // 2), _scale(wall_c, 0.7), 2)
    for _ in range(int(rng.integers(3, 9))):  # food pellets / droppings
        c = (int(rng.uniform(wall, w - wall)), int(rng.uniform(wall, h - wall)))
        cv2.ellipse(img, c, (int(rng.integers(2, 4)), int(rng.integers(1, 3))), float(rng.uniform(0, 180)), 0, 360,
                    (90, 70, 50), -1, _AA)
    if grey:
        img = cv2.cvtColor(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    return img, float(wall)


def _plan(rng: np.random.Generator, kind: str, clip_s: float) -> list[tuple[str, float, float]]:
    """(phase, start_s, end_s) covering the clip."""
    phases, t = [], 0.0
    choices = NORMAL_PHASES if kind == "normal" else SEIZURE_PHASES
    while t < clip_s:
        name = str(rng.choice(choices))
        if phases and name == phases[-1][0]:
            continue
        d = float(rng.uniform(2.5, 6.0))
        phases.append((name, t, min(clip_s, t + d)))
        t += d
    return phases


def _draw_animal(img: np.ndarray, s: _State, L: float, fur, belly, pink, paws: np.ndarray, tail_phase: float) -> None:
    """Top view: hind body, fore body, head with ears and eyes, tail, four paws."""
    scale = 1.0 + 0.35 * s.jump
    L = L * scale
    light = np.array([-0.5, -0.7])
    hd = np.array([np.cos(s.heading), np.sin(s.heading)])
    side = np.array([-hd[1], hd[0]])
    shorten = 1.0 - 0.45 * s.rear
    centre = np.array([s.x, s.y])
    if s.jump > 0:  # shadow on the floor below a jumping animal
        cv2.ellipse(img, _pt(centre + np.array([6, 8]) * s.jump), (int(L * 0.5 * _S), int(L * 0.25 * _S)),
                    float(np.degrees(s.heading)), 0, 360, (60, 55, 50), -1, _AA, _SHIFT)
    bend_dir = hd * np.cos(s.bend) + side * np.sin(s.bend)
    hip = centre - hd * L * 0.3 * shorten
    mid = centre + hd * L * 0.05 * shorten
    neck = mid + bend_dir * L * 0.25 * shorten
    head = neck + bend_dir * L * (0.17 + 0.05 * s.rear)
    width = L * 0.42 * (1.0 - 0.45 * s.roll)
    # Tail: a tapering wavy line from the hip backwards.
    pts = [hip - hd * L * 0.25]
    for i in range(1, 9):
        u = i / 8
        pts.append(hip - hd * L * (0.25 + 0.9 * u) + side * np.sin(tail_phase + u * 3.0) * L * 0.12 * u)
    for i in range(8):
        cv2.line(img, _pt(pts[i]), _pt(pts[i + 1]), pink[1], max(1, int(L * 0.07 * (1 - i / 9))), _AA, _SHIFT)
    body = _tones(belly if s.roll > 0.5 else fur, 1.0)
    for k, (px, py) in enumerate(paws):  # paws drawn under the body unless lying on the side
        p = centre + hd * px * L + side * py * L
        if s.roll < 0.5:
            cv2.circle(img, _pt(p), max(1, int(L * 0.05 * _S)), pink[1], -1, _AA, _SHIFT)
    ang = float(np.degrees(s.heading))
    half = L * 0.36 * shorten + width * 0.2
    blob(img, (hip + neck) / 2 - hd * L * 0.05, half, body, light, width * 0.55 / half, ang)
    capsule(img, mid, neck, width * 0.8, body, light)
    head_r = L * 0.13 * (1.0 + 0.3 * s.rear)
    blob(img, head, head_r, _tones(fur, 1.0), light, 1.35, float(np.degrees(np.arctan2(bend_dir[1], bend_dir[0]))) - 90 + 90)
    nose = head + bend_dir * head_r * 1.2
    cv2.circle(img, _pt(nose), max(1, int(head_r * 0.3 * _S)), pink[2], -1, _AA, _SHIFT)
    bside = np.array([-bend_dir[1], bend_dir[0]])
    for sg in (-1, 1):
        cv2.circle(img, _pt(head - bend_dir * head_r * 0.5 + bside * sg * head_r * 0.85),
                   max(1, int(head_r * 0.45 * _S)), pink[0], -1, _AA, _SHIFT)
        cv2.circle(img, _pt(head + bend_dir * head_r * 0.2 + bside * sg * head_r * 0.55),
                   max(1, int(head_r * 0.16 * _S)), (20, 15, 15), -1, _AA, _SHIFT)
    if s.roll >= 0.5 or s.rear > 0.4:  # forelimbs (and hind limbs when on the side) stick out
        for k, (px, py) in enumerate(paws):
            if s.roll < 0.5 and k >= 2:
                continue
            p = centre + hd * px * L + side * py * L
            root = centre + hd * px * L * 0.6
            capsule(img, root, p, max(2.0, L * 0.07), _tones(fur, 0.9), light)
            cv2.circle(img, _pt(p), max(1, int(L * 0.05 * _S)), pink[1], -1, _AA, _SHIFT)


def _render_clip(path: Path, kind: str, seed_seq: np.random.SeedSequence, clip_s: float,
                 size: tuple[int, int], fps: float) -> list[tuple[str, float, float]]:

    rng = np.random.default_rng(seed_seq)
    w, h = size
    grey = bool(rng.random() < 0.3)
    bg, wall = _arena(rng, size, grey)
    L = min(w, h) * float(rng.uniform(0.28, 0.36))
    fur = _FUR[int(rng.integers(len(_FUR)))]
    fur = tuple(int(v) for v in np.clip(np.array(fur) + rng.normal(0, 10, 3), 0, 255))
    belly = _scale(fur, 1.1, 25)
    pink = _tones((230, 160, 160), 1.0)
    phases = _plan(rng, kind, clip_s)
    lo, hi = wall + L * 0.6, np.array([w, h]) - wall - L * 0.6
    s = _State(float(rng.uniform(lo, hi[0])), float(rng.uniform(lo, hi[1])), float(rng.uniform(0, 2 * np.pi)))
    speed, turn = 0.0, 0.0
    clonus_hz = float(rng.uniform(3.0, 7.0))
    n = int(round(clip_s * fps))
    dt = 1.0 / fps
    with VideoWriter(path, fps=fps, size=size) as writer:
        for k in range(n):
            t = k * dt
            name = next((p for p, a, b in phases if a <= t < b), phases[-1][0])
            paws = np.array([[0.3, -0.2], [0.3, 0.2], [-0.3, -0.22], [-0.3, 0.22]])
            target = dict(rear=0.0, roll=0.0, bend=0.0, jump=0.0)
            gait = 0.0
            if name == "explore":
                speed += (float(rng.uniform(20, 70)) - speed) * 0.05
                turn += float(rng.normal(0, 0.6)) - turn * 0.1
                gait = np.sin(2 * np.pi * 5.0 * t)
                target["bend"] = float(np.clip(turn * 0.3, -0.5, 0.5))
                if rng.random() < 0.01:
                    target["rear"] = 0.6
            elif name == "groom":
                speed *= 0.8
                target["rear"] = 0.45
                target["bend"] = 0.25 * np.sin(2 * np.pi * 0.4 * t)
                stroke = np.sin(2 * np.pi * 6.0 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 0.5 * t))
                paws[:2, 0] += 0.08 + 0.05 * stroke
                paws[:2, 1] *= 0.5
            elif name == "rest":
                speed *= 0.7
                target["bend"] = 0.7
                paws *= 0.7
            elif name == "freeze":
                speed *= 0.5
            elif name in ("rear_clonus", "fall_clonus", "tonic"):
                speed *= 0.6
                g = float(jerk(clonus_hz * t))
                if name == "rear_clonus":
                    target["rear"] = 0.9
                    paws[:2, 0] += 0.25 * g
                    paws[:2, 1] *= 1.0 + 0.6 * g
                    s.heading += 0.04 * (g - 0.4)
                elif name == "fall_clonus":
                    target["roll"] = 1.0
                    paws[:, 1] *= 1.8 + 0.8 * g
                    paws[:, 0] += 0.15 * g * np.array([1, 1, -1, -1])
                    target["bend"] = 0.3 * g
                else:
                    target["roll"] = 0.3
                    paws *= np.array([1.6, 1.3])
                    paws[:, 0] += 0.02 * np.sin(2 * np.pi * 11.0 * t)
            elif name == "run_jump":
                speed += (float(rng.uniform(150, 300)) - speed) * 0.2
                turn += float(rng.normal(0, 4.0)) - turn * 0.2
                gait = np.sin(2 * np.pi * 9.0 * t)
                target["jump"] = float(max(0.0, np.sin(2 * np.pi * 1.3 * t)) ** 2)
            paws[:, 0] += 0.06 * gait * np.array([1, -1, -1, 1])
            s.heading += turn * dt
            s.x += np.cos(s.heading) * speed * dt
            s.y += np.sin(s.heading) * speed * dt
            # Walls: turn back toward the arena centre.
            if not (lo <= s.x <= hi[0] and lo <= s.y <= hi[1]):
                s.x, s.y = float(np.clip(s.x, lo, hi[0])), float(np.clip(s.y, lo, hi[1]))
                to_c = np.arctan2(h / 2 - s.y, w / 2 - s.x)
                s.heading = float(to_c + rng.normal(0, 0.5))
            rate = 0.25 if name != "fall_clonus" else 0.15
            s.rear += (target["rear"] - s.rear) * rate
            s.roll += (target["roll"] - s.roll) * rate
            s.bend += (target["bend"] - s.bend) * 0.2
            s.jump += (target["jump"] - s.jump) * 0.5
            frame = bg.copy()
            _draw_animal(frame, s, L, fur, belly, pink, paws, 2 * np.pi * 0.8 * t + 3 * np.sin(t))
            if grey:
                frame = cv2.cvtColor(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
            writer.write(frame)
    return phases


def generate_animal_corpus(out_dir: str | Path, n_clips: int, kind: str = "normal", seed: int = 0,
                           clip_s: float = 10.0, size: tuple[int, int] = (224, 224), fps: float = 30.0,
                           progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None) -> list[Path]:
    """Write ``n_clips`` clips ``OUT/<kind>_0001.mp4 ...`` and ``OUT/corpus.json``; return the clip paths."""
    if kind not in ("normal", "seizure"):
        raise ValueError(f"kind must be 'normal' or 'seizure', got {kind!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths, entries = [], []
    for i in range(n_clips):
        check_cancel(cancel)
        path = out / f"{kind}_{i + 1:04d}.mp4"
        seq = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, i, 1 if kind == "seizure" else 0, 4242])
        phases = _render_clip(path, kind, seq, float(clip_s), (int(size[0]), int(size[1])), float(fps))
        paths.append(path)
        entries.append({"clip": path.name, "kind": kind, "species": "rodent-like (synthetic)",
                        "phases": [{"phase": p, "start_s": round(a, 3), "end_s": round(b, 3)} for p, a, b in phases]})
        if progress is not None:
            progress(i + 1, n_clips, path.name)
    atomic_write_json(out / "corpus.json", {"format": "semioscope.animal-corpus", "version": 1, "kind": kind,
                                            "seed": int(seed), "clip_s": float(clip_s), "size": list(size),
                                            "fps": float(fps), "clips": entries})
    return paths

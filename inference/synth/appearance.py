"""How one synthetic subject looks: colours, body size, room, camera and lighting.

Everything is drawn from one random generator, so a subject's look is fixed by its seed and
all of its recordings share the same room and camera (with a small per-recording jitter).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from inference.synth.body import BodyShape

Colour = tuple[int, int, int]  # RGB 0..255

_SKIN = [(255, 219, 186), (241, 194, 160), (224, 172, 135), (198, 134, 96), (161, 102, 68),
         (120, 76, 50), (92, 58, 40)]
_HAIR = [(25, 20, 18), (60, 40, 25), (110, 75, 40), (170, 140, 90), (200, 200, 195), (90, 30, 20)]
_GOWN = [(120, 160, 200), (150, 190, 170), (200, 200, 210), (90, 110, 150), (170, 120, 150),
         (210, 180, 130), (80, 130, 110), (230, 230, 235)]
_BLANKET = [(235, 235, 240), (180, 200, 230), (200, 220, 200), (220, 200, 170), (150, 170, 200),
            (240, 225, 200), (170, 150, 190)]
_SHEET = [(245, 245, 248), (225, 235, 245), (240, 235, 225), (220, 230, 220)]
_FLOOR = [(170, 160, 145), (140, 150, 160), (190, 185, 175), (120, 100, 80), (160, 170, 150),
          (200, 195, 190)]
_STAFF = [(70, 120, 180), (60, 150, 130), (110, 90, 160), (40, 70, 120), (200, 200, 205)]

# Two fixed rooms for the background-bias experiment (``SynthConfig.room_bias``, issue 20): far
# apart in floor, sheet and light, and both by day, so a model that learned the room and not the
# movement is caught when the rooms are swapped. Only these room fields of a look are replaced
# (and the walls of the oblique views painted ROOM_WALLS).
ROOM_BIAS_CHOICES = ("train", "swapped")
ROOM_WALLS: dict[str, Colour] = {"A": (228, 214, 186), "B": (176, 196, 214)}
ROOMS: dict[str, dict[str, Any]] = {
    "A": {"sheet": (245, 245, 248), "sheet_pattern": "plain", "floor": (120, 100, 80), "floor_pattern": "planks",
          "light_gain": 1.0, "light_dir": 0.8, "light_grad": 0.15, "night": False},
    "B": {"sheet": (165, 200, 235), "sheet_pattern": "checks", "floor": (205, 210, 200), "floor_pattern": "tiles",
          "light_gain": 0.88, "light_dir": 3.9, "light_grad": 0.3, "night": False},
}


def _pick(rng: np.random.Generator, options: list[Colour], jitter: int = 12) -> Colour:
    base = np.array(options[int(rng.integers(len(options)))], dtype=float)
    return tuple(int(v) for v in np.clip(base + rng.normal(0, jitter, 3), 0, 255))  # type: ignore[return-value]


@dataclass(frozen=True)
class SubjectLook:
    """Colours (RGB), shapes and the room/camera of one subject."""

    skin: Colour
    hair: Colour
    head_wrap: bool  # EEG electrodes under a white bandage instead of visible hair
    gown: Colour
    sleeve: float  # sleeve length as a fraction of the upper arm (0 .. 1.6: into the forearm)
    blanket: Colour
    blanket_top: float  # 0 = blanket from the hips, 1 = from the knees; > 1.5 means no blanket
    sheet: Colour
    sheet_pattern: str  # plain | stripes | checks
    floor: Colour
    floor_pattern: str  # tiles | planks | speckle
    staff_colour: Colour
    body_scale: float
    body_girth: float
    cam_angle: float  # radians: roll of the bed in the image
    cam_tilt: float  # foreshortening of the bed's length (1 = straight from above)
    cam_zoom: float
    cam_offset: tuple[float, float]
    light_gain: float  # overall brightness
    light_dir: float  # radians: where the light comes from (also sets the limb highlights)
    light_grad: float  # strength of the brightness gradient across the frame
    night: bool  # grayscale infrared look with sensor noise
    noise_sigma: float  # night-mode sensor noise (grey levels)

    @property
    def body(self) -> BodyShape:
        return BodyShape(scale=self.body_scale, girth=self.body_girth)

    def summary(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: (list(v) if isinstance(v, tuple) else (round(v, 4) if isinstance(v, float) else v))
                for k, v in d.items()}


def sample_look(rng: np.random.Generator, night: bool) -> SubjectLook:
    # Camera: most EMU cameras look along the bed (head up or head down is rare), some from the side.
    view = rng.choice(["end", "end", "side_left", "side_right"])
    base = {"end": 0.0, "side_left": np.pi / 2, "side_right": -np.pi / 2}[str(view)]
    return SubjectLook(
        skin=_pick(rng, _SKIN, 8),
        hair=_pick(rng, _HAIR, 8),
        head_wrap=bool(rng.random() < 0.4),
        gown=_pick(rng, _GOWN),
        sleeve=float(rng.uniform(0.3, 1.5)),
        blanket=_pick(rng, _BLANKET),
        blanket_top=float(rng.choice([rng.uniform(-0.1, 0.8), 2.0], p=[0.8, 0.2])),
        sheet=_pick(rng, _SHEET, 6),
        sheet_pattern=str(rng.choice(["plain", "stripes", "checks"])),
        floor=_pick(rng, _FLOOR, 8),
        floor_pattern=str(rng.choice(["tiles", "planks", "speckle"])),
        staff_colour=_pick(rng, _STAFF, 10),
        body_scale=float(rng.uniform(0.88, 1.08)),
        body_girth=float(rng.uniform(0.9, 1.2)),
        cam_angle=float(base + rng.uniform(-0.25, 0.25)),
        cam_tilt=float(rng.uniform(0.75, 1.0)),
        cam_zoom=float(rng.uniform(0.85, 1.08)),
        cam_offset=(float(rng.uniform(-0.8, 0.8)), float(rng.uniform(-0.8, 0.8))),
        light_gain=float(rng.uniform(0.75, 1.1)),
        light_dir=float(rng.uniform(0, 2 * np.pi)),
        light_grad=float(rng.uniform(0.05, 0.35)),
        night=bool(night),
        noise_sigma=float(rng.uniform(3.0, 6.0)),
    )


def room_for(bias: str, has_seizure: bool) -> str:
    """The room ("A" or "B") of a recording: ``train`` films seizure recordings in A and the
    seizure-free ones in B, ``swapped`` the reverse."""
    if bias not in ROOM_BIAS_CHOICES:
        raise ValueError(f"room_bias must be one of {', '.join(ROOM_BIAS_CHOICES)}, got {bias!r}")
    return "A" if has_seizure == (bias == "train") else "B"


def in_room(look: SubjectLook, room: str) -> SubjectLook:
    """``look`` with its room (sheet, floor, lighting, day) replaced by the fixed room ``room``;
    the patient (skin, gown, blanket, body) and the camera stay as drawn."""
    return replace(look, **ROOMS[room])

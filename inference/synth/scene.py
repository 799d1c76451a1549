"""One synthetic recording ready to draw: look, camera, blanket, behaviour plan, static background.

Two renderers: the legacy one (ceiling camera with the subject's own blanket: the default, kept
byte for byte so existing seeds give the same files) and the 3-D one (any placement, the blanket
option, depth order and occlusion marking: :mod:`inference.synth.depth_painter`). New random
draws come from their own seeded streams, so the legacy draws are untouched.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from inference.dataset.manifest import FBTC, FOCAL, NO_SEIZURE
from inference.synth.appearance import ROOM_WALLS, in_room, room_for, sample_look
from inference.synth.behaviour import pose_at
from inference.synth.body import Camera, forward
from inference.synth.body3d import forward3d
from inference.synth.camera import PLACEMENTS, CeilingView, mounted_camera, sample_mount
from inference.synth.config import SynthConfig
from inference.synth.depth_painter import DepthPainter
from inference.synth.plans import plan_recording, sample_traits
from inference.synth.render import VIEW_EXTENT, NightLook, PatientPainter, blur_face, make_background
from inference.synth.room import EXTENT_3D, MATTRESS_TOP, make_room_background
from inference.synth.seeds import _derive, _rng

# Night-mode sensor noise changes every NOISE_HOLD frames: fresh noise in every frame costs the
# encoder ~5x the bits of a day recording for grain that compression mostly removes anyway.
NOISE_HOLD = 3


def subject_placement(config: SynthConfig, subject_seed: int) -> str:
    """The camera placement of a subject: ``config.camera``, or for ``mixed`` a seeded draw."""
    drawn = str(_rng(subject_seed, 5).choice(PLACEMENTS))
    return drawn if config.camera == "mixed" else config.camera


class RecordingScene:
    """Everything needed to draw one recording: look, camera, behaviour plan, static background.

    ``frame(k)`` draws frame ``k`` and returns ``(rgb [H, W, 3] uint8, xy [14, 2] pixels,
    visible [14] bool)``; frames can be drawn in any order (each is a pure function of time).
    """

    def __init__(self, seed: int, config: SynthConfig = SynthConfig(), seizure_type: str = FOCAL,
                 duration_s: Optional[float] = None, eeg_onset_s: Optional[float] = None,
                 subject_seed: Optional[int] = None, night: Optional[bool] = None):
        if seizure_type not in (FOCAL, FBTC, NO_SEIZURE):
            raise ValueError(f"seizure_type must be focal, fbtc or none, got {seizure_type!r}")
        self.seed = int(seed)
        self.config = config
        self.seizure_type = seizure_type
        self.subject_seed = int(seed if subject_seed is None else subject_seed)
        if night is None:
            night = bool(_rng(self.subject_seed, 3).random() < config.night_fraction)
        look = sample_look(_rng(self.subject_seed, 1), night)
        # Room bias: swap in a fixed room after the draws (no extra random numbers), so the
        # patient, the camera and every later draw are those of the same seed without it.
        self.room = None if config.room_bias is None else room_for(config.room_bias, seizure_type != NO_SEIZURE)
        if self.room is not None:
            look = in_room(look, self.room)
        self.look = look
        self.traits = sample_traits(_rng(self.subject_seed, 2))
        rng = _rng(seed, 7)
        if duration_s is None:
            duration_s = float(rng.uniform(*config.duration_s))
        self.fps = fps = float(config.fps)
        self.n_frames = max(1, int(round(duration_s * fps)))
        self.duration_s = self.n_frames / fps
        self.size = w, h = int(config.size[0]), int(config.size[1])
        self.legacy = config.legacy_view
        self.placement = subject_placement(config, self.subject_seed)
        # The same room for every recording of a subject, with a slightly moved camera.
        cam_jitter = (float(rng.normal(0, 0.03)), float(rng.uniform(0.97, 1.0)),
                      float(rng.normal(0, 0.05)), float(rng.normal(0, 0.05)))
        offset = (look.cam_offset[0] + cam_jitter[2], look.cam_offset[1] + cam_jitter[3])
        self.camera = cam = Camera.fit((w, h), look.cam_angle + cam_jitter[0], look.cam_tilt,
                                       look.cam_zoom * cam_jitter[1], offset, VIEW_EXTENT)
        self.plan = plan_recording(_rng(seed, 8), self.duration_s, self.traits, seizure_type, eeg_onset_s,
                                   prodrome=config.prodrome, staff_probability=config.staff_probability)
        self.blanket_top = self._blanket(config, look)
        self.night_look = NightLook((w, h), look.noise_sigma, _rng(seed, 9)) if look.night else None
        self._noise_seed = _derive(seed, 10)
        self._mask = np.zeros((h, w), np.uint8)
        if self.legacy:
            self.view = CeilingView(cam)
            self.background = make_background(look, cam, (w, h), _rng(self.subject_seed, 4))
            self.painter = PatientPainter(look, cam, (w, h))
            return
        if self.placement == "ceiling":
            self.view = CeilingView(cam)
            self.background = make_background(look, cam, (w, h), _rng(self.subject_seed, 4))
            table_side = 1.0
        else:
            mount = sample_mount(self.placement, _rng(self.subject_seed, 6))
            self.view = mounted_camera(mount, (w, h), look.cam_zoom * cam_jitter[1], offset, EXTENT_3D, _rng(seed, 12))
            wall = None if self.room is None else ROOM_WALLS[self.room]
            self.background, table_side = make_room_background(look, self.view, (w, h), _rng(self.subject_seed, 4),
                                                               wall)
        self.depth_painter = DepthPainter(look, self.view, (w, h), self.blanket_top, staff_side=-table_side)

    def _blanket(self, config: SynthConfig, look) -> Optional[float]:
        """Where the blanket starts on the thighs (0 hips .. 1 knees), or None when uncovered."""
        own = look.blanket_top if look.blanket_top < 1.5 else None
        if config.blanket is None:
            return own
        rng = _rng(self.seed, 11)
        covered, top = rng.random() < config.blanket, float(rng.uniform(-0.1, 0.8))
        return (own if own is not None else top) if covered else None

    @property
    def marks_occlusion(self) -> bool:
        return not self.legacy

    def pixels_per_metre(self) -> float:
        """Image scale at the middle of the bed."""
        _, d = self.view.project(np.array([[0.0, 0.6, MATTRESS_TOP]]))
        return float(np.asarray(self.view.ppm(d)).ravel()[0])

    def camera_summary(self) -> dict[str, Any]:
        return {"pixels_per_metre": round(self.pixels_per_metre(), 3), **self.view.summary()}

    def blanket_summary(self) -> dict[str, Any]:
        top = self.blanket_top
        return {"covered": top is not None, "top": None if top is None else round(float(top), 4),
                "occlusion_marked": self.marks_occlusion}

    def room_summary(self) -> Optional[dict[str, Any]]:
        """``{"bias", "look"}`` with a room bias, else None."""
        return None if self.room is None else {"bias": self.config.room_bias, "look": self.room}

    def frame(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        t = k / self.fps
        p = pose_at(self.plan, t)
        if self.legacy:
            img, J, vis = self._legacy_frame(t, p)
        else:
            img, J, vis = self._frame_3d(t, p)
        if self.night_look is not None:
            # Noise frame chosen from a seed, so any frame can be drawn on its own.
            img = self.night_look.apply(img, ((k // NOISE_HOLD) * 2654435761 + self._noise_seed) % 1000003)
        return img, J, vis

    def _inside(self, J: np.ndarray) -> np.ndarray:
        w, h = self.size
        return (J[:, 0] >= 0) & (J[:, 0] <= w - 1) & (J[:, 1] >= 0) & (J[:, 1] <= h - 1)

    def _frame_3d(self, t: float, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        img = self.background.copy()
        staff = None
        for s in self.plan.staff:
            pos = s.position(t)
            if pos is not None:
                staff = (pos[0], pos[1], pos[2], s.direction)
                break
        J, seen, head_r = self.depth_painter.draw(img, forward3d(p, self.look.body), p, staff)
        if self.config.face_blur:
            blur_face(img, J[0], head_r)
        return img, J, seen & self._inside(J)

    def _legacy_frame(self, t: float, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        w, h = self.size
        J = self.camera.to_px(forward(p, self.look.body))
        img = self.background.copy()
        self.painter.draw_patient(img, J, p)
        if self.config.face_blur:
            blur_face(img, J[0], self.painter.head_r)
        vis = self._inside(J)
        for s in self.plan.staff:
            pos = s.position(t)
            if pos is None:
                continue
            self._mask[:] = 0
            self.painter.draw_staff(img, self._mask, pos[0], pos[1], pos[2], s.direction)
            ji = np.clip(np.round(J).astype(int), [0, 0], [w - 1, h - 1])
            vis &= self._mask[ji[:, 1], ji[:, 0]] == 0
            break
        return img, J, vis

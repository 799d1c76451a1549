"""Drawing synthetic EMU frames with OpenCV primitives: room, bed, shaded patient, staff, night look.

The static part of a frame (floor, bed, pillow, table, lighting) is drawn once per recording
(:func:`make_background`); per frame only the people are drawn on a copy of it. Limbs are
capsules shaded in three tones (shadow edge, body, highlight offset toward the light), so the
figure reads as a body rather than a stick figure. Night mode converts to grey with an infrared
response curve and adds sensor noise from a precomputed bank (per-frame random noise is slow).
"""
from __future__ import annotations

import cv2
import numpy as np

from inference.pose.joints import JOINT_INDEX as JI
from inference.synth.appearance import Colour, SubjectLook
from inference.synth.body import Camera, P

_SHIFT = 2  # sub-pixel drawing: coordinates are multiplied by 2**_SHIFT
_S = float(1 << _SHIFT)
_AA = cv2.LINE_AA

# Bed-frame geometry (metres): mattress, frame, pillow, bedside table.
MATTRESS = np.array([[-0.47, -0.42], [0.47, -0.42], [0.47, 1.78], [-0.47, 1.78]])
BED_FRAME = np.array([[-0.53, -0.5], [0.53, -0.5], [0.53, 1.86], [-0.53, 1.86]])
# What the camera must see: the bed and a bit of floor around it.
VIEW_EXTENT = np.array([[-0.75, -0.55], [0.75, -0.55], [0.75, 1.9], [-0.75, 1.9]])


def _pt(p) -> tuple[int, int]:
    return int(round(p[0] * _S)), int(round(p[1] * _S))


def _scale(c, f: float, add: float = 0.0) -> tuple[int, int, int]:
    return tuple(int(min(255, max(0, v * f + add))) for v in c)  # type: ignore[return-value]


def _mix(a, b, f: float) -> tuple[int, int, int]:
    return tuple(int(x * (1 - f) + y * f) for x, y in zip(a, b))  # type: ignore[return-value]


def _tones(c: Colour, gain: float) -> tuple:
    """(shadow, body, highlight) RGB tones of a surface colour under the scene's light."""
    return _scale(c, 0.6 * gain), _scale(c, 0.92 * gain), _scale(c, 1.08 * gain, 22)


def capsule(img, p0, p1, width: float, tones, light: np.ndarray) -> None:
    """A shaded limb segment of ``width`` pixels from ``p0`` to ``p1``."""
    w = max(1, int(round(width)))
    cv2.line(img, _pt(p0), _pt(p1), tones[0], w, _AA, _SHIFT)
    o = light * width * 0.14
    cv2.line(img, _pt(p0 + o), _pt(p1 + o), tones[1], max(1, int(round(width * 0.68))), _AA, _SHIFT)
    o2 = light * width * 0.24
    cv2.line(img, _pt(p0 + o2), _pt(p1 + o2), tones[2], max(1, int(round(width * 0.22))), _AA, _SHIFT)


def blob(img, c, r: float, tones, light: np.ndarray, axes_ratio: float = 1.0, angle: float = 0.0) -> None:
    """A shaded ellipse (head, hand, foot) of radius ``r`` pixels."""
    ax = (max(1, int(round(r * _S))), max(1, int(round(r * axes_ratio * _S))))
    cv2.ellipse(img, _pt(c), ax, angle, 0, 360, tones[0], -1, _AA, _SHIFT)
    ax2 = (max(1, int(round(r * 0.78 * _S))), max(1, int(round(r * axes_ratio * 0.78 * _S))))
    cv2.ellipse(img, _pt(c + light * r * 0.12), ax2, angle, 0, 360, tones[1], -1, _AA, _SHIFT)
    cv2.circle(img, _pt(c + light * r * 0.4), max(1, int(round(r * 0.28 * _S))), tones[2], -1, _AA, _SHIFT)


def _texture(rng: np.random.Generator, h: int, w: int, cell: int, amp: float) -> np.ndarray:
    """Smooth random blotches ``[h, w]`` (float32, zero mean) with features of ``cell`` pixels."""
    small = rng.normal(0, 1, (max(2, h // cell + 2), max(2, w // cell + 2))).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC) * amp


def _bed_coords(cam: Camera, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Bed-frame (x, y) metres of every pixel (done once per recording)."""
    Ainv = np.linalg.inv(cam.A)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    px = np.stack([xx - cam.b[0], yy - cam.b[1]], axis=-1)
    bed = px @ Ainv.T.astype(np.float32)
    return bed[..., 0], bed[..., 1]


def light_map(look: SubjectLook, h: int, w: int) -> np.ndarray:
    """``[h, w]`` brightness gain: overall level, a gradient from the light, a vignette."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    nx, ny = (xx - w / 2) / max(w, h) * 2, (yy - h / 2) / max(w, h) * 2
    grad = 1 + look.light_grad * (nx * np.cos(look.light_dir) + ny * np.sin(look.light_dir))
    vignette = 1 - 0.22 * (nx ** 2 + ny ** 2)
    return (look.light_gain * grad * vignette).astype(np.float32)


def floor_image(look: SubjectLook, bx: np.ndarray, by: np.ndarray, rng: np.random.Generator
                ) -> tuple[np.ndarray, np.ndarray]:
    """The textured, patterned floor seen at each pixel's bed coordinates ``bx, by [h, w]``:
    ``(image [h, w, 3]`` float32, unclipped, ``texture [h, w])``."""
    h, w = bx.shape
    tex = _texture(rng, h, w, max(4, h // 10), 9.0) + rng.normal(0, 4.0, (h, w)).astype(np.float32)
    img = np.array(look.floor, dtype=np.float32)[None, None, :] + tex[..., None]
    if look.floor_pattern == "tiles":
        step = 0.3
        line = (np.abs(((bx + 5) / step) % 1 - 0.5) > 0.47) | (np.abs(((by + 5) / step) % 1 - 0.5) > 0.47)
        img[line] *= 0.8
    elif look.floor_pattern == "planks":
        plank = np.floor((bx + 5) / 0.15)
        shade = (np.sin(plank * 12.9898) * 43758.5453) % 1.0  # per-plank brightness
        grain = np.sin(by * 60 + np.sin(bx * 30) * 2)
        img *= (0.88 + 0.18 * shade + 0.03 * grain)[..., None]
        img[np.abs(((bx + 5) / 0.15) % 1 - 0.5) > 0.48] *= 0.7
    return img, tex


def sheet_image(look: SubjectLook, bx: np.ndarray, by: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The patterned, wrinkled sheet at each pixel's bed coordinates ``bx, by [h, w]``:
    ``[h, w, 3]`` float, unclipped."""
    h, w = bx.shape
    pattern = np.ones((h, w), np.float32)
    if look.sheet_pattern == "stripes":
        pattern = 0.93 + 0.07 * (np.sin(bx * 2 * np.pi / 0.09) > 0)
    elif look.sheet_pattern == "checks":
        pattern = 0.93 + 0.07 * ((np.sin(bx * 2 * np.pi / 0.12) > 0) ^ (np.sin(by * 2 * np.pi / 0.12) > 0))
    wrinkles = 1 + _texture(rng, h, w, max(3, h // 24), 0.04)
    # Where the body presses into the mattress: a soft shadow along the body.
    dent = np.exp(-((bx / 0.28) ** 2) - (((by - 0.55) / 0.75) ** 2) * 2) * 0.12
    return np.array(look.sheet, np.float32)[None, None, :] * (pattern * wrinkles * (1 - dent))[..., None]


def make_background(look: SubjectLook, cam: Camera, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """The static room: textured floor, bed with patterned sheet, pillow, bedside table. RGB uint8."""
    w, h = size
    bx, by = _bed_coords(cam, h, w)
    img, _ = floor_image(look, bx, by, rng)
    img = np.clip(img, 0, 255).astype(np.uint8)

    def poly(pts_bed, colour):
        pts = np.round(cam.to_px(pts_bed) * _S).astype(np.int32)
        cv2.fillPoly(img, [pts], tuple(int(c) for c in colour), _AA, _SHIFT)

    # Bedside table with a cup, on one side.
    side = 1.0 if rng.random() < 0.5 else -1.0
    table = np.array([[0.62, 0.05], [1.02, 0.05], [1.02, 0.5], [0.62, 0.5]]) * np.array([side, 1.0])
    poly(table + np.array([0.015, 0.02]), (40, 40, 40))
    poly(table, (int(rng.integers(90, 170)),) * 3)
    cup = cam.to_px(np.array([0.8 * side, 0.2]))
    cv2.circle(img, _pt(cup), max(1, int(0.035 * cam.ppm * _S)), (230, 230, 235), -1, _AA, _SHIFT)
    # Bed frame, rails and mattress.
    poly(BED_FRAME + np.array([0.03, 0.03]), (35, 35, 38))
    poly(BED_FRAME, (150, 152, 158))
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [np.round(cam.to_px(MATTRESS) * _S).astype(np.int32)], 255, _AA, _SHIFT)
    sheet_img = sheet_image(look, bx, by, rng)
    m = (mask.astype(np.float32) / 255)[..., None]
    img = (img * (1 - m) + sheet_img * m).clip(0, 255).astype(np.uint8)
    rail = np.array([[-0.5, 0.0], [-0.5, 1.0]])
    for s in (-1, 1):
        r = cam.to_px(rail * np.array([-s, 1]))
        cv2.line(img, _pt(r[0]), _pt(r[1]), (70, 72, 80), max(2, int(0.035 * cam.ppm)), _AA, _SHIFT)
    # Pillow under the head.
    pc = cam.to_px(np.array([0.0, -0.22]))
    axes = np.linalg.norm(cam.A @ np.array([0.32, 0.0])), np.linalg.norm(cam.A @ np.array([0.0, 0.15]))
    ang = float(np.degrees(np.arctan2(cam.A[1, 0], cam.A[0, 0])))
    for f, c in ((1.0, (190, 190, 195)), (0.9, (238, 238, 242)), (0.55, (250, 250, 252))):
        cv2.ellipse(img, _pt(pc), (int(axes[0] * f * _S), int(axes[1] * f * _S)), ang, 0, 360, c, -1, _AA, _SHIFT)
    lm = light_map(look, h, w)
    return (img.astype(np.float32) * lm[..., None]).clip(0, 255).astype(np.uint8)


class PatientPainter:
    """Draws the patient (and the staff member) for one recording."""

    def __init__(self, look: SubjectLook, cam: Camera, size: tuple[int, int]):
        self.look = look
        self.cam = cam
        self.size = size
        w, h = size
        centre = cam.to_px(np.array([0.0, 0.6]))
        lm = light_map(look, h, w)
        cx, cy = int(np.clip(centre[0], 0, w - 1)), int(np.clip(centre[1], 0, h - 1))
        g = float(lm[cy, cx])
        self.light = np.array([np.cos(look.light_dir), np.sin(look.light_dir)]) * -1.0
        self.skin = _tones(look.skin, g)
        self.gown = _tones(look.gown, g)
        self.blanket = _tones(look.blanket, g)
        self.hair = _tones(look.head_wrap and (235, 235, 230) or look.hair, g)
        self.staff = _tones(look.staff_colour, g)
        self.staff_skin = _tones((200, 160, 130), g)
        self.ppm = cam.ppm
        body = look.body
        self.arm_w = body.arm_w * cam.ppm
        self.leg_w = body.leg_w * cam.ppm
        self.head_r = body.head_r * cam.ppm
        self.neck_w = 0.08 * body.scale * cam.ppm

    # -- patient -----------------------------------------------------------------------------
    def draw_patient(self, img: np.ndarray, J: np.ndarray, p: np.ndarray) -> None:
        """Draw the patient with joints ``J`` ``[14, 2]`` (pixels) and pose vector ``p``."""
        L = self.light
        look = self.look
        rs, ls = J[JI["right_shoulder"]], J[JI["left_shoulder"]]
        rh, lh = J[JI["right_hip"]], J[JI["left_hip"]]
        neck, head = J[JI["neck"]], J[JI["head"]]
        pelvis = (rh + lh) / 2
        covered = look.blanket_top < 1.5
        # Legs are always drawn: a blanket starting below the hips leaves the thighs' tops visible.
        for side in ("right", "left"):
            hip, knee, ank = J[JI[side + "_hip"]], J[JI[side + "_knee"]], J[JI[side + "_ankle"]]
            capsule(img, knee, ank, self.leg_w * 0.75, self.skin, L)
            capsule(img, hip, knee, self.leg_w, self.gown, L)
            foot = ank + (ank - knee) / (np.linalg.norm(ank - knee) + 1e-6) * self.leg_w * 0.5
            blob(img, foot, self.leg_w * 0.42, self.skin, L)
        # Torso: a gown-coloured rounded quad with a lighter band down the middle.
        across = ls - rs
        out = across / (np.linalg.norm(across) + 1e-6)
        half_w = self.arm_w * 0.45
        quad = np.array([rs - out * half_w, ls + out * half_w, lh + out * half_w * 1.2, rh - out * half_w * 1.2])
        cv2.fillPoly(img, [np.round(quad * _S).astype(np.int32)], self.gown[0], _AA, _SHIFT)
        torso_w = float(np.linalg.norm(ls - rs))
        capsule(img, rs, ls, self.arm_w * 1.1, self.gown, L)
        capsule(img, rh, lh, self.arm_w * 1.2, self.gown, L)
        mid_top, mid_bot = (rs + ls) / 2, pelvis
        cv2.line(img, _pt(mid_top + L * 3), _pt(mid_bot + L * 3), self.gown[1],
                 max(1, int(torso_w * 0.75)), _AA, _SHIFT)
        cv2.line(img, _pt(mid_top + L * torso_w * 0.15), _pt(mid_bot + L * torso_w * 0.15), self.gown[2],
                 max(1, int(torso_w * 0.22)), _AA, _SHIFT)
        if covered:
            self._blanket(img, J)
        # Arms on top of the body and blanket.
        for side in ("right", "left"):
            sh, el, wr = J[JI[side + "_shoulder"]], J[JI[side + "_elbow"]], J[JI[side + "_wrist"]]
            capsule(img, el, wr, self.arm_w * 0.85, self.skin, L)
            capsule(img, sh, el, self.arm_w, self.skin, L)
            s = look.sleeve
            if s <= 1.0:
                capsule(img, sh, sh + (el - sh) * s, self.arm_w * 1.15, self.gown, L)
            else:
                capsule(img, el, el + (wr - el) * (s - 1.0), self.arm_w * 1.05, self.gown, L)
                capsule(img, sh, el, self.arm_w * 1.15, self.gown, L)
            d = (wr - el) / (np.linalg.norm(wr - el) + 1e-6)
            blob(img, wr + d * self.arm_w * 0.45, self.arm_w * 0.55, self.skin, L, 0.8,
                 float(np.degrees(np.arctan2(d[1], d[0]))))
        # Neck and head (hair or EEG head wrap behind the face).
        capsule(img, neck, neck + (head - neck) * 0.5, self.neck_w, self.skin, L)
        up = (head - neck) / (np.linalg.norm(head - neck) + 1e-6)
        blob(img, head + up * self.head_r * 0.35, self.head_r * 1.12, self.hair, L)
        blob(img, head, self.head_r * 0.92, self.skin, L, 1.1, float(np.degrees(np.arctan2(up[1], up[0]))))
        across_h = np.array([-up[1], up[0]])
        turn = np.sin(p[P["head_turn"]]) * self.head_r * 0.5
        face = head + across_h * turn
        eye_c = self.skin[0]
        r_eye = max(1, int(self.head_r * 0.13 * _S))
        for s in (-1, 1):
            cv2.circle(img, _pt(face + up * self.head_r * 0.25 + across_h * s * self.head_r * 0.35), r_eye,
                       _scale(eye_c, 0.5), -1, _AA, _SHIFT)
        mouth = face - up * self.head_r * 0.45
        mo = float(np.clip(p[P["mouth"]], 0, 1))
        cv2.ellipse(img, _pt(mouth), (max(1, int(self.head_r * 0.3 * _S)), max(1, int(self.head_r * (0.06 + 0.2 * mo) * _S))),
                    float(np.degrees(np.arctan2(across_h[1], across_h[0]))), 0, 360, (90, 40, 40), -1, _AA, _SHIFT)

    def _blanket(self, img: np.ndarray, J: np.ndarray) -> None:
        b = self.look.blanket_top
        pts, knees, feet = [], [], []
        for side in ("right", "left"):
            hip, knee, ank = J[JI[side + "_hip"]], J[JI[side + "_knee"]], J[JI[side + "_ankle"]]
            pts.append(hip + (knee - hip) * b)
            foot = ank + (ank - knee) / (np.linalg.norm(ank - knee) + 1e-6) * self.leg_w * 0.8
            knees.append(knee)
            feet.append(foot)
        hull = np.array(pts + knees + feet)
        c = hull.mean(axis=0)
        d = hull - c
        hull = c + d + d / (np.linalg.norm(d, axis=1, keepdims=True) + 1e-6) * self.leg_w * 0.7
        hull = cv2.convexHull(np.round(hull * _S).astype(np.int32))
        cv2.fillConvexPoly(img, hull, self.blanket[1], _AA, _SHIFT)
        cv2.polylines(img, [hull], True, self.blanket[0], max(1, int(self.leg_w * 0.12)), _AA, _SHIFT)
        # Soft bulges over the legs: low-contrast tones so the cloth reads as one sheet.
        bulge = (self.blanket[1], _mix(self.blanket[1], self.blanket[2], 0.45), _mix(self.blanket[1], self.blanket[2], 0.8))
        for side, knee, foot, top in zip("rl", knees, feet, pts):
            capsule(img, top, knee, self.leg_w * 1.2, bulge, self.light)
            capsule(img, knee, foot, self.leg_w * 1.0, bulge, self.light)
        # Folds between the legs and a hem along the top edge.
        mid_k, mid_f = (knees[0] + knees[1]) / 2, (feet[0] + feet[1]) / 2
        cv2.line(img, _pt(mid_k), _pt(mid_f), self.blanket[0], max(1, int(self.leg_w * 0.15)), _AA, _SHIFT)
        cv2.line(img, _pt(pts[0]), _pt(pts[1]), self.blanket[2], max(1, int(self.leg_w * 0.35)), _AA, _SHIFT)

    # -- staff -------------------------------------------------------------------------------
    def staff_shapes(self, x: float, y: float, phase: float, direction: float):
        """Bed-frame shapes of a standing person seen from above (closer to the camera: larger)."""
        S = 1.35
        c = np.array([x, y])
        fwd = np.array([direction, 0.0])
        side = np.array([0.0, 1.0])
        swing = np.sin(phase * 2 * np.pi) * 0.22 * S
        shapes = []
        for s in (-1, 1):
            sh = c + side * s * 0.2 * S
            hand = sh + fwd * swing * s + side * s * 0.04
            shapes.append(("limb", sh, hand, 0.085 * S))
        shapes.append(("body", c, 0.27 * S, 0.14 * S))
        shapes.append(("head", c + fwd * 0.03, 0.1 * S))
        return shapes

    def draw_staff(self, img: np.ndarray, mask: np.ndarray, x: float, y: float, phase: float, direction: float) -> None:
        cam, L = self.cam, self.light
        for shape in self.staff_shapes(x, y, phase, direction):
            if shape[0] == "limb":
                a, b = cam.to_px(shape[1]), cam.to_px(shape[2])
                wpx = shape[3] * cam.ppm
                capsule(img, a, b, wpx, self.staff, L)
                cv2.line(mask, _pt(a), _pt(b), 255, max(1, int(wpx)), cv2.LINE_8, _SHIFT)
                blob(img, b, wpx * 0.55, self.staff_skin, L)
            elif shape[0] == "body":
                c = cam.to_px(shape[1])
                ax = np.linalg.norm(cam.A @ np.array([0.0, shape[2]])), np.linalg.norm(cam.A @ np.array([shape[3], 0.0]))
                ang = float(np.degrees(np.arctan2(cam.A[1, 1], cam.A[0, 1])))
                blob(img, c, ax[0], self.staff, L, ax[1] / ax[0], ang)
                cv2.ellipse(mask, _pt(c), (int(ax[0] * _S), int(ax[1] * _S)), ang, 0, 360, 255, -1, cv2.LINE_8, _SHIFT)
            else:
                c = cam.to_px(shape[1])
                r = shape[2] * cam.ppm
                blob(img, c, r, _tones((50, 40, 35), 1.0), L)
                cv2.circle(mask, _pt(c), int(r * _S), 255, -1, cv2.LINE_8, _SHIFT)


def blur_face(img: np.ndarray, head: np.ndarray, radius: float) -> None:
    """Blur a square around the face, as in the public dataset (in place)."""
    h, w = img.shape[:2]
    r = int(radius * 1.25) + 1
    x0, y0 = max(0, int(head[0]) - r), max(0, int(head[1]) - r)
    x1, y1 = min(w, int(head[0]) + r + 1), min(h, int(head[1]) + r + 1)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return
    k = max(3, int(radius * 0.8) | 1)
    img[y0:y1, x0:x1] = cv2.GaussianBlur(img[y0:y1, x0:x1], (k, k), 0)


class NightLook:
    """Grey infrared look: IR response curve, illuminator vignette and banked sensor noise."""

    BANK = 12

    def __init__(self, size: tuple[int, int], sigma: float, rng: np.random.Generator):
        w, h = size
        # Grain a pixel or two wide (as a compressed IR stream shows it), not i.i.d. per pixel:
        # i.i.d. noise is incompressible and makes night files ~15x larger than day files.
        noise = rng.normal(0, 1, (self.BANK, h, w)).astype(np.float32)
        for i in range(self.BANK):
            noise[i] = cv2.GaussianBlur(noise[i], (0, 0), 1.1)
        noise *= sigma / max(float(noise.std()), 1e-6)
        self.pos = np.clip(noise, 0, 255).astype(np.uint8)
        self.neg = np.clip(-noise, 0, 255).astype(np.uint8)
        x = np.arange(256, dtype=np.float32) / 255
        # Skin and fabric reflect IR strongly; compress shadows, lift mid-tones.
        self.lut = np.clip(255 * (0.08 + 0.95 * x ** 0.75), 0, 255).astype(np.uint8)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        r2 = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
        self.vignette = np.clip(255 * (1.0 - 0.35 * r2), 0, 255).astype(np.uint8)

    def apply(self, rgb: np.ndarray, k: int) -> np.ndarray:
        g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        g = cv2.LUT(g, self.lut)
        g = cv2.multiply(g, self.vignette, scale=1 / 255)
        g = cv2.add(g, self.pos[k % self.BANK])
        g = cv2.subtract(g, self.neg[(k // self.BANK) % self.BANK])
        return cv2.cvtColor(g, cv2.COLOR_GRAY2RGB)

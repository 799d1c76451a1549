"""The EMU room in 3-D for the oblique cameras: floor, walls, bed, mattress, pillow, bedside table.

Drawn once per recording (:func:`make_room_background`) through a :class:`PinholeCamera`: every
pixel's ray meets the floor or a wall (the camera hangs inside the room, so the nearest hit is
the one seen); the furniture is a handful of boxes drawn far to near, each showing only the faces
that look at the camera. The legacy ceiling view keeps :func:`inference.synth.render.make_background`.
World coordinates: :mod:`inference.synth.camera`.
"""
from __future__ import annotations

import functools
from typing import Optional

import cv2
import numpy as np

from inference.synth.appearance import SubjectLook
from inference.synth.camera import PinholeCamera
from inference.synth.render import _AA, _S, _SHIFT, floor_image, light_map, sheet_image

MATTRESS_TOP = 0.62  # height of the sheet (metres above the floor)
MATTRESS = ((-0.47, -0.42, 0.45), (0.47, 1.78, MATTRESS_TOP))  # (lo, hi) corners of the boxes
FRAME = ((-0.53, -0.5, 0.3), (0.53, 1.86, 0.45))
HEADBOARD = ((-0.53, -0.56, 0.3), (0.53, -0.5, 1.05))
FOOTBOARD = ((-0.53, 1.86, 0.3), (0.53, 1.92, 0.72))  # low: a foot camera sees the feet over it
PILLOW = (0.0, -0.22, MATTRESS_TOP + 0.07, 0.32, 0.15)  # centre x, y, z and half-axes x, y
RAILS_Y = (0.0, 1.0)  # side rails along the upper body, at x = +-0.5
RAIL_Z = 0.85
ROOM = ((-2.1, -0.8, 0.0), (2.1, 3.6, 3.0))  # walls, floor and ceiling
# What an oblique camera must see: the bed and the patient on it, a little floor around.
EXTENT_3D = np.array([[x, y, z] for x in (-0.6, 0.6) for y in (-0.55, 1.95) for z in (0.3, 1.0)])


def table_box(side: float) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    x0, x1 = sorted((0.62 * side, 1.02 * side))
    return (x0, 0.05, 0.0), (x1, 0.5, 0.72)


def _faces(lo, hi) -> list[tuple[np.ndarray, np.ndarray]]:
    """The six faces of an axis-aligned box: ``(outward normal [3], corners [4, 3])``."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    out = []
    for axis in range(3):
        for end, sign in ((lo, -1.0), (hi, 1.0)):
            a, b = [k for k in range(3) if k != axis]
            quad = []
            for ua, ub in ((0, 0), (1, 0), (1, 1), (0, 1)):
                p = np.empty(3)
                p[axis] = end[axis]
                p[a] = (lo, hi)[ua][a]
                p[b] = (lo, hi)[ub][b]
                quad.append(p)
            n = np.zeros(3)
            n[axis] = sign
            out.append((n, np.array(quad)))
    return out


def _nearer(cam: PinholeCamera, A, B) -> int:
    """-1 if box ``A`` must be drawn before ``B`` (it is farther), 1 if after, 0 if unknown.
    Two disjoint boxes are split by a plane of some axis; the one on the camera's side is nearer."""
    for k in range(3):
        if A[1][k] <= B[0][k] + 1e-9:
            return 1 if cam.C[k] < A[1][k] else -1
        if B[1][k] <= A[0][k] + 1e-9:
            return 1 if cam.C[k] > A[0][k] else -1
    return 0


def _poly(img, cam: PinholeCamera, pts3: np.ndarray, colour) -> None:
    uv, _ = cam.project(pts3)
    cv2.fillPoly(img, [np.round(uv * _S).astype(np.int32)], tuple(int(c) for c in colour), _AA, _SHIFT)


def _box(img, cam: PinholeCamera, lo, hi, colour, top=None) -> None:
    """Draw the faces of a box that face the camera, shaded by orientation; ``top(img, quad)``
    replaces the plain top face (the mattress's sheet)."""
    for n, quad in _faces(lo, hi):
        if np.dot(n, cam.C - quad.mean(axis=0)) <= 0:
            continue
        if n[2] > 0 and top is not None:
            top(img, quad)
            continue
        shade = 1.0 if n[2] > 0 else (0.55 if n[2] < 0 else 0.72 + 0.1 * n[0] + 0.06 * n[1])
        _poly(img, cam, quad, [min(255, c * shade) for c in colour])


def _plane_coords(cam: PinholeCamera, rays: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """World (x, y) where each pixel's ray meets the horizontal plane at height ``z``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (z - cam.C[2]) / rays[..., 2]
    t = np.where(np.isfinite(t) & (t > 0), t, 1e3).astype(np.float32)
    return cam.C[0] + rays[..., 0] * t, cam.C[1] + rays[..., 1] * t


def _floor_and_walls(look: SubjectLook, cam: PinholeCamera, rays: np.ndarray, rng: np.random.Generator,
                     wall: Optional[tuple[int, int, int]] = None) -> np.ndarray:
    h, w = rays.shape[:2]
    lo, hi = ROOM
    t = np.full((h, w), np.inf, np.float32)
    surface = np.zeros((h, w), np.int8)  # 0 floor, 1 ceiling, 2.. walls
    planes = [(2, lo[2]), (2, hi[2]), (0, lo[0]), (0, hi[0]), (1, lo[1]), (1, hi[1])]
    with np.errstate(divide="ignore", invalid="ignore"):
        for i, (axis, value) in enumerate(planes):
            ti = (value - cam.C[axis]) / rays[..., axis]
            ok = (ti > 0) & (ti < t)
            t[ok] = ti[ok]
            surface[ok] = i
    P = cam.C[None, None, :] + rays * t[..., None]
    img, tex = floor_image(look, P[..., 0], P[..., 1], rng)
    # Walls: one pale paint, each wall lit a little differently so the corners read; a skirting board.
    paint = np.array([rng.uniform(190, 235)] * 3, np.float32) + rng.normal(0, 8, 3).astype(np.float32)
    if wall is not None:  # a fixed room's paint; drawn above all the same, so later draws don't move
        paint = np.array(wall, np.float32)
    for i, gain in ((1, 1.05), (2, 0.9), (3, 0.82), (4, 0.97), (5, 0.87)):
        m = surface == i
        img[m] = paint * gain + 0.4 * tex[m][:, None]
    wall = surface >= 2
    img[wall & (P[..., 2] < 0.1)] *= 0.6
    return np.clip(img, 0, 255).astype(np.uint8)


def make_room_background(look: SubjectLook, cam: PinholeCamera, size: tuple[int, int],
                         rng: np.random.Generator, wall: Optional[tuple[int, int, int]] = None
                         ) -> tuple[np.ndarray, float]:
    """The static room seen by ``cam``, RGB uint8, and the side (+-1) of the bedside table;
    ``wall`` fixes the wall paint (room bias), else it is drawn."""
    w, h = size
    side = 1.0 if rng.random() < 0.5 else -1.0
    rays = cam.rays(size)
    img = _floor_and_walls(look, cam, rays, rng, wall)
    # Shadow under the bed.
    (x0, y0, _), (x1, y1, _) = FRAME
    _poly(img, cam, np.array([[x0 - 0.05, y0, 0], [x1 + 0.05, y0, 0], [x1 + 0.05, y1 + 0.05, 0],
                              [x0 - 0.05, y1 + 0.05, 0]]), [c * 0.45 for c in look.floor])
    sheet_img = sheet_image(look, *_plane_coords(cam, rays, MATTRESS_TOP), rng)

    def sheet_top(canvas, quad):
        mask = np.zeros((h, w), np.uint8)
        uv, _ = cam.project(quad)
        cv2.fillPoly(mask, [np.round(uv * _S).astype(np.int32)], 255, _AA, _SHIFT)
        m = (mask.astype(np.float32) / 255)[..., None]
        canvas[:] = (canvas * (1 - m) + sheet_img * m).clip(0, 255).astype(np.uint8)
        cx, cy, cz, ax, ay = PILLOW
        a = np.linspace(0, 2 * np.pi, 48, endpoint=False)
        for f, c in ((1.0, (190, 190, 195)), (0.9, (238, 238, 242)), (0.55, (250, 250, 252))):
            z = np.full_like(a, cz - 0.05 + 0.05 * f)
            ring = np.stack([cx + ax * f * np.cos(a), cy + ay * f * np.sin(a), z], 1)
            _poly(canvas, cam, ring, c)

    frame_c = (150, 152, 158)
    legs = [((x - 0.03, y - 0.03, 0.0), (x + 0.03, y + 0.03, 0.3)) for x in (-0.48, 0.48) for y in (-0.45, 1.8)]
    boxes = [(b, frame_c, None) for b in legs] + [
        (FRAME, frame_c, None), (HEADBOARD, (120, 122, 130), None), (FOOTBOARD, (120, 122, 130), None),
        (MATTRESS, tuple(int(c * 0.85) for c in look.sheet), sheet_top),
        (table_box(side), (int(rng.integers(90, 170)),) * 3, None)]
    order = sorted(boxes, key=functools.cmp_to_key(lambda a, b: _nearer(cam, a[0], b[0])))
    for (lo, hi), colour, top in order:
        _box(img, cam, lo, hi, colour, top)
    # A cup on the table.
    a = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    ring = np.stack([0.8 * side + 0.035 * np.cos(a), 0.2 + 0.035 * np.sin(a), np.zeros_like(a)], 1)
    uv_lo, _ = cam.project(ring + [0, 0, 0.72])
    uv_hi, _ = cam.project(ring + [0, 0, 0.8])
    hull = cv2.convexHull(np.round(np.concatenate([uv_lo, uv_hi]) * _S).astype(np.int32))
    cv2.fillConvexPoly(img, hull, (215, 215, 222), _AA, _SHIFT)
    cv2.fillPoly(img, [np.round(uv_hi * _S).astype(np.int32)], (240, 240, 244), _AA, _SHIFT)
    lm = light_map(look, h, w)
    return (img.astype(np.float32) * lm[..., None]).clip(0, 255).astype(np.uint8), side


def rail_segments() -> list[np.ndarray]:
    """The bed's side rails as 3-D polylines ``[N, 3]`` (drawn per frame: they can hide the patient)."""
    y0, y1 = RAILS_Y
    return [np.array([[x, y0, FRAME[1][2]], [x, y0, RAIL_Z], [x, y1, RAIL_Z], [x, y1, FRAME[1][2]]])
            for x in (-0.5, 0.5)]

"""Drawing the patient (and staff) far to near for any camera, and telling which joints stay seen.

The body is cut into parts (thighs, shins, torso, upper arms, forearms, head, blanket, bed rails,
a staff member), each drawn from its projected 3-D joints with widths scaled by the camera's
pixels-per-metre at that depth, in painter's order (farthest first). Every part also paints its
id into a label image, so after drawing, the label under a joint says whether the joint's own
limb is on top there or something nearer (the torso, the other leg, the blanket, a rail, a
person) hides it: that is the ground truth's visibility, self-occlusion included, for free.

Rules on top of the depth order: the blanket lies on the legs (drawn right after the last of
them) and an arm resting on the blanket stays on top of it.
"""
from __future__ import annotations

from typing import Callable, Optional

import cv2
import numpy as np

from inference.pose.joints import JOINT_INDEX as JI
from inference.pose.joints import NUM_JOINTS
from inference.synth.appearance import SubjectLook
from inference.synth.body import P
from inference.synth.body3d import torso_thickness
from inference.synth.camera import CeilingView, PinholeCamera
from inference.synth.render import _S, _SHIFT, PatientPainter, _mix, _pt, _scale, _tones, blob, capsule, light_map
from inference.synth.room import MATTRESS_TOP, rail_segments

# Part ids in the label image (0 = background).
THIGH = {"right": 1, "left": 3}
SHIN = {"right": 2, "left": 4}
TORSO, HEAD, BLANKET, RAIL, STAFF = 5, 10, 11, 12, 13
UPPER = {"right": 6, "left": 8}
FORE = {"right": 7, "left": 9}
LEGS = set(THIGH.values()) | set(SHIN.values())
ARMS = set(UPPER.values()) | set(FORE.values())


def _owners() -> list[set[int]]:
    """For each joint, the parts it belongs to: seen when one of them is on top at its pixel."""
    own: list[set[int]] = [set() for _ in range(NUM_JOINTS)]
    own[JI["head"]] = {HEAD}
    own[JI["neck"]] = {HEAD, TORSO}
    for s in ("right", "left"):
        own[JI[s + "_shoulder"]] = {TORSO, UPPER[s]}
        own[JI[s + "_elbow"]] = {UPPER[s], FORE[s]}
        own[JI[s + "_wrist"]] = {FORE[s]}
        own[JI[s + "_hip"]] = {TORSO, THIGH[s]}
        own[JI[s + "_knee"]] = {THIGH[s], SHIN[s]}
        own[JI[s + "_ankle"]] = {SHIN[s]}
    return own


OWNERS = _owners()


def _unit(v: np.ndarray) -> np.ndarray:
    return v / (np.linalg.norm(v) + 1e-9)


class DepthPainter:
    """Draws one recording's patient through ``view`` (a :class:`PinholeCamera` or the legacy
    ceiling view); ``blanket_top`` as in ``SubjectLook`` (None: no blanket); the staff walk
    beside the bed on ``staff_side`` (+-1) in the oblique views."""

    def __init__(self, look: SubjectLook, view: PinholeCamera | CeilingView, size: tuple[int, int],
                 blanket_top: Optional[float], staff_side: float = 1.0):
        self.look, self.view, self.size = look, view, size
        self.blanket_top = blanket_top
        self.staff_side = staff_side
        self.body = look.body
        w, h = size
        uv, _ = view.project(np.array([[0.0, 0.6, MATTRESS_TOP]]))
        lm = light_map(look, h, w)
        g = float(lm[int(np.clip(uv[0, 1], 0, h - 1)), int(np.clip(uv[0, 0], 0, w - 1))])
        self.light = np.array([np.cos(look.light_dir), np.sin(look.light_dir)]) * -1.0
        self.skin, self.gown, self.blanket = _tones(look.skin, g), _tones(look.gown, g), _tones(look.blanket, g)
        self.hair = _tones(look.head_wrap and (235, 235, 230) or look.hair, g)
        self.staff, self.staff_skin = _tones(look.staff_colour, g), _tones((200, 160, 130), g)
        self.rail = _tones((70, 72, 80), g)
        self.labels = np.zeros((h, w), np.uint8)
        # The top-down staff of the legacy painter in the ceiling view.
        self._flat = PatientPainter(look, view.cam, size) if isinstance(view, CeilingView) else None
        self._staff_mask = np.zeros((h, w), np.uint8)

    # -- drawing primitives that also paint the label image --------------------------------------
    def _cap(self, img, part, a, b, width, tones) -> None:
        capsule(img, a, b, width, tones, self.light)
        cv2.line(self.labels, _pt(a), _pt(b), part, max(1, int(round(width))), cv2.LINE_8, _SHIFT)

    def _blob(self, img, part, c, r, tones, ratio=1.0, angle=0.0) -> None:
        blob(img, c, r, tones, self.light, ratio, angle)
        ax = (max(1, int(round(r * _S))), max(1, int(round(r * ratio * _S))))
        cv2.ellipse(self.labels, _pt(c), ax, angle, 0, 360, part, -1, cv2.LINE_8, _SHIFT)

    def _fill(self, img, part, pts, colour, convex=False) -> None:
        q = np.round(np.asarray(pts) * _S).astype(np.int32)
        if convex:
            q = cv2.convexHull(q)
        cv2.fillPoly(img, [q], colour, cv2.LINE_AA, _SHIFT)
        cv2.fillPoly(self.labels, [q], part, cv2.LINE_8, _SHIFT)

    # -- the frame ----------------------------------------------------------------------------------
    def draw(self, img: np.ndarray, X: np.ndarray, p: np.ndarray,
             staff: Optional[tuple[float, float, float, float]] = None) -> tuple[np.ndarray, np.ndarray, float]:
        """Draw joints ``X`` ``[14, 3]`` with pose ``p`` (and a staff member ``(x, y, phase,
        direction)`` from the plan) into ``img``. Returns ``(uv [14, 2] pixels, seen [14] bool,
        head radius in pixels)``."""
        self.labels[:] = 0
        uv, depth = self.view.project(X)
        ppm = np.asarray(self.view.ppm(depth), float)
        items: list[tuple[float, int, Callable[[], None]]] = []
        b = self.body
        for s in ("right", "left"):
            hip, knee, ank = JI[s + "_hip"], JI[s + "_knee"], JI[s + "_ankle"]
            sh, el, wr = JI[s + "_shoulder"], JI[s + "_elbow"], JI[s + "_wrist"]
            limbs = ((THIGH[s], self._thigh, hip, knee), (SHIN[s], self._shin, knee, ank),
                     (UPPER[s], self._upper_arm, sh, el), (FORE[s], self._forearm, el, wr))
            for part, fn, a, c in limbs:
                items.append(((depth[a] + depth[c]) / 2, part, lambda fn=fn, s=s, a=a, c=c: fn(img, s, uv, ppm, a, c)))
        torso_joints = [JI["right_shoulder"], JI["left_shoulder"], JI["right_hip"], JI["left_hip"]]
        items.append((float(depth[torso_joints].mean()), TORSO, lambda: self._torso(img, X)))
        items.append(((depth[JI["head"]] + depth[JI["neck"]]) / 2, HEAD, lambda: self._head(img, uv, ppm, p)))
        if isinstance(self.view, PinholeCamera):
            for rail in rail_segments():
                r_uv, r_d = self.view.project(rail)
                items.append((float(r_d.mean()), RAIL, lambda r_uv=r_uv, r_d=r_d: self._rail(img, r_uv, r_d)))
            if staff is not None:
                items.append(self._standing_staff(img, staff))
        items.sort(key=lambda it: -it[0])
        order = [(part, fn) for _, part, fn in items]
        if self.blanket_top is not None:
            order = self._with_blanket(img, order, X, uv)
        for _, fn in order:
            fn()
        if self._flat is not None and staff is not None:  # legacy top-down staff, over everything
            self._staff_mask[:] = 0
            self._flat.draw_staff(img, self._staff_mask, *staff)
            self.labels[self._staff_mask > 0] = STAFF
        return uv, self._seen(uv), float(b.head_r * ppm[JI["head"]])

    def _seen(self, uv: np.ndarray) -> np.ndarray:
        h, w = self.labels.shape
        seen = np.zeros(NUM_JOINTS, bool)
        for j in range(NUM_JOINTS):
            x, y = int(round(uv[j, 0])), int(round(uv[j, 1]))
            if 0 <= x < w and 0 <= y < h:
                lab = int(self.labels[y, x])
                seen[j] = lab == 0 or lab in OWNERS[j]
        return seen

    def _with_blanket(self, img, order, X, uv):
        """Insert the blanket after the last leg part; arms whose hand or elbow lies on it go after it."""
        hull, draw = self._blanket(img, X)
        last_leg = max(i for i, (part, _) in enumerate(order) if part in LEGS)
        before, after = order[:last_leg + 1], order[last_leg + 1:]
        on = [(part, fn) for part, fn in before if part in ARMS and self._on_blanket(part, uv, hull)]
        before = [it for it in before if it not in on]
        return before + [(BLANKET, draw)] + on + after

    @staticmethod
    def _on_blanket(part: int, uv: np.ndarray, hull: np.ndarray) -> bool:
        side = "right" if part in (UPPER["right"], FORE["right"]) else "left"
        j = JI[side + ("_elbow" if part in UPPER.values() else "_wrist")]
        return cv2.pointPolygonTest(hull.astype(np.float32), (float(uv[j, 0]), float(uv[j, 1])), False) >= 0

    # -- parts ------------------------------------------------------------------------------------
    def _thigh(self, img, s, uv, ppm, hip, knee) -> None:
        self._cap(img, THIGH[s], uv[hip], uv[knee], self.body.leg_w * (ppm[hip] + ppm[knee]) / 2, self.gown)

    def _shin(self, img, s, uv, ppm, knee, ank) -> None:
        lw = self.body.leg_w * (ppm[knee] + ppm[ank]) / 2
        self._cap(img, SHIN[s], uv[knee], uv[ank], lw * 0.75, self.skin)
        self._blob(img, SHIN[s], uv[ank] + _unit(uv[ank] - uv[knee]) * lw * 0.5, lw * 0.42, self.skin)

    def _upper_arm(self, img, s, uv, ppm, sh, el) -> None:
        aw = self.body.arm_w * (ppm[sh] + ppm[el]) / 2
        self._cap(img, UPPER[s], uv[sh], uv[el], aw, self.skin)
        sleeve = self.look.sleeve
        end = uv[sh] + (uv[el] - uv[sh]) * min(sleeve, 1.0)
        self._cap(img, UPPER[s], uv[sh], end, aw * 1.15, self.gown)

    def _forearm(self, img, s, uv, ppm, el, wr) -> None:
        aw = self.body.arm_w * (ppm[el] + ppm[wr]) / 2
        self._cap(img, FORE[s], uv[el], uv[wr], aw * 0.85, self.skin)
        sleeve = self.look.sleeve
        if sleeve > 1.0:
            self._cap(img, FORE[s], uv[el], uv[el] + (uv[wr] - uv[el]) * (sleeve - 1.0), aw * 1.05, self.gown)
        d = _unit(uv[wr] - uv[el])
        aw = self.body.arm_w * ppm[wr]
        angle = float(np.degrees(np.arctan2(d[1], d[0])))
        self._blob(img, FORE[s], uv[wr] + d * aw * 0.45, aw * 0.55, self.skin, 0.8, angle)

    def _torso(self, img, X) -> None:
        """A gown-coloured slab: its outline (sides in shadow), then the top with the shoulder and
        hip rolls and a lighter band down the middle."""
        b, view = self.body, self.view
        rs, ls, rh, lh = (X[JI[n]] for n in ("right_shoulder", "left_shoulder", "right_hip", "left_hip"))
        out = _unit(np.array([*(ls - rs)[:2], 0.0]))
        pad = b.arm_w * 0.45
        quad = np.array([rs - out * pad, ls + out * pad, lh + out * pad * 1.2, rh - out * pad * 1.2])
        # Rounded cross-section, thinner at the shoulders: full width low down, the top inset.
        T = torso_thickness(b)
        centre = quad.mean(axis=0)
        rings = []
        for frac_in, height in ((0.0, 0.0), (0.0, 0.5), (0.3, 0.9)):
            ring = quad + (centre - quad) * np.array([frac_in, frac_in * 0.3, 0.0])
            ring[:, 2] = MATTRESS_TOP + T * height * np.array([0.75, 0.75, 1.0, 1.0])
            rings.append(ring)
        uv_all, _ = view.project(np.concatenate(rings))
        self._fill(img, TORSO, uv_all, self.gown[0], convex=True)
        lift = np.array([0.0, 0.0, T * 0.35])
        (rs_t, ls_t, rh_t, lh_t), d = view.project(np.array([rs, ls, rh, lh]) + lift)
        ppm = np.asarray(view.ppm(d), float)
        self._cap(img, TORSO, rs_t, ls_t, b.arm_w * ppm[:2].mean() * 1.1, self.gown)
        self._cap(img, TORSO, rh_t, lh_t, b.arm_w * ppm[2:].mean() * 1.2, self.gown)
        torso_w = float(np.linalg.norm(ls_t - rs_t))
        mid_top, mid_bot = (rs_t + ls_t) / 2, (rh_t + lh_t) / 2
        L = self.light
        cv2.line(img, _pt(mid_top + L * 3), _pt(mid_bot + L * 3), self.gown[1], max(1, int(torso_w * 0.75)),
                 cv2.LINE_AA, _SHIFT)
        cv2.line(img, _pt(mid_top + L * torso_w * 0.15), _pt(mid_bot + L * torso_w * 0.15), self.gown[2],
                 max(1, int(torso_w * 0.22)), cv2.LINE_AA, _SHIFT)

    def _head(self, img, uv, ppm, p) -> None:
        b = self.body
        neck, head = uv[JI["neck"]], uv[JI["head"]]
        r = b.head_r * ppm[JI["head"]]
        self._cap(img, HEAD, neck, neck + (head - neck) * 0.5, 0.08 * b.scale * ppm[JI["neck"]], self.skin)
        up = _unit(head - neck)
        self._blob(img, HEAD, head + up * r * 0.35, r * 1.12, self.hair)
        self._blob(img, HEAD, head, r * 0.92, self.skin, 1.1, float(np.degrees(np.arctan2(up[1], up[0]))))
        across = np.array([-up[1], up[0]])
        face = head + across * np.sin(p[P["head_turn"]]) * r * 0.5
        for s in (-1, 1):
            cv2.circle(img, _pt(face + up * r * 0.25 + across * s * r * 0.35), max(1, int(r * 0.13 * _S)),
                       _scale(self.skin[0], 0.5), -1, cv2.LINE_AA, _SHIFT)
        mo = float(np.clip(p[P["mouth"]], 0, 1))
        axes = (max(1, int(r * 0.3 * _S)), max(1, int(r * (0.06 + 0.2 * mo) * _S)))
        cv2.ellipse(img, _pt(face - up * r * 0.45), axes, float(np.degrees(np.arctan2(across[1], across[0]))),
                    0, 360, (90, 40, 40), -1, cv2.LINE_AA, _SHIFT)

    def _rail(self, img, r_uv, r_d) -> None:
        widths = 0.035 * np.asarray(self.view.ppm(r_d), float)
        for k in range(len(r_uv) - 1):
            self._cap(img, RAIL, r_uv[k], r_uv[k + 1], (widths[k] + widths[k + 1]) / 2, self.rail)

    def _blanket(self, img, X) -> tuple[np.ndarray, Callable[[], None]]:
        """The blanket's image outline ``[N, 2]`` and how to draw it: a sheet from ``blanket_top``
        of the thighs over the knees and feet, raised over the legs and draped to the mattress."""
        b, view = self.body, self.view
        tops, knees, feet = [], [], []
        for s in ("right", "left"):
            hip, knee, ank = X[JI[s + "_hip"]], X[JI[s + "_knee"]], X[JI[s + "_ankle"]]
            tops.append(hip + (knee - hip) * self.blanket_top)
            knees.append(knee)
            feet.append(ank + _unit(ank - knee) * b.leg_w * 0.8)
        ridge = np.array(tops + knees + feet) + np.array([0.0, 0.0, b.leg_w / 2 + 0.03])
        centre = ridge[:, :2].mean(axis=0)
        spread = ridge.copy()
        spread[:, :2] += np.array([_unit(q) for q in ridge[:, :2] - centre]) * b.leg_w * 0.7
        drape = spread.copy()
        drape[:, 2] = MATTRESS_TOP + 0.02
        uv, _ = view.project(np.concatenate([spread, drape]))
        hull = cv2.convexHull(np.round(uv * _S).astype(np.int32))
        r_uv, r_d = view.project(ridge)
        ppm = np.asarray(view.ppm(r_d), float)

        def draw() -> None:
            tone = self.blanket
            cv2.fillConvexPoly(img, hull, tone[1], cv2.LINE_AA, _SHIFT)
            cv2.fillConvexPoly(self.labels, hull, BLANKET, cv2.LINE_8, _SHIFT)
            lw = b.leg_w * float(ppm.mean())
            cv2.polylines(img, [hull], True, tone[0], max(1, int(lw * 0.12)), cv2.LINE_AA, _SHIFT)
            bulge = (tone[1], _mix(tone[1], tone[2], 0.45), _mix(tone[1], tone[2], 0.8))
            for k in range(2):  # top -> knee -> foot of each leg
                capsule(img, r_uv[k], r_uv[2 + k], b.leg_w * 1.2 * ppm[[k, 2 + k]].mean(), bulge, self.light)
                capsule(img, r_uv[2 + k], r_uv[4 + k], b.leg_w * ppm[[2 + k, 4 + k]].mean(), bulge, self.light)
            cv2.line(img, _pt(r_uv[2:4].mean(0)), _pt(r_uv[4:6].mean(0)), tone[0], max(1, int(lw * 0.15)),
                     cv2.LINE_AA, _SHIFT)
            cv2.line(img, _pt(r_uv[0]), _pt(r_uv[1]), tone[2], max(1, int(lw * 0.35)), cv2.LINE_AA, _SHIFT)
        return hull.reshape(-1, 2) / _S, draw

    def _standing_staff(self, img, staff) -> tuple[float, int, Callable[[], None]]:
        """A nurse walking along the bed on the free side (the plan's crossing, mapped onto the
        bed's length), stopping by the patient where the plan pauses."""
        x, y, phase, direction = staff
        progress = (x + 1.6) / 3.2  # the plan walks x from -1.6 to 1.6 (or back)
        wx = self.staff_side * (0.8 + 0.25 * (y - 0.15))
        wy = -0.6 + 2.8 * progress
        fwd = np.array([0.0, np.sign(direction) or 1.0, 0.0])
        across = np.array([1.0, 0.0, 0.0])
        swing = np.sin(phase * 2 * np.pi) * 0.25
        base = np.array([wx, wy, 0.0])
        parts3 = {
            "legs": [(base + across * s * 0.1 + [0, 0, 0.9], base + across * s * 0.12 + fwd * swing * s + [0, 0, 0.03])
                     for s in (-1, 1)],
            "torso": (base + [0, 0, 0.92], base + [0, 0, 1.42]),
            "arms": [(base + across * s * 0.2 + [0, 0, 1.4], base + across * s * 0.25 - fwd * swing * s + [0, 0, 0.8])
                     for s in (-1, 1)],
            "head": base + [0, 0, 1.63],
        }
        _, dc = self.view.project(np.array([base + [0, 0, 1.1]]))

        def draw() -> None:
            view = self.view

            def seg(a, bb, width, tones):
                (pa, pb), d = view.project(np.array([a, bb]))
                self._cap(img, STAFF, pa, pb, width * float(np.mean(view.ppm(d))), tones)
                return pb, float(np.mean(view.ppm(d)))
            for a, bb in parts3["legs"]:
                seg(a, bb, 0.15, _tones((60, 60, 70), 1.0))
            seg(*parts3["torso"], 0.38, self.staff)
            for a, bb in parts3["arms"]:
                hand, k = seg(a, bb, 0.09, self.staff)
                self._blob(img, STAFF, hand, 0.05 * k, self.staff_skin)
            (hc,), d = view.project(parts3["head"][None])
            r = 0.1 * float(view.ppm(d)[0])
            self._blob(img, STAFF, hc, r, _tones((50, 40, 35), 1.0))
            self._blob(img, STAFF, hc + np.array([0.0, r * 0.2]), r * 0.8, self.staff_skin)
        return float(dc[0]), STAFF, draw

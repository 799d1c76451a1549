"""The patient's 14-joint body model: pose parameters and forward kinematics.

Bodies live in a bed frame in metres: x across the bed (patient's right is -x, as seen by a
ceiling camera with the head at the top), y along it (head at small y). A pose is a flat vector
of named parameters (indices below) so behaviours can add and blend them cheaply; the joint
positions follow from :func:`forward`. The camera maps bed metres to pixels with an affine map.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inference.pose.joints import JOINT_INDEX, NUM_JOINTS

# -- pose parameter vector -----------------------------------------------------------------------
PARAMS = (
    "dx", "dy", "rot", "lean", "breath", "head_turn", "head_tilt", "mouth",
    "r_sh", "l_sh", "r_el", "l_el", "r_lift", "l_lift", "r_shrug", "l_shrug",
    "r_hand_x", "r_hand_y", "l_hand_x", "l_hand_y",
    "r_hip", "l_hip", "r_knee", "l_knee",
)
P = {name: i for i, name in enumerate(PARAMS)}
NUM_PARAMS = len(PARAMS)

# Which side sign each lateral prefix has: the patient's right is -x in the bed frame.
SIDE_SIGN = {"r": -1.0, "l": 1.0}


def rest_pose() -> np.ndarray:
    """``[NUM_PARAMS]`` lying on the back, arms along the body, legs straight."""
    p = np.zeros(NUM_PARAMS, dtype=np.float64)
    p[P["r_sh"]] = p[P["l_sh"]] = 0.18
    p[P["r_el"]] = p[P["l_el"]] = 0.15
    p[P["r_hip"]] = p[P["l_hip"]] = 0.06
    return p


@dataclass(frozen=True)
class BodyShape:
    """Segment lengths and widths in metres for one subject (``scale`` ~ height / 1.7 m)."""

    scale: float = 1.0
    girth: float = 1.0  # width multiplier (slim .. broad)

    @property
    def torso(self) -> float: return 0.52 * self.scale
    @property
    def neck(self) -> float: return 0.21 * self.scale
    @property
    def shoulder_w(self) -> float: return 0.40 * self.scale * self.girth
    @property
    def hip_w(self) -> float: return 0.28 * self.scale * self.girth
    @property
    def upper_arm(self) -> float: return 0.29 * self.scale
    @property
    def forearm(self) -> float: return 0.27 * self.scale
    @property
    def thigh(self) -> float: return 0.44 * self.scale
    @property
    def shin(self) -> float: return 0.42 * self.scale
    @property
    def head_r(self) -> float: return 0.095 * self.scale
    @property
    def arm_w(self) -> float: return 0.085 * self.scale * self.girth
    @property
    def leg_w(self) -> float: return 0.13 * self.scale * self.girth
    # Pelvis centre in the bed frame at rest.
    @property
    def pelvis_y(self) -> float: return 0.62 * self.scale


def _rot(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s], [s, c]])


def forward(p: np.ndarray, body: BodyShape) -> np.ndarray:
    """Joint positions ``[14, 2]`` (bed metres, JOINT_NAMES order) for pose vector ``p``."""
    J = np.zeros((NUM_JOINTS, 2), dtype=np.float64)
    pelvis = np.array([p[P["dx"]], body.pelvis_y + p[P["dy"]]])
    r_body = _rot(p[P["rot"]])
    r_upper = _rot(p[P["rot"]] + p[P["lean"]])
    down_u = r_upper @ np.array([0.0, 1.0])
    neck = pelvis + r_upper @ np.array([0.0, -body.torso])
    J[JOINT_INDEX["neck"]] = neck
    head_dir = _rot(p[P["rot"]] + p[P["lean"]] + p[P["head_turn"]]) @ np.array([0.0, -1.0])
    J[JOINT_INDEX["head"]] = neck + head_dir * body.neck * (1.0 - 0.35 * p[P["head_tilt"]])
    chest = 1.0 + 0.04 * p[P["breath"]]
    for side, sgn in SIDE_SIGN.items():
        name = "right" if side == "r" else "left"
        sh = neck + r_upper @ np.array([sgn * body.shoulder_w / 2 * chest,
                                        0.02 * body.scale - p[P[side + "_shrug"]]])
        J[JOINT_INDEX[name + "_shoulder"]] = sh
        lift = 1.0 - 0.55 * float(np.clip(p[P[side + "_lift"]], 0.0, 1.0))
        upper_dir = _rot(-sgn * p[P[side + "_sh"]]) @ down_u
        el = sh + upper_dir * body.upper_arm * lift
        fore_dir = _rot(sgn * p[P[side + "_el"]]) @ upper_dir
        wr = el + fore_dir * body.forearm * lift + r_upper @ np.array(
            [p[P[side + "_hand_x"]], p[P[side + "_hand_y"]]])
        J[JOINT_INDEX[name + "_elbow"]] = el
        J[JOINT_INDEX[name + "_wrist"]] = wr
        hip = pelvis + r_body @ np.array([sgn * body.hip_w / 2, 0.0])
        J[JOINT_INDEX[name + "_hip"]] = hip
        leg_dir = _rot(-sgn * p[P[side + "_hip"]]) @ (r_body @ np.array([0.0, 1.0]))
        # Knee bent up (foot flat on the bed): the thigh rises toward the camera and shortens.
        k = float(np.clip(p[P[side + "_knee"]], 0.0, 2.2))
        knee = hip + leg_dir * body.thigh * np.cos(k / 2)
        J[JOINT_INDEX[name + "_knee"]] = knee
        J[JOINT_INDEX[name + "_ankle"]] = knee + leg_dir * body.shin * np.cos(k / 2)
    return J


@dataclass(frozen=True)
class Camera:
    """Affine map from bed metres to pixels: ``px = A @ xy + b``.

    ``A = ppm * R(angle) @ diag(1, tilt)``: ``ppm`` pixels per metre (zoom), ``angle`` the
    camera's roll in the image plane, ``tilt`` < 1 foreshortens the bed's length (oblique view).
    """

    A: np.ndarray  # [2, 2]
    b: np.ndarray  # [2]
    ppm: float

    def to_px(self, xy: np.ndarray) -> np.ndarray:
        return xy @ self.A.T + self.b

    @staticmethod
    def fit(size: tuple[int, int], angle: float, tilt: float, zoom: float, offset: tuple[float, float],
            extent: np.ndarray) -> "Camera":
        """A camera whose view holds the bed-frame points ``extent`` ``[N, 2]`` scaled by ``zoom``
        (<= 1 keeps them inside), shifted by ``offset`` (fractions of the leftover margin)."""
        w, h = size
        M = _rot(angle) @ np.diag([1.0, tilt])
        pts = extent @ M.T
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        span = hi - lo
        ppm = zoom * min(w * 0.96 / span[0], h * 0.96 / span[1])
        centre_bed = (lo + hi) / 2 * ppm
        margin = np.array([w, h]) - span * ppm
        centre_px = np.array([w / 2, h / 2]) + np.asarray(offset) * np.maximum(margin, 0) / 2
        return Camera(A=ppm * M, b=centre_px - centre_bed, ppm=float(ppm))

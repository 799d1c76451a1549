"""The patient's joints in 3-D: the 2-D bed-frame kinematics of :mod:`inference.synth.body` plus
heights, for the oblique cameras.

:func:`forward3d` keeps ``forward``'s (x, y) exactly and adds ``z`` (metres above the floor): the
body lies on the mattress with each joint at the centre of its limb's thickness; what the 2-D model
shows as foreshortening becomes height — a lifted arm (``*_lift`` shortens the arm) rises, a bent
knee (the thigh shortens) points up, a tilted head (the neck shortens) comes off the pillow; hands
resting on the chest or belly lie on top of the torso, not inside it.
"""
from __future__ import annotations

import numpy as np

from inference.pose.joints import JOINT_INDEX as JI
from inference.synth.body import BodyShape, P, forward
from inference.synth.room import MATTRESS_TOP, PILLOW


def torso_thickness(body: BodyShape) -> float:
    return 0.21 * body.scale * body.girth


def _rise(length: float, shortening: float) -> float:
    """Height gained by a segment of ``length`` whose ground projection is ``shortening`` x as long."""
    f = float(np.clip(shortening, 0.0, 1.0))
    return length * float(np.sqrt(1.0 - f * f))


def _seg_dist(q: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    ab = b - a
    u = float(np.clip(np.dot(q - a, ab) / (np.dot(ab, ab) + 1e-12), 0.0, 1.0))
    return float(np.linalg.norm(q - (a + u * ab)))


def forward3d(p: np.ndarray, body: BodyShape) -> np.ndarray:
    """Joint positions ``[14, 3]`` (bed metres, z up from the floor) for pose vector ``p``;
    ``[:, :2]`` equals :func:`inference.synth.body.forward`."""
    J2 = forward(p, body)
    z = np.empty(len(J2))
    T = torso_thickness(body)
    mid = MATTRESS_TOP + T / 2
    for name in ("neck", "right_shoulder", "left_shoulder"):
        z[JI[name]] = mid - 0.1 * T  # the trunk is thinner at the shoulders
    for name in ("right_hip", "left_hip"):
        z[JI[name]] = MATTRESS_TOP + 0.45 * T
    # Head on the pillow, the head joint at the face; a forward tilt lifts it off.
    tilt = max(0.0, float(p[P["head_tilt"]]))
    z[JI["head"]] = PILLOW[2] + 2.0 * body.head_r + _rise(body.neck, 1.0 - 0.35 * tilt)
    neck, pelvis = J2[JI["neck"]], (J2[JI["right_hip"]] + J2[JI["left_hip"]]) / 2
    for side in ("right", "left"):
        s = side[0]
        el, wr = JI[side + "_elbow"], JI[side + "_wrist"]
        lift = 1.0 - 0.55 * float(np.clip(p[P[s + "_lift"]], 0.0, 1.0))
        for j, rise in ((el, _rise(body.upper_arm, lift)),
                        (wr, _rise(body.upper_arm, lift) + _rise(body.forearm, lift))):
            # Over the trunk or a thigh the arm rests on it (a soft edge: a hand slides on and off).
            d = _seg_dist(J2[j], neck, pelvis)
            on = float(np.clip((body.shoulder_w / 2 + 0.03 - d) / 0.06, 0.0, 1.0)) * T * 0.9
            for leg in ("right", "left"):
                d = _seg_dist(J2[j], J2[JI[leg + "_hip"]], J2[JI[leg + "_knee"]])
                on = max(on, float(np.clip((body.leg_w / 2 + 0.02 - d) / 0.04, 0.0, 1.0)) * body.leg_w)
            z[j] = MATTRESS_TOP + body.arm_w / 2 + on + rise
        knee, ank = JI[side + "_knee"], JI[side + "_ankle"]
        k = float(np.clip(p[P[s + "_knee"]], 0.0, 2.2))
        leg = MATTRESS_TOP + body.leg_w / 2
        z[knee] = leg + body.thigh * np.sin(k / 2)
        z[ank] = max(leg, z[knee] - body.shin * np.sin(k / 2))
    return np.concatenate([J2, z[:, None]], axis=1)

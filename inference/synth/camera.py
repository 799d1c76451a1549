"""Where the synthetic EMU camera hangs: placements and the 3-D pinhole camera of the oblique ones.

World coordinates are the bed frame of :mod:`inference.synth.body` (x across the bed, patient's
right at -x; y along it, head at small y; metres) plus ``z``, the height above the floor. That
triple is left-handed (the legacy ceiling view has image x = bed x and image y = bed y), so the
look-at construction takes the image's right as ``up x forward`` rather than ``forward x up``.

Placements:

- ``ceiling``: straight down, the legacy affine view (:class:`inference.synth.body.Camera`); the
  default, and unchanged so existing seeds render the same bytes.
- ``corner``: high in a room corner (2.3-2.8 m), mostly one of the two at the foot end, looking
  obliquely down at the bed with perspective.
- ``foot``: on the wall at the foot end of the bed (2.0-2.6 m), looking along the bed toward the
  head: the feet are near and large, the head far and small.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from inference.synth.body import Camera

PLACEMENTS = ("ceiling", "corner", "foot")
CAMERA_CHOICES = PLACEMENTS + ("mixed",)
UP = np.array([0.0, 0.0, 1.0])
# Height of the legacy ceiling camera: only orders depths in the affine view (nearer = higher).
CEILING_Z = 2.8


@dataclass(frozen=True)
class PinholeCamera:
    """A pinhole camera: ``uv = f * (x, y) / z + c`` in camera coordinates ``R @ (X - C)``
    (x right, y down in the image, z forward).

    ``R`` ``[3, 3]`` world-to-camera rotation, ``C`` ``[3]`` position (metres), ``f`` focal
    length in pixels, ``c`` ``[2]`` principal point (pixels).
    """

    R: np.ndarray
    C: np.ndarray
    f: float
    c: np.ndarray
    placement: str
    target: np.ndarray  # [3] the point it looks at

    def project(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``X`` ``[N, 3]`` world points -> ``(uv [N, 2] pixels, depth [N] metres along the axis)``."""
        Xc = (np.asarray(X, dtype=np.float64) - self.C) @ self.R.T
        depth = np.maximum(Xc[:, 2], 1e-3)  # points behind the camera never occur in the room
        return Xc[:, :2] / depth[:, None] * self.f + self.c, depth

    def ppm(self, depth: np.ndarray | float) -> np.ndarray | float:
        """Pixels per metre of a small object at ``depth``."""
        return self.f / depth

    def rays(self, size: tuple[int, int]) -> np.ndarray:
        """World directions ``[h, w, 3]`` (float32, unnormalised) through every pixel centre."""
        w, h = size
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        d = np.stack([(xx - self.c[0]) / self.f, (yy - self.c[1]) / self.f, np.ones_like(xx)], axis=-1)
        return d @ self.R.astype(np.float32)

    def summary(self) -> dict[str, Any]:
        return {"placement": self.placement, "position_m": [round(float(v), 3) for v in self.C],
                "look_at_m": [round(float(v), 3) for v in self.target], "focal_px": round(self.f, 2),
                "principal_point_px": [round(float(v), 2) for v in self.c]}


@dataclass(frozen=True)
class CeilingView:
    """The legacy affine ceiling camera seen through the 3-D interface: the height only orders depth."""

    cam: Camera
    placement: str = "ceiling"

    def project(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        X = np.asarray(X, dtype=np.float64)
        return self.cam.to_px(X[:, :2]), CEILING_Z - X[:, 2]

    def ppm(self, depth: np.ndarray | float) -> np.ndarray | float:
        return np.full(np.shape(depth), self.cam.ppm) if np.ndim(depth) else self.cam.ppm

    def summary(self) -> dict[str, Any]:
        return {"placement": "ceiling"}


def look_at(C: np.ndarray, target: np.ndarray, roll: float = 0.0) -> np.ndarray:
    """World-to-camera rotation ``[3, 3]`` (rows: image right, image down, forward)."""
    fwd = (target - C) / np.linalg.norm(target - C)
    right = np.cross(UP, fwd)  # left-handed world: see the module docstring
    right /= np.linalg.norm(right)
    down = -UP + np.dot(UP, fwd) * fwd
    down /= np.linalg.norm(down)
    cr, sr = np.cos(roll), np.sin(roll)
    return np.stack([cr * right + sr * down, -sr * right + cr * down, fwd])


def fit_pinhole(size: tuple[int, int], C: np.ndarray, target: np.ndarray, roll: float, zoom: float,
                offset: tuple[float, float], extent: np.ndarray, placement: str) -> PinholeCamera:
    """A camera at ``C`` looking at ``target`` whose view holds the world points ``extent``
    ``[N, 3]`` scaled by ``zoom`` (<= 1 keeps them inside), shifted by ``offset`` (fractions of the
    leftover margin), as :meth:`inference.synth.body.Camera.fit` does for the affine view."""
    w, h = size
    R = look_at(C, target, roll)
    Xc = (extent - C) @ R.T
    n = Xc[:, :2] / Xc[:, 2:3]
    lo, hi = n.min(axis=0), n.max(axis=0)
    span = hi - lo
    f = zoom * min(w * 0.96 / span[0], h * 0.96 / span[1])
    margin = np.array([w, h]) - span * f
    centre_px = np.array([w / 2, h / 2]) + np.asarray(offset) * np.maximum(margin, 0) / 2
    return PinholeCamera(R, np.asarray(C, float), float(f), centre_px - (lo + hi) / 2 * f, placement,
                         np.asarray(target, float))


@dataclass(frozen=True)
class Mount:
    """Where one subject's room has its camera (before the per-recording jitter)."""

    placement: str
    position: tuple[float, float, float]
    target: tuple[float, float, float]


def sample_mount(placement: str, rng: np.random.Generator) -> Mount:
    """A subject's camera mount for ``corner`` or ``foot``."""
    if placement == "corner":
        side = float(rng.choice([-1.0, 1.0]))
        foot_end = rng.random() < 0.75  # a corner at the foot end is the usual EMU mount
        pos = (side * float(rng.uniform(1.55, 1.9)), float(rng.uniform(2.9, 3.3)) if foot_end else
               float(rng.uniform(-0.7, -0.55)), float(rng.uniform(2.3, 2.8)))
        tgt = (float(rng.normal(0, 0.08)), float(rng.uniform(0.55, 0.85)), 0.6)
    elif placement == "foot":
        pos = (float(rng.normal(0, 0.15)), float(rng.uniform(3.0, 3.4)), float(rng.uniform(2.0, 2.6)))
        tgt = (float(rng.normal(0, 0.05)), float(rng.uniform(0.45, 0.7)), 0.6)
    else:
        raise ValueError(f"no 3-D mount for placement {placement!r}")
    return Mount(placement, pos, tgt)


def mounted_camera(mount: Mount, size: tuple[int, int], zoom: float, offset: tuple[float, float],
                   extent: np.ndarray, rng: np.random.Generator) -> PinholeCamera:
    """The camera of one recording: the subject's mount moved by a few centimetres."""
    C = np.array(mount.position) + rng.normal(0, 0.03, 3)
    T = np.array(mount.target) + rng.normal(0, 0.03, 3)
    return fit_pinhole(size, C, T, float(rng.normal(0, 0.02)), zoom, offset, extent, mount.placement)

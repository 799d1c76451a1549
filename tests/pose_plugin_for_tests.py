"""A stateless pose backend for tests, loaded through SEMIOSCOPE_POSE_PLUGINS (also in worker
processes): each joint is placed from the frame's pixels alone, so any split of a video into
chunks gives exactly the same track."""
from __future__ import annotations

import numpy as np

from inference.pose.backend import PoseBackend
from inference.pose.registry import register_backend


class PixelPose(PoseBackend):
    name = "pixel-test"

    def __init__(self, cfg, **kwargs):
        self.cfg = cfg

    def params(self):
        return {"kind": "pixel-test"}

    def start(self, frame_size):
        self.size = frame_size

    def process(self, t, rgb):
        grey = rgb.mean(axis=2)
        ys, xs = np.nonzero(grey > grey.mean())
        cx, cy = (xs.mean(), ys.mean()) if len(xs) else (0.0, 0.0)
        xy = np.stack([cx + np.arange(14), cy + np.arange(14)], axis=1).astype(np.float32)
        return xy, np.ones(14, np.float32)

    def close(self):
        pass


register_backend("pixel-test", lambda cfg, **kw: PixelPose(cfg, **kw))

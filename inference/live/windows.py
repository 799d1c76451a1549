"""From sampled live frames to the detector's windows, causally.

Samples arrive in order on the night's 6 fps grid (sample ``j`` at ``j / 6`` s); a sample that
never arrives (camera down, dropped because processing was behind, undecodable) is known as
missing when a later one arrives, with the reason the reader recorded. Each sample gets its
keypoints (a live pose backend, or a keypoint file looked up at the frame's own source
timestamp), is cleaned with the engine's rules over its neighbours (``max_gap_s`` of
look-ahead, so a result waits that long) and cropped into its 14 joint tiles once, as the
engine's producer does; a window is cut from the last 30 samples' tiles every stride.

The window rules are the engine's: a window with a missing sample is a gap (its reason), one
with no joint present is ``no person``, one under ``min_joints`` is ``partial pose``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from inference.core.config import ClipConfig, PoseConfig
from inference.core.errors import SemioscopeError
from inference.detector.clips import MIN_PRESENT_FRACTION, JointClips, crop_joint_clips, enough_joints
from inference.pose.cleaning import clean_track
from inference.pose.joints import NUM_JOINTS
from inference.pose.keypoint_files import keypoints_fingerprint, load_keypoints, sidecar_path
from inference.pose.keypoints import KeypointTrack
from inference.pose.registry import available_backends, get_backend
from inference.results.result_file import GAP_DECODE, GAP_NO_PERSON, GAP_PARTIAL_POSE

# Which reason a window with several kinds of missing samples gets (first listed wins).
GAP_CAMERA_DOWN = "camera down"
GAP_BEHIND = "behind"
REASON_ORDER = (GAP_CAMERA_DOWN, GAP_BEHIND, GAP_DECODE)


@dataclass
class Sample:
    """A sampled frame: grid index ``j``, night time, the source's own timestamp, RGB pixels,
    and ``arrived`` (``time.monotonic()`` when the frame was read, for the processing lag)."""

    j: int
    night_s: float
    source_s: float
    rgb: np.ndarray
    arrived: float


@dataclass
class LiveWindow:
    """Window ``index`` over ``[start_s, end_s)``: clips for the model, or why it has none."""

    index: int
    start_s: float
    end_s: float
    clips: Optional[JointClips] = None
    reason: Optional[str] = None
    arrived: float = 0.0  # when its last sample was read (monotonic)


class KeypointProvider:
    """Keypoints of a sample: a live pose backend (``backend``), or a known track (``track``)
    looked up at the sample's source timestamp (nearest within half a sampling step)."""

    def __init__(self, fps: float, backend: Any = None, track: Optional[KeypointTrack] = None):
        if (backend is None) == (track is None):
            raise ValueError("a keypoint provider needs a pose backend or a keypoint track")
        self.backend = backend
        self.track = track
        self.tolerance_s = 0.5 / fps
        self._started = False

    @property
    def name(self) -> str:
        return self.backend.name if self.backend is not None else self.track.source

    def __call__(self, s: Sample) -> tuple[np.ndarray, np.ndarray]:
        if self.backend is not None:
            if not self._started:
                self.backend.start((s.rgb.shape[1], s.rgb.shape[0]))
                self._started = True
            return self.backend.process(s.night_s, s.rgb)
        r = self.track.resample(np.array([s.source_s]), tolerance_s=self.tolerance_s)
        return r.xy[0], r.conf[0]

    def close(self) -> None:
        if self.backend is not None and self._started:
            self.backend.close()


def open_keypoints(spec: str, source: str, fps: float, pose: PoseConfig) -> tuple[KeypointProvider, dict[str, Any]]:
    """The keypoints named by ``--keypoints``: a pose backend's name (``mediapipe``, ``onnx``),
    ``gt`` (the synthetic sidecar ``<stem>.keypoints.npz`` of a followed file) or a keypoint
    file, looked up at the stream's own timestamps (the sender must keep the file's timestamps,
    as ``inference.live.sender`` and ``ffmpeg -copyts`` do). Returns the provider and its
    identity for the result file."""
    if spec in available_backends() and spec != "file":
        backend = get_backend(spec, pose.replace(backend=spec))
        return KeypointProvider(fps, backend=backend), {"kind": "pose", "backend": backend.name,
                                                        "params": backend.params(), "pose": pose.to_dict()}
    if spec == "gt":
        if "://" in source or source.startswith("/dev/"):
            raise SemioscopeError("--keypoints gt needs a file source (its <stem>.keypoints.npz); "
                                  "for a stream, give the keypoint file: --keypoints FILE")
        spec = str(sidecar_path(source))
    track = load_keypoints(spec)
    return KeypointProvider(fps, track=track), {"kind": "file", "file": Path(spec).name,
                                                "fingerprint": keypoints_fingerprint(spec), "pose": pose.to_dict(),
                                                "time": "source timestamps"}


class LiveWindower:
    """Turn samples into :class:`LiveWindow` s; ``add(sample)`` / ``finish(n_samples)`` return
    the windows completed by it.

    ``missing_reason(j)`` says why sample ``j`` never came (the reader's record). The raw
    keypoints of every sample read are kept (``kp_*``; 6 fps, ~170 bytes a sample) for the
    night's result; frames and tiles only for the current window.
    """

    def __init__(self, fps: float, window_len: int, step: int, clip_config: ClipConfig, pose: PoseConfig,
                 keypoints: KeypointProvider, missing_reason: Callable[[int], str]):
        self.fps = fps
        self.window_len = window_len
        self.step = step
        self.clip_config = clip_config
        self.pose = pose
        self.keypoints = keypoints
        self.missing_reason = missing_reason
        self.ahead = int(math.ceil(pose.max_gap_s * fps)) + 1  # cleaning look-ahead, samples
        self.next_sample = 0  # every sample before this has arrived or is known missing
        self.next_window = 0
        self.frame_size: Optional[tuple[int, int]] = None
        self._raw: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # recent raw keypoints (cleaning context)
        self._pending: dict[int, Sample] = {}  # frames waiting for their cleaned keypoints
        self._tiles: dict[int, Any] = {}  # j -> (clips [14,3,S,S], positions [14,3]) or a missing reason
        self._arrived: dict[int, float] = {}
        self.kp_times: list[float] = []
        self.kp_xy: list[np.ndarray] = []
        self.kp_conf: list[np.ndarray] = []

    # -- input ----------------------------------------------------------------------------
    def add(self, s: Sample) -> list[LiveWindow]:
        if s.j < self.next_sample:
            return []  # late duplicate
        for j in range(self.next_sample, s.j):
            self._tiles[j] = self.missing_reason(j)
        self.next_sample = s.j + 1
        if self.frame_size is None:
            self.frame_size = (s.rgb.shape[1], s.rgb.shape[0])
        xy, conf = self.keypoints(s)
        xy = np.asarray(xy, dtype=np.float32).reshape(NUM_JOINTS, 2)
        conf = np.asarray(conf, dtype=np.float32).reshape(NUM_JOINTS)
        self._raw[s.j] = (xy, conf)
        self._arrived[s.j] = s.arrived
        self.kp_times.append(s.j / self.fps)
        self.kp_xy.append(xy)
        self.kp_conf.append(conf)
        self._pending[s.j] = s
        self._crop(upto=s.j + 1 - self.ahead)
        return self._windows()

    def finish(self, n_samples: int) -> list[LiveWindow]:
        """The stream ended with ``n_samples`` grid points: crop what waits, cut the last windows."""
        for j in range(self.next_sample, n_samples):
            self._tiles[j] = self.missing_reason(j)
        self.next_sample = max(self.next_sample, n_samples)
        self._crop(upto=self.next_sample)
        return self._windows()

    def keypoint_track(self) -> Optional[KeypointTrack]:
        """The raw keypoints of every sample read, cleaned as a whole track (None before a frame)."""
        if not self.kp_times or self.frame_size is None:
            return None
        raw = KeypointTrack(np.array(self.kp_times), np.stack(self.kp_xy), np.stack(self.kp_conf),
                            self.frame_size, self.keypoints.name, {"cleaned": False, "live": True})
        track = clean_track(raw, self.pose)
        track.meta = dict(track.meta, cleaned=True)
        return track

    # -- internals ------------------------------------------------------------------------
    def _crop(self, upto: int) -> None:
        """Crop the pending samples before ``upto`` with keypoints cleaned over their neighbours."""
        idx = sorted(j for j in self._pending if j < upto)
        if not idx:
            return
        near = sorted(j for j in self._raw if idx[0] - self.ahead <= j <= idx[-1] + self.ahead)
        local = KeypointTrack(np.array(near, dtype=np.float64) / self.fps,
                              np.stack([self._raw[j][0] for j in near]),
                              np.stack([self._raw[j][1] for j in near]), self.frame_size, self.keypoints.name)
        clean = clean_track(local, self.pose)
        where = np.searchsorted(near, idx)
        jc = crop_joint_clips(np.stack([self._pending[j].rgb for j in idx]), clean.xy[where], clean.conf[where],
                              self.clip_config)
        for k, j in enumerate(idx):
            self._tiles[j] = (jc.clips[:, k], jc.positions[:, k])
            del self._pending[j]
        for j in [j for j in self._raw if j < upto - 2 * self.ahead]:
            del self._raw[j]

    def _resolved_upto(self) -> int:
        """Samples before this are cropped or known missing."""
        first_pending = min(self._pending) if self._pending else self.next_sample
        return min(first_pending, self.next_sample)

    def _windows(self) -> list[LiveWindow]:
        out = []
        ready = self._resolved_upto()
        while self.next_window * self.step + self.window_len <= ready:
            w = self.next_window
            a = w * self.step
            out.append(self._window(w, a, a + self.window_len))
            self.next_window += 1
            for j in [j for j in self._tiles if j < self.next_window * self.step]:
                del self._tiles[j]
                self._arrived.pop(j, None)
        return out

    def _window(self, w: int, a: int, b: int) -> LiveWindow:
        start = a / self.fps
        win = LiveWindow(w, start, start + self.window_len / self.fps,
                         arrived=max((self._arrived.get(j, 0.0) for j in range(a, b)), default=0.0))
        tiles = [self._tiles.get(j, GAP_DECODE) for j in range(a, b)]
        reasons = {t for t in tiles if isinstance(t, str)}
        if reasons:
            win.reason = next((r for r in REASON_ORDER if r in reasons), sorted(reasons)[0])
            return win
        clips = np.stack([t[0] for t in tiles], axis=1)  # [14, T, 3, S, S]
        positions = np.stack([t[1] for t in tiles], axis=1)  # [14, T, 3]
        mask = (positions[..., 2] > 0).mean(axis=1) >= MIN_PRESENT_FRACTION
        if not mask.any():
            win.reason = GAP_NO_PERSON
        elif not enough_joints(mask, self.clip_config.min_joints):
            win.reason = GAP_PARTIAL_POSE
        else:
            win.clips = JointClips(clips=clips, positions=positions, mask=mask)
        return win

"""Cleaning a raw pose track: drop unsure joints, bridge short gaps, optionally smooth, pick the patient.

Rules (``PoseConfig``):

1. **Confidence.** A joint whose confidence is below ``min_confidence`` (or whose coordinates
   are not finite) is missing: ``xy`` NaN, ``conf`` 0.
2. **Short gaps.** A run of missing samples lasting at most ``max_gap_s`` (``n`` missing
   samples at a sampling period ``dt`` last ``n * dt``), with a present sample on both sides,
   is filled by linear interpolation. Interpolated samples get ``INTERPOLATED_CONF_FACTOR`` times
   the smaller neighbouring confidence: reduced, never zero. Longer gaps, and gaps at the start
   or end of the track, stay missing. Nothing is extrapolated.
3. **Smoothing** (off by default). A zero-phase Butterworth low-pass (order 4, ``sosfiltfilt``)
   at ``smoothing_cutoff_hz`` on each contiguous run of present samples, per joint and axis. Its
   gain is 1/(1 + (f/fc)^8): at fc = 8 Hz a 4 Hz seizure rhythm keeps 99.6% of its amplitude.
   It only makes sense at the video's frame rate: when the cutoff is at or above 0.9 x the
   Nyquist rate of the track (3 Hz at the default 6 fps sampling), smoothing is skipped, since
   any filter there would damp exactly the 2-5 Hz motion the detector needs. Runs shorter than
   ``_MIN_RUN`` samples are left as they are.

``select_patient`` picks the patient when a backend (OpenPose) reports several people per frame.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from inference.core.config import PoseConfig
from inference.pose.keypoints import KeypointTrack

INTERPOLATED_CONF_FACTOR = 0.5
_MIN_RUN = 16  # shortest run the order-4 zero-phase filter handles without edge artefacts
_NYQUIST_MARGIN = 0.9


def sampling_rate(times: np.ndarray) -> float:
    """Typical sampling rate of a track (1 / median period); 0 when it cannot be told."""
    if len(times) < 2:
        return 0.0
    dt = float(np.median(np.diff(times)))
    return 1.0 / dt if dt > 0 else 0.0


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` of each run of True values."""
    if not len(mask):
        return []
    m = np.concatenate([[False], mask, [False]]).astype(np.int8)
    d = np.diff(m)
    return list(zip(np.nonzero(d == 1)[0].tolist(), np.nonzero(d == -1)[0].tolist()))


def drop_unsure(track: KeypointTrack, min_confidence: float) -> KeypointTrack:
    """Rule 1: joints below ``min_confidence`` become missing (NaN, conf 0)."""
    xy, conf = track.xy.copy(), track.conf.copy()
    missing = ~((conf >= min_confidence) & np.isfinite(xy).all(axis=-1))
    xy[missing] = np.nan
    conf[missing] = 0.0
    return KeypointTrack(track.times, xy, conf, track.frame_size, track.source, dict(track.meta))


def fill_short_gaps(track: KeypointTrack, max_gap_s: float) -> KeypointTrack:
    """Rule 2: bridge interior gaps of at most ``max_gap_s`` by linear interpolation in time."""
    xy, conf, times = track.xy.copy(), track.conf.copy(), track.times
    if len(times) < 3:
        return KeypointTrack(times, xy, conf, track.frame_size, track.source, dict(track.meta))
    dt = 1.0 / sampling_rate(times)
    present = conf > 0
    for j in range(xy.shape[1]):
        for a, b in _runs(~present[:, j]):
            if a == 0 or b == len(times):
                continue  # no anchor on one side: never extrapolate
            if (b - a) * dt > max_gap_s + 1e-6:
                continue
            t0, t1 = times[a - 1], times[b]
            w = ((times[a:b] - t0) / (t1 - t0))[:, None]
            xy[a:b, j] = (1 - w) * xy[a - 1, j] + w * xy[b, j]
            conf[a:b, j] = INTERPOLATED_CONF_FACTOR * min(conf[a - 1, j], conf[b, j])
    return KeypointTrack(times, xy, conf, track.frame_size, track.source, dict(track.meta))


def smoothing_applies(times: np.ndarray, cutoff_hz: float) -> bool:
    """Whether a low-pass at ``cutoff_hz`` is meaningful at this track's sampling rate."""
    fs = sampling_rate(times)
    return fs > 0 and cutoff_hz < _NYQUIST_MARGIN * fs / 2.0


def smooth(track: KeypointTrack, cutoff_hz: float, order: int = 4) -> KeypointTrack:
    """Rule 3: zero-phase Butterworth low-pass per contiguous run (skipped above Nyquist)."""
    xy = track.xy.copy()
    if smoothing_applies(track.times, cutoff_hz):
        from scipy.signal import (  # scipy is slow to import: loaded only when this filter or statistic is used
            butter,
            sosfiltfilt,
        )

        fs = sampling_rate(track.times)
        sos = butter(order, cutoff_hz, btype="low", fs=fs, output="sos")
        present = track.conf > 0
        for j in range(xy.shape[1]):
            for a, b in _runs(present[:, j]):
                if b - a >= _MIN_RUN:
                    xy[a:b, j] = sosfiltfilt(sos, xy[a:b, j].astype(np.float64), axis=0,
                                             padlen=min(3 * (2 * len(sos) + 1), b - a - 1))
    return KeypointTrack(track.times, xy, track.conf.copy(), track.frame_size, track.source, dict(track.meta))


def clean_track(track: KeypointTrack, cfg: PoseConfig = PoseConfig()) -> KeypointTrack:
    """Apply rules 1-3 (see the module docstring) and return a new track."""
    out = fill_short_gaps(drop_unsure(track, cfg.min_confidence), cfg.max_gap_s)
    if cfg.smoothing:
        out = smooth(out, cfg.smoothing_cutoff_hz)
        # Say what happened: at 6 fps the requested smoothing is (rightly) a no-op.
        out.meta["smoothing"] = ("applied" if smoothing_applies(out.times, cfg.smoothing_cutoff_hz)
                                 else "skipped: cutoff at or above 0.9 x Nyquist of the sampling rate")
    return out


# -- several people in view ---------------------------------------------------------------

def _centroid(person: np.ndarray) -> Optional[np.ndarray]:
    """Mean (x, y) of the confident joints of one person ``[14, 3]``; None when none."""
    ok = (person[:, 2] > 0) & np.isfinite(person[:, :2]).all(axis=1)
    return person[ok, :2].mean(axis=0) if ok.any() else None


def select_patient(per_frame_people: Sequence[np.ndarray], frame_size: Optional[tuple[int, int]] = None,
                   bed_region: Optional[tuple[float, float, float, float]] = None,
                   link_distance: float = 0.15) -> np.ndarray:
    """Choose the patient in each frame when several people are seen.

    ``per_frame_people[t]`` is ``[P_t, 14, 3]`` (x px, y px, conf). Returns int64 ``[T]``: the
    index of the patient in each frame, or -1 where the patient is not seen.

    People are linked across frames into tracks (nearest centroid, at most ``link_distance`` x
    the frame diagonal apart). Each track scores, per frame it is seen: 1 (continuity: long
    tracks win) + 1 if its centroid lies in the bed region + its centrality (1 at the image
    centre, 0 at a corner). ``bed_region`` is ``(x0, y0, x1, y1)`` as fractions of the frame;
    default the central ``(0.15, 0.1, 0.85, 0.95)``, where the bed is in an EMU room camera.
    The best track is the patient; other tracks that start near where it was last seen, and do
    not overlap it in time, continue it (the patient lost and found again). Nobody is invented.
    """
    T = len(per_frame_people)
    choice = np.full(T, -1, dtype=np.int64)
    cents: list[list[Optional[np.ndarray]]] = [[_centroid(np.asarray(p, dtype=np.float64)) for p in frame]
                                               for frame in per_frame_people]
    if frame_size is None:
        pts = [c for frame in cents for c in frame if c is not None]
        if not pts:
            return choice
        frame_size = tuple(np.maximum(np.ceil(np.max(pts, axis=0) * 1.1), 1).astype(int))  # rough
    w, h = float(frame_size[0]), float(frame_size[1])
    diag = float(np.hypot(w, h))
    bx0, by0, bx1, by1 = bed_region or (0.15, 0.1, 0.85, 0.95)

    # Greedy linking: tracks are lists of (t, person index, centroid).
    tracks: list[list[tuple[int, int, np.ndarray]]] = []
    open_tracks: list[int] = []
    for t, frame in enumerate(cents):
        claimed: set[int] = set()
        still_open: list[int] = []
        candidates = [(p, c) for p, c in enumerate(frame) if c is not None]
        pairs = []
        for k in open_tracks:
            last_t, _, last_c = tracks[k][-1]
            if t - last_t > 1:
                continue
            for p, c in candidates:
                pairs.append((float(np.hypot(*(c - last_c))), k, p, c))
        pairs.sort(key=lambda x: x[0])
        used_tracks: set[int] = set()
        for dist, k, p, c in pairs:
            if dist > link_distance * diag or k in used_tracks or p in claimed:
                continue
            tracks[k].append((t, p, c))
            used_tracks.add(k)
            claimed.add(p)
            still_open.append(k)
        for p, c in candidates:
            if p not in claimed:
                tracks.append([(t, p, c)])
                still_open.append(len(tracks) - 1)
        open_tracks = still_open
    if not tracks:
        return choice

    def score(track: list[tuple[int, int, np.ndarray]]) -> float:
        s = 0.0
        for _, _, c in track:
            x, y = c[0] / w, c[1] / h
            in_bed = bx0 <= x <= bx1 and by0 <= y <= by1
            centrality = 1.0 - min(1.0, float(np.hypot(x - 0.5, y - 0.5)) / np.hypot(0.5, 0.5))
            s += 1.0 + float(in_bed) + centrality
        return s

    best = max(range(len(tracks)), key=lambda k: score(tracks[k]))
    chosen = {t: p for t, p, _ in tracks[best]}
    # Continue the patient across losses with non-overlapping tracks that start where it was.
    for k in sorted(range(len(tracks)), key=lambda k: -score(tracks[k])):
        if k == best or any(t in chosen for t, _, _ in tracks[k]):
            continue
        t_start, _, c_start = tracks[k][0]
        before = [t for t in chosen if t < t_start]
        if not before:
            continue
        t_prev = max(before)
        prev_c = cents[t_prev][chosen[t_prev]]
        if prev_c is not None and np.hypot(*(c_start - prev_c)) <= link_distance * diag:
            chosen.update({t: p for t, p, _ in tracks[k]})
    for t, p in chosen.items():
        choice[t] = p
    return choice

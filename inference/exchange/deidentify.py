"""De-identifying video frames: finding faces, blurring them (or the whole frame), drawing the
skeleton. Pure numpy / OpenCV / MediaPipe, one frame at a time; ``share`` builds clips from it.

Faces come from MediaPipe's face detector (both its short- and full-range models: EMU cameras
film from afar, but a patient may also lean into the picture). Boxes are enlarged (hair, ears,
chin), smoothed over time and kept for a few frames after a miss, because a detector that
flickers would leave single frames unblurred. Where no face is found, the area around the head
and neck keypoints is blurred instead. The blur (coarse pixelation, then a heavy Gaussian) is
strong enough that the detector finds nothing afterwards; ``FaceBlurrer.verify`` checks that on
every output frame and blurs again where it still finds a face.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import cv2
import numpy as np

from inference.pose.joints import JOINT_INDEX, JOINT_NAMES, NUM_JOINTS, SKELETON_EDGES
from inference.pose.keypoints import KeypointTrack

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels, x1/y1 exclusive

HEAD, NECK = JOINT_INDEX["head"], JOINT_INDEX["neck"]
SHOULDERS = (JOINT_INDEX["right_shoulder"], JOINT_INDEX["left_shoulder"])
# Blue for the patient's right, orange for the left, white for the midline (as the review window).
_RIGHT, _LEFT, _MID = (70, 140, 255), (255, 150, 40), (235, 235, 235)


def _side_colour(a: int, b: int) -> tuple[int, int, int]:
    names = (JOINT_NAMES[a], JOINT_NAMES[b])
    if all(n.startswith("right_") for n in names):
        return _RIGHT
    if all(n.startswith("left_") for n in names):
        return _LEFT
    return _MID


_EDGE_COLOURS = tuple(_side_colour(a, b) for a, b in SKELETON_EDGES)


def clip_box(box: Sequence[float], size: tuple[int, int]) -> Optional[Box]:
    """``box`` as whole pixels inside a ``(width, height)`` frame; None when nothing is left."""
    w, h = size
    x0, y0 = max(int(np.floor(box[0])), 0), max(int(np.floor(box[1])), 0)
    x1, y1 = min(int(np.ceil(box[2])), w), min(int(np.ceil(box[3])), h)
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def enlarge(box: Sequence[float], scale: float, up: float = 0.0) -> tuple[float, float, float, float]:
    """Scale a box about its centre, then move it up by ``up`` of its new height (the detector's
    box stops at the eyebrows; hair identifies too)."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    hw, hh = (box[2] - box[0]) * scale / 2, (box[3] - box[1]) * scale / 2
    cy -= up * 2 * hh
    return cx - hw, cy - hh, cx + hw, cy + hh


class FaceFinder:
    """``find(rgb) -> [box]``: MediaPipe face boxes in pixels (detector boxes, not enlarged).

    A low confidence threshold on purpose: a false face costs a blurred patch, a missed one
    identifies the patient.
    """

    def __init__(self, min_confidence: float = 0.3):
        # mediapipe loads TensorFlow Lite and takes ~1 s to import: only when faces are wanted.
        import mediapipe as mp

        self._models = [mp.solutions.face_detection.FaceDetection(model_selection=m, min_detection_confidence=min_confidence)
                        for m in (0, 1)]

    def find(self, rgb: np.ndarray) -> list[Box]:
        h, w = rgb.shape[:2]
        frame = np.ascontiguousarray(rgb)
        boxes: list[Box] = []
        for model in self._models:
            for det in model.process(frame).detections or []:
                r = det.location_data.relative_bounding_box
                b = clip_box((r.xmin * w, r.ymin * h, (r.xmin + r.width) * w, (r.ymin + r.height) * h), (w, h))
                if b is not None:
                    boxes.append(b)
        return boxes

    def close(self) -> None:
        for model in self._models:
            model.close()
        self._models = []


@dataclass
class _Track:
    box: np.ndarray  # smoothed x0, y0, x1, y1
    missed: int = 0


@dataclass
class FaceTracker:
    """Turns per-frame detections into stable blur regions: each detection is enlarged by
    ``scale``, matched to a tracked face (overlap), smoothed (``smooth`` = weight of the new box,
    but a box only ever grows at once, it shrinks slowly) and kept ``hold`` frames after its
    last detection."""

    scale: float = 1.8
    smooth: float = 0.5
    hold: int = 8
    tracks: list[_Track] = field(default_factory=list)

    def update(self, boxes: Sequence[Box]) -> list[tuple[float, float, float, float]]:
        seen = set()
        for b in boxes:
            big = np.array(enlarge(b, self.scale, up=0.08), dtype=np.float64)
            k = self._match(big, seen)
            if k is None:
                self.tracks.append(_Track(big))
                seen.add(len(self.tracks) - 1)
                continue
            old = self.tracks[k].box
            mixed = self.smooth * big + (1 - self.smooth) * old
            # Grow at once (a face moving must not leave the region), shrink only by smoothing.
            union = np.array([min(big[0], mixed[0]), min(big[1], mixed[1]), max(big[2], mixed[2]),
                              max(big[3], mixed[3])])
            self.tracks[k] = _Track(union)
            seen.add(k)
        for k, t in enumerate(self.tracks):
            if k not in seen:
                t.missed += 1
        self.tracks = [t for t in self.tracks if t.missed <= self.hold]
        return [tuple(t.box) for t in self.tracks]

    def _match(self, box: np.ndarray, taken: set[int]) -> Optional[int]:
        best, best_iou = None, 0.1
        for k, t in enumerate(self.tracks):
            if k in taken:
                continue
            iou = _iou(box, t.box)
            if iou > best_iou:
                best, best_iou = k, iou
        return best


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def head_box(xy: np.ndarray, conf: np.ndarray, min_conf: float = 0.05) -> Optional[tuple[float, float, float, float]]:
    """The area around the head and neck keypoints (``xy [14, 2]``, ``conf [14]``), or None
    without a head or neck. Its size follows the head-neck distance (else the shoulder width),
    generously: a pose model's "head" point may sit anywhere from the nose to the crown."""
    ok = (conf >= min_conf) & np.isfinite(xy).all(axis=-1)
    pts = [xy[j] for j in (HEAD, NECK) if ok[j]]
    if not pts:
        return None
    size = 0.0
    if ok[HEAD] and ok[NECK]:
        size = 1.6 * float(np.linalg.norm(xy[HEAD] - xy[NECK]))
    if ok[SHOULDERS[0]] and ok[SHOULDERS[1]]:
        size = max(size, 0.9 * float(np.linalg.norm(xy[SHOULDERS[0]] - xy[SHOULDERS[1]])))
    if size <= 0:
        return None  # one point and nothing to size a region by: the caller fails closed
    centre = xy[HEAD] if ok[HEAD] else xy[NECK]
    lo = np.minimum.reduce(pts + [centre - size])
    hi = np.maximum.reduce(pts + [centre + size])
    return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


def blur_region(rgb: np.ndarray, box: Sequence[float], fill: bool = False) -> bool:
    """Make ``box`` of ``rgb`` (in place) unrecognisable: pixelate to ~6 blocks across, then a
    Gaussian of a quarter of the box; ``fill`` paints it grey instead. False when off-frame."""
    h, w = rgb.shape[:2]
    b = clip_box(box, (w, h))
    if b is None:
        return False
    x0, y0, x1, y1 = b
    patch = rgb[y0:y1, x0:x1]
    if fill:
        patch[:] = 128
        return True
    bw, bh = x1 - x0, y1 - y0
    block = max(4, max(bw, bh) // 6)
    small = cv2.resize(patch, (max(1, bw // block), max(1, bh // block)), interpolation=cv2.INTER_AREA)
    coarse = cv2.resize(small, (bw, bh), interpolation=cv2.INTER_NEAREST)
    sigma = max(2.0, max(bw, bh) / 4)
    patch[:] = cv2.GaussianBlur(coarse, (0, 0), sigmaX=sigma, borderType=cv2.BORDER_REPLICATE)
    return True


def blur_frame(rgb: np.ndarray) -> np.ndarray:
    """The whole frame blurred past recognition (about 24 blocks across, then a Gaussian)."""
    h, w = rgb.shape[:2]
    block = max(4, max(w, h) // 24)
    small = cv2.resize(rgb, (max(1, w // block), max(1, h // block)), interpolation=cv2.INTER_AREA)
    coarse = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    return cv2.GaussianBlur(coarse, (0, 0), sigmaX=block, borderType=cv2.BORDER_REPLICATE)


def draw_skeleton(canvas: np.ndarray, xy: np.ndarray, conf: np.ndarray, min_conf: float = 0.05) -> np.ndarray:
    """Draw the 14-joint skeleton (``xy [14, 2]`` pixels, ``conf [14]``) on ``canvas`` in place."""
    h, w = canvas.shape[:2]
    ok = (conf >= min_conf) & np.isfinite(xy).all(axis=-1)
    thick = max(2, round(min(w, h) / 160))
    for (a, b), colour in zip(SKELETON_EDGES, _EDGE_COLOURS):
        if ok[a] and ok[b]:
            pa = tuple(int(round(v)) for v in xy[a])
            pb = tuple(int(round(v)) for v in xy[b])
            cv2.line(canvas, pa, pb, colour, thick, lineType=cv2.LINE_AA)
    for j in range(NUM_JOINTS):
        if ok[j]:
            cv2.circle(canvas, tuple(int(round(v)) for v in xy[j]), thick + 1, _MID, -1, lineType=cv2.LINE_AA)
    return canvas


def keypoints_at(track: KeypointTrack, times: np.ndarray, frame_size: tuple[int, int],
                 max_gap_s: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """The track at each of ``times``, in pixels of a ``frame_size`` frame: ``(xy [N, 14, 2],
    conf [N, 14])``. Each joint is interpolated linearly between its two neighbouring samples
    when both hold it and they are at most ``max_gap_s`` apart; else the nearer one within
    ``max_gap_s / 2`` is used; else the joint is missing (conf 0, NaN)."""
    times = np.asarray(times, dtype=np.float64)
    n = len(times)
    xy = np.full((n, NUM_JOINTS, 2), np.nan, dtype=np.float32)
    conf = np.zeros((n, NUM_JOINTS), dtype=np.float32)
    if len(track) == 0 or n == 0:
        return xy, conf
    scale = np.array(frame_size, dtype=np.float64) / np.array(track.frame_size, dtype=np.float64)
    valid = track.valid()
    hi = np.clip(np.searchsorted(track.times, times, side="left"), 0, len(track) - 1)
    lo = np.clip(hi - 1, 0, len(track) - 1)
    t_lo, t_hi = track.times[lo], track.times[hi]
    span = t_hi - t_lo
    w_hi = np.where(span > 0, (times - t_lo) / np.where(span > 0, span, 1), 0.0).clip(0, 1)
    for j in range(NUM_JOINTS):
        both = valid[lo, j] & valid[hi, j] & (span <= max_gap_s) & (times >= t_lo) & (times <= t_hi)
        p = (1 - w_hi)[:, None] * track.xy[lo, j] + w_hi[:, None] * track.xy[hi, j]
        c = np.minimum(track.conf[lo, j], track.conf[hi, j])
        near = np.where(np.abs(times - t_lo) <= np.abs(t_hi - times), lo, hi)
        single = ~both & valid[near, j] & (np.abs(track.times[near] - times) <= max_gap_s / 2)
        xy[both, j] = p[both] * scale
        conf[both, j] = c[both]
        xy[single, j] = track.xy[near[single], j] * scale
        conf[single, j] = track.conf[near[single], j]
    return xy, conf


@dataclass
class FrameReport:
    """What de-identifying one frame did: face regions from the detector, from the keypoints,
    whether the whole frame was blurred (nothing located the head), regions blurred again after
    the check."""

    faces: int = 0
    keypoint_regions: int = 0
    whole_frame: bool = False
    reblurred: int = 0


class FaceBlurrer:
    """``frame(rgb, xy, conf) -> (rgb, FrameReport)`` for a sequence of frames in order.

    Faces where MediaPipe finds one (tracked, ``FaceTracker``); the head area from the
    keypoints where no tracked face covers the head joint; the whole frame when neither locates
    the head (``fail_closed``, default: a clip with a blurred frame is better than one with a
    face). ``verify`` runs the detector again on the result and blurs what it still finds.
    """

    def __init__(self, fill: bool = False, verify: bool = True, fail_closed: bool = True,
                 finder: Optional[FaceFinder] = None):
        self.finder = finder or FaceFinder()
        self.tracker = FaceTracker()
        self.fill, self.verify, self.fail_closed = fill, verify, fail_closed

    def frame(self, rgb: np.ndarray, xy: Optional[np.ndarray] = None, conf: Optional[np.ndarray] = None
              ) -> tuple[np.ndarray, FrameReport]:
        out = np.array(rgb, copy=True)
        report = FrameReport()
        regions = self.tracker.update(self.finder.find(rgb))
        report.faces = len(regions)
        head = None
        if xy is not None and conf is not None:
            kp = head_box(xy, conf)
            ok_head = conf[HEAD] >= 0.05 and np.isfinite(xy[HEAD]).all()
            covered = ok_head and any(r[0] <= xy[HEAD][0] <= r[2] and r[1] <= xy[HEAD][1] <= r[3] for r in regions)
            if kp is not None and not covered:
                head = kp
        if head is not None:
            regions.append(head)
            report.keypoint_regions = 1
        if not regions and self.fail_closed:
            report.whole_frame = True
            return blur_frame(out), report
        for r in regions:
            blur_region(out, r, self.fill)
        if self.verify:
            for round_ in range(3):  # blur what is still found, twice; then give up on the frame
                again = self.finder.find(out)
                if not again:
                    break
                if round_ == 2:
                    report.whole_frame = True
                    return blur_frame(rgb), report
                for b in again:
                    blur_region(out, enlarge(b, self.tracker.scale), self.fill)
                report.reblurred += len(again)
        return out, report

    def close(self) -> None:
        self.finder.close()

"""The run's producer thread: decode, pose, clean, crop, and hand windows to the consumer.

Each sampled frame is decoded once, gets its keypoints (from the known track, or the live pose
backend), is cropped to its 14 joint tiles once its cleaned keypoints are known, and is then
dropped; windows are cut from a ring of the last window's crop sets and put on a bounded queue.
So the producer holds at most a stride of frames plus the cleaning look-ahead, whatever the
video's length, and blocks when the consumer falls behind.
"""
from __future__ import annotations

import contextlib
import math
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any, Iterator, Optional

import numpy as np

from inference.analysis.state import RunState
from inference.core.config import ClipConfig
from inference.detector.clips import MIN_PRESENT_FRACTION, JointClips, crop_joint_clips, enough_joints
from inference.pose.cleaning import clean_track
from inference.pose.keypoints import KeypointTrack
from inference.results.result_file import GAP_DECODE, GAP_NO_PERSON, GAP_PARTIAL_POSE

# Most frames cropped per call (never more than a stride): a block amortises the call, but its
# frames are all held until it is cropped, so this bounds the decoded frames in memory.
MAX_CROP_BLOCK = 6
# How often a blocked put looks at the stop flag, seconds.
PUT_POLL_S = 0.1


@dataclass
class WindowItem:
    """One window from the producer: joint clips, or the reason it has no value."""

    index: int
    clips: Optional[JointClips] = None
    reason: Optional[str] = None


END = object()  # the producer's last item: every window has been handed over


class WindowProducer:
    """Fills ``items`` (bounded) with a :class:`WindowItem` per window from ``first_window`` on,
    then :data:`END`, in its own thread; an exception in the thread is put on the queue instead
    (the consumer re-raises it). Leaving :meth:`running` ends the thread at its next frame or
    blocked put.

    Writes ``decoded``, ``kp_xy`` and ``kp_conf`` of ``state`` as it goes, and its timings
    (``decode_s``, ``pose_s``, ``clips_s``, ``max_frames_held``) into ``stats`` when it finishes.
    """

    def __init__(self, state: RunState, clip_config: ClipConfig, queue_size: int, stats: dict[str, float]):
        self.state = state
        self.clip_config = clip_config
        self.stats = stats
        self.items: queue.Queue = queue.Queue(maxsize=queue_size)
        self._stop = threading.Event()

    @contextlib.contextmanager
    def running(self, first_window: int, join_timeout_s: float = 30.0) -> Iterator[None]:
        """Run the thread for the duration of the block; leaving it (finished, failed or
        cancelled) stops the thread and waits for it."""
        thread = threading.Thread(target=self._run, args=(first_window,),
                                  name=f"semioscope-producer-{self.state.video_path.name}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            self._stop.set()
            thread.join(timeout=join_timeout_s)

    def _run(self, first_window: int) -> None:
        try:
            self._produce(first_window)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            self._put(exc)
        else:
            self._put(END)

    def _put(self, item: Any) -> bool:
        """Put ``item``, waiting while the queue is full; False when stopped first."""
        while not self._stop.is_set():
            try:
                self.items.put(item, timeout=PUT_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self, first_window: int) -> None:
        """Decode + pose each sample, crop its 14 joints once, cut windows from the crops.

        Each sampled frame is cropped once (in blocks of up to ``step`` frames) as soon as its
        cleaned keypoints are known, then dropped: windows overlap (5 s every 1 s), so cropping
        per window would crop every frame five times. Crops are position-independent tiles, so
        the window equals ``crop_joint_clips`` on the window's 30 frames exactly.
        """
        st = self.state
        source = st.keypoints
        live = source.backend is not None
        # Live pose: clean with this much look-ahead so short gaps can be interpolated.
        ahead = int(math.ceil(source.pose_cfg.max_gap_s * st.fps)) + 1 if live else 0
        pending: dict[int, np.ndarray] = {}  # decoded frames waiting for their cleaned keypoints
        crops: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # sample -> (clips [14,3,S,S], positions [14,3])
        next_window = first_window
        first_sample = first_window * st.step
        cropped_upto = first_sample  # every sample before this is cropped (or was not decodable)
        block = max(1, min(st.step, MAX_CROP_BLOCK))
        if live:
            source.backend.start(st.frame_size)
        t_decode = t_pose = t_clip = 0.0
        max_held = 0  # most decoded frames held at once (flat-memory check)

        def crop_upto(upto: int) -> None:
            nonlocal cropped_upto, t_clip
            idx = sorted(j for j in pending if j < upto)
            if idx:
                tc = time.perf_counter()
                xy, conf = self._cleaned_keypoints(idx, ahead)
                jc = crop_joint_clips(np.stack([pending[j] for j in idx]), xy, conf, self.clip_config)
                for k, j in enumerate(idx):
                    crops[j] = (jc.clips[:, k], jc.positions[:, k])
                    del pending[j]
                t_clip += time.perf_counter() - tc
            cropped_upto = max(cropped_upto, upto)

        def emit_ready_windows() -> bool:
            """Put every window whose samples are all cropped; False when stopped."""
            nonlocal next_window
            while next_window < st.n_windows:
                a = next_window * st.step
                if a + st.window_len > cropped_upto:
                    return True
                if not self._put(self._window_item(next_window, a, a + st.window_len, crops)):
                    return False
                next_window += 1
                for j in [j for j in crops if j < next_window * st.step]:
                    del crops[j]
            return True

        tick = time.perf_counter()
        for t, _fi, rgb in st.reader.iter_sampled(st.fps, start_s=float(st.grid[first_sample])):
            t_decode += time.perf_counter() - tick
            if self._stop.is_set():
                return
            j = int(np.searchsorted(st.grid, t - 1e-6))
            if j >= st.n_samples or abs(st.grid[j] - t) > 1e-4:
                tick = time.perf_counter()
                continue
            st.decoded[j] = True
            if live:
                tp = time.perf_counter()
                xy, conf = source.backend.process(t, rgb)
                t_pose += time.perf_counter() - tp
                st.kp_xy[j] = xy
                st.kp_conf[j] = conf
            if self._frame_needed(j, next_window):
                pending[j] = rgb
                max_held = max(max_held, len(pending))
            # Samples up to j - ahead now have all the look-ahead their cleaning needs.
            if j + 1 - ahead - cropped_upto >= block:
                crop_upto(j + 1 - ahead)
                if not emit_ready_windows():
                    return
            tick = time.perf_counter()
        crop_upto(st.n_samples)
        emit_ready_windows()
        self.stats.update(decode_s=t_decode, pose_s=t_pose, clips_s=t_clip, max_frames_held=max_held)

    def _cleaned_keypoints(self, idx: list[int], ahead: int) -> tuple[np.ndarray, np.ndarray]:
        """Cleaned ``xy [n, 14, 2]``, ``conf [n, 14]`` of samples ``idx`` (sorted)."""
        st, source = self.state, self.state.keypoints
        if source.track is not None:
            return source.track.xy[idx], source.track.conf[idx]
        # Clean a stretch with history and look-ahead around the samples, as the whole track would be.
        lo, hi = max(0, idx[0] - ahead), min(st.n_samples, idx[-1] + ahead + 1)
        near = np.arange(lo, hi)[st.decoded[lo:hi]]
        local = KeypointTrack(st.grid[near], st.kp_xy[near], st.kp_conf[near], st.frame_size, source.backend.name)
        clean = clean_track(local, source.pose_cfg)
        where = np.searchsorted(near, idx)
        return clean.xy[where], clean.conf[where]

    def _frame_needed(self, j: int, next_window: int) -> bool:
        """Whether sample ``j`` lies in a window not yet cut (strides over 5 s skip samples)."""
        st = self.state
        k = min(j // st.step, st.n_windows - 1)  # the latest window starting at or before j
        return j >= next_window * st.step and j < k * st.step + st.window_len

    def _window_item(self, w: int, a: int, b: int, crops: dict) -> WindowItem:
        """Window ``w`` over samples ``[a, b)`` from their crops (a gap when one is missing)."""
        if not all(j in crops for j in range(a, b)):
            return WindowItem(w, reason=GAP_DECODE)
        clips = np.stack([crops[j][0] for j in range(a, b)], axis=1)  # [14, T, 3, S, S]
        positions = np.stack([crops[j][1] for j in range(a, b)], axis=1)  # [14, T, 3]
        # Same rule as crop_joint_clips: present frames have conf > 0 in the position tensor.
        mask = (positions[..., 2] > 0).mean(axis=1) >= MIN_PRESENT_FRACTION
        if not mask.any():
            return WindowItem(w, reason=GAP_NO_PERSON)
        if not enough_joints(mask, self.clip_config.min_joints):
            return WindowItem(w, reason=GAP_PARTIAL_POSE)
        return WindowItem(w, clips=JointClips(clips=clips, positions=positions, mask=mask))

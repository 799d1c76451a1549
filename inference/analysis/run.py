"""One streaming analysis run: one whole video -> probability trace, attention, events, result file.

Pipeline (DESIGN.md "Data flow")::

    VideoReader.iter_sampled(6 fps) -> pose (cache / live backend / keypoint file)
      -> 5 s windows at ``stride_s`` -> crop_joint_clips -> detector in batches
      -> per window: start, end, probability, attention [14] -> events -> AnalysisResult

Memory stays flat however long the video is: a producer thread decodes, runs pose, crops the 14
joints of each sampled frame once (holding at most a stride of frames plus the cleaning
look-ahead) and keeps a ring of the last window's 30 crop sets (~1.3 MB for the tiny preset) to
cut windows from; a bounded queue hands windows to the consumer, which runs the model in batches,
so decoding and the model overlap. Only small per-sample arrays (keypoints, 6 fps) and per-window
arrays grow with the video (a 24-hour video: ~90 MB).

Nothing is invented: sampled frames that cannot be decoded, a truncated tail, and windows where
no joint is visible become NaN probabilities plus explicit ``Gap`` intervals in the result.

Partial results go to ``<out>.partial`` every ``flush_every_s`` seconds (atomically) and when
the run is cancelled or fails; a rerun with the same video, model and configuration continues
after the last finished window.
"""
from __future__ import annotations

import math
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional

import numpy as np

from inference.analysis.settings import (
    NoPersonError,
    WindowModel,
    _json_roundtrip,
    auto_batch_size,
    keypoint_identity,
    partial_path_for,
)
from inference.core.errors import InputFileError, VideoError
from inference.core.fingerprint import file_fingerprint
from inference.core.progress import CancelToken, ProgressFn
from inference.detector.clips import MIN_PRESENT_FRACTION, JointClips, crop_joint_clips, stack_clips
from inference.forecast.trace import add_forecast_to_result
from inference.pose.cache import cached_track, store_track
from inference.pose.cleaning import clean_track
from inference.pose.joints import NUM_JOINTS
from inference.pose.keypoint_files import load_keypoints
from inference.pose.keypoints import KeypointTrack
from inference.results.events import detect_events
from inference.results.result_file import (
    GAP_DECODE,
    GAP_NO_PERSON,
    GAP_TRUNCATED,
    AnalysisResult,
    Gap,
    ResultChunk,
    merge_gaps,
)
from inference.video.reader import VideoReader

if TYPE_CHECKING:  # the engine creates runs; a run only calls back into it
    from inference.analysis.engine import AnalysisEngine


@dataclass
class _Item:
    """One window from the producer: joint clips, or the reason it has no value."""

    index: int
    clips: Any = None  # inference.clips.JointClips
    reason: Optional[str] = None

_END = object()

class AnalysisRun:
    """One analysis in progress. Iterate it for :class:`ResultChunk` s; ``result`` is set at the end.

    ``for chunk in engine.run(video): draw(chunk)`` then ``run.result``. Breaking out of the
    loop (or ``close()``) stops the producer and flushes a partial result for a later resume.
    """

    def __init__(self, engine: "AnalysisEngine", video_path: str | Path, out_path: Optional[str | Path],
                 progress: Optional[ProgressFn], cancel: Optional[CancelToken]):
        self.engine = engine
        self.video_path = Path(video_path)
        self.out_path = Path(out_path) if out_path is not None else None
        self.progress = progress
        self.cancel = cancel or CancelToken()
        self.result: Optional[AnalysisResult] = None
        self.resumed_from = 0  # windows taken from a partial result
        self.stats: dict[str, float] = {}
        self.forecast = None  # inference.forecast.trace.ForecastTrace, with EngineConfig.forecast_model
        self._gen: Optional[Iterator[ResultChunk]] = None

    def __iter__(self) -> Iterator[ResultChunk]:
        if self._gen is None:
            self._gen = self._chunks()
        return self._gen

    def close(self) -> None:
        if self._gen is not None:
            self._gen.close()

    # -- set-up ---------------------------------------------------------------------------
    def _setup(self) -> None:

        eng = self.engine
        model, cfg = eng.model, eng.config
        seg = model.segment_config
        self.fps = float(seg.fps)
        self.wlen = seg.frames_per_window
        self.step = max(1, int(round(cfg.stride_s * self.fps)))
        self.reader = VideoReader(self.video_path)
        meta = self.reader.meta
        self.meta = meta
        self.fingerprint = file_fingerprint(self.video_path)
        self.grid = self.reader.index.sample_times(self.fps)
        n_samples = len(self.grid)
        if n_samples < self.wlen:
            raise VideoError(self.video_path, f"readable part is {meta.duration_s:.2f} s, shorter than one "
                                              f"{seg.window_s:g} s analysis window")
        self.n_windows = (n_samples - self.wlen) // self.step + 1
        self.starts = self.grid[np.arange(self.n_windows) * self.step]
        self.ends = self.starts + seg.window_s
        self.prob = np.full(self.n_windows, np.nan, dtype=np.float32)
        self.att = np.full((self.n_windows, NUM_JOINTS), np.nan, dtype=np.float32)
        self.reasons: dict[int, str] = {}  # window -> why it has no value
        # Per-sample keypoints (raw, before cleaning) and whether the frame was decoded.
        self.kp_xy = np.full((n_samples, NUM_JOINTS, 2), np.nan, dtype=np.float32)
        self.kp_conf = np.zeros((n_samples, NUM_JOINTS), dtype=np.float32)
        self.decoded = np.zeros(n_samples, dtype=bool)
        self.batch_size = cfg.batch_size if isinstance(cfg.batch_size, int) else auto_batch_size(model, self.wlen)
        self.event_cfg = eng.event_config()
        if cfg.forecast_model:
            eng.forecaster()  # a bad forecast folder fails now, not after the detector pass
        self._setup_keypoints()
        self.identity = eng.model_identity()
        self.config_dict = eng.analysis_config(self.kp_identity)

    def _setup_keypoints(self) -> None:
        """Pick the keypoint source: a file, the pose cache, or the live pose backend."""
        cfg = self.engine.config
        self.pose_cfg = cfg.pose
        self.backend = None
        self.track: Optional[KeypointTrack] = None  # whole-video cleaned track, when known up front
        self.kp_identity, kp_file, self.backend = keypoint_identity(cfg, self.video_path)
        if kp_file is not None:

            track = load_keypoints(kp_file, frame_size=(self.meta.width, self.meta.height),
                                   times=self.reader.index.pts_s)
            self._set_track(track, raw_source=track.source)
            return
        if cfg.use_pose_cache:

            track = cached_track(self.video_path, self.backend, self.pose_cfg, cache_dir=cfg.cache_dir,
                                 fingerprint=self.fingerprint, fps=self.fps)
            if track is not None:
                self.backend.close()
                self.backend = None
                self._set_track(track, raw_source=track.source)

    def _set_track(self, track: KeypointTrack, raw_source: str) -> None:

        w, h = self.meta.width, self.meta.height
        if tuple(track.frame_size) != (w, h):
            raise InputFileError(self.video_path, f"keypoints are for a {track.frame_size[0]}x{track.frame_size[1]} "
                                                  f"video but this video is {w}x{h}")
        # The keypoints of the frame on screen at each sampling instant (as pose.estimate_track
        # does); nothing within half a sampling step means missing, never invented.
        index = self.reader.index
        raw = track.resample(index.pts_s[index.times_to_frames(self.grid)], tolerance_s=0.5 / self.fps)
        raw.times = self.grid.copy()
        self.kp_xy[:] = raw.xy
        self.kp_conf[:] = raw.conf
        self.raw_source = raw_source
        self.track = clean_track(raw, self.pose_cfg)
        self.track.meta = dict(self.track.meta, cleaned=True, fingerprint=self.fingerprint)

    # -- resume ---------------------------------------------------------------------------
    def _resume_key(self) -> dict[str, Any]:
        return {k: v for k, v in self.config_dict.items() if k != "events"}

    def _try_resume(self) -> int:
        """Load a matching partial result; returns the first window still to analyse."""
        if self.out_path is None or not self.engine.config.resume:
            return 0
        ppath = partial_path_for(self.out_path)
        if not ppath.exists():
            return 0
        try:
            part = AnalysisResult.load(ppath)
        except InputFileError:
            return 0  # unreadable partial: start over (it is rewritten at the next flush)
        same = (part.fingerprint == self.fingerprint
                and part.model.get("run_hash") == self.identity["run_hash"]
                and {k: v for k, v in part.config.items() if k != "events"} == _json_roundtrip(self._resume_key())
                and len(part) <= self.n_windows)
        if not same:
            return 0
        # Redo at least the last window, so the samples after it are decoded (and checked) again.
        done = min(int(part.notes.get("windows_done", 0)), len(part), self.n_windows - 1)
        self.prob[:done] = part.prob[:done]
        self.att[:done] = part.attention[:done]
        for g in part.gaps:
            if g.reason == GAP_NO_PERSON:
                for w in np.flatnonzero((self.starts[:done] >= g.start_s - 1e-6) & (self.ends[:done] <= g.end_s + 1e-6)):
                    self.reasons[int(w)] = GAP_NO_PERSON
        if self.track is None and part.keypoints is not None and len(part.keypoints):
            j = np.clip(np.round(part.keypoints.times * self.fps).astype(np.int64), 0, len(self.grid) - 1)
            keep = j < done * self.step
            self.kp_xy[j[keep]] = part.keypoints.xy[keep]
            self.kp_conf[j[keep]] = part.keypoints.conf[keep]
            self.decoded[j[keep]] = True
        elif part.keypoints is not None and len(part.keypoints):
            j = np.clip(np.round(part.keypoints.times * self.fps).astype(np.int64), 0, len(self.grid) - 1)
            self.decoded[j[j < done * self.step]] = True
        for w in range(done):
            if not np.isfinite(self.prob[w]) and w not in self.reasons:
                self.reasons[w] = GAP_DECODE
        return done

    # -- producer (decode + pose + clips), runs in its own thread ---------------------------
    def _produce(self, first_window: int, out: "queue.Queue", stop: threading.Event) -> None:
        try:
            self._produce_inner(first_window, out, stop)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            self._put(out, exc, stop)
        else:
            self._put(out, _END, stop)

    def _put(self, out: "queue.Queue", item: Any, stop: threading.Event) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _produce_inner(self, first_window: int, out: "queue.Queue", stop: threading.Event) -> None:
        """Decode + pose each sample, crop its 14 joints once, cut windows from the crops.

        Each sampled frame is cropped once (in blocks of up to ``step`` frames) as soon as its
        cleaned keypoints are known, then dropped: windows overlap (5 s every 1 s), so cropping
        per window would crop every frame five times. Crops are position-independent tiles, so
        the window equals ``crop_joint_clips`` on the window's 30 frames exactly.
        """

        live = self.backend is not None
        # Live pose: clean with this much look-ahead so short gaps can be interpolated.
        ahead = int(math.ceil(self.pose_cfg.max_gap_s * self.fps)) + 1 if live else 0
        n_samples = len(self.grid)
        pending: dict[int, np.ndarray] = {}  # decoded frames waiting for their cleaned keypoints
        crops: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # sample -> (clips [14,3,S,S], positions [14,3])
        w = first_window
        j0 = first_window * self.step
        final_upto = j0  # every sample before this is cropped (or was not decodable)
        block = max(1, min(self.step, 6))
        if live:
            self.backend.start((self.meta.width, self.meta.height))
        clip_cfg = self.engine.model.clip_config
        t_decode = t_pose = t_clip = 0.0
        max_held = 0  # most decoded frames held at once (flat-memory check)

        def finalise(upto: int) -> None:
            nonlocal final_upto, t_clip
            idx = sorted(j for j in pending if j < upto)
            if idx:
                tc = time.perf_counter()
                xy, conf = self._cleaned_keypoints(idx, ahead)
                jc = crop_joint_clips(np.stack([pending[j] for j in idx]), xy, conf, clip_cfg)
                for k, j in enumerate(idx):
                    crops[j] = (jc.clips[:, k], jc.positions[:, k])
                    del pending[j]
                t_clip += time.perf_counter() - tc
            final_upto = max(final_upto, upto)

        def emit_ready() -> bool:
            nonlocal w
            while w < self.n_windows:
                a = w * self.step
                if a + self.wlen > final_upto:
                    return True
                if not self._put(out, self._window_item(w, a, a + self.wlen, crops), stop):
                    return False
                w += 1
                for j in [j for j in crops if j < w * self.step]:
                    del crops[j]
            return True

        tick = time.perf_counter()
        for t, _fi, rgb in self.reader.iter_sampled(self.fps, start_s=float(self.grid[j0])):
            t_decode += time.perf_counter() - tick
            if stop.is_set():
                return
            j = int(np.searchsorted(self.grid, t - 1e-6))
            if j >= n_samples or abs(self.grid[j] - t) > 1e-4:
                tick = time.perf_counter()
                continue
            self.decoded[j] = True
            if live:
                tp = time.perf_counter()
                xy, conf = self.backend.process(t, rgb)
                t_pose += time.perf_counter() - tp
                self.kp_xy[j] = xy
                self.kp_conf[j] = conf
            if self._frame_needed(j, w):
                pending[j] = rgb
                max_held = max(max_held, len(pending))
            # Samples up to j - ahead now have all the look-ahead their cleaning needs.
            if j + 1 - ahead - final_upto >= block:
                finalise(j + 1 - ahead)
                if not emit_ready():
                    return
            tick = time.perf_counter()
        finalise(n_samples)
        emit_ready()
        self.stats.update(decode_s=t_decode, pose_s=t_pose, clips_s=t_clip, max_frames_held=max_held)

    def _cleaned_keypoints(self, idx: list[int], ahead: int) -> tuple[np.ndarray, np.ndarray]:
        """Cleaned ``xy [n, 14, 2]``, ``conf [n, 14]`` of samples ``idx`` (sorted)."""
        if self.track is not None:
            return self.track.xy[idx], self.track.conf[idx]

        # Clean a stretch with history and look-ahead around the samples, as the whole track would be.
        lo, hi = max(0, idx[0] - ahead), min(len(self.grid), idx[-1] + ahead + 1)
        near = np.arange(lo, hi)[self.decoded[lo:hi]]
        local = KeypointTrack(self.grid[near], self.kp_xy[near], self.kp_conf[near],
                              (self.meta.width, self.meta.height), self.backend.name)
        clean = clean_track(local, self.pose_cfg)
        where = np.searchsorted(near, idx)
        return clean.xy[where], clean.conf[where]

    def _frame_needed(self, j: int, first_window: int) -> bool:
        """Whether sample ``j`` lies in a window not yet cut (strides over 5 s skip samples)."""
        k = min(j // self.step, self.n_windows - 1)  # the latest window starting at or before j
        return j >= first_window * self.step and j < k * self.step + self.wlen

    def _window_item(self, w: int, a: int, b: int, crops: dict) -> _Item:

        if not all(j in crops for j in range(a, b)):
            return _Item(w, reason=GAP_DECODE)
        clips = np.stack([crops[j][0] for j in range(a, b)], axis=1)  # [14, T, 3, S, S]
        positions = np.stack([crops[j][1] for j in range(a, b)], axis=1)  # [14, T, 3]
        # Same rule as crop_joint_clips: present frames have conf > 0 in the position tensor.
        mask = (positions[..., 2] > 0).mean(axis=1) >= MIN_PRESENT_FRACTION
        if not mask.any():
            return _Item(w, reason=GAP_NO_PERSON)
        return _Item(w, clips=JointClips(clips=clips, positions=positions, mask=mask))

    # -- consumer (model) -----------------------------------------------------------------
    def _chunks(self) -> Iterator[ResultChunk]:
        self._setup()
        first = self._try_resume()
        self.resumed_from = first
        model = self.engine.model
        qsize = self.engine.config.queue_windows or 2 * self.batch_size
        items: "queue.Queue" = queue.Queue(maxsize=max(2, qsize))
        stop = threading.Event()
        producer = threading.Thread(target=self._produce, args=(first, items, stop),
                                    name=f"semioscope-producer-{self.video_path.name}", daemon=True)
        started = time.perf_counter()
        last_flush = started
        emitted = first  # windows [0, emitted) already reported
        if first:
            yield self._chunk(0, first)
        done = first
        batch: list[_Item] = []
        t_model = 0.0
        finished = False
        restore_threads = self._set_cpu_threads(model)
        producer.start()
        try:
            while True:
                self.cancel.check()
                try:
                    item = items.get(timeout=0.1)
                except queue.Empty:
                    continue
                if isinstance(item, BaseException):
                    raise item
                end = item is _END
                if not end:
                    if item.clips is None:
                        self.reasons[item.index] = item.reason or GAP_DECODE
                        if not batch:
                            done = item.index + 1
                    else:
                        batch.append(item)
                if batch and (len(batch) >= self.batch_size or end):
                    tm = time.perf_counter()
                    self._run_batch(model, batch)
                    t_model += time.perf_counter() - tm
                    done = batch[-1].index + 1
                    batch = []
                    self.cancel.check()
                if end:
                    done = self.n_windows
                if done > emitted and (end or done - emitted >= self.batch_size or not batch):
                    yield self._chunk(emitted, done)
                    emitted = done
                    self._report(done, started, first)
                now = time.perf_counter()
                if self.out_path is not None and now - last_flush >= self.engine.config.flush_every_s:
                    self._save_partial(done)
                    last_flush = now
                if end:
                    break
            self.forecast = self._forecast_pass()
            finished = True
        finally:
            stop.set()
            producer.join(timeout=30)
            restore_threads()
            if self.backend is not None:
                self.backend.close()
            self.reader.close()
            if not finished and self.out_path is not None and done > first:
                try:
                    self._save_partial(done)
                except Exception:
                    pass  # never hide the original error behind a flush failure
        elapsed = time.perf_counter() - started
        self.stats.update(model_s=t_model, wall_s=elapsed,
                          video_s=float(self.ends[-1] - self.starts[first]) if first < self.n_windows else 0.0)
        self.result = self._final_result()
        if self.forecast is not None:

            add_forecast_to_result(self.result, self.forecast)
        if self.out_path is not None:
            self.result.save(self.out_path)
            partial_path_for(self.out_path).unlink(missing_ok=True)

    def _forecast_pass(self):
        """The forecast model's trace over the whole video (None without one). It runs after the
        detector, decoding the video again in its own streaming pass (its frames are sampled
        differently: 16 per clip at the model's size); cancelling here keeps the detector's
        windows as a partial result, so a rerun only redoes the forecast."""
        if not self.engine.config.forecast_model:
            return None
        tf = time.perf_counter()
        trace = self.engine.forecast_trace(self.video_path, self._forecast_progress(), self.cancel)
        self.stats["forecast_s"] = time.perf_counter() - tf
        return trace

    def _forecast_progress(self) -> Optional[ProgressFn]:
        """Forecast windows done -> the video seconds they cover, with the message ``forecast``."""
        if self.progress is None:
            return None
        total = float(self.ends[-1])

        def report(done: float, n: float, message: str = "") -> None:
            self.progress(total * done / n if n else total, total, "forecast")

        return report

    def _set_cpu_threads(self, model: WindowModel) -> Callable[[], None]:
        """On CPU, give torch all cores but the producer's; returns how to undo it."""
        if bool(getattr(getattr(model, "device", None), "is_cuda", False)):
            return lambda: None
        try:
            import torch
        except ImportError:
            return lambda: None
        import os

        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        want = self.engine.config.cpu_threads or max(1, cores - 1)
        before = torch.get_num_threads()
        torch.set_num_threads(want)
        self.stats["cpu_threads"] = want
        return lambda: torch.set_num_threads(before)

    def _run_batch(self, model: WindowModel, batch: list[_Item]) -> None:

        clips, positions, mask = stack_clips([it.clips for it in batch])
        probs, att = model.predict(clips, positions, mask)
        idx = np.array([it.index for it in batch])
        self.prob[idx] = np.asarray(probs, dtype=np.float32).reshape(-1)
        self.att[idx] = np.asarray(att, dtype=np.float32).reshape(len(idx), NUM_JOINTS)

    def _chunk(self, a: int, b: int) -> ResultChunk:
        return ResultChunk(a, self.starts[a:b].copy(), self.ends[a:b].copy(), self.prob[a:b].copy(),
                           self.att[a:b].copy(), self.n_windows, float(self.ends[b - 1]))

    def _report(self, done: int, started: float, first: int) -> None:
        if self.progress is None:
            return
        video_done = float(self.ends[done - 1])
        elapsed = max(time.perf_counter() - started, 1e-9)
        rate = (video_done - float(self.starts[first] if first < self.n_windows else 0.0)) / elapsed
        self.progress(video_done, float(self.ends[-1]), f"{rate:.1f} video-s/s")

    # -- results --------------------------------------------------------------------------
    def _gaps(self, upto_window: int) -> list[Gap]:
        """Explicit gaps: undecodable samples, a truncated tail, windows without a person."""
        gaps: list[Gap] = []
        limit = upto_window * self.step + (self.wlen - self.step if upto_window >= self.n_windows else 0)
        limit = min(limit, len(self.grid))
        missing = np.flatnonzero(~self.decoded[:limit])
        for j in missing:
            gaps.append(Gap(float(self.grid[j]), float(self.grid[j] + 1.0 / self.fps), GAP_DECODE))
        for w, reason in self.reasons.items():
            if w < upto_window and reason == GAP_NO_PERSON:
                gaps.append(Gap(float(self.starts[w]), float(self.ends[w]), GAP_NO_PERSON))
        if upto_window >= self.n_windows and self.meta.truncated:
            expected_end = self.meta.expected_frame_count / self.meta.fps if self.meta.fps > 0 else 0.0
            gaps.append(Gap(float(self.meta.duration_s), float(max(expected_end, self.meta.duration_s)),
                            GAP_TRUNCATED))
        return merge_gaps(gaps)

    def _keypoint_track(self, upto_sample: int, cleaned: bool) -> KeypointTrack:

        ok = np.flatnonzero(self.decoded[:upto_sample])
        source = self.backend.name if self.backend is not None else getattr(self, "raw_source", "unknown")
        raw = KeypointTrack(self.grid[ok], self.kp_xy[ok], self.kp_conf[ok], (self.meta.width, self.meta.height),
                            source, {"fingerprint": self.fingerprint, "cleaned": False})
        if not cleaned:
            return raw
        track = clean_track(raw, self.pose_cfg)
        track.meta = dict(track.meta, cleaned=True)
        return track

    def _video_dict(self) -> dict[str, Any]:
        import dataclasses

        return {"path": str(self.video_path.resolve()), "name": self.video_path.name,
                "fingerprint": self.fingerprint, "meta": dataclasses.asdict(self.meta)}

    def _save_partial(self, done: int) -> None:
        part = AnalysisResult(self.starts[:done], self.ends[:done], self.prob[:done], self.att[:done],
                              model=self.identity, config=self.config_dict, video=self._video_dict(),
                              gaps=self._gaps(done),
                              keypoints=self._keypoint_track(done * self.step, cleaned=False),
                              complete=False, notes={"windows_done": done})
        part.save(partial_path_for(self.out_path))

    def _final_result(self) -> AnalysisResult:
        n = len(self.grid)
        if self.decoded.any() and not (self.kp_conf[self.decoded] >= self.pose_cfg.min_confidence).any():
            raise NoPersonError(self.video_path, "no person was detected in any frame "
                                                 f"(keypoints: {self.kp_identity.get('kind')} "
                                                 f"{self.kp_identity.get('backend', self.kp_identity.get('file', ''))})")
        if not self.decoded.any():
            raise VideoError(self.video_path, "no sampled frame could be decoded")
        if self.backend is not None and self.engine.config.use_pose_cache and self.resumed_from == 0:

            store_track(self.video_path, self.backend, self.pose_cfg, self._keypoint_track(n, cleaned=False),
                        cache_dir=self.engine.config.cache_dir, fingerprint=self.fingerprint, fps=self.fps)
        events = detect_events(self.starts, self.ends, self.prob, self.event_cfg, self.att)
        return AnalysisResult(
            self.starts, self.ends, self.prob, self.att, model=self.identity, config=self.config_dict,
            video=self._video_dict(), gaps=self._gaps(self.n_windows), events=events,
            keypoints=self.track if self.track is not None else self._keypoint_track(n, cleaned=True),
            complete=True,
            notes={"windows_done": self.n_windows, "batch_size": self.batch_size,
                   "device": str(getattr(getattr(self.engine.model, "device", None), "name", "cpu")),
                   "resumed_from_window": self.resumed_from,
                   "decode_failures": int((~self.decoded).sum())},
        )

"""Live monitoring: a source read as it arrives, recorded, analysed and alarmed on, headless.

Pipeline (three threads; every queue bounded)::

    reader:    LiveSource -> night clock -> SegmentRecorder (remux)   -> OUT/segments/seg_*.ts
                                        \\-> 6 fps sampler --(queue, ~2 s)--\\
    processor: keypoints (pose / file) -> clean + crop (LiveWindower) -> detector per window
               -> CausalEvents -> AlarmLog (print, events.csv, --on-alarm)
    caller:    acknowledgements, status lines with the lag, partial result flushes, stop

The night clock: night second 0 is the first packet; within a connection the source's
timestamps advance it; after a reconnection (or a timestamp jump) it is re-anchored to the wall
clock, so an outage lasts as long on the night's timeline as it did in the room. When the
processor falls behind, the reader drops samples instead of waiting (a live source cannot
wait): whole stretches, until the queue is half empty, so the windows they touch become gaps
``behind``; the lag (wall time from a window's last frame arriving to its result) is logged.

At the end (``stop()``, Ctrl+C, the source gone for ``stop_after_idle_s``, or ``max_duration_s``)
the segments are remuxed into ``OUT/night.mp4`` and ``OUT/night.result.npz`` is written.
"""
from __future__ import annotations

import math
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from inference.core.config import PoseConfig
from inference.detector.clips import stack_clips
from inference.live.alarms import AlarmLog, CausalEvents, apply_ack, read_acks
from inference.live.night import LIVE_RESULT, NIGHT_RESULT, NIGHT_VIDEO, NightTrace, night_result, night_video_entry
from inference.live.observer import LiveObserver
from inference.live.recorder import SegmentRecorder, concatenate_segments
from inference.live.source import LiveSource
from inference.live.windows import GAP_BEHIND, GAP_CAMERA_DOWN, KeypointProvider, LiveWindow, LiveWindower, Sample
from inference.results.result_file import GAP_DECODE, GAP_NO_PERSON, GAP_PARTIAL_POSE, Gap, merge_gaps, model_identity

END = object()
FLUSH = object()  # the source went down: cut the windows that can be cut now
HOLD_S = 0.25  # a frame stands for sampling instants up to this long after it; beyond: missing
JUMP_S = 1.0  # frames further apart than this: the camera was down in between
REANCHOR_S = 30.0  # source timestamps drifting this far from the wall clock: re-anchor


@dataclass
class LiveSettings:
    """How to monitor (the model gives fps, window, clips and the event rules)."""

    stride_s: float = 1.0
    segment_s: float = 600.0
    queue_s: float = 2.0  # sampled frames buffered before the processor, seconds of stream
    read_timeout_s: float = 3.0
    follow_idle_s: Optional[float] = None
    stop_after_idle_s: Optional[float] = None  # stop when the source has been down this long
    max_duration_s: Optional[float] = None  # stop after this many wall seconds
    flush_every_s: float = 30.0
    status_every_s: float = 30.0
    min_free_mb: float = 200.0
    on_alarm: Optional[str] = None
    pose: PoseConfig = field(default_factory=PoseConfig)
    events: Optional[dict[str, float]] = None  # overrides of the run's event rules
    source_options: Optional[dict[str, str]] = None


class NightClock:
    """Source timestamps -> night seconds (see the module docstring).

    After a reconnection the source's timestamps are kept when they continue plausibly (ahead of
    the last ones by no more than the wall time that passed, x4 + 5 s: a sender that kept its
    clock); otherwise (a camera that restarted its clock) the wall time since the night began.
    """

    def __init__(self, follow: bool):
        self.follow = follow  # a followed file's timestamps are the truth: never re-anchored
        self.wall0: Optional[float] = None
        self._anchor: Optional[tuple[float, float, float]] = None  # (source s, night s, wall)
        self._last: Optional[tuple[float, float, float]] = None  # the last (source s, night s, wall)
        self.last_night = -math.inf

    def reconnect(self) -> None:
        self._anchor = None

    def __call__(self, source_s: float) -> float:
        now = time.monotonic()
        if self.wall0 is None:
            self.wall0 = now
        a = self._anchor
        if a is not None and not self.follow and abs((source_s - a[0]) - (now - a[2])) > REANCHOR_S:
            a = None
        if a is None:
            a = self._anchor = (source_s, self._restart_at(source_s, now), now)
        t = a[1] + (source_s - a[0])
        if self._last is None or t > self._last[1]:
            self._last = (source_s, t, now)
        self.last_night = max(self.last_night, t)
        return t

    def _restart_at(self, source_s: float, now: float) -> float:
        if self._last is None:
            return 0.0
        src, night, wall = self._last
        jump = source_s - src
        if 0.0 < jump <= 4.0 * (now - wall) + 5.0:
            return night + jump
        return max(now - self.wall0, night + 0.001)


class LiveMonitor:
    """Monitor ``source`` with ``model`` into ``out``; ``run()`` blocks until the night ends and
    returns the final result (also saved as ``OUT/night.result.npz``)."""

    def __init__(self, source: str, model: Any, keypoints: KeypointProvider, out: str | Path,
                 settings: LiveSettings = LiveSettings(), keypoint_identity: Optional[dict[str, Any]] = None,
                 print_fn: Callable[[str], None] = lambda s: print(s, flush=True),
                 observer: Optional[LiveObserver] = None):
        self.source_spec = source
        self.observer = observer or LiveObserver()
        self._next_display = 0.0  # monotonic time the next picture may go to the observer
        self.model = model
        self.settings = settings
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.print = print_fn
        seg = model.segment_config
        self.fps = float(seg.fps)
        self.window_len = seg.frames_per_window
        self.step = max(1, int(round(settings.stride_s * self.fps)))
        self.event_config = model.event_config.replace(
            **{k: float(v) for k, v in (settings.events or {}).items() if v is not None})
        self.stop_event = threading.Event()
        self.source = LiveSource(source, self.stop_event, read_timeout_s=settings.read_timeout_s,
                                 follow_idle_s=settings.follow_idle_s, options=settings.source_options)
        self.clock = NightClock(follow=self.source.kind == "file")
        self.recorder = SegmentRecorder(self.out / "segments", settings.segment_s, settings.min_free_mb)
        self.queue: queue.Queue = queue.Queue(maxsize=max(2, int(round(settings.queue_s * self.fps))))
        self.keypoints = keypoints
        self.keypoint_identity = keypoint_identity or {"kind": "live", "source": keypoints.name}
        self.windower = LiveWindower(self.fps, self.window_len, self.step, model.clip_config, settings.pose,
                                     keypoints, self._missing_reason)
        self.trace = NightTrace()
        self.events = CausalEvents(self.event_config)
        self.log = AlarmLog(self.out, settings.on_alarm, print_fn, {"source": source, "out": str(self.out)})
        self._missing: list[tuple[int, int, str]] = []  # [j0, j1) sample ranges never processed, and why
        self._missing_lock = threading.Lock()
        self.started_utc = datetime.now(timezone.utc).astimezone()
        self.down_since: Optional[float] = None  # monotonic time the source went down
        self.n_samples = 0
        self.stats: dict[str, Any] = {"frames": 0, "samples": 0, "dropped_samples": 0, "corrupt": 0,
                                      "windows": 0, "windows_skipped": 0, "outages": 0}
        self.lags: list[float] = []
        self._errors: list[BaseException] = []
        self.result = None

    # -- the night ------------------------------------------------------------------------
    def stop(self) -> None:
        self.stop_event.set()

    def run(self):
        reader = threading.Thread(target=self._guard, args=(self._read,), name="semioscope-live-reader", daemon=True)
        proc = threading.Thread(target=self._guard, args=(self._process,), name="semioscope-live-proc", daemon=True)
        t0 = time.monotonic()
        reader.start()
        proc.start()
        self.print(f"monitoring {self.source_spec} -> {self.out} (Ctrl+C ends the night)")
        ack_offset, last_flush, last_status = 0, t0, t0
        try:
            while proc.is_alive():
                time.sleep(0.25)
                now = time.monotonic()
                ack_offset = self._poll_acks(ack_offset)
                if now - last_flush >= self.settings.flush_every_s:
                    self._save(LIVE_RESULT, complete=False)
                    last_flush = now
                if now - last_status >= self.settings.status_every_s:
                    self.print(self.status_line())
                    last_status = now
                if self._errors or self._should_stop(now - t0):
                    self.stop()
        except KeyboardInterrupt:
            self.print("interrupted: finishing the night's files")
        finally:
            self.stop()
            reader.join(timeout=self.settings.read_timeout_s + 10)
            proc.join(timeout=60)
            self._poll_acks(ack_offset)
            self.result = self._finish()
        if self._errors:
            raise self._errors[0]
        return self.result

    def _should_stop(self, elapsed: float) -> bool:
        s = self.settings
        if s.max_duration_s is not None and elapsed >= s.max_duration_s:
            return True
        if self.source.ended:
            return True
        return (s.stop_after_idle_s is not None and self.down_since is not None
                and time.monotonic() - self.down_since >= s.stop_after_idle_s)

    def _guard(self, fn) -> None:
        try:
            fn()
        except BaseException as exc:  # re-raised by run() after the night's files are written
            self._errors.append(exc)
            self.stop_event.set()

    # -- reader thread --------------------------------------------------------------------
    def _read(self) -> None:
        prev = None  # (night s, source s, av frame, arrived)
        next_j = 0
        dropping = False
        up_message = ""
        try:
            for item in self.source.items():
                if item.kind == "up":
                    self.clock.reconnect()
                    self.recorder.begin(item.stream)
                    up_message = item.message
                elif item.kind == "down":
                    if self.down_since is None:
                        self.down_since = time.monotonic()
                        self.stats["outages"] += 1
                        last = prev[0] if prev else 0.0
                        self._system("camera_down", f"{self.source_spec}: {item.message}", last)
                        try:  # score what has arrived now rather than after the outage
                            self.queue.put_nowait(FLUSH)
                        except queue.Full:
                            pass
                elif item.kind == "corrupt":
                    self.stats["corrupt"] += 1
                elif item.kind == "packet":
                    p = item.packet
                    tb = float(p.time_base)
                    pts = self.clock(p.pts * tb if p.pts is not None else p.dts * tb)
                    dts = pts + ((p.dts - p.pts) * tb if p.dts is not None and p.pts is not None else 0.0)
                    self.recorder.packet(p, pts, dts)
                    self.recorder.check_space(pts)
                    self._recording_check()
                elif item.kind == "frame":
                    self.stats["frames"] += 1
                    t = self.clock(item.time_s)
                    if self.down_since is not None or prev is None:  # frames again: the source is up
                        self.down_since = None
                        self._system("camera_up", f"{self.source_spec}: {up_message}", t)
                    now = time.monotonic()
                    if self.observer.display_fps > 0 and now >= self._next_display:
                        self._next_display = now + 1.0 / self.observer.display_fps
                        self.observer.frame(t, item.frame.to_ndarray(format="rgb24"))
                    if self.recorder.encode:
                        self.recorder.frame(item.frame, t)
                        self._recording_check()
                    if prev is None:
                        next_j = max(next_j, int(math.ceil(t * self.fps - 1e-6)))
                    while prev is not None and next_j / self.fps < t - 1e-6:
                        g = next_j / self.fps
                        if prev[0] - 1e-6 <= g <= prev[0] + HOLD_S:
                            dropping = self._offer(next_j, prev, dropping)
                        elif g > prev[0] + HOLD_S:
                            self._mark_missing(next_j, next_j + 1, GAP_CAMERA_DOWN if t - prev[0] > JUMP_S else GAP_DECODE)
                        next_j += 1
                    prev = (t, item.time_s, item.frame, now)
        finally:
            if prev is not None:  # the last frame stands for the instants up to its hold time
                while next_j / self.fps <= prev[0] + min(HOLD_S, 1.0 / self.fps) - 1e-6:
                    dropping = self._offer(next_j, prev, dropping, block=True)
                    next_j += 1
            self.n_samples = next_j
            self.recorder.close()
            try:
                self.queue.put(END, timeout=30.0)
            except queue.Full:  # the processor died; run() reports its error
                pass

    def _offer(self, j: int, frame: tuple, dropping: bool, block: bool = False) -> bool:
        """Queue sample ``j``, or drop it when processing is behind; returns the dropping state."""
        if dropping and self.queue.qsize() > self.queue.maxsize // 2:
            self._mark_missing(j, j + 1, GAP_BEHIND)
            return True
        night, src, avf, arrived = frame
        sample = Sample(j, j / self.fps, src, avf.to_ndarray(format="rgb24"), arrived)
        if self.source.kind == "file":
            block = True  # a followed file waits on disk: read it at the processor's pace
        try:
            self.queue.put(sample, block=block, timeout=30.0 if block else None)
        except queue.Full:
            self._mark_missing(j, j + 1, GAP_BEHIND)
            return True
        self.stats["samples"] += 1
        return False

    def _mark_missing(self, j0: int, j1: int, reason: str) -> None:
        if j1 <= j0:
            return
        if reason == GAP_BEHIND:
            self.stats["dropped_samples"] += j1 - j0
        with self._missing_lock:
            if self._missing and self._missing[-1][2] == reason and self._missing[-1][1] >= j0:
                a, b, r = self._missing[-1]
                self._missing[-1] = (a, max(b, j1), r)
            else:
                self._missing.append((j0, j1, reason))

    def _missing_reason(self, j: int) -> str:
        with self._missing_lock:
            for a, b, r in reversed(self._missing):
                if a <= j < b:
                    return r
                if b <= j - 3600 * self.fps:
                    break
        return GAP_DECODE

    def _recording_check(self) -> None:
        if self.recorder.failed is not None and not getattr(self, "_recording_alarmed", False):
            self._recording_alarmed = True
            self._system("recording_stopped", f"RECORDING STOPPED: {self.recorder.failed}",
                         self.clock.last_night, alarm=True)

    # -- processing thread ----------------------------------------------------------------
    def _process(self) -> None:
        try:
            while True:
                item = self.queue.get()
                if item is END:
                    for w in self.windower.finish(self.n_samples):
                        self._score(w)
                    return
                if item is FLUSH:
                    windows = self.windower.finish(self.windower.next_sample)
                else:
                    windows = self.windower.add(item)
                    if self.windower.kp_xy:
                        self.observer.pose(item.night_s, self.windower.kp_xy[-1], self.windower.kp_conf[-1])
                for w in windows:
                    self._score(w)
        finally:
            self.keypoints.close()

    def _score(self, w: LiveWindow) -> None:
        prob, att = float("nan"), None
        if w.clips is not None:
            clips, positions, mask = stack_clips([w.clips])
            p, a = self.model.predict(clips, positions, mask)
            prob = float(np.asarray(p).reshape(-1)[0])
            att = np.asarray(a, dtype=np.float32).reshape(-1)
        else:
            self.stats["windows_skipped"] += 1
            if w.reason in (GAP_NO_PERSON, GAP_PARTIAL_POSE):
                with self.trace.lock:
                    self.trace.window_gaps.append(Gap(w.start_s, w.end_s, w.reason))
        self.trace.add(w.start_s, w.end_s, prob, att)
        self.stats["windows"] += 1
        lag = time.monotonic() - w.arrived if w.arrived else float("nan")
        if w.arrived:
            self.lags.append(lag)
        new, ended = self.events.add(w.start_s, w.end_s, prob, lag)
        self.observer.window(w.start_s, w.end_s, prob, lag, None if w.clips is not None else w.reason)
        for alarm in new:
            self.log.raised(alarm)
            self.observer.alarm("raised", alarm)
        for alarm in ended:
            self.log.ended(alarm, w.end_s)
            self.observer.alarm("ended", alarm)

    # -- acknowledgements, status, results -----------------------------------------------
    def _poll_acks(self, offset: int) -> int:
        recs, offset = read_acks(self.out, offset)
        for rec in recs:
            for alarm in apply_ack(self.events.alarms, rec):
                self.log.acknowledged(alarm)
                self.observer.alarm("acknowledged", alarm)
        return offset

    def _system(self, kind: str, message: str, stream_s: Optional[float] = None, alarm: bool = False) -> None:
        self.log.system(kind, message, stream_s, alarm=alarm)
        self.observer.system(kind, message, alarm)

    def lag_summary(self) -> dict[str, float]:
        lags = np.array(self.lags[-100000:])
        if not len(lags):
            return {"median": float("nan"), "p95": float("nan"), "max": float("nan")}
        return {"median": float(np.median(lags)), "p95": float(np.percentile(lags, 95)), "max": float(lags.max())}

    def status_line(self) -> str:
        lag = self.lag_summary()
        raised = sum(a.raised for a in self.events.alarms)
        rec = "recording" if self.recorder.recording else f"NOT RECORDING ({self.recorder.failed})"
        return (f"[{datetime.now().strftime('%H:%M:%S')}] stream {max(self.clock.last_night, 0):.0f} s, "
                f"{self.stats['windows']} windows ({self.stats['windows_skipped']} without a value, "
                f"{self.stats['dropped_samples']} samples dropped behind), lag median {lag['median']:.2f} s "
                f"p95 {lag['p95']:.2f} s, {len(self.events.alarms)} alarms ({raised} unacknowledged), {rec}")

    def gaps(self) -> list[Gap]:
        with self._missing_lock:
            missing = list(self._missing)
        return merge_gaps(Gap(a / self.fps, b / self.fps, r) for a, b, r in missing)

    def _config(self) -> dict[str, Any]:
        return {"stride_s": self.step / self.fps, "segments": self.model.segment_config.to_dict(),
                "clips": self.model.clip_config.to_dict(), "keypoints": self.keypoint_identity,
                "events": self.event_config.to_dict(),
                "live": {"source": self.source_spec, "segment_s": self.settings.segment_s}}

    def _save(self, name: str, complete: bool, video: Optional[Path] = None):
        m = self.model
        ident = model_identity(m.run_config, getattr(m, "run_dir", None), m.threshold)
        notes = {"live": True, "stats": dict(self.stats), "lag_s": self.lag_summary(),
                 "recording_error": self.recorder.failed}
        res = night_result(self.trace, self.events.alarms, self.gaps(),
                           self.windower.keypoint_track() if complete else None, ident, self._config(),
                           night_video_entry(video, self.started_utc, self.source_spec, self.recorder.failed),
                           complete, notes)
        try:
            res.save(self.out / name)
        except OSError as exc:
            self._system("recording_stopped", f"cannot write {name}: {exc}", alarm=True)
        return res

    def _finish(self):
        self.log.wait_commands(timeout=5.0)
        video = self.out / NIGHT_VIDEO
        try:
            summary = concatenate_segments(self.recorder.folder, video)
            self.stats["night_segments"] = summary["segments"]
            if summary["skipped"]:
                self.print(f"night.mp4: left out {'; '.join(summary['skipped'])}")
        except (ValueError, OSError) as exc:
            self.print(f"no night.mp4: {exc}")
            video = None
        res = self._save(NIGHT_RESULT, complete=True, video=video)
        self.print(f"night written: {self.out / NIGHT_RESULT}" + (f" and {video}" if video else "")
                   + f"; {self.status_line()}")
        return res

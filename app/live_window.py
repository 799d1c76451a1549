"""The live monitoring window (``semioscope monitor SOURCE --model RUN``): the camera's picture with
the skeleton, a rolling trace of the last minutes, the alarm banner and sound, the alarm list,
and the processing lag.

The monitor (``inference.live.monitor.LiveMonitor``) runs in its own threads exactly as headless;
this window only watches it through a :class:`LiveBridge` (an ``inference.live.observer``), whose
signals are queued to the GUI thread, and reads its counters twice a second. ``A`` acknowledges
every waiting alarm as confirmed, ``Shift+A`` as a false alarm: the acknowledgement goes through
``OUT/acks.jsonl`` like ``semioscope monitor-ack`` (who and when), the monitor applies it within
a second, and at the end of the night it is written to the night's annotations. Closing the
window ends the night: the segments are joined into ``night.mp4`` beside ``night.result.npz``.
"""
from __future__ import annotations

import math
import signal
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QSplitter, QVBoxLayout, QWidget

from app.alarm_sound import AlarmSound
from app.commands.monitor_ack import sync_acknowledgements
from app.commands.review import remembered_reviewer, require_display
from inference.core.device import model_cpu_threads, torch_threads
from inference.core.errors import SemioscopeError
from inference.live.alarms import Alarm, append_ack
from inference.live.monitor import LiveMonitor
from inference.live.observer import LiveObserver
from widgets.live_view import AlarmBanner, AlarmList, AlarmRow, LiveTrace
from widgets.timefmt import format_position
from widgets.video_view import VideoView

REPEAT_SOUND_S = 10.0  # a waiting alarm sounds again this often


class LiveBridge(QObject, LiveObserver):
    """The monitor's observer: each call becomes a queued signal (the monitor's threads never
    touch a widget)."""

    display_fps = 12.0
    frame_arrived = Signal(float, object)
    pose_arrived = Signal(float, object, object)
    window_scored = Signal(float, float, float, float, object)
    alarm_changed = Signal(str, object)
    system_event = Signal(str, str, bool)

    def frame(self, night_s: float, rgb: np.ndarray) -> None:
        self.frame_arrived.emit(night_s, rgb)

    def pose(self, night_s: float, xy: np.ndarray, conf: np.ndarray) -> None:
        self.pose_arrived.emit(night_s, np.array(xy), np.array(conf))

    def window(self, start_s, end_s, prob, lag_s, reason) -> None:
        self.window_scored.emit(start_s, end_s, prob, lag_s, reason)

    def alarm(self, kind: str, alarm: Alarm) -> None:
        self.alarm_changed.emit(kind, Alarm(**alarm.to_dict()))  # a copy: the monitor keeps changing its own

    def system(self, kind: str, message: str, is_alarm: bool) -> None:
        self.system_event.emit(kind, message, is_alarm)


class LiveWindow(QMainWindow):
    """Watch ``monitor`` (built with ``observer=bridge``); ``start()`` begins the night."""

    night_finished = Signal(object)  # the night's AnalysisResult, or None when it failed
    _night_done = Signal()  # emitted by the monitor's thread, received on the GUI thread

    def __init__(self, monitor: LiveMonitor, bridge: LiveBridge, reviewer: str, sound: bool = True):
        super().__init__()
        self.monitor = monitor
        self.bridge = bridge
        self.reviewer = reviewer
        self.sound = AlarmSound() if sound else None
        self.error: Optional[str] = None
        self.result = None
        self.frames_shown = 0
        self._pose: Optional[tuple[float, np.ndarray, np.ndarray]] = None
        self._frame_s: Optional[float] = None  # night time of the frame shown
        self._waiting: dict[int, AlarmRow] = {}
        self._last_sound = -math.inf
        self._thread: Optional[threading.Thread] = None
        self._closing = False
        self.setWindowTitle(f"Semioscope live — {monitor.source_spec}")
        self._build()
        bridge.frame_arrived.connect(self._on_frame)
        bridge.pose_arrived.connect(self._on_pose)
        bridge.window_scored.connect(self._on_window)
        bridge.alarm_changed.connect(self._on_alarm)
        bridge.system_event.connect(self._on_system)
        self._night_done.connect(self._finished, Qt.QueuedConnection)
        QShortcut(QKeySequence("A"), self, activated=lambda: self.acknowledge("confirmed"))
        QShortcut(QKeySequence("Shift+A"), self, activated=lambda: self.acknowledge("rejected"))
        self._tick = QTimer(self, interval=500, timeout=self._refresh)

    def _build(self) -> None:
        self.video = VideoView()
        self.video.setLegendVisible(False)
        self.video.setColorMode("confidence")
        self.banner = AlarmBanner()
        self.status = QLabel("starting…")
        self.status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.trace = LiveTrace(span_s=300.0, threshold=self.monitor.event_config.threshold)
        self.alarm_list = AlarmList()
        self.help = QLabel("A: acknowledge the alarm (seizure confirmed) · Shift+A: acknowledge as a false alarm · "
                           "closing the window ends the night and writes its files")
        self.help.setWordWrap(True)
        top = QSplitter(Qt.Horizontal)
        top.addWidget(self.video)
        top.addWidget(self.alarm_list)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 1)
        top.setSizes([820, 380])  # the picture first; the list needs only its columns
        body = QWidget()
        lay = QVBoxLayout(body)
        for w, stretch in ((self.banner, 0), (top, 3), (self.trace, 1), (self.status, 0), (self.help, 0)):
            lay.addWidget(w, stretch)
        self.setCentralWidget(body)
        self.resize(1200, 800)

    # -- the night ------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="semioscope-live-window", daemon=True)
        self._thread.start()
        self._tick.start()

    def _run(self) -> None:
        try:
            self.result = self.monitor.run()
        except Exception as exc:  # reported in the window and by the command; the night's files are written
            self.error = f"{exc.__class__.__name__}: {exc}"
            traceback.print_exc()
        self._night_done.emit()

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """End the night (the files are written in the monitor's thread; ``night_finished`` follows)."""
        self.status.setText("ending the night: writing night.mp4 and night.result.npz…")
        self.monitor.stop()

    def _finished(self) -> None:
        self._tick.stop()
        self._refresh()
        n = sync_acknowledgements(self.monitor.out)
        msg = (f"night ended: {self.monitor.out}; {n} acknowledgement(s) in its annotations; "
               f"review it with: semioscope review {self.monitor.out}")
        self.status.setText(msg if self.error is None else f"monitoring failed: {self.error}. {msg}")
        self.night_finished.emit(self.result)
        if self._closing:
            self.close()

    def closeEvent(self, event) -> None:
        if self.running():
            self._closing = True
            self.stop()
            event.ignore()  # closes once the files are written
            return
        super().closeEvent(event)

    # -- what the monitor reports -----------------------------------------------------------
    def _on_frame(self, night_s: float, rgb) -> None:
        self.video.setFrame(rgb)
        self.frames_shown += 1
        self._frame_s = night_s
        self._draw_pose()

    def _on_pose(self, night_s: float, xy, conf) -> None:
        self._pose = (night_s, xy, conf)
        # Pose can arrive after its frame (it runs behind the decoder): draw it on the frame shown
        # now, or the last frames of a stream that has stopped would never get their skeleton.
        self._draw_pose()

    def _draw_pose(self) -> None:
        """The latest pose on the frame shown, unless it is over 2 s from that frame (a stale
        skeleton on a live picture would mislead)."""
        pose, frame_s = self._pose, self._frame_s
        if pose is not None and frame_s is not None and abs(frame_s - pose[0]) <= 2.0:
            self.video.setPose(pose[1], pose[2])
        else:
            self.video.clearPose()

    def _on_window(self, start_s: float, end_s: float, prob: float, lag_s: float, reason) -> None:
        self.trace.addWindow(start_s, end_s, prob, reason)

    def _on_alarm(self, kind: str, alarm: Alarm) -> None:
        row = AlarmRow(alarm.id, alarm.start_s, alarm.end_s, alarm.peak_prob, alarm.raised_utc, alarm.lag_s,
                       alarm.ended, alarm.acked_by, alarm.acked_utc, alarm.status)
        self.alarm_list.setAlarm(row)
        self.trace.setAlarmSpan(alarm.id, alarm.start_s, alarm.end_s, still_open=not alarm.ended)
        if alarm.acked_by is None:
            self._waiting[alarm.id] = row
        else:
            self._waiting.pop(alarm.id, None)
        if kind == "raised":
            self._last_sound = -math.inf  # sound now, whatever was sounding
        self._update_banner()

    def _on_system(self, kind: str, message: str, is_alarm: bool) -> None:
        self.statusBar().showMessage(message, 0 if is_alarm else 15000)
        if is_alarm:
            self.banner.raise_alarm(message)

    def _update_banner(self) -> None:
        if not self._waiting:
            self.banner.clear_alarm()
            return
        first = min(self._waiting.values(), key=lambda r: r.id)
        self.banner.raise_alarm(
            f"SEIZURE ALARM #{first.id} at {format_position(first.start_s, 0)} (p {first.peak_prob:.2f})"
            + (f" and {len(self._waiting) - 1} more" if len(self._waiting) > 1 else "") + " — press A to acknowledge")
        self._sound_if_due()

    def _sound_if_due(self) -> None:
        now = time.monotonic()
        if self.sound is None or not self._waiting or now - self._last_sound < REPEAT_SOUND_S:
            return
        self._last_sound = now
        if not self.sound.play() and self.sound.problem:
            self.statusBar().showMessage(self.sound.problem + "; the banner still flashes", 15000)

    def acknowledge(self, status: str = "confirmed") -> Optional[dict[str, Any]]:
        """Acknowledge every waiting alarm as ``reviewer`` (``confirmed`` or ``rejected``)."""
        if not self._waiting:
            self.statusBar().showMessage("no alarm is waiting for an acknowledgement", 5000)
            return None
        rec = append_ack(self.monitor.out, self.reviewer, None, status)
        self.statusBar().showMessage(f"acknowledged by {self.reviewer} ({status}) at {rec['time_utc']}", 10000)
        if not self.running():  # the night has ended: nobody else will apply it
            for row in list(self._waiting.values()):
                self._on_alarm("acknowledged", Alarm(
                    row.id, row.start_s, row.end_s, row.peak_prob, peak_time_s=row.start_s, raised_s=row.start_s,
                    raised_utc=row.raised_utc, lag_s=row.lag_s, ended=row.ended, acked_by=self.reviewer,
                    acked_utc=rec["time_utc"], status=status))
            sync_acknowledgements(self.monitor.out)
        return rec

    def _refresh(self) -> None:
        self.trace.refresh()
        self._sound_if_due()
        m = self.monitor
        lag = m.lag_summary()
        st = m.stats
        rec = "recording" if m.recorder.recording else f"NOT RECORDING ({m.recorder.failed or 'no stream yet'})"
        down = " · CAMERA DOWN" if m.down_since is not None else ""
        self.status.setText(
            f"stream {format_position(max(m.clock.last_night, 0.0), 0)} · lag median {lag['median']:.2f} s, "
            f"p95 {lag['p95']:.2f} s · {st['windows']} windows ({st['windows_skipped']} without a value, "
            f"{st['dropped_samples']} samples dropped behind) · {len(m.events.alarms)} alarm(s) · {rec}{down}")


def window_for(source: str, model, keypoints, out: Path, settings, reviewer: str, keypoint_identity=None,
               sound: bool = True) -> LiveWindow:
    """A LiveWindow over a new LiveMonitor of ``source`` (not started)."""
    bridge = LiveBridge()
    monitor = LiveMonitor(source, model, keypoints, out, settings, keypoint_identity=keypoint_identity,
                          observer=bridge)
    return LiveWindow(monitor, bridge, reviewer, sound=sound)


def run_live_window(args, settings, out: Path, open_inputs: Callable[[], tuple[Any, Any, Any]]) -> int:
    """``semioscope monitor`` with its window: runs until the window closes and the night is
    written. ``open_inputs()`` loads (model, keypoints, keypoint identity), once there is a screen."""
    require_display("add --no-window to monitor headless (alarms printed and logged)")
    model, keypoints, identity = open_inputs()
    app = QApplication.instance() or QApplication(["semioscope"])
    app.setApplicationName("Semioscope")
    qs = QSettings("semioscope", "semioscope")
    if args.reviewer:
        qs.setValue("reviewer", args.reviewer)
    win = window_for(args.source, model, keypoints, out, settings, args.reviewer or remembered_reviewer(qs),
                     keypoint_identity=identity, sound=not args.no_sound)
    previous = signal.signal(signal.SIGTERM, lambda *a: win.stop())
    win.night_finished.connect(lambda _res: print(f"review the night: semioscope review {out}"))
    win.show()
    try:
        with torch_threads(model_cpu_threads(model.device)):
            win.start()
            app.exec()
    finally:
        signal.signal(signal.SIGTERM, previous)
    if win.running():  # the event loop ended another way: finish the night's files before leaving
        win.monitor.stop()
        win._thread.join(timeout=120)
    if win.error:
        raise SemioscopeError(f"monitoring {args.source} failed: {win.error}")
    return 0

"""The review window: video with skeleton, transport, probability timeline, joint attention,
events and annotations, wired to the frame loader, playback clock, analysis worker and the
annotation store.

Everything a user can do is a method here (``open_video``, ``seek``, ``mark``, ``review_current``,
``set_threshold``, ``export_training_labels``...), the shortcut table connects keys to them, and
tests call them directly. Annotation edits go through ``undo_stack`` (``app.edit_commands``);
the store autosaves after each one. Errors are shown in the window's message bar and status
bar, never as a traceback.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.analysis_worker import AnalysisWorker, warm_up_imports
from app.export import export_events_csv, export_training_labels
from app.frame_loader import FrameLoader
from app.playback import PlaybackClock
from inference.analysis.settings import EngineConfig
from inference.core.config import ClipConfig, EventConfig
from inference.core.errors import SemioscopeError, VideoError
from inference.dataset.manifest import load_manifest
from inference.detector.checkpoint import load_run
from inference.forecast.staleness import forecast_trace_stale
from inference.forecast.trace import forecast_alarms, forecast_from_result
from inference.pose.joints import JOINT_LABELS
from inference.pose.keypoint_files import sidecar_path
from inference.pose.keypoints import KeypointTrack
from inference.results.events import Event, detect_events
from inference.results.result_file import AnalysisResult
from widgets.annotation_panel import AnnotationPanel
from widgets.attention_map import AttentionMap, JointAttentionBars
from widgets.display_data import FORECAST_ALARM, EventRow, SeizureRow
from widgets.event_list import EventList
from widgets.keymap_dialog import KeymapDialog
from widgets.timefmt import format_time, parse_time
from widgets.timeline import TimelineWidget
from widgets.transport import TransportBar
from widgets.video_view import VideoView

from . import edit_commands as cmds
from .annotations import CONFIRMED, MARK_LABELS, REJECTED, UNREVIEWED, AnnotationStore, annotations_path_for
from .shortcuts import build_actions, fill_menus, keymap_rows, load_shortcuts

APP_NAME = "Semioscope"
RESULTS_SUFFIX = ".result.npz"


ALARM_STATUS = "—"  # a forecast alarm's status column: alarms are not reviewable


def results_path_for(video: str | Path) -> Path:
    """Where the window writes (and looks for) a video's analysis: ``<stem>.result.npz`` beside it."""
    video = Path(video)
    return video.with_name(video.stem + RESULTS_SUFFIX)


def load_style_sheet() -> str:
    from importlib import resources

    try:
        return resources.files("resources").joinpath("style.qss").read_text("utf-8")
    except (FileNotFoundError, OSError):
        return ""


class MainWindow(QMainWindow):
    """``MainWindow(reviewer, engine_config=None)``; then ``open_video(path, results=None, model=None)``.

    Public state for tests and tools: ``reader`` (VideoReader), ``loader`` (FrameLoader),
    ``clock`` (PlaybackClock), ``worker`` (AnalysisWorker or None), ``store`` (AnnotationStore),
    ``undo_stack``, ``events`` (list[Event] at the current threshold), ``current_frame``,
    ``current_time``, ``actions`` (id -> QAction from the shortcut table), and the widgets
    ``video_view``, ``transport``, ``timeline``, ``attention_map``, ``attention_bars``,
    ``event_list``, ``annotation_panel``, ``message_bar``, ``progress_bar``, ``cancel_button``.
    """

    def __init__(self, reviewer: str, engine_config: Any = None, parent: Optional[QWidget] = None,
                 log_path: Optional[Path] = None):
        super().__init__(parent)

        self.reviewer = reviewer
        self.engine_config = engine_config
        self.log_path = log_path
        self.setWindowTitle(APP_NAME)
        self.undo_stack = QUndoStack(self)
        self.reader = None
        self.loader = None
        self.clock = None
        self.worker = None
        self.store: Optional[AnnotationStore] = None
        self.video_path: Optional[Path] = None
        self.results_path: Optional[Path] = None
        self.model_dir: Optional[Path] = None
        self.current_frame = 0
        self.current_time = 0.0
        self.shown_frame = -1  # the frame on screen (the loader may still be catching up)
        self.event_config = EventConfig()
        self.events: list[Event] = []
        self.current_event: Optional[int] = None
        self._seizure_ids: list[str] = []
        self._keypoints = None  # KeypointTrack for the skeleton
        self._forecast = None
        self._forecast_trace = None  # inference.forecast.trace.ForecastTrace of the shown result
        self.alarms: list = []  # forecast alarms as EventRow, listed after the detections
        self._reuse_detector = False  # the loaded result is current but for its forecast trace
        self._model_cache = None  # ((run folder, device), LoadedDetector)
        self._pending_seek_s: Optional[float] = None
        self._open_args: dict = {}
        self._clear_trace()

        # -- widgets ---------------------------------------------------------------------
        self.video_view = VideoView(self)
        self.transport = TransportBar(self)
        self.timeline = TimelineWidget(self)
        self.attention_map = AttentionMap(self)
        self.attention_bars = JointAttentionBars(self)
        self.event_list = EventList(self)
        self.annotation_panel = AnnotationPanel(self)
        self.attention_map.linkTimeline(self.timeline)
        self.attention_map.attachBars(self.attention_bars)
        self.message_bar = QLabel(self)
        self.message_bar.setObjectName("messageBar")
        self.message_bar.setWordWrap(True)
        self.message_bar.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.message_bar.hide()

        video_box = QWidget(self)
        vl = QVBoxLayout(video_box)
        vl.setContentsMargins(0, 0, 0, 0)
        vl.setSpacing(2)
        vl.addWidget(self.message_bar)
        vl.addWidget(self.video_view, 1)
        vl.addWidget(self.transport)
        self.side_tabs = QTabWidget(self)
        self.side_tabs.addTab(self.event_list, "Events")
        self.side_tabs.addTab(self.annotation_panel, "Annotations")
        self.side_tabs.addTab(self.attention_bars, "Joints now")
        top = QSplitter(Qt.Horizontal, self)
        top.addWidget(video_box)
        top.addWidget(self.side_tabs)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)
        top.setSizes([820, 560])  # wide enough for every column of the events table
        plots = QSplitter(Qt.Vertical, self)
        plots.addWidget(self.timeline)
        plots.addWidget(self.attention_map)
        plots.setStretchFactor(0, 3)
        plots.setStretchFactor(1, 2)
        main = QSplitter(Qt.Vertical, self)
        main.addWidget(top)
        main.addWidget(plots)
        main.setStretchFactor(0, 3)
        main.setStretchFactor(1, 2)
        # Starting shares at the default 1400x900: the plots get ~half the height (a squeezed
        # probability trace is hard to read); the splitters keep these proportions when resized.
        plots.setSizes([250, 200])
        main.setSizes([430, 450])
        self.setCentralWidget(main)

        # -- status bar: message, progress, cancel --------------------------------------
        self.status_label = QLabel("Open a video (File → Open video)", self)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setMaximumWidth(260)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.hide()
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop the analysis; what is done so far is kept")
        self.cancel_button.clicked.connect(self.cancel_analysis)
        self.cancel_button.hide()
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.progress_bar)
        self.statusBar().addPermanentWidget(self.cancel_button)

        # -- actions from the one shortcut table -----------------------------------------
        self.shortcut_specs = load_shortcuts()
        self.actions = build_actions(self, self.shortcut_specs, self._handlers())
        self.menus = fill_menus(self.menuBar(), self.shortcut_specs, self.actions)
        self.actions["view.skeleton"].setChecked(True)
        self.actions["view.colour_attention"].setChecked(True)
        self.actions["view.forecast"].setChecked(True)
        self.timeline.forecast_check.toggled.connect(self.actions["view.forecast"].setChecked)
        self.undo_stack.canUndoChanged.connect(self.actions["edit.undo"].setEnabled)
        self.undo_stack.canRedoChanged.connect(self.actions["edit.redo"].setEnabled)
        self.undo_stack.undoTextChanged.connect(lambda t: self.actions["edit.undo"].setText(f"Undo {t}".strip()))
        self.undo_stack.redoTextChanged.connect(lambda t: self.actions["edit.redo"].setText(f"Redo {t}".strip()))
        self.actions["edit.undo"].setEnabled(False)
        self.actions["edit.redo"].setEnabled(False)

        # -- signals ----------------------------------------------------------------------
        self.transport.playToggled.connect(lambda on: self.play() if on else self.pause())
        self.transport.speedChanged.connect(self.set_speed)
        self.transport.frameStepRequested.connect(self.step_frames)
        self.transport.timeStepRequested.connect(self.step_seconds)
        self.transport.seekRequested.connect(self.seek)
        self.timeline.seekRequested.connect(self.seek)
        self.timeline.thresholdChanged.connect(self._on_threshold_dragged)
        self.timeline.thresholdChangeFinished.connect(self.set_threshold)
        self.timeline.markerMoved.connect(self._on_marker_moved)
        self.timeline.eventClicked.connect(self.go_to_event)
        self.event_list.eventActivated.connect(self.go_to_event)
        self.annotation_panel.edited.connect(self._on_panel_edited)
        self.annotation_panel.addRequested.connect(self.add_seizure_here)
        self.annotation_panel.deleteRequested.connect(self._on_panel_delete)
        self.annotation_panel.seizureActivated.connect(lambda _i, t: self.seek(t))
        self.video_view.jointClicked.connect(self._on_joint_clicked)

        # Partial results arrive faster than worth redrawing: coalesce to ~2 redraws a second.
        self._trace_timer = QTimer(self)
        self._trace_timer.setSingleShot(True)
        self._trace_timer.setInterval(400)
        self._trace_timer.timeout.connect(self._redraw_trace)
        # Store changes redraw on the next event-loop turn (never inside the emitting widget's slot).
        self._labels_timer = QTimer(self)
        self._labels_timer.setSingleShot(True)
        self._labels_timer.setInterval(0)
        self._labels_timer.timeout.connect(self.refresh_labels)
        # Transient status messages clear themselves (a timer the window owns dies with it).
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(lambda: self.status_label.setText(""))
        self.resize(1400, 900)

    # == handlers table ====================================================================
    def _handlers(self) -> dict:
        return {
            "file.open_video": self.ask_open_video,
            "file.open_results": self.ask_open_results,
            "file.export_labels": self.ask_export_training_labels,
            "file.export_events": self.ask_export_events,
            "file.quit": self.close,
            "edit.undo": self.undo_stack.undo,
            "edit.redo": self.undo_stack.redo,
            "mark.eeg_onset": lambda: self.mark("eeg_onset_s"),
            "mark.clinical_onset": lambda: self.mark("clinical_onset_s"),
            "mark.seizure_end": lambda: self.mark("end_s"),
            "annotation.delete": self.delete_selected_seizure,
            "event.next": self.next_event,
            "event.previous": self.previous_event,
            "event.confirm": lambda: self.review_current(CONFIRMED),
            "event.reject": lambda: self.review_current(REJECTED),
            "event.unreview": lambda: self.review_current(UNREVIEWED),
            "play.toggle": self.toggle_play,
            "step.frame_forward": lambda: self.step_frames(1),
            "step.frame_back": lambda: self.step_frames(-1),
            "step.second_forward": lambda: self.step_seconds(1.0),
            "step.second_back": lambda: self.step_seconds(-1.0),
            "step.ten_forward": lambda: self.step_seconds(10.0),
            "step.ten_back": lambda: self.step_seconds(-10.0),
            "speed.faster": lambda: self.clock and self.set_speed(self.clock.faster()),
            "speed.slower": lambda: self.clock and self.set_speed(self.clock.slower()),
            "speed.normal": lambda: self.set_speed(1.0),
            "go.to_time": self.ask_go_to_time,
            "view.skeleton": self.set_skeleton_visible,
            "view.colour_attention": lambda on: on and self.set_colour_mode("attention"),
            "view.colour_confidence": lambda on: on and self.set_colour_mode("confidence"),
            "view.forecast": self.timeline.setForecastVisible,
            "view.unreviewed_only": self.event_list.setOnlyUnreviewed,
            "analysis.cancel": self.cancel_analysis,
            "help.keyboard": self.show_keymap,
        }

    # == messages ==========================================================================
    def show_message(self, text: str, timeout_ms: int = 0) -> None:
        self.status_label.setText(text)
        self._message_timer.stop()
        if timeout_ms:
            self._message_timer.start(timeout_ms)

    def show_error(self, text: str) -> None:
        """A problem the user must see: the red bar above the video plus the status bar."""
        self._message_timer.stop()
        self.message_bar.setProperty("level", "error")
        self.message_bar.setText(text)
        self.message_bar.setStyleSheet("background:#5c1f24;color:#ffdede;padding:6px;border-radius:3px;")
        self.message_bar.show()
        self.status_label.setText(text)

    def show_warning(self, text: str) -> None:
        self._message_timer.stop()
        self.message_bar.setText(text)
        self.message_bar.setStyleSheet("background:#5a4a17;color:#fff3cf;padding:6px;border-radius:3px;")
        self.message_bar.show()
        self.status_label.setText(text)

    def clear_message_bar(self) -> None:
        self.message_bar.hide()
        self.message_bar.setText("")

    # == opening ===========================================================================
    def open_video(self, path: str | Path, results: Optional[str | Path] = None, model: Optional[str | Path] = None,
                   annotations: Optional[str | Path] = None, analyse: bool = True) -> bool:
        """Open a video with its annotations; load ``results`` (or the ones beside the video);
        otherwise, with a ``model`` run folder, start analysing in the background.

        The first frame shows at once; the frame loader thread builds the timestamp index (seconds
        for an hour of video) and the rest follows in ``_finish_open`` (``is_open()`` turns True).
        Returns False when the file is plainly not there; other problems arrive in the message bar.
        """


        self.close_video()
        path = Path(path)
        if not path.is_file():
            self.show_error(str(VideoError(path, "file not found" if not path.exists() else "is not a file")))
            return False
        self.video_path = path
        self.model_dir = Path(model) if model is not None else None
        self._open_args = {"results": results, "annotations": annotations, "analyse": analyse}
        self.setWindowTitle(f"{path.name} — {APP_NAME}")
        self.clear_message_bar()
        self.loader = FrameLoader(path, self)
        self.loader.frame_ready.connect(self._on_frame_ready)
        self.loader.failed.connect(lambda f, msg: self.show_error(msg))
        self.loader.opened.connect(self._finish_open)
        self.loader.open_failed.connect(self._on_open_failed)
        self.show_message(f"Opening {path.name} (reading its frame timestamps)…")
        self.loader.start()
        return True

    def is_open(self) -> bool:
        return self.reader is not None

    def _on_open_failed(self, message: str) -> None:
        self.show_error(message)
        self.close_video()
        self.video_path = None
        self.setWindowTitle(APP_NAME)

    def _finish_open(self, reader) -> None:

        if self.loader is None or reader is not self.loader.reader:
            return  # a video opened since
        self.reader = reader
        path = self.video_path
        args = self._open_args
        meta = reader.meta
        frame_times = reader.index.pts_s
        typical = float(np.median(np.diff(frame_times))) if len(frame_times) > 1 else 1 / 30
        self.clock = PlaybackClock(meta.duration_s, typical, self)
        self.clock.tick.connect(self._on_clock_tick)
        self.clock.state_changed.connect(self.transport.setPlaying)
        self.clock.speed_changed.connect(self.transport.setSpeed)
        self.loader.follow(self.clock)  # the loader paces playback itself, dropping late frames
        self.transport.setDuration(meta.duration_s, len(frame_times))
        self.timeline.setDuration(meta.duration_s)
        self.timeline.setFrameTimes(frame_times)
        self.timeline.setXRange(0.0, min(meta.duration_s, 600.0))
        self.annotation_panel.setFps(meta.fps)
        self.annotation_panel.setFrameTimes(frame_times)
        if meta.truncated or meta.variable_frame_rate:
            self.show_warning(f"{path.name}: {meta.summary()}")

        # Annotations (restored with every review status) before any events are shown.
        annotations = args["annotations"]
        ann_path = Path(annotations) if annotations is not None else annotations_path_for(path)
        try:
            self.store = AnnotationStore.open(ann_path, self.reviewer, video={"path": path.name})
        except SemioscopeError as exc:
            self.show_error(f"{exc}. Annotations of this session go to a new file beside it.")
            from datetime import datetime

            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            self.store = AnnotationStore.open(ann_path.with_name(f"{ann_path.name}.recovered-{stamp}.json"),
                                              self.reviewer, video={"path": path.name})
        self.store.listeners.append(lambda _e: self._labels_timer.start())
        self.store.save_listeners.append(self._on_saved)
        self.undo_stack.clear()
        self.refresh_labels()

        self._load_sidecar_keypoints(path)
        results = args["results"]
        results_file = Path(results) if results is not None else results_path_for(path)
        loaded = False
        if results_file.exists():
            loaded = self.open_results(results_file, check_model=self.model_dir)
        elif self.model_dir is None and results is not None:
            self.show_error(f"{results_file}: result file not found")
        self.results_path = results_file  # where a new analysis is written
        if not loaded and self.model_dir is not None and args["analyse"]:
            self.start_analysis(self.model_dir)
        elif not loaded and not self.message_bar.isVisible():
            self.show_message(f"{path.name}: {meta.summary()}. No analysis yet (review --model RUN to analyse).")
        pending, self._pending_seek_s = self._pending_seek_s, None
        self.seek(pending or 0.0)
        if pending is not None:
            self.timeline.centerOn(pending)

    def _load_sidecar_keypoints(self, video: Path) -> None:
        """Keypoints shown before the analysis has produced its own: ground truth beside a
        synthetic recording, which is also what the engine reads with ``keypoints="gt"``."""

        cfg = self.engine_config
        if cfg is None or getattr(cfg, "keypoints", None) != "gt":
            return
        side = sidecar_path(video)
        if side.exists():
            try:
                self._keypoints = KeypointTrack.load(side)
            except SemioscopeError as exc:
                self.show_warning(str(exc))

    def open_results(self, path: str | Path, check_model: Optional[Path] = None) -> bool:
        """Show a result file. Stale results (the video or model changed) are reported; with a
        model at hand a fresh analysis replaces them. Returns True when the results are current."""

        path = Path(path)
        try:
            result = AnalysisResult.load(path)
        except SemioscopeError as exc:
            self.show_error(str(exc))
            return False
        stale = None
        if self.video_path is not None:
            try:
                stale = result.is_stale(self.video_path, check_model)
            except (SemioscopeError, TypeError) as exc:
                stale = str(exc)
        self.results_path = path
        self._show_result(result)
        fc_stale = self._forecast_stale(result) if not stale and result.complete else None
        if fc_stale:
            if self.model_dir is not None:  # the analysis keeps the detector's windows, redoes the forecast
                self._reuse_detector = True
                self.show_message(f"Results {path.name}: {fc_stale}; computing the forecast trace…")
                return False
            self.show_warning(f"Results {path.name}: {fc_stale}. Open the detector too (review --model RUN "
                              "--forecast-model DIR) to compute the forecast trace.")
        if stale:
            self.show_warning(f"Results {path.name} are stale: {stale}."
                              + (" Re-analysing." if self.model_dir is not None else
                                 " Open the model (review --model RUN) to re-analyse."))
            return False
        if not result.complete:
            self.show_warning(f"Results {path.name} are incomplete (analysis was interrupted at "
                              f"{result.window_end_s[-1] if len(result) else 0:.0f} s).")
            return False
        self.show_message(f"Loaded {path.name}: {len(result)} windows, {len(self.events)} events "
                          f"(model {result.model.get('run_name')})")
        return True

    def _show_result(self, result) -> None:
        self._clear_trace()
        self._starts = result.window_start_s.copy()
        self._ends = result.window_end_s.copy()
        self._prob = result.prob.copy()
        self._att = result.attention.copy()
        if result.keypoints is not None:
            self._keypoints = result.keypoints
        ev_cfg = (result.config or {}).get("events")
        if ev_cfg:
            self.event_config = EventConfig.from_dict(ev_cfg)
        elif "threshold" in (result.model or {}):
            self.event_config = self.event_config.replace(threshold=float(result.model["threshold"]))
        self.timeline.setThreshold(self.event_config.threshold)
        gaps = None
        if result.gaps:
            gaps = ([g.start_s for g in result.gaps], [g.end_s for g in result.gaps])
        self._gaps = gaps

        fc = forecast_from_result(result)
        if fc is not None:
            self.set_forecast(0.5 * (fc.start_s + fc.end_s), fc.prob)
        else:
            self._forecast = None
            self.timeline.setForecast([], [])
        self._forecast_trace = fc
        self._redraw_trace()

    def _forecast_stale(self, result) -> Optional[str]:
        """Why the result's forecast trace is not that of the forecast model given (None: it is,
        or none is given)."""
        model = getattr(self.engine_config, "forecast_model", None)
        if not model:
            return None

        try:
            return forecast_trace_stale(result, model, float(getattr(self.engine_config, "stride_s", 1.0)))
        except SemioscopeError as exc:
            return str(exc)

    def set_forecast(self, t, value) -> None:
        """The forecaster's trace (``t [M]`` seconds, ``value [M]``), toggled with View → forecast."""
        self._forecast = (np.asarray(t, dtype=np.float64), np.asarray(value, dtype=np.float64))
        self._forecast_trace = None  # a bare curve: no windows to take alarms from
        self.timeline.setForecast(*self._forecast)
        self.timeline.setForecastVisible(self.actions["view.forecast"].isChecked())

    def close_video(self) -> None:
        self.cancel_analysis(wait=True)
        if self.clock is not None:
            self.clock.pause()
            self.clock.deleteLater()
            self.clock = None
        if self.loader is not None:
            self.loader.stop()
            self.loader.deleteLater()
            self.loader = None
        self.reader = None
        self.results_path = None
        self.current_frame = 0
        self.current_time = 0.0
        self._pending_seek_s = None
        if self.store is not None:
            self.store.listeners.clear()
            self.store.save_listeners.clear()
        self.store = None
        self._keypoints = None
        self._forecast = None
        self._forecast_trace = None
        self.alarms = []
        self._reuse_detector = False
        self.timeline.setForecast([], [])
        self.timeline.setForecastAlarms([], None)
        self.events = []
        self.current_event = None
        self.shown_frame = -1
        self._clear_trace()

    def _clear_trace(self) -> None:
        self._starts = np.zeros(0)
        self._ends = np.zeros(0)
        self._prob = np.zeros(0, dtype=np.float32)
        self._att = np.zeros((0, 14), dtype=np.float32)
        self._gaps = None

    # == analysis ==========================================================================
    def start_analysis(self, run_dir: str | Path) -> None:
        """Run the engine on the open video in a background thread (partials stream in)."""

        warm_up_imports()

        if self.video_path is None:
            self.show_error("Open a video first")
            return
        self.cancel_analysis(wait=True)
        self._clear_trace()
        self._redraw_trace()
        self.model_dir = Path(run_dir)
        cfg = self.engine_config or EngineConfig()
        model = self.load_model(self.model_dir, cfg.device)
        if model is None:
            return
        threads = max(1, (os.cpu_count() or 2) - 1)
        out = self.results_path if self.results_path is not None else results_path_for(self.video_path)
        self.results_path = out
        reuse, self._reuse_detector = self._reuse_detector, False
        self.worker = AnalysisWorker(self.video_path, self.model_dir, out, cfg, model=model, log_path=self.log_path,
                                     torch_threads=threads, reuse=reuse, parent=self)
        self.worker.progress.connect(self._on_progress)
        self.worker.partial.connect(self._on_partial)
        self.worker.finished_result.connect(self._on_analysis_finished)
        self.worker.failed.connect(self._on_analysis_failed)
        self.worker.cancelled.connect(self._on_analysis_cancelled)
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setFormat("analysing…")
        self.progress_bar.show()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.show_message(f"Analysing {self.video_path.name} with {self.model_dir.name}…")
        self.worker.start()

    def load_model(self, run_dir: Path, device: str = "auto"):
        """Load (once) the run's detector here, in the GUI thread: importing torch, transformers and
        peft holds the interpreter for long stretches, so doing it before the worker starts keeps
        the window responsive while the analysis runs. Errors go to the message bar (None)."""
        from PySide6.QtWidgets import QApplication

        key = (str(Path(run_dir).resolve()), device)
        if self._model_cache is not None and self._model_cache[0] == key:
            return self._model_cache[1]
        self.show_message(f"Loading model {Path(run_dir).name}…")
        QApplication.setOverrideCursor(Qt.WaitCursor)
        try:

            model = load_run(run_dir, device=device)
        except SemioscopeError as exc:
            self.show_error(str(exc))
            return None
        finally:
            QApplication.restoreOverrideCursor()
        self._model_cache = (key, model)
        return model

    def cancel_analysis(self, wait: bool = False) -> None:
        w = self.worker
        if w is None:
            return
        if w.isRunning():
            w.cancel()
            self.cancel_button.setEnabled(False)
            self.show_message("Cancelling analysis (finishing the current batch)…")
            if wait:
                w.wait(60000)
        if wait:
            self.worker = None

    def analysis_running(self) -> bool:
        return self.worker is not None and self.worker.isRunning()

    def _on_progress(self, done: float, total: float, message: str) -> None:
        if total > 0:
            self.progress_bar.setRange(0, 1000)
            self.progress_bar.setValue(int(1000 * min(done / total, 1.0)))
            self.progress_bar.setFormat(f"{100 * done / total:.0f}%  {message}")
        else:
            self.progress_bar.setFormat(message or "analysing…")

    def _on_partial(self, chunk) -> None:
        n = chunk.first_index
        self._starts = np.concatenate([self._starts[:n], chunk.start_s])
        self._ends = np.concatenate([self._ends[:n], chunk.end_s])
        self._prob = np.concatenate([self._prob[:n], chunk.prob])
        self._att = np.concatenate([self._att[:n], chunk.attention])
        if not self._trace_timer.isActive():
            self._trace_timer.start()

    def _analysis_done(self) -> None:
        self.progress_bar.hide()
        self.cancel_button.hide()

    def _on_analysis_finished(self, result) -> None:
        self._analysis_done()
        self._trace_timer.stop()
        self._show_result(result)
        self.clear_message_bar()
        where = f" → {self.results_path}" if self.results_path else ""
        self.show_message(f"Analysis finished: {len(result)} windows, {len(self.events)} events{where}. "
                          "N: next event, Y/R: confirm/reject, Space: play, F1: all keys")

    def _on_analysis_failed(self, message: str) -> None:
        self._analysis_done()
        self._redraw_trace()
        self.show_error(message)

    def _on_analysis_cancelled(self) -> None:
        self._analysis_done()
        self._redraw_trace()
        done = float(self._ends[-1]) if len(self._ends) else 0.0
        self.show_message(f"Analysis cancelled at {done:.0f} s; the partial results are kept "
                          "(a new run continues from there)")

    # == trace, events =====================================================================
    def _redraw_trace(self) -> None:
        mid = 0.5 * (self._starts + self._ends)
        self.timeline.setTrace(mid, self._prob, self._gaps)
        self.attention_map.setAttention(mid, self._att)
        self.recompute_events()
        self.attention_map.setCurrentTime(self.current_time)
        if self.reader is not None and self.shown_frame >= 0:
            self._update_pose(self.reader.frame_to_time(self.shown_frame))

    def _on_threshold_dragged(self, value: float) -> None:
        self.event_config = self.event_config.replace(threshold=float(value))
        self.recompute_events()

    def set_threshold(self, value: float) -> None:
        """Move the detection threshold; the events are recomputed at once."""
        value = float(min(max(value, 0.0), 1.0))
        if abs(self.timeline.threshold() - value) > 1e-9:
            self.timeline.setThreshold(value)
        self.event_config = self.event_config.replace(threshold=value)
        self.recompute_events()
        self.show_message(f"Threshold {value:.2f}: {len(self.events)} events", 4000)

    def recompute_events(self) -> None:
        if len(self._prob):
            self.events = detect_events(self._starts, self._ends, self._prob, self.event_config, self._att)
        else:
            self.events = []
        if self.current_event is not None and self.current_event >= len(self.events) + len(self.alarms):
            self.current_event = None
        self._refresh_event_rows()

    def _event_rows(self):

        store = self.store
        return [EventRow.from_event(e, store.status_of(e.start_s, e.end_s) if store else UNREVIEWED)
                for e in self.events]

    def _alarm_rows(self):
        """Forecast alarms: upward crossings of the forecast model's threshold by its trace, each
        with its lead time before the next annotated onset (clinical or EEG, as the forecast
        model was trained on) when one follows within 60 s. Not reviewable: their status is
        ``ALARM_STATUS`` and confirm/reject ignore them."""

        fc = self._forecast_trace
        if fc is None or not len(fc):
            return []
        field = "eeg_onset_s" if fc.meta.get("onset") == "eeg" else "clinical_onset_s"
        onsets = [getattr(s, field) for s in (self.store.seizures() if self.store else [])]
        onsets = [t for t in onsets if t is not None]
        rows = []
        for t, lead in forecast_alarms(fc, float(fc.meta.get("threshold", 0.5)), onsets):
            k = int(np.argmin(np.abs(fc.end_s - t)))
            rows.append(EventRow(t, t, float(fc.prob[k]), ALARM_STATUS, FORECAST_ALARM, lead))
        return rows

    def _refresh_event_rows(self) -> None:
        rows = self._event_rows()
        self.alarms = self._alarm_rows()
        fc = self._forecast_trace
        self.timeline.setForecastAlarms([a.start_s for a in self.alarms],
                                        float(fc.meta.get("threshold", 0.5)) if fc is not None and len(fc) else None)
        self.timeline.setEvents(rows)
        self.event_list.setEvents(rows + self.alarms)
        if self.current_event is not None:
            self.event_list.selectRow(self.current_event)

    def event_status(self, index: int) -> str:
        e = self.events[index]
        return self.store.status_of(e.start_s, e.end_s) if self.store else UNREVIEWED

    def go_to_event(self, index: int) -> None:
        """Go to row ``index`` of the events panel: a detection, or (after them) a forecast alarm."""
        if len(self.events) <= index < len(self.events) + len(self.alarms):
            a = self.alarms[index - len(self.events)]
            self.current_event = index
            self.event_list.selectRow(index)
            self.seek(a.start_s)
            lead = f", {a.lead_time_s:.1f} s before the annotated onset" if a.lead_time_s is not None \
                else " (no annotated onset follows)"
            self.show_message(f"Forecast alarm at {format_time(a.start_s)}, P = {a.peak_prob:.2f}{lead}")
            return
        if not 0 <= index < len(self.events):
            return
        self.current_event = index
        self.event_list.selectRow(index)
        e = self.events[index]
        self.seek(e.start_s)
        a, b = self.timeline.xRange()
        if not (a <= e.start_s and e.end_s <= b):
            self.timeline.centerOn(0.5 * (e.start_s + e.end_s))
        self.show_message(f"Event {index + 1}/{len(self.events)}: {format_time(e.start_s)}–{format_time(e.end_s)}, "
                          f"peak {e.peak_prob:.2f}, {self.event_status(index)}")

    def next_event(self) -> None:
        """The next detection (N / P walk the detections to review; forecast alarms are skipped)."""
        row = self.event_list.nextRow(self.current_event) if self.current_event is not None \
            else self.event_list.rowAfter(self.current_time - 1e-6)
        while row is not None and row >= len(self.events):
            row = self.event_list.nextRow(row)
        if row is None:
            self.show_message("No later event", 3000)
            return
        self.go_to_event(row)

    def previous_event(self) -> None:
        row = self.event_list.previousRow(self.current_event) if self.current_event is not None \
            else self.event_list.rowBefore(self.current_time)
        while row is not None and row >= len(self.events):
            row = self.event_list.previousRow(row)
        if row is None:
            self.show_message("No earlier event", 3000)
            return
        self.go_to_event(row)

    def _event_at_cursor(self) -> Optional[int]:
        if self.current_event is not None:
            return self.current_event
        for i, e in enumerate(self.events):
            if e.start_s <= self.current_time <= e.end_s:
                return i
        return None

    def review_current(self, status: str) -> None:
        """Confirm / reject / reset the current event (the selected one, else the one under the cursor)."""
        i = self._event_at_cursor()
        if i is not None and i >= len(self.events):
            self.show_message("Forecast alarms are not reviewed: confirm or reject the detections", 4000)
            return
        if i is None or self.store is None:
            self.show_message("No event selected: go to one with N / P or click it", 4000)
            return
        e = self.events[i]
        self.current_event = i
        self.undo_stack.push(cmds.review_command(self.store, e.start_s, e.end_s, e.peak_prob, status))

    # == annotations =======================================================================
    def _selected_seizure_id(self) -> Optional[str]:
        i = self.annotation_panel.selectedIndex()
        if i is not None and i < len(self._seizure_ids):
            return self._seizure_ids[i]
        return None

    def mark(self, field: str) -> None:
        """Mark EEG onset / clinical onset / seizure end at the current frame's time."""
        if self.store is None or self.reader is None:
            self.show_message("Open a video first", 3000)
            return
        t = self.reader.frame_to_time(self.current_frame)
        self.undo_stack.push(cmds.mark_command(self.store, field, t, self._selected_seizure_id()))
        self.show_message(f"Marked {MARK_LABELS[field]} at frame {self.current_frame} ({t:.3f} s)", 4000)

    def add_seizure_here(self) -> None:
        if self.store is None or self.reader is None:
            return
        t = self.reader.frame_to_time(self.current_frame)
        self.undo_stack.push(cmds.add_seizure_command(self.store, {"eeg_onset_s": t}))

    def delete_selected_seizure(self) -> None:
        sid = self._selected_seizure_id()
        if sid is None or self.store is None:
            self.show_message("Select a seizure in the Annotations tab to delete it", 4000)
            return
        self.undo_stack.push(cmds.delete_seizure_command(self.store, sid))

    def _on_panel_delete(self, index: int) -> None:
        if self.store is not None and 0 <= index < len(self._seizure_ids):
            self.undo_stack.push(cmds.delete_seizure_command(self.store, self._seizure_ids[index]))

    def _on_panel_edited(self, index: int, field: str, value: object) -> None:
        if self.store is None or not 0 <= index < len(self._seizure_ids):
            return
        sid = self._seizure_ids[index]
        if self.store.seizure(sid).get(field) == value:
            return
        self.undo_stack.push(cmds.set_field_command(self.store, sid, field, value, merge=True, verb="edit"))

    def _on_marker_moved(self, index: int, field: str, t: float) -> None:
        if self.store is None or not 0 <= index < len(self._seizure_ids):
            return
        if self.reader is not None:  # snap to the frame on screen at t
            t = self.reader.frame_to_time(self.reader.time_to_frame(t + 1e-6))
        self.undo_stack.push(cmds.set_field_command(self.store, self._seizure_ids[index], field, t, verb="drag"))

    def refresh_labels(self) -> None:
        """Redraw seizures (timeline markers, panel rows) and event statuses from the store."""

        self._labels_timer.stop()
        labels = self.store.seizures() if self.store is not None else []
        rows = [SeizureRow(s.eeg_onset_s, s.clinical_onset_s, s.end_s, s.seizure_type) for s in labels]
        ids = [s.id for s in labels]
        self.timeline.setSeizures(rows)
        if len(ids) == len(self._seizure_ids) and len(ids) == self.annotation_panel.seizureCount():
            for i, r in enumerate(rows):
                self.annotation_panel.updateSeizure(i, r)
        else:
            self.annotation_panel.setSeizures(rows)
        self._seizure_ids = ids
        self._refresh_event_rows()

    def _on_saved(self, ok: bool, message: str) -> None:
        if ok:
            self.show_message(message, 3000)
        else:
            self.show_error(message)

    # == position ==========================================================================
    def seek(self, t: float) -> None:
        """Go to the frame on screen at ``t`` seconds (through the timestamp index)."""
        if self.reader is None:
            if self.video_path is not None:
                self._pending_seek_s = float(t)  # still opening: go there once the index exists
            return
        self.seek_frame(self.reader.time_to_frame(max(float(t), 0.0)))

    def seek_frame(self, frame: int) -> None:
        if self.reader is None:
            return
        frame = int(min(max(frame, 0), len(self.reader.index) - 1))
        self._set_position(frame, self.reader.frame_to_time(frame))
        if self.clock is not None:
            self.clock.set_position(self.current_time)

    def _set_position(self, frame: int, t: float, request: bool = True) -> None:
        self.current_frame = frame
        self.current_time = t
        if request:
            self.loader.request(frame)
        self.transport.setPosition(t, frame)
        self.timeline.setCurrentTime(t)
        self.attention_map.setCurrentTime(t)

    def step_frames(self, n: int) -> None:
        self.pause()
        self.seek_frame(self.current_frame + int(n))

    def step_seconds(self, dt: float) -> None:
        self.seek(self.current_time + float(dt))

    def _on_clock_tick(self, t: float) -> None:
        if self.reader is None:
            return
        # The frame loader follows the same clock and shows frames as they fall due.
        self._set_position(self.reader.time_to_frame(t), t, request=False)

    def _on_frame_ready(self, frame: int, t: float, rgb) -> None:
        self.shown_frame = frame
        self.video_view.setFrame(rgb)
        self._update_pose(t)  # the skeleton follows the frame on screen, not the clock

    def _update_pose(self, t: float) -> None:
        kp = self._keypoints
        if kp is None or not len(kp):
            return
        i = int(kp.nearest_indices(np.array([t]))[0])
        if abs(kp.times[i] - t) > 0.6:  # no sample near: show nothing rather than a wrong pose
            self.video_view.setPose(np.full((14, 2), np.nan), np.zeros(14))
            return
        self.video_view.setPose(kp.xy[i], kp.conf[i], self.attention_at(t))

    def attention_at(self, t: float) -> Optional[np.ndarray]:
        """``[14]`` attention of the analysed window centred nearest ``t`` among those covering it."""
        n = len(self._starts)
        if n == 0:
            return None
        mid = 0.5 * (self._starts + self._ends)
        i = int(np.searchsorted(mid, t))
        best = None
        for j in (i - 1, i):
            if 0 <= j < n and self._starts[j] <= t < self._ends[j] and np.isfinite(self._att[j]).all():
                if best is None or abs(mid[j] - t) < abs(mid[best] - t):
                    best = j
        return None if best is None else self._att[best].astype(np.float64)

    def play(self) -> None:
        if self.clock is not None:
            self.clock.play(self.current_time)

    def pause(self) -> None:
        if self.clock is not None:
            self.clock.pause()

    def toggle_play(self) -> None:
        if self.clock is not None:
            self.pause() if self.clock.playing else self.play()

    def set_speed(self, speed: float) -> None:
        if self.clock is not None and abs(self.clock.speed - speed) > 1e-9:
            self.clock.set_speed(speed)
        self.transport.setSpeed(speed)

    # == view ==============================================================================
    def set_skeleton_visible(self, on: bool) -> None:
        self.video_view.setSkeletonVisible(bool(on))

    def set_colour_mode(self, mode: str) -> None:
        self.video_view.setColorMode(mode)
        self.actions["view.colour_attention"].setChecked(mode == "attention")
        self.actions["view.colour_confidence"].setChecked(mode == "confidence")

    def _on_joint_clicked(self, joint: int) -> None:

        side = None
        if self.reader is not None:

            side = ClipConfig().crop_side(self.reader.meta.height)
        self.video_view.setClipJoint(joint, side)
        self.show_message(f"Clip of the {JOINT_LABELS[joint]} outlined", 3000)

    def show_keymap(self):

        dlg = KeymapDialog(keymap_rows(self.shortcut_specs), self)
        dlg.open()
        return dlg

    # == export ============================================================================
    def recording_identity(self) -> tuple[str, str]:
        """(recording_id, subject_id): from a manifest beside the video that lists it, else the file name."""

        assert self.video_path is not None
        me = self.video_path.resolve()
        for folder in (me.parent, me.parent.parent):
            for name in ("manifest.json", "manifest.csv"):
                p = folder / name
                if not p.exists():
                    continue
                try:
                    for rec in load_manifest(p):
                        if Path(rec.video).resolve() == me:
                            return rec.recording_id, rec.subject_id
                except SemioscopeError:
                    continue
        return self.video_path.stem, self.video_path.stem

    def export_training_labels(self, out_dir: str | Path):
        """Write manifest.json + segments.csv + detections.csv (``app.export``). Returns the summary."""

        if self.store is None or self.reader is None or self.video_path is None:
            raise SemioscopeError("open a video before exporting")
        rid, sid = self.recording_identity()
        summary = export_training_labels(self.store, self.video_path, out_dir, duration_s=self.reader.meta.duration_s,
                                         recording_id=rid, subject_id=sid)
        self.show_message(summary.message())
        return summary

    def export_events_csv(self, path: str | Path) -> Path:

        out = export_events_csv(path, self.events, self.store)
        self.show_message(f"Wrote {len(self.events)} events to {out}", 5000)
        return out

    # -- the "ask" halves (dialogs) -----------------------------------------------------------
    def _last_dir(self) -> str:
        return str(self.video_path.parent) if self.video_path else str(Path.home())

    def ask_open_video(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open video", self._last_dir(),
                                              "Videos (*.mp4 *.avi *.mkv *.mov *.m4v);;All files (*)")
        if path:
            self.open_video(path, model=self.model_dir)

    def ask_open_results(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open results", self._last_dir(),
                                              "Semioscope results (*.result.npz);;All files (*)")
        if not path:
            return
        if self.video_path is None:

            try:
                video = AnalysisResult.load(path, keypoints=False).video_path
            except SemioscopeError as exc:
                self.show_error(str(exc))
                return
            self.open_video(video, results=path, analyse=False)
        else:
            self.open_results(path)

    def ask_export_training_labels(self) -> None:
        if self.video_path is None:
            self.show_message("Open a video first", 3000)
            return
        out = QFileDialog.getExistingDirectory(self, "Export training labels into folder", self._last_dir())
        if out:
            self._guarded(lambda: self.export_training_labels(out))

    def ask_export_events(self) -> None:
        if self.video_path is None:
            return
        default = str(self.video_path.with_name(self.video_path.stem + ".events.csv"))
        path, _ = QFileDialog.getSaveFileName(self, "Export events", default, "CSV (*.csv)")
        if path:
            self._guarded(lambda: self.export_events_csv(path))

    def ask_go_to_time(self) -> None:

        text, ok = QInputDialog.getText(self, "Go to time", "Time (hh:mm:ss.fff or seconds):",
                                        text=format_time(self.current_time))
        if ok and text:
            try:
                self.seek(parse_time(text))
            except ValueError as exc:
                self.show_error(str(exc))

    def _guarded(self, fn) -> None:
        try:
            fn()
        except (SemioscopeError, OSError) as exc:
            self.show_error(str(exc))

    # == closing ===========================================================================
    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self.store is not None and self.store.path is not None and self.store.last_save_error:
            self.store.save()  # one more try; the history is also still in memory
        self.close_video()
        super().closeEvent(event)


def remembered_reviewer(settings: Optional[QSettings] = None, ask_parent: Optional[QWidget] = None) -> str:
    """The reviewer's name: from QSettings, else asked once (QInputDialog) and remembered."""
    settings = settings or QSettings("semioscope", "semioscope")
    name = str(settings.value("reviewer", "") or "").strip()
    if name:
        return name
    name, ok = QInputDialog.getText(ask_parent, APP_NAME, "Your name (recorded with every annotation):")
    name = (name or "").strip()
    if ok and name:
        settings.setValue("reviewer", name)
        return name
    return os.environ.get("USER", "unknown")


__all__ = ["MainWindow", "remembered_reviewer", "results_path_for", "load_style_sheet"]

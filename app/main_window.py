"""The review window: video with skeleton, transport, probability timeline, joint attention,
events and annotations, wired to the frame loader, playback clock, analysis worker and the
annotation store.

Everything a user can do is a method here (``open_video``, ``seek``, ``mark``, ``review_current``,
``set_threshold``, ``export_training_labels``...), the shortcut table connects keys to them, and
tests call them directly. The window owns the widgets, the position and playback; what the
analysis says lives in ``review_state`` (``app.review_state``, no Qt), and each other concern has
a helper that the methods here hand over to: ``opening`` (open / close a video), ``results``
(result files, drawing the trace), ``analysis`` (the background worker), ``event_review``
(events panel, N / P, confirm / reject, threshold), ``annotation_actions`` (marks and seizure
edits through ``undo_stack``) and ``file_actions`` (dialogs, exports); ``app.window_layout``
places the widgets and ``app.window_actions`` makes the actions. Errors are shown in the message
bar and the status bar, never as a traceback.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QInputDialog, QLabel, QMainWindow, QProgressBar, QPushButton, QWidget

from app.analysis_control import AnalysisControl
from app.annotation_actions import AnnotationActions
from app.annotations import AnnotationStore
from app.audio_playback import AudioPlayback
from app.camera_views import CameraViews
from app.display_clock import DisplayClock
from app.eeg_review import EegReview
from app.event_review import EventReview
from app.exchange_actions import ExchangeActions
from app.file_actions import FileActions
from app.focus_keys import FocusKeys
from app.proxy_control import ProxyControl
from app.rater_comparison import RaterComparison
from app.recording_clock import RecordingClock
from app.results_view import ResultsView
from app.review_state import ReviewState
from app.semiology_actions import SemiologyActions
from app.shortcuts import keymap_rows
from app.video_opening import VideoOpening
from app.window_actions import install_actions
from app.window_layout import arrange_widgets, fit_to_screen, place_on_screen, save_layout, show_eeg_panel
from app.window_messages import WindowMessages
from inference.core.config import ClipConfig
from inference.eeg.filters import HIGHPASS_CHOICES, LOWPASS_CHOICES, NOTCH_CHOICES
from inference.eeg.montage import MONTAGE_LABELS
from inference.pose.joints import JOINT_LABELS
from widgets.annotation_panel import AnnotationPanel
from widgets.attention_map import AttentionMap, JointAttentionBars
from widgets.audio_lane import AudioLane
from widgets.display_data import MARKER_LABELS, SEIZURE_TIME_FIELDS
from widgets.eeg_view import EegView
from widgets.event_list import EventList
from widgets.keymap_dialog import KeymapDialog
from widgets.mouse_actions import MOUSE_ACTIONS
from widgets.semiology_panel import SemiologyPanel
from widgets.timefmt import format_position
from widgets.timeline import TimelineWidget
from widgets.transport import TransportBar
from widgets.video_view import VideoView

APP_NAME = "Semioscope"


class MainWindow(WindowMessages, QMainWindow):
    """``MainWindow(reviewer, engine_config=None)``; then ``open_video(path, results=None, model=None)``.

    Public state for tests and tools: ``reader`` (VideoReader), ``loader`` (FrameLoader),
    ``clock`` (PlaybackClock), ``worker`` (AnalysisWorker or None), ``store`` (AnnotationStore),
    ``undo_stack``, ``review_state`` (ReviewState), ``events`` (list[Event] at the current
    threshold), ``alarms`` (forecast alarms as EventRow), ``current_event``, ``current_frame``,
    ``current_time``, ``actions`` (id -> QAction from the shortcut table), and the widgets
    ``video_view``, ``transport``, ``timeline``, ``attention_map``, ``attention_bars``,
    ``event_list``, ``annotation_panel``, ``message_bar``, ``progress_bar``, ``cancel_button``.
    """

    def __init__(self, reviewer: str, engine_config: Any = None, parent: Optional[QWidget] = None,
                 log_path: Optional[Path] = None, settings: Optional[QSettings] = None):
        super().__init__(parent)
        self.reviewer = reviewer
        self.settings = settings  # where the layout is remembered (None: not remembered)
        self.engine_config = engine_config
        self.log_path = log_path
        self.setWindowTitle(APP_NAME)
        self.undo_stack = QUndoStack(self)
        self.review_state = ReviewState()
        self.reader = None
        self.loader = None
        self.clock = None
        self.store: Optional[AnnotationStore] = None
        self.video_path: Optional[Path] = None
        self.results_path: Optional[Path] = None
        self.model_dir: Optional[Path] = None
        self.display = DisplayClock()  # the one position the display shows (frame and its timestamp)
        self.shown_frame = -1  # the frame on screen (the loader may still be catching up)
        self.pending_seek_s: Optional[float] = None  # asked for while the video was still opening
        self.pending_seek_text: Optional[str] = None  # a typed time waiting for the recording's clock
        self.job = None  # a BackgroundJob (shared clip, report) holding the progress bar

        # -- widgets ----------------------------------------------------------------------
        self.video_view = VideoView(self)
        self.transport = TransportBar(self)
        self.timeline = TimelineWidget(self)
        self.attention_map = AttentionMap(self)
        self.attention_bars = JointAttentionBars(self)
        self.event_list = EventList(self)
        self.annotation_panel = AnnotationPanel(self)
        self.semiology_panel = SemiologyPanel(self)
        self.eeg_view = EegView(self, montages=list(MONTAGE_LABELS.items()), highpass=HIGHPASS_CHOICES,
                                lowpass=LOWPASS_CHOICES, notch=NOTCH_CHOICES)
        self.attention_map.linkTimeline(self.timeline)
        self.audio_lane = AudioLane(self)
        self.audio_lane.linkTimeline(self.timeline)
        self.attention_map.attachBars(self.attention_bars)
        self.message_bar = QLabel(self)
        self.message_bar.setObjectName("messageBar")
        self.message_bar.setWordWrap(True)
        self.message_bar.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.message_bar.hide()
        self.status_label = QLabel("Open a video (File → Open video)", self)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setMaximumWidth(260)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.hide()
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop the analysis; what is done so far is kept")
        self.cancel_button.hide()
        arrange_widgets(self)

        # -- the concerns' helpers, then the actions of the one shortcut table that call them
        self.opening = VideoOpening(self)
        self.results = ResultsView(self)
        self.analysis = AnalysisControl(self)
        self.event_review = EventReview(self)
        self.annotation_actions = AnnotationActions(self)
        self.file_actions = FileActions(self)
        self.exchange = ExchangeActions(self)
        self.focus_keys = FocusKeys(self)
        self.recording_clock = RecordingClock(self)
        self.eeg_review = EegReview(self)
        self.semiology = SemiologyActions(self)
        self.rater_comparison = RaterComparison(self)
        self.cameras = CameraViews(self)
        self.proxy = ProxyControl(self)
        self.audio = AudioPlayback(self)  # sound in step with the clock; silent without a device
        install_actions(self)

        # -- signals ----------------------------------------------------------------------
        self.cancel_button.clicked.connect(self.cancel_current)
        self.transport.playToggled.connect(lambda on: self.play() if on else self.pause())
        self.transport.speedChanged.connect(self.set_speed)
        self.transport.frameStepRequested.connect(self.step_frames)
        self.transport.timeStepRequested.connect(self.step_seconds)
        self.transport.seekRequested.connect(self.seek)
        self.transport.seekRequested.connect(lambda _t: self.focus_keys.release_focus())  # keys work again
        self.timeline.seekRequested.connect(self.seek)
        self.audio_lane.seekRequested.connect(self.seek)
        self.attention_map.seekRequested.connect(self.seek)
        self.attention_map.jointClicked.connect(self._on_joint_clicked)
        self.timeline.markerDragged.connect(self._follow_marker)
        self.timeline.thresholdChanged.connect(self.event_review.on_threshold_dragged)
        self.timeline.thresholdChangeFinished.connect(self.set_threshold)
        self.timeline.thresholdResetRequested.connect(self.event_review.reset_threshold)
        self.timeline.markerMoved.connect(self.annotation_actions.on_marker_moved)
        self.timeline.eventClicked.connect(self.go_to_event)
        self.event_list.eventActivated.connect(self.go_to_event)
        self.annotation_panel.edited.connect(self.annotation_actions.on_panel_edited)
        self.annotation_panel.edited.connect(self._follow_panel_edit)
        self.annotation_panel.addRequested.connect(self.add_seizure_here)
        self.annotation_panel.deleteRequested.connect(self.annotation_actions.on_panel_delete)
        self.annotation_panel.acceptRequested.connect(self.annotation_actions.accept_proposals)
        self.annotation_panel.seizureActivated.connect(lambda _i, t: self.seek(t))
        self.video_view.jointClicked.connect(self._on_joint_clicked)
        # Transient status messages clear themselves (a timer the window owns dies with it).
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(lambda: self.status_label.setText(""))
        self.show_title(None)
        place_on_screen(self, settings)

    # == state the helpers keep ============================================================
    @property
    def events(self):
        return self.review_state.events

    @property
    def event_config(self):
        return self.review_state.event_config

    @property
    def alarms(self):
        return self.event_review.alarm_rows()

    @property
    def current_event(self) -> Optional[int]:
        return self.event_review.current

    @property
    def worker(self):
        return self.analysis.worker

    @property
    def current_frame(self) -> int:
        return self.display.frame

    @property
    def current_time(self) -> float:
        """The current frame's presentation timestamp (never the playback clock's raw time)."""
        return self.display.time_s

    # == opening ===========================================================================
    def open_video(self, path: str | Path, results: Optional[str | Path] = None, model: Optional[str | Path] = None,
                   annotations: Optional[str | Path] = None, analyse: bool = True,
                   eeg: Optional[str | Path] = None, cameras: tuple = ()) -> bool:
        """Open a video with its annotations; load ``results`` (or the ones beside the video);
        otherwise, with a ``model`` run folder, start analysing in the background. ``eeg``: the
        EEG file to show beside it (default: the one linked before, else the manifest's);
        ``cameras``: other videos of the same recording, shown beside it on one clock.

        The first frame shows at once; the frame loader thread builds the timestamp index (seconds
        for an hour of video) and the rest follows (``app.video_opening``; ``is_open()`` turns True).
        Returns False when the file is plainly not there; other problems arrive in the message bar.
        """
        return self.opening.open(path, results, model, annotations, analyse, eeg, cameras)

    def is_open(self) -> bool:
        return self.reader is not None

    def close_video(self) -> None:
        self.rater_comparison.clear()
        self.opening.close()

    def open_eeg(self, path: str | Path) -> bool:
        """Show the EEG file ``path`` beside the open video (``app.eeg_review``)."""
        return self.eeg_review.open(path)

    def layout_eeg(self, on: bool) -> None:
        show_eeg_panel(self, on)

    def show_title(self, video: Optional[Path]) -> None:
        """The title names the video and who is reviewing (also in the status bar)."""
        who = f"reviewer: {self.reviewer}"
        self.setWindowTitle(f"{video.name} — {who} — {APP_NAME}" if video is not None else f"{APP_NAME} — {who}")
        self.reviewer_label.setText(who)

    def open_results(self, path: str | Path, check_model: Optional[Path] = None) -> bool:
        """Show a result file (``ResultsView.open``); True when the results are current."""
        return self.results.open(path, check_model)

    def set_forecast(self, t, value) -> None:
        """The forecaster's trace (``t [M]`` seconds, ``value [M]``), toggled with View → forecast."""
        self.results.set_forecast(t, value)

    # == analysis ==========================================================================
    def start_analysis(self, run_dir: str | Path) -> None:
        """Run the engine on the open video in a background thread (partials stream in)."""
        self.analysis.start(run_dir)

    def load_model(self, run_dir: Path, device: str = "auto"):
        return self.analysis.load_model(run_dir, device)

    def cancel_analysis(self, wait: bool = False) -> None:
        self.analysis.cancel(wait)

    def cancel_current(self) -> None:
        """The status bar's Cancel: the running job (a shared clip, a report), else the analysis."""
        if self.job is not None and self.job.running():
            self.job.cancel()
        else:
            self.cancel_analysis()

    def analysis_running(self) -> bool:
        return self.analysis.running()

    # == events ============================================================================
    def set_threshold(self, value: float) -> None:
        """Move the detection threshold; the events are recomputed at once."""
        self.event_review.set_threshold(value)

    def event_status(self, index: int) -> str:
        return self.event_review.status(index)

    def go_to_event(self, index: int) -> None:
        """Go to row ``index`` of the events panel: a detection, or (after them) a forecast alarm."""
        self.event_review.go_to(index)

    def next_event(self) -> None:
        """The next detection (N / P walk the detections to review; forecast alarms are skipped)."""
        self.event_review.step(+1)

    def previous_event(self) -> None:
        self.event_review.step(-1)

    def review_current(self, status: str) -> None:
        """Confirm / reject / reset the current event (the selected one, else the one under the cursor)."""
        self.event_review.review_current(status)

    # == annotations =======================================================================
    def mark(self, field: str) -> None:
        """Mark EEG onset / clinical onset / seizure end at the current frame's time."""
        self.annotation_actions.mark(field)

    def add_seizure_here(self) -> None:
        self.annotation_actions.add_seizure_here()

    def delete_selected_seizure(self) -> None:
        self.annotation_actions.delete_selected_seizure()

    def refresh_labels(self) -> None:
        """Redraw seizures (timeline markers, panel rows) and event statuses from the store."""
        self.annotation_actions.refresh_labels()

    # == position ==========================================================================
    def seek(self, t: float) -> None:
        """Go to the frame on screen at ``t`` seconds (through the timestamp index)."""
        if self.reader is None:
            if self.video_path is not None:
                self.pending_seek_s = float(t)  # still opening: go there once the index exists
            return
        self.seek_frame(self.display.frame_at(max(float(t), 0.0)))

    def seek_frame(self, frame: int) -> None:
        if self.reader is None:
            return
        self._set_position(frame)
        if self.clock is not None:
            self.clock.set_position(self.current_time)

    def _set_position(self, frame: int, request: bool = True) -> None:
        """Stand on ``frame``: the display clock first, then every widget that shows the position."""
        frame = self.display.go_to_frame(frame)
        t = self.display.time_s
        if request:
            self.loader.request(frame)
        self.transport.setPosition(t, frame)
        self.timeline.setCurrentTime(t)
        self.attention_map.setCurrentTime(t)
        self.eeg_review.follow(t)
        self.semiology.follow(t)
        self.cameras.follow(t)

    def step_frames(self, n: int) -> None:
        self.pause()
        self.seek_frame(self.current_frame + int(n))

    def step_seconds(self, dt: float) -> None:
        self.seek(self.current_time + float(dt))

    def ask_go_to_time(self) -> None:
        clock = self.recording_clock
        hint = ("Clock time (hh:mm:ss.fff; +hh:mm:ss from the start)" if clock.showing_wall and clock.start
                else "Time from the start (hh:mm:ss.fff or seconds)")
        text, ok = QInputDialog.getText(self, "Go to time", f"{hint}:", text=format_position(self.current_time))
        if ok and text:
            self.go_to_text(text)
        self.focus_keys.release_focus()

    def go_to_text(self, text: str) -> bool:
        """Go to a time typed by the user (``RecordingClock.parse``: clock or relative); while
        the video is still opening, once its clock is known."""
        if self.reader is None and self.video_path is not None:
            self.pending_seek_text = text
            return True
        try:
            self.seek(self.recording_clock.parse(text))
            return True
        except ValueError as exc:
            self.show_error(str(exc))
            return False

    def _follow_marker(self, index: int, field: str, t: float) -> None:
        """A seizure marker is being dragged: the video shows the frame under it."""
        self.seek(t)
        self.show_message(f"{MARKER_LABELS[field]} {index + 1}: {format_position(self.current_time)} "
                          f"(frame {self.current_frame})", 3000)

    def _follow_panel_edit(self, _index: int, field: str, value) -> None:
        """A spin box stepped or typed a seizure time: the video goes to that frame."""
        if field in SEIZURE_TIME_FIELDS and value is not None:
            self.seek(float(value))

    def on_clock_tick(self, t: float) -> None:
        if self.reader is None or self.clock is None or self.clock.playing:
            return  # while playing, the display follows the frames shown (``on_frame_ready``)
        # Paused or stopped at the end: the frame on screen at the clock's time (the loader shows
        # exactly that one), and the clock stands on its timestamp so play resumes from there.
        self._set_position(self.display.frame_at(t), request=False)
        self.clock.set_position(self.current_time)

    def on_frame_ready(self, frame: int, t: float, rgb) -> None:
        self.shown_frame = frame
        self.video_view.setFrame(rgb)
        self.update_pose(t)  # the skeleton follows the frame on screen, not the clock
        if self.clock is not None and self.clock.playing and self.reader is not None:
            self._set_position(frame, request=False)  # label, cursors and marks follow the picture

    def update_pose(self, t: float) -> None:
        pose = self.review_state.pose_at(t)
        if pose is not None:
            self.video_view.setPose(pose.xy, pose.conf, pose.attention)

    def attention_at(self, t: float) -> Optional[np.ndarray]:
        """``[14]`` attention of the analysed window centred nearest ``t`` among those covering it."""
        return self.review_state.attention_at(t)

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
        side = ClipConfig().crop_side(self.reader.meta.height) if self.reader is not None else None
        self.video_view.setClipJoint(joint, side)
        self.attention_map.setSelectedJoint(joint)
        self.show_message(f"Clip of the {JOINT_LABELS[joint]} outlined", 3000)

    def show_keymap(self):
        dlg = KeymapDialog(keymap_rows(self.shortcut_specs), self, mouse_rows=MOUSE_ACTIONS)
        dlg.open()
        return dlg

    # == files =============================================================================
    def recording_identity(self) -> tuple[str, str]:
        """(recording_id, subject_id): from a manifest beside the video that lists it, else the file name."""
        return self.file_actions.recording_identity()

    def export_training_labels(self, out_dir: str | Path, require_human_onsets: bool = False):
        """Write manifest.json + segments.csv + detections.csv + provenance.csv (``app.export``).
        Returns the summary; labels that break a rule raise ``LabelExportError``."""
        return self.file_actions.export_training_labels(out_dir, require_human_onsets)

    def export_events_csv(self, path: str | Path) -> Path:
        return self.file_actions.export_events_csv(path)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        QTimer.singleShot(0, lambda: fit_to_screen(self))  # the frame's size is known once shown

    # == closing ===========================================================================
    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self.store is not None and self.store.path is not None and self.store.last_save_error:
            self.store.save()  # one more try; the history is also still in memory
        save_layout(self, self.settings)
        if self.job is not None:
            self.job.cancel(wait=True)  # a half-written clip is removed by the job itself
        self.close_video()
        super().closeEvent(event)


__all__ = ["APP_NAME", "MainWindow"]

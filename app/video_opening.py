"""Opening a video in the review window and closing it: the frame loader (first frame at once,
the timestamp index built in its thread), then the playback clock, the annotation store, the
keypoints and the results, or a new analysis; closing undoes all of it."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import numpy as np
from PySide6.QtCore import QObject

from app.annotations import annotations_path_for
from app.frame_loader import FrameLoader
from app.playback import PlaybackClock
from inference.core.errors import SemioscopeError, VideoError
from inference.core.wall_clock import format_start_time
from inference.pose.keypoint_files import sidecar_path
from inference.pose.keypoints import KeypointTrack
from inference.results.result_file import result_path_for
from widgets.display_data import NEEDS_REVIEW

if TYPE_CHECKING:
    from app.main_window import MainWindow

INITIAL_VIEW_S = 600.0  # the timeline first shows the first ten minutes


class VideoOpening(QObject):
    """``open(path, results=None, model=None, annotations=None, analyse=True)`` and ``close()``.

    A QObject so the frame loader's signals, emitted in its thread, queue to the GUI thread here."""

    def __init__(self, win: MainWindow):
        super().__init__(win)
        self.win = win
        self._args: dict = {}

    def open(self, path: str | Path, results: Optional[str | Path] = None, model: Optional[str | Path] = None,
             annotations: Optional[str | Path] = None, analyse: bool = True, eeg: Optional[str | Path] = None,
             cameras: tuple = ()) -> bool:
        """Start opening ``path``; the rest follows in ``_finish`` once the loader has indexed it.
        Returns False when the file is plainly not there."""
        win = self.win
        self.close()
        path = Path(path)
        if not path.is_file():
            win.show_error(str(VideoError(path, "file not found" if not path.exists() else "is not a file")))
            return False
        win.video_path = path
        win.model_dir = Path(model) if model is not None else None
        self._args = {"results": results, "annotations": annotations, "analyse": analyse,
                      "eeg": Path(eeg) if eeg is not None else None, "cameras": tuple(Path(c) for c in cameras)}
        win.show_title(path)
        win.clear_message_bar()
        win.loader = FrameLoader(path, win)
        win.loader.frame_ready.connect(win.on_frame_ready)
        win.loader.failed.connect(lambda f, msg: win.show_error(msg))
        win.loader.opened.connect(self._finish)
        win.loader.open_failed.connect(self._on_failed)
        win.show_message(f"Opening {path.name} (reading its frame timestamps)…")
        win.loader.start()
        return True

    def _on_failed(self, message: str) -> None:
        self.win.show_error(message)
        self.close()
        self.win.video_path = None
        self.win.show_title(None)

    def _finish(self, reader) -> None:
        win = self.win
        if win.loader is None or reader is not win.loader.reader:
            return  # a video opened since
        win.reader = reader
        path, args, meta = win.video_path, self._args, reader.meta
        frame_times = reader.index.pts_s
        typical = float(np.median(np.diff(frame_times))) if len(frame_times) > 1 else 1 / 30
        win.clock = PlaybackClock(meta.duration_s, typical, win)
        win.clock.tick.connect(win.on_clock_tick)
        win.clock.state_changed.connect(win.transport.setPlaying)
        win.clock.speed_changed.connect(win.transport.setSpeed)
        win.loader.follow(win.clock)  # the loader paces playback itself, dropping late frames
        win.proxy.start(path, len(frame_times), meta.duration_s)  # instant seeks on long videos
        win.display.set_frame_times(frame_times)
        win.transport.setDuration(meta.duration_s, len(frame_times))
        win.timeline.setDuration(meta.duration_s)
        win.timeline.setFrameTimes(frame_times)
        win.timeline.setXRange(0.0, min(meta.duration_s, INITIAL_VIEW_S))
        win.annotation_panel.setFps(meta.fps)
        win.annotation_panel.setFrameTimes(frame_times)
        if meta.truncated or meta.variable_frame_rate:
            win.show_warning(f"{path.name}: {meta.summary()}")

        # Annotations (restored with every review status) before any events are shown.
        annotations = args["annotations"]
        win.store = win.annotation_actions.open_store(
            Path(annotations) if annotations is not None else annotations_path_for(path), path.name)
        win.undo_stack.clear()
        win.recording_clock.on_video_opened(path)
        if win.recording_clock.start is not None:  # the file says on which clock its times are
            win.store.video.update(start_time=format_start_time(win.recording_clock.start),
                                   start_time_source=win.recording_clock.source)
        win.eeg_review.open_for_video(path, args["eeg"])
        win.cameras.open(path, args["cameras"])
        win.audio.on_video_opened(path)
        win.refresh_labels()

        self._load_sidecar_keypoints(path)
        results = args["results"]
        results_file = Path(results) if results is not None else result_path_for(path)
        loaded = False
        if results_file.exists():
            loaded = win.open_results(results_file, check_model=win.model_dir)
        elif win.model_dir is None and results is not None:
            win.show_error(f"{results_file}: result file not found")
        win.results_path = results_file  # where a new analysis is written
        if not loaded and win.model_dir is not None and args["analyse"]:
            win.start_analysis(win.model_dir)
        elif not loaded and not win.message_bar.isVisible():
            win.show_message(f"{path.name}: {meta.summary()}. No analysis yet (review --model RUN to analyse).")
        pending, win.pending_seek_s = win.pending_seek_s, None
        text, win.pending_seek_text = win.pending_seek_text, None
        if text is not None:
            try:
                pending = win.recording_clock.parse(text)
            except ValueError as exc:
                win.show_error(f"--start-at {text}: {exc}")
        start = pending if pending is not None else self.first_unreviewed_event_s()
        win.seek(start or 0.0)
        if start is not None:
            win.timeline.centerOn(start)

    def first_unreviewed_event_s(self) -> Optional[float]:
        """Where review picks up: the start of the first detection not wholly reviewed (None:
        there is none, and the video opens at its start)."""
        win = self.win
        for i, event in enumerate(win.events):
            if win.event_status(i) in NEEDS_REVIEW:  # unreviewed or partly reviewed
                return float(event.start_s)
        return None

    def _load_sidecar_keypoints(self, video: Path) -> None:
        """Keypoints shown before the analysis has produced its own: ground truth beside a
        synthetic recording, which is also what the engine reads with ``keypoints="gt"``."""
        cfg = self.win.engine_config
        if cfg is None or getattr(cfg, "keypoints", None) != "gt":
            return
        side = sidecar_path(video)
        if side.exists():
            try:
                self.win.review_state.keypoints = KeypointTrack.load(side)
            except SemioscopeError as exc:
                self.win.show_warning(str(exc))

    def close(self) -> None:
        """Stop the analysis, the clock and the loader; forget the store, results and position."""
        win = self.win
        win.cancel_analysis(wait=True)
        win.audio.close()
        win.proxy.stop()
        if win.clock is not None:
            win.clock.pause()
            win.clock.deleteLater()
            win.clock = None
        if win.loader is not None:
            win.loader.stop()
            win.loader.deleteLater()
            win.loader = None
        win.reader = None
        win.results_path = None
        win.eeg_review.close()
        win.cameras.close()
        win.recording_clock.close()
        win.display.reset()
        win.pending_seek_s = win.pending_seek_text = None
        win.annotation_actions.close_store()
        win.store = None
        win.analysis.reuse_detector = False
        win.event_review.current = None
        win.shown_frame = -1
        win.results.clear()

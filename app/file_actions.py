"""The window's file menu: open a video or a result file, export training labels or the events
table, each as a dialog (the ``ask_`` half) over a method that tests call directly."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

from PySide6.QtWidgets import QFileDialog

from app.export import export_events_csv, export_training_labels, recording_identity
from inference.core.errors import SemioscopeError
from inference.results.result_file import AnalysisResult
from widgets.alignment_dialog import AlignmentDialog
from widgets.folder_dialog import ask_folder
from widgets.wording import plural

if TYPE_CHECKING:
    from app.main_window import MainWindow

VIDEO_FILTER = "Videos (*.mp4 *.avi *.mkv *.mov *.m4v);;All files (*)"
RESULTS_FILTER = "Semioscope results (*.result.npz);;All files (*)"


class FileActions:
    """``recording_identity()``, ``export_training_labels(out_dir)``, ``export_events_csv(path)``
    and the dialogs ``ask_open_video``, ``ask_open_results``, ``ask_export_training_labels``,
    ``ask_export_events``."""

    def __init__(self, win: MainWindow):
        self.win = win

    def recording_identity(self) -> tuple[str, str]:
        """(recording_id, subject_id): from a manifest beside the video that lists it, else the file name."""
        video = self.win.video_path
        assert video is not None
        return recording_identity(video)

    def export_training_labels(self, out_dir: str | Path, require_human_onsets: bool = False):
        """Write manifest.json + segments.csv + detections.csv + provenance.csv (``app.export``).
        Returns the summary; labels that break a rule raise ``LabelExportError`` (nothing written)."""
        win = self.win
        if win.store is None or win.reader is None or win.video_path is None:
            raise SemioscopeError("open a video before exporting")
        rid, sid = self.recording_identity()
        link = win.eeg_review.link
        summary = export_training_labels(win.store, win.video_path, out_dir, duration_s=win.reader.meta.duration_s,
                                         recording_id=rid, subject_id=sid, require_human_onsets=require_human_onsets,
                                         start_time=win.recording_clock.start, eeg=link.eeg if link else None)
        win.show_message(summary.message())
        return summary

    def export_events_csv(self, path: str | Path) -> Path:
        events = self.win.events
        out = export_events_csv(path, events, self.win.store)
        self.win.show_message(f"Wrote {plural(len(events), 'event')} to {out}", 5000)
        return out

    # -- the "ask" halves (dialogs) -----------------------------------------------------------
    def _last_dir(self) -> str:
        video = self.win.video_path
        return str(video.parent) if video else str(Path.home())

    def ask_open_video(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.win, "Open video", self._last_dir(), VIDEO_FILTER)
        if path:
            self.win.open_video(path, model=self.win.model_dir)

    def ask_open_results(self) -> None:
        win = self.win
        path, _ = QFileDialog.getOpenFileName(win, "Open results", self._last_dir(), RESULTS_FILTER)
        if not path:
            return
        if win.video_path is None:
            try:
                video = AnalysisResult.load(path, keypoints=False).video_path
            except SemioscopeError as exc:
                win.show_error(str(exc))
                return
            win.open_video(video, results=path, analyse=False)
        else:
            win.open_results(path)

    def ask_open_eeg(self) -> None:
        win = self.win
        if win.video_path is None:
            win.show_message("Open a video first: the EEG is shown beside it", 3000)
            return
        path, _ = QFileDialog.getOpenFileName(win, "Open EEG", str(win.video_path.parent),
                                              "EEG (*.edf *.EDF *.bdf *.BDF *.rec);;All files (*)")
        if path:
            win.open_eeg(path)

    def ask_alignment(self) -> None:
        review = self.win.eeg_review
        if not review.is_open():
            self.win.show_message("Open an EEG first (File → Open EEG)", 3000)
            return
        a = review.alignment
        dlg = AlignmentDialog(a.offset_s, a.drift_ppm, a.describe(), [(p.video_s, p.eeg_s, p.label) for p in a.points],
                              self.win)
        if dlg.exec() != AlignmentDialog.Accepted:
            return
        if dlg.clear_requested:
            review.clear_sync_points()
        elif abs(dlg.offset_s() - a.offset_s) > 1e-6 or abs(dlg.drift_ppm() - a.drift_ppm) > 1e-6:
            review.set_alignment(dlg.offset_s(), dlg.drift_ppm())

    def ask_export_training_labels(self) -> None:
        win = self.win
        if win.video_path is None:
            win.show_message("Open a video first", 3000)
            return
        out = ask_folder(win, "Export training labels into folder", self._last_dir())  # a new one is created
        if out:
            self._guarded(lambda: self.export_training_labels(out))

    def ask_export_events(self) -> None:
        video = self.win.video_path
        if video is None:
            return
        default = str(video.with_name(video.stem + ".events.csv"))
        path, _ = QFileDialog.getSaveFileName(self.win, "Export events", default, "CSV (*.csv)")
        if path:
            self._guarded(lambda: self.export_events_csv(path))

    def _guarded(self, fn: Callable[[], object]) -> None:
        try:
            fn()
        except (SemioscopeError, OSError) as exc:
            self.win.show_error(str(exc))

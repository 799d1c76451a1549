"""The window's exchange actions: EDF+ annotations out and in (``app.edf_exchange``), and a
de-identified clip to share (``app.share_actions``), made in the background with progress and
Cancel in the status bar.

Exporting saves nothing new in the annotation file; importing adds the seizures as one undoable
step, authored by the reviewer, with ``origin`` ``import:<file>``. Errors go to the message bar.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

from PySide6.QtWidgets import QFileDialog

from app.background_job import BackgroundJob
from app.edf_exchange import EdfExport, export_edf, import_ops, read_for_video
from app.edit_commands import StoreEditCommand
from app.report_actions import report_path_for, window_report_input
from app.share_actions import prepare_share
from inference.core.config import load_default_config
from inference.core.errors import SemioscopeError
from inference.exchange.share import MODES
from widgets.share_dialog import ShareDialog
from widgets.wording import plural

if TYPE_CHECKING:
    from app.main_window import MainWindow

EDF_FILTER = "EDF+ (*.edf *.EDF *.bdf *.BDF);;All files (*)"


class ExchangeActions:
    def __init__(self, win: MainWindow):
        self.win = win

    def export_edf(self, out: Optional[str | Path] = None, annotations_only: bool = False) -> Optional[EdfExport]:
        """The reviewed labels as EDF+ (into a copy of the linked EEG unless ``annotations_only``)."""
        win = self.win
        if win.video_path is None or win.store is None:
            win.show_message("Open a video first", 3000)
            return None
        try:
            done = export_edf(win.video_path, out, win.store.path, annotations_only)
        except (SemioscopeError, OSError, ValueError) as exc:
            win.show_error(f"EDF+ export: {exc}")
            return None
        win.show_message(f"Wrote {plural(done.annotations, 'annotation')} to {done.path} (onsets from {done.clock})",
                         8000)
        return done

    def import_edf(self, path: str | Path) -> int:
        """Add the seizures in ``path``'s annotations to the open video's labels (one undo step)."""
        win = self.win
        if win.video_path is None or win.store is None:
            win.show_message("Open a video first", 3000)
            return 0
        path = Path(path)
        try:
            labels, how = read_for_video(path, win.video_path, load_default_config())
        except (SemioscopeError, OSError) as exc:
            win.show_error(f"EDF+ import: {exc}")
            return 0
        if not labels.seizures:
            win.show_warning(f"{path.name}: no seizure marks recognised"
                             + (f" (texts: {'; '.join(sorted(set(labels.ignored))[:6])})" if labels.ignored else ""))
            return 0
        ops = import_ops(win.store, labels, f"import:{path.name}")
        if not win.annotation_actions.push(StoreEditCommand(win.store, ops, f"Import {path.name}")):
            return 0
        win.show_message(f"Imported {plural(len(ops), 'seizure')} from {path.name}, times placed {how}", 8000)
        return len(ops)

    def share(self, start_s: float, end_s: float, mode: str, out_dir: str | Path) -> Optional[BackgroundJob]:
        """Write a de-identified clip of ``start_s..end_s`` in the background (``win.job``)."""
        win = self.win
        if win.job is not None and win.job.running():
            win.show_message("Another job is running; wait for it or cancel it", 4000)
            return None
        try:
            work = prepare_share(win, start_s, end_s, mode, out_dir)
        except SemioscopeError as exc:
            win.show_error(f"Share clip: {exc}")
            return None
        win.job = BackgroundJob(win, "Sharing a clip", lambda progress, cancel: work(progress=progress, cancel=cancel),
                                lambda shared: win.show_message(shared.message(), 12000)).start()
        return win.job

    def report(self, out: str | Path) -> Optional[BackgroundJob]:
        """The recording's PDF report, drawn in the background (``win.job``)."""
        win = self.win
        if win.job is not None and win.job.running():
            win.show_message("Another job is running; wait for it or cancel it", 4000)
            return None
        try:
            render = window_report_input(win)
        except SemioscopeError as exc:
            win.show_error(f"Report: {exc}")
            return None
        win.job = BackgroundJob(win, "Writing the report", lambda _progress, _cancel: render(out),
                                lambda path: win.show_message(f"Report written to {path}", 10000)).start()
        return win.job

    def ask_report(self) -> None:
        win = self.win
        if win.video_path is None:
            win.show_message("Open a video first", 3000)
            return
        path, _ = QFileDialog.getSaveFileName(win, "Seizure report", str(report_path_for(win.video_path)),
                                              "PDF (*.pdf)")
        if path:
            self.report(path)

    def share_range(self) -> tuple[float, float]:
        """The default stretch: the seizure at the cursor with 10 s either side, else 30 s around it."""
        win = self.win
        t, duration = win.current_time, win.reader.meta.duration_s if win.reader is not None else 0.0
        sid = win.semiology.current_id()
        if sid is not None:
            lo, hi = win.store.seizure(sid).span
            return max(lo - 10.0, 0.0), min(hi + 10.0, duration)
        return max(t - 15.0, 0.0), min(t + 15.0, duration)

    # -- dialogs ---------------------------------------------------------------------------
    def ask_share(self) -> None:
        win = self.win
        if win.video_path is None or win.reader is None:
            win.show_message("Open a video first", 3000)
            return
        start, end = self.share_range()
        dlg = ShareDialog(start, end, win.reader.meta.duration_s, MODES, str(win.video_path.parent / "shared"),
                          win.reader.meta.fps, win)
        if dlg.exec() == ShareDialog.Accepted:
            self.share(dlg.start_s(), dlg.end_s(), dlg.mode(), dlg.folder())

    def ask_export_edf(self) -> None:
        win = self.win
        if win.video_path is None:
            win.show_message("Open a video first", 3000)
            return
        linked = win.eeg_review.link is not None
        default = (win.eeg_review.link.eeg.with_name(win.eeg_review.link.eeg.stem + ".semioscope.edf") if linked
                   else win.video_path.with_name(win.video_path.name + ".annotations.edf"))
        path, _ = QFileDialog.getSaveFileName(win, "Export EDF+ annotations", str(default), EDF_FILTER)
        if path:
            self.export_edf(path)

    def ask_import_edf(self) -> None:
        win = self.win
        if win.video_path is None:
            win.show_message("Open a video first", 3000)
            return
        path, _ = QFileDialog.getOpenFileName(win, "Import EDF+ annotations", str(win.video_path.parent), EDF_FILTER)
        if path:
            self.import_edf(path)


__all__ = ["ExchangeActions"]

"""The window's exchange actions: EDF+ annotations out and in (``app.edf_exchange``).

Exporting saves nothing new in the annotation file; importing adds the seizures as one undoable
step, authored by the reviewer, with ``origin`` ``import:<file>``. Errors go to the message bar.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

from PySide6.QtWidgets import QFileDialog

from app.edf_exchange import EdfExport, export_edf, import_ops, read_for_video
from app.edit_commands import StoreEditCommand
from inference.core.config import load_default_config
from inference.core.errors import SemioscopeError
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

    # -- dialogs ---------------------------------------------------------------------------
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

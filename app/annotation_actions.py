"""The reviewer's seizure labels in the window: the annotation store opened (or recovered) for the
video, marks at the frame on screen, edits from the panel and dragged timeline markers, each
through the undo stack, and the store's changes redrawn."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from PySide6.QtCore import QTimer

from app import edit_commands as cmds
from app.annotations import MARK_LABELS, AnnotationStore
from inference.core.errors import SemioscopeError
from widgets.display_data import SeizureRow

if TYPE_CHECKING:
    from app.main_window import MainWindow


class AnnotationActions:
    """``open_store(path, video_name)`` / ``close_store()``, ``mark(field)``, ``add_seizure_here()``,
    ``delete_selected_seizure()``, ``refresh_labels()``, and the panel / marker slots."""

    def __init__(self, win: MainWindow):
        self.win = win
        self.seizure_ids: list[str] = []  # store ids of the panel's rows, in order
        # Store changes redraw on the next event-loop turn (never inside the emitting widget's slot).
        self._redraw_timer = QTimer(win)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(0)
        self._redraw_timer.timeout.connect(self.refresh_labels)

    def open_store(self, path: Path, video_name: str) -> AnnotationStore:
        """The store at ``path``; when that file is unreadable the error is shown and this
        session's annotations go to a new file beside it (the old one is left as it is)."""
        win = self.win
        try:
            store = AnnotationStore.open(path, win.reviewer, video={"path": video_name})
        except SemioscopeError as exc:
            win.show_error(f"{exc}. Annotations of this session go to a new file beside it.")
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            store = AnnotationStore.open(path.with_name(f"{path.name}.recovered-{stamp}.json"),
                                         win.reviewer, video={"path": video_name})
        store.listeners.append(lambda _e: self._redraw_timer.start())
        store.save_listeners.append(self._on_saved)
        return store

    def close_store(self) -> None:
        store = self.win.store
        if store is not None:
            store.listeners.clear()
            store.save_listeners.clear()

    def _on_saved(self, ok: bool, message: str) -> None:
        if ok:
            self.win.show_message(message, 3000)
        else:
            self.win.show_error(message)

    def _selected_seizure_id(self) -> Optional[str]:
        i = self.win.annotation_panel.selectedIndex()
        if i is not None and i < len(self.seizure_ids):
            return self.seizure_ids[i]
        return None

    def _time_on_screen(self) -> Optional[float]:
        win = self.win
        return win.reader.frame_to_time(win.current_frame) if win.reader is not None else None

    def mark(self, field: str) -> None:
        """Mark EEG onset / clinical onset / seizure end at the current frame's time."""
        win = self.win
        t = self._time_on_screen()
        if win.store is None or t is None:
            win.show_message("Open a video first", 3000)
            return
        win.undo_stack.push(cmds.mark_command(win.store, field, t, self._selected_seizure_id()))
        win.show_message(f"Marked {MARK_LABELS[field]} at frame {win.current_frame} ({t:.3f} s)", 4000)

    def add_seizure_here(self) -> None:
        t = self._time_on_screen()
        if self.win.store is not None and t is not None:
            self.win.undo_stack.push(cmds.add_seizure_command(self.win.store, {"eeg_onset_s": t}))

    def delete_selected_seizure(self) -> None:
        sid = self._selected_seizure_id()
        if sid is None or self.win.store is None:
            self.win.show_message("Select a seizure in the Annotations tab to delete it", 4000)
            return
        self.win.undo_stack.push(cmds.delete_seizure_command(self.win.store, sid))

    def on_panel_delete(self, index: int) -> None:
        if self.win.store is not None and 0 <= index < len(self.seizure_ids):
            self.win.undo_stack.push(cmds.delete_seizure_command(self.win.store, self.seizure_ids[index]))

    def on_panel_edited(self, index: int, field: str, value: object) -> None:
        store = self.win.store
        if store is None or not 0 <= index < len(self.seizure_ids):
            return
        sid = self.seizure_ids[index]
        if store.seizure(sid).get(field) == value:
            return
        self.win.undo_stack.push(cmds.set_field_command(store, sid, field, value, merge=True, verb="edit"))

    def on_marker_moved(self, index: int, field: str, t: float) -> None:
        win = self.win
        if win.store is None or not 0 <= index < len(self.seizure_ids):
            return
        if win.reader is not None:  # snap to the frame on screen at t
            t = win.reader.frame_to_time(win.reader.time_to_frame(t + 1e-6))
        win.undo_stack.push(cmds.set_field_command(win.store, self.seizure_ids[index], field, t, verb="drag"))

    def refresh_labels(self) -> None:
        """Redraw seizures (timeline markers, panel rows), the alarms' lead times and the event
        statuses from the store."""
        win = self.win
        self._redraw_timer.stop()
        labels = win.store.seizures() if win.store is not None else []
        rows = [SeizureRow(s.eeg_onset_s, s.clinical_onset_s, s.end_s, s.seizure_type) for s in labels]
        ids = [s.id for s in labels]
        win.timeline.setSeizures(rows)
        panel = win.annotation_panel
        if len(ids) == len(self.seizure_ids) and len(ids) == panel.seizureCount():
            for i, r in enumerate(rows):
                panel.updateSeizure(i, r)
        else:
            panel.setSeizures(rows)
        self.seizure_ids = ids
        win.review_state.set_seizures(labels)
        win.event_review.refresh()

"""The reviewer's seizure labels in the window: the annotation store opened (or recovered) for the
video, marks at the frame on screen, edits from the panel and dragged timeline markers, each
through the undo stack, and the store's changes redrawn.

Every edit is planned first (``app.edit_plans``): one that would break the label rules is
offered its alternatives in a question (``app.label_questions``) or refused with a warning that
stays in the annotation panel and the message bar until the next edit that goes through."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from PySide6.QtCore import QTimer

from app import edit_commands as cmds
from app import edit_plans, label_questions
from app.annotations import MARK_LABELS, AnnotationStore
from inference.core.errors import SemioscopeError
from widgets.display_data import SeizureRow

if TYPE_CHECKING:
    from app.main_window import MainWindow


class AnnotationActions:
    """``open_store(path, video_name)`` / ``close_store()``, ``mark(field)``, ``add_seizure_here()``,
    ``delete_selected_seizure()``, ``accept_proposals()``, ``push(command)``, ``carry_out(plan)``,
    ``refresh_labels()``, and the panel / marker slots. ``refusal``: the warning shown for the
    last refused edit ("" when none)."""

    def __init__(self, win: MainWindow):
        self.win = win
        self.seizure_ids: list[str] = []  # store ids of the panel's rows, in order
        self.refusal = ""
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
        win.event_review.run_threshold = None  # the next recording's run says its own
        self.clear_refusal()
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
        """The frame on screen's time; the EEG sample's when one was clicked to get there."""
        win = self.win
        if win.reader is None:
            return None
        precise = win.eeg_review.precise_time()
        return precise if precise is not None else win.reader.frame_to_time(win.current_frame)

    # -- doing an edit: planned, asked about when it needs a choice, refused when it breaks a rule
    def push(self, command: cmds.StoreEditCommand) -> bool:
        """Push ``command`` on the undo stack; a refusal by the store is shown and kept."""
        self.win.undo_stack.push(command)
        if command.refused is not None:
            self.refuse(str(command.refused))
            return False
        self.clear_refusal()
        return True

    def carry_out(self, plan: edit_plans.EditPlan, title: str = "Seizure labels") -> bool:
        """Do what ``plan`` asks for; when it would break a rule (or moves a mark far), ask which
        alternative to take; refuse when there is none or the reviewer cancels."""
        if plan.ok:
            return self.push(plan.command)
        options = plan.options()
        if options:
            picked = label_questions.ask_choice(self.win, title, plan.message, [c.text for c in options])
            chosen = next((c for c in options if c.text == picked), None)
            if chosen is not None:
                return self.push(chosen.command)
        if plan.problems:
            self.refuse(plan.message)
        else:
            self.win.show_message("Nothing changed", 3000)
        self._redraw_timer.start()  # the panel and the markers back where the labels are
        return False

    def refuse(self, why: str) -> None:
        """A refused edit: the reason stays on screen (panel and message bar), never transient."""
        text = f"Not changed: {why.removeprefix('refused: ')}"
        self.refusal = text
        self.win.annotation_panel.setWarning(text)
        self.win.show_warning(text)

    def clear_refusal(self) -> None:
        if not self.refusal:
            return
        if self.win.message_bar.text() == self.refusal:
            self.win.clear_message_bar()
        self.refusal = ""
        self.win.annotation_panel.setWarning("")

    def mark(self, field: str) -> None:
        """Mark EEG onset / clinical onset / seizure end at the current frame's time."""
        win = self.win
        t = self._time_on_screen()
        if win.store is None or t is None:
            win.show_message("Open a video first", 3000)
            return
        if self.carry_out(edit_plans.plan_mark(win.store, field, t, self._selected_seizure_id()),
                          f"Mark {MARK_LABELS[field]}"):
            win.show_message(f"Marked {MARK_LABELS[field]} at frame {win.current_frame} ({t:.3f} s)", 4000)

    def add_seizure_here(self) -> None:
        t = self._time_on_screen()
        if self.win.store is not None and t is not None:
            self.carry_out(edit_plans.plan_add_seizure(self.win.store, t), "Add seizure")

    def accept_proposals(self) -> None:
        """The selected seizure's (else the one at the cursor's) times proposed by the detector
        become the reviewer's, as they are."""
        win = self.win
        store = win.store
        if store is None:
            return
        sid = self._selected_seizure_id()
        if sid is None:
            t = win.current_time
            at = [s.id for s in store.seizures() if s.span[0] <= t <= s.span[1]]
            with_proposals = [s.id for s in store.seizures() if s.proposed]
            sid = at[0] if at else (with_proposals[0] if len(with_proposals) == 1 else None)
        command = cmds.accept_command(store, sid) if sid is not None else None
        if command is None:
            win.show_message("No proposed times to accept: select a seizure whose times show a ?", 4000)
            return
        if self.push(command):
            win.show_message(f"Accepted: {command.text()}", 4000)

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
        self.carry_out(edit_plans.plan_set_field(store, sid, field, value, merge=True, verb="edit"))

    def on_marker_moved(self, index: int, field: str, t: float) -> None:
        win = self.win
        if win.store is None or not 0 <= index < len(self.seizure_ids):
            return
        if win.reader is not None:  # snap to the frame on screen at t
            t = win.reader.frame_to_time(win.reader.time_to_frame(t + 1e-6))
        self.carry_out(edit_plans.plan_set_field(win.store, self.seizure_ids[index], field, t, verb="drag"))

    def refresh_labels(self) -> None:
        """Redraw seizures (timeline markers, panel rows), the alarms' lead times and the event
        statuses from the store."""
        win = self.win
        self._redraw_timer.stop()
        labels = win.store.seizures() if win.store is not None else []
        rows = [SeizureRow(s.eeg_onset_s, s.clinical_onset_s, s.end_s, s.seizure_type, frozenset(s.proposed))
                for s in labels]
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
        win.event_review.sync_threshold()  # an undone / redone threshold comes back through here
        win.event_review.refresh()
        win.eeg_review.refresh_marks()
        win.semiology.refresh()

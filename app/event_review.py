"""Reviewing the detections: the events panel and timeline spans (with the forecast alarms after
the detections), the current event, N / P, confirm / reject / reset through the undo stack, and
the detection threshold.

An event's status comes from the reviews lying over its span (``app.review_coverage``): after a
threshold change merges events, one only partly covered shows "partly reviewed". The threshold
is this recording's setting in the annotation store (undoable, saved; the run's own until set).
Rejecting a detection whose seizure a person has refined asks before deleting that seizure."""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Optional

from app import edit_commands as cmds
from app import label_questions
from app.annotations import CONFIRMED, HUMAN, MARK_FIELDS, MARK_LABELS, REJECTED, UNREVIEWED
from app.label_rules import describe
from app.review_coverage import coverage_status
from app.review_state import ForecastAlarm
from inference.dataset.manifest import UNKNOWN
from inference.dataset.semiology import ILAE_TYPES, SIGNS
from widgets.display_data import FORECAST_ALARM, EventRow
from widgets.timefmt import format_time
from widgets.wording import plural

if TYPE_CHECKING:
    from app.main_window import MainWindow

ALARM_STATUS = "—"  # a forecast alarm's status column: alarms are not reviewable


def semiology_tags(labels, start_s: float, end_s: float) -> tuple[str, ...]:
    """The ILAE types and signs of the seizures an event overlaps (for the events table's filter)."""
    tags: list[str] = []
    for s in labels:
        lo, hi = s.span
        if hi < start_s or lo > end_s:
            continue
        if s.ilae_type:
            tags.append(ILAE_TYPES[s.ilae_type][1])
        tags.extend(SIGNS[g.term][1] for g in s.signs)
    return tuple(dict.fromkeys(tags))


def alarm_row(alarm: ForecastAlarm) -> EventRow:
    """A forecast alarm as the panel lists it: a point in time, its lead time, not reviewable."""
    return EventRow(alarm.time_s, alarm.time_s, alarm.prob, ALARM_STATUS, FORECAST_ALARM, alarm.lead_time_s)


class EventReview:
    """``current`` (row of the events panel selected, or None); ``refresh()`` after the events,
    alarms or review statuses change; ``go_to(row)``, ``step(+1 / -1)``, ``review_current(status)``,
    ``set_threshold(value)``, ``reset_threshold()``, ``sync_threshold()``, ``status(i)``.
    ``run_threshold``: the analysis run's own threshold (None until known)."""

    def __init__(self, win: MainWindow):
        self.win = win
        self.state = win.review_state
        self.current: Optional[int] = None
        self.run_threshold: Optional[float] = None

    def status(self, index: int) -> str:
        """Review status of detection ``index`` (from the annotation store)."""
        e = self.state.events[index]
        store = self.win.store
        return store.status_of(e.start_s, e.end_s) if store else UNREVIEWED

    def alarm_rows(self) -> list[EventRow]:
        return [alarm_row(a) for a in self.state.alarms]

    def refresh(self) -> None:
        """Events (with their statuses) and alarms to the timeline and the events panel."""
        win, state = self.win, self.state
        if self.current is not None and self.current >= state.row_count:
            self.current = None
        rows = [self._row(e) for e in state.events]
        alarms = self.alarm_rows()
        win.timeline.setForecastAlarms([a.start_s for a in alarms], state.forecast_threshold)
        win.timeline.setEvents(rows)
        win.event_list.setEvents(rows + alarms)
        if self.current is not None:
            win.event_list.selectRow(self.current)

    def _row(self, e) -> EventRow:
        store = self.win.store
        if store is None:
            return EventRow.from_event(e)
        parts = store.reviewed_parts(e.start_s, e.end_s)
        return replace(EventRow.from_event(e, coverage_status(parts, e.start_s, e.end_s)),
                       reviewed_parts=tuple((p.start_s, p.end_s, p.status) for p in parts),
                       semiology=semiology_tags(store.seizures(), e.start_s, e.end_s))

    def on_threshold_dragged(self, value: float) -> None:
        """Live while the line moves: events follow; the setting is recorded on release."""
        self.state.set_threshold(value)
        self.refresh()

    def recorded_threshold(self) -> float:
        """The threshold this recording is reviewed at: its own setting, else the run's."""
        if self.run_threshold is None:
            self.run_threshold = self.state.event_config.threshold
        stored = self.win.store.threshold() if self.win.store is not None else None
        return stored if stored is not None else self.run_threshold

    def adopt_run_threshold(self) -> None:
        """A result was just shown: its threshold is the run's; the recording's own setting stays."""
        self.run_threshold = self.state.event_config.threshold
        self.sync_threshold()

    def sync_threshold(self) -> None:
        """The recorded threshold to the events and the timeline (after an undo, on opening)."""
        value = self.recorded_threshold()
        if abs(self.state.event_config.threshold - value) > 1e-9:
            self.state.set_threshold(value)
        self.win.timeline.setThreshold(value)
        setting = self.win.store.threshold_setting() if self.win.store is not None else None
        note = f"the analysis run's threshold ({self.run_threshold:.2f})"
        if setting is not None and setting.value is not None:
            note = f"set by {setting.author} at {setting.time_utc}; the run's is {self.run_threshold:.2f}"
        self.win.timeline.threshold_control.setNote(f"Detection threshold {value:.2f}: {note}")

    def reset_threshold(self) -> None:
        """Back to the run's threshold (undoable)."""
        store = self.win.store
        if store is not None and store.threshold() is not None:
            self.win.annotation_actions.push(cmds.threshold_command(store, None))
        self.sync_threshold()
        self.refresh()

    def set_threshold(self, value: float) -> None:
        """Move the detection threshold; the events are recomputed at once and the setting is
        recorded for this recording (one undo step)."""
        value = self.state.set_threshold(value)
        store = self.win.store
        if store is not None and abs(self.recorded_threshold() - value) > 1e-9:
            self.win.annotation_actions.push(cmds.threshold_command(store, value))
        if abs(self.win.timeline.threshold() - value) > 1e-9:
            self.win.timeline.setThreshold(value)
        self.refresh()
        self.win.show_message(f"Threshold {value:.2f}: {plural(len(self.state.events), 'event')}", 4000)

    def go_to(self, index: int) -> None:
        """Go to row ``index`` of the events panel: a detection, or (after them) a forecast alarm."""
        win, events = self.win, self.state.events
        alarm = self.state.alarm_of_row(index)
        if alarm is not None:
            self.current = index
            win.event_list.selectRow(index)
            win.seek(alarm.time_s)
            lead = f", {alarm.lead_time_s:.1f} s before the annotated onset" if alarm.lead_time_s is not None \
                else " (no annotated onset follows)"
            win.show_message(f"Forecast alarm at {format_time(alarm.time_s)}, P = {alarm.prob:.2f}{lead}")
            return
        if not 0 <= index < len(events):
            return
        self.current = index
        win.event_list.selectRow(index)
        e = events[index]
        win.seek(e.start_s)
        a, b = win.timeline.xRange()
        if not (a <= e.start_s and e.end_s <= b):
            win.timeline.centerOn(0.5 * (e.start_s + e.end_s))
        win.show_message(f"Event {index + 1}/{len(events)}: {format_time(e.start_s)}–{format_time(e.end_s)}, "
                         f"peak {e.peak_prob:.2f}, {self.status(index)}")

    def step(self, direction: int) -> None:
        """The next (``+1``) or previous (``-1``) detection among those the panel shows, from the
        current row or else the cursor; forecast alarms are skipped."""
        win = self.win
        shown = set(win.event_list.visibleRows())  # the panel's "only unreviewed" filter applies
        find = self.state.next_event if direction > 0 else self.state.previous_event
        row = find(win.current_time, self.current, shown)
        if row is None:
            win.show_message("No later event" if direction > 0 else "No earlier event", 3000)
            return
        self.go_to(row)

    def review_current(self, status: str) -> None:
        """Confirm / reject / reset the current event (the selected one, else the one under the cursor)."""
        win = self.win
        i = self.current if self.current is not None else self.state.event_at(win.current_time)
        if i is not None and i >= len(self.state.events):
            win.show_message("Forecast alarms are not reviewed: confirm or reject the detections", 4000)
            return
        if i is None or win.store is None:
            win.show_message("No event selected: go to one with N / P or click it", 4000)
            return
        e = self.state.events[i]
        self.current = i
        delete_refined = False
        refined = cmds.refined_proposals(win.store, e.start_s, e.end_s) if status != CONFIRMED else []
        verb = "reject" if status == REJECTED else "reset"
        if refined:
            names = ", ".join(describe(s) for s in refined)
            keep, drop = f"Keep {names}, {verb} the detection", f"Delete {names} too"
            picked = label_questions.ask_choice(
                win, f"{verb.capitalize()} detection",
                f"{names} was opened from this detection and then refined by hand "
                f"({'; '.join(_refinements(s) for s in refined)}). Keep it, or delete it with the detection?",
                [keep, drop])
            if picked is None:
                win.show_message("Nothing changed", 3000)
                return
            delete_refined = picked == drop
        command = cmds.review_command(win.store, e.start_s, e.end_s, e.peak_prob, status,
                                      threshold=self.state.event_config.threshold, delete_refined=delete_refined)
        if not win.annotation_actions.push(command):
            return
        said = f"Event {format_time(e.start_s)}–{format_time(e.end_s)}: {status}"
        if command.removed_ids:
            said += f"; deleted seizure {', '.join(command.removed_ids)} that confirming it had opened (Ctrl+Z undoes)"
        elif refined:
            said += f"; kept {', '.join(describe(s) for s in refined)}"
        win.show_message(said, 8000)


def _refinements(s) -> str:
    """What a person did to seizure ``s``: the times they set, the type they chose."""
    done = [f"{MARK_LABELS[f]} set" for f in MARK_FIELDS if s.source(f) == HUMAN]
    if s.seizure_type != UNKNOWN:
        done.append(f"type {s.seizure_type}")
    return f"{s.id}: {', '.join(done)}"

"""Reviewing the detections: the events panel and timeline spans (with the forecast alarms after
the detections), the current event, N / P, confirm / reject / reset through the undo stack, and
the detection threshold."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from app import edit_commands as cmds
from app.annotations import UNREVIEWED
from app.review_state import ForecastAlarm
from widgets.display_data import FORECAST_ALARM, EventRow
from widgets.timefmt import format_time

if TYPE_CHECKING:
    from app.main_window import MainWindow

ALARM_STATUS = "—"  # a forecast alarm's status column: alarms are not reviewable


def alarm_row(alarm: ForecastAlarm) -> EventRow:
    """A forecast alarm as the panel lists it: a point in time, its lead time, not reviewable."""
    return EventRow(alarm.time_s, alarm.time_s, alarm.prob, ALARM_STATUS, FORECAST_ALARM, alarm.lead_time_s)


class EventReview:
    """``current`` (row of the events panel selected, or None); ``refresh()`` after the events,
    alarms or review statuses change; ``go_to(row)``, ``step(+1 / -1)``, ``review_current(status)``,
    ``set_threshold(value)``, ``status(i)``."""

    def __init__(self, win: MainWindow):
        self.win = win
        self.state = win.review_state
        self.current: Optional[int] = None

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
        rows = [EventRow.from_event(e, self.status(i)) for i, e in enumerate(state.events)]
        alarms = self.alarm_rows()
        win.timeline.setForecastAlarms([a.start_s for a in alarms], state.forecast_threshold)
        win.timeline.setEvents(rows)
        win.event_list.setEvents(rows + alarms)
        if self.current is not None:
            win.event_list.selectRow(self.current)

    def on_threshold_dragged(self, value: float) -> None:
        self.state.set_threshold(value)
        self.refresh()

    def set_threshold(self, value: float) -> None:
        """Move the detection threshold; the events are recomputed at once."""
        value = self.state.set_threshold(value)
        if abs(self.win.timeline.threshold() - value) > 1e-9:
            self.win.timeline.setThreshold(value)
        self.refresh()
        self.win.show_message(f"Threshold {value:.2f}: {len(self.state.events)} events", 4000)

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
        win.undo_stack.push(cmds.review_command(win.store, e.start_s, e.end_s, e.peak_prob, status))

"""Another reviewer's labels beside the open ones, read-only, and adjudication.

``load(path)`` reads another annotation file of the same recording (never written to); its
seizures are drawn on the timeline dashed and muted, labelled with that reviewer's name, and a
"Raters" tab lists the disagreements with the open labels: a seizure only one of the two marked,
or a time (EEG onset, clinical onset, end) more than ``tolerance_s`` apart, or marked by them and
not in the open labels. Seizures are paired as ``inference.results.agreement.match_seizures`` does.

Adjudication edits the open store through the undo stack, each as one edit whose data records
both sources, ``"consensus_of": [{"rater", "file", "value"}, ...]`` and ``"decision"``: accepting
their time (``set_seizure``), their seizure (``add_seizure``), their "no seizure here"
(``delete_seizure``), or a consensus value typed in. Replay ignores the extra keys
(``app.annotation_state.apply_edit`` reads only the keys it knows).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog, QInputDialog

from app import edit_commands as cmds
from app.agreement_inputs import rater_name, video_of
from app.annotation_state import MARK_FIELDS, MARK_LABELS, SeizureLabel
from app.annotations import ANNOTATION_SUFFIX, AnnotationStore
from inference.core.errors import SemioscopeError
from inference.results.agreement import match_seizures
from widgets.display_data import SeizureRow
from widgets.rater_comparison_view import DisagreementList, DisagreementRow
from widgets.timefmt import format_time

if TYPE_CHECKING:
    from app.main_window import MainWindow

ONLY_OPEN = "only open"  # a seizure in the open labels that the other reviewer did not mark
ONLY_OTHER = "only other"  # a seizure only the other reviewer marked
TIME = "time"  # a time of a seizure both marked, more than tolerance_s apart (or only they marked it)
TOLERANCE_S = 5.0
TAB_TITLE = "Raters"


@dataclass(frozen=True)
class Disagreement:
    kind: str
    time_s: float  # where to look
    open_id: Optional[str]  # the open label's id (None: only the other marked it)
    other_index: Optional[int]  # index into the other reviewer's seizures (None: only the open labels)
    field: Optional[str] = None  # for TIME: which time
    mine: Optional[float] = None
    theirs: Optional[float] = None

    def describe(self, number: int, other_number: Optional[int]) -> str:
        if self.kind == ONLY_OPEN:
            return f"seizure {number} only in the open labels"
        if self.kind == ONLY_OTHER:
            return f"their seizure {other_number} not in the open labels"
        if self.mine is None:
            return f"seizure {number}: {MARK_LABELS[self.field]} only marked by them"
        return f"seizure {number}: {MARK_LABELS[self.field]} {self.theirs - self.mine:+.1f} s apart"


def find_disagreements(mine: list[SeizureLabel], theirs: list[SeizureLabel],
                       tolerance_s: float = TOLERANCE_S) -> list[Disagreement]:
    """Where two reviewers' labels differ, in time order."""
    def times(s: SeizureLabel):
        return (s.eeg_onset_s, s.clinical_onset_s, s.end_s)

    pairs = match_seizures([times(s) for s in mine], [times(s) for s in theirs], math.inf)
    out = []
    for i, j in pairs:
        a, b = mine[i], theirs[j]
        for f in MARK_FIELDS:
            x, y = a.get(f), b.get(f)
            if y is not None and (x is None or abs(y - x) > tolerance_s):
                out.append(Disagreement(TIME, min(t for t in (x, y) if t is not None), a.id, j, f, x, y))
    matched_a, matched_b = {i for i, _ in pairs}, {j for _, j in pairs}
    out += [Disagreement(ONLY_OPEN, s.anchor_s, s.id, None) for i, s in enumerate(mine) if i not in matched_a]
    out += [Disagreement(ONLY_OTHER, s.anchor_s, None, j) for j, s in enumerate(theirs) if j not in matched_b]
    return sorted(out, key=lambda d: (d.time_s, d.kind, d.field or ""))


class RaterComparison:
    """``load(path)``, ``ask_load()``, ``clear()``, ``disagreements()``, ``go_to(i)``,
    ``accept_other(i, field=None)``, ``set_consensus(i, field, value)``; ``other`` (the other
    reviewer's store, read-only), ``other_name``, ``other_path``, ``tolerance_s``, ``panel``."""

    def __init__(self, win: MainWindow):
        self.win = win
        self.other: Optional[AnnotationStore] = None
        self.other_name = ""
        self.other_path: Optional[Path] = None
        self.tolerance_s = TOLERANCE_S
        self._store = None  # the open store the comparison follows
        self.panel = DisagreementList(win)
        self.panel.hide()
        self.panel.activated.connect(self.go_to)
        self.panel.acceptRequested.connect(lambda i: self.accept_other(i))
        self.panel.consensusRequested.connect(self.ask_consensus)
        self.panel.closeRequested.connect(self.clear)
        self._refresh_timer = QTimer(win)  # the open labels changed: redraw on the next turn
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self.refresh)

    # -- loading ----------------------------------------------------------------------------
    def ask_load(self) -> None:
        win = self.win
        if win.store is None:
            win.show_message("Open a video first: its labels are compared with the other reviewer's", 3000)
            return
        start = str(win.video_path.parent) if win.video_path is not None else ""
        path, _ = QFileDialog.getOpenFileName(win, "Compare with another reviewer's annotations", start,
                                              f"Annotations (*{ANNOTATION_SUFFIX} *.json);;All files (*)")
        if path:
            self.load(path)

    def load(self, path: str | Path) -> bool:
        """Show ``path`` (another reviewer's annotation file of the open video) beside the open
        labels. Errors (unreadable, another recording, the open file itself) go to the message bar."""
        win, path = self.win, Path(path)
        store = win.store
        if store is None or win.video_path is None:
            win.show_error("Open a video first: its labels are compared with the other reviewer's")
            return False
        try:
            if not path.is_file():
                raise SemioscopeError(f"{path}: annotation file not found")
            if store.path is not None and path.resolve() == store.path.resolve():
                raise SemioscopeError(f"{path}: this is the open annotation file; choose another reviewer's")
            other = AnnotationStore.open(path, win.reviewer, autosave=False)
            video = video_of(other, path)
            mine, theirs = str(store.video.get("fingerprint") or ""), str(other.video.get("fingerprint") or "")
            if (video and video != win.video_path.name) or (mine and theirs and mine != theirs):
                raise SemioscopeError(f"{path}: annotates {video or 'another video'}, not {win.video_path.name}")
        except (SemioscopeError, OSError) as exc:
            win.show_error(f"Cannot compare: {exc}")
            return False
        self.clear()
        self.other, self.other_path, self.other_name = other, path, rater_name(other, path)
        self._store = store
        store.listeners.append(self._on_open_store_edit)
        tabs = getattr(win, "side_tabs", None)
        if tabs is not None and tabs.indexOf(self.panel) < 0:
            tabs.addTab(self.panel, TAB_TITLE)
        if tabs is not None:
            tabs.setCurrentWidget(self.panel)
        self.panel.show()
        self.refresh()
        n = len(self.disagreements())
        win.show_message(f"Comparing with {self.other_name} ({path.name}): {n} disagreement(s)", 5000)
        return True

    def clear(self) -> None:
        """Stop comparing: markers and the Raters tab go; the other file is never touched."""
        if self._store is not None and self._on_open_store_edit in self._store.listeners:
            self._store.listeners.remove(self._on_open_store_edit)
        self.other, self.other_path, self.other_name, self._store = None, None, "", None
        self.win.timeline.setComparisonSeizures([], "")
        tabs = getattr(self.win, "side_tabs", None)
        if tabs is not None and tabs.indexOf(self.panel) >= 0:
            tabs.removeTab(tabs.indexOf(self.panel))
        self.panel.setRows("No other reviewer loaded", [])

    def _on_open_store_edit(self, _edit) -> None:
        self._refresh_timer.start()

    def _current(self) -> bool:
        """Still the recording the comparison was loaded for (a new video ends it)."""
        if self.other is None:
            return False
        if self.win.store is not self._store:
            self.clear()
            return False
        return True

    # -- what differs -----------------------------------------------------------------------
    def disagreements(self) -> list[Disagreement]:
        if not self._current():
            return []
        return find_disagreements(self.win.store.seizures(), self.other.seizures(), self.tolerance_s)

    def refresh(self) -> None:
        """Redraw the other reviewer's markers and the list."""
        self._refresh_timer.stop()
        if not self._current():
            return
        theirs = self.other.seizures()
        self.win.timeline.setComparisonSeizures(
            [SeizureRow(s.eeg_onset_s, s.clinical_onset_s, s.end_s, s.seizure_type) for s in theirs],
            self.other_name)
        numbers = {s.id: k + 1 for k, s in enumerate(self.win.store.seizures())}
        rows = []
        for d in self.disagreements():
            if d.kind == TIME:
                mine, other = format_time(d.mine), format_time(d.theirs)  # None: "--:--:--"
            elif d.kind == ONLY_OPEN:
                mine, other = "seizure", "none"
            else:
                mine, other = "none", "seizure"
            rows.append(DisagreementRow(d.time_s, d.describe(numbers.get(d.open_id, 0),
                                                             None if d.other_index is None else d.other_index + 1),
                                        mine, other))
        self.panel.setRows(f"{self.other_name} ({self.other_path.name}), dashed on the timeline: "
                           f"{len(rows)} disagreement(s) with the open labels (times > {self.tolerance_s:g} s apart)",
                           rows)

    def go_to(self, i: int) -> None:
        found = self.disagreements()
        if 0 <= i < len(found):
            t = found[i].time_s
            self.win.seek(t)
            self.win.timeline.centerOn(t)
            if self.panel.currentRow() != i:
                self.panel.selectRow(i)

    # -- adjudication -----------------------------------------------------------------------
    def _sources(self, mine: Any, theirs: Any) -> list[dict[str, Any]]:
        store = self.win.store
        me = rater_name(store, store.path) if store.path is not None else self.win.reviewer
        return [{"rater": me, "file": store.path.name if store.path is not None else "", "value": mine},
                {"rater": self.other_name, "file": self.other_path.name, "value": theirs}]

    def accept_other(self, i: int, field: Optional[str] = None) -> bool:
        """Take the other reviewer's side of disagreement ``i`` into the open labels: their
        ``field`` (default: the disagreeing one) of the matched seizure, their whole seizure, or
        (a seizure only the open labels have) no seizure. One undo step; False when refused."""
        found = self.disagreements()
        if not 0 <= i < len(found):
            return False
        d = found[i]
        store = self.win.store
        if d.kind == ONLY_OTHER:
            s = self.other.seizures()[d.other_index]
            data = {"id": store.new_seizure_id(), **{f: s.get(f) for f in MARK_FIELDS},
                    "seizure_type": s.seizure_type, "origin": "consensus",
                    "consensus_of": self._sources(None, [s.get(f) for f in MARK_FIELDS]),
                    "decision": f"accepted {self.other_name}'s seizure"}
            return self._push([("add_seizure", data)], f"Accept {self.other_name}'s seizure")
        if d.kind == ONLY_OPEN:
            mine = store.seizure(d.open_id)
            data = {"id": d.open_id, "consensus_of": self._sources([mine.get(f) for f in MARK_FIELDS], None),
                    "decision": f"accepted {self.other_name}'s: no seizure"}
            return self._push([("delete_seizure", data)], f"Accept {self.other_name}'s: no seizure")
        field = field or d.field
        value = self.other.seizures()[d.other_index].get(field)
        return self._set(d, field, value, f"accepted {self.other_name}'s")

    def set_consensus(self, i: int, field: Optional[str], value: float) -> bool:
        """Set ``field`` (default: the disagreeing one) of a seizure both marked to an agreed
        ``value``, recording both reviewers' values."""
        found = self.disagreements()
        if not 0 <= i < len(found) or found[i].kind != TIME:
            return False
        return self._set(found[i], field or found[i].field, float(value), "consensus")

    def _set(self, d: Disagreement, field: str, value: Optional[float], decision: str) -> bool:
        mine = self.win.store.seizure(d.open_id).get(field)
        theirs = self.other.seizures()[d.other_index].get(field)
        data = {"id": d.open_id, "field": field, "value": value, "consensus_of": self._sources(mine, theirs),
                "decision": decision}
        return self._push([("set_seizure", data)], f"{MARK_LABELS[field]}: {decision}")

    def _push(self, ops: list, text: str) -> bool:
        ok = self.win.annotation_actions.push(cmds.StoreEditCommand(self.win.store, ops, text))
        if ok:
            self.win.show_message(text, 4000)
        self.refresh()
        return ok

    def ask_consensus(self, i: int) -> None:
        found = self.disagreements()
        if not 0 <= i < len(found) or found[i].kind != TIME:
            self.win.show_message("A consensus value is for a time both reviewers marked", 3000)
            return
        d = found[i]
        start = d.theirs if d.mine is None else (d.mine + d.theirs) / 2
        value, ok = QInputDialog.getDouble(self.win, "Consensus", f"{MARK_LABELS[d.field]} (seconds):",
                                           float(start), 0.0, 1e9, 3)
        if ok:
            self.set_consensus(i, d.field, value)


__all__ = ["RaterComparison", "Disagreement", "find_disagreements", "ONLY_OPEN", "ONLY_OTHER", "TIME",
           "TOLERANCE_S"]

"""Issue 13, findings 1-4, through the real review window (pytest-qt, offscreen): labels that
break the clinical order or overlap are refused (or fixed by an explicit choice), confirming a
detection keeps the detector's times as proposals, rejecting never deletes a refined seizure
silently, and a review stays bound to the span that was reviewed while the threshold (typed,
undoable, saved) changes."""
from __future__ import annotations

import csv
import json
import shutil

import pytest
from app_helpers import make_result, make_video
from PySide6.QtCore import Qt

from app import edit_plans, label_questions
from app.annotations import (
    CONFIRMED,
    HUMAN,
    MACHINE,
    PARTLY_REVIEWED,
    REJECTED,
    AnnotationStore,
    annotations_path_for,
)
from app.export import LabelExportError
from app.main_window import MainWindow
from inference.results.result_file import result_path_for

EEG, CLIN, END = "eeg_onset_s", "clinical_onset_s", "end_s"


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    d = tmp_path_factory.mktemp("integrity")
    return make_video(d, seconds=20.0)


@pytest.fixture
def video(tmp_path, assets):
    """A fresh copy of the 20 s, 10 fps video with a result beside it: at threshold 0.5 two
    events, [2, 8] s and [11, 18] s; at 0.05 one event over everything."""
    v = tmp_path / assets.name
    shutil.copy(assets, v)
    shutil.copy(assets.with_name(assets.stem + ".keypoints.npz"), tmp_path / (assets.stem + ".keypoints.npz"))
    make_result(v).save(result_path_for(v))
    return v


@pytest.fixture
def answers(monkeypatch):
    """Answer the window's questions without a dialog: ``answers.pick = fn(choices) -> str | None``;
    every question asked is kept in ``answers.asked`` as (title, text, choices)."""
    class Answers:
        asked: list = []
        pick = staticmethod(lambda choices: None)

    a = Answers()
    a.asked = []

    def ask(parent, title, text, choices):
        a.asked.append((title, text, list(choices)))
        return a.pick(list(choices))

    monkeypatch.setattr(label_questions, "ask_choice", ask)
    return a


def open_window(qtbot, video, reviewer="tester"):
    win = MainWindow(reviewer=reviewer)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    assert win.open_video(video)
    qtbot.waitUntil(lambda: win.is_open() and win.shown_frame >= 0 and len(win.events) > 0, timeout=10000)
    return win


def key(qtbot, win, k, mod=Qt.NoModifier):
    qtbot.keyClick(win.video_view, k, mod)
    qtbot.wait(5)


def confirm_event(qtbot, win, row: int):
    win.go_to_event(row)
    key(qtbot, win, Qt.Key_Y)


def drag(win, index: int, field: str, t: float):
    m = win.timeline.marker(index, field)
    m.setValue(t)
    m.sigPositionChangeFinished.emit(m)


def times(s):
    return s.eeg_onset_s, s.clinical_onset_s, s.end_s


# -- finding 1: an end before its onset, an overlapping seizure, a silent far move -----------------

def test_marks_out_of_order_or_overlapping_are_refused_and_the_reason_stays(qtbot, video, answers, monkeypatch):
    win = open_window(qtbot, video)
    confirm_event(qtbot, win, 0)
    (s,) = win.store.seizures()
    assert times(s) == (2.0, 2.0, 8.0)
    revision = win.store.revision

    # X before the EEG onset: refused, nothing recorded, the reason stays on screen.
    win.seek_frame(10)  # 1.0 s
    key(qtbot, win, Qt.Key_X)
    assert times(win.store.seizures()[0]) == (2.0, 2.0, 8.0) and win.store.revision == revision
    warning = win.annotation_panel.warning()
    assert "Not changed" in warning and "s1" in warning and "before the EEG onset" in warning
    assert answers.asked == []  # nothing to choose: an end before the onset has no repair
    qtbot.wait(300)
    assert win.message_bar.isVisible() and win.message_bar.text() == warning
    assert win.annotation_panel.warning() == warning

    # The same by dragging the end marker left of the onset: refused, the marker goes back.
    drag(win, 0, END, 1.0)
    assert win.store.seizures()[0].end_s == 8.0
    qtbot.waitUntil(lambda: win.timeline.marker(0, END).value() == pytest.approx(8.0))
    # ... and by typing it in the panel: the spin box shows the stored end again.
    win.annotation_panel.spin(0, END).setValue(1.5)
    assert win.store.seizures()[0].end_s == 8.0
    qtbot.waitUntil(lambda: win.annotation_panel.spin(0, END).timeValue() == pytest.approx(8.0))

    # "Add seizure" inside seizure s1: refused with the overlap named.
    win.seek_frame(50)
    win.annotation_panel.add_button.click()
    assert len(win.store.seizures()) == 1
    assert "inside seizure s1" in win.annotation_panel.warning()

    # E after the clinical onset: offered to move the clinical onset along; cancel changes nothing.
    win.seek_frame(40)  # 4.0 s
    key(qtbot, win, Qt.Key_E)
    (title, text, choices), = answers.asked
    assert "clinical onset (00:00:02.000) is before the EEG onset (00:00:04.000)" in text
    assert choices == ["Move the clinical onset to 00:00:04.000 too"]
    assert times(win.store.seizures()[0]) == (2.0, 2.0, 8.0)
    answers.pick = lambda choices: choices[0]
    key(qtbot, win, Qt.Key_E)
    s = win.store.seizures()[0]
    assert times(s) == (4.0, 4.0, 8.0) and s.source(EEG) == HUMAN and s.source(CLIN) == HUMAN
    assert win.annotation_panel.warning() == "" and not win.message_bar.isVisible()  # the edit went through
    key(qtbot, win, Qt.Key_Z, Qt.ControlModifier)  # one undo step for both onsets
    assert times(win.store.seizures()[0]) == (2.0, 2.0, 8.0)
    key(qtbot, win, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)

    # A mark that moves a set mark far asks first (the limit made small for a 20 s video).
    monkeypatch.setattr(edit_plans, "MARK_MOVE_CONFIRM_S", 2.0)
    answers.asked.clear()
    answers.pick = lambda choices: None
    win.seek_frame(5)  # 0.5 s: 3.5 s before the EEG onset at 4.0
    key(qtbot, win, Qt.Key_E)
    (title, text, choices), = answers.asked
    assert "already has its EEG onset at 00:00:04.000" in text and "3.5 s earlier" in text
    assert win.store.seizures()[0].eeg_onset_s == 4.0
    answers.pick = lambda choices: choices[0]
    key(qtbot, win, Qt.Key_E)
    assert win.store.seizures()[0].eeg_onset_s == 0.5


# -- finding 2: confirming keeps the detector's values as proposals --------------------------------

def test_confirm_opens_a_proposal_that_a_person_sets_or_accepts(qtbot, video, answers, tmp_path):
    win = open_window(qtbot, video)
    confirm_event(qtbot, win, 0)
    (s,) = win.store.seizures()
    assert s.seizure_type == "unknown" and s.origin.startswith("event:")
    assert [s.source(f) for f in (EEG, CLIN, END)] == [MACHINE] * 3
    edits = json.loads(annotations_path_for(video).read_text())["edits"]
    assert [(e["op"], e["source"], e["author"]) for e in edits] == [("review_event", HUMAN, "tester"),
                                                                   ("add_seizure", MACHINE, "tester")]
    assert edits[1]["data"]["sources"] == {EEG: MACHINE, CLIN: MACHINE, END: MACHINE}
    # The panel and the timeline say which values are proposals.
    qtbot.waitUntil(lambda: len(win.timeline.markers) == 3)
    panel = win.annotation_panel
    assert all(panel.isProposed(0, f) for f in (EEG, CLIN, END)) and panel.table.item(0, 0).text() == "1?"
    eeg_marker = win.timeline.marker(0, EEG)
    assert eeg_marker.proposed and eeg_marker.pen.style() == Qt.DashLine and eeg_marker.name.endswith("?")

    # Export can insist on onsets set by a person; otherwise it reports what is machine-proposed.
    with pytest.raises(LabelExportError, match="s1: the EEG onset and clinical onset are still the detector"):
        win.export_training_labels(tmp_path / "strict", require_human_onsets=True)
    assert not (tmp_path / "strict" / "manifest.json").exists()
    summary = win.export_training_labels(tmp_path / "out")
    assert (summary.seizures, summary.human_onsets, summary.machine_onsets) == (1, 0, 2)
    rows = list(csv.DictReader(open(summary.provenance_csv)))
    assert [(r["field"], r["source"], r["seizure_type"]) for r in rows] == [
        (EEG, MACHINE, "unknown"), (CLIN, MACHINE, "unknown"), (END, MACHINE, "unknown")]

    # Editing a value makes that one human; the others stay proposals.
    drag(win, 0, EEG, 1.5)
    s = win.store.seizures()[0]
    assert (s.eeg_onset_s, s.source(EEG), s.source(CLIN), s.source(END)) == (1.5, HUMAN, MACHINE, MACHINE)
    qtbot.waitUntil(lambda: not win.timeline.marker(0, EEG).proposed)
    assert win.timeline.marker(0, EEG).pen.style() == Qt.SolidLine and win.timeline.marker(0, CLIN).proposed
    # Accepting (A) makes the rest human as they are; undo brings the proposals back.
    win.annotation_panel.table.selectRow(0)
    key(qtbot, win, Qt.Key_A)
    s = win.store.seizures()[0]
    assert times(s) == (1.5, 2.0, 8.0) and [s.source(f) for f in (EEG, CLIN, END)] == [HUMAN] * 3
    qtbot.waitUntil(lambda: not panel.isProposed(0, CLIN) and panel.table.item(0, 0).text() == "1")
    key(qtbot, win, Qt.Key_Z, Qt.ControlModifier)
    assert win.store.seizures()[0].proposed == (CLIN, END)
    key(qtbot, win, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    panel.typeCombo(0).setCurrentText("focal")
    assert win.store.seizures()[0].seizure_type == "focal"

    summary = win.export_training_labels(tmp_path / "strict", require_human_onsets=True)
    assert (summary.human_onsets, summary.machine_onsets) == (2, 0)
    win.close()
    again = AnnotationStore.open(annotations_path_for(video), "x")
    s = again.seizures()[0]
    assert [s.source(f) for f in (EEG, CLIN, END)] == [HUMAN] * 3 and s.seizure_type == "focal"


# -- finding 3: reject never deletes a refined seizure silently -----------------------------------

def test_reject_asks_before_deleting_a_refined_seizure(qtbot, video, answers):
    win = open_window(qtbot, video)
    confirm_event(qtbot, win, 0)
    drag(win, 0, EEG, 1.5)  # refined by hand
    win.go_to_event(0)

    key(qtbot, win, Qt.Key_R)  # cancelled: nothing changes
    (title, text, choices), = answers.asked
    assert "s1" in text and "EEG onset set" in text
    assert choices == ["Keep seizure s1, reject the detection", "Delete seizure s1 too"]
    assert win.event_status(0) == CONFIRMED and len(win.store.seizures()) == 1

    answers.pick = lambda choices: choices[0]  # keep it
    key(qtbot, win, Qt.Key_R)
    assert win.event_status(0) == REJECTED
    (s,) = win.store.seizures()
    assert s.eeg_onset_s == 1.5 and "kept seizure s1" in win.status_label.text()
    assert "delete_seizure" not in [e.op for e in win.store.edits]
    key(qtbot, win, Qt.Key_Z, Qt.ControlModifier)
    assert win.event_status(0) == CONFIRMED

    answers.pick = lambda choices: choices[1]  # delete it too, on purpose
    key(qtbot, win, Qt.Key_R)
    assert win.store.seizures() == [] and win.event_status(0) == REJECTED
    key(qtbot, win, Qt.Key_Z, Qt.ControlModifier)
    (s,) = win.store.seizures()
    assert s.eeg_onset_s == 1.5 and s.source(EEG) == HUMAN and s.source(CLIN) == MACHINE

    # An untouched proposal goes with its rejection without a question, and the message says so.
    answers.asked.clear()
    confirm_event(qtbot, win, 1)
    assert len(win.store.seizures()) == 2
    key(qtbot, win, Qt.Key_R)
    assert answers.asked == [] and len(win.store.seizures()) == 1
    assert "deleted seizure s2" in win.status_label.text()


# -- finding 4: reviews stay bound to what was reviewed; the threshold is a setting --------------

def test_threshold_change_never_passes_a_review_on_and_is_an_undoable_saved_setting(qtbot, video, answers):
    win = open_window(qtbot, video)
    confirm_event(qtbot, win, 0)  # [2, 8] confirmed, [11, 18] not reviewed

    line = win.timeline.threshold_line  # drag down until both events merge into one
    line.setValue(0.05)
    line.sigDragged.emit(line)
    line.sigPositionChangeFinished.emit(line)
    assert [(e.start_s, e.end_s) for e in win.events] == [(0.0, 20.0)]
    assert win.event_status(0) == PARTLY_REVIEWED
    row = win.event_list.model.eventRow(0)
    assert row.status == PARTLY_REVIEWED and row.reviewed_parts == ((2.0, 8.0, CONFIRMED),)
    assert "1 partly reviewed" in win.event_list.count_label.text()
    win.actions["view.unreviewed_only"].setChecked(True)
    assert win.event_list.visibleRows() == [0]  # still to review
    win.actions["view.unreviewed_only"].setChecked(False)
    spans = win.timeline.reviewed_spans
    assert len(spans.starts) == 1 and 2.0 <= spans.starts[0] < spans.ends[0] <= 8.0
    assert win.timeline.threshold_control.value() == pytest.approx(0.05)
    setting = win.store.threshold_setting()
    assert (setting.value, setting.author) == (0.05, "tester")

    # Undo / redo through the labels' undo stack.
    key(qtbot, win, Qt.Key_Z, Qt.ControlModifier)
    qtbot.waitUntil(lambda: len(win.events) == 2)
    assert win.event_config.threshold == pytest.approx(0.5) and win.timeline.threshold() == pytest.approx(0.5)
    assert [win.event_status(i) for i in range(2)] == [CONFIRMED, "unreviewed"]
    key(qtbot, win, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    qtbot.waitUntil(lambda: len(win.events) == 1)
    assert win.timeline.threshold_control.value() == pytest.approx(0.05)

    # Typed in the spin box, and reset to the run's threshold.
    win.timeline.threshold_control.spin.setValue(0.3)
    assert win.store.threshold() == pytest.approx(0.3) and len(win.events) == 2
    win.timeline.threshold_control.reset_button.click()
    assert win.store.threshold() is None and win.event_config.threshold == pytest.approx(0.5)

    # Saved with the recording: reopened at the threshold chosen, the merged event still partly reviewed.
    win.set_threshold(0.05)
    win.close()
    win2 = open_window(qtbot, video, reviewer="second")
    assert win2.event_config.threshold == pytest.approx(0.05)
    assert win2.timeline.threshold_control.value() == pytest.approx(0.05)
    assert len(win2.events) == 1 and win2.event_status(0) == PARTLY_REVIEWED
    # Reviewing the merged event covers it all; back at 0.5 both parts carry that review.
    confirm_event(qtbot, win2, 0)
    assert win2.event_status(0) == CONFIRMED and len(win2.store.seizures()) == 1
    win2.set_threshold(0.5)
    assert [win2.event_status(i) for i in range(2)] == [CONFIRMED, CONFIRMED]

"""Annotation store (provenance, append-only history, atomic autosave, conflicts) and undoable edits."""
from __future__ import annotations

import json

import pytest

from app.annotations import (
    CLINICAL_ONSET,
    CONFIRMED,
    EEG_ONSET,
    REJECTED,
    SEIZURE_END,
    UNREVIEWED,
    AnnotationStore,
    annotations_path_for,
)
from inference.core.errors import InputFileError


@pytest.fixture
def undo_stack(qapp):
    from PySide6.QtGui import QUndoStack

    return QUndoStack()


def test_path_beside_video(tmp_path):
    assert annotations_path_for(tmp_path / "rec.mp4") == tmp_path / "rec.mp4.semioscope-annotations.json"


def test_marks_undo_redo_and_history_is_append_only(tmp_path, undo_stack):
    from app.edit_commands import mark_command

    path = tmp_path / "a.json"
    store = AnnotationStore.open(path, "dr a")
    undo_stack.push(mark_command(store, EEG_ONSET, 100.0))
    undo_stack.push(mark_command(store, CLINICAL_ONSET, 112.5))
    undo_stack.push(mark_command(store, SEIZURE_END, 170.0))
    (s,) = store.seizures()
    assert (s.eeg_onset_s, s.clinical_onset_s, s.end_s) == (100.0, 112.5, 170.0)
    assert s.created_by == "dr a"
    undo_stack.undo()
    undo_stack.undo()
    (s,) = store.seizures()
    assert (s.eeg_onset_s, s.clinical_onset_s, s.end_s) == (100.0, None, None)
    undo_stack.undo()
    assert store.seizures() == []
    undo_stack.redo()
    undo_stack.redo()
    (s,) = store.seizures()
    assert (s.eeg_onset_s, s.clinical_onset_s) == (100.0, 112.5)
    # 3 marks + 3 undos + 2 redos, all kept, each saved to disk atomically.
    assert store.revision == 8
    data = json.loads(path.read_text())
    assert data["revision"] == 8 and [e["op"] for e in data["edits"]][:3] == ["add_seizure", "set_seizure", "set_seizure"]
    assert all(e["author"] == "dr a" and e["source"] == "human" for e in data["edits"])
    # A mark far from the first seizure starts a second one.
    undo_stack.push(mark_command(store, EEG_ONSET, 2000.0))
    assert len(store.seizures()) == 2


def test_reload_restores_labels_and_reviews(tmp_path, undo_stack):
    from app.edit_commands import delete_seizure_command, mark_command, review_command, set_field_command

    path = tmp_path / "a.json"
    store = AnnotationStore.open(path, "ann")
    undo_stack.push(mark_command(store, EEG_ONSET, 10.0))
    sid = store.seizures()[0].id
    undo_stack.push(set_field_command(store, sid, EEG_ONSET, 11.0, verb="drag"))
    undo_stack.push(set_field_command(store, sid, "seizure_type", "fbtc"))
    undo_stack.push(review_command(store, 500.0, 530.0, 0.91, REJECTED))
    undo_stack.push(mark_command(store, EEG_ONSET, 3000.0))
    undo_stack.push(delete_seizure_command(store, store.seizures()[1].id))
    again = AnnotationStore.open(path, "someone else")
    (s,) = again.seizures()
    assert (s.id, s.eeg_onset_s, s.seizure_type, s.created_by) == (sid, 11.0, "fbtc", "ann")
    assert again.status_of(500.0, 530.0) == REJECTED
    assert again.status_of(499.0, 531.0) == REJECTED  # same event recomputed at another threshold
    assert again.status_of(900.0, 930.0) == UNREVIEWED
    assert again.revision == store.revision
    # Undo of the delete restores the label with its original author.
    undo_stack.undo()
    assert [x.created_by for x in store.seizures()] == ["ann", "ann"]


def test_confirm_creates_human_label_and_reject_removes_it(tmp_path, undo_stack):
    from app.edit_commands import review_command

    store = AnnotationStore.open(tmp_path / "a.json", "neuro")
    undo_stack.push(review_command(store, 200.0, 240.0, 0.8, CONFIRMED))
    (s,) = store.seizures()
    assert s.origin.startswith("event:") and (s.eeg_onset_s, s.end_s) == (200.0, 240.0) and s.created_by == "neuro"
    assert store.status_of(200.0, 240.0) == CONFIRMED
    undo_stack.push(review_command(store, 200.0, 240.0, 0.8, REJECTED))
    assert store.seizures() == [] and store.status_of(200.0, 240.0) == REJECTED
    undo_stack.undo()
    assert len(store.seizures()) == 1 and store.status_of(200.0, 240.0) == CONFIRMED
    undo_stack.undo()
    assert store.seizures() == [] and store.status_of(200.0, 240.0) == UNREVIEWED


def test_spin_box_edits_merge_into_one_undo_step(tmp_path, undo_stack):
    from app.edit_commands import mark_command, set_field_command

    store = AnnotationStore(None, "a")
    undo_stack.push(mark_command(store, EEG_ONSET, 10.0))
    sid = store.seizures()[0].id
    for v in (10.1, 10.2, 10.3):
        undo_stack.push(set_field_command(store, sid, EEG_ONSET, v, merge=True))
    assert undo_stack.count() == 2
    undo_stack.undo()
    assert store.seizure(sid).eeg_onset_s == 10.0


def test_concurrent_writer_is_detected_never_overwritten(tmp_path, undo_stack):
    from app.edit_commands import mark_command

    path = tmp_path / "a.json"
    a = AnnotationStore.open(path, "alice")
    b = AnnotationStore.open(path, "bob")
    undo_stack.push(mark_command(a, EEG_ONSET, 5.0))
    saved_by_a = path.read_bytes()
    messages = []
    b.save_listeners.append(lambda ok, msg: messages.append((ok, msg)))
    b.apply("add_seizure", {"id": "s9", EEG_ONSET: 50.0})
    assert path.read_bytes() == saved_by_a  # alice's file untouched
    assert b.conflict is not None and b.conflict.side_file.exists()
    assert messages and messages[-1][0] is False and "changed by someone else" in messages[-1][1]
    side = AnnotationStore.open(b.conflict.side_file, "x")
    assert [s.eeg_onset_s for s in side.seizures()] == [50.0]
    # Alice keeps saving normally.
    undo_stack.push(mark_command(a, CLINICAL_ONSET, 7.0))
    assert a.conflict is None and AnnotationStore.open(path, "x").seizures()[0].clinical_onset_s == 7.0


def test_bad_files_name_the_file(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text("{not json")
    with pytest.raises(InputFileError, match="bad.json"):
        AnnotationStore.open(p, "a")
    p.write_text(json.dumps({"format": "other"}))
    with pytest.raises(InputFileError, match="not a Semioscope annotation file"):
        AnnotationStore.open(p, "a")
    # A non-integer version or a non-object top level is a named error, not a ValueError/TypeError.
    p.write_text(json.dumps({"format": "semioscope.annotations", "version": "two", "edits": []}))
    with pytest.raises(InputFileError, match="bad.json.*malformed version 'two'"):
        AnnotationStore.open(p, "a")
    p.write_text(json.dumps([1, 2]))
    with pytest.raises(InputFileError, match="bad.json.*top level is a JSON list"):
        AnnotationStore.open(p, "a")


def test_version_1_files_read_as_human_labels_and_are_saved_as_the_current_version(tmp_path):
    from app.annotations import ANNOTATION_VERSION, HUMAN

    p = tmp_path / "old.json"
    edits = [
        {"seq": 1, "time_utc": "2025-01-01T00:00:01Z", "author": "ann", "source": "human", "op": "add_seizure",
         "data": {"id": "s1", "eeg_onset_s": 10.0, "clinical_onset_s": None, "end_s": None,
                  "seizure_type": "focal", "origin": "manual"}},
        {"seq": 2, "time_utc": "2025-01-01T00:00:02Z", "author": "ann", "source": "human", "op": "set_seizure",
         "data": {"id": "s1", "field": "end_s", "value": 50.0}},
        {"seq": 3, "time_utc": "2025-01-01T00:00:03Z", "author": "neuro", "source": "human", "op": "review_event",
         "data": {"key": "8.000-40.000", "start_s": 8.0, "end_s": 40.0, "peak_prob": 0.8, "status": "confirmed"}},
    ]
    p.write_text(json.dumps({"format": "semioscope.annotations", "version": 1, "revision": 3, "edits": edits}))
    store = AnnotationStore.open(p, "me")
    (s,) = store.seizures()
    assert (s.source(EEG_ONSET), s.source(CLINICAL_ONSET), s.source(SEIZURE_END)) == (HUMAN, None, HUMAN)
    assert store.status_of(8.0, 40.0) == CONFIRMED and store.threshold() is None
    store.apply("set_threshold", {"value": 0.4})
    data = json.loads(p.read_text())
    assert data["version"] == ANNOTATION_VERSION == 3 and data["edits"][:3] == edits
    again = AnnotationStore.open(p, "x")
    assert again.threshold() == 0.4 and again.threshold_setting().author == "me"
    assert again.seizures()[0].source(EEG_ONSET) == HUMAN


def test_the_store_refuses_edits_that_break_the_label_rules(tmp_path):
    from app.annotations import LabelRuleError

    path = tmp_path / "a.json"
    store = AnnotationStore.open(path, "a")
    store.apply("add_seizure", {"id": "s1", EEG_ONSET: 10.0, CLINICAL_ONSET: 12.0, SEIZURE_END: 40.0})
    saved = path.read_bytes()
    for op, data, why in [
        ("set_seizure", {"id": "s1", "field": SEIZURE_END, "value": 5.0}, "seizure end .* is before the EEG onset"),
        ("set_seizure", {"id": "s1", "field": EEG_ONSET, "value": 13.0}, "clinical onset .* is before the EEG onset"),
        ("add_seizure", {"id": "s2", EEG_ONSET: 20.0}, "s1 .* and seizure s2 .* overlap"),
    ]:
        with pytest.raises(LabelRuleError, match=why):
            store.apply(op, data)
    assert store.revision == 1 and path.read_bytes() == saved  # nothing recorded, nothing saved
    # Several edits as one change may pass through a broken order on the way.
    store.apply_many([("set_seizure", {"id": "s1", "field": EEG_ONSET, "value": 45.0}),
                      ("set_seizure", {"id": "s1", "field": CLINICAL_ONSET, "value": 46.0}),
                      ("set_seizure", {"id": "s1", "field": SEIZURE_END, "value": 60.0})])
    assert store.revision == 4


def test_reviews_cover_the_span_seen_latest_first_and_undo_restores_coverage(undo_stack):
    from app.annotations import PARTLY_REVIEWED
    from app.edit_commands import review_command

    store = AnnotationStore(None, "neuro")
    undo_stack.push(review_command(store, 100.0, 130.0, 0.9, CONFIRMED))
    undo_stack.push(review_command(store, 200.0, 220.0, 0.9, REJECTED))
    assert store.status_of(100.0, 130.0) == CONFIRMED
    assert store.status_of(99.0, 131.0) == CONFIRMED  # edges moved by the threshold: still the review
    assert store.status_of(90.0, 230.0) == PARTLY_REVIEWED  # merged with unreviewed and rejected stretches
    assert [(p.start_s, p.end_s, p.status) for p in store.reviewed_parts(90.0, 230.0)] == [
        (100.0, 130.0, CONFIRMED), (200.0, 220.0, REJECTED)]
    assert store.status_of(110.0, 120.0) == CONFIRMED  # split: each part lies inside the review
    undo_stack.push(review_command(store, 90.0, 230.0, 0.9, REJECTED))  # the merged event reviewed
    assert store.status_of(100.0, 130.0) == REJECTED  # the latest review lies over the earlier one
    undo_stack.push(review_command(store, 95.0, 135.0, 0.9, UNREVIEWED))  # a reset uncovers
    assert store.status_of(100.0, 130.0) == UNREVIEWED and store.status_of(90.0, 230.0) == PARTLY_REVIEWED
    undo_stack.undo()
    undo_stack.undo()
    assert store.status_of(90.0, 230.0) == PARTLY_REVIEWED and store.status_of(100.0, 130.0) == CONFIRMED
    # Undoing a first review of a span removes it; the proposal the rejection removed is back.
    assert store.edits[-1].op == "remove_review" and len(store.seizures()) == 1


def test_plans_offer_only_alternatives_that_keep_the_rules(undo_stack):
    from app.edit_plans import plan_mark, plan_set_field

    store = AnnotationStore(None, "a")
    store.apply("add_seizure", {"id": "s1", EEG_ONSET: 10.0, CLINICAL_ONSET: 12.0, SEIZURE_END: 40.0})
    store.apply("add_seizure", {"id": "s2", EEG_ONSET: 100.0, CLINICAL_ONSET: 105.0, SEIZURE_END: 130.0})
    # Dragging s2's onset into s1: refused unless merged on purpose (one undo step).
    plan = plan_set_field(store, "s2", EEG_ONSET, 30.0, verb="drag")
    assert not plan.ok and "overlap" in plan.message
    assert [c.text for c in plan.options()] == ["Merge seizure s2 into seizure s1"]
    undo_stack.push(plan.options()[0].command)
    (s,) = store.seizures()
    assert (s.id, s.eeg_onset_s, s.clinical_onset_s, s.end_s) == ("s1", 10.0, 12.0, 130.0)
    undo_stack.undo()
    assert [x.id for x in store.seizures()] == ["s1", "s2"] and store.seizure("s2").eeg_onset_s == 100.0
    # E well after s2's end (still near it): move along / clear the end, or start a new seizure.
    plan = plan_mark(store, EEG_ONSET, 150.0)
    assert [c.text for c in plan.options()] == [
        "Move the clinical onset to 00:02:30.000 too and clear the end (mark it again)",
        "Start a new seizure with its EEG onset at 00:02:30.000"]
    undo_stack.push(plan.options()[1].command)
    assert [(x.id, x.eeg_onset_s) for x in store.seizures()] == [("s1", 10.0), ("s2", 100.0), ("s3", 150.0)]

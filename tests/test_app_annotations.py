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

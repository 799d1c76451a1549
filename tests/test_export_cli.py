"""Export refuses inconsistent labels (finding 1 of issue 13) in the window and in the headless
``semioscope export`` command, reads version 1 annotation files, reports provenance, and never
writes a confirmed seizure's span as interictal windows."""
from __future__ import annotations

import csv
import json
import shutil

import pytest
from app_helpers import make_result, make_video
from PySide6.QtGui import QUndoStack

from app.annotations import CONFIRMED, AnnotationStore, annotations_path_for
from app.cli import main as cli_main
from app.edit_commands import delete_seizure_command, review_command
from app.export import LabelExportError, export_training_labels
from app.main_window import MainWindow
from inference.dataset.manifest import load_manifest
from inference.results.result_file import result_path_for


def _edit(seq, op, data):
    return {"seq": seq, "time_utc": f"2025-01-01T00:00:0{seq}.000000Z", "author": "neuro", "source": "human",
            "op": op, "data": data}


def write_v1_confirm_then_end_before_onset(video):
    """What version 1 recorded for: Y on the detection 2-8 s, then X at 1.0 s (taken silently)."""
    key = "2.000-8.000"
    edits = [_edit(1, "review_event", {"key": key, "start_s": 2.0, "end_s": 8.0, "peak_prob": 0.9,
                                       "status": "confirmed"}),
             _edit(2, "add_seizure", {"id": "s1", "eeg_onset_s": 2.0, "clinical_onset_s": 2.0, "end_s": 8.0,
                                      "seizure_type": "focal", "origin": f"event:{key}"}),
             _edit(3, "set_seizure", {"id": "s1", "field": "end_s", "value": 1.0})]
    path = annotations_path_for(video)
    path.write_text(json.dumps({"format": "semioscope.annotations", "version": 1, "revision": 3,
                                "video": {"path": video.name}, "edits": edits}))
    return path


@pytest.fixture(scope="module")
def source_video(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("exportcli"), seconds=20.0)


def copy_video(src, folder, name):
    folder.mkdir(parents=True, exist_ok=True)
    v = folder / name
    shutil.copy(src, v)
    shutil.copy(src.with_name(src.stem + ".keypoints.npz"), folder / (v.stem + ".keypoints.npz"))
    return v


def test_export_refuses_a_confirmed_seizure_that_ends_before_its_onset(qtbot, tmp_path, source_video, capsys):
    bad = copy_video(source_video, tmp_path / "a", "bad.mp4")
    make_result(bad).save(result_path_for(bad))
    legacy = write_v1_confirm_then_end_before_onset(bad)
    out = tmp_path / "out"

    # The version 1 file still opens, with its history as it was.
    store = AnnotationStore.open(legacy, "x")
    (s,) = store.seizures()
    assert (s.eeg_onset_s, s.end_s, s.source("eeg_onset_s")) == (2.0, 1.0, "human")
    assert store.status_of(2.0, 8.0) == CONFIRMED

    # In the window: the export refuses, naming the seizure and the problem; nothing is written.
    win = MainWindow(reviewer="neuro")
    qtbot.addWidget(win)
    win.show()
    assert win.open_video(bad)
    qtbot.waitUntil(lambda: win.is_open() and len(win.events) == 2, timeout=10000)
    with pytest.raises(LabelExportError) as err:
        win.export_training_labels(out)
    assert "bad.mp4" in str(err.value) and "seizure s1" in str(err.value)
    assert "the seizure end (00:00:01.000) is before the EEG onset (00:00:02.000)" in str(err.value)
    assert not out.exists()
    win.file_actions._guarded(lambda: win.export_training_labels(out))  # what File > Export does
    assert win.message_bar.isVisible() and "seizure s1" in win.message_bar.text()

    # Headless: one bad and one good recording; the good one is exported, the bad one named.
    good = copy_video(source_video, tmp_path / "b", "good.mp4")
    store = AnnotationStore.open(annotations_path_for(good), "neuro")
    stack = QUndoStack()
    stack.push(review_command(store, 11.0, 18.0, 0.9, CONFIRMED))
    capsys.readouterr()
    rc = cli_main(["export", str(bad), str(good), "--out", str(out)])
    err_text = capsys.readouterr().err
    assert rc == 1
    assert str(legacy) in err_text and "seizure s1" in err_text and "before the EEG onset" in err_text
    assert "1 of 2 video(s) not exported" in err_text
    assert [r.recording_id for r in load_manifest(out / "manifest.json")] == ["good"]
    assert {r["recording_id"] for r in csv.DictReader(open(out / "segments.csv"))} == {"good"}

    # Fixed in the window (an end after the onset is allowed: it removes the problem), the
    # export goes through and no interictal window lies on the confirmed span.
    win.annotation_panel.spin(0, "end_s").setValue(9.0)
    assert win.store.seizures()[0].end_s == 9.0
    win.export_training_labels(out)
    rows = [r for r in csv.DictReader(open(out / "segments.csv")) if r["recording_id"] == "bad"]
    assert rows and all(r["label"] == "1" for r in rows)
    assert not [r for r in rows if r["label"] == "0" and float(r["end_s"]) > 2.0 and float(r["start_s"]) < 8.0]
    (sz,) = load_manifest(out / "manifest.json").by_id("bad").seizures
    assert (sz.eeg_onset_s, sz.end_s) == (2.0, 9.0)


def test_a_confirmed_detection_without_its_seizure_is_not_exported_as_interictal(tmp_path, source_video):
    video = copy_video(source_video, tmp_path, "rec.mp4")
    store = AnnotationStore(None, "neuro")
    stack = QUndoStack()
    stack.push(review_command(store, 2.0, 8.0, 0.9, CONFIRMED))
    stack.push(delete_seizure_command(store, store.seizures()[0].id))
    with pytest.raises(LabelExportError, match="confirmed detection 00:00:02.000–00:00:08.000 has no seizure label"):
        export_training_labels(store, video, tmp_path / "out", duration_s=20.0)
    assert not (tmp_path / "out").exists()


def test_export_command_requires_human_onsets_and_reports_provenance(tmp_path, source_video, capsys):
    videos = [copy_video(source_video, tmp_path / f"r{k}", f"r{k}.mp4") for k in (1, 2)]
    for v in videos:
        store = AnnotationStore.open(annotations_path_for(v), "neuro")
        QUndoStack().push(review_command(store, 2.0, 8.0, 0.9, CONFIRMED))
    out = tmp_path / "labels"
    capsys.readouterr()
    assert cli_main(["export", *map(str, videos), "--out", str(out), "--require-human-onsets"]) == 1
    err = capsys.readouterr().err
    assert "still the detector's proposal" in err and "2 of 2 video(s) not exported" in err
    assert not (out / "manifest.json").exists()

    assert cli_main(["export", *map(str, videos), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "exported 2 of 2 recording(s)" in printed and "onsets: 0 set by a person, 4 proposed by the detector" in printed
    rows = list(csv.DictReader(open(out / "provenance.csv")))
    assert {(r["recording_id"], r["source"]) for r in rows} == {("r1", "machine"), ("r2", "machine")}
    manifest = load_manifest(out / "manifest.json")
    assert [r.seizure_type for r in manifest] == ["unknown", "unknown"]  # still a seizure each
    assert all(len(r.seizures) == 1 for r in manifest)

    # Bad input is named: a missing annotation file, a missing video.
    lone = copy_video(source_video, tmp_path / "r3", "r3.mp4")
    assert cli_main(["export", str(lone), str(tmp_path / "nope.mp4"), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{annotations_path_for(lone)}: no annotation file for r3.mp4" in err
    assert "nope.mp4: video not found" in err

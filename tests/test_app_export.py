"""Export back to training data: mark onsets in the GUI, export, and train the tiny model for one
epoch on the export with ``semioscope train --manifest``."""
from __future__ import annotations

import csv
import json

import pytest
from app_helpers import make_video
from PySide6.QtCore import Qt


def _mark(qtbot, win, frame: int, key):
    win.seek_frame(frame)
    qtbot.keyClick(win.video_view, key)


def test_export_round_trip_trains_one_epoch(qtbot, tmp_path):
    from app.cli import main as cli_main
    from app.main_window import MainWindow
    from inference.dataset.manifest import load_manifest
    from inference.detector.checkpoint import load_run

    export = tmp_path / "export"
    for k in (1, 2, 3):
        video = make_video(tmp_path / f"sub{k}", seconds=40.0, name=f"sub{k}.mp4")
        win = MainWindow(reviewer="annotator")
        qtbot.addWidget(win)
        win.show()
        qtbot.waitExposed(win)
        win.activateWindow()  # shortcuts go to the active window
        assert win.open_video(video)
        qtbot.waitUntil(lambda: win.is_open() and win.shown_frame == 0 and win.isActiveWindow(), timeout=10000)
        _mark(qtbot, win, 150, Qt.Key_E)  # 10 fps: frame 150 = 15.0 s
        _mark(qtbot, win, 160, Qt.Key_C)
        _mark(qtbot, win, 350, Qt.Key_X)
        summary = win.export_training_labels(export)
        assert summary.seizures == 1 and summary.recordings == k
        assert (summary.interictal, summary.ictal) == (3 * k, 3 * k)
        win.close()

    manifest = load_manifest(export / "manifest.json")
    assert [r.recording_id for r in manifest] == ["sub1", "sub2", "sub3"]
    sz = manifest.by_id("sub2").seizures[0]
    assert (sz.eeg_onset_s, sz.clinical_onset_s, sz.end_s) == (15.0, 16.0, 35.0)
    assert manifest.by_id("sub2").video.resolve() == (tmp_path / "sub2" / "sub2.mp4").resolve()
    rows = list(csv.DictReader(open(export / "segments.csv")))
    assert len(rows) == 18 and {r["label"] for r in rows} == {"0", "1"}
    assert [r["start_s"] for r in rows if r["recording_id"] == "sub1" and r["label"] == "1"] == ["20.000", "25.000", "30.000"]

    run = tmp_path / "run"
    rc = cli_main(["train", "--manifest", str(export / "manifest.json"), "--out", str(run), "--epochs", "1",
                   "--batch-size", "4", "--test-subjects", "1", "--val-fraction", "0.5", "--no-eval",
                   "--cache-dir", str(tmp_path / "cache"), "--device", "cpu"])
    assert rc == 0
    loaded = load_run(run, device="cpu")
    assert loaded.run_config["manifest"]["hash"] == manifest.content_hash()
    log = [json.loads(line) for line in open(run / "train_log.jsonl")]
    assert len(log) == 1


def test_export_keeps_reviewed_detections(qtbot, tmp_path):
    from PySide6.QtGui import QUndoStack

    from app.annotations import CONFIRMED, REJECTED, AnnotationStore
    from app.edit_commands import review_command
    from app.export import export_training_labels

    video = make_video(tmp_path, seconds=20.0)
    store = AnnotationStore(None, "neuro")
    stack = QUndoStack()
    stack.push(review_command(store, 2.0, 8.0, 0.9, CONFIRMED))
    stack.push(review_command(store, 11.0, 18.0, 0.7, REJECTED))
    s = export_training_labels(store, video, tmp_path / "out", duration_s=20.0, recording_id="r1", subject_id="p1")
    assert (s.confirmed, s.rejected, s.seizures) == (1, 1, 1)
    rows = list(csv.DictReader(open(s.detections_csv)))
    assert [(r["recording_id"], r["start_s"], r["status"], r["reviewer"]) for r in rows] == [
        ("r1", "2.000", "confirmed", "neuro"), ("r1", "11.000", "rejected", "neuro")]
    rec = load_manifest_one(s.manifest)
    assert rec.subject_id == "p1" and rec.seizures[0].eeg_onset_s == pytest.approx(2.0)


def load_manifest_one(path):
    from inference.dataset.manifest import load_manifest

    (rec,) = load_manifest(path).recordings
    return rec

"""Labels out to EDF+ and back (issue 16): GUI marks -> EDF+ -> mne.read_annotations -> import
gives the same onsets to the millisecond and the same texts; with and without a linked EEG."""
from __future__ import annotations

import shutil

import mne
import pytest
from app_helpers import make_video
from test_eeg_review import TRUTH, VIDEO_START, _open, _write_eeg

from app.annotations import AnnotationStore, annotations_path_for
from app.cli import main as cli_main
from app.main_window import MainWindow
from inference.dataset.manifest import Manifest, Recording, save_manifest
from inference.exchange.edf_annotations import import_annotations


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("edfx"), seconds=20.0)


def _recording(folder, source, with_eeg: bool):
    video = folder / source.name
    shutil.copy(source, video)
    eeg = None
    if with_eeg:
        eeg = folder / "rec.edf"
        _write_eeg(eeg)
    save_manifest(Manifest([Recording("rec", "s1", video, start_time=VIDEO_START, eeg=eeg, duration_s=20.0)]),
                  folder / "manifest.json")
    return video


def _mark_in_window(qtbot, win):
    win.seek(4.0)
    win.mark("eeg_onset_s")
    win.seek(6.3)
    win.mark("clinical_onset_s")
    win.seek(15.0)
    win.mark("end_s")
    sid = win.store.seizures()[0].id
    win.store.apply("set_seizure", {"id": sid, "field": "ilae_type", "value": "focal_motor_clonic"})
    win.store.apply("set_seizure", {"id": sid, "field": "awareness", "value": "impaired"})
    win.store.apply("add_sign", {"id": sid, "sign": {"id": "g1", "term": "clonic", "time_s": 7.0,
                                                      "body_part": "arm", "laterality": "left"}})
    return win.store.seizures()[0]


@pytest.mark.parametrize("with_eeg", [False, True], ids=["video-clock", "eeg-clock"])
def test_gui_labels_round_trip_through_edf_plus(qtbot, tmp_path, source, with_eeg):
    video = _recording(tmp_path, source, with_eeg)
    win = _open(qtbot, video) if with_eeg else None
    if win is None:  # no EEG: wait for the video only
        win = MainWindow(reviewer="tester")
        qtbot.addWidget(win)
        win.show()
        assert win.open_video(video)
        qtbot.waitUntil(win.is_open, timeout=10000)
    label = _mark_in_window(qtbot, win)
    out = tmp_path / "labels.edf"
    done = win.exchange.export_edf(out, annotations_only=True)
    assert done is not None and done.path == out
    ann = mne.read_annotations(out)
    texts = list(ann.description)
    assert "Sz1 EEG onset" in texts and "Sz1 Clinical onset" in texts and "Sz1 Seizure end" in texts
    assert "Sign: clonic; arm; left" in texts
    assert any(t.startswith("Seizure type: Focal clonic, impaired awareness") for t in texts)
    onset = float(ann.onset[texts.index("Sz1 EEG onset")])
    expected = TRUTH.offset_s - 0.7 + label.eeg_onset_s if with_eeg else label.eeg_onset_s  # start-times alignment
    assert onset == pytest.approx(expected, abs=1e-3)
    # Back in, into a fresh copy of the video: the same onsets to the millisecond.
    win.close_video()
    again = tmp_path / "again"
    again.mkdir()
    video2 = _recording(again, source, with_eeg)
    if with_eeg:  # the same EEG clock: link the copy to its EEG as the window would
        shutil.copy(tmp_path / (video.name + ".semioscope-eeg.json"), again / (video2.name + ".semioscope-eeg.json"))
    assert cli_main(["import-edf", str(out), "--video", str(video2), "--reviewer", "Dr Import"]) == 0
    back = AnnotationStore.open(annotations_path_for(video2), "check", autosave=False).seizures()
    assert len(back) == 1
    for field in ("eeg_onset_s", "clinical_onset_s", "end_s"):
        assert getattr(back[0], field) == pytest.approx(getattr(label, field), abs=1e-3)
    assert (back[0].ilae_type, back[0].awareness) == ("focal_motor_clonic", "impaired")
    assert [(g.term, g.body_part, g.laterality) for g in back[0].signs] == [("clonic", "arm", "left")]
    assert back[0].signs[0].time_s == pytest.approx(7.0, abs=1e-3)
    assert back[0].created_by == "Dr Import" and back[0].origin == "import:labels.edf"


def test_eeg_copy_keeps_the_signals_and_adds_the_annotations(qtbot, tmp_path, source):
    video = _recording(tmp_path, source, True)
    win = _open(qtbot, video)
    _mark_in_window(qtbot, win)
    done = win.exchange.export_edf()
    assert done.path.name == "rec.semioscope.edf"
    raw = mne.io.read_raw_edf(done.path, preload=False, verbose="error")
    assert len(raw.ch_names) == 19 and "Sz1 EEG onset" in list(raw.annotations.description)


def test_common_wording_and_config_overrides():
    items = [(10, None, "EEG onset"), (14, None, "clinical onset"), (50, None, "end"), (100, 30, "Seizure"),
             (300, None, "sz onset"), (305, None, "Sz end"), (400, None, "patient coughs"),
             (500, None, "EO"), (503, None, "CO")]
    got = import_annotations(items)
    assert [(s.eeg_onset_s, s.clinical_onset_s, s.end_s) for s in got.seizures] == [
        (10, 14, 50), (100, 100, 130), (300, 300, 305)]
    assert "patient coughs" in got.ignored and "EO" in got.ignored
    unit = import_annotations(items[-2:], {"eeg_onset": r"^EO\b", "clinical_onset": r"^CO\b"})
    assert [(s.eeg_onset_s, s.clinical_onset_s) for s in unit.seizures] == [(500, 503)]


def test_import_names_an_unreadable_file(tmp_path, source, capsys):
    video = _recording(tmp_path, source, False)
    bad = tmp_path / "bad.edf"
    bad.write_bytes(b"not an edf" * 40)
    assert cli_main(["import-edf", str(bad), "--video", str(video)]) != 0
    assert "bad.edf" in capsys.readouterr().err

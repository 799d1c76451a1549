"""BIDS export and import: two synthetic subjects with EEG, reviewed labels (ILAE type, two
signs, reviewed detections), every exported path through the bids-validator package, the round
trip back to a manifest, scans.tsv times, EEG events through the clock alignment, keypoints as
Motion-BIDS, date shifting and pseudonyms, and the error messages."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import mne
import numpy as np
import pytest
from bids_validator import BIDSValidator

from app.annotations import AnnotationStore, annotations_path_for, event_key
from app.cli import main
from app.export import reviewed_recording
from inference.dataset.manifest import Seizure, load_manifest
from inference.eeg.alignment import ClockAlignment
from inference.eeg.link import EegLink, save_link
from inference.exchange.bids_export import event_rows, events_tsv
from inference.exchange.bids_import import import_bids
from inference.exchange.bids_names import EVENT_COLUMNS, bids_datetime, read_tsv, validator_refusal
from inference.pose.joints import JOINT_NAMES
from inference.pose.keypoints import KeypointTrack
from inference.synth import SynthConfig, generate_dataset

CFG = SynthConfig(size=(160, 120), fps=10.0, recordings_per_subject=(1, 1), duration_s=(20.0, 20.0),
                  staff_probability=0.0, eeg=True)
OFFSET_S, DRIFT_PPM = 3.25, 40.0


def _review(video: Path, confirm: bool) -> None:
    store = AnnotationStore.open(annotations_path_for(video), "Dr A")
    store.apply("add_seizure", {"id": "s1", "eeg_onset_s": 7.0, "clinical_onset_s": 9.2, "end_s": 18.0,
                                "seizure_type": "focal"})
    store.apply("set_seizure", {"id": "s1", "field": "ilae_type", "value": "focal_motor_clonic"})
    store.apply("set_seizure", {"id": "s1", "field": "awareness", "value": "impaired"})
    store.apply("add_sign", {"id": "s1", "sign": {"id": "g1", "term": "clonic", "time_s": 9.5, "body_part": "arm",
                                                  "laterality": "left"}})
    store.apply("add_sign", {"id": "s1", "sign": {"id": "g2", "term": "versive", "time_s": 11.25,
                                                  "body_part": "head", "laterality": "right"}}, author="Dr B")
    store.apply("review_event", {"key": event_key(1.0, 3.5), "start_s": 1.0, "end_s": 3.5, "peak_prob": 0.7,
                                 "status": "rejected"})
    if confirm:
        store.apply("review_event", {"key": event_key(8.0, 16.0), "start_s": 8.0, "end_s": 16.0,
                                     "peak_prob": 0.93, "status": "confirmed"})


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("bids")
    manifest = generate_dataset(root / "synth", 2, seed=3, config=CFG, workers=1)
    videos = [r.video for r in manifest]
    for k, v in enumerate(videos):
        _review(v, confirm=k == 1)
    rec0 = manifest.recordings[0]  # the first video's EEG is aligned, the second's is not
    save_link(rec0.video, EegLink(rec0.eeg, ClockAlignment(OFFSET_S, DRIFT_PPM, source="sync points"),
                                  rec0.start_time.tzinfo, rec0.start_time, "manifest"))
    out = root / "bids"
    assert main(["export-bids", str(out)] + [str(v) for v in videos]) == 0
    return root, manifest, videos, out


def _files(out: Path) -> list[str]:
    return sorted("/" + p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())


def test_every_path_validates_except_the_bep047_video_files(data):
    _, _, _, out = data
    files = _files(out)
    validator = BIDSValidator()
    refused = [f for f in files if not validator.is_bids(f)]
    assert refused == [f for f in files if validator_refusal(f)]
    assert refused == sorted(["/.bidsignore"] + [f"/sub-{s}/beh/sub-{s}_task-emu_run-1_video{x}"
                                                 for s in ("sub01", "sub02") for x in (".json", ".mp4")])
    kinds = {re.sub(r"sub-sub0\d", "sub-X", f) for f in files}
    for expected in ("/sub-X/beh/sub-X_task-emu_run-1_events.tsv", "/sub-X/sub-X_scans.tsv",
                     "/sub-X/motion/sub-X_task-emu_tracksys-video_run-1_motion.tsv",
                     "/sub-X/motion/sub-X_task-emu_tracksys-video_run-1_channels.tsv",
                     "/sub-X/eeg/sub-X_task-emu_run-1_eeg.edf", "/sub-X/eeg/sub-X_task-emu_run-1_events.tsv",
                     "/dataset_description.json", "/participants.tsv", "/README"):
        assert expected in kinds, expected
    assert (out / ".bidsignore").read_text() == "*_video.*\n"


def test_round_trip_keeps_the_labels(data, tmp_path):
    _, _, videos, out = data
    assert main(["import-bids", str(out), "--out", str(tmp_path / "back.json")]) == 0
    back = load_manifest(tmp_path / "back.json")
    assert [r.recording_id for r in back] == ["sub-sub01_run-1", "sub-sub02_run-1"]
    for video, got in zip(videos, back):
        want, _ = reviewed_recording(video)
        assert got.subject_id == want.subject_id.replace("_", "") and got.seizure_type == want.seizure_type == "focal"
        assert got.start_time == want.start_time and got.start_time.utcoffset() == want.start_time.utcoffset()
        assert got.video.read_bytes() == Path(video).read_bytes() and got.duration_s == pytest.approx(20.0, abs=0.2)
        assert got.eeg is not None and got.eeg.name.endswith("_eeg.edf")
        assert len(got.seizures) == len(want.seizures) == 1
        for a, b in zip(got.seizures, want.seizures):
            for t, u in ((a.eeg_onset_s, b.eeg_onset_s), (a.clinical_onset_s, b.clinical_onset_s), (a.end_s, b.end_s)):
                assert round(t, 3) == round(u, 3)
            assert (a.ilae_type, a.awareness) == (b.ilae_type, b.awareness) == ("focal_motor_clonic", "impaired")
            assert [(g.term, round(g.time_s, 3), g.body_part, g.laterality) for g in a.signs] == \
                   [(g.term, round(g.time_s, 3), g.body_part, g.laterality) for g in b.signs]
            assert [g.term for g in a.signs] == ["clonic", "versive"]


def test_events_columns_provenance_and_hed(data):
    _, _, _, out = data
    path = out / "sub-sub02/beh/sub-sub02_task-emu_run-1_events.tsv"
    header = path.read_text().splitlines()[0].split("\t")
    assert header == list(EVENT_COLUMNS) + ["HED"] and header[:2] == ["onset", "duration"]
    rows = {r["trial_type"]: r for r in read_tsv(path)}
    assert set(rows) == {"seizure", "eeg_onset", "clinical_onset", "sign:clonic", "sign:versive",
                         "detection_rejected", "detection_confirmed"}
    assert rows["seizure"]["onset"] == "7.000" and rows["seizure"]["duration"] == "11.000"
    assert rows["seizure"]["HED"] == "sc:Impaired-awareness-focal-onset-epileptic-seizure, sc:Clonic-seizure"
    assert rows["sign:clonic"]["HED"] == "sc:Semiology-clonic, (Upper-extremity, Left)"
    assert (rows["eeg_onset"]["reviewer"], rows["eeg_onset"]["source"]) == ("Dr A", "human")
    assert rows["sign:versive"]["reviewer"] == "Dr B"
    assert (rows["detection_rejected"]["source"], rows["detection_rejected"]["value"]) == ("machine", "0.7000")
    assert rows["detection_confirmed"]["duration"] == "8.000"
    onsets = [float(r["onset"]) for r in read_tsv(path)]
    assert onsets == sorted(onsets)
    desc = json.loads((out / "dataset_description.json").read_text())
    assert desc["DatasetType"] == "raw" and desc["GeneratedBy"][0]["Name"] == "Semioscope"
    assert desc["HEDVersion"] == ["8.4.0", "sc:score_2.1.0"]
    sidecar = json.loads((out / "sub-sub02/beh/sub-sub02_task-emu_run-1_events.json").read_text())
    assert "focal_motor_clonic" in sidecar["ilae_type"]["Levels"] and sidecar["onset"]["Units"] == "s"


def test_scans_acq_time_and_eeg_events_on_the_eeg_clock(data):
    _, manifest, _, out = data
    for rec in manifest:
        scans = {r["filename"]: r for r in read_tsv(out / f"sub-{rec.subject_id}/sub-{rec.subject_id}_scans.tsv")}
        video = scans[f"beh/sub-{rec.subject_id}_task-emu_run-1_video.mp4"]
        assert video["acq_time"] == bids_datetime(rec.start_time) and video["acq_time"].endswith("Z")
        assert video["utc_offset"] == "+01:00"
        assert f"eeg/sub-{rec.subject_id}_task-emu_run-1_eeg.edf" in scans
        assert f"motion/sub-{rec.subject_id}_task-emu_tracksys-video_run-1_motion.tsv" in scans
    k = 1 + DRIFT_PPM * 1e-6
    aligned = {r["trial_type"]: r for r in read_tsv(out / "sub-sub01/eeg/sub-sub01_task-emu_run-1_events.tsv")}
    assert float(aligned["eeg_onset"]["onset"]) == pytest.approx(OFFSET_S + k * 7.0, abs=1e-3)
    assert float(aligned["seizure"]["duration"]) == pytest.approx(k * 11.0, abs=1e-3)
    plain = {r["trial_type"]: r for r in read_tsv(out / "sub-sub02/eeg/sub-sub02_task-emu_run-1_events.tsv")}
    truth = json.loads(manifest.recordings[1].video.with_name("sub02_r1.eeg.truth.json").read_text())
    assert float(plain["eeg_onset"]["onset"]) == pytest.approx(7.0 + truth["header_offset_s"], abs=1e-3)
    info = json.loads((out / "sub-sub01/eeg/sub-sub01_task-emu_run-1_eeg.json").read_text())
    assert info["SamplingFrequency"] == 256.0 and info["SemioscopeVideoAlignment"]["offset_s"] == OFFSET_S
    raw = mne.io.read_raw_edf(out / "sub-sub01/eeg/sub-sub01_task-emu_run-1_eeg.edf", preload=True, verbose="error")
    src = mne.io.read_raw_edf(manifest.recordings[0].eeg, preload=True, verbose="error")
    assert raw.ch_names == src.ch_names and raw.info["meas_date"] == src.info["meas_date"]
    n = min(raw.n_times, src.n_times)
    assert np.abs(raw.get_data()[:, :n] - src.get_data()[:, :n]).max() < 2e-6  # volts: requantised, < 2 uV


def test_keypoints_as_motion_bids(data):
    _, manifest, _, out = data
    track = KeypointTrack.load(manifest.recordings[0].video.with_name("sub01_r1.keypoints.npz"))
    stem = out / "sub-sub01/motion/sub-sub01_task-emu_tracksys-video_run-1"
    lines = Path(f"{stem}_motion.tsv").read_text().splitlines()
    channels = read_tsv(Path(f"{stem}_channels.tsv"))
    assert len(lines) == len(track) and all(len(ln.split("\t")) == len(channels) == 1 + 3 * len(JOINT_NAMES)
                                            for ln in lines)
    assert [c["name"] for c in channels[:3]] == ["latency", "head_x", "head_y"]
    assert {c["type"] for c in channels} == {"LATENCY", "POS", "MISC"}
    first = [float(v) for v in lines[1].split("\t")[:3]]
    assert first == pytest.approx([track.times[1], track.xy[1, 0, 0], track.xy[1, 0, 1]], abs=1e-3)
    meta = json.loads(Path(f"{stem}_motion.json").read_text())
    assert meta["SamplingFrequency"] == pytest.approx(10.0) and meta["TrackedPointsCount"] == 14


def test_shifted_dates_and_pseudonyms(data, tmp_path):
    root, manifest, videos, _ = data
    out = tmp_path / "deid"
    assert main(["export-bids", str(out), "--manifest", str(root / "synth/manifest.csv"), "--subject-map", "auto",
                 "--shift-dates", "40000", "--copy"]) == 0
    assert json.loads((tmp_path / "deid.subject-map.json").read_text()) == {"sub01": "01", "sub02": "02"}
    assert not any("sub01" in f for f in _files(out))
    assert read_tsv(out / "participants.tsv") == [{"participant_id": "sub-01"}, {"participant_id": "sub-02"}]
    back = import_bids(out)
    for rec, got in zip(manifest, back):
        assert got.start_time == rec.start_time - timedelta(days=40000) and got.start_time.year <= 1925
        assert got.seizures[0].ilae_type == "focal_motor_clonic"  # the annotation files win over the manifest
    raw = mne.io.read_raw_edf(out / "sub-01/eeg/sub-01_task-emu_run-1_eeg.edf", preload=False, verbose="error")
    shifted = manifest.recordings[0].start_time - timedelta(days=40000)
    assert raw.info["meas_date"].date().isoformat() == "1985-01-01"
    readme = (out / "README").read_text()
    assert "1985-01-01" in readme and "40000 days back" in readme
    scans = read_tsv(out / "sub-01/sub-01_scans.tsv")
    eeg_row = next(r for r in scans if r["filename"].endswith("_eeg.edf"))
    assert eeg_row["acq_time"].startswith(str(shifted.year))
    assert not (out / "sub-01/beh/sub-01_task-emu_run-1_video.mp4").samefile(videos[0])  # --copy


def test_seizure_without_end_and_without_semiology(data, tmp_path):
    _, manifest, _, _ = data
    rec = manifest.recordings[0]
    rows = event_rows(rec.with_seizures([Seizure(5.0, 5.5, None)]), {}, [])
    seizure = next(r for r in rows if r["trial_type"] == "seizure")
    assert seizure["duration"] is None and seizure["HED"] == ""
    tsv = tmp_path / "sub-01/beh/sub-01_task-emu_run-1_events.tsv"
    tsv.parent.mkdir(parents=True)
    (tmp_path / "dataset_description.json").write_text("{}")
    (tsv.parent / "sub-01_task-emu_run-1_video.mp4").write_bytes(b"")
    tsv.write_text(events_tsv(rows, with_hed=False))
    (got,) = import_bids(tmp_path).recordings[0].seizures
    assert (got.eeg_onset_s, got.clinical_onset_s, got.end_s, got.ilae_type, got.signs) == (5.0, 5.5, None, "", ())


def test_errors_name_the_file(data, tmp_path, capsys):
    _, _, videos, out = data
    assert main(["export-bids", str(tmp_path / "x"), str(tmp_path / "missing.mp4")]) == 2
    assert "missing.mp4: video not found" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("recording_id,subject_id,video,seizure_type\nr1,p1,nowhere.mp4,none\n")
    assert main(["export-bids", str(tmp_path / "y"), "--manifest", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and "recording 'r1'" in err and "nowhere.mp4 not found" in err
    assert main(["export-bids", str(out), str(videos[0])]) == 2
    assert "must be new or empty" in capsys.readouterr().err
    assert main(["import-bids", str(tmp_path), "--out", str(tmp_path / "m.json")]) == 2
    assert "not a BIDS dataset" in capsys.readouterr().err
    broken = tmp_path / "broken"
    (broken / "sub-01/beh").mkdir(parents=True)
    (broken / "dataset_description.json").write_text("{}")
    (broken / "sub-01/beh/sub-01_task-emu_run-1_video.mp4").write_bytes(b"")
    (broken / "sub-01/beh/sub-01_task-emu_run-1_events.tsv").write_text(
        "onset\tduration\ttrial_type\n7.0\t0\teeg_onset\nsoon\t0\tseizure\n")
    assert main(["import-bids", str(broken), "--out", str(tmp_path / "m.json")]) == 2
    err = capsys.readouterr().err
    assert "sub-01_task-emu_run-1_events.tsv: line 3: onset = 'soon' is not a number" in err
    (broken / "sub-01/beh/sub-01_task-emu_run-1_events.tsv").write_text(
        "onset\tduration\ttrial_type\tseizure_id\n7.0\t0\tsign:dancing\tsz1\n")
    assert main(["import-bids", str(broken), "--out", str(tmp_path / "m.json")]) == 2
    assert "line 2: unknown semiology sign 'dancing'" in capsys.readouterr().err

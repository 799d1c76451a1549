"""Manifest reading/writing and validation messages (each names the file)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from inference.core.errors import ManifestError
from inference.dataset.manifest import (
    FOCAL,
    NO_SEIZURE,
    Manifest,
    Recording,
    Seizure,
    load_manifest,
    save_manifest,
)
from inference.dataset.manifest_checks import ManifestIssue, check_manifest, require_valid

HEADER = "recording_id,subject_id,video,seizure_type,eeg_onset_s,clinical_onset_s,end_s,duration_s\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def messages(issues, level=None):
    return [f"{i.recording_id}: {i.message}" for i in issues if level is None or i.level == level]


# -- reading and writing ------------------------------------------------------------------------

def test_csv_json_round_trip(tmp_path):
    (tmp_path / "pat01").mkdir()
    m = Manifest([
        Recording("pat01_Sz1", "pat01", tmp_path / "pat01" / "Sz1P.mp4", FOCAL,
                  (Seizure(10.0, 12.5, 60.0), Seizure(100.0, 101.0, None)), 200.0),
        Recording("pat02_bg", "pat02", tmp_path / "bg.mp4", NO_SEIZURE, (), None),
    ])
    for name in ("m.csv", "m.json"):
        path = save_manifest(m, tmp_path / name)
        back = load_manifest(path)
        assert back.path == path
        assert back.recordings == m.recordings
        assert back.content_hash() == m.content_hash()
    csv_text = (tmp_path / "m.csv").read_text()
    assert "pat01_Sz1,pat01,pat01/Sz1P.mp4,focal,10.000,12.500,60.000,200.000" in csv_text
    assert json.loads((tmp_path / "m.json").read_text())["recordings"][0]["video"] == "pat01/Sz1P.mp4"


def test_csv_bad_number_names_file_and_line(tmp_path):
    p = write(tmp_path, "bad.csv", HEADER + "r1,s1,v.mp4,focal,ten,12,,\n")
    with pytest.raises(ManifestError) as err:
        load_manifest(p)
    assert str(err.value).startswith(str(p))
    assert "line 2" in str(err.value) and "'ten' is not a number" in str(err.value)


def test_csv_missing_columns_lists_found_columns(tmp_path):
    p = write(tmp_path, "cols.csv", "recording_id,video,eeg\nr1,v.mp4,3\n")
    with pytest.raises(ManifestError) as err:
        load_manifest(p)
    msg = str(err.value)
    assert msg.startswith(str(p)) and "missing column(s) subject_id" in msg
    assert "found columns: recording_id, video, eeg" in msg


def test_csv_conflicting_duplicate_id(tmp_path):
    p = write(tmp_path, "dup.csv", HEADER + "r1,s1,a.mp4,focal,1,2,,\nr1,s1,b.mp4,focal,5,6,,\n")
    with pytest.raises(ManifestError, match=r"dup\.csv: line 3: duplicate recording_id 'r1'"):
        load_manifest(p)


def test_malformed_json(tmp_path):
    p = write(tmp_path, "bad.json", '{"recordings": [ {"recording_id": "r1",, } ]}')
    with pytest.raises(ManifestError) as err:
        load_manifest(p)
    assert str(err.value).startswith(str(p)) and "invalid JSON at line 1" in str(err.value)
    p2 = write(tmp_path, "dup.json", json.dumps({"recordings": [
        {"recording_id": "r1", "subject_id": "s", "video": "a.mp4"},
        {"recording_id": "r1", "subject_id": "s", "video": "b.mp4"}]}))
    with pytest.raises(ManifestError, match=r"dup\.json: recording #2: duplicate recording_id 'r1'"):
        load_manifest(p2)


def test_unknown_extension_and_missing_file(tmp_path):
    with pytest.raises(ManifestError, match=r"nope\.csv: manifest file not found"):
        load_manifest(tmp_path / "nope.csv")
    p = write(tmp_path, "m.txt", "x")
    with pytest.raises(ManifestError, match=r"m\.txt: unknown manifest extension"):
        load_manifest(p)


# -- semantic checks -----------------------------------------------------------------------------

def test_missing_video(tmp_path):
    p = write(tmp_path, "m.csv", HEADER + "r1,s1,gone.mp4,focal,1,2,,\n")
    m = load_manifest(p)
    issues = check_manifest(m)
    assert issues == [ManifestIssue("error", "r1", f"video not found: {tmp_path / 'gone.mp4'}")]
    assert check_manifest(m, check_videos=False) == []
    with pytest.raises(ManifestError) as err:
        require_valid(m)
    msg = str(err.value)
    assert msg.startswith(f"{p}: 1 error(s):") and "r1: video not found" in msg and "gone.mp4" in msg


def test_negative_time_and_end_before_clinical_onset(tmp_path):
    p = write(tmp_path, "m.json", json.dumps({"recordings": [
        {"recording_id": "r1", "subject_id": "s1", "video": "v.mp4", "seizure_type": "P", "duration_s": 100,
         "seizures": [{"eeg_onset_s": -2, "clinical_onset_s": 5, "end_s": 3}]}]}))
    m = load_manifest(p)
    issues = check_manifest(m, check_videos=False)
    assert messages(issues) == [
        "r1: seizure 1: negative time eeg_onset_s = -2 s",
        "r1: seizure 1: end_s (3 s) is before the clinical onset (5 s)",
    ]
    with pytest.raises(ManifestError) as err:
        require_valid(m, check_videos=False)
    assert str(err.value).startswith(f"{p}: 2 error(s):")


def test_time_past_end_of_probed_video(tmp_path, numbered_video):
    numbered_video("v.mp4", n=40, fps=10.0)  # 4.0 s
    p = write(tmp_path, "m.csv", HEADER + "r1,s1,v.mp4,fbtc,1.5,3.9,4.5,\n")
    durations: dict[str, float] = {}
    issues = check_manifest(load_manifest(p), durations=durations)
    assert messages(issues) == ["r1: seizure 1: end_s = 4.5 s is past the end of the video (4.00 s)"]
    assert durations == {"r1": pytest.approx(4.0)}  # probed once, reusable by the caller


def test_time_past_stated_duration_without_video(tmp_path):
    p = write(tmp_path, "m.csv", HEADER + "r1,s1,v.mp4,focal,130,140,,120\n")
    assert messages(check_manifest(load_manifest(p), check_videos=False)) == [
        "r1: seizure 1: eeg_onset_s = 130 s is past the end of the video (120.00 s)",
        "r1: seizure 1: clinical_onset_s = 140 s is past the end of the video (120.00 s)",
    ]


def test_clinical_before_eeg_is_a_warning(tmp_path, numbered_video):
    numbered_video("v.mp4", n=50, fps=10.0)
    p = write(tmp_path, "m.csv", HEADER + "r1,s1,v.mp4,focal,3,2,4.5,\n")
    m = load_manifest(p)
    warnings = require_valid(m)  # no error: does not raise
    assert messages(warnings) == ["r1: seizure 1: clinical onset (2 s) is before EEG onset (3 s)"]
    assert all(w.level == "warning" for w in warnings)


def test_duplicate_ids_and_videos(tmp_path):
    v = tmp_path / "v.mp4"
    m = Manifest([Recording("r1", "s1", v, FOCAL, (), 10.0), Recording("r1", "s2", tmp_path / "w.mp4", FOCAL, (), 10.0),
                  Recording("r3", "s3", v, FOCAL, (), 10.0)], path=tmp_path / "m.json")
    issues = check_manifest(m, check_videos=False)
    assert messages(issues) == ["r1: duplicate recording_id (listed 2 times)",
                                "r3: duplicate video v.mp4: also used by 'r1'"]
    with pytest.raises(ManifestError, match=r"m\.json: 2 error\(s\)"):
        require_valid(m, check_videos=False)


def test_unreadable_video_and_other_warnings(tmp_path):
    (tmp_path / "junk.mp4").write_bytes(b"not a video at all" * 10)
    m = Manifest([Recording("r1", "s1", tmp_path / "junk.mp4", NO_SEIZURE,
                            (Seizure(1.0, 2.0, 50.0), Seizure(30.0, 31.0, 40.0)), None)], path=tmp_path / "m.csv")
    issues = check_manifest(m)
    errors, warnings = messages(issues, "error"), messages(issues, "warning")
    assert len(errors) == 1 and errors[0].startswith("r1: cannot read video:") and "junk.mp4" in errors[0]
    assert warnings == ["r1: seizures overlap: one starting at 30 s begins before the previous one ends (50 s)",
                        "r1: seizure_type is 'none' but 2 seizure(s) are listed"]
    assert check_manifest(Manifest([])) == [ManifestIssue("error", "", "the manifest lists no recordings")]

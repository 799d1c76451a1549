"""WU-SAHZU importer on a workbook and small videos the tests write."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from app.cli import main
from inference.core.errors import ManifestError
from inference.dataset.emu_import import import_emu, parse_label_time
from inference.dataset.manifest import FBTC, FOCAL, Seizure, load_manifest
from inference.video.writer import write_video


def make_videos(root: Path, names: list[str], n_frames: int = 20) -> None:
    """Tiny real videos at 10 fps (the importer does not decode them; segments probes them)."""
    frames = [np.full((24, 32, 3), 8 * (k % 32), dtype=np.uint8) for k in range(n_frames)]
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        write_video(root / name, frames, fps=10.0)


def make_workbook(path: Path, header: list, rows: list[list], title_rows: int = 0) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for _ in range(title_rows):
        ws.append(["WU-SAHZU EMU seizure labels"])
    ws.append(header)
    for r in rows:
        ws.append(r)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def vsvig_dataset(root: Path) -> Path:
    make_videos(root, ["pat01/Sz1P.mp4", "pat01/Sz2PG.mp4", "pat02/Sz1PG.mp4", "pat03/Sz1P.mp4"])
    (root / "pat01" / "notes.txt").write_text("not a video")
    make_workbook(root / "Label.xlsx", ["PatID", "#Seizure", "EEG onset", "Clinical Onset"], [
        ["pat01", "Sz1", "01:05", dt.time(0, 1, 10)],
        [None, "Sz2", 30, 42.5],  # merged patient cell: same patient as above
        ["Pat02", 1, "0:00:12", "00:00:20"],
        ["pat02", 2, "00:50", "00:55"],  # no video for this one
    ])  # pat03 Sz1 has no label row
    return root


def test_import_reads_layout_and_labels(tmp_path):
    root = vsvig_dataset(tmp_path / "ds")
    warnings: list[str] = []
    m = import_emu(root, out_path=tmp_path / "out" / "manifest.csv", on_warning=warnings.append)
    assert [r.recording_id for r in m] == ["pat01_Sz1", "pat01_Sz2", "pat02_Sz1"]
    assert [r.subject_id for r in m] == ["pat01", "pat01", "pat02"]
    assert [r.seizure_type for r in m] == [FOCAL, FBTC, FBTC]
    assert [r.seizures for r in m] == [(Seizure(65.0, 70.0),), (Seizure(30.0, 42.5),), (Seizure(12.0, 20.0),)]
    assert m.recordings[0].video == root / "pat01" / "Sz1P.mp4"
    assert len(warnings) == 2
    assert "pat03" in warnings[0] and "Sz1P.mp4" in warnings[0] and "left out" in warnings[0]
    assert "Label.xlsx: row 5 labels pat02 seizure 2, which has no video" in warnings[1]
    back = load_manifest(tmp_path / "out" / "manifest.csv")
    assert [r.video.resolve() for r in back] == [r.video.resolve() for r in m]
    assert [(r.recording_id, r.subject_id, r.seizure_type, r.seizures) for r in back] == [
        (r.recording_id, r.subject_id, r.seizure_type, r.seizures) for r in m]
    assert "../ds/pat01/Sz2PG.mp4" in (tmp_path / "out" / "manifest.csv").read_text()


def test_dataset_subfolder_and_other_headers(tmp_path):
    root = tmp_path / "WU-SAHZU-EMU-Video"
    make_videos(root / "dataset", ["Pat7/sz3pg.mp4"])
    make_workbook(root / "dataset" / "Label.xlsx",
                  ["Subject", "Seizure No.", "Seizure type", "EEG onset (s)", "Clinical onset (s)", "Seizure end (s)"],
                  [[7, 3, "PG", 100, 104.5, 180]], title_rows=2)
    m = import_emu(root, out_path=tmp_path / "m.json")
    assert [(r.recording_id, r.subject_id, r.seizure_type, r.seizures) for r in m] == [
        ("pat07_Sz3", "pat07", FBTC, (Seizure(100.0, 104.5, 180.0),))]
    assert load_manifest(tmp_path / "m.json").recordings == m.recordings


def test_unmatched_headers_list_what_was_found(tmp_path):
    make_videos(tmp_path, ["pat01/Sz1P.mp4"])
    label = make_workbook(tmp_path / "Label.xlsx", ["Patient", "Seizure", "Start", "Stop"], [["pat01", 1, 3, 4]])
    with pytest.raises(ManifestError) as err:
        import_emu(tmp_path)
    msg = str(err.value)
    assert msg.startswith(str(label)) and "cannot match the label columns" in msg
    assert "headers found: 'Patient', 'Seizure', 'Start', 'Stop'" in msg


def test_bad_time_names_the_row(tmp_path):
    make_videos(tmp_path, ["pat01/Sz1P.mp4"])
    make_workbook(tmp_path / "Label.xlsx", ["Pat", "Sz", "EEG", "Clinical"], [["pat01", 1, "soon", "1:00"]])
    with pytest.raises(ManifestError, match=r"Label\.xlsx: row 2: eeg column: 'soon' is not a time"):
        import_emu(tmp_path)


def test_missing_pieces(tmp_path):
    with pytest.raises(ManifestError, match="dataset folder not found"):
        import_emu(tmp_path / "nope")
    with pytest.raises(ManifestError, match=r"no patient folders \(patNN/\) found"):
        import_emu(tmp_path)
    make_videos(tmp_path, ["pat01/Sz1P.mp4"])
    with pytest.raises(ManifestError, match=r"Label\.xlsx: label workbook not found"):
        import_emu(tmp_path)
    (tmp_path / "Label.xlsx").write_bytes(b"garbage")
    with pytest.raises(ManifestError, match=r"Label\.xlsx: cannot read the workbook"):
        import_emu(tmp_path)


def test_conflicting_label_rows(tmp_path):
    make_videos(tmp_path, ["pat01/Sz1P.mp4"])
    make_workbook(tmp_path / "Label.xlsx", ["PatID", "#Seizure", "EEG onset", "Clinical Onset"],
                  [["pat01", 1, 10, 12], ["pat01", 1, 11, 12]])
    with pytest.raises(ManifestError, match="rows 2 and 3: two different labels for pat01 seizure 1"):
        import_emu(tmp_path)


def test_parse_label_time():
    assert parse_label_time(75) == 75.0
    assert parse_label_time("75") == 75.0 and parse_label_time("75.5 s") == 75.5
    assert parse_label_time("01:15") == 75.0 and parse_label_time("1:01:15") == 3675.0
    assert parse_label_time(dt.time(0, 2, 3, 500000)) == 123.5
    assert parse_label_time(dt.timedelta(minutes=1, seconds=2)) == 62.0
    assert parse_label_time(dt.datetime(1899, 12, 31, 1, 0, 0)) == 90000.0  # Excel duration over a day
    assert parse_label_time(None) is None and parse_label_time(" ") is None
    with pytest.raises(ValueError):
        parse_label_time("1:xx")


def test_cli_import_then_segments(tmp_path, capsys):
    root = tmp_path / "ds"
    make_videos(root, ["pat01/Sz1P.mp4", "pat02/Sz1PG.mp4"], n_frames=200)  # 20 s each
    make_workbook(root / "Label.xlsx", ["PatID", "#Seizure", "EEG onset", "Clinical Onset"],
                  [["pat01", "Sz1", 10, 12], ["pat02", "Sz1", "00:05", "00:05"]])
    assert main(["import-emu", str(root)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {root / 'manifest.csv'}: 2 recording(s) of 2 subject(s); 1 focal, 1 focal to bilateral" in out
    assert "pat01: Sz1P" in out and "pat02: Sz1PG" in out
    assert [r.duration_s for r in load_manifest(root / "manifest.csv")] == [20.0, 20.0]  # probed and stored
    assert main(["segments", str(root / "manifest.csv"), "--test-subjects", "1"]) == 0
    out = capsys.readouterr().out
    # pat01: interictal 0, 5 (end <= 10); ictal starts 15 (in [12, 52)), fits in 20 s.
    # pat02: interictal 0 (end <= 5); ictal 5, 10, 15.
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith(("pat", "total"))}
    assert rows["pat01"][3:] == ["2", "1", "3"] and rows["pat02"][3:] == ["1", "3", "4"]
    assert rows["total"][1:] == ["2", "3", "4", "7"]


def test_cli_import_reports_onset_past_video_end(tmp_path, capsys):
    root = tmp_path / "ds"
    make_videos(root, ["pat01/Sz1P.mp4"], n_frames=20)  # 2 s
    make_workbook(root / "Label.xlsx", ["PatID", "#Seizure", "EEG onset", "Clinical Onset"],
                  [["pat01", 1, dt.time(1, 5), dt.time(1, 6)]])  # "1:05" typed into Excel: 1 h 5 min
    assert main(["import-emu", str(root), "--out", str(tmp_path / "m.json")]) == 1
    err = capsys.readouterr().err
    assert "pat01_Sz1: seizure 1: eeg_onset_s = 3900 s is past the end of the video (2.00 s)" in err
    assert (tmp_path / "m.json").exists()  # written anyway, so it can be fixed by hand
    assert main(["import-emu", str(root), "--out", str(tmp_path / "m2.json"), "--no-probe"]) == 0

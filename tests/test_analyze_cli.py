"""``semioscope analyze``: a folder and a manifest in, result files plus events.csv out; a bad file
is reported, the batch goes on and the exit status says so."""
from __future__ import annotations

import csv
import shutil

import numpy as np
import pytest
from test_engine import make_video, tiny_run  # noqa: F401  (fixture)

from app.cli import main
from inference.results.result_file import AnalysisResult


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    d = tmp_path_factory.mktemp("vids")
    make_video(d / "alpha.mp4", duration_s=12.0, shake=(3.0, 8.0))
    make_video(d / "beta.mp4", duration_s=8.0, shake=(0.0, 0.0))
    return d


def read_csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_folder_batch_with_a_broken_file(videos, tiny_run, tmp_path, capsys):
    d = tmp_path / "in"
    shutil.copytree(videos, d)
    (d / "broken.mp4").write_bytes(b"\x00not a video" * 100)
    out = tmp_path / "out"
    rc = main(["analyze", str(d), "--model", str(tiny_run), "--out", str(out), "--keypoints", "gt",
               "--device", "cpu", "--threshold", "0"])
    err = capsys.readouterr().err
    assert rc == 1
    assert "1 failed" in err and "broken.mp4" in err and "cannot open as video" in err
    a = AnalysisResult.load(out / "alpha.result.npz")
    b = AnalysisResult.load(out / "beta.result.npz")
    assert len(a) == 8 and len(b) == 4 and a.complete and np.isfinite(a.prob).all()
    assert not (out / "broken.result.npz").exists()
    rows = read_csv(out / "events.csv")
    # Threshold 0: every video is one event from its first window start to its last window end.
    assert [(r["video"].split("/")[-1], r["start_s"], r["end_s"]) for r in rows] == \
        [("alpha.mp4", "0.000", "12.000"), ("beta.mp4", "0.000", "8.000")]
    assert float(rows[0]["peak_prob"]) == pytest.approx(float(np.nanmax(a.prob)), abs=1e-4)
    assert len(rows[0]["top_joints"].split()) == 3

    # A rerun reuses the finished results; a new threshold only recomputes the events.
    mtime = (out / "alpha.result.npz").stat().st_mtime_ns
    rc = main(["analyze", str(d / "alpha.mp4"), str(d / "beta.mp4"), "--model", str(tiny_run), "--out", str(out),
               "--keypoints", "gt", "--device", "cpu", "--threshold", "0"])
    captured = capsys.readouterr()
    assert rc == 0 and "2 already up to date" in captured.out
    assert (out / "alpha.result.npz").stat().st_mtime_ns == mtime
    rc = main(["analyze", str(d / "alpha.mp4"), "--model", str(tiny_run), "--out", str(out),
               "--keypoints", "gt", "--device", "cpu", "--threshold", "2"])
    assert rc == 0 and read_csv(out / "events.csv") == []
    assert AnalysisResult.load(out / "alpha.result.npz").events == []


def test_manifest_input_and_missing_keypoints(videos, tiny_run, tmp_path, capsys):
    manifest = tmp_path / "m.csv"
    manifest.write_text("recording_id,subject_id,video,seizure_type\n"
                        f"a,s1,{videos / 'alpha.mp4'},focal\n"
                        f"b,s2,{videos / 'beta.mp4'},none\n")
    kp_dir = tmp_path / "kp"
    kp_dir.mkdir()
    shutil.copy(videos / "alpha.keypoints.npz", kp_dir)
    out = tmp_path / "out"
    rc = main(["analyze", str(manifest), "--model", str(tiny_run), "--out", str(out),
               "--keypoints", str(kp_dir), "--device", "cpu", "--stride", "2"])
    err = capsys.readouterr().err
    assert rc == 1 and "beta" in err and "no keypoints for beta.mp4" in err
    assert len(AnalysisResult.load(out / "alpha.result.npz")) == 4  # stride 2 s over 12 s
    assert (out / "events.csv").exists()


def test_bad_model_folder_is_a_clear_error(videos, tmp_path, capsys):
    rc = main(["analyze", str(videos), "--model", str(tmp_path / "nope"), "--out", str(tmp_path / "o"),
               "--keypoints", "gt"])
    assert rc == 2 and "run folder not found" in capsys.readouterr().err

"""``analyze --ray`` on a local Ray instance gives the same result files and events.csv as a local run."""
from __future__ import annotations

import numpy as np
import pytest
from test_engine import make_video, tiny_run  # noqa: F401  (fixture)

from app.cli import main
from inference.results.result_file import AnalysisResult

ray = pytest.importorskip("ray", reason='Ray is an optional extra (pip install -e ".[ray]")')


def test_ray_matches_local_run(tiny_run, tmp_path, capsys):
    d = tmp_path / "in"
    d.mkdir()
    make_video(d / "one.mp4", duration_s=10.0, shake=(2.0, 6.0))
    make_video(d / "two.mp4", duration_s=8.0, shake=(0.0, 0.0))
    (d / "bad.mp4").write_bytes(b"garbage" * 50)
    common = ["--model", str(tiny_run), "--keypoints", "gt", "--device", "cpu", "--threshold", "0.3",
              "--batch-size", "4"]
    rc_local = main(["analyze", str(d), "--out", str(tmp_path / "local")] + common)
    rc_ray = main(["analyze", str(d), "--out", str(tmp_path / "ray"), "--ray"] + common)
    err = capsys.readouterr().err
    assert rc_local == rc_ray == 1 and err.count("bad.mp4") >= 2
    assert (tmp_path / "local" / "events.csv").read_text() == (tmp_path / "ray" / "events.csv").read_text()
    for name in ("one", "two"):
        a = AnalysisResult.load(tmp_path / "local" / f"{name}.result.npz")
        b = AnalysisResult.load(tmp_path / "ray" / f"{name}.result.npz")
        np.testing.assert_allclose(a.prob, b.prob, atol=1e-6)
        np.testing.assert_allclose(a.attention, b.attention, atol=1e-6)
        assert a.events == b.events and a.model == b.model and a.config == b.config
        assert a.gaps == b.gaps and a.video["fingerprint"] == b.video["fingerprint"]
    assert not ray.is_initialized()  # the local instance is stopped again

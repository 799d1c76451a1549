"""Several cameras, one trace: the maximum per window, on the first camera's clock."""
from __future__ import annotations

import numpy as np
import pytest
from app_helpers import make_video

from app.cli import main as cli_main
from inference.results.fusion import fuse_results
from inference.results.result_file import AnalysisResult, result_path_for


def _result(starts, prob, events_cfg=None):
    starts = np.asarray(starts, dtype=np.float64)
    att = np.tile(np.linspace(0, 1, 14, dtype=np.float32), (len(starts), 1))
    config = {"events": {"threshold": 0.5, "hysteresis": 0.1, "min_duration_s": 3.0, "merge_gap_s": 10.0}}
    return AnalysisResult(starts, starts + 5.0, np.asarray(prob, np.float32), att, config=events_cfg or config)


def test_the_camera_that_sees_the_seizure_wins_on_the_first_cameras_clock():
    starts = np.arange(0, 100, 1.0)
    first = _result(starts, np.where((starts >= 40) & (starts < 50), 0.45, 0.1))  # blanket: it barely sees it
    # The corner camera runs 2.0 s ahead of the first (t_cam = 2 + t) and sees it clearly.
    corner = _result(starts + 2.0, np.where((starts >= 40) & (starts < 60), 0.95, 0.05))
    fused = fuse_results(first, [("corner", corner, 2.0, 0.0)], "ceiling")
    assert fused.prob[45] == pytest.approx(0.95) and fused.prob[10] == pytest.approx(0.1)
    assert [round(e.start_s) for e in fused.events] == [40] and fused.notes["event_cameras"] == ["corner"]
    cam = fused.traces["camera"].value
    assert cam[45] == 1 and cam[10] == 0
    assert first.prob.max() < 0.5 and not fuse_results(first, [], "ceiling").events  # alone it misses it


def test_fuse_cameras_command(tmp_path):
    a = make_video(tmp_path, seconds=20.0, name="a.mp4")
    b = make_video(tmp_path, seconds=20.0, name="b.mp4")
    starts = np.arange(0, 15, 1.0)
    _result(starts, np.full(len(starts), 0.1)).save(result_path_for(a))
    _result(starts, np.where(starts > 5, 0.9, 0.1)).save(result_path_for(b))
    out = tmp_path / "fused.result.npz"
    assert cli_main(["fuse-cameras", str(a), str(b), "--offset", "b=0", "--out", str(out)]) == 0
    fused = AnalysisResult.load(out)
    assert len(fused.events) == 1 and fused.notes["event_cameras"] == ["b"]
    assert cli_main(["fuse-cameras", str(a), str(tmp_path / "missing.mp4")]) != 0

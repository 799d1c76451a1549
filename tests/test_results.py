"""Result file: round trip, partial flag, extra traces, staleness, corrupt/newer files, no torch."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from inference.core.errors import InputFileError
from inference.pose.keypoints import KeypointTrack
from inference.results.events import Event
from inference.results.result_file import (
    GAP_DECODE,
    AnalysisResult,
    Gap,
    Trace,
    canonical_hash,
    events_csv_text,
    merge_gaps,
    model_identity,
)

RUN_CONFIG = {"preset": "tiny", "threshold": 0.6, "encoder": {"hidden": 32}}


def make_result(video: Path, n=20) -> AnalysisResult:
    from inference.core.fingerprint import file_fingerprint

    rng = np.random.default_rng(0)
    start = np.arange(n, dtype=np.float64)
    prob = rng.random(n).astype(np.float32)
    prob[5:7] = np.nan
    att = rng.random((n, 14)).astype(np.float32)
    att[5:7] = np.nan
    times = np.arange(6 * (n + 4)) / 6.0
    kp = KeypointTrack(times, rng.random((len(times), 14, 2)) * 100, rng.random((len(times), 14)),
                       (64, 48), "synthetic-gt", {"cleaned": True})
    return AnalysisResult(
        window_start_s=start, window_end_s=start + 5.0, prob=prob, attention=att,
        model=model_identity(RUN_CONFIG, "/runs/tiny-1", threshold=0.6),
        config={"stride_s": 1.0, "segments": {"fps": 6.0}},
        video={"path": str(video), "fingerprint": file_fingerprint(video), "meta": {"duration_s": n + 4.0}},
        gaps=[Gap(5.0, 6.5, GAP_DECODE)],
        events=[Event(10.0, 17.0, 0.93, 12.0, tuple(float(x) for x in np.linspace(0, 1, 14)))],
        keypoints=kp,
    )


@pytest.fixture
def video(tmp_path):
    p = tmp_path / "rec.mp4"
    p.write_bytes(b"pretend video bytes " * 100)
    return p


def test_round_trip_keeps_every_field(tmp_path, video):
    res = make_result(video)
    res.add_trace("forecast", Trace(np.arange(3.0), np.arange(3.0) + 10, [0.1, 0.2, 0.3], {"horizon_s": 5}))
    out = res.save(tmp_path / "r.result.npz")
    back = AnalysisResult.load(out)
    np.testing.assert_array_equal(back.window_start_s, res.window_start_s)
    np.testing.assert_array_equal(back.prob, res.prob)  # NaNs compare equal in assert_array_equal
    assert np.isnan(back.prob[5]) and np.isnan(back.attention[6]).all()
    np.testing.assert_array_equal(back.attention, res.attention)
    assert back.gaps == [Gap(5.0, 6.5, GAP_DECODE)]
    assert back.events == res.events
    assert back.model["run_name"] == "tiny-1" and back.model["preset"] == "tiny"
    assert back.model["run_hash"] == canonical_hash(RUN_CONFIG)
    np.testing.assert_array_equal(back.keypoints.xy, res.keypoints.xy)
    assert back.keypoints.frame_size == (64, 48) and back.keypoints.source == "synthetic-gt"
    np.testing.assert_allclose(back.traces["forecast"].value, [0.1, 0.2, 0.3], rtol=1e-6)
    assert back.traces["forecast"].meta == {"horizon_s": 5}
    assert back.complete and back.window_at(7.5) == 7
    light = AnalysisResult.load(out, keypoints=False)
    assert light.keypoints is None and len(light) == 20


def test_partial_flag_and_empty_result(tmp_path, video):
    res = AnalysisResult(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros((0, 14)), complete=False)
    back = AnalysisResult.load(res.save(tmp_path / "p.npz"))
    assert not back.complete and len(back) == 0 and back.attention.shape == (0, 14)


def test_staleness_video_and_model(tmp_path, video):
    res = make_result(video)
    assert res.is_stale(video) is None
    assert res.is_stale(video, RUN_CONFIG) is None
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "run.json").write_text(json.dumps(RUN_CONFIG, indent=4))
    assert res.is_stale(video, run_dir) is None  # same config, different formatting on disk
    reason = res.is_stale(video, dict(RUN_CONFIG, threshold=0.7))
    assert reason and "model changed" in reason
    video.write_bytes(b"other bytes")
    assert "changed" in res.is_stale(video)
    video.unlink()
    assert "not found" in res.is_stale(video)


def test_corrupt_unknown_and_newer_files_raise_clear_errors(tmp_path, video):
    good = make_result(video).save(tmp_path / "good.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(InputFileError, match="junk.npz"):
        AnalysisResult.load(junk)
    trunc = tmp_path / "trunc.npz"
    trunc.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(InputFileError, match="trunc.npz"):
        AnalysisResult.load(trunc)
    with pytest.raises(InputFileError, match="not found"):
        AnalysisResult.load(tmp_path / "missing.npz")

    def rewrite_header(name, **changes):
        with np.load(good) as z:
            arrays = {k: z[k] for k in z.files}
        header = json.loads(bytes(arrays["header"]).decode())
        header.update(changes)
        arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
        p = tmp_path / name
        np.savez(p, **arrays)
        return p

    with pytest.raises(InputFileError, match="newer"):
        AnalysisResult.load(rewrite_header("newer.npz", version=99))
    with pytest.raises(InputFileError, match="not a Semioscope result"):
        AnalysisResult.load(rewrite_header("other.npz", format="something.else"))
    # A member missing from the zip (e.g. a hand-edited file) is reported, not a KeyError.
    p = tmp_path / "nokp.npz"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(p, "w") as zout:
        for item in zin.infolist():
            if item.filename != "kp_xy.npy":
                zout.writestr(item, zin.read(item.filename))
    with pytest.raises(InputFileError, match="corrupt or incomplete"):
        AnalysisResult.load(p)


def test_day_long_result_is_fast_and_compact(tmp_path, video):
    import time

    n = 86400  # 24 h at a 1 s stride
    t = np.arange(n, dtype=np.float64)
    kt = np.arange(n * 6) / 6.0
    res = AnalysisResult(t, t + 5, np.full(n, 0.1, np.float32), np.full((n, 14), 1 / 14, np.float32),
                         keypoints=KeypointTrack(kt, np.zeros((len(kt), 14, 2)), np.ones((len(kt), 14)), (640, 480)))
    t0 = time.perf_counter()
    p = res.save(tmp_path / "day.npz")
    back = AnalysisResult.load(p)
    elapsed = time.perf_counter() - t0
    assert len(back) == n and len(back.keypoints) == n * 6
    assert p.stat().st_size < 120e6
    assert elapsed < 10.0, elapsed


def test_merge_gaps_and_events_csv(tmp_path, video):
    assert merge_gaps([Gap(2, 3, "a"), Gap(0, 1, "a"), Gap(1, 2, "a"), Gap(2.5, 4, "b")]) == \
        [Gap(0, 3, "a"), Gap(2.5, 4, "b")]
    text = events_csv_text([("rec.mp4", make_result(video))])
    lines = text.strip().split("\n")
    assert len(lines) == 2
    row = lines[1].split(",")
    assert row[:7] == ["rec.mp4", "1", "10.000", "17.000", "7.000", "0.9300", "12.000"]
    assert row[7] == "left_ankle right_ankle left_knee"


def test_results_module_does_not_import_torch():
    code = "import sys, inference.results; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])

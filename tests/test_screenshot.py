"""The review window on a real X server (Xvfb): a PNG of the main window with the probability
trace and the skeleton visible, checked to be a real picture (not blank)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inference.core.config import EventConfig
from inference.core.fingerprint import file_fingerprint
from inference.pose.keypoints import KeypointTrack
from inference.results.events import detect_events
from inference.results.result_file import AnalysisResult
from inference.synth import SynthConfig, generate_recording

ROOT = Path(__file__).resolve().parents[1]
SHOT_DIR = Path(os.environ.get("SEMIOSCOPE_SCREENSHOT_DIR", ROOT / "build" / "screenshots"))


def _synthetic_inputs(folder: Path) -> tuple[Path, Path, float]:
    """A 30 s synthetic recording with a seizure and a result whose trace rises over it."""
    rec = generate_recording(folder / "shot.mp4", "s1", "shot", seed=5, config=SynthConfig(size=(320, 240)),
                             seizure_type="fbtc", duration_s=30.0, eeg_onset_s=12.0, night=False)
    sz = rec.seizures[0]
    starts = np.arange(0.0, 25.0 + 1e-9, 1.0)
    ends = starts + 5.0
    mid = 0.5 * (starts + ends)
    prob = (0.08 + 0.85 / (1 + np.exp(-(mid - sz.clinical_onset_s) * 1.2))).astype(np.float32)
    prob[3:5] = np.nan  # an undecodable stretch, drawn as a gap
    att = np.abs(np.sin(np.outer(mid / 6.0, np.arange(1, 15)))).astype(np.float32) * prob[:, None]
    cfg = EventConfig()
    track = KeypointTrack.load(folder / "shot.keypoints.npz")
    result = AnalysisResult(starts, ends, prob, att, model={"run_name": "screenshot", "run_hash": "-", "preset": "tiny"},
                            config={"events": cfg.to_dict()},
                            video={"path": str(rec.video), "fingerprint": file_fingerprint(rec.video),
                                   "meta": {"duration_s": 30.0}},
                            events=detect_events(starts, ends, prob, cfg, att), keypoints=track)
    out = folder / "shot.result.npz"
    result.save(out)
    return rec.video, out, sz.clinical_onset_s + 4.0


def _screenshot_under_xvfb(tmp_path: Path, name: str, screen: str, start_at: bool = False):
    """Run ``app review`` on the synthetic inputs under xvfb-run on a ``screen`` ("WxH") display
    and save a screenshot as ``SHOT_DIR/name``; skips when Xvfb is not installed."""
    xvfb_run = shutil.which("xvfb-run")
    if xvfb_run is None or shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (make sysdeps installs it with apt-get)")
    video, result, t = _synthetic_inputs(tmp_path)
    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    png = SHOT_DIR / name
    png.unlink(missing_ok=True)
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", HOME=str(tmp_path))  # HOME: keep QSettings out of the user's
    cmd = [xvfb_run, "-a", "-s", f"-screen 0 {screen}x24", sys.executable, "-m", "app", "review", str(video),
           "--results", str(result), "--reviewer", "screenshot", "--screenshot", str(png), "--quit-after", "4"]
    if start_at:
        cmd += ["--start-at", f"{t:.3f}"]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120), png


@pytest.mark.gui
def test_main_window_screenshot_under_xvfb(tmp_path):
    proc, png = _screenshot_under_xvfb(tmp_path, "main_window.png", "1600x1000", start_at=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert png.exists(), proc.stderr[-3000:]
    img = np.asarray(Image.open(png).convert("RGB"))
    h, w, _ = img.shape
    assert w >= 1000 and h >= 600
    assert img.std() > 20  # not a flat image
    quantised = {tuple(c) for c in (img.reshape(-1, 3)[::7] // 16)}
    assert len(quantised) > 60, f"only {len(quantised)} distinct colours"
    # The trace (light grey curve) and the video frame are both there: the picture is not just widgets.
    light = (img.min(axis=2) > 200).mean()
    assert 0.0005 < light < 0.5


@pytest.mark.gui
def test_main_window_fits_a_1024x700_screen_under_xvfb(tmp_path):
    """On a small laptop screen the window fits, the trace stays at least 120 px tall and the
    events table shows every column (numbers from the ``.layout.json`` beside the screenshot)."""
    import json

    proc, png = _screenshot_under_xvfb(tmp_path, "main_window_1024x700.png", "1024x700")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    report = json.loads(png.with_suffix(".layout.json").read_text())
    assert report["screen"] == [0, 0, 1024, 700] and report["fits"], report
    assert report["trace_px"] >= 120, report
    assert {"Peak", "Kind"} <= set(report["event_columns_in_view"]), report
    assert Image.open(png).size == (1024, 700)

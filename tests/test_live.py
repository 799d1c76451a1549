"""Live monitoring (``inference.live``, ``semioscope monitor``): a synthetic recording served as a
real-time MPEG-TS stream on the loopback interface, monitored, with a camera outage.

What the alarm test proves, plainly: no trained detector ships with the tests (a tiny one
trains in minutes), so ``test_alarm_on_live_stream`` uses a stand-in model, :class:`RhythmModel`,
that scores a window by how often the joints' position tracks reverse direction (the synthetic
clonic jerks do, reaching and repositioning do not). It goes through the same live path as a
detector: stream -> 6 fps sampling by timestamps -> keypoints at the stream's timestamps ->
cleaning -> joint crops and positions -> ``predict`` per window -> the event rules applied
causally -> alarm. So it checks the live pipeline's timing (alarm within clinical onset +
window + minimum duration + 2 s, none before), not the detector's accuracy. The command-line
test uses a real (random-init) tiny run with ``--threshold 0``, which fires everywhere: it checks
the plumbing (alarms printed, events.csv, --on-alarm JSON, acknowledgement into the annotation
store, night.mp4 + night.result.npz), not detection.
"""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from app_helpers import make_tiny_run

from app.annotations import AnnotationStore, annotations_path_for
from inference.core.config import ClipConfig, EventConfig, SegmentConfig
from inference.live.alarms import CausalEvents
from inference.live.monitor import LiveMonitor, LiveSettings
from inference.live.night import NIGHT_RESULT, NIGHT_VIDEO
from inference.live.sender import StreamSender
from inference.live.windows import GAP_BEHIND, GAP_CAMERA_DOWN, KeypointProvider
from inference.pose.keypoints import KeypointTrack
from inference.results.events import detect_events
from inference.results.result_file import AnalysisResult
from inference.synth import generate_recording
from inference.synth.config import SynthConfig
from inference.video.reader import VideoReader

ROOT = Path(__file__).resolve().parents[1]
EVENTS = EventConfig(threshold=0.15, hysteresis=0.05, min_duration_s=3.0, merge_gap_s=10.0)


class RhythmModel:
    """Stand-in detector (see the module docstring): share of frame-to-frame direction reversals
    of the most rhythmic joint coordinate in the window's positions."""

    run_config = {"name": "rhythm-stand-in"}
    segment_config = SegmentConfig()
    clip_config = ClipConfig(input_size=32)
    event_config = EVENTS
    threshold = EVENTS.threshold
    device = None

    def predict(self, clips, positions, mask):
        v = np.diff(positions[..., :2], axis=2)  # [B, 14, T-1, 2]
        big = np.abs(v) > 0.002
        flips = ((np.sign(v[:, :, 1:]) != np.sign(v[:, :, :-1])) & big[:, :, 1:] & big[:, :, :-1]).sum(axis=2)
        p = flips.reshape(len(v), -1).max(axis=1) / (v.shape[2] - 1)
        return p.astype(np.float32), np.full((len(v), 14), 1 / 14, np.float32)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """75 s, 160x120, a focal seizure: EEG onset 35 s, clinical onset ~42 s (seed 3)."""
    folder = tmp_path_factory.mktemp("live_rec")
    rec = generate_recording(folder / "rec.mp4", "sub01", "r1", 3, SynthConfig(size=(160, 120), staff_probability=0.0),
                             "focal", duration_s=75.0, eeg_onset_s=35.0)
    return rec.video, rec.seizures[0].clinical_onset_s


def test_causal_events_match_the_offline_rules():
    """Alarms equal the offline events and each is raised at the first window where the trace so
    far already holds its event (no later window used)."""
    rng = np.random.default_rng(1)
    p = np.clip(np.repeat(rng.random(40), 5) + rng.normal(0, 0.1, 200), 0, 1)
    p[rng.random(200) < 0.05] = np.nan
    start = np.arange(200.0)
    end = start + 5.0
    cfg = EventConfig(threshold=0.6, hysteresis=0.1, min_duration_s=8.0, merge_gap_s=4.0, smooth_windows=2)
    ce = CausalEvents(cfg)
    for i in range(200):
        ce.add(start[i], end[i], p[i], 0.0)
    offline = detect_events(start, end, p, cfg)
    assert [(a.start_s, a.end_s) for a in ce.alarms] == [(e.start_s, e.end_s) for e in offline]
    for a in ce.alarms:
        first = next(i for i in range(200) if any(e.start_s == a.start_s or (e.start_s <= a.start_s < e.end_s)
                                                  for e in detect_events(start[:i + 1], end[:i + 1], p[:i + 1], cfg)))
        assert a.raised_s == end[first]


def test_alarm_on_live_stream(recording, tmp_path):
    """Real-time UDP stream (0-56 s) with a 10 s outage in the seizure-free part: an alarm within the
    bound, none before clinical onset; the outage is a gap; the night files hold both."""
    video, onset = recording
    port = free_udp_port()
    out = tmp_path / "night"
    track = KeypointTrack.load(video.with_name("rec.keypoints.npz"))
    lines: list[str] = []
    monitor = LiveMonitor(f"udp://127.0.0.1:{port}", RhythmModel(), KeypointProvider(6.0, track=track), out,
                          LiveSettings(read_timeout_s=1.5, segment_s=30.0, status_every_s=15.0),
                          print_fn=lines.append)
    sender = StreamSender(video, f"udp://127.0.0.1:{port}", pauses=[(12.0, 10.0)])
    threading.Timer(0.5, sender.start).start()
    end_s = onset + 14.0  # past the alarm bound: the rest of the seizure adds nothing to check

    def stop_later():
        while not sender.done.wait(0.2):
            if sender.sent_s >= end_s:
                sender.stop()
        time.sleep(1.0)
        monitor.stop()

    threading.Thread(target=stop_later, daemon=True).start()
    res = monitor.run()
    assert sender.error is None, sender.error

    window_s, min_dur = 5.0, EVENTS.min_duration_s
    alarms = monitor.events.alarms
    assert alarms, "\n".join(lines)
    assert all(a.raised_s >= onset for a in alarms), [a.to_dict() for a in alarms]  # nothing in the seizure-free part
    first = alarms[0]
    assert first.raised_s <= onset + window_s + min_dur + 2.0, first.to_dict()
    assert any(line.startswith("ALARM #1") for line in lines)
    assert monitor.stats["windows_skipped"] < 25 and monitor.stats["dropped_samples"] == 0

    down = [g for g in res.gaps if g.reason == GAP_CAMERA_DOWN]
    assert len(down) == 1 and 11.5 <= down[0].start_s <= 12.5 and 21.5 <= down[0].end_s <= 23.0, res.gaps
    saved = AnalysisResult.load(out / NIGHT_RESULT)
    assert saved.complete and [(e.start_s, e.end_s) for e in saved.events] == [(a.start_s, a.end_s) for a in alarms]
    assert [g for g in saved.gaps if g.reason == GAP_CAMERA_DOWN] == down
    assert np.isnan(saved.prob[saved.window_at(15.0)]) and np.isfinite(saved.prob[saved.window_at(30.0)])
    assert saved.is_stale() is None  # it describes night.mp4 as written
    with VideoReader(out / NIGHT_VIDEO) as reader:  # continuous night timestamps: the outage is a jump
        pts = reader.index.pts_s
        jump = int(np.argmax(np.diff(pts)))
        assert 9.0 <= pts[jump + 1] - pts[jump] <= 11.0 and abs(pts[-1] - end_s) < 1.0
    assert len(saved.keypoints.times) > 200


@pytest.mark.slow
def test_monitor_cli_with_outage_and_acknowledgement(recording, tmp_path):
    """``semioscope monitor --no-window`` on a stream that stops for 10 s and resumes: the night
    goes on, the outage is a gap, the alarms (a fire-everywhere threshold) are printed, logged,
    given to --on-alarm, acknowledged, and land in night.result.npz and the annotations."""
    video, _ = recording
    run = make_tiny_run(tmp_path / "run")
    port = free_udp_port()
    out = tmp_path / "night"
    got = tmp_path / "alarm.json"
    sender = StreamSender(video, f"udp://127.0.0.1:{port}", pauses=[(8.0, 10.0)])
    stop_at = 28.0  # file seconds: 8 s sent, 10 s down, 10 s more

    def serve():
        # The monitor listens first (it writes events.csv once its model is loaded), as a camera
        # that comes up later; on a busy machine that can take a while.
        deadline = time.monotonic() + 60.0
        while not (out / "events.csv").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)
        sender.start()
        while not sender.done.wait(0.2):
            if sender.sent_s >= stop_at:
                sender.stop()

    threading.Thread(target=serve, daemon=True).start()
    cmd = [sys.executable, "-m", "app", "monitor", f"udp://127.0.0.1:{port}", "--model", str(run), "--no-window", "--out", str(out),
           "--keypoints", str(video.with_name("rec.keypoints.npz")), "--threshold", "0", "--device", "cpu",
           "--on-alarm", f"cat > {got}", "--stop-after-idle", "12", "--read-timeout", "1.5", "--status-every", "5"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ALARM #1" in proc.stdout and "camera down" in proc.stdout, proc.stdout
    payload = json.loads(got.read_text())
    assert payload["kind"] == "alarm" and payload["id"] >= 1 and "start_s" in payload
    log = (out / "events.csv").read_text().splitlines()
    assert any(",raised,1," in row for row in log) and any(",camera_down," in row for row in log)

    res = AnalysisResult.load(out / NIGHT_RESULT)
    down = [g for g in res.gaps if g.reason == GAP_CAMERA_DOWN]
    assert down and any(g.end_s - g.start_s >= 8.0 for g in down), (res.gaps, proc.stdout)
    after = res.window_start_s >= max(g.end_s for g in down)
    assert np.isfinite(res.prob[after]).sum() >= 3, proc.stdout  # monitoring went on after the outage
    assert len(res.events) == len(res.notes["alarms"]) >= 1

    ack = subprocess.run([sys.executable, "-m", "app", "monitor-ack", str(out), "--by", "nurse A"],
                         capture_output=True, text=True, cwd=ROOT)
    assert ack.returncode == 0, ack.stdout + ack.stderr
    store = AnnotationStore.open(annotations_path_for(out / NIGHT_VIDEO), "test")
    reviews = store.reviews()
    assert len(reviews) == len(res.events) and all(r.author == "nurse A" and r.status == "confirmed" for r in reviews)
    assert all(e.data["acknowledged_utc"] for e in store.edits)


def test_follow_mode_with_corrupt_bytes_and_full_disk(recording, tmp_path):
    """A growing MPEG-TS file (follow mode) with a corrupt stretch, on a 'full' disk: the corrupt
    packets are skipped, recording stops with an alarm line, monitoring goes on to the end."""
    video, _ = recording
    ts = tmp_path / "stream.ts"
    StreamSender(video, str(ts), speed=1000.0).start().wait(60)
    data = bytearray(ts.read_bytes())
    mid = len(data) // 3
    data[mid:mid + 30000] = np.random.default_rng(0).integers(0, 256, 30000, dtype=np.uint8).tobytes()
    ts.write_bytes(bytes(data))
    track = KeypointTrack.load(video.with_name("rec.keypoints.npz"))
    lines: list[str] = []
    monitor = LiveMonitor(str(ts), RhythmModel(), KeypointProvider(6.0, track=track), tmp_path / "night",
                          LiveSettings(follow_idle_s=1.0, min_free_mb=1e12), print_fn=lines.append)
    res = monitor.run()
    assert any(line.startswith("ALARM recording stopped") for line in lines), lines
    assert res.notes["recording_error"] and "disk nearly full" in res.notes["recording_error"]
    assert not (tmp_path / "night" / NIGHT_VIDEO).exists()
    assert monitor.stats["corrupt"] > 0 or any(g.reason == "decode failure" for g in res.gaps)
    assert res.window_end_s[-1] >= 70.0 and np.isfinite(res.prob).sum() > 40


class SlowModel(RhythmModel):
    """The stand-in detector, taking 1.5 s a window: processing cannot keep up with a 1 s stride."""

    def predict(self, clips, positions, mask):
        time.sleep(1.5)
        return super().predict(clips, positions, mask)


def test_falling_behind_skips_windows_visibly_and_memory_stays_bounded(recording, tmp_path):
    """A real-time stream and a detector slower than the stride: samples are dropped (never an
    unbounded queue), the windows they touch become gaps 'behind' in the night's result, the lag
    is measured, and monitoring goes on to the end."""
    video, _ = recording
    port = free_udp_port()
    track = KeypointTrack.load(video.with_name("rec.keypoints.npz"))
    lines: list[str] = []
    settings = LiveSettings(read_timeout_s=1.5, segment_s=30.0, status_every_s=5.0, queue_s=2.0)
    monitor = LiveMonitor(f"udp://127.0.0.1:{port}", SlowModel(), KeypointProvider(6.0, track=track),
                          tmp_path / "night", settings, print_fn=lines.append)
    sender = StreamSender(video, f"udp://127.0.0.1:{port}")
    threading.Timer(0.5, sender.start).start()
    peak_queue = []

    def stop_later():
        while not sender.done.wait(0.2):
            peak_queue.append(monitor.queue.qsize())
            if sender.sent_s >= 25.0:
                sender.stop()
        time.sleep(1.0)
        monitor.stop()

    threading.Thread(target=stop_later, daemon=True).start()
    res = monitor.run()
    assert max(peak_queue) <= monitor.queue.maxsize  # bounded: 2 s of samples
    assert monitor.stats["dropped_samples"] > 0
    behind = [g for g in res.gaps if g.reason == GAP_BEHIND]
    assert behind and sum(g.end_s - g.start_s for g in behind) >= 1.0, res.gaps
    assert np.isnan(res.prob[res.window_at(0.5 * (behind[0].start_s + behind[0].end_s))])
    assert np.isfinite(res.prob).sum() >= 3  # some windows still scored
    assert any("samples dropped behind" in line for line in lines)
    lag = monitor.lag_summary()
    assert lag["median"] >= 1.0  # each window waited for the slow model, and the log says so
    assert res.notes["stats"]["dropped_samples"] == monitor.stats["dropped_samples"]

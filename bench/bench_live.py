"""Benchmark of live monitoring (issue 17): a synthetic recording served as a real-time UDP
MPEG-TS stream on the loopback interface for N minutes, monitored with the ``tiny`` detector.

Reports: processing lag (wall time from a window's last frame arriving to its result) median,
p95 and max; windows without a value and why (``behind`` = skipped because processing fell
behind); alarm latency from clinical onset for every seizure served; RSS at 5 minutes and at the
end (and its maximum); the night files' assembly time.

The stream is one generated recording (default 5 min, 320x240, 30 fps, one focal seizure)
looped, its timestamps continuing, so every loop holds one seizure. The detector is an
untrained ``tiny`` run (default ``--model tiny``): it runs on every window, so the compute is
real, but its probability means nothing, so by default the probability used for the alarms is
replaced by the rhythm stand-in of ``tests/test_live.py`` (the share of direction reversals of
the joints' tracks); the latency figures then measure the live pipeline, not a detector. Give
``--model RUN`` for a trained run's own probabilities.

    python bench/bench_live.py --minutes 30                    # MediaPipe pose (the default)
    python bench/bench_live.py --minutes 6 --keypoints gt      # keypoints from the sidecar
"""
from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from app_helpers import make_tiny_run  # noqa: E402

from inference.core.config import EventConfig, PoseConfig  # noqa: E402
from inference.detector.checkpoint import load_run  # noqa: E402
from inference.live.monitor import LiveMonitor, LiveSettings  # noqa: E402
from inference.live.sender import StreamSender  # noqa: E402
from inference.live.windows import open_keypoints  # noqa: E402
from inference.pose.keypoints import KeypointTrack  # noqa: E402
from inference.synth import generate_recording  # noqa: E402
from inference.synth.config import SynthConfig  # noqa: E402

STANDIN_EVENTS = EventConfig(threshold=0.15, hysteresis=0.05, min_duration_s=3.0, merge_gap_s=10.0)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class TinyWithRhythm:
    """The tiny detector runs (its cost is real); the rhythm stand-in gives the probability."""

    def __init__(self, model):
        self.model = model
        for k in ("run_config", "segment_config", "clip_config", "threshold", "device"):
            setattr(self, k, getattr(model, k))
        self.run_dir = getattr(model, "run_dir", None)
        self.event_config = STANDIN_EVENTS

    def predict(self, clips, positions, mask):
        _, att = self.model.predict(clips, positions, mask)
        v = np.diff(positions[..., :2], axis=2)
        big = np.abs(v) > 0.002
        flips = ((np.sign(v[:, :, 1:]) != np.sign(v[:, :, :-1])) & big[:, :, 1:] & big[:, :, :-1]).sum(axis=2)
        return (flips.reshape(len(v), -1).max(axis=1) / (v.shape[2] - 1)).astype(np.float32), att


def looped_track(track: KeypointTrack, period: float, loops: int) -> KeypointTrack:
    times = np.concatenate([track.times + k * period for k in range(loops)])
    return KeypointTrack(times, np.concatenate([track.xy] * loops), np.concatenate([track.conf] * loops),
                         track.frame_size, track.source, dict(track.meta))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=30.0, help="stream length in minutes (default 30)")
    ap.add_argument("--keypoints", default="mediapipe", help="mediapipe (default) or gt")
    ap.add_argument("--model", default="tiny", help="'tiny' (untrained + rhythm stand-in) or a run folder")
    ap.add_argument("--clip-minutes", type=float, default=5.0, help="length of the looped recording (5)")
    ap.add_argument("--size", default="320x240")
    ap.add_argument("--data", default=None, help="folder for the recording and the output (default: temp)")
    ap.add_argument("--json", default=None, help="write the figures here")
    args = ap.parse_args()

    work = Path(args.data or tempfile.mkdtemp(prefix="bench_live_"))
    w, h = (int(x) for x in args.size.split("x"))
    clip_s = args.clip_minutes * 60.0
    video = work / f"clip_{w}x{h}_{int(clip_s)}.mp4"
    if not video.exists():
        t = time.perf_counter()
        generate_recording(video, "sub01", "r1", 3, SynthConfig(size=(w, h), staff_probability=0.0), "focal",
                           duration_s=clip_s, eeg_onset_s=0.5 * clip_s)
        print(f"generated {video.name} in {time.perf_counter() - t:.0f} s", flush=True)
    notes = json.loads(video.with_name(video.stem + ".annotations.json").read_text())
    onset = float(notes["seizures"][0]["clinical_onset_s"])
    end = float(notes["seizures"][0]["end_s"])
    loops = int(np.ceil(args.minutes * 60.0 / clip_s))

    torch.set_num_threads(1)
    if args.model == "tiny":
        model = TinyWithRhythm(load_run(make_tiny_run(work / "tiny_run"), device="cpu"))
    else:
        model = load_run(args.model, device="cpu")
    out = work / f"night_{args.keypoints}"
    if args.keypoints == "gt":
        kp_file = work / "looped.keypoints.npz"
        looped_track(KeypointTrack.load(video.with_name(video.stem + ".keypoints.npz")), clip_s, loops).save(kp_file)
        keypoints, ident = open_keypoints(str(kp_file), "udp://", 6.0, PoseConfig())
    else:
        keypoints, ident = open_keypoints(args.keypoints, "udp://", 6.0, PoseConfig())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monitor = LiveMonitor(f"udp://127.0.0.1:{port}", model, keypoints, out,
                          LiveSettings(status_every_s=60.0, flush_every_s=60.0), keypoint_identity=ident)
    sender = StreamSender(video, f"udp://127.0.0.1:{port}", loops=loops)
    total_s = args.minutes * 60.0
    rss: dict[str, float] = {}

    def drive():
        time.sleep(1.0)
        sender.start()
        t0 = time.monotonic()
        peak = 0.0
        while time.monotonic() - t0 < total_s and not sender.done.is_set():
            time.sleep(5.0)
            peak = max(peak, rss_mb())
            if "5min" not in rss and time.monotonic() - t0 >= 300:
                rss["5min"] = rss_mb()
        rss["end_of_stream"] = rss_mb()
        rss["max_during"] = peak
        sender.stop()
        monitor.stop()

    threading.Thread(target=drive, daemon=True).start()
    t_start = time.monotonic()
    res = monitor.run()
    wall = time.monotonic() - t_start
    lags = np.array(monitor.lags)
    reasons: dict[str, int] = {}
    for g in res.gaps:
        reasons[g.reason] = reasons.get(g.reason, 0) + 1
    latencies = []
    for k in range(loops):
        t_on = onset + k * clip_s
        # SzCORE's window: an alarm from 30 s before onset to 60 s after the seizure's end detects it.
        hits = [a.raised_s - t_on for a in monitor.events.alarms
                if t_on - 30 <= a.raised_s <= t_on + (end - onset) + 60]
        if len(res) and t_on + 20.0 < res.window_end_s[-1]:
            latencies.append(min(hits) if hits else None)
    false_alarms = [a.raised_s for a in monitor.events.alarms
                    if not any(-30 <= a.raised_s - (onset + k * clip_s) <= end - onset + 60 for k in range(loops))]
    figures = {
        "minutes": args.minutes, "keypoints": args.keypoints, "model": args.model, "size": args.size,
        "wall_s": round(wall, 1), "stream_s": round(float(res.window_end_s[-1]) if len(res) else 0.0, 1),
        "lag_median_s": round(float(np.median(lags)), 3), "lag_p95_s": round(float(np.percentile(lags, 95)), 3),
        "lag_max_s": round(float(lags.max()), 3),
        "windows": monitor.stats["windows"], "windows_without_value": monitor.stats["windows_skipped"],
        "samples_dropped_behind": monitor.stats["dropped_samples"], "gap_reasons": reasons,
        "alarm_latency_from_clinical_onset_s": [None if x is None else round(x, 1) for x in latencies],
        "alarms_outside_seizures": len(false_alarms),
        "rss_mb": {k: round(v, 1) for k, v in rss.items()} | {"after_night_files": round(rss_mb(), 1)},
    }
    print(json.dumps(figures, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

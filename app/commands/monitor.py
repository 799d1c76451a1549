"""``semioscope monitor SOURCE --model RUN``: live monitoring with alarms, in a window or headless
(``--no-window``)."""
from __future__ import annotations

import argparse
import signal
from datetime import datetime
from pathlib import Path

from inference.core.config import PoseConfig
from inference.core.device import model_cpu_threads, torch_threads
from inference.core.errors import SemioscopeError
from inference.detector.checkpoint import load_run
from inference.live.monitor import LiveMonitor, LiveSettings
from inference.live.windows import open_keypoints
from inference.pose.registry import available_backends

from ._pose_option import add_keypoints_options, pose_model_path
from .monitor_ack import sync_acknowledgements

NAME = "monitor"
HELP = "monitor a live camera or stream: alarms as they happen, the night recorded for review"
ORDER = 45
DESCRIPTION = """\
Watch a live source with a trained detector and raise alarms as seizures happen.

SOURCE is a V4L2 camera (/dev/video0), a network stream that FFmpeg opens (udp://, rtsp://,
http://...), or a file that is still being written (follow mode: MPEG-TS, Matroska or
fragmented MP4; it ends when the file stops growing for --follow-idle seconds).

Frames are sampled at 6 fps as they arrive; every stride (1 s) the last 5 s window goes through
the detector, and the run's event rules (threshold, hysteresis, minimum duration, merge gap,
smoothing) are applied causally: an alarm uses only what came before it. An alarm is printed,
appended to OUT/events.csv and, with --on-alarm, given as JSON on stdin to a local command. It
stays raised until acknowledged: key A in the window (Shift+A: a false alarm), or
`semioscope monitor-ack OUT --by NAME`.

The window shows the live picture with the skeleton, the last 5 minutes of the probability
trace (gaps shaded, alarms in red), the alarm list with who acknowledged what and when, and the
processing lag. A waiting alarm flashes a banner and sounds a chime every 10 s (the system beep
where there is no audio output). Closing the window ends the night. --no-window runs the same
monitor headless: alarms printed and appended to OUT/events.csv as they happen.

When processing falls behind, frames are dropped (never queued without bound): their windows
become gaps 'behind', and the lag is in the status lines (every --status-every seconds). A source
that drops is reopened with backoff; the outage is a gap 'camera down'. Corrupt packets are
skipped. The stream is recorded in OUT/segments/ (10-minute MPEG-TS segments; remuxed, or
encoded when the codec cannot be remuxed); a write failure or a nearly full disk (--min-free-mb)
stops the recording with an alarm. OUT/live.result.npz holds the results so far (every
--flush-every seconds).

At the end (Ctrl+C, SIGTERM, --duration, or the source gone for --stop-after-idle seconds) the
segments become OUT/night.mp4 (remuxed; an outage stays a jump in time) and OUT/night.result.npz
holds every window, the alarms as events and the gaps:  semioscope review OUT/night.mp4

--keypoints: a pose backend (mediapipe, the default; onnx with --pose-model), or keypoints from
a file looked up at the stream's own timestamps (tests, demos): 'gt' (the followed file's
<stem>.keypoints.npz) or a keypoint file.

examples:
  semioscope monitor /dev/video0 --model runs/tiny --out night1 --reviewer "nurse A"
  semioscope monitor /dev/video0 --model runs/tiny --no-window --out night1
  semioscope monitor rtsp://cam3.local/stream --model runs/vivit --no-window --out night1 --on-alarm "notify-send seizure"
  semioscope monitor udp://127.0.0.1:5000 --model runs/tiny --no-window --out night1 --keypoints rec.keypoints.npz
  semioscope monitor growing.ts --model runs/tiny --no-window --out night1 --keypoints gt --follow-idle 10
  semioscope monitor-ack night1 --by "nurse A"
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", metavar="SOURCE", help="/dev/videoN, a stream URL, or a growing file")
    p.add_argument("--model", required=True, metavar="RUN", help="trained run folder (run.json + model.safetensors)")
    p.add_argument("--no-window", action="store_true", help="headless: print alarms and log them, no window")
    p.add_argument("--reviewer", metavar="NAME", help="who acknowledges alarms in the window (remembered)")
    p.add_argument("--no-sound", action="store_true", help="the window flashes alarms without the chime")
    p.add_argument("--out", metavar="DIR", help="output folder (default: monitor-<date>-<time>)")
    p.add_argument("--on-alarm", metavar="CMD", help="shell command run at each alarm, the alarm as JSON on stdin")
    add_keypoints_options(p, "mediapipe", "pose backend (mediapipe, onnx), 'gt' (a followed file's sidecar) "
                                          "or a keypoint file, looked up at the stream's timestamps")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    p.add_argument("--stride", type=float, default=1.0, metavar="S", help="window stride in seconds (default 1)")
    p.add_argument("--threshold", type=float, help="event threshold (default: the run's)")
    p.add_argument("--hysteresis", type=float, help="event hysteresis (default: the run's)")
    p.add_argument("--min-duration", type=float, metavar="S", help="minimum event duration (default: the run's)")
    p.add_argument("--merge-gap", type=float, metavar="S", help="merge events closer than this (default: the run's)")
    p.add_argument("--segment-minutes", type=float, default=10.0, metavar="M", help="recording segment length (10)")
    p.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    p.add_argument("--stop-after-idle", type=float, metavar="S",
                   help="stop when the source has been down S seconds (default: keep reconnecting)")
    p.add_argument("--follow-idle", type=float, default=30.0, metavar="S",
                   help="a followed file that has not grown for S seconds has ended (default 30)")
    p.add_argument("--read-timeout", type=float, default=3.0, metavar="S",
                   help="a stream silent this long is down and is reopened (default 3)")
    p.add_argument("--input-option", action="append", default=[], metavar="KEY=VALUE",
                   help="demuxer option, e.g. video_size=640x480 or input_format=mjpeg for a camera (repeatable)")
    p.add_argument("--status-every", type=float, default=60.0, metavar="S", help="status line interval (60)")
    p.add_argument("--flush-every", type=float, default=30.0, metavar="S", help="live result save interval (30)")
    p.add_argument("--min-free-mb", type=float, default=500.0, metavar="MB",
                   help="stop recording (with an alarm) below this much free disk (500)")


def settings_from(args) -> LiveSettings:
    if args.stride <= 0:
        raise SemioscopeError(f"--stride must be positive (got {args.stride})")
    options = {}
    for item in args.input_option:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SemioscopeError(f"--input-option wants KEY=VALUE, not {item!r}")
        options[key] = value
    backend = args.keypoints if args.keypoints in available_backends() else "mediapipe"
    model = pose_model_path(args, backend)
    events = {"threshold": args.threshold, "hysteresis": args.hysteresis, "min_duration_s": args.min_duration,
              "merge_gap_s": args.merge_gap}
    return LiveSettings(stride_s=args.stride, segment_s=args.segment_minutes * 60.0,
                        read_timeout_s=args.read_timeout, follow_idle_s=args.follow_idle,
                        stop_after_idle_s=args.stop_after_idle, max_duration_s=args.duration,
                        flush_every_s=args.flush_every, status_every_s=args.status_every,
                        min_free_mb=args.min_free_mb, on_alarm=args.on_alarm,
                        pose=PoseConfig(backend=backend, onnx_model=model) if model else PoseConfig(),
                        events={k: v for k, v in events.items() if v is not None} or None,
                        source_options=options or None)


def open_model_and_keypoints(args, settings: LiveSettings):
    """(the run, the keypoint provider, its identity) named by the command line."""
    model = load_run(args.model, device=args.device)
    settings.pose = settings.pose.as_trained(model.run_config.get("pose"))  # pose as the run was trained
    keypoints, identity = open_keypoints(args.keypoints, args.source, float(model.segment_config.fps), settings.pose)
    return model, keypoints, identity


def run(args) -> int:
    settings = settings_from(args)
    out = Path(args.out or f"monitor-{datetime.now().strftime('%Y%m%d-%H%M%S')}")
    if not args.no_window:
        # Qt only for the window: the headless monitor runs on a server without Qt's libraries.
        from app import live_window

        return live_window.run_live_window(args, settings, out, lambda: open_model_and_keypoints(args, settings))
    model, keypoints, identity = open_model_and_keypoints(args, settings)
    monitor = LiveMonitor(args.source, model, keypoints, out, settings, keypoint_identity=identity)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with torch_threads(model_cpu_threads(model.device)):
            monitor.run()
    finally:
        signal.signal(signal.SIGTERM, previous)
    n = sync_acknowledgements(out)
    if n:
        print(f"{n} acknowledged alarm(s) written to the night's annotations")
    print(f"review the night: semioscope review {out / 'night.mp4'}")
    return 0


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt

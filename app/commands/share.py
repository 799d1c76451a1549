"""``semioscope share``: a de-identified clip (faces blurred, or the skeleton only) with its labels."""
from __future__ import annotations

import argparse
from pathlib import Path

from app.export import reviewed_recording
from inference.core.errors import InputFileError, SemioscopeError
from inference.core.progress import cli_log, cli_progress
from inference.exchange.share import (
    DEFAULT_MARGIN_S,
    MODES,
    event_range,
    find_events,
    find_keypoints,
    seizure_range,
    share_clip,
)
from inference.video.index import probe

NAME = "share"
HELP = "write a de-identified clip (faces blurred or skeleton only) with its labels, for teaching or a second opinion"
ORDER = 58
DESCRIPTION = """\
Write a part of a video as a clip that can leave the clinic: case-<random>.mp4 and
case-<random>.labels.json in --out. The part is --from/--to (seconds, or M:SS / H:MM:SS from the
video's start), a detection of the result file (--event N) or a reviewed seizure of the
annotation file (--seizure N), each with --margin seconds either side.

Modes: blur-face (default; faces found by MediaPipe, else the area around the head and neck
keypoints, blurred until the face detector finds nothing; a frame where neither locates the
head is blurred whole), blur-body (the whole frame blurred, the skeleton drawn over it) and
skeleton (the skeleton alone, on black). The skeleton modes need the recording's keypoints: its
result file (semioscope analyze) or <stem>.keypoints.npz beside it. Masking the face also hides
early facial signs; say so when you share.

The clip has no audio and no container metadata (no creation time, no encoder or device tags);
its times start at 0. The labels file holds the seizures and detections inside the clip in clip
time (onsets, end, ILAE type, signs), no names or dates. The pseudonym is random; which video,
times and date it stands for is kept only on this machine, in the share map
($SEMIOSCOPE_SHARE_MAP, else share-map.json in the user data folder), never beside the clip.

examples:
  semioscope share rec01.mp4 --seizure 1 --out shared/
  semioscope share rec01.mp4 --event 2 --margin 20 --mode skeleton --out shared/
  semioscope share rec01.mp4 --from 12:30 --to 13:45 --mode blur-body --out shared/
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("video", metavar="VIDEO", help="the recording")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--from", dest="start", metavar="TIME", help="start (seconds or M:SS); needs --to")
    which.add_argument("--event", type=int, metavar="N", help="detection N of the result file (1 = first)")
    which.add_argument("--seizure", type=int, metavar="N", help="reviewed seizure N (1 = first), onset to end")
    p.add_argument("--to", dest="end", metavar="TIME", help="end (seconds or M:SS), with --from")
    p.add_argument("--margin", type=float, default=DEFAULT_MARGIN_S, metavar="S",
                   help=f"seconds before and after an event or seizure (default {DEFAULT_MARGIN_S:g})")
    p.add_argument("--mode", choices=MODES, default="blur-face", help="what the clip shows (default blur-face)")
    p.add_argument("--fill", action="store_true", help="blur-face: paint face regions grey instead of blurring")
    p.add_argument("--out", default=".", metavar="DIR", help="folder for the clip and its labels (default: here)")
    p.add_argument("--annotations", metavar="FILE", help="the annotation file (default: beside the video)")


def parse_time(text: str) -> float:
    """``75``, ``1:15``, ``0:01:15.5`` -> seconds."""
    try:
        parts = [float(x) for x in str(text).strip().split(":")]
    except ValueError:
        raise SemioscopeError(f"bad time {text!r} (expected seconds, M:SS or H:MM:SS)") from None
    if not 1 <= len(parts) <= 3 or any(x < 0 for x in parts):
        raise SemioscopeError(f"bad time {text!r} (expected seconds, M:SS or H:MM:SS)")
    seconds = 0.0
    for x in parts:
        seconds = seconds * 60 + x
    return seconds


def run(args: argparse.Namespace) -> int:
    video = Path(args.video)
    if not video.is_file():
        raise InputFileError(video, "video not found" if not video.exists() else "is not a file")
    duration = probe(video).duration_s
    recording, _store = reviewed_recording(video, args.annotations)
    events = find_events(video)
    if args.start is not None:
        if args.end is None:
            raise SemioscopeError("--from needs --to")
        start, end = parse_time(args.start), parse_time(args.end)
    elif args.event is not None:
        start, end = event_range(video, events, args.event, args.margin, duration)
    else:
        start, end = seizure_range(video, recording.seizures, args.seizure, args.margin, duration)
    keypoints = find_keypoints(video)
    if keypoints is None and args.mode == "blur-face":
        cli_log(f"semioscope share: {video.name}: no keypoints (result file or sidecar); faces the detector "
                "misses cannot be located and their frames are blurred whole")
    with cli_progress("share", total=1, unit="frame") as progress:
        shared = share_clip(video, start, end, Path(args.out), mode=args.mode, keypoints=keypoints,
                            seizures=recording.seizures, events=events, recording_type=recording.seizure_type,
                            recording_start=recording.start_time, fill=args.fill, progress=progress)
    print(shared.message())
    if shared.whole_frames:
        cli_log(f"semioscope share: {shared.whole_frames} of {shared.frames} frame(s) blurred whole: look at the "
                f"clip before sharing it")
    if shared.decode_failures:
        cli_log(f"semioscope share: {video}: {shared.decode_failures} frame(s) could not be decoded and are missing")
    return 0

"""``semioscope synth OUT``: synthetic EMU recordings (or animal clip corpora) for tests, demo, benchmarks."""
from __future__ import annotations

import argparse
from dataclasses import replace

from inference.core.progress import cli_progress
from inference.dataset.split_plan import MIN_TEST_SUBJECTS, MIN_TRAIN_SUBJECTS, MIN_VAL_SUBJECTS
from inference.synth import SynthConfig, generate_animal_corpus, generate_dataset
from inference.synth.appearance import ROOM_BIAS_CHOICES
from inference.synth.camera import CAMERA_CHOICES

NAME = "synth"
HELP = "generate synthetic EMU recordings (videos, keypoints, annotations, manifest)"
ORDER = 10
DESCRIPTION = """\
Generate synthetic EMU recordings: OUT/subNN/subNN_rK.mp4 with .keypoints.npz (ground-truth
14 joints per frame) and .annotations.json beside each, plus OUT/manifest.csv and manifest.json.
Subjects alternate focal and focal-to-bilateral tonic-clonic seizures. Same seed, same data.
Every recording gets a wall-clock start (manifest start_time, the video's creation_time tag).

With --eeg each video also gets a 19-channel EDF+ EEG (OUT/subNN/subNN_rK.edf, 256 Hz) recorded
on its own clock (an offset and a drift against the camera's), listed in the manifest's eeg
column, and its truth (.eeg.truth.json: offset, drift, two sync taps, onsets in EEG time).

With --room-bias train every recording with a seizure is filmed in one fixed room A (sheet,
floor, walls, light) and every seizure-free one in a clearly different room B; --room-bias swapped
is the reverse. Patient, movements and keypoints stay those of the same seed: a train set and a
swapped test set show whether a method learned the seizure or the room (`benchmark`).

With --animal seizure|normal it writes an unlabelled rodent-like clip corpus instead
(OUT/<kind>_0001.mp4 ... and OUT/corpus.json) for forecasting pre-training.

examples:
  semioscope synth data/synth --subjects 6 --seed 0
  semioscope synth data/long --subjects 1 --recordings 1 --duration 600 --size 1280x720
  semioscope synth data/fc --subjects 8 --prodrome --duration 120:240
  semioscope synth data/oblique --subjects 6 --camera mixed --blanket 0.5
  semioscope synth data/veeg --subjects 4 --eeg
  semioscope synth data/bias_test --subjects 6 --room-bias swapped
  semioscope synth data/rodent --animal seizure --clips 50
"""


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 640x480, got {text!r}") from None
    if w < 32 or h < 32 or w % 2 or h % 2:
        raise argparse.ArgumentTypeError(f"size must be even and at least 32x32, got {text!r}")
    return w, h


def _duration(text: str) -> tuple[float, float]:
    try:
        parts = [float(v) for v in text.split(":")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"duration must be SECONDS or MIN:MAX, got {text!r}") from None
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or parts[0] <= 0 or parts[1] < parts[0]:
        raise argparse.ArgumentTypeError(f"duration must be SECONDS or MIN:MAX with 0 < MIN <= MAX, got {text!r}")
    return parts[0], parts[1]


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a probability between 0 and 1, got {text!r}")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("out", metavar="OUT", help="output folder")
    p.add_argument("--subjects", type=int, default=6,
                   help="number of subjects (default 6: `semioscope train` then holds out 3, both seizure types, "
                        "validates on 1 and trains on 2; it needs at least 4)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--duration", type=_duration, default=None, metavar="SECONDS|MIN:MAX",
                   help="recording length in seconds, or a range (default 150:300)")
    p.add_argument("--recordings", type=_duration, default=None, metavar="N|MIN:MAX",
                   help="recordings per subject (default 1:3)")
    p.add_argument("--size", type=_size, default=None, metavar="WxH", help="frame size (default 640x480)")
    p.add_argument("--fps", type=float, default=None, help="frame rate (default 30)")
    p.add_argument("--codec", choices=("mpeg4", "libx264"), default=None, help="video codec (default mpeg4)")
    p.add_argument("--night-fraction", type=float, default=None, help="share of night-mode subjects (default 0.3)")
    p.add_argument("--staff", type=float, default=None, help="chance of staff walking through a recording (default 0.5)")
    p.add_argument("--prodrome", action="store_true", help="add pre-ictal restlessness (7-11 s, growing toward clinical onset) for forecasting")
    p.add_argument("--camera", choices=CAMERA_CHOICES, default=None,
                   help="camera placement: ceiling (straight down, default), corner or foot (oblique, with "
                        "perspective), mixed (one of the three per subject)")
    p.add_argument("--blanket", type=_probability, nargs="?", const=1.0, default=None, metavar="P",
                   help="cover each recording's legs with a blanket with chance P (bare --blanket: 1); joints it hides "
                        "are marked occluded (default: each subject's own blanket, unmarked, as before)")
    p.add_argument("--eeg", action="store_true",
                   help="also write a synthetic 19-channel EDF+ EEG beside each video, on a clock with a known "
                        "offset and drift (truth in .eeg.truth.json)")
    p.add_argument("--room-bias", choices=ROOM_BIAS_CHOICES, default=None,
                   help="background-bias experiment: train films seizure recordings in room A and seizure-free "
                        "ones in room B, swapped the reverse; only the room changes (default: each subject's own room)")
    p.add_argument("--workers", type=int, default=2, help="parallel processes (default 2)")
    g = p.add_argument_group("animal corpus")
    g.add_argument("--animal", choices=("seizure", "normal"), default=None,
                   help="write an animal clip corpus of this kind instead of EMU recordings")
    g.add_argument("--clips", type=int, default=20, help="number of animal clips (default 20)")
    g.add_argument("--clip-seconds", type=float, default=10.0, help="animal clip length (default 10)")


def run(args: argparse.Namespace) -> int:
    if args.animal:
        size = args.size or (224, 224)
        with cli_progress(f"{args.animal} clips", total=args.clips, unit="clip") as bar:
            paths = generate_animal_corpus(args.out, args.clips, args.animal, args.seed, clip_s=args.clip_seconds,
                                           size=size, fps=args.fps or 30.0, progress=bar)
        print(f"{len(paths)} {args.animal} clips of {args.clip_seconds:g} s at {size[0]}x{size[1]} in {args.out} "
              f"(index: corpus.json)")
        return 0
    if args.subjects < 1:
        print("semioscope synth: error: --subjects must be at least 1")
        return 2
    cfg = SynthConfig()
    changes = {"prodrome": args.prodrome, "eeg": args.eeg}
    if args.duration:
        changes["duration_s"] = args.duration
    if args.recordings:
        changes["recordings_per_subject"] = (max(1, int(args.recordings[0])), max(1, int(args.recordings[1])))
    for key, value in (("size", args.size), ("fps", args.fps), ("codec", args.codec),
                       ("night_fraction", args.night_fraction), ("staff_probability", args.staff),
                       ("camera", args.camera), ("blanket", args.blanket), ("room_bias", args.room_bias)):
        if value is not None:
            changes[key] = value
    cfg = replace(cfg, **changes)
    with cli_progress("synth", unit="s video") as bar:
        manifest = generate_dataset(args.out, args.subjects, args.seed, cfg, progress=bar, workers=args.workers)
    by_type: dict[str, int] = {}
    for r in manifest:
        for _ in r.seizures:
            by_type[r.seizure_type] = by_type.get(r.seizure_type, 0) + 1
    minutes = sum(r.duration_s or 0.0 for r in manifest) / 60
    types = ", ".join(f"{n} {t}" for t, n in sorted(by_type.items())) or "none"
    print(f"{len(manifest.subjects)} subjects, {len(manifest)} recordings, seizures: {types}; "
          f"{minutes:.1f} min of video at {cfg.size[0]}x{cfg.size[1]} {cfg.fps:g} fps")
    print(f"manifest: {manifest.path.parent / 'manifest.csv'} (and manifest.json)")
    if cfg.eeg:
        print(f"EEG: {sum(r.eeg is not None for r in manifest)} EDF+ files (19 channels, 256 Hz) beside the videos, "
              f"each on its own clock; the true offset, drift and sync taps are in *.eeg.truth.json")
    least = MIN_TRAIN_SUBJECTS + MIN_VAL_SUBJECTS + MIN_TEST_SUBJECTS
    if len(manifest.subjects) < least:  # said now rather than after the user's first `train`
        print(f"note: {len(manifest.subjects)} subjects are too few to train a detector on (a subject-wise split "
              f"needs {least}: {MIN_TRAIN_SUBJECTS} train, {MIN_VAL_SUBJECTS} validation, {MIN_TEST_SUBJECTS} test)")
    return 0

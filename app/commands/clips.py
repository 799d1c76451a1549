"""``semioscope clips``: a contact sheet of the 14 joint-centred clips of one window, as a PNG."""
from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from app.commands.pose import pose_config_from_args
from inference.core.atomic import atomic_write_bytes
from inference.core.errors import InputFileError, VideoError
from inference.detector.clips import contact_sheet, crop_joint_clips, window_times
from inference.pose.cache import cached_track, lookup_track
from inference.pose.cleaning import clean_track
from inference.pose.estimate import estimate_track
from inference.pose.registry import get_backend
from inference.video.reader import VideoReader

from ._config_option import add_config_option, config_from_args

NAME = "clips"
HELP = "save a contact sheet of the 14 joint clips of the 5 s window starting at --at"
ORDER = 31
DESCRIPTION = """\
Cut the joint-centred clips the detector reads for the window [AT, AT + 5 s) and save them as
one image: 14 rows (one per joint, labelled; greyed '(masked)' when the joint is present in
fewer than half the frames), a few frames across (red border: joint missing in that frame).

Keypoints come from the pose cache (a cached whole-video track is reused), else the pose
backend runs on this window only; or from --keypoints (a file / OpenPose folder).

examples:
  semioscope clips demo/videos/rec01.mp4 --at 42 --out rec01_42s.png
  semioscope clips rec01.mp4 --at 42 --out sheet.png --keypoints rec01.keypoints.npz --frames 8
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_config_option(p)
    p.add_argument("video", metavar="VIDEO", help="video file")
    p.add_argument("--at", type=float, required=True, metavar="SECONDS", help="window start in seconds")
    p.add_argument("--out", required=True, metavar="PNG", help="image to write")
    p.add_argument("--backend", default=None, help="pose backend: mediapipe (default) or file")
    p.add_argument("--keypoints", metavar="PATH", help="keypoint file or OpenPose JSON folder (implies --backend file)")
    p.add_argument("--frames", type=int, default=6, help="frames shown across (default 6)")
    p.add_argument("--input-size", type=int, help="clip side S in pixels (default from the config)")
    p.add_argument("--crop-px", type=int, help="crop side at 1080p (scaled with the frame height; default 128)")
    p.add_argument("--gaussian", action="store_true", help="VSViG-style Gaussian weighting of the crops")
    p.add_argument("--cache-dir", metavar="DIR", help="pose cache folder")
    p.add_argument("--tile", type=int, default=64, help="pixel size of each clip in the sheet (default 64)")


def run(args: argparse.Namespace) -> int:
    defaults = config_from_args(args)
    seg, clip_cfg = defaults.segments, defaults.clips
    changes = {}
    if args.input_size:
        changes["input_size"] = args.input_size
    if args.crop_px:
        changes["crop_px_at_1080"] = args.crop_px
    if args.gaussian:
        changes["gaussian_weighting"] = True
    clip_cfg = clip_cfg.replace(**changes)
    pose_cfg = pose_config_from_args(args)
    video = Path(args.video)

    with VideoReader(video) as reader:
        times = window_times(args.at, seg)
        if args.at < 0 or times[-1] >= reader.meta.duration_s:
            raise VideoError(video, f"window {args.at:g}-{args.at + seg.window_s:g} s does not fit in the "
                                    f"video ({reader.meta.duration_s:.2f} s)")
        frame_idx = reader.index.times_to_frames(times)
        decoded = dict(reader.iter_frames(np.unique(frame_idx)))
        missing = [int(i) for i in np.unique(frame_idx) if int(i) not in decoded]
        if missing:
            raise VideoError(video, f"frames {missing[:5]} of the window cannot be decoded")
        frames = np.stack([decoded[int(i)] for i in frame_idx])

    if pose_cfg.backend == "file":
        track = cached_track(video, pose_cfg, cache_dir=args.cache_dir, fps=seg.fps, keypoints_path=args.keypoints)
    else:
        backend = get_backend(pose_cfg.backend, pose_cfg)
        raw = lookup_track(video, backend, pose_cfg, cache_dir=args.cache_dir, fps=seg.fps)
        if raw is not None:  # a whole-video track is cached: reuse it
            track = clean_track(raw, pose_cfg)
        else:  # pose on this window only, with a little lead-in so tracking has settled
            track = estimate_track(video, pose_cfg, fps=seg.fps, backend=backend,
                                   start_s=max(0.0, args.at - 1.0), end_s=args.at + seg.window_s)
    idx = track.nearest_indices(times)
    if len(track) == 0 or np.abs(track.times[idx] - times).max() > 0.5 / seg.fps + 1e-6:
        raise InputFileError(video, f"the keypoint track does not cover {args.at:g}-{args.at + seg.window_s:g} s")
    jc = crop_joint_clips(frames, track.xy[idx], track.conf[idx], clip_cfg)
    sheet = contact_sheet(jc, frames=args.frames, tile=args.tile)
    ok, png = cv2.imencode(".png", cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    if not ok:
        raise InputFileError(Path(args.out), "cannot encode PNG")
    atomic_write_bytes(args.out, png.tobytes())
    print(f"{args.out}: 14 joints x {jc.num_frames} frames (S={jc.input_size}, crop "
          f"{clip_cfg.crop_side(frames.shape[1])} px); valid joints: {int(jc.mask.sum())}/14")
    return 0

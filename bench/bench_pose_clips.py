"""Benchmark: decoding, MediaPipe pose and joint-clip extraction on a 640x480 synthetic recording.

    .venv/bin/python bench/bench_pose_clips.py [--seconds 30] [--video FILE] [--keypoints FILE]

Sampling is by time at 6 fps, as in analysis. Figures:

- decode only: sampled frames per second for decoding (and RGB conversion) of those frames;
- MediaPipe pose: frames per second of ``backend.process`` alone, and of decode + pose;
- clip extraction: 5 s windows (30 frames x 14 joints) per second with ``crop_joint_clips``
  from frames already in memory (the engine's producer does the same);
- pose cache: time of a second ``cached_track`` run over the same video.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402


def main(argv=None) -> int:
    from inference.core.config import ClipConfig, PoseConfig, SegmentConfig
    from inference.detector.clips import crop_joint_clips, window_frames
    from inference.pose.cache import cached_track
    from inference.pose.keypoint_files import load_keypoints, sidecar_path
    from inference.pose.registry import get_backend
    from inference.video.reader import VideoReader

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=30.0, help="length of the synthetic recording")
    ap.add_argument("--video", help="use this video instead of a synthetic one")
    ap.add_argument("--keypoints", help="keypoints for the clip benchmark (default: the video's sidecar)")
    args = ap.parse_args(argv)
    fps = 6.0
    tmp = tempfile.TemporaryDirectory(prefix="bench_pose_")
    if args.video:
        video = Path(args.video)
    else:
        from inference.synth import SynthConfig, generate_recording

        video = Path(tmp.name) / "bench.mp4"
        t0 = time.perf_counter()
        generate_recording(video, "bench", "bench", seed=11,
                           config=SynthConfig(size=(640, 480), staff_probability=0.0), duration_s=args.seconds)
        print(f"synthetic 640x480 recording: {args.seconds:g} s at 30 fps, made in {time.perf_counter() - t0:.1f} s")

    with VideoReader(video) as reader:
        meta = reader.meta
        print(f"video: {meta.summary()}")
        # 1. decode only
        t0 = time.perf_counter()
        frames = [rgb for _, _, rgb in reader.iter_sampled(fps)]
        t_decode = time.perf_counter() - t0
        n = len(frames)
        print(f"decode only:      {n} sampled frames in {t_decode:.2f} s = {n / t_decode:8.1f} frames/s")

        # 2. MediaPipe pose on the same frames (video mode, tracking)
        backend = get_backend("mediapipe", PoseConfig())
        backend.start((meta.width, meta.height))
        times = reader.index.sample_times(fps)
        xy = np.full((n, 14, 2), np.nan, np.float32)
        conf = np.zeros((n, 14), np.float32)
        t0 = time.perf_counter()
        for k, rgb in enumerate(frames):
            xy[k], conf[k] = backend.process(float(times[k]), rgb)
        t_pose = time.perf_counter() - t0
        backend.close()
        found = float((conf.max(axis=1) > 0).mean())
        print(f"MediaPipe pose:   {n} frames in {t_pose:.2f} s = {n / t_pose:8.1f} frames/s "
              f"(person found in {found:.0%}); decode + pose = {n / (t_decode + t_pose):.1f} frames/s "
              f"= {n / fps / (t_decode + t_pose):.1f}x real time")

    # 3. clip extraction with the ground-truth track (or the MediaPipe one)
    kp = Path(args.keypoints) if args.keypoints else sidecar_path(video)
    if kp.exists():
        track = load_keypoints(kp).resample(times)
        label = f"keypoints {kp.name}"
    else:
        from inference.pose.keypoints import KeypointTrack

        track = KeypointTrack(times, xy, conf, (meta.width, meta.height), "mediapipe")
        label = "MediaPipe keypoints"
    seg, clip_cfg = SegmentConfig(), ClipConfig()
    starts = np.arange(0.0, times[-1] - seg.window_s + 1e-9, 1.0)  # review stride 1 s
    idx = window_frames(track, 0.0, seg)
    crop_joint_clips([frames[i] for i in idx], track.xy[idx], track.conf[idx], clip_cfg)  # warm-up (imports)
    t0 = time.perf_counter()
    for s in starts:
        idx = window_frames(track, float(s), seg)
        crop_joint_clips([frames[i] for i in idx], track.xy[idx], track.conf[idx], clip_cfg)
    t_clip = time.perf_counter() - t0
    print(f"clip extraction:  {len(starts)} windows in {t_clip:.2f} s = {len(starts) / t_clip:8.1f} windows/s "
          f"(30 frames x 14 joints, crop {clip_cfg.crop_side(meta.height)} px -> {clip_cfg.input_size} px, {label})")

    # 4. pose cache: second run
    cache_dir = Path(tmp.name) / "cache"  # empty: the first run computes
    t0 = time.perf_counter()
    cached_track(video, PoseConfig(), cache_dir=cache_dir)
    t_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    cached_track(video, PoseConfig(), cache_dir=cache_dir)
    t_second = time.perf_counter() - t0
    print(f"pose cache:       first run {t_first:.2f} s, second run {t_second * 1000:.1f} ms")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())

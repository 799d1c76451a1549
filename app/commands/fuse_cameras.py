"""``semioscope fuse-cameras FIRST OTHER...``: one trace from the results of several cameras."""
from __future__ import annotations

import argparse
from pathlib import Path

from inference.core.errors import InputFileError, SemioscopeError
from inference.results.fusion import fuse_results
from inference.results.result_file import AnalysisResult, result_path_for
from inference.video.cameras import load_cameras

NAME = "fuse-cameras"
HELP = "fuse the analyses of several cameras of one recording into one trace (maximum per window)"
ORDER = 42
DESCRIPTION = """\
Each camera is analysed on its own first (semioscope analyze, which writes <video>.result.npz
beside each). This fuses them on the first camera's windows: per window the highest seizure
probability of any camera (the corner camera sees the hand the blanket hides from the ceiling
camera), its attention, and which camera it came from (the trace 'camera'); events are found
again with the first result's rules and each names the camera of its peak. The cameras' clock
offsets come from the first video's saved camera file (<video>.semioscope-cameras.json, set in
the review window), else --offset NAME=SECONDS, else 0. Open the fused file with
`semioscope review FIRST --results FUSED`.

examples:
  semioscope analyze overview.mp4 closeup.mp4 --model runs/tiny
  semioscope fuse-cameras overview.mp4 closeup.mp4 --out overview.fused.result.npz
  semioscope fuse-cameras overview.mp4 closeup.mp4 --offset closeup=-0.5
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("videos", nargs="+", metavar="VIDEO", help="the first camera (analysed grid), then the others")
    p.add_argument("--offset", action="append", default=[], metavar="NAME=SECONDS",
                   help="a camera's clock offset (t_camera = offset + t_first), by file stem")
    p.add_argument("--out", metavar="FILE", help="fused result (default <first>.fused.result.npz)")


def _load(video: Path) -> AnalysisResult:
    path = result_path_for(video)
    if not path.is_file():
        raise InputFileError(path, f"no analysis of {video.name} (run: semioscope analyze {video})")
    return AnalysisResult.load(path)


def run(args: argparse.Namespace) -> int:
    videos = [Path(v) for v in args.videos]
    if len(videos) < 2:
        raise SemioscopeError("give the first camera and at least one other")
    offsets: dict[str, float] = {}
    for item in args.offset:
        name, _, value = item.partition("=")
        try:
            offsets[name] = float(value)
        except ValueError:
            raise SemioscopeError(f"--offset {item!r}: expected NAME=SECONDS") from None
    saved = {c.video.resolve(): c for c in (load_cameras(videos[0]) or [])}
    others = []
    for v in videos[1:]:
        cam = saved.get(v.resolve())
        offset, drift = (cam.offset_s, cam.drift_ppm) if cam is not None else (offsets.get(v.stem, 0.0), 0.0)
        others.append((v.stem, _load(v), offset, drift))
    fused = fuse_results(_load(videos[0]), others, videos[0].stem)
    out = Path(args.out) if args.out else videos[0].with_name(videos[0].stem + ".fused.result.npz")
    fused.save(out)
    cams = fused.notes["event_cameras"]
    print(f"{len(fused.events)} event(s) on the fused trace of {len(videos)} cameras -> {out}")
    for e, cam in zip(fused.events, cams):
        print(f"  {e.start_s:8.1f}-{e.end_s:8.1f} s  peak {e.peak_prob:.2f} on {cam}")
    return 0

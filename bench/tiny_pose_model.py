"""Train a tiny top-down SimCC pose model (RTMPose's output layout) on synthetic patients and export
it to ONNX, so that the ONNX pose backend can be measured with a model that actually finds joints
(issue 14). Nothing is downloaded: the training frames come from the project's generator.

    .venv/bin/python bench/tiny_pose_model.py --out /tmp/tiny-pose.onnx      # ~10 min on 2 cores
    .venv/bin/python bench/bench_pose_quality.py --onnx-model /tmp/tiny-pose.onnx

- **Data**: ``--subjects`` synthetic patients (seed ``--seed``, never the quality bench's seed 0,
  so the bench scores patients the model has not seen), each filmed from the ceiling, a corner
  and the foot of the bed, legs bare and under a blanket, ``--duration`` s each at 320x240;
  frames at 5 fps with the generator's keypoints and visibility.
- **Crops**: the box around the visible keypoints, as the backend builds it from the previous
  frame (padding 1.25, input aspect), jittered in scale (1.0-1.6x) and position (+-12%), and in
  1 of 10 cases the whole frame (the backend's fallback when it has lost the patient); horizontal
  flips swap left and right; brightness and contrast jitter.
- **Model**: five strided convolutions (96x128 input -> 6x8 cells), one map per COCO-17 keypoint,
  each flattened and decoded by a small MLP into ``simcc_x [N, 17, 192]`` and
  ``simcc_y [N, 17, 256]`` (2 bins per input pixel), sigmoid scores.
- **Loss**: per-bin binary cross-entropy against a Gaussian of peak 1 (sigma 2 bins) at the
  keypoint, all zeros for a keypoint the ground truth marks hidden, so the peak is the
  confidence; bins near the keypoint weigh more. The synthetic patient has no eyes or ears:
  COCO keypoints 1-4 carry no loss (the backend maps nose -> head and ignores them).
- **Export**: ONNX opset 17, input ``input [N, 3, 128, 96]`` (ImageNet mean/std, as MMPose's
  models and the backend's default), any batch size.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import av  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
from tqdm import tqdm  # noqa: E402

from inference.pose.joints import JOINT_INDEX  # noqa: E402
from inference.pose.keypoint_files import sidecar_path  # noqa: E402
from inference.pose.keypoints import KeypointTrack  # noqa: E402
from inference.pose.onnx_decode import COCO17_INDEX, NORMALISATIONS, crop, fallback_box, fix_aspect, keypoint_box  # noqa: E402
from inference.synth import SynthConfig, generate_recording  # noqa: E402
from inference.synth.seeds import _derive  # noqa: E402

W, H, R, K = 96, 128, 2, 17
SIGMA_BINS = 2.0
# COCO-17 left <-> right pairs, for flips.
FLIP = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]


def make_frames(out: Path, subjects: int, duration: float, seed: int, fps: float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Render the training set; returns frames uint8 [N, h, w, 3], COCO xy [N, 17, 2] and
    visibility [N, 17] (-1: no label, 0: hidden, 1: visible)."""
    frames, xys, vis = [], [], []
    cells = [(p, b) for p in ("ceiling", "corner", "foot") for b in (0.0, 1.0)]
    for i in tqdm(range(subjects), desc="render", unit="subject"):
        for placement, blanket in cells:
            cfg = SynthConfig(size=(320, 240), camera=placement, blanket=blanket, staff_probability=0.0)
            path = out / f"s{i:02d}_{placement}_{blanket:g}.mp4"
            generate_recording(path, f"sub{i:02d}", path.stem, _derive(seed, i, 1), cfg,
                               "focal" if i % 2 else "fbtc", duration_s=duration, eeg_onset_s=0.4 * duration,
                               subject_seed=_derive(seed, i, 2))
            truth = KeypointTrack.load(sidecar_path(path))
            with av.open(str(path)) as container:
                stream = container.streams.video[0]
                next_t = 0.0
                for frame in container.decode(stream):
                    t = float(frame.time or 0.0)
                    if t + 1e-6 < next_t:
                        continue
                    next_t += 1.0 / fps
                    row = int(np.argmin(np.abs(truth.times - t)))
                    xy = np.full((K, 2), np.nan, np.float32)
                    v = np.full(K, -1.0, np.float32)
                    for joint, c in COCO17_INDEX.items():
                        j = JOINT_INDEX[joint]
                        xy[c] = truth.xy[row, j]
                        v[c] = 1.0 if truth.conf[row, j] > 0 else 0.0
                    frames.append(frame.to_ndarray(format="rgb24"))
                    xys.append(xy)
                    vis.append(v)
            path.unlink()
    return np.stack(frames), np.stack(xys), np.stack(vis)


def sample_crop(rng: np.random.Generator, rgb: np.ndarray, xy: np.ndarray, vis: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One augmented training crop: uint8 [H, W, 3], keypoints in input pixels [17, 2], visibility."""
    fh, fw = rgb.shape[:2]
    aspect = W / H
    box = keypoint_box(xy, (vis > 0).astype(np.float32), (fw, fh), aspect, padding=1.25, confidence=0.5)
    if box is None or rng.random() < 0.1:
        box = fallback_box((fw, fh), aspect)
    else:
        s = rng.uniform(1.0, 1.6)
        cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
        w, h = box[2] * s, box[3] * s
        cx += rng.uniform(-0.12, 0.12) * w
        cy += rng.uniform(-0.12, 0.12) * h
        box = fix_aspect(np.array([cx - w / 2, cy - h / 2, w, h]), aspect)
    img = crop(rgb, box, (W, H))
    uv = (xy - box[:2]) * np.array([W / box[2], H / box[3]])
    vis = vis.copy()
    outside = ~((uv[:, 0] >= 0) & (uv[:, 0] < W) & (uv[:, 1] >= 0) & (uv[:, 1] < H))
    vis[(vis > 0) & outside] = 0.0
    if rng.random() < 0.5:
        img = img[:, ::-1]
        uv = np.stack([W - 1 - uv[:, 0], uv[:, 1]], axis=1)[FLIP]
        vis = vis[FLIP]
    img = np.clip(img.astype(np.float32) * rng.uniform(0.7, 1.3) + rng.uniform(-25, 25), 0, 255).astype(np.uint8)
    return img, uv.astype(np.float32), vis


class TinySimCC(nn.Module):
    """Strided convolutions to one 8x6 map per keypoint, flattened, then an MLP per axis."""

    def __init__(self, width: int = 48):
        super().__init__()
        chans = [3, width // 2, width, width * 2, width * 2, width * 3]
        layers: list[nn.Module] = []
        for a, b in zip(chans[:-1], chans[1:]):
            layers += [nn.Conv2d(a, b, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(b), nn.SiLU(),
                       nn.Conv2d(b, b, 3, padding=1, groups=b, bias=False), nn.BatchNorm2d(b), nn.SiLU()]
        self.body = nn.Sequential(*layers)
        self.to_keypoints = nn.Conv2d(chans[-1], K, 3, padding=1)
        cells = (H // 32) * (W // 32)
        self.mlp = nn.Sequential(nn.Linear(cells, 128), nn.SiLU())
        self.head_x = nn.Linear(128, W * R)
        self.head_y = nn.Linear(128, H * R)

    def logits(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.to_keypoints(self.body(x)).flatten(2)  # [N, K, cells]
        f = self.mlp(f)
        return self.head_x(f), self.head_y(f)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        lx, ly = self.logits(x)
        return torch.sigmoid(lx), torch.sigmoid(ly)


def targets(uv: torch.Tensor, vis: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gaussian bin targets (peak 1) per axis and the per-keypoint loss mask."""
    bx = torch.arange(W * R, dtype=torch.float32)
    by = torch.arange(H * R, dtype=torch.float32)
    u = torch.nan_to_num(uv[..., 0:1] * R, nan=-1e4)
    v = torch.nan_to_num(uv[..., 1:2] * R, nan=-1e4)
    tx = torch.exp(-((bx - u) ** 2) / (2 * SIGMA_BINS ** 2))
    ty = torch.exp(-((by - v) ** 2) / (2 * SIGMA_BINS ** 2))
    shown = (vis > 0).float()[..., None]
    return tx * shown, ty * shown, (vis >= 0).float()


def loss_fn(model: TinySimCC, x, uv, vis) -> torch.Tensor:
    lx, ly = model.logits(x)
    tx, ty, mask = targets(uv, vis)
    total = 0.0
    for logit, target in ((lx, tx), (ly, ty)):
        weight = 1.0 + 20.0 * target  # the few bins near the keypoint against the many far ones
        bce = nn.functional.binary_cross_entropy_with_logits(logit, target, weight=weight, reduction="none")
        total = total + (bce.mean(dim=2) * mask).sum() / mask.sum().clamp(min=1)
    return total


def to_input(imgs: np.ndarray) -> torch.Tensor:
    _, mean, std = NORMALISATIONS["imagenet"]
    x = (imgs.astype(np.float32) - np.array(mean, np.float32)) / np.array(std, np.float32)
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="tiny-pose.onnx")
    ap.add_argument("--subjects", type=int, default=8)
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--fps", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=9191, help="not the quality bench's seed (0)")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=48)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tiny-pose-") as tmp:
        frames, xys, vis = make_frames(Path(tmp), args.subjects, args.duration, args.seed, args.fps)
    print(f"{len(frames)} training frames rendered in {time.perf_counter() - t0:.0f} s", flush=True)
    model = TinySimCC()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=args.steps, pct_start=0.1)
    model.train()
    t1 = time.perf_counter()
    bar = tqdm(range(args.steps), desc="train", unit="step")
    for step in bar:
        idx = rng.integers(0, len(frames), args.batch)
        batch = [sample_crop(rng, frames[i], xys[i], vis[i]) for i in idx]
        x = to_input(np.stack([b[0] for b in batch]))
        uv = torch.from_numpy(np.stack([b[1] for b in batch]))
        v = torch.from_numpy(np.stack([b[2] for b in batch]))
        loss = loss_fn(model, x, uv, v)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 50 == 0:
            bar.set_postfix(loss=f"{loss.item():.4f}")
    print(f"trained {args.steps} steps in {time.perf_counter() - t1:.0f} s; last loss {loss.item():.4f}", flush=True)
    model.eval()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(model, (torch.zeros(1, 3, H, W),), str(out), dynamo=False, opset_version=17,
                      input_names=["input"], output_names=["simcc_x", "simcc_y"],
                      dynamic_axes={"input": {0: "N"}, "simcc_x": {0: "N"}, "simcc_y": {0: "N"}})
    n_params = sum(p.numel() for p in model.parameters())
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB, {n_params / 1e6:.2f} M parameters, "
          f"input 1x3x{H}x{W}, simcc_x 1x{K}x{W * R}, simcc_y 1x{K}x{H * R})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Detector forward throughput in windows per second (random weights; no download).

A window = 14 joint clips of 30 frames. CPU: `tiny` (32 px) and `vivit-b` (224 px, 30 frames
resampled to the encoder's 32). GPU (when present): `vivit-b` in frozen mode under bf16
autocast, plus `tiny`. Prints one line per configuration.

    python bench/bench_detector.py [--repeats N] [--vivit-batch B] [--skip-vivit-cpu]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

from inference.core.device import choose_device  # noqa: E402
from inference.detector.clips import to_float  # noqa: E402
from inference.detector.finetune_modes import apply_mode, parameter_counts  # noqa: E402
from inference.detector.model import CrossJointDetector, preset_config  # noqa: E402


def bench(model, batch: int, size: int, device, repeats: int) -> float:
    g = torch.Generator().manual_seed(0)
    clips = torch.randint(0, 256, (batch, 14, 30, 3, size, size), dtype=torch.uint8, generator=g)
    pos = torch.rand(batch, 14, 30, 3, generator=g)
    mask = torch.ones(batch, 14, dtype=torch.bool)
    dev = device.torch_device()
    clips, pos, mask = clips.to(dev), pos.to(dev), mask.to(dev)
    model.to(dev).eval()
    with torch.no_grad(), device.autocast():
        model(to_float(clips), pos, mask)  # warm-up
        if device.is_cuda:
            torch.cuda.synchronize()
        t = time.perf_counter()
        for _ in range(repeats):
            model(to_float(clips), pos, mask)
        if device.is_cuda:
            torch.cuda.synchronize()
    return batch * repeats / (time.perf_counter() - t)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--vivit-batch", type=int, default=1)
    ap.add_argument("--skip-vivit-cpu", action="store_true", help="vivit-b on CPU takes minutes per window")
    args = ap.parse_args()
    torch.manual_seed(0)
    cpu = choose_device("cpu")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, os.cpu_count()={os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    tiny = apply_mode(CrossJointDetector(preset_config("tiny")), "full")
    print(f"tiny    full    CPU  batch 16: {bench(tiny, 16, 32, cpu, args.repeats):8.2f} windows/s "
          f"({parameter_counts(tiny)[1]:,} parameters)")
    vivit = apply_mode(CrossJointDetector(preset_config("vivit-b")), "frozen")
    if not args.skip_vivit_cpu:
        print(f"vivit-b frozen  CPU  batch {args.vivit_batch}: "
              f"{bench(vivit, args.vivit_batch, 224, cpu, 1):8.3f} windows/s ({parameter_counts(vivit)[1]:,} parameters)")
    if torch.cuda.is_available():
        gpu = choose_device("cuda")
        name = torch.cuda.get_device_name(0)
        for b in (8, 32):
            print(f"vivit-b frozen  GPU  batch {b} ({name}, {gpu.autocast_dtype} autocast): "
                  f"{bench(vivit, b, 224, gpu, args.repeats):8.2f} windows/s")
        print(f"tiny    full    GPU  batch 256 ({name}): {bench(tiny, 256, 32, gpu, args.repeats):8.1f} windows/s")
    else:
        print("GPU: no GPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())

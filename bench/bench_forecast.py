"""Forecasting benchmark and acceptance experiment.

Default: pre-training throughput (clips/s, whole loop including decoding and resizing) for the
``tiny`` preset on the CPU, with 1 and with all torch threads; the ``base`` preset on a GPU when
one is present ("no GPU here" otherwise).

``--acceptance DIR``: the issue's acceptance check on synthetic data, ``tiny`` on the CPU:
synthetic EMU recordings with a prodrome (evaluation subjects), synthetic rodent seizure/normal
corpora plus human interictal clips from *other* synthetic subjects (pre-training corpora),
domain pre-training, then the N-shot protocol (pre-trained + fine-tuned vs the same model without
pre-training, linear probe, zero-shot) once per head pooling (``--pooling``). Writes
DIR/report-<pooling>/evaluation.md/json. The defaults (motion pooling, 600 pre-training steps at lr
1e-3, fine-tuning 20 epochs at encoder lr 1e-3 / head lr 1e-2) were chosen by
``bench/forecast_dev_grid.py`` on a dev set made with seed 1 (other subjects and pre-training
corpora); the acceptance uses ``--seed 0``.

    python bench/bench_forecast.py
    python bench/bench_forecast.py --acceptance /tmp/fc_accept
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from inference.core.device import torch_threads  # noqa: E402
from inference.dataset.manifest import load_manifest  # noqa: E402
from inference.forecast.corpora import scan_corpus  # noqa: E402
from inference.forecast.fewshot import FewShotConfig, evaluate_fewshot  # noqa: E402
from inference.forecast.labels import ForecastLabelConfig, label_counts, manifest_clips  # noqa: E402
from inference.forecast.pretrain import PretrainConfig, pretrain  # noqa: E402
from inference.forecast.report import write_report  # noqa: E402
from inference.synth import SynthConfig, generate_animal_corpus, generate_dataset  # noqa: E402
from inference.video.reader import VideoReader  # noqa: E402
from inference.video.writer import VideoWriter, write_video  # noqa: E402

FEWSHOT_DEFAULTS = FewShotConfig()
# Pre-training steps of the acceptance run, chosen on the dev set (--seed 1) with the fine-tuning
# defaults of FewShotConfig; see README "Forecasting acceptance".
ACCEPTANCE_PRETRAIN_STEPS = 600


def _toy_corpora(root: Path, size: int = 96, fps: float = 15.0) -> list:
    """Two small corpora of moving-block clips (10 s each) written with the project's writer."""
    rng = np.random.default_rng(0)
    out = []
    for name in ("a", "b"):
        for i in range(3):
            frames = []
            for k in range(int(10 * fps)):
                f = np.full((size, size, 3), 40, np.uint8)
                x = int(size / 3 + size / 4 * np.sin(k / 5 + i))
                f[20:50, x:x + 20] = rng.integers(90, 250)
                frames.append(f)
            write_video(root / name / f"c{i}.mp4", frames, fps=fps)
        out.append(scan_corpus(name, root / name))
    return out


def bench_pretrain(preset: str, steps: int, batch: int, threads: int | None, device: str) -> dict:
    """Pre-training throughput with ``threads`` torch threads (None: torch's default)."""
    with torch_threads(threads or 0), tempfile.TemporaryDirectory() as tmp:
        used_threads = torch.get_num_threads()
        corpora = _toy_corpora(Path(tmp) / "corpora")
        # Warm-up run (imports, first-call kernels), then the timed run.
        pretrain(Path(tmp) / "warm", corpora, PretrainConfig(preset=preset, steps=2, batch_size=batch, device=device))
        t0 = time.perf_counter()
        info = pretrain(Path(tmp) / "run", corpora, PretrainConfig(preset=preset, steps=steps, batch_size=batch,
                                                                  checkpoint_every=10**9, device=device))
        wall = time.perf_counter() - t0
    return {"preset": preset, "device": device, "threads": used_threads,
            "steps": steps, "batch": batch, "clips_per_s": steps * batch / wall, "wall_s": wall,
            "image_size": info["videomae_config"]["image_size"], "final_loss": info["final_loss"]}


# -- acceptance --------------------------------------------------------------------------------

def _interictal_clips(manifest_path: Path, out: Path, clip_s: float, guard_s: float) -> int:
    """Cut the stretch before (EEG onset - guard) of each recording into clip files."""
    n = 0
    for rec in load_manifest(manifest_path):
        limit = min([min(s.eeg_onset_s, s.clinical_onset_s) for s in rec.seizures] or [1e9]) - guard_s
        with VideoReader(rec.video) as r:
            limit = min(limit, r.index.end_s)
            w, h = r.meta.width, r.meta.height
            for start in np.arange(0.0, limit - clip_s + 1e-6, clip_s):
                times, frames = r.index.sample(r.meta.fps, start, start + clip_s)
                with VideoWriter(out / f"{rec.recording_id}_{int(start):04d}.mp4", fps=r.meta.fps, size=(w, h)) as wr:
                    for k, (_, rgb) in enumerate(r.iter_frames(frames)):
                        wr.write(rgb)
                n += 1
    return n


def make_acceptance_data(root: Path, n_subjects: int, n_animal: int, seed: int, size=(224, 168), fps: float = 15.0,
                         night_fraction: float = 0.0):
    cfg = SynthConfig(size=size, fps=fps, recordings_per_subject=(1, 1), duration_s=(100.0, 140.0),
                      prodrome=True, staff_probability=0.3, night_fraction=night_fraction)
    t0 = time.perf_counter()
    if not (root / "eval" / "manifest.csv").is_file():
        generate_dataset(root / "eval", n_subjects, seed=seed, config=cfg)
    if not (root / "human_src" / "manifest.csv").is_file():
        generate_dataset(root / "human_src", max(4, n_subjects // 2), seed=seed + 1000, config=cfg)
    human = root / "corpora" / "human_interictal"
    if not human.is_dir():
        _interictal_clips(root / "human_src" / "manifest.csv", human, 5.0, 15.0)
    for kind in ("seizure", "normal"):
        folder = root / "corpora" / f"rodent_{kind}"
        if not (folder / "corpus.json").is_file():
            generate_animal_corpus(folder, n_animal, kind=kind, seed=seed, clip_s=10.0, size=(size[1], size[1]), fps=fps)
    print(f"data ready in {time.perf_counter() - t0:.0f} s", file=sys.stderr)


def run_acceptance(root: Path, steps: int, draws: int, batch: int, seed: int, image_size: int,
                   frame_stride: int, lr: float = 1e-3, poolings=(FEWSHOT_DEFAULTS.pooling,),
                   recipe: dict | None = None) -> dict[str, dict]:
    """Pre-train once, then the N-shot table for each head pooling -> {pooling: report}
    (written to DIR/report-<pooling>/). ``recipe`` overrides FewShotConfig fields (epochs, lr_encoder, lr_head)."""
    corpora = [scan_corpus(n, root / "corpora" / n) for n in ("rodent_seizure", "rodent_normal", "human_interictal")]
    t0 = time.perf_counter()
    pre = pretrain(root / "pretrained", corpora, PretrainConfig(preset="tiny", steps=steps, batch_size=batch,
                                                                seed=seed, device="cpu", image_size=image_size,
                                                                frame_stride=frame_stride, lr=lr),
                   log=lambda s: print(s, file=sys.stderr))
    t_pre = time.perf_counter() - t0
    label_cfg = ForecastLabelConfig(clip_s=5.0, horizon_s=5.0, guard_s=15.0, negative_stride_s=2.5)
    clips = manifest_clips(load_manifest(root / "eval" / "manifest.csv"), label_cfg)
    print(f"labelled clips: {label_counts(clips)}", file=sys.stderr)
    reports = {}
    for pooling in poolings:
        t0 = time.perf_counter()
        print(f"head pooling: {pooling}", file=sys.stderr)
        rep = evaluate_fewshot(root / "pretrained", clips, FewShotConfig(draws=draws, seed=seed, device="cpu",
                                                                         pooling=pooling, **(recipe or {})),
                               log=lambda s: print(s, file=sys.stderr))
        rep["labels"] = label_cfg.to_dict()
        rep["timing_s"] = {"pretrain": t_pre, "evaluate": time.perf_counter() - t0}
        write_report(root / f"report-{pooling}", rep)
        reports[pooling] = rep
    return reports


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=None,
                    help=f"pre-training steps: timed steps (default 20), or for --acceptance the steps chosen on the "
                         f"dev set (default {ACCEPTANCE_PRETRAIN_STEPS})")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--acceptance", metavar="DIR", help="run the acceptance experiment in DIR (reuses its data)")
    ap.add_argument("--subjects", type=int, default=12)
    ap.add_argument("--animal-clips", type=int, default=40)
    ap.add_argument("--draws", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0,
                    help="seed of the synthetic data, pre-training and draws (acceptance: 0; the dev set that chose "
                         "the defaults used 1)")
    ap.add_argument("--data-only", action="store_true")
    ap.add_argument("--size", default="224x168", help="synthetic video size WxH (acceptance)")
    ap.add_argument("--night-fraction", type=float, default=0.0)
    ap.add_argument("--image-size", type=int, default=96, help="tiny model input size (acceptance)")
    ap.add_argument("--lr", type=float, default=1e-3,
                    help="pre-training learning rate (acceptance): the randomly initialised tiny model barely moves "
                         "at the paper's 1e-4 (meant for continuing from videomae-base) in a CPU budget of steps")
    ap.add_argument("--pooling", nargs="+", default=[FEWSHOT_DEFAULTS.pooling], choices=("mean", "motion", "mean+motion"),
                    help=f"head poolings to evaluate after one pre-training (acceptance; default "
                         f"{FEWSHOT_DEFAULTS.pooling}, chosen on the dev set)")
    ap.add_argument("--epochs", type=int, default=FEWSHOT_DEFAULTS.epochs, help="fine-tuning epochs (acceptance)")
    ap.add_argument("--lr-encoder", type=float, default=FEWSHOT_DEFAULTS.lr_encoder,
                    help="fine-tuning learning rate of the encoder (acceptance)")
    ap.add_argument("--lr-head", type=float, default=FEWSHOT_DEFAULTS.lr_head,
                    help="fine-tuning learning rate of the head (acceptance)")
    ap.add_argument("--frame-stride", type=int, default=4,
                    help="pre-training frame stride (acceptance: 4 at 15 fps spans ~4 s, like the 5 s clips)")
    args = ap.parse_args()
    if args.acceptance:
        root = Path(args.acceptance)
        w, h = (int(v) for v in args.size.split("x"))
        make_acceptance_data(root, args.subjects, args.animal_clips, args.seed, (w, h), night_fraction=args.night_fraction)
        if args.data_only:
            return 0
        reports = run_acceptance(root, args.steps or ACCEPTANCE_PRETRAIN_STEPS, args.draws, args.batch, args.seed,
                                 args.image_size, args.frame_stride, args.lr, tuple(args.pooling),
                                 {"epochs": args.epochs, "lr_encoder": args.lr_encoder, "lr_head": args.lr_head})
        for pooling, rep in reports.items():
            print(f"head pooling {pooling} (ROC-AUC 4-shot mean +- sd over draws, and averaged over N = 2, 3, 4):")
            for m, r in rep["methods"].items():
                four, avg = r["per_n"]["4"], r["average"]
                print(f"  {m:22s} 4-shot {four['roc_auc']:.3f} +- {four['roc_auc_sd']:.3f}   avg roc_auc "
                      f"{avg['roc_auc']:.3f}  bacc {avg['bacc']:.3f}  pr_auc {avg['pr_auc']:.3f}")
            print(f"  report: {root / f'report-{pooling}' / 'evaluation.md'}")
        return 0

    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} CPU cores, load average {load:.1f}; torch {torch.__version__}")
    for threads in (1, None):
        r = bench_pretrain("tiny", args.steps or 20, args.batch, threads, "cpu")
        print(f"pretrain tiny ({r['image_size']} px, 16 frames, batch {r['batch']}) on CPU, {r['threads']} thread(s): "
              f"{r['clips_per_s']:.1f} clips/s ({r['steps']} steps in {r['wall_s']:.1f} s)")
    if torch.cuda.is_available():
        r = bench_pretrain("base", args.steps or 20, args.batch, None, "cuda")
        print(f"pretrain base (224 px, bf16, gradient checkpointing) on {torch.cuda.get_device_name()}: "
              f"{r['clips_per_s']:.1f} clips/s")
    else:
        print("pretrain base on GPU: no GPU here")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Choose the forecasting defaults on a *dev* set, never on the acceptance subjects.

The dev set is the acceptance experiment's data made with another seed (``--data-seed 1``: other
subjects, other pre-training corpora; ``bench_forecast.make_acceptance_data``). The grid:

- head pooling: ``mean`` / ``motion`` / ``mean+motion``;
- encoder: no pre-training (``none``, the pre-training's random start) or domain pre-training
  stopped after each of ``--checkpoints`` steps (one resumed run, copied at each count);
- fine-tuning recipe ``epochs:encoder_lr:head_lr``, plus the frozen linear probe;

each scored as 4-shot ROC-AUC, mean over ``--draws`` draws, with the same draw sampling and
per-draw seeds as ``evaluate_fewshot``. The choice rule: the highest pre-trained + fine-tuned
ROC-AUC; results within ``--tie`` of it count as equal and the cheapest wins (fewer pre-training
steps, then fewer epochs). Writes DIR/dev_grid.md and DIR/dev_grid.jsonl.

    python bench/forecast_dev_grid.py /tmp/fc_dev          # ~4 min data, ~5 min pre-training, ~20 min grid
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from bench_forecast import make_acceptance_data  # noqa: E402

from inference.dataset.manifest import load_manifest  # noqa: E402
from inference.forecast.corpora import scan_corpus  # noqa: E402
from inference.forecast.fewshot import (  # noqa: E402
    FewShotConfig,
    baseline_encoder,
    binary_metrics,
    encode_features,
    load_clip_bank,
    predict_probs,
    readable_clips,
    sample_shots,
    train_classifier,
    train_probe,
)
from inference.forecast.fewshot import draw_seed as fewshot_draw_seed  # noqa: E402
from inference.forecast.labels import ForecastLabelConfig, manifest_clips  # noqa: E402
from inference.forecast.model import load_encoder  # noqa: E402
from inference.forecast.pretrain import PretrainConfig, pretrain  # noqa: E402

CORPORA = ("rodent_seizure", "rodent_normal", "human_interictal")


def pretrain_checkpoints(root: Path, steps: list[int], lr: float, seed: int, image_size: int, frame_stride: int,
                         batch: int) -> dict[str, Path]:
    """One pre-training run, resumed to each step count and copied -> {"p<steps>": folder}."""
    corpora = [scan_corpus(n, root / "corpora" / n) for n in CORPORA]
    work = root / f"pre_lr{lr:g}"
    out = {}
    for n in sorted(steps):
        dst = root / f"p{n}_lr{lr:g}"
        if not (dst / "forecast.json").is_file():
            pretrain(work, corpora, PretrainConfig(preset="tiny", steps=n, batch_size=batch, seed=seed, device="cpu",
                                                   image_size=image_size, frame_stride=frame_stride, lr=lr),
                     log=lambda s: print(s, file=sys.stderr))
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(work, dst)
        out[f"p{n}"] = dst
    return out


def run_grid(root: Path, ckpts: dict[str, Path], poolings: list[str], recipes: list[tuple[int, float, float]],
             shots: int, draws: int, draw_seed: int) -> list[dict]:
    label_cfg = ForecastLabelConfig(clip_s=5.0, horizon_s=5.0, guard_s=15.0, negative_stride_s=2.5)
    clips, _ = readable_clips(manifest_clips(load_manifest(root / "eval" / "manifest.csv"), label_cfg))
    shot_draws = [sample_shots(clips, shots, draw_seed, r) for r in range(draws)]
    needed = sorted({i for d in shot_draws for i in d.train + d.test})
    encoders = {name: load_encoder(path) for name, path in ckpts.items()}
    first_info = next(iter(encoders.values()))[1]
    vcfg = next(iter(encoders.values()))[0].config
    t0 = time.perf_counter()
    bank = load_clip_bank([clips[i] for i in needed], vcfg.num_frames, vcfg.image_size)
    print(f"{len(needed)} clips decoded in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    pos_of = {i: k for k, i in enumerate(needed)}
    y = np.array([clips[i].label for i in needed], dtype=int)

    def split(d):
        return np.array([pos_of[i] for i in d.train]), np.array([pos_of[i] for i in d.test])

    rows = []

    def emit(row: dict, aucs: list[float]) -> None:
        row.update(aucs=[round(a, 4) for a in aucs], mean=float(np.mean(aucs)), sd=float(np.std(aucs, ddof=1)))
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)

    for pooling in poolings:
        for name, (enc, _) in encoders.items():
            cfg = FewShotConfig(pooling=pooling, device="cpu")
            feats = encode_features(enc, bank, pooling=pooling)
            aucs = []
            for d in shot_draws:
                tr, te = split(d)
                probe = train_probe(feats[tr], y[tr], cfg, fewshot_draw_seed(draw_seed, d), feats.shape[1])
                aucs.append(binary_metrics(y[te], probe(feats[te]))["roc_auc"])
            emit({"pooling": pooling, "encoder": name, "recipe": "frozen (linear probe)"}, aucs)
        for epochs, lr_enc, lr_head in recipes:
            cfg = FewShotConfig(pooling=pooling, device="cpu", epochs=epochs, lr_encoder=lr_enc, lr_head=lr_head)
            for name in ["none", *encoders]:
                aucs = []
                for d in shot_draws:
                    tr, te = split(d)
                    seed = fewshot_draw_seed(draw_seed, d)
                    enc = baseline_encoder(first_info, seed)[0] if name == "none" else encoders[name][0]
                    p = predict_probs(train_classifier(enc, bank[tr], y[tr], cfg, seed), bank[te])
                    aucs.append(binary_metrics(y[te], p)["roc_auc"])
                emit({"pooling": pooling, "encoder": name, "recipe": f"{epochs} ep / {lr_enc:g} / {lr_head:g}",
                      "epochs": epochs, "lr_encoder": lr_enc, "lr_head": lr_head}, aucs)
    return rows


def choose(rows: list[dict], tie: float) -> dict:
    """Highest pre-trained + fine-tuned ROC-AUC; within ``tie`` of it, the cheapest."""
    tuned = [r for r in rows if r["encoder"] != "none" and "epochs" in r]
    best = max(r["mean"] for r in tuned)
    close = [r for r in tuned if r["mean"] >= best - tie]
    return min(close, key=lambda r: (int(r["encoder"][1:]), r["epochs"], -r["mean"]))


def write_markdown(path: Path, rows: list[dict], pick: dict, args) -> None:
    lines = [f"# Forecasting dev grid (data seed {args.data_seed}, {args.shots}-shot, {args.draws} draws, "
             f"draw seed {args.draw_seed})", "",
             f"Pre-training: tiny, {args.image_size} px, lr {args.lr:g}, frame stride {args.frame_stride}, seed "
             f"{args.data_seed}; `pN` = stopped after N steps, `none` = no pre-training (random start). "
             "Recipe = epochs / encoder lr / head lr.", "",
             "| pooling | encoder | recipe | ROC-AUC mean | sd | per draw |", "|---|---|---|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {r['pooling']} | {r['encoder']} | {r['recipe']} | {r['mean']:.3f} | {r['sd']:.3f} | "
                     + " ".join(f"{a:.2f}" for a in r["aucs"]) + " |")
    lines += ["", f"Choice (highest pre-trained + fine-tuned ROC-AUC, ties within {args.tie:g} -> cheapest): "
              f"pooling **{pick['pooling']}**, pre-training **{pick['encoder'][1:]} steps**, fine-tuning "
              f"**{pick['recipe']}** (ROC-AUC {pick['mean']:.3f})."]
    path.write_text("\n".join(lines) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", type=Path, help="dev folder (data, checkpoints and the grid are kept and reused)")
    ap.add_argument("--data-seed", type=int, default=1, help="seed of the dev data and pre-training (acceptance: 0)")
    ap.add_argument("--draw-seed", type=int, default=0, help="seed of the few-shot draws")
    ap.add_argument("--subjects", type=int, default=12)
    ap.add_argument("--animal-clips", type=int, default=40)
    ap.add_argument("--size", default="224x168")
    ap.add_argument("--checkpoints", default="300,600,1500", help="pre-training step counts to compare")
    ap.add_argument("--lr", type=float, default=1e-3, help="pre-training learning rate")
    ap.add_argument("--image-size", type=int, default=96)
    ap.add_argument("--frame-stride", type=int, default=4)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--poolings", default="mean,motion,mean+motion")
    ap.add_argument("--recipes", default="20:1e-4:1e-2,20:1e-3:1e-2,50:1e-3:1e-2",
                    help="fine-tuning recipes epochs:encoder_lr:head_lr, comma-separated")
    ap.add_argument("--shots", type=int, default=4)
    ap.add_argument("--draws", type=int, default=5)
    ap.add_argument("--tie", type=float, default=0.005, help="ROC-AUC differences below this count as ties")
    args = ap.parse_args()

    w, h = (int(v) for v in args.size.split("x"))
    make_acceptance_data(args.dir, args.subjects, args.animal_clips, args.data_seed, (w, h))
    t0 = time.perf_counter()
    ckpts = pretrain_checkpoints(args.dir, [int(s) for s in args.checkpoints.split(",")], args.lr, args.data_seed,
                                 args.image_size, args.frame_stride, args.batch)
    print(f"pre-training ready in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    recipes = [(int(e), float(a), float(b)) for e, a, b in (r.split(":") for r in args.recipes.split(","))]
    t0 = time.perf_counter()
    rows = run_grid(args.dir, ckpts, args.poolings.split(","), recipes, args.shots, args.draws, args.draw_seed)
    pick = choose(rows, args.tie)
    with open(args.dir / "dev_grid.jsonl", "w") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in rows)
    write_markdown(args.dir / "dev_grid.md", rows, pick, args)
    print((args.dir / "dev_grid.md").read_text())
    print(f"grid: {len(rows)} rows in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Domain pre-training: VideoMAE masked reconstruction with tube masking on mixed corpora.

The output folder is a ``pretrained`` forecast model folder (see ``model``): it is written every
``checkpoint_every`` steps, at the end, and when cancelled, so a run resumes from where it
stopped (same configuration required). Files: ``forecast.json``, ``encoder.safetensors`` (the
export for fine-tuning), ``pretrain_model.safetensors``, ``pretrain_state.safetensors`` +
``pretrain_state.json`` (optimiser moments and step; no pickles), ``pretrain_log.txt`` (run log
naming each corpus's share) and ``train_log.jsonl`` (loss per step).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import numpy as np

from inference.core.atomic import atomic_write_json
from inference.core.config import DictMixin
from inference.core.device import choose_device
from inference.core.errors import CheckpointError
from inference.core.progress import CancelToken, ProgressFn, check_cancel, no_progress
from inference.detector.checkpoint import load_tensors, save_tensors
from inference.forecast.corpora import Corpus, MixedClips, mix_summary, mix_weights, normalise_clips
from inference.forecast.masking import mask_for_config
from inference.forecast.model import (
    ENCODER_FILE,
    FORECAST_JSON,
    KIND_PRETRAINED,
    PRETRAIN_FILE,
    load_pretraining_model,
    load_state_into,
    new_pretraining_model,
    preset_config,
    save_state,
    write_forecast_json,
)

STATE_FILE = "pretrain_state.safetensors"
STATE_JSON = "pretrain_state.json"
LOG_FILE = "pretrain_log.txt"
LOSS_LOG = "train_log.jsonl"

# Settings that must match for a run to resume.
_RESUME_KEYS = ("preset", "init_dir", "image_size", "num_frames", "frame_stride", "mask_ratio", "batch_size",
                "seed", "mix")


@dataclass(frozen=True)
class PretrainConfig(DictMixin):
    """Pre-training settings (paper: Adam, lr 1e-4, 16 frames at stride 2, mask ratio 0.3)."""

    preset: str = "tiny"  # tiny | base (ignored when init_dir is given)
    init_dir: str = ""  # local VideoMAE folder (MCG-NJU/videomae-base layout) to start from
    image_size: int = 0  # 0 = the preset's size
    num_frames: int = 16
    frame_stride: int = 2
    mask_ratio: float = 0.3
    segment_s: float = 10.0  # long corpus videos are cut into segments of this length
    batch_size: int = 8
    steps: int = 200
    lr: float = 1e-4
    weight_decay: float = 0.0
    warmup_steps: int = 10
    grad_checkpointing: str = "auto"  # auto (on GPU) | on | off
    checkpoint_every: int = 50
    seed: int = 0
    num_workers: int = 0
    device: str = "auto"
    mix: dict = field(default_factory=dict)  # corpus name -> weight (equal by default)


def _build_model(cfg: PretrainConfig):
    if cfg.init_dir:
        model = load_pretraining_model(cfg.init_dir)
        if cfg.image_size and cfg.image_size != model.config.image_size:
            raise CheckpointError(cfg.init_dir, f"its image size is {model.config.image_size}; "
                                                f"--image-size {cfg.image_size} cannot change it")
        return model, {"kind": "folder", "path": str(Path(cfg.init_dir).resolve())}
    vcfg = preset_config(cfg.preset, image_size=cfg.image_size or None, num_frames=cfg.num_frames)
    return new_pretraining_model(vcfg, cfg.seed), {"kind": "random", "preset": cfg.preset, "seed": cfg.seed}


def save_optimizer(path: Path, opt) -> dict[str, Any]:
    """Adam moments as safetensors; returns the JSON-able rest (param groups)."""
    import torch  # torch is heavy (seconds to import): loaded only when a model runs

    sd = opt.state_dict()
    tensors = {f"{i}.{k}": v for i, st in sd["state"].items() for k, v in st.items() if torch.is_tensor(v)}
    save_tensors(path, tensors, {"format": "semioscope.forecast.optimizer"})
    return {"param_groups": sd["param_groups"]}


def load_optimizer(path: Path, opt, rest: dict[str, Any]) -> None:
    tensors, _ = load_tensors(path)
    state: dict[int, dict[str, Any]] = {}
    for key, v in tensors.items():
        i, _, name = key.partition(".")
        state.setdefault(int(i), {})[name] = v
    try:
        opt.load_state_dict({"state": state, "param_groups": rest["param_groups"]})
    except (ValueError, KeyError) as exc:
        raise CheckpointError(path, f"optimiser state does not fit the model ({exc})") from None


def _resume_view(cfg: PretrainConfig) -> dict[str, Any]:
    d = cfg.to_dict()
    return {k: d[k] for k in _RESUME_KEYS}


def pretrain(out_dir: str | Path, corpora: Sequence[Corpus], cfg: PretrainConfig = PretrainConfig(),
             progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None,
             log: Optional[Callable[[str], None]] = None) -> dict[str, Any]:
    """Pre-train (or resume) into ``out_dir``; returns the summary stored in forecast.json."""
    import torch  # torch is heavy (seconds to import): loaded only when a model runs
    from torch.utils.data import DataLoader  # torch is heavy (seconds to import): loaded only when a model runs

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    progress = progress or no_progress
    log_fh = open(out / LOG_FILE, "a", encoding="utf-8")

    def say(line: str) -> None:
        log_fh.write(line + "\n")
        log_fh.flush()
        if log:
            log(line)

    try:
        device = choose_device(cfg.device)
        model, init = _build_model(cfg)
        vcfg = model.config
        weights = mix_weights(corpora, cfg.mix)
        shares = mix_summary(corpora, weights)
        opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        start_step, drawn, losses = 0, np.zeros(len(corpora), dtype=np.int64), []
        state_json = out / STATE_JSON
        if state_json.is_file():
            st = json.loads(state_json.read_text("utf-8"))
            if st.get("resume_view") != _resume_view(cfg):
                raise CheckpointError(state_json, "an earlier run with different settings is in this folder "
                                                  f"(was {st.get('resume_view')}); use another --out folder")
            load_state_into(model, out / PRETRAIN_FILE)
            load_optimizer(out / STATE_FILE, opt, st["optimizer"])
            start_step = int(st["step"])
            drawn = np.asarray(st.get("drawn", drawn.tolist()), dtype=np.int64)
            if len(drawn) != len(corpora):
                raise CheckpointError(state_json, f"was run on {len(drawn)} corpora, now given {len(corpora)}")
            say(f"resuming at step {start_step} of {cfg.steps}")
        model.to(device.torch_device()).train()
        use_gc = cfg.grad_checkpointing == "on" or (cfg.grad_checkpointing == "auto" and device.is_cuda)
        if use_gc:
            model.gradient_checkpointing_enable()
        n_params = sum(p.numel() for p in model.parameters())
        say(f"pre-training VideoMAE ({init}, {n_params / 1e6:.2f} M parameters, {vcfg.image_size} px, "
            f"{vcfg.num_frames} frames at stride {cfg.frame_stride}, tube mask ratio {cfg.mask_ratio}) on {device.name}"
            f"{f' with {device.autocast_dtype} autocast' if device.autocast_dtype else ' in float32'}{', gradient checkpointing' if use_gc else ''}")
        for s in shares:
            say(f"corpus {s['name']}: {s['clips']} clips from {s['folder']}, share {100 * s['share']:.1f}% of samples"
                + (f" ({s['skipped_files']} unreadable files skipped)" if s["skipped_files"] else ""))

        data = MixedClips(corpora, weights, vcfg.image_size, vcfg.num_frames, cfg.frame_stride, cfg.seed,
                          length=cfg.steps * cfg.batch_size)
        loader = DataLoader(data, batch_size=cfg.batch_size, sampler=range(start_step * cfg.batch_size,
                                                                             cfg.steps * cfg.batch_size),
                            num_workers=cfg.num_workers, drop_last=True)
        dev = device.torch_device()

        def checkpoint(step: int) -> None:
            save_state(out / PRETRAIN_FILE, model, "pretrain")
            save_state(out / ENCODER_FILE, model.videomae, "encoder")
            rest = save_optimizer(out / STATE_FILE, opt)
            atomic_write_json(state_json, {"step": step, "resume_view": _resume_view(cfg), "optimizer": rest,
                                           "drawn": drawn.tolist()})
            write_forecast_json(out, KIND_PRETRAINED, vcfg, {
                "pretrain": cfg.to_dict(), "init": init, "steps_done": step,
                "corpora": [dict(s, drawn=int(d)) for s, d in zip(shares, drawn)],
                "final_loss": float(np.mean(losses[-10:])) if losses else None,
                "input": {"num_frames": vcfg.num_frames, "frame_stride": cfg.frame_stride,
                          "image_size": vcfg.image_size, "normalisation": "imagenet"},
            })

        step, t0 = start_step, time.perf_counter()
        with open(out / LOSS_LOG, "a", encoding="utf-8") as loss_fh:
            progress(step, cfg.steps, "")
            try:
                for clips, corpus_idx in loader:
                    check_cancel(cancel)
                    lr = cfg.lr * min(1.0, (step + 1) / max(1, cfg.warmup_steps))
                    for g in opt.param_groups:
                        g["lr"] = lr
                    gen = torch.Generator().manual_seed(cfg.seed * 1_000_003 + step)
                    mask = mask_for_config(vcfg, len(clips), cfg.mask_ratio, gen).to(dev)
                    pixels = normalise_clips(clips.to(dev))
                    with device.autocast():
                        loss = model(pixel_values=pixels, bool_masked_pos=mask).loss
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    drawn += np.bincount(corpus_idx.numpy(), minlength=len(corpora))
                    step += 1
                    losses.append(float(loss.detach()))
                    loss_fh.write(json.dumps({"step": step, "loss": losses[-1], "lr": lr}) + "\n")
                    loss_fh.flush()
                    progress(step, cfg.steps, f"loss {losses[-1]:.4f}")
                    if step % cfg.checkpoint_every == 0 and step < cfg.steps:
                        checkpoint(step)
            finally:
                checkpoint(step)  # also when cancelled: the run resumes from here
        elapsed = time.perf_counter() - t0
        done = step - start_step
        say(f"done: step {step} of {cfg.steps}, {done * cfg.batch_size / max(elapsed, 1e-9):.2f} clips/s, "
            f"final loss {np.mean(losses[-10:]) if losses else float('nan'):.4f}")
        say("samples drawn: " + ", ".join(f"{c.name} {int(d)} ({100 * d / max(1, drawn.sum()):.1f}%)"
                                            for c, d in zip(corpora, drawn)))
        return json.loads((out / FORECAST_JSON).read_text("utf-8"))
    finally:
        log_fh.close()

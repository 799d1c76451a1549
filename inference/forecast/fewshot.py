"""Few-shot protocol: N-shot draws without subject leakage, fine-tuning, linear probing, zero-shot.

- **Draws.** For N shots and draw r, ``np.random.default_rng((seed, N, r))`` shuffles the
  subjects; N positives and N negatives are taken round-robin over that order (one clip per
  subject per turn, so shots come from as many subjects as possible). The test set is every clip
  of the subjects that gave no shot, so no subject is in both.
- **Methods** (one table):
  ``pretrained+finetune``: the domain pre-trained encoder, fully fine-tuned with the head;
  ``no-pretrain+finetune``: the same architecture from the pre-training's starting point
  (random initialisation with the draw's seed, or the local base folder it started from);
  ``linear-probe``: pre-trained encoder frozen, only the head trained;
  ``zero-shot``: no labels at all: the pre-trained masked autoencoder's reconstruction error
  (mean over ``zero_shot_masks`` fixed tube masks), higher error = more likely pre-ictal, mapped
  to a probability by its rank among all evaluated clips (so 0.5 is the median).
- **Head.** The pooled patch tokens (``pooling``: ``motion`` by default, or ``mean`` /
  ``mean+motion``, see ``model``), LayerNorm, one linear layer (``model.make_classifier``); BCE for
  ``epochs`` (20) full-batch epochs, AdamW, encoder lr 1e-3, head lr 1e-2. These defaults were
  chosen on a separate dev set (synthetic, seed 1; ``bench/forecast_dev_grid.py``): mean pooling
  was at chance there, mean+motion ~0.65, motion ~0.88; the recipe barely changed the pre-trained
  model's ROC-AUC (0.885-0.886). The linear probe uses the same pooling.
- **Metrics.** Balanced accuracy at ``threshold``, ROC-AUC, PR-AUC (average precision) per draw,
  mean and sd per N, then averaged over N.
"""
from __future__ import annotations

import copy
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import numpy as np

from inference.core.config import DictMixin
from inference.core.device import choose_device
from inference.core.errors import SemioscopeError, VideoError
from inference.core.progress import CancelToken, ProgressFn, check_cancel, no_progress
from inference.forecast.corpora import clip_sample_times, normalise_clips, read_frames
from inference.forecast.labels import ForecastClip, label_counts
from inference.forecast.masking import mask_for_config
from inference.forecast.model import (
    CLASSIFIER_FILE,
    FORECAST_JSON,
    KIND_CLASSIFIER,
    check_pooling,
    config_from_dict,
    load_encoder,
    load_pretrained_full,
    load_pretraining_model,
    make_classifier,
    new_encoder,
    pool_tokens,
    pooled_width,
    save_state,
    write_forecast_json,
)
from inference.video.index import probe
from inference.video.reader import VideoReader

METHODS = ("pretrained+finetune", "no-pretrain+finetune", "linear-probe", "zero-shot")
METRICS = ("bacc", "roc_auc", "pr_auc")
_SEEK_GAP_S = 20.0  # seek instead of decoding through longer gaps between clips
_POOLING_TEXT = {"mean": "mean of patch tokens",
                 "motion": "temporal sd of each patch token, averaged over patches",
                 "mean+motion": "mean of patch tokens and their temporal sd, concatenated"}


@dataclass(frozen=True)
class FewShotConfig(DictMixin):
    shots: tuple = (2, 3, 4)
    draws: int = 5
    seed: int = 0
    epochs: int = 20
    lr_encoder: float = 1e-3
    lr_head: float = 1e-2
    weight_decay: float = 0.0
    batch_size: int = 8
    threshold: float = 0.5
    zero_shot_masks: int = 4
    mask_ratio: float = 0.3
    max_test_clips: int = 0  # 0 = every clip of the test subjects; else an even subset per draw
    device: str = "auto"
    pooling: str = "motion"  # token pooling of the head: motion | mean | mean+motion (model.POOLINGS)


# -- clips -> pixels ---------------------------------------------------------------------------

def load_clip_bank(clips: Sequence[ForecastClip], num_frames: int, size: int,
                   progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None) -> np.ndarray:
    """Decode every clip once -> ``uint8 [N, num_frames, size, size, 3]``.

    Each video is decoded once, sequentially, for all of its clips (frames at the centres of
    ``num_frames`` equal slices of each clip).
    """

    progress = progress or no_progress
    bank = np.zeros((len(clips), num_frames, size, size, 3), dtype=np.uint8)
    by_video: dict[Path, list[int]] = defaultdict(list)
    for i, c in enumerate(clips):
        by_video[Path(c.video)].append(i)
    done = 0
    for video, idx in by_video.items():
        check_cancel(cancel)
        with VideoReader(video) as reader:
            frames = np.stack([reader.index.times_to_frames(clip_sample_times(clips[i].start_s, clips[i].end_s
                                                                              - clips[i].start_s, num_frames))
                               for i in idx])  # [n, T]
            order = np.argsort(frames.ravel(), kind="stable")
            wanted = frames.ravel()[order]
            # Decode in runs: a gap of more than _SEEK_GAP_S between clips is skipped by seeking.
            times = reader.index.pts_s[wanted]
            cuts = np.flatnonzero(np.diff(times) > _SEEK_GAP_S) + 1
            decoded = np.concatenate([read_frames(reader, part, size) for part in np.split(wanted, cuts)])
            flat = np.empty_like(decoded)
            flat[order] = decoded
            bank[idx] = flat.reshape(len(idx), num_frames, size, size, 3)
        done += len(idx)
        progress(done, len(clips), Path(video).name)
    return bank


def readable_clips(clips: Sequence[ForecastClip], log: Optional[Callable[[str], None]] = None
                   ) -> tuple[list[ForecastClip], list[str]]:
    """Drop the clips of videos that cannot be opened (the rest go on); returns (clips, problems)."""

    bad: dict[Path, str] = {}
    for v in sorted({Path(c.video) for c in clips}):
        try:
            probe(v)
        except VideoError as exc:
            bad[v] = str(exc)
            if log:
                log(f"skipped (unreadable): {exc}")
    return [c for c in clips if Path(c.video) not in bad], list(bad.values())


# -- draws -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShotDraw:
    """Indices into the clip list: ``train`` (N per class) and ``test`` (other subjects only)."""

    n: int
    draw: int
    train: tuple[int, ...]
    test: tuple[int, ...]
    train_subjects: tuple[str, ...]
    test_subjects: tuple[str, ...]


def pick_shots(clips: Sequence[ForecastClip], n: int, rng: np.random.Generator) -> list[int]:
    """N positives then N negatives (indices), round-robin over subjects in a shuffled order."""
    subjects = sorted({c.subject_id for c in clips})
    rng.shuffle(subjects)
    pools: dict[int, dict[str, list[int]]] = {0: defaultdict(list), 1: defaultdict(list)}
    for i, c in enumerate(clips):
        pools[int(c.label)][c.subject_id].append(i)
    train: list[int] = []
    for label in (1, 0):
        avail = {s: list(rng.permutation(pools[label][s])) for s in subjects if pools[label][s]}
        if sum(len(v) for v in avail.values()) < n:
            raise SemioscopeError(f"{n}-shot needs {n} {'positive' if label else 'negative'} clips; "
                                  f"only {sum(len(v) for v in avail.values())} exist")
        # Prefer subjects already giving shots (so more subjects stay for testing), then the order.
        used = {clips[i].subject_id for i in train}
        order = [s for s in subjects if s in avail and s in used] + [s for s in subjects if s in avail and s not in used]
        picked = 0
        while picked < n:
            for s in order:
                if picked < n and avail[s]:
                    train.append(int(avail[s].pop()))
                    picked += 1
    return train


def sample_shots(clips: Sequence[ForecastClip], n: int, seed: int, draw: int = 0,
                 max_test: int = 0) -> ShotDraw:
    """One N-shot draw (see the module docstring). Raises SemioscopeError when the data cannot
    give N per class and a test set with both classes from other subjects."""
    train = pick_shots(clips, n, np.random.default_rng((int(seed), int(n), int(draw))))
    train_subjects = sorted({clips[i].subject_id for i in train})
    test = [i for i, c in enumerate(clips) if c.subject_id not in set(train_subjects)]
    labels = {clips[i].label for i in test}
    if labels != {0, 1}:
        raise SemioscopeError(f"{n}-shot draw {draw}: the subjects left for testing "
                              f"({len({clips[i].subject_id for i in test})}) do not have both positive and negative "
                              "clips; add subjects with seizures or use fewer shots")
    if max_test and len(test) > max_test:
        test = [test[k] for k in np.round(np.linspace(0, len(test) - 1, max_test)).astype(int)]
    return ShotDraw(n, draw, tuple(train), tuple(test), tuple(train_subjects),
                    tuple(sorted({clips[i].subject_id for i in test})))


# -- metrics -----------------------------------------------------------------------------------

def draw_seed(seed: int, draw: ShotDraw) -> int:
    """The training seed of one draw (head init, batch order), fixed by (seed, N, draw)."""
    return int(np.random.default_rng((seed, draw.n, draw.draw, 7)).integers(2**31))


def binary_metrics(y: np.ndarray, p: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    from sklearn.metrics import (  # scikit-learn is slow to import: loaded only when metrics are computed
        average_precision_score,
        balanced_accuracy_score,
        roc_auc_score,
    )

    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=np.float64)
    return {"bacc": float(balanced_accuracy_score(y, (p >= threshold).astype(int))),
            "roc_auc": float(roc_auc_score(y, p)),
            "pr_auc": float(average_precision_score(y, p))}


# -- training ----------------------------------------------------------------------------------

def train_classifier(encoder, x: np.ndarray, y: np.ndarray, cfg: FewShotConfig, seed: int,
                     freeze_encoder: bool = False, device=None):
    """Fine-tune (or, frozen, probe) ``encoder`` + head on ``x`` uint8 ``[n, T, S, S, 3]``, ``y`` ``[n]``.
    The encoder is copied, never changed in place. Returns the classifier in eval mode."""
    import torch  # torch is heavy (seconds to import): loaded only when a model runs

    device = device or choose_device(cfg.device)
    dev = device.torch_device()
    model = make_classifier(copy.deepcopy(encoder), seed=seed, pooling=cfg.pooling).to(dev)
    head_params = list(model.fc_norm.parameters()) + list(model.head.parameters())
    groups = [{"params": head_params, "lr": cfg.lr_head}]
    if freeze_encoder:
        model.encoder.requires_grad_(False)
    else:
        groups.append({"params": list(model.encoder.parameters()), "lr": cfg.lr_encoder})
        if device.is_cuda:
            model.encoder.gradient_checkpointing_enable()
    opt = torch.optim.AdamW(groups, weight_decay=cfg.weight_decay)
    yt = torch.as_tensor(np.asarray(y, dtype=np.float32), device=dev)
    pos = float(yt.sum())
    pos_weight = torch.tensor((len(yt) - pos) / max(pos, 1.0), device=dev)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    g = torch.Generator().manual_seed(int(seed))
    model.train()
    if freeze_encoder:
        model.encoder.eval()
    for _ in range(cfg.epochs):
        perm = torch.randperm(len(x), generator=g).numpy()
        for b in range(0, len(x), cfg.batch_size):
            sel = perm[b:b + cfg.batch_size]
            pixels = normalise_clips(torch.from_numpy(x[sel]).to(dev))
            with device.autocast():
                logits = model(pixels)
            loss = loss_fn(logits.float(), yt[sel])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return model.eval()


def predict_probs(model, x: np.ndarray, batch_size: int = 16, device=None) -> np.ndarray:
    """P(onset within H) ``[n]`` for clips ``x`` uint8 ``[n, T, S, S, 3]``."""
    import torch  # torch is heavy (seconds to import): loaded only when a model runs

    device = device or choose_device("auto")
    dev = device.torch_device()
    model.to(dev).eval()
    out = np.zeros(len(x), dtype=np.float32)
    with torch.no_grad(), device.autocast():
        for b in range(0, len(x), batch_size):
            logits = model(normalise_clips(torch.from_numpy(x[b:b + batch_size]).to(dev)))
            out[b:b + batch_size] = torch.sigmoid(logits.float()).cpu().numpy()
    return out


def encode_features(encoder, x: np.ndarray, batch_size: int = 16, device=None, pooling: str = "mean") -> np.ndarray:
    """Pooled patch tokens ``[n, pooled_width]`` (``model.pool_tokens``; before the head's LayerNorm)."""
    import torch  # torch is heavy (seconds to import): loaded only when a model runs

    device = device or choose_device("auto")
    dev = device.torch_device()
    encoder.to(dev).eval()
    feats = []
    with torch.no_grad(), device.autocast():
        for b in range(0, len(x), batch_size):
            tokens = encoder(pixel_values=normalise_clips(torch.from_numpy(x[b:b + batch_size]).to(dev))).last_hidden_state
            feats.append(pool_tokens(tokens.float(), encoder.config, pooling).cpu().numpy())
    return np.concatenate(feats) if feats else np.zeros((0, pooled_width(encoder.config, pooling)), np.float32)


def train_probe(features: np.ndarray, y: np.ndarray, cfg: FewShotConfig, seed: int, hidden: int):
    """Linear probe on cached pooled features: LayerNorm + linear, same loss and epochs."""
    import torch  # torch is heavy (seconds to import): loaded only when a model runs
    import torch.nn as nn  # torch is heavy (seconds to import): loaded only when a model runs

    torch.manual_seed(seed)
    head = nn.Sequential(nn.LayerNorm(hidden), nn.Linear(hidden, 1))
    nn.init.normal_(head[1].weight, std=0.02)
    nn.init.zeros_(head[1].bias)
    opt = torch.optim.AdamW(head.parameters(), lr=cfg.lr_head, weight_decay=cfg.weight_decay)
    xt = torch.as_tensor(features, dtype=torch.float32)
    yt = torch.as_tensor(np.asarray(y, dtype=np.float32))
    pos = float(yt.sum())
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=torch.tensor((len(yt) - pos) / max(pos, 1.0)))
    g = torch.Generator().manual_seed(int(seed))
    for _ in range(cfg.epochs):
        perm = torch.randperm(len(xt), generator=g)
        for b in range(0, len(xt), cfg.batch_size):
            sel = perm[b:b + cfg.batch_size]
            loss = loss_fn(head(xt[sel]).squeeze(-1), yt[sel])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

    def probs(f: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return torch.sigmoid(head(torch.as_tensor(f, dtype=torch.float32)).squeeze(-1)).numpy()

    return probs


def reconstruction_scores(pretrain_model, x: np.ndarray, n_masks: int = 4, ratio: float = 0.3,
                          seed: int = 0, device=None) -> np.ndarray:
    """Zero-shot score ``[n]``: masked-reconstruction MSE averaged over ``n_masks`` fixed tube masks."""
    import torch  # torch is heavy (seconds to import): loaded only when a model runs

    device = device or choose_device("auto")
    dev = device.torch_device()
    pretrain_model.to(dev).eval()
    masks = mask_for_config(pretrain_model.config, n_masks, ratio, torch.Generator().manual_seed(seed)).to(dev)
    out = np.zeros(len(x), dtype=np.float64)
    with torch.no_grad(), device.autocast():
        for i in range(len(x)):
            pixels = normalise_clips(torch.from_numpy(x[i:i + 1]).to(dev)).expand(n_masks, -1, -1, -1, -1)
            out[i] = float(pretrain_model(pixel_values=pixels, bool_masked_pos=masks).loss.float())
    return out


def rank_probability(scores: np.ndarray) -> np.ndarray:
    """Scores -> (rank - 0.5) / n in (0, 1): a label-free calibration (median -> 0.5)."""
    from scipy.stats import rankdata  # scipy is slow to import: loaded only when this filter or statistic is used

    return ((rankdata(scores) - 0.5) / max(len(scores), 1)).astype(np.float64)


# -- the protocol ------------------------------------------------------------------------------

def _summary(values: list[dict[str, float]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in METRICS:
        v = np.array([d[m] for d in values], dtype=np.float64)
        out[m] = float(v.mean()) if len(v) else float("nan")
        out[m + "_sd"] = float(v.std(ddof=1)) if len(v) > 1 else 0.0
    out["draws"] = len(values)
    return out


def baseline_encoder(info: dict[str, Any], seed: int, override: str | Path | None = None):
    """The encoder *without* domain pre-training: the pre-training's starting point."""

    init = info.get("init") or {"kind": "random"}
    path = override or (init.get("path") if init.get("kind") == "folder" else None)
    if path:
        return load_pretraining_model(path).videomae, {"kind": "folder", "path": str(path)}
    return new_encoder(config_from_dict(info["videomae_config"]), seed=seed), {"kind": "random", "seed": seed}


def evaluate_fewshot(pretrained_dir: str | Path, clips: Sequence[ForecastClip], cfg: FewShotConfig = FewShotConfig(),
                     baseline_init: str | Path | None = None, methods: Sequence[str] = METHODS,
                     progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None,
                     log: Optional[Callable[[str], None]] = None) -> dict[str, Any]:
    """Run every method over N in ``cfg.shots`` and ``cfg.draws`` draws; returns the report dict."""

    progress = progress or no_progress
    say = log or (lambda s: None)
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise SemioscopeError(f"unknown method(s) {', '.join(unknown)} (choose from {', '.join(METHODS)})")
    device = choose_device(cfg.device)
    check_pooling(cfg.pooling)
    encoder, info = load_encoder(pretrained_dir)
    vcfg = encoder.config
    clips, skipped = readable_clips(clips, say)
    draws = [sample_shots(clips, n, cfg.seed, r, cfg.max_test_clips) for n in cfg.shots for r in range(cfg.draws)]
    needed = sorted({i for d in draws for i in d.train + d.test})
    say(f"{len(clips)} labelled clips ({label_counts(clips)}); decoding the {len(needed)} used by "
        f"{len(draws)} draws at {vcfg.image_size} px, {vcfg.num_frames} frames each")
    bank_sub = load_clip_bank([clips[i] for i in needed], vcfg.num_frames, vcfg.image_size,
                              progress=lambda d, t, m="": progress(d, t, f"decoding {m}"), cancel=cancel)
    pos_of = {i: k for k, i in enumerate(needed)}
    y_all = np.array([clips[i].label for i in needed], dtype=int)

    def rows(idx: Sequence[int]) -> np.ndarray:
        return np.array([pos_of[i] for i in idx], dtype=np.int64)

    feats = probe_scores = None
    if "linear-probe" in methods:
        feats = encode_features(encoder, bank_sub, device=device, pooling=cfg.pooling)
    if "zero-shot" in methods:
        full, _ = load_pretrained_full(pretrained_dir)
        probe_scores = rank_probability(reconstruction_scores(full, bank_sub, cfg.zero_shot_masks, cfg.mask_ratio,
                                                              cfg.seed, device))
        del full
    results: dict[str, dict[int, list[dict[str, float]]]] = {m: defaultdict(list) for m in methods}
    draw_log = []
    total = len(draws) * len(methods)
    done = 0
    baseline_desc = None
    for d in draws:
        check_cancel(cancel)
        tr, te = rows(d.train), rows(d.test)
        ytr, yte = y_all[tr], y_all[te]
        seed = draw_seed(cfg.seed, d)
        for m in methods:
            if m == "pretrained+finetune":
                p = predict_probs(train_classifier(encoder, bank_sub[tr], ytr, cfg, seed, device=device),
                                  bank_sub[te], device=device)
            elif m == "no-pretrain+finetune":
                base, baseline_desc = baseline_encoder(info, seed, baseline_init)
                p = predict_probs(train_classifier(base, bank_sub[tr], ytr, cfg, seed, device=device),
                                  bank_sub[te], device=device)
            elif m == "linear-probe":
                p = train_probe(feats[tr], ytr, cfg, seed, feats.shape[1])(feats[te])
            else:
                p = probe_scores[te]
            met = binary_metrics(yte, p, cfg.threshold)
            results[m][d.n].append(met)
            done += 1
            progress(done, total, f"{d.n}-shot draw {d.draw} {m}")
        draw_log.append({"n": d.n, "draw": d.draw, "seed": seed, "train_subjects": list(d.train_subjects),
                         "test_subjects": list(d.test_subjects), "n_train": len(d.train), "n_test": len(d.test),
                         "test_positive": int(yte.sum())})
        say(f"{d.n}-shot draw {d.draw}: " + ", ".join(f"{m} auc {results[m][d.n][-1]['roc_auc']:.3f}" for m in methods))
    table = {}
    for m in methods:
        per_n = {str(n): _summary(results[m][n]) for n in cfg.shots}
        avg = {k: float(np.mean([per_n[str(n)][k] for n in cfg.shots])) for k in METRICS}
        table[m] = {"per_n": per_n, "average": avg,
                    "draws": {str(n): results[m][n] for n in cfg.shots}}
    return {
        "format": "semioscope.forecast.evaluation", "version": 1,
        "pretrained": {"path": str(Path(pretrained_dir).resolve()), "init": info.get("init"),
                       "steps": info.get("steps_done"), "corpora": info.get("corpora")},
        "baseline": baseline_desc or {"kind": (info.get("init") or {}).get("kind", "random")},
        "config": cfg.to_dict(), "data": label_counts(clips), "methods": table, "draws": draw_log,
        "skipped_videos": skipped,
        "pooling": f"{_POOLING_TEXT[cfg.pooling]} + LayerNorm (VideoMAE has no CLS token)",
        "zero_shot": "rank of masked-reconstruction MSE (higher error = more likely pre-ictal), no labels",
    }


def finetune_classifier(pretrained_dir: str | Path, clips: Sequence[ForecastClip], out_dir: str | Path,
                        label_cfg, cfg: FewShotConfig = FewShotConfig(), shots: int = 4,
                        progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None) -> dict[str, Any]:
    """Fine-tune a deployable classifier on ``shots`` per class (0 = every clip) and write a
    ``classifier`` forecast folder. Returns its forecast.json."""

    progress = progress or no_progress
    device = choose_device(cfg.device)
    encoder, info = load_encoder(pretrained_dir)
    clips, _ = readable_clips(clips)
    if shots:
        idx = pick_shots(clips, shots, np.random.default_rng((int(cfg.seed), int(shots), 0)))
    else:
        idx = list(range(len(clips)))
    chosen = [clips[i] for i in idx]
    if {c.label for c in chosen} != {0, 1}:
        raise SemioscopeError("fine-tuning needs both positive and negative clips")
    bank = load_clip_bank(chosen, encoder.config.num_frames, encoder.config.image_size, progress=progress,
                          cancel=cancel)
    check_cancel(cancel)
    y = np.array([c.label for c in chosen])
    model = train_classifier(encoder, bank, y, cfg, cfg.seed, device=device)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    save_state(out / CLASSIFIER_FILE, model.cpu(), "classifier")
    write_forecast_json(out, KIND_CLASSIFIER, encoder.config, {
        "labels": label_cfg.to_dict(), "clip_s": label_cfg.clip_s, "horizon_s": label_cfg.horizon_s,
        "threshold": cfg.threshold, "fewshot": cfg.to_dict(), "shots": shots,
        "pretrained_from": str(Path(pretrained_dir).resolve()), "pretrain_init": info.get("init"),
        "trained_on": {"clips": len(chosen), "positive": int(y.sum()),
                       "subjects": sorted({c.subject_id for c in chosen}),
                       "recordings": sorted({c.recording_id for c in chosen})},
        "token_pooling": cfg.pooling,
        "pooling": f"{_POOLING_TEXT[cfg.pooling]} + LayerNorm + linear",
    })
    return json.loads((out / FORECAST_JSON).read_text("utf-8"))

"""VideoMAE models for forecasting: presets, local folders, model folders on disk.

A *forecast model folder* holds ``forecast.json`` (format ``semioscope.forecast``) plus
safetensors weights, never pickles:

- kind ``pretrained`` (written by pre-training): ``encoder.safetensors`` (the VideoMAEModel
  encoder, the export used for fine-tuning), ``pretrain_model.safetensors`` (encoder + decoder,
  for resuming and for the zero-shot reconstruction score), ``pretrain_state.*`` (optimiser).
- kind ``classifier`` (written by fine-tuning): ``classifier.safetensors`` (encoder + pooled-token
  head), the clip length, horizon and decision threshold.

The classifier pools the encoder's patch tokens (:func:`pool_tokens`), applies a LayerNorm
(``fc_norm``) and one linear layer giving the logit of "onset within H s". Poolings:

- ``mean`` (default): the mean of all patch tokens — VideoMAE has no CLS token; this is what
  ``VideoMAEForVideoClassification`` does with ``use_mean_pooling``.
- ``motion``: for each patch position, the standard deviation of its token over the temporal
  slots, averaged over positions. The mean over space *and time* keeps what a clip looks like
  and averages away what changes in it; when the cue is movement of a small figure (a prodrome
  at ~100 px), ``motion`` keeps it.
- ``mean+motion``: both, concatenated (twice the width).

A classifier folder records its pooling as ``token_pooling`` (folders without it are ``mean``).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from inference.core.atomic import atomic_write_json
from inference.core.errors import CheckpointError, SemioscopeError
from inference.detector.checkpoint import load_tensors, save_tensors
from inference.forecast.folder import (
    CLASSIFIER_FILE,
    ENCODER_FILE,
    FORECAST_FORMAT,
    FORECAST_JSON,
    FORECAST_VERSION,
    KIND_CLASSIFIER,
    KIND_PRETRAINED,
    PRETRAIN_FILE,
    read_forecast_json,
)

# VideoMAEConfig keyword sets. ``base`` is the MCG-NJU/videomae-base layout (224 px, 16 frames,
# tubelet 2, ViT-B encoder, 4-layer decoder of width 384); ``tiny`` trains on a CPU.
PRESETS: dict[str, dict[str, Any]] = {
    "tiny": dict(image_size=64, patch_size=16, num_channels=3, num_frames=16, tubelet_size=2,
                 hidden_size=96, num_hidden_layers=3, num_attention_heads=4, intermediate_size=192,
                 decoder_hidden_size=64, decoder_num_hidden_layers=1, decoder_num_attention_heads=4,
                 decoder_intermediate_size=128, use_mean_pooling=False, norm_pix_loss=True,
                 hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0),
    "base": dict(image_size=224, patch_size=16, num_channels=3, num_frames=16, tubelet_size=2,
                 hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
                 decoder_hidden_size=384, decoder_num_hidden_layers=4, decoder_num_attention_heads=6,
                 decoder_intermediate_size=1536, use_mean_pooling=False, norm_pix_loss=True),
}


def preset_config(preset: str, **overrides: Any):
    """A ``VideoMAEConfig`` for a named preset (random initialisation; nothing is downloaded)."""
    from transformers import VideoMAEConfig  # transformers is heavy: loaded only when a model is built

    if preset not in PRESETS:
        raise SemioscopeError(f"unknown forecast preset {preset!r} (choose from {', '.join(PRESETS)})")
    kw = dict(PRESETS[preset])
    kw.update({k: v for k, v in overrides.items() if v is not None})
    return VideoMAEConfig(**kw)


def config_from_dict(data: dict[str, Any]):
    from transformers import VideoMAEConfig  # transformers is heavy: loaded only when a model is built

    return VideoMAEConfig.from_dict(dict(data))


def load_pretraining_model(init_dir: str | Path):
    """``VideoMAEForPreTraining`` from a LOCAL folder in the MCG-NJU/videomae-base layout
    (``config.json`` + ``model.safetensors``). Never downloads and never unpickles."""
    from transformers import VideoMAEForPreTraining  # transformers is heavy: loaded only when a model is built

    init_dir = Path(init_dir)
    if not (init_dir / "config.json").is_file():
        raise CheckpointError(init_dir, "not a VideoMAE folder: config.json is missing (give a local folder in "
                                        "the MCG-NJU/videomae-base layout; nothing is downloaded)")
    if not any(init_dir.glob("*.safetensors")):
        raise CheckpointError(init_dir, "no .safetensors weights found (pickled pytorch_model.bin is never loaded; "
                                        "convert it to safetensors first)")
    try:
        return VideoMAEForPreTraining.from_pretrained(str(init_dir), local_files_only=True, use_safetensors=True)
    except Exception as exc:  # transformers raises OSError/ValueError on bad folders
        raise CheckpointError(init_dir, f"cannot load VideoMAE weights ({type(exc).__name__}: {exc})") from None


def new_pretraining_model(config, seed: int = 0):
    """A randomly initialised ``VideoMAEForPreTraining`` (deterministic for a seed)."""
    import torch  # torch is heavy (seconds to import): loaded only when a model runs
    from transformers import VideoMAEForPreTraining  # transformers is heavy: loaded only when a model is built

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return VideoMAEForPreTraining(config)


def new_encoder(config, seed: int = 0):
    import torch  # torch is heavy (seconds to import): loaded only when a model runs
    from transformers import VideoMAEModel  # transformers is heavy: loaded only when a model is built

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return VideoMAEModel(config)


POOLINGS = ("mean", "motion", "mean+motion")


def check_pooling(pooling: str) -> str:
    if pooling not in POOLINGS:
        raise SemioscopeError(f"unknown token pooling {pooling!r} (choose from {', '.join(POOLINGS)})")
    return pooling


def pooled_width(config, pooling: str) -> int:
    return config.hidden_size * (2 if check_pooling(pooling) == "mean+motion" else 1)


def pool_tokens(tokens, config, pooling: str = "mean"):
    """Encoder tokens ``[B, T' * N, H]`` (T' = num_frames / tubelet_size temporal slots, N patch
    positions, time-major as VideoMAE lays them out) -> pooled ``[B, pooled_width]`` (module docstring)."""
    import torch  # torch is heavy (seconds to import): loaded only when a model runs

    check_pooling(pooling)
    parts = []
    if pooling in ("mean", "mean+motion"):
        parts.append(tokens.mean(dim=1))
    if pooling in ("motion", "mean+motion"):
        slots = config.num_frames // config.tubelet_size
        b, n, h = tokens.shape
        parts.append(tokens.reshape(b, slots, n // slots, h).std(dim=1).mean(dim=1))
    return parts[0] if len(parts) == 1 else torch.cat(parts, dim=-1)


def make_classifier(encoder, seed: int = 0, pooling: str = "mean"):
    """Wrap a ``VideoMAEModel`` encoder with the pooled-token linear head (see module docstring)."""
    import torch  # torch is heavy (seconds to import): loaded only when a model runs
    import torch.nn as nn  # torch is heavy (seconds to import): loaded only when a model runs

    class _ForecastClassifier(nn.Module):
        """pixel_values ``[B, 16, 3, S, S]`` (VideoMAE-normalised) -> logits ``[B]``."""

        def __init__(self, enc):
            super().__init__()
            self.encoder = enc
            self.pooling = pooling
            width = pooled_width(enc.config, pooling)
            self.fc_norm = nn.LayerNorm(width)
            self.head = nn.Linear(width, 1)

        def features(self, pixel_values):
            """The pooled token ``[B, width]`` (``pool_tokens``), then LayerNorm."""
            tokens = self.encoder(pixel_values=pixel_values).last_hidden_state
            return self.fc_norm(pool_tokens(tokens, self.encoder.config, self.pooling))

        def forward(self, pixel_values):
            return self.head(self.features(pixel_values)).squeeze(-1)

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = _ForecastClassifier(encoder)
        nn.init.normal_(model.head.weight, std=0.02)
        nn.init.zeros_(model.head.bias)
    return model


# -- forecast model folders -------------------------------------------------------------------

def write_forecast_json(folder: str | Path, kind: str, videomae_config, extra: dict[str, Any]) -> Path:
    import torch  # torch is heavy (seconds to import): loaded only when a model runs
    import transformers  # transformers is heavy: loaded only when a model is built

    info = {
        "format": FORECAST_FORMAT,
        "version": FORECAST_VERSION,
        "kind": kind,
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
        "videomae_config": videomae_config.to_dict(),
    }
    info.update(extra)
    return atomic_write_json(Path(folder) / FORECAST_JSON, info)


def load_state_into(module, path: str | Path, prefix: str = "") -> None:
    """Load safetensors weights (keys optionally under ``prefix``) requiring an exact match."""

    path = Path(path)
    tensors, _ = load_tensors(path)
    if prefix:
        tensors = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    own = module.state_dict()
    missing = sorted(set(own) - set(tensors))
    extra = sorted(set(tensors) - set(own))
    if missing or extra:
        raise CheckpointError(path, f"weights do not match forecast.json's architecture "
                                    f"({len(missing)} missing, e.g. {missing[:1]}; {len(extra)} unexpected, e.g. {extra[:1]})")
    for k, v in tensors.items():
        if tuple(v.shape) != tuple(own[k].shape):
            raise CheckpointError(path, f"weight {k} has shape {tuple(v.shape)}, expected {tuple(own[k].shape)}")
    module.load_state_dict(tensors, strict=True)


def save_state(path: str | Path, module, kind: str) -> Path:
    return save_tensors(path, module.state_dict(), {"format": f"{FORECAST_FORMAT}.{kind}"})


def load_encoder(folder: str | Path):
    """The pre-trained encoder (``VideoMAEModel``) of a ``pretrained`` folder, and its forecast.json."""
    info = read_forecast_json(folder, KIND_PRETRAINED)
    cfg = config_from_dict(info["videomae_config"])
    enc = new_encoder(cfg)
    load_state_into(enc, Path(folder) / ENCODER_FILE)
    return enc, info


def load_pretrained_full(folder: str | Path):
    """Encoder + decoder (``VideoMAEForPreTraining``) of a ``pretrained`` folder."""
    info = read_forecast_json(folder, KIND_PRETRAINED)
    model = new_pretraining_model(config_from_dict(info["videomae_config"]))
    load_state_into(model, Path(folder) / PRETRAIN_FILE)
    return model, info


def load_classifier(folder: str | Path):
    """A fine-tuned classifier (eval mode, CPU) and its forecast.json."""
    info = read_forecast_json(folder, KIND_CLASSIFIER)
    cfg = config_from_dict(info["videomae_config"])
    model = make_classifier(new_encoder(cfg), pooling=check_pooling(str(info.get("token_pooling", "mean"))))
    load_state_into(model, Path(folder) / CLASSIFIER_FILE)
    return model.eval(), info

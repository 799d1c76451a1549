"""Fine-tuning modes of the detector's ViViT encoder: ``frozen``, ``lora`` and ``full``.

In every mode the cross-joint part (position projection, joint attention, norm, classifier)
trains. What differs is the encoder:

- ``frozen``: no encoder weight trains; tokens can be cached on disk (see ``token_cache``).
- ``lora``: peft LoRA adapters on q/k/v and the MLP fc1/fc2 of the LAST ``last_n_layers``
  encoder layers (paper 3.3); every original encoder weight stays frozen.
- ``full``: everything trains (meant for ``tiny``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from torch import nn

from inference.core.config import DictMixin
from inference.core.errors import SemioscopeError

MODES = ("frozen", "lora", "full")

# Linear layers LoRA adapts, by their name inside one encoder layer. transformers 5 names them
# attention.{q,k,v}_proj / mlp.fc{1,2}; transformers 4 used attention.attention.{query,key,value}
# / intermediate.dense / output.dense (the last is the MLP's second linear, not attention.output).
_LORA_SUFFIXES = (
    r"attention\.(q_proj|k_proj|v_proj)", r"mlp\.(fc1|fc2)",
    r"attention\.attention\.(query|key|value)", r"intermediate\.dense", r"(?<!attention\.)output\.dense",
)


@dataclass(frozen=True)
class LoraSettings(DictMixin):
    r: int = 8
    alpha: int = 16
    dropout: float = 0.1
    last_n_layers: int = 2


def encoder_layer_prefix(encoder: nn.Module) -> str:
    """Name of the encoder's layer list: ``layers`` (transformers 5) or ``encoder.layer`` (4)."""
    names = {n for n, _ in encoder.named_modules()}
    for cand in ("layers", "encoder.layer"):
        if cand in names and isinstance(encoder.get_submodule(cand), nn.ModuleList):
            return cand
    raise SemioscopeError("unsupported ViViT encoder layout: no layer list found")


def lora_target_modules(encoder: nn.Module, last_n_layers: int = 2) -> list[str]:
    """Full names (inside ``encoder``) of the linears LoRA adapts in the last ``last_n_layers`` layers."""
    prefix = encoder_layer_prefix(encoder)
    n_layers = len(encoder.get_submodule(prefix))
    layers = range(max(0, n_layers - last_n_layers), n_layers)
    pattern = re.compile(rf"^{re.escape(prefix)}\.({'|'.join(str(i) for i in layers)})\.({'|'.join(_LORA_SUFFIXES)})$")
    targets = [n for n, m in encoder.named_modules() if isinstance(m, nn.Linear) and pattern.match(n)]
    if len(targets) != 5 * len(layers):
        raise SemioscopeError(f"expected 5 LoRA target linears per layer in the last {len(layers)} encoder "
                              f"layers, found {len(targets)}: {targets}")
    return targets


def apply_mode(model: nn.Module, mode: str, lora: LoraSettings = LoraSettings()) -> nn.Module:
    """Set ``requires_grad`` for ``mode`` (and inject LoRA adapters for ``lora``) in place.

    ``model`` is a :class:`~inference.detector.CrossJointDetector`. Call it once, right after
    building (before loading a LoRA checkpoint's weights, so the adapter keys exist).
    """
    if mode not in MODES:
        raise SemioscopeError(f"unknown fine-tuning mode {mode!r} (choose from: {', '.join(MODES)})")
    encoder = model.encoder
    for p in model.parameters():
        p.requires_grad_(True)
    if mode == "full":
        return model
    for p in encoder.parameters():
        p.requires_grad_(False)
    if mode == "lora":
        from peft import LoraConfig, inject_adapter_in_model  # peft pulls in transformers: loaded only for LoRA

        targets = lora_target_modules(encoder, lora.last_n_layers)
        cfg = LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout, target_modules=targets,
                         bias="none")
        inject_adapter_in_model(cfg, encoder)
        for name, p in encoder.named_parameters():
            p.requires_grad_("lora_" in name)
    return model


def parameter_counts(model: nn.Module) -> tuple[int, int]:
    """(trainable, total) parameter counts."""
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, total


def describe_counts(model: nn.Module, mode: str) -> str:
    trainable, total = parameter_counts(model)
    return (f"mode {mode}: {trainable:,} trainable / {total:,} total parameters "
            f"({100.0 * trainable / max(total, 1):.2f}%)")

"""The cross-joint attention seizure detector (paper 000, section 3).

One ViViT encoder (``transformers.VivitModel``), shared by all 14 joints, turns each joint clip
into one token. A learnable linear projection of the joint's position track (x/W, y/H, conf over
the window) plus its one-hot identity is added to the token. Multi-head self-attention runs
across the joint tokens with missing joints masked out; the output is pooled over valid joints
and a linear layer gives one logit (trained with BCE).

``forward`` also returns the attention each joint RECEIVES in the last cross-joint layer,
averaged over heads and over the valid querying joints: ``[B, 14]``, rows sum to 1, missing
joints get 0. The GUI draws it.

``encode_joints`` and ``head`` are split so the frozen fine-tuning mode can cache tokens.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import torch
import torch.nn.functional as F
from torch import nn

from inference.core.errors import CheckpointError, SemioscopeError
from inference.pose.joints import NUM_JOINTS


@dataclass(frozen=True)
class DetectorConfig:
    """Everything needed to rebuild the detector (stored in run.json).

    Encoder fields mirror ``transformers.VivitConfig``. ``window_frames`` is the number of frames
    per input window (5 s x 6 fps = 30); the encoder's ``num_frames`` may differ (vivit-b wants
    32) and windows are then resampled in time (nearest frame) before the encoder.
    """

    preset: str = "tiny"
    # -- ViViT encoder --
    image_size: int = 32  # encoder input side S; crops are resized to it
    num_frames: int = 30  # encoder frames (windows are resampled to this)
    tubelet: tuple[int, int, int] = (2, 8, 8)  # (time, height, width)
    hidden_size: int = 64
    num_layers: int = 2
    num_heads: int = 4
    intermediate_size: int = 128
    hidden_act: str = "gelu_fast"
    layer_norm_eps: float = 1e-6
    encoder_dropout: float = 0.0
    pooling: str = "cls"  # "cls" token or "mean" of the patch tokens
    # -- cross-joint attention and head --
    window_frames: int = 30  # frames per window in the position tensor [14, T, 3]
    joint_layers: int = 1
    joint_heads: int = 4
    joint_ffn_mult: int = 2  # FFN width = mult x hidden (the block's non-linearity)
    # Also feed |frame-to-frame displacement| (x, y) of each joint to the position projection: a
    # fixed non-linear feature of the same coordinates that makes rhythmic motion linearly visible.
    motion_features: bool = False
    # "absolute": (x/W, y/H, conf) per frame as in the paper. "relative": each joint's track centred
    # on its window mean (x10, so motion is not drowned) plus that mean once: the body layout is
    # kept, but where the bed happens to be in the picture (subject-specific) weighs 2 numbers, not 60.
    position_encoding: str = "absolute"
    dropout: float = 0.1
    # Where encoder weights came from ("" = random init); provenance only, never re-read.
    encoder_source: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["tubelet"] = list(self.tubelet)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DetectorConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in (data or {}).items() if k in names}
        if "tubelet" in kw:
            kw["tubelet"] = tuple(int(x) for x in kw["tubelet"])
        return cls(**kw)

    def replace(self, **changes: Any) -> "DetectorConfig":
        return dataclasses.replace(self, **changes)

    def vivit_config(self):
        from transformers import VivitConfig  # transformers is heavy: loaded only when a model is built

        return VivitConfig(
            image_size=self.image_size, num_frames=self.num_frames, tubelet_size=list(self.tubelet),
            hidden_size=self.hidden_size, num_hidden_layers=self.num_layers,
            num_attention_heads=self.num_heads, intermediate_size=self.intermediate_size,
            hidden_act=self.hidden_act, layer_norm_eps=self.layer_norm_eps,
            hidden_dropout_prob=self.encoder_dropout, attention_probs_dropout_prob=self.encoder_dropout,
        )

    @classmethod
    def from_vivit_config(cls, vc, **overrides: Any) -> "DetectorConfig":
        """Encoder fields taken from a (pretrained) VivitConfig."""
        ts = vc.tubelet_size
        image = vc.image_size if isinstance(vc.image_size, int) else int(vc.image_size[0])
        base = dict(image_size=image, num_frames=int(vc.num_frames), tubelet=tuple(int(x) for x in ts),
                    hidden_size=int(vc.hidden_size), num_layers=int(vc.num_hidden_layers),
                    num_heads=int(vc.num_attention_heads), intermediate_size=int(vc.intermediate_size),
                    hidden_act=str(vc.hidden_act), layer_norm_eps=float(vc.layer_norm_eps))
        base.update(overrides)
        return cls(**base)


PRESETS: dict[str, DetectorConfig] = {
    # CPU-trainable, random init: 32 px crops, 2-frame x 8 px tubelets, 2 small layers.
    "tiny": DetectorConfig(preset="tiny", image_size=32, num_frames=30, tubelet=(2, 8, 8), hidden_size=64,
                           num_layers=2, num_heads=4, intermediate_size=128),
    # In between: 64 px crops, 4 layers of 192.
    "small": DetectorConfig(preset="small", image_size=64, num_frames=30, tubelet=(2, 16, 16), hidden_size=192,
                            num_layers=4, num_heads=6, intermediate_size=768),
    # The layout of google/vivit-b-16x2-kinetics400: 32 frames at 224 px, tubelet 2x16x16.
    "vivit-b": DetectorConfig(preset="vivit-b", image_size=224, num_frames=32, tubelet=(2, 16, 16),
                              hidden_size=768, num_layers=12, num_heads=12, intermediate_size=3072,
                              joint_heads=4),
}


def preset_config(name: str, **overrides: Any) -> DetectorConfig:
    if name not in PRESETS:
        raise SemioscopeError(f"unknown preset {name!r} (choose from: {', '.join(PRESETS)})")
    return PRESETS[name].replace(**overrides) if overrides else PRESETS[name]


def load_pretrained_encoder(source: str, cfg: DetectorConfig) -> tuple[nn.Module, DetectorConfig]:
    """A ViViT encoder with weights from a local folder (or a hub id when online).

    Local folders are read with ``local_files_only=True``; a hub id is attempted only when it is
    not a path, and fails with a clear error offline. The encoder fields of the returned config
    come from the checkpoint's own VivitConfig.
    """

    from transformers import VivitModel  # transformers is heavy: loaded only when a model is built

    local = os.path.isdir(os.path.expanduser(source))
    looks_like_path = source.startswith(("/", ".", "~")) or source.count("/") != 1 or os.path.exists(source)
    if not local and looks_like_path:
        raise CheckpointError(source, "encoder folder not found (give a local folder with config.json "
                                      "and model.safetensors)")
    folder = Path(os.path.expanduser(source))
    if local and not any(folder.glob("*.safetensors")):
        raise CheckpointError(source, "no .safetensors weights found (pickled pytorch_model.bin is never loaded; "
                                      "convert it to safetensors first)")
    try:
        # use_safetensors: never unpickle weights, also for a hub id.
        enc = VivitModel.from_pretrained(str(folder), add_pooling_layer=False, local_files_only=local,
                                         use_safetensors=True)
    except Exception as exc:  # transformers raises OSError/ValueError/... for bad folders
        hint = "" if local else " (not a local folder; a hub id needs an online machine)"
        raise CheckpointError(source, f"cannot load a ViViT encoder{hint}: {type(exc).__name__}: {exc}") from None
    new_cfg = DetectorConfig.from_vivit_config(
        enc.config, **{f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)
                       if f.name in ("preset", "pooling", "window_frames", "joint_layers", "joint_heads",
                                     "joint_ffn_mult", "dropout")},
        encoder_source=source)
    return enc, new_cfg


class JointAttentionBlock(nn.Module):
    """Pre-norm transformer block over joint tokens that also returns head-averaged attention."""

    def __init__(self, dim: int, heads: int, ffn_mult: int, dropout: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.ffn = nn.Sequential(nn.Linear(dim, ffn_mult * dim), nn.GELU(), nn.Dropout(dropout),
                                 nn.Linear(ffn_mult * dim, dim))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, key_padding: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x ``[B, J, D]``; key_padding ``[B, J]`` True = missing. Returns (x, attn ``[B, J, J]``)."""
        h = self.norm1(x)
        out, attn = self.attn(h, h, h, key_padding_mask=key_padding, need_weights=True,
                              average_attn_weights=True)
        x = x + self.drop(out)
        x = x + self.drop(self.ffn(self.norm2(x)))
        return x, attn


class CrossJointDetector(nn.Module):
    """Shared ViViT encoder -> joint tokens (+ position projection) -> cross-joint attention -> logit.

    Inputs: ``clips`` float ``[B, 14, T, 3, S, S]`` normalised with ``inference.clips.to_float``,
    ``positions`` ``[B, 14, T, 3]`` (x/W, y/H, conf; NaN allowed for missing), ``mask`` bool
    ``[B, 14]`` (True = joint present). Output: (logits ``[B]``, attention ``[B, 14]``).
    """

    def __init__(self, cfg: DetectorConfig, encoder: Optional[nn.Module] = None):
        super().__init__()
        from transformers import VivitModel  # transformers is heavy: loaded only when a model is built

        self.cfg = cfg
        self.encoder = encoder if encoder is not None else VivitModel(cfg.vivit_config(), add_pooling_layer=False)
        d = cfg.hidden_size
        self.position_proj = nn.Linear(position_feature_size(cfg), d)
        self.blocks = nn.ModuleList(JointAttentionBlock(d, cfg.joint_heads, cfg.joint_ffn_mult, cfg.dropout)
                                    for _ in range(max(1, cfg.joint_layers)))
        self.norm = nn.LayerNorm(d)
        self.classifier = nn.Linear(d, 1)
        self.register_buffer("joint_onehot", torch.eye(NUM_JOINTS), persistent=False)
        # Joints encoded per encoder call; bounds memory for big encoders.
        self.encoder_chunk = 64

    # -- encoder ------------------------------------------------------------------------------
    def _encode_flat(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, T, 3, S, S]`` normalised clips -> ``[N, D]`` tokens."""
        cfg = self.cfg
        if x.shape[1] != cfg.num_frames:
            x = x[:, resample_indices(x.shape[1], cfg.num_frames, x.device)]
        if x.shape[-1] != cfg.image_size or x.shape[-2] != cfg.image_size:
            n, t = x.shape[:2]
            x = F.interpolate(x.flatten(0, 1), size=(cfg.image_size, cfg.image_size), mode="bilinear",
                              align_corners=False).unflatten(0, (n, t))
        out = self.encoder(pixel_values=x).last_hidden_state
        return out[:, 1:].mean(dim=1) if cfg.pooling == "mean" else out[:, 0]

    def encode_joints(self, clips: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Tokens ``[B, 14, D]``; only present joints go through the encoder, missing ones are 0."""
        b, j = clips.shape[:2]
        tokens = clips.new_zeros((b, j, self.cfg.hidden_size), dtype=torch.float32)
        sel = mask.bool()
        if not bool(sel.any()):
            return tokens
        flat = clips[sel]
        parts = [self._encode_flat(flat[i:i + self.encoder_chunk]) for i in range(0, len(flat), self.encoder_chunk)]
        tokens[sel] = torch.cat(parts).to(tokens.dtype)
        return tokens

    # -- cross-joint head -----------------------------------------------------------------------
    def position_features(self, positions: torch.Tensor) -> torch.Tensor:
        """``[B, 14, T, 3]`` -> ``[B, 14, F]`` (see :func:`position_feature_size`; NaN -> 0, time
        resampled to window_frames)."""
        b, j, t, _ = positions.shape
        if t != self.cfg.window_frames:
            positions = positions[:, :, resample_indices(t, self.cfg.window_frames, positions.device)]
        pos = torch.nan_to_num(positions.float(), nan=0.0, posinf=0.0, neginf=0.0)
        if self.cfg.position_encoding == "relative":
            present = (pos[..., 2:3] > 0).float()
            mean = (pos[..., :2] * present).sum(2, keepdim=True) / present.sum(2, keepdim=True).clamp(min=1.0)
            centred = (pos[..., :2] - mean) * present * 10.0
            parts = [torch.cat([centred, pos[..., 2:3]], dim=-1).flatten(2), mean.flatten(2)]
        else:
            parts = [pos.flatten(2)]
        if self.cfg.motion_features:
            both = ((pos[:, :, 1:, 2] > 0) & (pos[:, :, :-1, 2] > 0)).unsqueeze(-1)
            step = (pos[:, :, 1:, :2] - pos[:, :, :-1, :2]).abs() * both
            parts.append(step.flatten(2) * 10.0)  # displacements are ~1% of the frame: rescale
        parts.append(self.joint_onehot.to(pos.device).unsqueeze(0).expand(b, -1, -1))
        return torch.cat(parts, dim=-1)

    def head(self, tokens: torch.Tensor, positions: torch.Tensor, mask: torch.Tensor
             ) -> tuple[torch.Tensor, torch.Tensor]:
        """tokens ``[B, 14, D]`` -> (logits ``[B]``, received attention ``[B, 14]``)."""
        valid = mask.bool()
        # A window with no joint at all: attend over everything rather than produce NaNs.
        empty = ~valid.any(dim=1)
        valid_eff = valid | empty.unsqueeze(1)
        x = tokens.float() + self.position_proj(self.position_features(positions))
        attn = None
        for block in self.blocks:
            x, attn = block(x, ~valid_eff)
        x = self.norm(x)
        w = valid_eff.float().unsqueeze(-1)
        pooled = (x * w).sum(1) / w.sum(1).clamp(min=1.0)
        logits = self.classifier(pooled).squeeze(-1)
        q = valid_eff.float()  # average over valid querying joints only
        received = (attn.float() * q.unsqueeze(-1)).sum(1) / q.sum(1, keepdim=True).clamp(min=1.0)
        received = received * valid.float()  # missing joints receive 0
        return logits, received

    def forward(self, clips: torch.Tensor, positions: torch.Tensor, mask: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.head(self.encode_joints(clips, mask), positions, mask)


def position_feature_size(cfg: DetectorConfig) -> int:
    """(x, y, conf) per frame, optional |dx|, |dy| per frame step, plus the joint one-hot."""
    t = cfg.window_frames
    extra = 2 if cfg.position_encoding == "relative" else 0
    return t * 3 + extra + (2 * (t - 1) if cfg.motion_features else 0) + NUM_JOINTS


def resample_indices(n_in: int, n_out: int, device=None) -> torch.Tensor:
    """Nearest-frame indices that stretch ``n_in`` frames to ``n_out`` (30 -> 32 repeats 2 frames)."""
    if n_in == n_out:
        return torch.arange(n_in, device=device)
    return torch.round(torch.linspace(0, n_in - 1, n_out, device=device)).long()


def build_detector(cfg: DetectorConfig, encoder_path: Optional[str] = None) -> CrossJointDetector:
    """A detector from a preset config (random encoder) or with encoder weights from ``encoder_path``."""
    if encoder_path:
        enc, cfg = load_pretrained_encoder(encoder_path, cfg)
        return CrossJointDetector(cfg, enc)
    return CrossJointDetector(cfg)

"""Hyper-parameters of one training run (``TrainConfig``, stored in run.json under ``training``)
and which of them a resumed run may change."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inference.core.config import DictMixin
from inference.detector.finetune_modes import LoraSettings

# Peak learning rates by preset: the random-init tiny model needs a brisk one (1e-3 left it at the
# trivial solution for 7 epochs on the acceptance set, 3e-3 learned by epoch 5); pretrained
# vivit-b is fine-tuned gently.
DEFAULT_LR = {"tiny": 3e-3, "small": 1e-3, "vivit-b": 5e-4}

# TrainConfig fields that may differ when a run is resumed: the epoch budget, patience, where it
# runs, and the event-rule choice made after training.
RESUMABLE_CHANGES = ("epochs", "patience", "min_epochs", "device", "threads", "eval_batch_size", "event_rules",
                     "event_min_durations", "event_smoothing", "max_false_alarms_per_hour")


@dataclass(frozen=True)
class TrainConfig(DictMixin):
    """Hyper-parameters of one training run (stored in run.json under ``training``)."""

    preset: str = "tiny"
    mode: str = "full"  # frozen | lora | full
    encoder: str = ""  # local folder (or hub id, online only) with pretrained ViViT weights
    epochs: int = 15
    batch_size: int = 16
    lr: float = 0.0  # peak AdamW learning rate; 0 = the preset's default (DEFAULT_LR)
    weight_decay: float = 0.05
    warmup_frac: float = 0.1  # fraction of all steps spent warming up linearly
    grad_clip: float = 1.0
    seed: int = 0
    patience: int = 6  # epochs without validation improvement before stopping
    min_epochs: int = 8  # never stop before this many epochs (validation is noisy while the head warms up)
    threshold_rule: str = "f1"  # f1 | youden
    balance: str = "pos_weight"  # pos_weight | sampler
    augment: bool = True  # left-right flip (mirrors joints) for full/lora
    # Joint dropout (with augment): the probability that a training window loses a body part or a
    # few joints, so partly visible patients (a blanket, an arm out of view) keep calibrated
    # scores. Off by default until its effect on the held-out figures is measured.
    joint_dropout: float = 0.0
    keypoints: str = "gt"  # gt | mediapipe | a keypoint file or folder
    device: str = "auto"
    threads: int = 0  # CPU threads for torch (0: torch's default); 1 is faster on a crowded machine
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.1
    pooling: str = "cls"
    joint_layers: int = 1
    joint_heads: int = 4
    # Position features (see DetectorConfig): centred tracks + |displacement| generalised across
    # subjects far better than the paper's raw coordinates on the synthetic set (README).
    motion_features: bool = True
    position_encoding: str = "relative"  # relative | absolute (the paper's raw x/W, y/H)
    eval_batch_size: int = 32
    # Class balance per epoch on long recordings (0: every window each epoch; see sampling.py).
    interictal_per_ictal: float = 0.0
    val_interictal_per_ictal: float = 0.0
    # Event rules: "validation" chooses min duration x smoothing on the validation recordings,
    # "fixed" keeps the EventConfig given to train_run.
    event_rules: str = "validation"
    event_min_durations: tuple[float, ...] = (3.0, 6.0, 8.0, 10.0, 12.0, 15.0, 20.0)
    event_smoothing: tuple[int, ...] = (1, 3, 5)
    max_false_alarms_per_hour: float = 2.0
    # The detection threshold: "events" re-chooses it on the validation recordings scored whole
    # (seizures detected, then false alarms, then the middle of the tied range: the most margin),
    # "windows" keeps the window-level choice (threshold_rule). Window-level F1 on a few validation
    # windows lands wherever one ictal window of a building-up seizure sits (issue 21).
    event_threshold: str = "events"
    event_thresholds: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
    # pose-coverage gates (``[clips] min_joints``) tried on validation; ties keep the default
    min_joints_candidates: tuple[int, ...] = (5, 6, 7, 8, 9, 10)

    def __post_init__(self) -> None:
        # JSON gives lists back: keep tuples so configs compare equal after a round trip (resume).
        object.__setattr__(self, "event_min_durations", tuple(float(x) for x in self.event_min_durations))
        object.__setattr__(self, "event_smoothing", tuple(int(x) for x in self.event_smoothing))
        object.__setattr__(self, "event_thresholds", tuple(float(x) for x in self.event_thresholds))
        object.__setattr__(self, "min_joints_candidates", tuple(int(x) for x in self.min_joints_candidates))
        if self.event_threshold not in ("events", "windows"):
            raise ValueError(f"event_threshold must be 'events' or 'windows', got {self.event_threshold!r}")
        if self.event_rules not in ("validation", "fixed"):
            raise ValueError(f"event_rules must be 'validation' or 'fixed', got {self.event_rules!r}")
        if not 0.0 <= self.joint_dropout <= 1.0:
            raise ValueError(f"joint_dropout is a probability in [0, 1], got {self.joint_dropout}")

    @property
    def peak_lr(self) -> float:
        return self.lr if self.lr > 0 else DEFAULT_LR.get(self.preset, 1e-3)

    def lora(self) -> LoraSettings:
        return LoraSettings(r=self.lora_r, alpha=self.lora_alpha, dropout=self.lora_dropout)

    def resume_conflicts(self, interrupted: TrainConfig) -> dict[str, tuple[Any, Any]]:
        """Settings that keep this config from continuing the ``interrupted`` run's training:
        ``{field: (interrupted value, this value)}`` outside RESUMABLE_CHANGES; empty when it may."""
        same_otherwise = self.replace(**{k: getattr(interrupted, k) for k in RESUMABLE_CHANGES})
        if same_otherwise == interrupted:
            return {}
        return {k: (v, getattr(self, k)) for k, v in interrupted.to_dict().items() if getattr(same_otherwise, k) != v}

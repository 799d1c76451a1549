"""Training the cross-joint detector on a manifest: subject-wise split, early stopping and
threshold choice on validation subjects, resumable epochs, and the held-out evaluation.

Steps (``train_run``):

1. Check the manifest, split subjects (``splits.split_subjects``: train / val / test), cut 5 s
   windows at the training stride with the foundation's label rules (``segments``).
2. Decode + crop every recording once into the on-disk clip cache (``training_data``).
3. Build the detector (preset, optional pretrained encoder), apply the fine-tuning mode and print
   the parameter counts. ``frozen`` caches the encoder's tokens (``token_cache``) and trains only
   the cross-joint attention and head on them.
4. AdamW, linear warm-up then cosine decay (per step), gradient clipping, class imbalance via
   ``pos_weight = n_interictal / n_ictal`` (or a balanced sampler), left-right flip augmentation.
   Long interictal recordings: ``interictal_per_ictal`` = r > 0 trains each epoch on every ictal
   window plus a fresh seeded draw of r x as many interictal ones (all data is seen over the
   epochs; pos_weight follows the drawn ratio); ``val_interictal_per_ictal`` likewise fixes one
   draw of validation windows for the per-epoch checks.
5. After every epoch: validation AUROC and loss; the best epoch (AUROC, then loss) is saved as the
   run's model with the threshold that maximises F1 (or Youden's J) on validation; the full
   training state (model, optimiser, scheduler, epoch, history) is saved so ``resume`` continues.
   Training stops after ``patience`` epochs without improvement. When validation was subsampled,
   the threshold is re-chosen on every validation window with the best model.
6. Event rules (``event_rules="validation"``): the best model scores the validation recordings
   whole at the review stride (``evaluation.recording_trace``) and ``evaluation.choose_event_rules``
   picks the minimum duration and smoothing (highest sensitivity with <= 2 false alarms/h); the
   choice and the whole grid go to run.json (``training.event_rule_choice``) and the log.
7. The held-out test subjects are evaluated (``evaluation.evaluate_run``).
"""
from __future__ import annotations

import csv
import io
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from inference.core.atomic import atomic_write_json, atomic_write_text
from inference.core.cache import cache_root
from inference.core.config import ClipConfig, DictMixin, EventConfig, PoseConfig, SegmentConfig, SplitConfig
from inference.core.device import choose_device, inference_mode, torch_threads
from inference.core.errors import CheckpointError, SemioscopeError
from inference.core.progress import CancelToken, ProgressFn, check_cancel, no_progress
from inference.core.run_folder import RUN_JSON, is_run_folder
from inference.dataset.manifest import Manifest
from inference.dataset.manifest_checks import require_valid
from inference.dataset.segments import segment_manifest
from inference.dataset.splits import split_subjects
from inference.detector.checkpoint import load_run, load_tensors, make_run_config, save_run, save_tensors
from inference.detector.clips import to_float
from inference.detector.finetune_modes import LoraSettings, apply_mode, describe_counts
from inference.detector.model import build_detector, preset_config
from inference.detector.token_cache import cached_tokens, encoder_fingerprint
from inference.pose.joints import MIRROR
from inference.training.data import KeypointSource, WindowSet, recording_clips
from inference.training.metrics import choose_threshold, segment_metrics
from inference.training.scoring import choose_event_rules, predict_window_set, recording_trace

TRAIN_STATE_JSON = "train_state.json"
TRAIN_STATE_TENSORS = "train_state.safetensors"
TRAIN_LOG_JSONL = "train_log.jsonl"
TRAIN_LOG_CSV = "train_log.csv"
STATE_FORMAT = "semioscope.train_state"
# Peak learning rates by preset: the random-init tiny model needs a brisk one (1e-3 left it at the
# trivial solution for 7 epochs on the acceptance set, 3e-3 learned by epoch 5); pretrained
# vivit-b is fine-tuned gently.
DEFAULT_LR = {"tiny": 3e-3, "small": 1e-3, "vivit-b": 5e-4}


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
    # Class balance per epoch on long recordings (0: every window each epoch; see module docstring).
    interictal_per_ictal: float = 0.0
    val_interictal_per_ictal: float = 0.0
    # Event rules: "validation" chooses min duration x smoothing on the validation recordings,
    # "fixed" keeps the EventConfig given to train_run.
    event_rules: str = "validation"
    event_min_durations: tuple[float, ...] = (3.0, 6.0, 8.0, 10.0, 12.0, 15.0, 20.0)
    event_smoothing: tuple[int, ...] = (1, 3, 5)
    max_false_alarms_per_hour: float = 2.0

    def __post_init__(self) -> None:
        # JSON gives lists back: keep tuples so configs compare equal after a round trip (resume).
        object.__setattr__(self, "event_min_durations", tuple(float(x) for x in self.event_min_durations))
        object.__setattr__(self, "event_smoothing", tuple(int(x) for x in self.event_smoothing))
        if self.event_rules not in ("validation", "fixed"):
            raise ValueError(f"event_rules must be 'validation' or 'fixed', got {self.event_rules!r}")

    @property
    def peak_lr(self) -> float:
        return self.lr if self.lr > 0 else DEFAULT_LR.get(self.preset, 1e-3)

    def lora(self):

        return LoraSettings(r=self.lora_r, alpha=self.lora_alpha, dropout=self.lora_dropout)


@dataclass
class PreparedData:
    """Splits and cached windows of one manifest (shared by training and evaluation)."""

    split: Any  # splits.SubjectSplit
    train: Any  # training_data.WindowSet
    val: Any
    test: Any
    recordings: dict[str, Any]  # recording_id -> RecordingClips
    clip_config: ClipConfig
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


def prepare_data(manifest: Manifest, seg_cfg: SegmentConfig, clip_cfg: ClipConfig, split_cfg: SplitConfig,
                 pose_cfg: PoseConfig, keypoints: str, cache_dir: Optional[str | Path] = None,
                 split=None, roles: tuple[str, ...] = ("train", "val", "test"),
                 progress: ProgressFn = no_progress, cancel: Optional[CancelToken] = None,
                 log: Callable[[str], None] = lambda s: None) -> PreparedData:
    """Split, segment and cache the recordings of ``roles`` (a failing recording is reported and
    skipped; the job fails only when a role ends up with no usable window)."""

    durations: dict[str, float] = {}
    for w in require_valid(manifest, durations=durations):
        log(f"warning: {w}")
    if split is None:
        split = split_subjects(manifest, split_cfg)
    recs = [r for r in manifest if split.role(r.subject_id) in roles]
    source = KeypointSource(keypoints)
    cached: dict[str, Any] = {}
    failures: list[str] = []
    for k, rec in enumerate(recs):
        check_cancel(cancel)
        progress(k, len(recs), rec.recording_id)
        try:
            cached[rec.recording_id] = recording_clips(rec, source, seg_cfg, clip_cfg, pose_cfg, cache_dir,
                                                       cancel=cancel)
        except SemioscopeError as exc:
            failures.append(f"{rec.recording_id}: {exc}")
            log(f"skipping recording {rec.recording_id}: {exc}")
    progress(len(recs), len(recs), "")
    segments = segment_manifest([r for r in recs if r.recording_id in cached], seg_cfg,
                                stride_s=seg_cfg.train_stride_s, durations=durations)
    sets = {}
    counts = {}
    for role in ("train", "val", "test"):
        subj = set(getattr(split, role))
        segs = [s for s in segments if s.subject_id in subj]
        ws = WindowSet.from_segments(segs, cached, seg_cfg.frames_per_window)
        sets[role] = ws
        y = ws.labels
        counts[role] = {"subjects": len(subj), "windows": len(ws), "ictal": int(y.sum()),
                        "interictal": int(len(y) - y.sum()), "dropped": ws.dropped}
        if role in roles and len(ws) == 0:
            detail = f"; failures: {'; '.join(failures)}" if failures else ""
            raise SemioscopeError(f"{manifest.path or 'manifest'}: no usable {role} windows "
                                  f"(subjects {sorted(subj)}){detail}")
    if failures:
        counts["failures"] = {"n": len(failures), "messages": failures}  # type: ignore[assignment]
    return PreparedData(split, sets["train"], sets["val"], sets["test"], cached, clip_cfg, counts)


# -- optimisation helpers -----------------------------------------------------------------------

def warmup_cosine(total_steps: int, warmup_steps: int) -> Callable[[int], float]:
    """LR multiplier: linear warm-up from ~0 to 1, then cosine decay to 0 at ``total_steps``."""

    def f(step: int) -> float:
        if warmup_steps > 0 and step < warmup_steps:
            return (step + 1) / warmup_steps
        span = max(1, total_steps - warmup_steps)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, (step - warmup_steps) / span)))

    return f


def flip_batch(clips: np.ndarray, positions: np.ndarray, mask: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mirror a batch left-right: image columns reversed, x -> 1 - x, left/right joints swapped."""
    perm = list(MIRROR)
    c = np.ascontiguousarray(clips[:, perm, ..., ::-1])
    p = positions[:, perm].copy()
    present = p[..., 2] > 0
    p[..., 0] = np.where(present, 1.0 - p[..., 0], 0.0)
    return c, p, mask[:, perm].copy()


# TrainConfig fields that may differ when a run is resumed: the epoch budget, patience, where it
# runs, and the event-rule choice made after training.
RESUMABLE_CHANGES = ("epochs", "patience", "min_epochs", "device", "threads", "eval_batch_size", "event_rules",
                     "event_min_durations", "event_smoothing", "max_false_alarms_per_hour")


def _interictal_count(n_pos: int, n_neg: int, ratio: float) -> int:
    """Interictal windows drawn for ``n_pos`` ictal ones: ``ratio`` x as many, at most all of them."""
    return min(n_neg, int(round(ratio * max(n_pos, 1))))


def interictal_draw(labels: np.ndarray, ratio: float, rng: np.random.Generator) -> np.ndarray:
    """Indices of every ictal window plus ``ratio`` x as many interictal ones drawn without
    replacement (all interictal windows when there are fewer), sorted."""
    pos = np.flatnonzero(labels == 1)
    neg = np.flatnonzero(labels == 0)
    k = _interictal_count(len(pos), len(neg), ratio)
    if k < len(neg):
        neg = rng.choice(neg, k, replace=False)
    return np.sort(np.concatenate([pos, neg]))


def epoch_size(labels: np.ndarray, interictal_per_ictal: float = 0.0) -> int:
    """Windows per epoch: all of them, or every ictal one plus ratio x as many interictal."""
    n_pos = int((labels == 1).sum())
    if interictal_per_ictal <= 0:
        return len(labels)
    return n_pos + _interictal_count(n_pos, len(labels) - n_pos, interictal_per_ictal)


def epoch_order(n: int, labels: np.ndarray, seed: int, epoch: int, balance: str,
                interictal_per_ictal: float = 0.0) -> np.ndarray:
    """Window order of one epoch (deterministic in seed and epoch, so resuming replays it).
    ``interictal_per_ictal`` > 0: the epoch holds every ictal window plus a fresh draw of that many
    interictal windows per ictal one. ``balance="sampler"`` draws ictal and interictal windows
    equally often (with replacement)."""
    rng = np.random.default_rng([seed, epoch])
    if interictal_per_ictal > 0:
        sub = interictal_draw(labels[:n], interictal_per_ictal, rng)
        return sub[epoch_order(len(sub), labels[sub], seed, epoch, balance)]
    if balance != "sampler":
        return rng.permutation(n)
    pos = np.flatnonzero(labels == 1)
    neg = np.flatnonzero(labels == 0)
    if len(pos) == 0 or len(neg) == 0:
        return rng.permutation(n)
    half = n // 2
    idx = np.concatenate([rng.choice(pos, half, replace=True), rng.choice(neg, n - half, replace=True)])
    return rng.permutation(idx)


def _optimizer_to_tensors(opt) -> tuple[dict[str, Any], dict[str, Any]]:
    """Flatten an optimizer state dict into safetensors-able tensors + a JSON part."""
    import torch

    sd = opt.state_dict()
    tensors: dict[str, Any] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for pid, st in sd["state"].items():
        for name, v in st.items():
            if isinstance(v, torch.Tensor):
                tensors[f"optim.{pid}.{name}"] = v
            else:
                scalars.setdefault(str(pid), {})[name] = v
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def _optimizer_from_tensors(opt, tensors: dict[str, Any], meta: dict[str, Any]) -> None:
    state: dict[int, dict[str, Any]] = {}
    for key, v in tensors.items():
        if key.startswith("optim."):
            _, pid, name = key.split(".", 2)
            state.setdefault(int(pid), {})[name] = v
    for pid, st in meta.get("scalars", {}).items():
        state.setdefault(int(pid), {}).update(st)
    opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


def _jsonable(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=lambda o: float(o) if hasattr(o, "__float__") else str(o)))


# -- predictions --------------------------------------------------------------------------------

def predict_windows(model, windows, device, batch_size: int = 32, tokens: Optional[np.ndarray] = None,
                    cancel: Optional[CancelToken] = None) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities ``[N]``, attention ``[N, 14]``) of a WindowSet (from cached tokens when given)."""
    import torch


    n = len(windows)
    probs = np.zeros(n, np.float32)
    att = np.zeros((n, 14), np.float32)
    dev = device.torch_device()
    with inference_mode(model, device):
        for i in range(0, n, batch_size):
            check_cancel(cancel)
            idx = list(range(i, min(n, i + batch_size)))
            if tokens is not None:
                pos, mask = windows.positions_batch(idx)
                logits, a = model.head(torch.from_numpy(tokens[idx]).to(dev), torch.from_numpy(pos).to(dev),
                                       torch.from_numpy(mask).to(dev))
            else:
                clips, pos, mask = windows.batch(idx)
                logits, a = model(to_float(torch.from_numpy(clips).to(dev)), torch.from_numpy(pos).to(dev),
                                  torch.from_numpy(mask).to(dev))
            probs[idx] = torch.sigmoid(logits.float()).cpu().numpy()
            att[idx] = a.float().cpu().numpy()
    return probs, att


# -- event rules --------------------------------------------------------------------------------

def _choose_event_rules_on_validation(loaded, data: PreparedData, manifest: Manifest, seg_cfg: SegmentConfig,
                                      base: EventConfig, tcfg: TrainConfig, log: Callable[[str], None],
                                      cancel: Optional[CancelToken]) -> tuple[EventConfig, dict[str, Any]]:
    """Score the validation recordings whole with the best model and pick the event rules there
    (``evaluation.choose_event_rules``). Returns (rules, the record stored in run.json)."""

    t0 = time.perf_counter()
    by_id = {r.recording_id: r for r in manifest}
    traces = []
    for rid, rclips in data.recordings.items():
        rec = by_id[rid]
        if data.split.role(rec.subject_id) == "val":
            traces.append((recording_trace(loaded, rclips, rec.subject_id, seg_cfg.review_stride_s, cancel=cancel),
                           rec.seizures))
    chosen, rows = choose_event_rules(traces, seg_cfg, base, tcfg.event_min_durations, tcfg.event_smoothing,
                                      tcfg.max_false_alarms_per_hour)
    secs = time.perf_counter() - t0
    hours = rows[0]["interictal_hours"] if rows else 0.0
    n_sz = rows[0]["seizures"] if rows else 0
    log(f"event rules on validation ({len(traces)} recordings, {n_sz} seizures, {hours:.2f} interictal hours, "
        f"threshold {base.threshold:.3f}, {secs:.0f} s); per option: min duration / smoothing -> "
        f"detected, false alarms/h:")
    for r in rows:
        log(f"  {r['min_duration_s']:4g} s / {r['smooth_windows']} windows -> {r['detected']}/{r['seizures']}, "
            f"{r['false_alarms_per_hour']:.2f}/h{'  <- chosen' if r['chosen'] else ''}")
    best = next((r for r in rows if r["chosen"]), None)
    if best is not None and not best["feasible"]:
        log(f"warning: no option reaches <= {tcfg.max_false_alarms_per_hour:g} false alarms/h on validation; "
            f"chose the fewest")
    info = {"source": "validation", "max_false_alarms_per_hour": tcfg.max_false_alarms_per_hour,
            "threshold": base.threshold, "chosen": {"min_duration_s": chosen.min_duration_s,
                                                    "smooth_windows": chosen.smooth_windows},
            "validation_recordings": [t.recording_id for t, _ in traces], "seconds": round(secs, 1), "grid": rows}
    return chosen, info


# -- the run ------------------------------------------------------------------------------------

@dataclass
class TrainOutcome:
    run_dir: Path
    best_epoch: int
    epochs_run: int
    threshold: float
    val_metrics: dict[str, float]
    train_seconds: float
    prep_seconds: float
    counts: dict[str, Any]
    stopped_early: bool
    events: dict[str, Any] = field(default_factory=dict)  # the run's event rules (EventConfig as a dict)


def _write_logs(run_dir: Path, history: list[dict[str, Any]]) -> None:
    atomic_write_text(run_dir / TRAIN_LOG_JSONL, "".join(json.dumps(r) + "\n" for r in history))
    if history:
        buf = io.StringIO()
        cols = list(history[0].keys())
        w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        for r in history:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})
        atomic_write_text(run_dir / TRAIN_LOG_CSV, buf.getvalue())


def train_run(manifest: Manifest, run_dir: str | Path, tcfg: TrainConfig = TrainConfig(),
              seg_cfg: SegmentConfig = SegmentConfig(), clip_cfg: ClipConfig = ClipConfig(),
              split_cfg: SplitConfig = SplitConfig(), event_cfg: EventConfig = EventConfig(),
              pose_cfg: PoseConfig = PoseConfig(), cache_dir: Optional[str | Path] = None,
              resume: bool = False, progress: ProgressFn = no_progress,
              prep_progress: ProgressFn = no_progress, log: Callable[[str], None] = print,
              cancel: Optional[CancelToken] = None, split=None) -> TrainOutcome:
    """Train one run into ``run_dir`` (see the module docstring) and return a summary. Evaluation
    on the test subjects is a separate step (``evaluation.evaluate_run``)."""
    with torch_threads(tcfg.threads):
        return _train_run(manifest, run_dir, tcfg, seg_cfg, clip_cfg, split_cfg, event_cfg, pose_cfg, cache_dir,
                          resume, progress, prep_progress, log, cancel, split)


def _train_run(manifest, run_dir, tcfg, seg_cfg, clip_cfg, split_cfg, event_cfg, pose_cfg, cache_dir, resume,
               progress, prep_progress, log, cancel, split) -> TrainOutcome:
    import torch


    run_dir = Path(run_dir)
    state_json = run_dir / TRAIN_STATE_JSON
    if not resume and (state_json.exists() or is_run_folder(run_dir)):
        raise SemioscopeError(f"{run_dir}: already holds a run; pass --resume to continue it or choose another --out")
    resume_state: Optional[dict[str, Any]] = None
    if resume and state_json.exists():
        try:
            resume_state = json.loads(state_json.read_text("utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise CheckpointError(state_json, f"cannot read the training state ({exc})") from None
        if resume_state.get("format") != STATE_FORMAT:
            raise CheckpointError(state_json, "not a Semioscope training state")
        old = TrainConfig.from_dict(resume_state["train_config"])
        # Everything but RESUMABLE_CHANGES must match to continue.
        keep = tcfg.replace(**{k: getattr(old, k) for k in RESUMABLE_CHANGES})
        if keep != old:
            diff = {k: (v, getattr(tcfg, k)) for k, v in old.to_dict().items() if getattr(keep, k) != v}
            raise CheckpointError(state_json, f"--resume with different settings {diff} (run: old, now: new)")
        if resume_state.get("manifest_hash") != manifest.content_hash():
            raise CheckpointError(state_json, "--resume with a different manifest (content hash differs)")
    run_dir.mkdir(parents=True, exist_ok=True)
    cache_dir = Path(cache_dir) if cache_dir else cache_root()

    torch.manual_seed(tcfg.seed)
    np.random.seed(tcfg.seed % (2 ** 32))
    device = choose_device(tcfg.device)
    det_cfg = preset_config(tcfg.preset, pooling=tcfg.pooling, joint_layers=tcfg.joint_layers,
                            joint_heads=tcfg.joint_heads, window_frames=seg_cfg.frames_per_window,
                            motion_features=tcfg.motion_features, position_encoding=tcfg.position_encoding)
    model = build_detector(det_cfg, tcfg.encoder or None)
    det_cfg = model.cfg
    apply_mode(model, tcfg.mode, tcfg.lora())
    model.to(device.torch_device())
    log(describe_counts(model, tcfg.mode) + (" (the cross-joint attention and head always train)"
                                               if tcfg.mode != "full" else ""))
    clip_cfg = clip_cfg.replace(input_size=det_cfg.image_size)  # crops are cut at the encoder's size

    t0 = time.perf_counter()
    data = prepare_data(manifest, seg_cfg, clip_cfg, split_cfg, pose_cfg, tcfg.keypoints, cache_dir,
                        split=split, roles=("train", "val"), progress=prep_progress, cancel=cancel, log=log)
    prep_s = time.perf_counter() - t0
    train_ws, val_ws = data.train, data.val
    c = data.counts
    log(f"subjects: train {data.split.train}, val {data.split.val}, test {data.split.test}")
    log(f"windows: train {c['train']['windows']} ({c['train']['ictal']} ictal), val {c['val']['windows']} "
        f"({c['val']['ictal']} ictal); data ready in {prep_s:.1f} s")
    if c["train"]["ictal"] == 0 or c["train"]["interictal"] == 0:
        raise SemioscopeError(f"{manifest.path or 'manifest'}: training windows need both classes "
                              f"(ictal {c['train']['ictal']}, interictal {c['train']['interictal']})")

    val_check = val_ws  # the windows checked after every epoch
    if epoch_size(val_ws.labels, tcfg.val_interictal_per_ictal) < len(val_ws):
        val_check = val_ws.subset(interictal_draw(val_ws.labels, tcfg.val_interictal_per_ictal,
                                                  np.random.default_rng([tcfg.seed, 11])))
        log(f"per-epoch validation on {len(val_check)} of {len(val_ws)} windows (every ictal one, "
            f"{tcfg.val_interictal_per_ictal:g} interictal per ictal, one fixed draw); the threshold is "
            f"re-chosen on all of them at the end")
    train_tokens = val_tokens = None
    if tcfg.mode == "frozen":
        enc_fp = encoder_fingerprint(model.encoder)
        tok_dir = cache_dir / "tokens"
        train_tokens = cached_tokens(model, train_ws, tok_dir, device, tcfg.eval_batch_size, prep_progress,
                                     cancel, enc_fp)
        val_tokens = cached_tokens(model, val_check, tok_dir, device, tcfg.eval_batch_size, prep_progress,
                                   cancel, enc_fp)

    labels = train_ws.labels
    targets = train_ws.targets
    n_pos = int(labels.sum())
    n_epoch = epoch_size(labels, tcfg.interictal_per_ictal)
    n_neg = n_epoch - n_pos  # interictal windows seen per epoch
    if n_epoch < len(labels):
        log(f"each epoch: all {n_pos} ictal + {n_neg} of {len(labels) - n_pos} interictal training windows "
            f"(a fresh draw per epoch, {tcfg.interictal_per_ictal:g} per ictal window)")
    pos_weight = torch.tensor(n_neg / max(n_pos, 1) if tcfg.balance == "pos_weight" else 1.0,
                              device=device.torch_device())
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=tcfg.peak_lr, weight_decay=tcfg.weight_decay)
    steps_per_epoch = max(1, math.ceil(n_epoch / tcfg.batch_size))
    total_steps = steps_per_epoch * tcfg.epochs
    sched = torch.optim.lr_scheduler.LambdaLR(opt, warmup_cosine(total_steps, int(tcfg.warmup_frac * total_steps)))

    history: list[dict[str, Any]] = []
    start_epoch = 0
    best_key = (-math.inf, -math.inf)
    best_epoch, bad_epochs, best_thr, best_val = -1, 0, 0.5, {}
    train_seconds = 0.0
    if resume_state is not None:
        tensors, _ = load_tensors(run_dir / TRAIN_STATE_TENSORS, expect_format=STATE_FORMAT)
        model_sd = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
        try:
            model.load_state_dict(model_sd, strict=True)
            _optimizer_from_tensors(opt, tensors, resume_state["optimizer"])
            sched.load_state_dict(resume_state["scheduler"])
        except (RuntimeError, KeyError, ValueError) as exc:
            raise CheckpointError(run_dir / TRAIN_STATE_TENSORS, f"training state does not fit this model ({exc})") from None
        start_epoch = int(resume_state["epoch"]) + 1
        history = list(resume_state.get("history", []))
        best_key = tuple(resume_state.get("best_key", best_key))  # type: ignore[assignment]
        best_epoch = int(resume_state.get("best_epoch", -1))
        bad_epochs = int(resume_state.get("bad_epochs", 0))
        best_thr = float(resume_state.get("threshold", 0.5))
        best_val = dict(resume_state.get("best_val", {}))
        train_seconds = float(resume_state.get("train_seconds", 0.0))
        log(f"resuming after epoch {start_epoch} (best epoch {best_epoch + 1})")


    def run_config(threshold: float) -> dict[str, Any]:
        return make_run_config(
            detector=det_cfg, mode=tcfg.mode, lora=tcfg.lora(), segments=seg_cfg, clips=clip_cfg, events=event_cfg,
            threshold=threshold, keypoint_source=tcfg.keypoints, manifest_hash=manifest.content_hash(),
            manifest_path=str(Path(manifest.path).resolve()) if manifest.path else "",
            split={**data.split.to_dict(), "seed": split_cfg.seed, "n_test_subjects": split_cfg.n_test_subjects,
                   "val_fraction": split_cfg.val_fraction},
            training={**tcfg.to_dict(), "counts": data.counts, "best_epoch": best_epoch + 1,
                      "epochs_run": len(history), "train_seconds": round(train_seconds, 1),
                      "prep_seconds": round(prep_s, 1), "val": best_val,
                      "device": device.name, "pos_weight": float(pos_weight), "peak_lr": tcfg.peak_lr},
            pose=pose_cfg.to_dict())

    stopped_early = bool(resume_state and resume_state.get("stopped_early"))
    finished = stopped_early or start_epoch >= tcfg.epochs
    if resume_state is not None and finished:
        log(f"{run_dir}: training already finished (best epoch {best_epoch + 1}); raise --epochs to continue")
    epoch = start_epoch
    while not finished and epoch < tcfg.epochs:
        te = time.perf_counter()
        torch.manual_seed(tcfg.seed * 1000 + epoch)
        model.train()
        if tcfg.mode != "full":
            model.encoder.eval()  # frozen weights: keep encoder dropout off
        order = epoch_order(len(train_ws), labels, tcfg.seed, epoch, tcfg.balance, tcfg.interictal_per_ictal)
        flip_rng = np.random.default_rng([tcfg.seed, epoch, 7])
        losses = []
        for s in range(steps_per_epoch):
            check_cancel(cancel)
            idx = order[s * tcfg.batch_size:(s + 1) * tcfg.batch_size].tolist()
            if not idx:
                continue
            y = torch.from_numpy(targets[idx]).to(device.torch_device())
            with device.autocast():
                if train_tokens is not None:
                    pos, mask = train_ws.positions_batch(idx)
                    logits, _ = model.head(torch.from_numpy(train_tokens[idx]).to(device.torch_device()),
                                           torch.from_numpy(pos).to(device.torch_device()),
                                           torch.from_numpy(mask).to(device.torch_device()))
                else:
                    clips, pos, mask = train_ws.batch(idx)
                    if tcfg.augment:
                        flip = flip_rng.random(len(idx)) < 0.5
                        if flip.any():
                            fc, fp_, fm = flip_batch(clips[flip], pos[flip], mask[flip])
                            clips[flip], pos[flip], mask[flip] = fc, fp_, fm
                    logits, _ = model(to_float(torch.from_numpy(clips).to(device.torch_device())),
                                      torch.from_numpy(pos).to(device.torch_device()),
                                      torch.from_numpy(mask).to(device.torch_device()))
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits.float(), y, pos_weight=pos_weight)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if tcfg.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(params, tcfg.grad_clip)
            opt.step()
            sched.step()
            losses.append(float(loss.detach()))
            done = epoch * steps_per_epoch + s + 1
            prev = history[-1] if history else {}
            progress(done, total_steps, f"epoch {epoch + 1}/{tcfg.epochs} loss {np.mean(losses):.4f}"
                                        + (f" val AUROC {prev['val_auroc']:.3f}" if prev.get("val_auroc") is not None
                                           and math.isfinite(prev['val_auroc']) else ""))
        # -- validation --
        vprob, _ = predict_windows(model, val_check, device, tcfg.eval_batch_size, val_tokens, cancel)
        vy = val_check.labels
        with torch.no_grad():
            vloss = float(torch.nn.functional.binary_cross_entropy(
                torch.from_numpy(vprob.astype(np.float64)).clamp(1e-7, 1 - 1e-7),
                torch.from_numpy(val_check.targets.astype(np.float64))))
        thr = choose_threshold(vy, vprob, tcfg.threshold_rule)
        vm = segment_metrics(vy, vprob, thr)
        auc = vm["auroc"] if math.isfinite(vm["auroc"]) else -math.inf
        key = (round(auc, 6), -round(vloss, 6))
        improved = key > tuple(best_key)
        epoch_s = time.perf_counter() - te
        train_seconds += epoch_s
        row = {"epoch": epoch + 1, "train_loss": float(np.mean(losses)) if losses else float("nan"),
               "val_loss": vloss, "val_auroc": vm["auroc"], "val_auprc": vm["auprc"], "val_f1": vm["f1"],
               "threshold": thr, "lr": float(sched.get_last_lr()[0]), "seconds": round(epoch_s, 2),
               "best": bool(improved)}
        history.append(row)
        if improved:
            best_key, best_epoch, bad_epochs, best_thr = key, epoch, 0, thr
            best_val = {k: vm[k] for k in ("accuracy", "auroc", "auprc", "f1", "precision", "recall")}
            best_val["loss"] = vloss
            save_run(run_dir, model, run_config(thr))
        else:
            bad_epochs += 1
        log(f"epoch {epoch + 1}/{tcfg.epochs}: train loss {row['train_loss']:.4f}, val loss {vloss:.4f}, "
            f"val AUROC {vm['auroc']:.3f}, F1 {vm['f1']:.3f} at threshold {thr:.3f}"
            f"{' (best)' if improved else ''} [{epoch_s:.0f} s]")
        stop = bad_epochs >= tcfg.patience and epoch + 1 >= tcfg.min_epochs
        finished = stop or epoch + 1 >= tcfg.epochs
        stopped_early = stop and epoch + 1 < tcfg.epochs
        # -- resumable state --
        opt_tensors, opt_meta = _optimizer_to_tensors(opt)
        save_tensors(run_dir / TRAIN_STATE_TENSORS,
                     {**{f"model.{k}": v for k, v in model.state_dict().items()}, **opt_tensors},
                     {"format": STATE_FORMAT})
        atomic_write_json(state_json, _jsonable({
            "format": STATE_FORMAT, "version": 1, "epoch": epoch, "finished": finished,
            "train_config": tcfg.to_dict(), "manifest_hash": manifest.content_hash(),
            "optimizer": opt_meta, "scheduler": sched.state_dict(), "history": history,
            "best_key": list(best_key), "best_epoch": best_epoch, "bad_epochs": bad_epochs,
            "threshold": best_thr, "best_val": best_val, "train_seconds": train_seconds,
            "stopped_early": stopped_early}))
        _write_logs(run_dir, history)
        epoch += 1
        if stop:
            log(f"early stop: no validation improvement for {tcfg.patience} epochs")
    if best_epoch < 0:
        raise SemioscopeError(f"{run_dir}: no epoch was trained")
    loaded = None
    if val_check is not val_ws or tcfg.event_rules == "validation":

        loaded = load_run(run_dir, tcfg.device)  # the best epoch's weights, applied as the engine does
    if val_check is not val_ws:

        vprob = predict_window_set(loaded, val_ws, cancel)
        best_thr = choose_threshold(val_ws.labels, vprob, tcfg.threshold_rule)
        vm = segment_metrics(val_ws.labels, vprob, best_thr)
        best_val = {**{k: vm[k] for k in ("accuracy", "auroc", "auprc", "f1", "precision", "recall")},
                    "loss": best_val.get("loss"), "windows": len(val_ws)}
        log(f"all {len(val_ws)} validation windows: AUROC {vm['auroc']:.3f}, F1 {vm['f1']:.3f} at threshold "
            f"{best_thr:.3f}")
    rule_info: dict[str, Any] = {"source": "fixed"}
    if tcfg.event_rules == "validation":
        event_cfg, rule_info = _choose_event_rules_on_validation(loaded, data, manifest, seg_cfg,
                                                                 event_cfg.replace(threshold=best_thr), tcfg, log,
                                                                 cancel)
    # Refresh run.json with the final bookkeeping (weights of the best epoch stay as saved).
    rc = json.loads((run_dir / RUN_JSON).read_text("utf-8"))
    rc["training"] = run_config(best_thr)["training"]
    rc["training"]["stopped_early"] = stopped_early
    rc["training"]["event_rule_choice"] = rule_info
    rc["threshold"] = float(best_thr)
    rc["events"] = event_cfg.replace(threshold=float(best_thr)).to_dict()
    atomic_write_json(run_dir / RUN_JSON, _jsonable(rc))
    outcome = TrainOutcome(run_dir, best_epoch + 1, len(history), best_thr, best_val, train_seconds, prep_s,
                           data.counts, stopped_early, rc["events"])
    return outcome

"""A manifest made ready for training or evaluation: the subject split and the cached 5 s windows
of each role. Training and evaluation both start here, so they cut and label windows alike."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from inference.core.config import ClipConfig, PoseConfig, SegmentConfig, SplitConfig
from inference.core.errors import SemioscopeError
from inference.core.progress import CancelToken, ProgressFn, check_cancel, no_progress
from inference.dataset.manifest import Manifest
from inference.dataset.manifest_checks import require_valid
from inference.dataset.segments import segment_manifest
from inference.dataset.splits import SubjectSplit, split_subjects
from inference.training.data import KeypointSource, RecordingClips, WindowSet, recording_clips


@dataclass
class PreparedData:
    """Splits and cached windows of one manifest (shared by training and evaluation)."""

    split: SubjectSplit
    train: WindowSet
    val: WindowSet
    test: WindowSet
    recordings: dict[str, RecordingClips]  # recording_id -> its cached clips
    clip_config: ClipConfig
    counts: dict[str, dict[str, Any]] = field(default_factory=dict)  # per role, plus "failures" when any


def prepare_data(manifest: Manifest, seg_cfg: SegmentConfig, clip_cfg: ClipConfig, split_cfg: SplitConfig,
                 pose_cfg: PoseConfig, keypoints: str, cache_dir: Optional[str | Path] = None,
                 split: Optional[SubjectSplit] = None, roles: tuple[str, ...] = ("train", "val", "test"),
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
    cached: dict[str, RecordingClips] = {}
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
    counts: dict[str, dict[str, Any]] = {}
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
        counts["failures"] = {"n": len(failures), "messages": failures}
    return PreparedData(split, sets["train"], sets["val"], sets["test"], cached, clip_cfg, counts)

"""Typed configuration in one place. Every default from DESIGN.md lives here.

Each block is a dataclass that round-trips through plain dicts (``to_dict``/``from_dict``) so
it can be stored in run folders, result files and ``resources/default_config.toml``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from inference.core.errors import InputFileError

T = TypeVar("T")


class DictMixin:
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any] | None) -> T:
        """Build from a dict, ignoring unknown keys (forward compatibility) and keeping defaults."""
        data = data or {}
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in data.items() if k in names})  # type: ignore[call-arg]

    def replace(self: T, **changes: Any) -> T:
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


@dataclass(frozen=True)
class SegmentConfig(DictMixin):
    """Windowing and labelling rules (paper section 4.1)."""

    window_s: float = 5.0  # window length
    fps: float = 6.0  # sampling rate by time; 5 s x 6 fps = 30 frames
    ictal_span_s: float = 40.0  # ictal windows start within this span after clinical onset
    train_stride_s: float = 5.0  # stride for training segments
    review_stride_s: float = 1.0  # stride for review / event-level scoring
    soft_labels: bool = False  # VSViG-style soft label between EEG and clinical onset
    soft_label_rate: float = 5.0  # steepness of the exponential rise (dimensionless)
    # Between seizures: a window is interictal only if it starts this long after the previous
    # seizure's end (post-ictal phase excluded). inf = only windows before the first seizure.
    postictal_guard_s: float = 600.0
    assumed_seizure_s: float = 120.0  # seizure length assumed when a manifest gives no end_s

    @property
    def frames_per_window(self) -> int:
        return int(round(self.window_s * self.fps))


@dataclass(frozen=True)
class PoseConfig(DictMixin):
    """Pose estimation and track cleaning."""

    backend: str = "mediapipe"  # mediapipe | onnx | file
    model_complexity: int = 1  # MediaPipe Pose model (0, 1, 2)
    # MediaPipe's own landmark filter: steadier overlays, but it halves fast jerks (motion gain
    # 0.54 vs 1.18 at equal PCK, README "Does pose follow the jerks?"), so it is off by default.
    landmark_smoothing: bool = False
    min_confidence: float = 0.3  # below this a joint is missing
    max_gap_s: float = 0.5  # gaps up to this long are interpolated, longer stay missing
    smoothing: bool = False  # optional smoothing that keeps 2-5 Hz motion
    smoothing_cutoff_hz: float = 8.0  # low-pass cutoff of that smoothing
    # ONNX backend (inference/pose/onnx_backend.py): a top-down RTMPose/ViTPose model from a local file.
    onnx_model: str = ""  # path of the .onnx file (none ships; README "Using real data")
    onnx_normalization: str = "imagenet"  # imagenet (RGB, ImageNet mean/std) | imagenet_bgr | unit (x/255) | none
    onnx_provider: str = "auto"  # auto (CUDA when onnxruntime-gpu sees a GPU, else CPU) | cuda | cpu
    onnx_batch_size: int = 8  # frames per model call; the person box is refreshed once per call
    onnx_box: str = "track"  # track: box from the last confident keypoints | fixed: always the fallback
    onnx_box_padding: float = 1.25  # the keypoints' bounding box is enlarged by this factor
    onnx_box_confidence: float = 0.3  # keypoints at or above this score make the box (>= 3 needed)
    bed_region: str = ""  # fallback box "x0,y0,x1,y1" as fractions of the frame; "" = the whole frame

    @classmethod
    def from_run(cls, data: dict[str, Any] | None) -> "PoseConfig":
        """The pose settings a run was trained with (``run.json``). Runs stored before
        ``landmark_smoothing`` existed ran MediaPipe with its filter on: they keep it."""
        return cls.from_dict({"landmark_smoothing": True, **(data or {})})

    def as_trained(self, run_pose: dict[str, Any] | None) -> "PoseConfig":
        """These settings, posing as the run (its ``run.json`` pose section) was trained: whether
        MediaPipe's landmark filter ran is part of what the model learned from."""
        return self.replace(landmark_smoothing=PoseConfig.from_run(run_pose).landmark_smoothing)


@dataclass(frozen=True)
class ClipConfig(DictMixin):
    """Joint-centred crops."""

    crop_px_at_1080: int = 128  # crop side at 1080p, scaled with frame height
    input_size: int = 32  # encoder input side S (preset-dependent)
    gaussian_weighting: bool = False  # VSViG-style Gaussian weighting of the crop
    gaussian_sigma: float = 0.35  # sigma as a fraction of the crop side
    # Pose-coverage gate: a window with fewer valid joints gets no probability (a "partial pose"
    # gap). A score from 14-joint training data means little on a head-and-shoulders view; 7 keeps
    # a patient under a blanket (head, neck, shoulders, elbows, one wrist) and gates a bust (6).
    min_joints: int = 7

    def crop_side(self, frame_height: int) -> int:
        return max(8, int(round(self.crop_px_at_1080 * frame_height / 1080.0)))


@dataclass(frozen=True)
class EventConfig(DictMixin):
    """Turning a probability trace into events."""

    threshold: float = 0.5
    hysteresis: float = 0.1  # an event ends when p falls below threshold - hysteresis
    min_duration_s: float = 3.0
    merge_gap_s: float = 10.0
    # Trailing moving average of the trace over this many windows before thresholding (1 = none);
    # trailing, so an alarm still needs only windows already seen. Training picks it on validation.
    smooth_windows: int = 1


@dataclass(frozen=True)
class SplitConfig(DictMixin):
    """Subject-wise split."""

    n_test_subjects: int = 5
    val_fraction: float = 0.2  # fraction of training subjects held for validation
    seed: int = 0


@dataclass(frozen=True)
class EdfPatternConfig(DictMixin):
    """Regular expressions (case-insensitive) that say which EDF+ annotation texts are which
    mark on import; "" keeps the built-in pattern (``inference.exchange.edf_annotations``)."""

    eeg_onset: str = ""
    clinical_onset: str = ""
    end: str = ""
    seizure: str = ""
    sign: str = ""
    type: str = ""

    def overrides(self) -> dict[str, str]:
        return {k: v for k, v in self.to_dict().items() if v}


@dataclass(frozen=True)
class SemioscopeConfig(DictMixin):
    segments: SegmentConfig = field(default_factory=SegmentConfig)
    pose: PoseConfig = field(default_factory=PoseConfig)
    clips: ClipConfig = field(default_factory=ClipConfig)
    events: EventConfig = field(default_factory=EventConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    edf_patterns: EdfPatternConfig = field(default_factory=EdfPatternConfig)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "SemioscopeConfig":
        data = data or {}
        return cls(
            segments=SegmentConfig.from_dict(data.get("segments")),
            pose=PoseConfig.from_dict(data.get("pose")),
            clips=ClipConfig.from_dict(data.get("clips")),
            events=EventConfig.from_dict(data.get("events")),
            split=SplitConfig.from_dict(data.get("split")),
            edf_patterns=EdfPatternConfig.from_dict(data.get("edf_patterns")),
        )


def _toml():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    return tomllib


def _packaged_defaults() -> dict[str, Any]:
    return _toml().loads(resources.files("resources").joinpath("default_config.toml").read_text("utf-8"))


def load_default_config() -> SemioscopeConfig:
    """The packaged defaults (``resources/default_config.toml``)."""
    return SemioscopeConfig.from_dict(_packaged_defaults())


def _same_kind(default: Any, value: Any) -> bool:
    """Whether a TOML value may replace ``default`` (an int is fine for a float; a bool is never a number)."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    return default is None or isinstance(value, type(default))


def load_config(path: str | Path | None = None) -> SemioscopeConfig:
    """The packaged defaults, overridden by the sections and keys of the user's TOML file ``path``
    (same layout as ``resources/default_config.toml``). Unlike ``from_dict``, a user file is
    checked strictly: an unknown section or key, or a value of the wrong type, is an error that
    names the file, so a typo never silently leaves a default in place."""

    data = _packaged_defaults()
    if path is None:
        return SemioscopeConfig.from_dict(data)
    path = Path(path)
    try:
        user = _toml().loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise InputFileError(path, "config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"cannot read the config file ({exc})") from None
    except _toml().TOMLDecodeError as exc:
        raise InputFileError(path, f"not valid TOML: {exc}") from None
    sections = {f.name: f.default_factory for f in dataclasses.fields(SemioscopeConfig)}  # type: ignore[misc]
    for name, values in user.items():
        if name not in sections:
            raise InputFileError(path, f"unknown section [{name}] (known: {', '.join(sorted(sections))})")
        if not isinstance(values, dict):
            raise InputFileError(path, f"{name} must be a [{name}] table")
        defaults = sections[name]()
        fields = {f.name for f in dataclasses.fields(defaults)}
        for key, value in values.items():
            if key not in fields:
                raise InputFileError(path, f"unknown key {key!r} in [{name}] (known: {', '.join(sorted(fields))})")
            default = getattr(defaults, key)
            if not _same_kind(default, value):
                raise InputFileError(path, f"[{name}] {key} = {value!r}: expected {type(default).__name__}")
            if isinstance(default, float):
                values[key] = float(value)
        data.setdefault(name, {}).update(values)
    return SemioscopeConfig.from_dict(data)

"""The analysis result file: what the engine wrote about one video, readable without torch.

One ``.npz`` file (uncompressed zip of ``.npy`` arrays, no pickles) with a JSON header:

- ``header`` (uint8 JSON): ``format``, ``version``, ``complete``, ``created_utc``, ``model``
  (identity: run name, run-config hash, preset, threshold), ``config`` (everything that shaped
  the windows: segments, clips, pose source, stride), ``video`` (path, fingerprint, meta),
  ``joints``, ``gaps``, ``events``, ``keypoints`` (source, frame size), ``traces`` (names and
  per-trace metadata), ``notes``.
- ``window_start_s``, ``window_end_s`` ``[N]`` float64; ``prob`` ``[N]`` float32 (NaN in gaps);
  ``attention`` ``[N, 14]`` float32 (NaN in gaps).
- ``kp_times`` ``[T]`` float64, ``kp_xy`` ``[T, 14, 2]`` float32, ``kp_conf`` ``[T, 14]`` float32:
  the keypoints at the sampling rate (6 fps).
- ``trace.<name>.start_s`` / ``.end_s`` / ``.value``: extra traces (e.g. ``forecast``) added
  without a format change.

Arrays are stored uncompressed so a 24-hour recording (86 400 windows, 518 400 keypoint
samples, ~100 MB) saves and loads in well under a second, and ``load(..., keypoints=False)``
skips the keypoint arrays (zip members are read lazily).
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

import numpy as np

from inference.core.atomic import atomic_write, atomic_write_text
from inference.core.errors import InputFileError
from inference.core.fingerprint import file_fingerprint
from inference.core.run_folder import run_json_path
from inference.pose.joints import JOINT_NAMES, NUM_JOINTS
from inference.pose.keypoints import KeypointTrack
from inference.results.events import Event

RESULT_FORMAT = "semioscope.result"
RESULT_VERSION = 1
RESULT_SUFFIX = ".result.npz"

_TRACE_NAME = re.compile(r"^[A-Za-z0-9_\-]+$")

# Gap reasons.
GAP_DECODE = "decode failure"
GAP_TRUNCATED = "truncated"
GAP_NO_PERSON = "no person"
GAP_PARTIAL_POSE = "partial pose"  # too few joints visible to score (ClipConfig.min_joints)


def canonical_hash(obj: Any) -> str:
    """Short sha256 of the canonical JSON of ``obj`` (sorted keys), e.g. of a run configuration."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def model_identity(run_config: dict[str, Any], run_dir: str | Path | None = None,
                   threshold: float | None = None) -> dict[str, Any]:
    """What identifies a model in a result file: run folder name, run-config hash, preset.

    The hash is over the canonical JSON of the run configuration, so it is the same whether
    computed from ``run.json`` on disk or from a loaded detector's ``run_config``.
    """
    preset = run_config.get("preset")
    if preset is None and isinstance(run_config.get("model"), dict):
        preset = run_config["model"].get("preset")
    name = Path(run_dir).name if run_dir is not None else run_config.get("name", run_config.get("run_name"))
    ident = {"run_name": name, "run_hash": canonical_hash(run_config), "preset": preset}
    if threshold is not None:
        ident["threshold"] = float(threshold)
    return ident


@dataclass(frozen=True)
class Gap:
    """A stretch ``[start_s, end_s)`` where the trace has no values, and why (``GAP_*``)."""

    start_s: float
    end_s: float
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"start_s": self.start_s, "end_s": self.end_s, "reason": self.reason}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Gap":
        return cls(float(d["start_s"]), float(d["end_s"]), str(d.get("reason", "")))


def merge_gaps(gaps: Iterable[Gap]) -> list[Gap]:
    """Sort and merge touching/overlapping gaps that share a reason."""
    out: list[Gap] = []
    for g in sorted(gaps, key=lambda g: (g.start_s, g.end_s)):
        if out and out[-1].reason == g.reason and g.start_s <= out[-1].end_s + 1e-6:
            last = out[-1]
            out[-1] = Gap(last.start_s, max(last.end_s, g.end_s), last.reason)
        else:
            out.append(g)
    return out


@dataclass
class Trace:
    """An extra per-window trace (e.g. the forecaster's): ``start_s``, ``end_s``, ``value`` ``[M]``."""

    start_s: np.ndarray
    end_s: np.ndarray
    value: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.start_s = np.asarray(self.start_s, dtype=np.float64)
        self.end_s = np.asarray(self.end_s, dtype=np.float64)
        self.value = np.asarray(self.value, dtype=np.float32)
        if not (self.start_s.shape == self.end_s.shape == self.value.shape[:1]) or self.start_s.ndim != 1:
            raise ValueError(f"trace arrays disagree: start {self.start_s.shape}, end {self.end_s.shape}, "
                             f"value {self.value.shape}")


@dataclass(frozen=True)
class ResultChunk:
    """Windows ``first_index .. first_index + n - 1`` just finished (what the GUI draws live).

    ``start_s``/``end_s`` ``[n]`` float64; ``prob`` ``[n]`` float32 (NaN in gaps); ``attention``
    ``[n, 14]``; ``total_windows``: how many windows the whole video has; ``video_s_done``: the
    video time analysed so far (end of the last window).
    """

    first_index: int
    start_s: np.ndarray
    end_s: np.ndarray
    prob: np.ndarray
    attention: np.ndarray
    total_windows: int
    video_s_done: float

    def __len__(self) -> int:
        return len(self.prob)


def _empty_attention(n: int = 0) -> np.ndarray:
    return np.zeros((n, NUM_JOINTS), dtype=np.float32)


@dataclass
class AnalysisResult:
    """Everything the engine found in one video. See the module docstring for the file layout.

    - ``window_start_s``/``window_end_s`` ``[N]`` float64, ``prob`` ``[N]`` float32 (NaN = no
      value: see ``gaps``), ``attention`` ``[N, 14]`` float32 (NaN in gaps).
    - ``keypoints``: the 14-joint track at the sampling rate, or None.
    - ``model``: identity dict (``model_identity``); ``config``: analysis configuration dict.
    - ``video``: ``{"path", "fingerprint", "meta"}``.
    - ``complete``: False for a partial (still running or interrupted) result.
    """

    window_start_s: np.ndarray
    window_end_s: np.ndarray
    prob: np.ndarray
    attention: np.ndarray
    model: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    video: dict[str, Any] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    keypoints: Optional[KeypointTrack] = None
    traces: dict[str, Trace] = field(default_factory=dict)
    complete: bool = True
    created_utc: str = ""
    notes: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.window_start_s = np.asarray(self.window_start_s, dtype=np.float64)
        self.window_end_s = np.asarray(self.window_end_s, dtype=np.float64)
        self.prob = np.asarray(self.prob, dtype=np.float32)
        att = np.asarray(self.attention, dtype=np.float32)
        self.attention = att.reshape(len(self.prob), NUM_JOINTS) if att.size == 0 else att
        n = len(self.prob)
        if self.window_start_s.shape != (n,) or self.window_end_s.shape != (n,):
            raise ValueError(f"window times must be [{n}], got {self.window_start_s.shape}, {self.window_end_s.shape}")
        if self.attention.shape != (n, NUM_JOINTS):
            raise ValueError(f"attention must be [{n}, {NUM_JOINTS}], got {self.attention.shape}")
        if not self.created_utc:
            self.created_utc = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    # -- convenience ----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.prob)

    @property
    def window_mid_s(self) -> np.ndarray:
        return 0.5 * (self.window_start_s + self.window_end_s)

    @property
    def video_path(self) -> str:
        return str(self.video.get("path", ""))

    @property
    def fingerprint(self) -> str:
        return str(self.video.get("fingerprint", ""))

    @property
    def duration_s(self) -> float:
        meta = self.video.get("meta") or {}
        return float(meta.get("duration_s", self.window_end_s[-1] if len(self) else 0.0))

    def window_at(self, t: float) -> int:
        """Index of the latest window starting at or before ``t`` (-1 before the first)."""
        return int(np.searchsorted(self.window_start_s, t, side="right")) - 1

    def add_trace(self, name: str, trace: Trace) -> None:
        if not _TRACE_NAME.match(name):
            raise ValueError(f"trace name {name!r} must be letters, digits, '_' or '-'")
        self.traces[name] = trace

    def is_stale(self, video_path: str | Path | None = None, run_config: Any = None) -> Optional[str]:
        """Why this result no longer describes ``video_path`` / the model, or None if it does.

        ``run_config``: a run configuration dict, a run folder (with ``run.json``) or an object
        with a ``run_config`` attribute (a loaded detector).
        """

        path = Path(video_path if video_path is not None else self.video_path)
        if not path.exists():
            return f"video {path} not found"
        fp = file_fingerprint(path)
        if fp != self.fingerprint:
            return (f"video {path.name} changed since it was analysed "
                    f"(fingerprint {fp} != {self.fingerprint})")
        if run_config is not None:
            cfg = _run_config_of(run_config)
            want = canonical_hash(cfg)
            have = self.model.get("run_hash")
            if want != have:
                return (f"model changed since the analysis (run config hash {want} != {have}, "
                        f"analysed with {self.model.get('run_name')!r})")
        return None

    # -- file -----------------------------------------------------------------------------
    def header(self) -> dict[str, Any]:
        kp = None
        if self.keypoints is not None:
            kp = {"source": self.keypoints.source, "frame_size": list(self.keypoints.frame_size),
                  "meta": self.keypoints.meta}
        return {
            "format": RESULT_FORMAT,
            "version": RESULT_VERSION,
            "complete": bool(self.complete),
            "created_utc": self.created_utc,
            "model": self.model,
            "config": self.config,
            "video": self.video,
            "joints": list(JOINT_NAMES),
            "n_windows": len(self),
            "gaps": [g.to_dict() for g in self.gaps],
            "events": [e.to_dict() for e in self.events],
            "keypoints": kp,
            "traces": {name: tr.meta for name, tr in self.traces.items()},
            "notes": self.notes,
        }

    def save(self, path: str | Path) -> Path:
        """Write atomically (a crash leaves the old file or the new one, never half)."""
        arrays: dict[str, np.ndarray] = {
            "header": np.frombuffer(json.dumps(_json_safe(self.header())).encode("utf-8"), dtype=np.uint8),
            "window_start_s": self.window_start_s,
            "window_end_s": self.window_end_s,
            "prob": self.prob,
            "attention": self.attention,
        }
        if self.keypoints is not None:
            arrays["kp_times"] = self.keypoints.times
            arrays["kp_xy"] = self.keypoints.xy
            arrays["kp_conf"] = self.keypoints.conf
        for name, tr in self.traces.items():
            if not _TRACE_NAME.match(name):
                raise ValueError(f"trace name {name!r} must be letters, digits, '_' or '-'")
            arrays[f"trace.{name}.start_s"] = tr.start_s
            arrays[f"trace.{name}.end_s"] = tr.end_s
            arrays[f"trace.{name}.value"] = tr.value
        return atomic_write(path, lambda fh: np.savez(fh, **arrays))

    @classmethod
    def load(cls, path: str | Path, keypoints: bool = True) -> "AnalysisResult":
        """Read a result file. Raises :class:`InputFileError` naming the file on any problem."""
        path = Path(path)
        if not path.exists():
            raise InputFileError(path, "result file not found")
        try:
            z = np.load(path, allow_pickle=False)
        except Exception as exc:
            raise InputFileError(path, f"not a readable Semioscope result file ({type(exc).__name__}: {exc})") from None
        try:
            with z:
                if "header" not in z.files:
                    raise InputFileError(path, "not a Semioscope result file (no header)")
                try:
                    header = json.loads(bytes(z["header"]).decode("utf-8"))
                except Exception:
                    raise InputFileError(path, "result file header is corrupt (not JSON)") from None
                if not isinstance(header, dict) or header.get("format") != RESULT_FORMAT:
                    fmt = header.get("format") if isinstance(header, dict) else None
                    raise InputFileError(path, f"not a Semioscope result file (format={fmt!r})")
                version = int(header.get("version", 0))
                if version > RESULT_VERSION:
                    raise InputFileError(path, f"result file version {version} is newer than this "
                                               f"Semioscope supports ({RESULT_VERSION}); update Semioscope")
                if version < 1:
                    raise InputFileError(path, f"unknown result file version {header.get('version')!r}")
                if list(header.get("joints", [])) != list(JOINT_NAMES):
                    raise InputFileError(path, "result file uses a different joint set")
                start, end = z["window_start_s"], z["window_end_s"]
                prob, att = z["prob"], z["attention"]
                track = None
                kp = header.get("keypoints")
                if keypoints and kp is not None:
                    track = KeypointTrack(z["kp_times"], z["kp_xy"], z["kp_conf"], tuple(kp["frame_size"]),
                                          kp.get("source", "unknown"), kp.get("meta", {}))
                traces = {}
                for name, meta in (header.get("traces") or {}).items():
                    traces[name] = Trace(z[f"trace.{name}.start_s"], z[f"trace.{name}.end_s"],
                                         z[f"trace.{name}.value"], meta or {})
                result = cls(
                    window_start_s=start, window_end_s=end, prob=prob, attention=att,
                    model=header.get("model") or {}, config=header.get("config") or {},
                    video=header.get("video") or {},
                    gaps=[Gap.from_dict(g) for g in header.get("gaps", [])],
                    events=[Event.from_dict(e) for e in header.get("events", [])],
                    keypoints=track, traces=traces, complete=bool(header.get("complete", True)),
                    created_utc=str(header.get("created_utc", "")), notes=header.get("notes") or {},
                )
        except InputFileError:
            raise
        except Exception as exc:  # missing members, bad shapes, zip CRC errors...
            raise InputFileError(path, f"result file is corrupt or incomplete ({type(exc).__name__}: {exc})") from None
        return result


def _run_config_of(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return obj
    if isinstance(obj, (str, Path)):
        p = Path(obj)
        p = run_json_path(p) if p.is_dir() else p
        try:
            return json.loads(p.read_text("utf-8"))
        except FileNotFoundError:
            raise InputFileError(p, "run configuration not found") from None
        except (OSError, ValueError) as exc:
            raise InputFileError(p, f"unreadable run configuration ({exc})") from None
    cfg = getattr(obj, "run_config", None)
    if isinstance(cfg, dict):
        return cfg
    raise TypeError(f"cannot get a run configuration from {type(obj).__name__}")


def _json_safe(obj: Any) -> Any:
    """NaN/inf are not JSON: store them as null; numpy scalars as Python numbers."""
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj


def result_path_for(video: str | Path, out_dir: str | Path | None = None) -> Path:
    """Where the result of ``video`` goes: ``OUT/<stem>.result.npz`` (the batch command), or
    beside the video without ``out_dir`` (the review window writes and looks for it there)."""
    video = Path(video)
    return (video.parent if out_dir is None else Path(out_dir)) / (video.stem + RESULT_SUFFIX)


EVENTS_CSV_COLUMNS = ("video", "event", "start_s", "end_s", "duration_s", "peak_prob", "peak_time_s",
                      "top_joints") + tuple(f"attention_{j}" for j in JOINT_NAMES)


def events_csv_text(results: Sequence[tuple[str, AnalysisResult]]) -> str:
    """``events.csv`` over many results: one row per event, in the given video order.

    ``results``: ``(video label, result)`` pairs. Numbers are written with fixed precision so a
    local run and a Ray run produce the same bytes.
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(EVENTS_CSV_COLUMNS)
    for label, res in results:
        for k, ev in enumerate(res.events, start=1):
            att = list(ev.mean_attention) if ev.mean_attention else [float("nan")] * NUM_JOINTS
            top = [JOINT_NAMES[i] for i in np.argsort(-np.nan_to_num(np.asarray(att), nan=-1.0))[:3]] \
                if ev.mean_attention else []
            w.writerow([label, k, f"{ev.start_s:.3f}", f"{ev.end_s:.3f}", f"{ev.duration_s:.3f}",
                        f"{ev.peak_prob:.4f}", f"{ev.peak_time_s:.3f}", " ".join(top)]
                       + [f"{a:.4f}" for a in att])
    return buf.getvalue()


def write_events_csv(path: str | Path, results: Sequence[tuple[str, AnalysisResult]]) -> Path:
    return atomic_write_text(path, events_csv_text(results))

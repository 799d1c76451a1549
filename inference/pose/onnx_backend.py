"""A top-down ONNX pose model (RTMPose or ViTPose family, body or whole-body) as a ``PoseBackend``.

The model is a local file (``PoseConfig.onnx_model``; none ships and nothing downloads; README
"Using real data" says how to export or obtain one) run by ``onnxruntime`` (the ``onnx`` extra):
the CUDA execution provider when ``onnxruntime-gpu`` sees a GPU, else the CPU provider
(``PoseConfig.onnx_provider``: auto | cuda | cpu).

Signature, read from the model: one input ``[N, 3, H, W]`` (float32 or float16, H and W fixed;
N fixed or dynamic), and either one heatmap output ``[N, K, h, w]`` or two SimCC outputs
``simcc_x [N, K, W * r]`` and ``simcc_y [N, K, H * r]`` (told apart by their names, else by
their order), with K = 17 (COCO), 26 (Halpe) or 133 (COCO-WholeBody). Anything else is an error
naming the file. Input normalisation: ``PoseConfig.onnx_normalization`` (default ``imagenet``:
RGB, ImageNet mean/std on the 0-255 scale, as MMPose trains RTMPose and ViTPose).

Person box (``inference.pose.onnx_decode``): frames are posed in groups of
``PoseConfig.onnx_batch_size`` consecutive frames, one model call per group. Every frame of a
group uses the same box, made from the last keypoints known before the group (the last frame of
the previous group): the bounding box of its keypoints scoring >= ``onnx_box_confidence`` (at
least 3), enlarged ``onnx_box_padding`` times, at the input's aspect. With too few confident
keypoints (the first group, a lost patient) or ``onnx_box = "fixed"``, the box is the fallback:
``bed_region`` (fractions of the frame) or the whole frame. Groups are counted from ``start``, so
``process`` frame by frame (the streaming engine) and ``process_batch`` with any grouping give the
same track; only ``onnx_batch_size`` itself changes the boxes (and is part of ``params()``).
"""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, Optional

import numpy as np

from inference.core.config import PoseConfig
from inference.core.errors import InputFileError, SemioscopeError
from inference.pose.backend import PoseBackend
from inference.pose.onnx_decode import (
    KEYPOINT_SETS,
    NORMALISATIONS,
    clean_scores,
    coco_to_joints,
    crop,
    decode_heatmaps,
    decode_simcc,
    fallback_box,
    keypoint_box,
    normalise,
    parse_bed_region,
    to_frame,
)

log = logging.getLogger(__name__)

INSTALL_HINT = ("pip install 'semioscope[onnx]' (CPU), or onnxruntime-gpu>=1.18,<1.22 instead of onnxruntime "
                "for CUDA")
_CPU, _CUDA = "CPUExecutionProvider", "CUDAExecutionProvider"
_SHA_MEMO: dict[tuple[str, int, int], str] = {}


def model_sha256(path: Path) -> str:
    """sha256 of the whole model file, remembered per (path, size, mtime) within this process."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _SHA_MEMO:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 22), b""):
                h.update(block)
        _SHA_MEMO[key] = h.hexdigest()
    return _SHA_MEMO[key]


def _onnxruntime():
    try:
        import onnxruntime  # optional and heavy (~0.4 s): only this backend needs it
    except ImportError:
        raise SemioscopeError("the onnx pose backend needs onnxruntime, which is not installed: "
                              f"{INSTALL_HINT}") from None
    return onnxruntime


def choose_providers(setting: str, available: list[str]) -> list[str]:
    """Execution providers for ``PoseConfig.onnx_provider`` given onnxruntime's available ones."""
    if setting == "cpu":
        return [_CPU]
    if setting == "cuda":
        if _CUDA not in available:
            raise SemioscopeError(f"onnx_provider = 'cuda' but onnxruntime offers only {', '.join(available)}: "
                                  "install onnxruntime-gpu (in place of onnxruntime) on a machine with CUDA")
        return [_CUDA, _CPU]
    if setting == "auto":
        return [_CUDA, _CPU] if _CUDA in available else [_CPU]
    raise SemioscopeError(f"onnx_provider must be auto, cuda or cpu, got {setting!r}")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]


def _dim(value: Any) -> Optional[int]:
    return int(value) if isinstance(value, int) and value > 0 else None


class OnnxPoseBackend(PoseBackend):
    """A top-down RTMPose/ViTPose ONNX model; see the module docstring for the rules."""

    name = "onnx"

    def __init__(self, cfg: PoseConfig = PoseConfig(), model_path: str | Path | None = None, **_: Any):
        self.cfg = cfg
        path = model_path or cfg.onnx_model
        if not path:
            raise SemioscopeError("the onnx pose backend needs a model file: --pose-model FILE.onnx "
                                  "(or [pose] onnx_model in a --config file); README 'Using real data' says "
                                  "how to export or obtain one")
        self.model_path = Path(path).expanduser()
        if not self.model_path.is_file():
            raise InputFileError(self.model_path, "ONNX pose model not found")
        if cfg.onnx_normalization not in NORMALISATIONS:
            raise SemioscopeError(f"onnx_normalization must be one of {', '.join(NORMALISATIONS)}, "
                                  f"got {cfg.onnx_normalization!r}")
        if cfg.onnx_box not in ("track", "fixed"):
            raise SemioscopeError(f"onnx_box must be 'track' or 'fixed', got {cfg.onnx_box!r}")
        if cfg.onnx_batch_size < 1 or cfg.onnx_box_padding <= 0:
            raise SemioscopeError("onnx_batch_size must be >= 1 and onnx_box_padding > 0")
        self.bed_region = parse_bed_region(cfg.bed_region)
        self.batch_size = int(cfg.onnx_batch_size)
        self._session = None
        self._params: Optional[dict[str, Any]] = None
        self.frame_size = (0, 0)
        self._count = 0
        self._last: Optional[tuple[np.ndarray, np.ndarray]] = None  # (xy [K, 2], score [K]) of the last frame
        self._group_box: Optional[np.ndarray] = None  # the box of the current group of frames

    # -- the model -------------------------------------------------------------------------------

    def _load(self):
        """Open the session and check the signature (once per instance)."""
        if self._session is not None:
            return self._session
        ort = _onnxruntime()
        self.providers = choose_providers(self.cfg.onnx_provider, ort.get_available_providers())
        try:
            session = ort.InferenceSession(str(self.model_path), providers=self.providers)
        except Exception as exc:  # onnxruntime raises its own exception types for unreadable models
            raise InputFileError(self.model_path, f"cannot load as an ONNX model ({_first_line(exc)})") from None
        self._read_signature(session)
        self._session = session
        used = session.get_providers()
        if self.providers[0] not in used:
            log.warning("%s: asked for %s but onnxruntime runs it on %s", self.model_path.name, self.providers[0], used)
        return session

    def _read_signature(self, session) -> None:
        inputs, outputs = session.get_inputs(), session.get_outputs()
        desc = (f"inputs {[(i.name, i.shape) for i in inputs]}, outputs {[(o.name, o.shape) for o in outputs]}")
        shape = inputs[0].shape if len(inputs) == 1 else []
        if len(shape) != 4 or shape[1] != 3 or _dim(shape[2]) is None or _dim(shape[3]) is None \
                or inputs[0].type not in ("tensor(float)", "tensor(float16)"):
            raise InputFileError(self.model_path, "not a top-down pose model: expected one float input "
                                                  f"[N, 3, H, W] with fixed H and W; it has {desc}")
        self.input_name = inputs[0].name
        self.input_dtype = np.float16 if inputs[0].type == "tensor(float16)" else np.float32
        self.input_size = (int(shape[3]), int(shape[2]))  # (W, H)
        self.model_batch = _dim(shape[0])  # None: any batch size
        ranks = [len(o.shape) for o in outputs]
        if ranks == [4]:
            self.layout = "heatmap"
            self.output_names = [outputs[0].name]
        elif ranks == [3, 3]:
            self.layout = "simcc"
            names = [o.name.lower() for o in outputs]
            swapped = names[0].endswith("y") and names[1].endswith("x")
            self.output_names = [outputs[1].name, outputs[0].name] if swapped else [o.name for o in outputs]
        else:
            raise InputFileError(self.model_path, "not a heatmap ([N, K, h, w]) or SimCC (simcc_x [N, K, W*r], "
                                                  f"simcc_y [N, K, H*r]) pose model: it has {desc}")
        k = _dim(outputs[0].shape[1])
        if k is not None and k not in KEYPOINT_SETS:
            raise InputFileError(self.model_path, f"{k} keypoints per person; supported: "
                                                  f"{', '.join(f'{n} ({s})' for n, s in KEYPOINT_SETS.items())}")

    def _run(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Normalised crops ``[N, 3, H, W]`` -> ``(uv [N, K, 2]`` input pixels, ``score [N, K])``."""
        n = len(x)
        step = self.model_batch or n
        outs: list[list[np.ndarray]] = []
        for a in range(0, n, step):
            part = x[a:a + step].astype(self.input_dtype)
            if len(part) < step:  # a model with a fixed batch > 1: pad the last call
                part = np.concatenate([part, np.zeros((step - len(part),) + part.shape[1:], part.dtype)])
            try:
                res = self._session.run(self.output_names, {self.input_name: part})
            except Exception as exc:  # onnxruntime's own exception types (shape or kernel errors)
                raise InputFileError(self.model_path, f"running the model on a batch of {len(part)} crops of "
                                                      f"{self.input_size[0]}x{self.input_size[1]} failed "
                                                      f"({_first_line(exc)})") from None
            outs.append([np.asarray(r, dtype=np.float32)[:min(step, n - a)] for r in res])
        res = [np.concatenate([o[i] for o in outs]) for i in range(len(self.output_names))]
        self._check_outputs(res, n)
        if self.layout == "heatmap":
            return decode_heatmaps(res[0], self.input_size)
        return decode_simcc(res[0], res[1], self.input_size)

    def _check_outputs(self, res: list[np.ndarray], n: int) -> None:
        shapes = [r.shape for r in res]
        k = shapes[0][1] if shapes[0][0] == n and len(shapes[0]) >= 3 else -1
        ok = k in KEYPOINT_SETS and all(s[0] == n and s[1] == k for s in shapes)
        if ok and self.layout == "simcc":
            rx, ry = shapes[0][2] / self.input_size[0], shapes[1][2] / self.input_size[1]
            ok = rx >= 1 and abs(rx - ry) < 1e-6
        if not ok:
            raise InputFileError(self.model_path, f"model outputs {shapes} for a batch of {n} crops of "
                                                  f"{self.input_size[0]}x{self.input_size[1]}: not a {self.layout} "
                                                  f"pose output with {'/'.join(map(str, KEYPOINT_SETS))} keypoints")

    # -- PoseBackend -----------------------------------------------------------------------------

    def params(self) -> dict[str, Any]:
        if self._params is None:  # read once: estimate_track asks again after close()
            self._params = self._describe()
        return dict(self._params)

    def _describe(self) -> dict[str, Any]:
        self._load()
        ort = _onnxruntime()
        return {
            "model": self.model_path.name,
            "model_sha256": model_sha256(self.model_path),
            "input_size": list(self.input_size),
            "layout": self.layout,
            "normalization": self.cfg.onnx_normalization,
            "box": {"mode": self.cfg.onnx_box, "padding": float(self.cfg.onnx_box_padding),
                    "confidence": float(self.cfg.onnx_box_confidence), "bed_region": self.cfg.bed_region,
                    "refresh_frames": self.batch_size},
            "provider": self.providers[0],
            "onnxruntime": ort.__version__,
        }

    def runtime(self) -> dict[str, Any]:
        if self._session is None:
            return {}
        return {"providers": list(self._session.get_providers()), "model_batch": self.model_batch or "dynamic"}

    def start(self, frame_size: tuple[int, int]) -> None:
        super().start(frame_size)
        self._load()
        self._count = 0
        self._last = None
        self._group_box = None

    def _box(self, frame_size: tuple[int, int]) -> np.ndarray:
        aspect = self.input_size[0] / self.input_size[1]
        if self.cfg.onnx_box == "track" and self._last is not None:
            box = keypoint_box(self._last[0], self._last[1], frame_size, aspect, float(self.cfg.onnx_box_padding),
                               float(self.cfg.onnx_box_confidence))
            if box is not None:
                return box
        return fallback_box(frame_size, aspect, self.bed_region)

    def process_batch(self, times: np.ndarray, frames: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        if self._session is None:
            self.start((frames[0].shape[1], frames[0].shape[0]) if len(frames) else (0, 0))
        xy_out, conf_out = [], []
        i = 0
        while i < len(frames):
            group = frames[i:i + self.batch_size - self._count % self.batch_size]
            if self._count % self.batch_size == 0 or self._group_box is None:  # a new group: a new box
                self._group_box = self._box((group[0].shape[1], group[0].shape[0]))
            box = self._group_box
            x = normalise(np.stack([crop(f, box, self.input_size) for f in group]), self.cfg.onnx_normalization)
            uv, score = self._run(x)
            xy, score = clean_scores(to_frame(uv, np.repeat(box[None], len(group), axis=0), self.input_size), score)
            self._last = (xy[-1], score[-1])
            jxy, jconf = coco_to_joints(xy, score)
            xy_out.append(jxy)
            conf_out.append(jconf)
            self._count += len(group)
            i += len(group)
        if not xy_out:
            return np.zeros((0, 14, 2), np.float32), np.zeros((0, 14), np.float32)
        return np.concatenate(xy_out), np.concatenate(conf_out)

    def process(self, t: float, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        xy, conf = self.process_batch(np.array([t]), [rgb])
        return xy[0], conf[0]

    def close(self) -> None:
        self._session = None


"""Unlabelled clip corpora for pre-training, balanced mixing, and frame preparation.

A corpus is a folder (searched recursively) of video files: short clips, or long videos that
are cut into segments of ``segment_s`` seconds. Several corpora (e.g. rodent seizure, rodent
normal, human interictal) are mixed with balanced sampling: each sample first draws a corpus
with probability proportional to its weight (equal by default), then a clip uniformly within it,
so a large corpus cannot drown a small one. Sample ``i`` of a run is a pure function of
``(seed, i)``, which makes resumed pre-training see exactly the samples it would have seen.

Input to VideoMAE: 16 frames at a frame stride of 2 (clips with fewer than 31 frames are
resampled evenly over their whole length, repeating frames), each resized on its short side and
centre-cropped to the model's square size, then normalised with ImageNet mean/std as VideoMAE
expects, laid out ``[T, 3, S, S]``.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Sequence

import cv2
import numpy as np

from inference.core.errors import InputFileError, SemioscopeError, VideoError
from inference.video.reader import VideoReader

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg")
IMAGENET_MEAN = (0.485, 0.456, 0.406)  # VideoMAE's image processor defaults
IMAGENET_STD = (0.229, 0.224, 0.225)


# -- frames ------------------------------------------------------------------------------------

def prepare_frame(rgb: np.ndarray, size: int) -> np.ndarray:
    """RGB ``uint8 [H, W, 3]`` -> ``uint8 [size, size, 3]``: short side to ``size``, centre crop."""

    h, w = rgb.shape[:2]
    scale = size / min(h, w)
    nh, nw = max(size, int(round(h * scale))), max(size, int(round(w * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(rgb, (nw, nh), interpolation=interp)
    y0, x0 = (nh - size) // 2, (nw - size) // 2
    return np.ascontiguousarray(small[y0:y0 + size, x0:x0 + size])


def normalise_clips(clips):
    """``uint8 [..., T, S, S, 3]`` (numpy or torch) -> float32 torch ``[..., T, 3, S, S]``, VideoMAE-normalised."""
    import torch  # torch is heavy (seconds to import): loaded only when a model runs

    x = torch.as_tensor(np.asarray(clips) if not isinstance(clips, torch.Tensor) else clips)
    x = x.float().div_(255.0)
    mean = torch.tensor(IMAGENET_MEAN, dtype=x.dtype, device=x.device)
    std = torch.tensor(IMAGENET_STD, dtype=x.dtype, device=x.device)
    x = (x - mean) / std
    return x.movedim(-1, -3).contiguous()


def frame_indices(n_available: int, num_frames: int = 16, stride: int = 2,
                  rng: Optional[np.random.Generator] = None) -> np.ndarray:
    """Which frames of an ``n_available``-frame clip make one sample ``[num_frames]`` (ascending).

    A random start (the first one without ``rng``) and ``stride`` between frames; a clip too short
    for that span is resampled evenly over its full length instead.
    """
    if n_available < 1:
        raise ValueError("a clip needs at least one frame")
    span = (num_frames - 1) * stride + 1
    if n_available >= span:
        start = int(rng.integers(0, n_available - span + 1)) if rng is not None else 0
        return start + stride * np.arange(num_frames, dtype=np.int64)
    return np.round(np.linspace(0, n_available - 1, num_frames)).astype(np.int64)


def clip_sample_times(start_s: float, clip_s: float, num_frames: int = 16) -> np.ndarray:
    """Sampling instants ``[num_frames]`` for a labelled clip ``[start, start + clip_s)``: the
    centres of ``num_frames`` equal slices, so the clip's whole length is seen."""
    return start_s + (np.arange(num_frames, dtype=np.float64) + 0.5) * (clip_s / num_frames)


def read_frames(reader: VideoReader, frames: Sequence[int], size: int) -> np.ndarray:
    """Decode ``frames`` (ascending, repeats allowed) sequentially -> ``uint8 [len, size, size, 3]``.

    A frame that cannot be decoded is replaced by the nearest decoded one of the same request
    (it is never invented from nothing); if none decodes, VideoError names the file.
    """
    frames = np.asarray(frames, dtype=np.int64)
    out = np.zeros((len(frames), size, size, 3), dtype=np.uint8)
    got = np.zeros(len(frames), dtype=bool)
    k = 0
    for i, rgb in reader.iter_frames(frames):
        while k < len(frames) and frames[k] < i:
            k += 1
        if k < len(frames) and frames[k] == i:
            out[k] = prepare_frame(rgb, size)
            got[k] = True
            k += 1
    if not got.any():
        raise VideoError(reader.path, f"none of frames {int(frames[0])}..{int(frames[-1])} could be decoded")
    if not got.all():
        have = np.flatnonzero(got)
        for j in np.flatnonzero(~got):
            out[j] = out[have[np.argmin(np.abs(have - j))]]
    return out


def read_clip_at_times(reader: VideoReader, times: np.ndarray, size: int) -> np.ndarray:
    """The frames on screen at ``times`` -> ``uint8 [len(times), size, size, 3]``."""
    return read_frames(reader, reader.index.times_to_frames(np.asarray(times, dtype=np.float64)), size)


# -- corpora -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CorpusItem:
    """One unlabelled clip: frames ``first_frame .. first_frame + n_frames - 1`` of ``path``."""

    path: Path
    first_frame: int
    n_frames: int


@dataclass(frozen=True)
class Corpus:
    name: str
    folder: Path
    items: tuple[CorpusItem, ...]
    skipped: tuple[str, ...] = ()  # "file: problem" for unreadable videos


def scan_corpus(name: str, folder: str | Path, segment_s: float = 10.0,
                on_error=None) -> Corpus:
    """Index every video under ``folder``; videos longer than 1.5 x ``segment_s`` are cut into
    ``segment_s`` segments. Unreadable files are skipped and listed (``on_error(msg)`` too)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(folder, f"corpus {name!r}: folder not found")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file())
    items: list[CorpusItem] = []
    skipped: list[str] = []
    for f in files:
        try:
            with VideoReader(f) as r:
                pts = r.index.pts_s
        except VideoError as exc:
            skipped.append(str(exc))
            if on_error:
                on_error(str(exc))
            continue
        n = len(pts)
        duration = float(r.index.end_s)
        if duration <= 1.5 * segment_s:
            items.append(CorpusItem(f, 0, n))
            continue
        for s in np.arange(0.0, duration - 0.5 * segment_s, segment_s):
            a = int(np.searchsorted(pts, s - 1e-9))
            b = int(np.searchsorted(pts, s + segment_s - 1e-9))
            if b - a >= 2:
                items.append(CorpusItem(f, a, b - a))
    if not items:
        raise InputFileError(folder, f"corpus {name!r}: no readable video files "
                                     f"({len(files)} found with extensions {', '.join(VIDEO_SUFFIXES)})")
    return Corpus(name, folder, tuple(items), tuple(skipped))


def parse_named_folders(specs: Iterable[str]) -> list[tuple[str, Path]]:
    """``NAME=FOLDER`` or ``FOLDER`` (name = folder name) -> [(name, folder)], names unique."""
    out: list[tuple[str, Path]] = []
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep:
            name, path = Path(spec).name, spec
        if any(n == name for n, _ in out):
            raise SemioscopeError(f"corpus name {name!r} given twice")
        out.append((name, Path(path)))
    return out


def mix_weights(corpora: Sequence[Corpus], mix: Optional[dict[str, float]] = None) -> np.ndarray:
    """Normalised sampling share per corpus ``[C]``; equal unless ``mix`` gives weights by name."""
    names = [c.name for c in corpora]
    mix = dict(mix or {})
    unknown = sorted(set(mix) - set(names))
    if unknown:
        raise SemioscopeError(f"--mix names unknown corpora {', '.join(unknown)} (corpora: {', '.join(names)})")
    w = np.array([float(mix.get(n, 1.0)) for n in names], dtype=np.float64)
    if np.any(w < 0) or w.sum() <= 0:
        raise SemioscopeError("--mix weights must be >= 0 and not all zero")
    return w / w.sum()


def mix_summary(corpora: Sequence[Corpus], weights: np.ndarray) -> list[dict]:
    """One line of the run log per corpus: name, folder, clips, share of samples."""
    return [{"name": c.name, "folder": str(c.folder), "clips": len(c.items), "share": float(w),
             "skipped_files": len(c.skipped)} for c, w in zip(corpora, weights)]


class MixedClips:
    """Map-style dataset of pre-training samples: ``ds[i]`` -> (``uint8 [T, S, S, 3]``, corpus index).

    Sample ``i`` draws its corpus, clip and start from ``np.random.default_rng((seed, i))``.
    Keeps a few readers open (frame indices built once per file).
    """

    def __init__(self, corpora: Sequence[Corpus], weights: np.ndarray, size: int, num_frames: int = 16,
                 stride: int = 2, seed: int = 0, length: int = 10**9, max_open: int = 8):
        self.corpora = list(corpora)
        self.cum = np.cumsum(np.asarray(weights, dtype=np.float64))
        self.size, self.num_frames, self.stride = int(size), int(num_frames), int(stride)
        self.seed, self.length, self.max_open = int(seed), int(length), int(max_open)
        self._readers: "OrderedDict[Path, VideoReader]" = OrderedDict()

    def __len__(self) -> int:
        return self.length

    def choose(self, i: int) -> tuple[int, CorpusItem, np.ndarray]:
        rng = np.random.default_rng((self.seed, int(i)))
        c = min(int(np.searchsorted(self.cum, rng.random() * self.cum[-1], side="right")), len(self.cum) - 1)
        corpus = self.corpora[c]
        item = corpus.items[int(rng.integers(0, len(corpus.items)))]
        idx = item.first_frame + frame_indices(item.n_frames, self.num_frames, self.stride, rng)
        return c, item, idx

    def _reader(self, path: Path) -> VideoReader:
        r = self._readers.pop(path, None)
        if r is None:
            r = VideoReader(path)
            if len(self._readers) >= self.max_open:
                _, old = self._readers.popitem(last=False)
                old.close()
        self._readers[path] = r
        return r

    def __getitem__(self, i: int):
        c, item, idx = self.choose(i)
        return read_frames(self._reader(item.path), idx, self.size), c

    def __getstate__(self):  # DataLoader workers open their own readers
        d = dict(self.__dict__)
        d["_readers"] = OrderedDict()
        return d

"""The one cache root, and the folder of each cache under it.

``$SEMIOSCOPE_CACHE_DIR`` wins; otherwise the platform's user cache folder (platformdirs, so
``$XDG_CACHE_HOME`` is respected on Linux: ``~/.cache/semioscope`` by default). Every cache the
project keeps lives in a named folder under this root, so one place can list and clear them.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

import platformdirs

APP_NAME = "semioscope"
CACHE_ENV = "SEMIOSCOPE_CACHE_DIR"

#: Folder of each cache under the root (``cache_dir(kind)``).
POSE = "pose"
CLIPS = "clips"
TOKENS = "tokens"
INDEX = "index"
PROXY = "proxy"
AUDIO = "audio"  # loudness envelopes of sound tracks (inference.video.audio)
DEMO = "demo"
LOGS = "logs"


def cache_root() -> Path:
    """``$SEMIOSCOPE_CACHE_DIR`` or the user cache folder for Semioscope."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def cache_dir(kind: str) -> Path:
    """``<cache root>/<kind>`` (not created: writers create what they write)."""
    return cache_root() / kind


#: The caches that only hold what can be recomputed (cleared by ``semioscope cache --clear``).
DERIVED_KINDS = (POSE, CLIPS, TOKENS, INDEX, PROXY, AUDIO)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


@dataclass(frozen=True)
class CacheEntry:
    """One entry of a cache folder (a file, or a folder such as a clip-cache entry)."""

    kind: str
    path: Path
    size: int  # bytes, recursively
    last_used: float  # newest modification time inside, seconds since the epoch


def _entry(kind: str, path: Path) -> CacheEntry:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    stats = [p.stat() for p in files]
    return CacheEntry(kind, path, sum(s.st_size for s in stats),
                      max((s.st_mtime for s in stats), default=path.stat().st_mtime))


def cache_entries(kinds: Iterable[str] = DERIVED_KINDS, root: Optional[Path] = None) -> list[CacheEntry]:
    """Every entry of the given caches under ``root`` (default: the cache root)."""
    root = Path(root) if root is not None else cache_root()
    out = []
    for kind in kinds:
        folder = root / kind
        if folder.is_dir():
            out.extend(_entry(kind, p) for p in sorted(folder.iterdir()))
    return out


def clear_caches(kinds: Iterable[str] = DERIVED_KINDS, root: Optional[Path] = None) -> int:
    """Delete the given caches' contents; returns the bytes freed."""
    entries = cache_entries(kinds, root)
    for e in entries:
        _remove(e.path)
    return sum(e.size for e in entries)


def trim_caches(budget_bytes: int, kinds: Iterable[str] = DERIVED_KINDS, root: Optional[Path] = None) -> int:
    """Delete the least recently used entries until the caches fit ``budget_bytes``; returns the
    bytes freed. Everything deleted is recomputed when next needed."""
    entries = sorted(cache_entries(kinds, root), key=lambda e: e.last_used)
    total = sum(e.size for e in entries)
    freed = 0
    for e in entries:
        if total - freed <= budget_bytes:
            break
        _remove(e.path)
        freed += e.size
    return freed


def parse_size(text: str) -> int:
    """``"500M"``, ``"20G"``, ``"1.5T"`` or a byte count -> bytes (ValueError when malformed)."""
    t = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = t[-1:] if t[-1:] in _UNITS and not t[-1:].isdigit() else ""
    value = float(t[: len(t) - len(unit)])
    if value < 0:
        raise ValueError(f"negative size {text!r}")
    return int(value * _UNITS[unit])


def format_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)

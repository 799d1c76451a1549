"""The one cache root, and the folder of each cache under it.

``$SEMIOSCOPE_CACHE_DIR`` wins; otherwise the platform's user cache folder (platformdirs, so
``$XDG_CACHE_HOME`` is respected on Linux: ``~/.cache/semioscope`` by default). Every cache the
project keeps lives in a named folder under this root, so one place can list and clear them.
"""
from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "semioscope"
CACHE_ENV = "SEMIOSCOPE_CACHE_DIR"

#: Folder of each cache under the root (``cache_dir(kind)``).
POSE = "pose"
CLIPS = "clips"
TOKENS = "tokens"
INDEX = "index"
DEMO = "demo"
LOGS = "logs"
CACHE_KINDS = (POSE, CLIPS, TOKENS, INDEX)


def cache_root() -> Path:
    """``$SEMIOSCOPE_CACHE_DIR`` or the user cache folder for Semioscope."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def cache_dir(kind: str) -> Path:
    """``<cache root>/<kind>`` (not created: writers create what they write)."""
    return cache_root() / kind

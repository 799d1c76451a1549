"""Video fingerprints: file size plus a hash of sampled bytes.

Hashing a multi-GB EMU file in full is too slow, so we hash the size and 16 evenly spaced
64 KiB blocks (including the first and last). Any edit that changes size, header, index or a
sampled block changes the fingerprint; results and caches are keyed by it.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from inference.core.errors import InputFileError

_BLOCK = 64 * 1024
_SAMPLES = 16


def file_fingerprint(path: str | Path) -> str:
    path = Path(path)
    try:
        size = os.path.getsize(path)
        h = hashlib.sha256()
        h.update(str(size).encode())
        with open(path, "rb") as fh:
            if size <= _BLOCK * _SAMPLES:
                h.update(fh.read())
            else:
                step = (size - _BLOCK) / (_SAMPLES - 1)
                for k in range(_SAMPLES):
                    fh.seek(int(round(k * step)))
                    h.update(fh.read(_BLOCK))
    except FileNotFoundError:
        raise InputFileError(path, "file not found") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot read file ({exc.strerror or exc})") from None
    return f"{size}-{h.hexdigest()[:32]}"

"""Reading versioned Semioscope JSON files (``{"format": ..., "version": ..., ...}``).

Every failure raises ``error_cls(path, problem)`` so the CLI and GUI show a message naming the
file instead of a ValueError/TypeError traceback from a hand-edited or foreign file.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Type

from inference.core.errors import InputFileError


def check_format_header(data: Any, path: str | Path, fmt: str, max_version: int,
                        error_cls: Type[InputFileError] = InputFileError, *, what: str = "file") -> dict:
    """Check that ``data`` is a dict with ``format == fmt`` and an int ``version <= max_version``.

    ``what`` names the kind of file in messages ("annotation file", "keypoint file", ...).
    Returns ``data`` unchanged.
    """
    if not isinstance(data, dict):
        raise error_cls(path, f"not a Semioscope {what}: top level is a JSON {type(data).__name__}, not an object")
    if data.get("format") != fmt:
        raise error_cls(path, f"not a Semioscope {what} (format={data.get('format')!r})")
    version = data.get("version", 0)
    # bool is an int subclass; a version of true/false is as malformed as "2".
    if not isinstance(version, int) or isinstance(version, bool):
        raise error_cls(path, f"{what} has a malformed version {version!r} (expected an integer)")
    if version > max_version:
        raise error_cls(path, f"{what} version {version} is newer than this Semioscope supports ({max_version})")
    return data


def parse_format_json(raw: bytes | str, path: str | Path, fmt: str, max_version: int,
                      error_cls: Type[InputFileError] = InputFileError, *, what: str = "file") -> dict:
    """Decode already-read file content ``raw`` (of ``path``) and check its header."""
    try:
        data = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error_cls(path, f"{what} is not valid JSON ({exc})") from None
    return check_format_header(data, path, fmt, max_version, error_cls, what=what)


def read_format_json(path: str | Path, fmt: str, max_version: int,
                     error_cls: Type[InputFileError] = InputFileError, *, what: str = "file") -> dict:
    """Read ``path`` and check it is a ``fmt`` JSON file of version ``<= max_version``."""
    path = Path(path)
    if not path.is_file():
        raise error_cls(path, f"{what} not found")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error_cls(path, f"cannot read {what} ({exc.strerror or exc})") from None
    return parse_format_json(raw, path, fmt, max_version, error_cls, what=what)


def read_folder_json(folder: str | Path, filename: str, fmt: str, max_version: int,
                     error_cls: Type[InputFileError] = InputFileError, *, what: str, folder_what: str) -> dict:
    """Read the versioned JSON file ``filename`` that makes ``folder`` a ``folder_what`` folder
    (a run, a forecast model), with one wording of every failure: the folder is missing, is a
    file, lacks the JSON file, or the file is not a ``fmt`` file of version ``<= max_version``."""
    folder = Path(folder)
    if not folder.exists():
        raise error_cls(folder, f"{folder_what} folder not found")
    if not folder.is_dir():
        raise error_cls(folder, f"not a folder (give the {folder_what} folder that holds {filename})")
    path = folder / filename
    if not path.is_file():
        raise error_cls(path, f"missing: not a Semioscope {folder_what} folder")
    return read_format_json(path, fmt, max_version, error_cls, what=what)


__all__ = ["check_format_header", "parse_format_json", "read_folder_json", "read_format_json"]

"""The files that make a folder a trained detector run: one definition for every layer that
looks at run folders (the detector loads them, results name them, analysis ships them to workers)."""
from __future__ import annotations

from pathlib import Path

RUN_FORMAT = "semioscope.run"
RUN_VERSION = 1
RUN_JSON = "run.json"
WEIGHTS_FILE = "model.safetensors"


def run_json_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / RUN_JSON


def is_run_folder(path: str | Path) -> bool:
    """Whether ``path`` holds a saved run (its ``run.json``); says nothing about its validity."""
    return run_json_path(path).is_file()

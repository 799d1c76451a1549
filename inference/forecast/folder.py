"""The forecast model folder's own file: ``forecast.json`` (format ``semioscope.forecast``), its
file names and kinds, read and checked without torch (the review window and the staleness check
read it; the weights are loaded by ``forecast.model``)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from inference.core.errors import CheckpointError
from inference.core.versioned_json import read_folder_json

FORECAST_FORMAT = "semioscope.forecast"
FORECAST_VERSION = 1
FORECAST_JSON = "forecast.json"
ENCODER_FILE = "encoder.safetensors"
PRETRAIN_FILE = "pretrain_model.safetensors"
CLASSIFIER_FILE = "classifier.safetensors"

KIND_PRETRAINED = "pretrained"
KIND_CLASSIFIER = "classifier"


def read_forecast_json(folder: str | Path, kind: Optional[str] = None) -> dict[str, Any]:
    """Parse and check ``forecast.json``; ``kind`` requires a pretrained or classifier folder."""
    path = Path(folder) / FORECAST_JSON
    info = read_folder_json(folder, FORECAST_JSON, FORECAST_FORMAT, FORECAST_VERSION, CheckpointError,
                            what="forecast model file", folder_what="forecast model")
    if "videomae_config" not in info:
        raise CheckpointError(path, "incomplete: missing videomae_config")
    if kind is not None and info.get("kind") != kind:
        raise CheckpointError(path, f"is a {info.get('kind')!r} forecast model; this step needs a {kind!r} one "
                                    f"({'run forecast pretrain first' if kind == KIND_PRETRAINED else 'run forecast finetune first'})")
    return info

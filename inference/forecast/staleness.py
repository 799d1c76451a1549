"""Whether a result's forecast trace still comes from a given forecast classifier at a given stride."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from inference.core.fingerprint import file_fingerprint
from inference.forecast.folder import CLASSIFIER_FILE, KIND_CLASSIFIER, read_forecast_json
from inference.forecast.trace_data import FORECAST_TRACE
from inference.results.result_file import (
    AnalysisResult,
    canonical_hash,
)


def forecast_weights_fingerprint(model_dir: str | Path) -> str:
    """The classifier weights' fingerprint: two fine-tunings can write the same forecast.json."""

    return file_fingerprint(Path(model_dir) / CLASSIFIER_FILE)

def forecast_trace_stale(result: AnalysisResult, model_dir: str | Path, stride_s: float) -> Optional[str]:
    """Why ``result`` holds no current forecast trace of the classifier folder ``model_dir`` at
    ``stride_s`` (its ``forecast.json`` hash is stored in the trace), or None when it does."""

    tr = result.traces.get(FORECAST_TRACE)
    if tr is None:
        return "it has no forecast trace"
    want = canonical_hash(read_forecast_json(model_dir, KIND_CLASSIFIER))
    weights = tr.meta.get("weights_fingerprint")  # absent in traces added by `forecast trace`
    if tr.meta.get("model_hash") != want or (weights is not None and weights != forecast_weights_fingerprint(model_dir)):
        return (f"its forecast trace comes from another forecast model "
                f"({Path(str(tr.meta.get('model_dir', '?'))).name}, hash {tr.meta.get('model_hash')} != {want})")
    if abs(float(tr.meta.get("stride_s", -1.0)) - float(stride_s)) > 1e-9:
        return f"its forecast trace has stride {tr.meta.get('stride_s')} s, not {stride_s:g} s"
    return None

"""The analysis engine: one loaded model analysing whole videos (``inference.analysis.run`` does the work)."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable, Optional

from inference.analysis.run import AnalysisRun
from inference.analysis.settings import EngineConfig, WindowModel, json_roundtrip, keypoint_identity, resume_key
from inference.core.config import EventConfig
from inference.core.errors import InputFileError
from inference.core.progress import CancelToken, ProgressFn
from inference.forecast.model import load_classifier
from inference.forecast.staleness import forecast_trace_stale, forecast_weights_fingerprint
from inference.forecast.trace import forecast_trace
from inference.forecast.trace_data import add_forecast_to_result
from inference.results.events import detect_events
from inference.results.result_file import AnalysisResult, ResultChunk, model_identity


class AnalysisEngine:
    """Analyse whole videos with one loaded model. Thread-compatible: one analysis at a time.

    ``analyze(video, out_path=None, on_partial=None, progress=None, cancel=None)`` runs to the
    end and returns the :class:`AnalysisResult`; ``run(...)`` returns an :class:`AnalysisRun` to
    iterate over :class:`ResultChunk` s as they finish.
    """

    def __init__(self, model: WindowModel, config: EngineConfig = EngineConfig()):
        self.model = model
        # Pose as the run was trained (analyze, the window, Ray workers all come through here).
        self.config = dataclasses.replace(config, pose=config.pose.as_trained(model.run_config.get("pose")))
        self._forecaster = None  # (classifier, forecast.json), loaded on first use

    def forecast_trace(self, video_path: str | Path, progress: Optional[ProgressFn] = None,
                       cancel: Optional[CancelToken] = None):
        """``config.forecast_model``'s trace over a video (``inference.forecast.trace.ForecastTrace``)."""
        trace = forecast_trace(video_path, self.config.forecast_model, stride_s=self.config.stride_s,
                               progress=progress, cancel=cancel, device=self.config.device, model=self.forecaster())
        trace.meta["weights_fingerprint"] = forecast_weights_fingerprint(self.config.forecast_model)
        return trace

    def forecaster(self):
        """``(classifier, forecast.json)`` of ``config.forecast_model``, loaded once (CheckpointError
        naming the folder when it is not a forecast classifier)."""
        if self._forecaster is None:
            self._forecaster = load_classifier(self.config.forecast_model)
        return self._forecaster

    def forecast_stale(self, result: AnalysisResult) -> Optional[str]:
        """Why ``result``'s forecast trace does not come from ``config.forecast_model`` at this
        stride (missing, another model or stride), or None when it does or no model is set."""
        if not self.config.forecast_model:
            return None
        return forecast_trace_stale(result, self.config.forecast_model, self.config.stride_s)

    def event_config(self) -> EventConfig:
        """The run's event rules (validation threshold) with the user's overrides."""
        return self.config.event_config(self.model.event_config)

    def model_identity(self) -> dict[str, Any]:
        m = self.model
        return model_identity(m.run_config, getattr(m, "run_dir", None), m.threshold)

    def analysis_config(self, kp_identity: dict[str, Any]) -> dict[str, Any]:
        """The configuration stored in results; all but ``events`` must match to resume/reuse."""
        seg = self.model.segment_config
        step = max(1, int(round(self.config.stride_s * seg.fps)))
        return json_roundtrip({"stride_s": step / seg.fps, "segments": seg.to_dict(),
                               "clips": self.model.clip_config.to_dict(), "keypoints": kp_identity,
                               "events": self.event_config().to_dict()})

    def reusable_result(self, video_path: str | Path, out_path: str | Path, progress: Optional[ProgressFn] = None,
                        cancel: Optional[CancelToken] = None) -> Optional[AnalysisResult]:
        """A finished result at ``out_path`` for this video, model and configuration, or None.

        Only the event rules and the forecast trace may differ: then the events are recomputed
        (cheap), the forecast trace is redone alone (``progress``/``cancel`` apply) and it is saved.
        """
        out_path = Path(out_path)
        if not out_path.exists():
            return None
        try:
            res = AnalysisResult.load(out_path)
        except InputFileError:
            return None
        if not res.complete or res.is_stale(video_path, self.model.run_config) is not None:
            return None
        kp_identity, _, backend = keypoint_identity(self.config, Path(video_path))
        if backend is not None:
            backend.close()
        want = self.analysis_config(kp_identity)
        if resume_key(res.config) != resume_key(want):
            return None
        if res.config.get("events") != want["events"]:
            res.events = detect_events(res.window_start_s, res.window_end_s, res.prob, self.event_config(),
                                       res.attention)
            res.config = want
            res.save(out_path)
        if self.forecast_stale(res) is not None:
            total = float(res.window_end_s[-1]) if len(res) else 0.0
            report = None if progress is None else (
                lambda d, n, m="": progress(total * d / n if n else total, total, "forecast"))
            add_forecast_to_result(res, self.forecast_trace(video_path, report, cancel))
            res.save(out_path)
        return res

    def run(self, video_path: str | Path, out_path: Optional[str | Path] = None,
            progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None) -> AnalysisRun:
        return AnalysisRun(self, video_path, out_path, progress, cancel)

    def analyze(self, video_path: str | Path, out_path: Optional[str | Path] = None,
                on_partial: Optional[Callable[[ResultChunk], None]] = None,
                progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None) -> AnalysisResult:
        run = self.run(video_path, out_path, progress, cancel)
        for chunk in run:
            if on_partial is not None:
                on_partial(chunk)
        assert run.result is not None
        return run.result

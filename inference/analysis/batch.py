"""Analysing files in a batch: one file's outcome, never raising for bad input."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from inference.analysis.engine import AnalysisEngine
from inference.analysis.settings import EngineConfig
from inference.core.errors import Cancelled, SemioscopeError
from inference.core.progress import CancelToken, ProgressFn
from inference.detector.checkpoint import load_run
from inference.results.result_file import AnalysisResult, ResultChunk


def analyze_video(video: str | Path, run_dir: str | Path, out_path: Optional[str | Path] = None,
                  config: EngineConfig = EngineConfig(), on_partial: Optional[Callable[[ResultChunk], None]] = None,
                  progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None) -> AnalysisResult:
    """Load the run folder's detector on ``config.device`` and analyse one video."""
    model = load_run(run_dir, device=config.device)
    return AnalysisEngine(model, config).analyze(video, out_path, on_partial, progress, cancel)


@dataclass
class FileOutcome:
    """How one file of a batch went. ``status``: ok | reused | warning | failed."""

    video: str
    out_path: Optional[str]
    status: str
    message: str = ""
    video_s: float = 0.0
    wall_s: float = 0.0
    n_events: int = 0

    @property
    def succeeded(self) -> bool:
        return self.status in ("ok", "reused")


def analyze_file(engine: AnalysisEngine, video: str | Path, out_path: str | Path,
                 progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None,
                 reuse: bool = True) -> FileOutcome:
    """Analyse one file of a batch, turning bad input into a ``failed`` outcome (never raising
    for it). A finished, up-to-date result is reused; a truncated video is analysed up to
    where it stops and reported as a ``warning``. Cancellation still raises."""
    video, out_path = Path(video), Path(out_path)
    t0 = time.perf_counter()
    try:
        res = engine.reusable_result(video, out_path, progress, cancel) if reuse else None
        status = "reused"
        if res is None:
            res = engine.analyze(video, out_path, progress=progress, cancel=cancel)
            status = "ok"
    except Cancelled:
        raise
    except SemioscopeError as exc:
        return FileOutcome(str(video), None, "failed", str(exc), wall_s=time.perf_counter() - t0)
    except Exception as exc:  # an unexpected failure must not stop the batch either
        return FileOutcome(str(video), None, "failed", f"{video}: unexpected {type(exc).__name__}: {exc}",
                           wall_s=time.perf_counter() - t0)
    meta = res.video.get("meta") or {}
    message = ""
    if meta.get("truncated"):
        status = "warning"
        message = (f"{video}: truncated: analysed the readable {meta.get('duration_s', 0):.1f} s "
                   f"(frame {meta.get('frame_count')} of {meta.get('expected_frame_count')}); the rest is a gap")
    video_s = float(res.window_end_s[-1] - res.window_start_s[0]) if len(res) else 0.0
    return FileOutcome(str(video), str(out_path), status, message, video_s=video_s,
                       wall_s=time.perf_counter() - t0, n_events=len(res.events))

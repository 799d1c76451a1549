"""The analysis engine on a background QThread: progress, partial results, finish, failure, cancel.

The window never waits for the model: :class:`AnalysisWorker` loads the run and runs
``AnalysisEngine.analyze`` in its own thread and reports through queued signals. Cancelling sets
an ``inference.progress.CancelToken`` that the engine checks once per batch. Failures (corrupt
video, missing model, anything unexpected) arrive as a one-line message on ``failed``; the
traceback of an unexpected error goes to the log file given, never to the console.
"""
from __future__ import annotations

import dataclasses
import os
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Optional

from PySide6.QtCore import QThread, Signal

from inference.analysis.settings import EngineConfig
from inference.core.errors import Cancelled, SemioscopeError
from inference.core.progress import CancelToken


def _lower_thread_priority(nice: int = 10) -> None:
    """Let the GUI thread win the CPU over the analysis: on Linux each thread has its own nice
    value, and the threads the engine starts from here inherit it."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except (AttributeError, OSError):
        pass  # not Linux, or not allowed: the analysis simply runs at normal priority


def load_detector_run(run_dir: str | Path, device: str = "auto"):
    """``inference.detector.checkpoint.load_run``, imported on first use: the run loader and the
    engine pull in torch (~500 MB resident), which a window reviewing a recording that already has
    its result never needs."""
    from inference.detector.checkpoint import load_run

    return load_run(run_dir, device=device)


class AnalysisWorker(QThread):
    """Analyse ``video`` with the model in run folder ``run_dir`` (or an already loaded ``model``).

    Signals (all queued to the GUI thread):

    - ``progress(done: float, total: float, message: str)``
    - ``partial(chunk: inference.results.ResultChunk)``: windows just finished
    - ``finished_result(result: inference.results.AnalysisResult)``
    - ``failed(message: str)``
    - ``cancelled()``

    Exactly one of the last three is emitted per run. ``engine_config``: an
    ``inference.engine.EngineConfig`` (default: stride 1 s, device auto). ``reuse``: take a
    finished, current result at ``out_path`` (``AnalysisEngine.reusable_result``: only a stale
    forecast trace or event rules are redone) instead of analysing again.
    """

    progress = Signal(float, float, str)
    partial = Signal(object)
    finished_result = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, video: str | Path, run_dir: Optional[str | Path] = None, out_path: Optional[str | Path] = None,
                 engine_config: Any = None, model: Any = None, log_path: Optional[str | Path] = None,
                 torch_threads: Optional[int] = None, reuse: bool = False, parent=None):
        super().__init__(parent)
        self.video = Path(video)
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.out_path = Path(out_path) if out_path is not None else None
        self.engine_config = engine_config
        self.model = model
        self.log_path = Path(log_path) if log_path is not None else None
        self.torch_threads = torch_threads
        self.reuse = reuse
        self.token = CancelToken()
        self.outcome: Optional[str] = None  # "finished" | "failed" | "cancelled"
        self.error: Optional[str] = None
        self.result = None
        self.chunks_emitted = 0
        self.started_at = 0.0

    def cancel(self) -> None:
        """Ask the engine to stop; it does so within one batch."""
        self.token.cancel()

    def run(self) -> None:  # runs in the worker thread
        self.started_at = time.monotonic()
        _lower_thread_priority()
        try:
            cfg = self.engine_config or EngineConfig()
            if self.torch_threads:
                # Leave a core to the GUI thread so it stays responsive on small machines; the engine
                # applies it for the analysis only and restores the process setting afterwards.
                cfg = dataclasses.replace(cfg, cpu_threads=self.torch_threads)
            model = self.model
            if model is None:
                if self.run_dir is None:
                    raise SemioscopeError("no model given: open a run folder (review --model RUN) to analyse")
                self.progress.emit(0.0, 0.0, f"loading model \u201c{self.run_dir.name}\u201d")
                model = load_detector_run(self.run_dir, device=cfg.device)
            self.token.check()
            from inference.analysis.engine import AnalysisEngine  # torch: see load_detector_run

            engine = AnalysisEngine(model, cfg)
            result = None
            if self.reuse and self.out_path is not None:
                result = engine.reusable_result(self.video, self.out_path, progress=self._on_progress,
                                                cancel=self.token)
            if result is None:
                result = engine.analyze(self.video, self.out_path, on_partial=self._on_partial,
                                        progress=self._on_progress, cancel=self.token)
        except Cancelled:
            self.outcome = "cancelled"
            self.cancelled.emit()
            return
        except SemioscopeError as exc:
            self._fail(str(exc))
            return
        except Exception as exc:  # never a traceback on the console: message in the window, trace in the log
            self._log(traceback.format_exc())
            where = f" (details in {self.log_path})" if self.log_path else ""
            self._fail(f"analysis of {self.video.name} failed: {type(exc).__name__}: {exc}{where}")
            return
        self.result = result
        self.outcome = "finished"
        self.finished_result.emit(result)

    def _on_partial(self, chunk) -> None:
        self.chunks_emitted += 1
        self.partial.emit(chunk)

    def _on_progress(self, done: float, total: float, message: str = "") -> None:
        self.progress.emit(float(done), float(total or 0.0), str(message))

    def _fail(self, message: str) -> None:
        self.error = message
        self.outcome = "failed"
        self.failed.emit(message)

    def _log(self, text: str) -> None:
        if self.log_path is None:
            return
        try:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.log_path, "a", encoding="utf-8") as fh:
                fh.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} analysis of {self.video}\n{text}\n")
        except OSError:
            pass

"""The background analysis of the open video, as the window runs it: the detector loaded once
in the GUI thread, an ``AnalysisWorker`` started with it, its progress in the status bar, its
partial and final results handed to ``ResultsView``, Cancel."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QApplication

from app.analysis_worker import AnalysisWorker, load_detector_run
from inference.analysis.settings import EngineConfig
from inference.core.errors import SemioscopeError
from inference.results.result_file import AnalysisResult, ResultChunk, result_path_for
from widgets.wording import named, plural

if TYPE_CHECKING:
    from app.main_window import MainWindow


class AnalysisControl(QObject):
    """``start(run_dir)``, ``cancel(wait=False)``, ``running()``; ``worker`` (the latest
    AnalysisWorker or None). ``reuse_detector``: the loaded result is current but for its
    forecast trace, so the next run keeps the detector's windows (set by ``ResultsView.open``).

    A QObject so the worker's signals, emitted in its thread, queue to the GUI thread here."""

    def __init__(self, win: MainWindow):
        super().__init__(win)
        self.win = win
        self.worker: Optional[AnalysisWorker] = None
        self.reuse_detector = False
        self._model_cache: Optional[tuple[tuple[str, str], Any]] = None  # ((run folder, device), model)

    def start(self, run_dir: str | Path) -> None:
        """Run the engine on the open video in a background thread (partials stream in)."""
        win = self.win
        if win.video_path is None:
            win.show_error("Open a video first")
            return
        self.cancel(wait=True)
        win.results.clear_trace()
        win.model_dir = Path(run_dir)
        cfg = win.engine_config or EngineConfig()
        model = self.load_model(win.model_dir, cfg.device)
        if model is None:
            return
        threads = max(1, (os.cpu_count() or 2) - 1)
        out = win.results_path if win.results_path is not None else result_path_for(win.video_path)
        win.results_path = out
        reuse, self.reuse_detector = self.reuse_detector, False
        self.worker = AnalysisWorker(win.video_path, win.model_dir, out, cfg, model=model, log_path=win.log_path,
                                     torch_threads=threads, reuse=reuse, parent=win)
        self.worker.progress.connect(self._on_progress)
        self.worker.partial.connect(self._on_partial)
        self.worker.finished_result.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.cancelled.connect(self._on_cancelled)
        win.progress_bar.setRange(0, 0)
        win.progress_bar.setFormat("analysing…")
        win.progress_bar.show()
        win.cancel_button.show()
        win.cancel_button.setEnabled(True)
        win.show_message(f"Analysing {win.video_path.name} with {win.model_dir.name}…")
        self.worker.start()

    def load_model(self, run_dir: Path, device: str = "auto"):
        """Load (once) the run's detector here, in the GUI thread: importing torch, transformers and
        peft holds the interpreter for long stretches, so doing it before the worker starts keeps
        the window responsive while the analysis runs. Errors go to the message bar (None)."""
        key = (str(Path(run_dir).resolve()), device)
        if self._model_cache is not None and self._model_cache[0] == key:
            return self._model_cache[1]
        self.win.show_message(f"Loading {named('model', Path(run_dir).name)}…")
        QApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            model = load_detector_run(run_dir, device=device)
        except SemioscopeError as exc:
            self.win.show_error(str(exc))
            return None
        finally:
            QApplication.restoreOverrideCursor()
        self._model_cache = (key, model)
        return model

    def cancel(self, wait: bool = False) -> None:
        """Stop the run within a batch (what is done is kept); ``wait``: until it has stopped,
        then forget the worker."""
        w = self.worker
        if w is None:
            return
        if w.isRunning():
            w.cancel()
            self.win.cancel_button.setEnabled(False)
            self.win.show_message("Cancelling analysis (finishing the current batch)…")
            if wait:
                w.wait(60000)
        if wait:
            self.worker = None

    def running(self) -> bool:
        return self.worker is not None and self.worker.isRunning()

    def _on_progress(self, done: float, total: float, message: str) -> None:
        self.win.show_progress(done, total, message or "analysing…")

    def _on_partial(self, chunk: ResultChunk) -> None:
        self.win.results.add_chunk(chunk)

    def _done(self) -> None:
        self.win.progress_bar.hide()
        self.win.cancel_button.hide()

    def _on_finished(self, result: AnalysisResult) -> None:
        win = self.win
        self._done()
        win.results.show(result)
        win.clear_message_bar()
        where = f" → {win.results_path}" if win.results_path else ""
        win.show_message(f"Analysis finished: {plural(len(result), 'window')}, {plural(len(win.events), 'event')}{where}. "
                         "N: next event, Y/R: confirm/reject, Space: play, F1: all keys")

    def _on_failed(self, message: str) -> None:
        self._done()
        self.win.results.redraw()
        self.win.show_error(message)

    def _on_cancelled(self) -> None:
        self._done()
        self.win.results.redraw()
        self.win.show_message(f"Analysis cancelled at {self.win.review_state.analysed_until_s:.0f} s; the partial "
                              "results are kept (a new run continues from there)")

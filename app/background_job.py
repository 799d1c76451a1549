"""One long job off the GUI thread (a shared clip, a report...), with the status bar's progress
bar and Cancel, so the window never freezes.

``BackgroundJob(win, title, work)`` runs ``work(progress, cancel)`` in a QThread; progress goes
to the window's progress bar, Cancel (the status bar's button, or ``cancel()``) sets the token
that ``work`` checks; ``on_done(result)`` runs in the GUI thread, errors go to the message bar.
One job at a time: the analysis has the progress bar while it runs.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from PySide6.QtCore import QThread, Signal

from inference.core.errors import Cancelled, SemioscopeError
from inference.core.progress import CancelToken

if TYPE_CHECKING:
    from app.main_window import MainWindow


class _Runner(QThread):
    progress = Signal(float, float, str)
    done = Signal(object)
    failed = Signal(str)

    def __init__(self, work: Callable, cancel: CancelToken):
        super().__init__()
        self.work, self.token = work, cancel

    def run(self) -> None:  # the worker thread
        try:
            self.done.emit(self.work(lambda d, t, m="": self.progress.emit(float(d), float(t or 0), str(m)),
                                     self.token))
        except Cancelled:
            self.failed.emit("")
        except (SemioscopeError, OSError, ValueError, RuntimeError) as exc:
            self.failed.emit(str(exc))


class BackgroundJob:
    def __init__(self, win: MainWindow, title: str, work: Callable[..., Any],
                 on_done: Optional[Callable[[Any], None]] = None):
        self.win, self.title, self.on_done = win, title, on_done
        self.token = CancelToken()
        self.runner = _Runner(work, self.token)
        self.runner.progress.connect(self._on_progress)
        self.runner.done.connect(self._on_done)
        self.runner.failed.connect(self._on_failed)
        self.result: Any = None
        self.error: Optional[str] = None

    def start(self) -> "BackgroundJob":
        win = self.win
        win.progress_bar.setRange(0, 0)
        win.progress_bar.setFormat(f"{self.title}…")
        win.progress_bar.show()
        win.cancel_button.show()
        win.show_message(f"{self.title}…")
        self.runner.start()
        return self

    def running(self) -> bool:
        return self.runner.isRunning()

    def cancel(self, wait: bool = False) -> None:
        self.token.cancel()
        if wait:
            self.runner.wait()

    def _on_progress(self, done: float, total: float, message: str) -> None:
        self.win.show_progress(done, total, self.title)
        if message:
            self.win.progress_bar.setToolTip(message)

    def _finish(self) -> None:
        self.runner.wait()
        if self.win.job is self:
            self.win.job = None
        if not self.win.analysis_running():
            self.win.progress_bar.hide()
            self.win.cancel_button.hide()

    def _on_done(self, result: Any) -> None:
        self.result = result
        self._finish()
        if self.on_done is not None:
            self.on_done(result)

    def _on_failed(self, message: str) -> None:
        self.error = message or "cancelled"
        self._finish()
        if message:
            self.win.show_error(f"{self.title}: {message}")
        else:
            self.win.show_message(f"{self.title}: cancelled", 4000)


__all__ = ["BackgroundJob"]

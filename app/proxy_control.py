"""The scrubbing proxy of the open video: found in the cache, or built in the background.

For a video of ``MIN_DURATION_S`` or more the window looks for its proxy (``inference.video.proxy``)
and hands it to the frame loader; without one it builds it on a low-priority thread (the
window's seeks win the CPU), with its progress and a cancel button in the status bar. Until it
is there, seeks decode the original as before. Cancelling leaves nothing behind.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import QLabel, QToolButton

from inference.core.errors import Cancelled, SemioscopeError
from inference.core.progress import CancelToken
from inference.video.proxy import MIN_DURATION_S, build_proxy, find_proxy

if TYPE_CHECKING:
    from app.main_window import MainWindow


class _Builder(QThread):
    progress = Signal(float, float)
    done = Signal(object)
    failed = Signal(str)

    def __init__(self, video: Path, token: CancelToken):
        super().__init__()
        self.video, self.token = video, token

    def run(self) -> None:
        try:  # the window's seeks and the analysis come first (Linux: each thread has its nice)
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 15)
        except (AttributeError, OSError):
            pass
        try:
            info = build_proxy(self.video, progress=lambda d, t, _m="": self.progress.emit(float(d), float(t)),
                               cancel=self.token)
            self.done.emit(info.path)
        except Cancelled:
            self.failed.emit("")
        except (SemioscopeError, OSError) as exc:
            self.failed.emit(str(exc))


class ProxyControl:
    """``start(video, frames, duration_s)`` after a video opens, ``stop()`` when it closes;
    ``path`` (the proxy in use, or None), ``builder`` (while building)."""

    def __init__(self, win: MainWindow, min_duration_s: float = MIN_DURATION_S):
        self.win = win
        self.min_duration_s = min_duration_s
        self.path: Optional[Path] = None
        self.builder: Optional[_Builder] = None
        self._token: Optional[CancelToken] = None
        self.label = QLabel(win)
        self.label.setToolTip("A small all-intra copy of the video for instant seeking and fast playback")
        self.cancel_button = QToolButton(win)
        self.cancel_button.setText("✕")
        self.cancel_button.setToolTip("Stop building the scrubbing proxy (seeks decode the original)")
        self.cancel_button.clicked.connect(self.stop)
        win.statusBar().addPermanentWidget(self.label)
        win.statusBar().addPermanentWidget(self.cancel_button)
        self._show(None)

    def _show(self, text: Optional[str]) -> None:
        self.label.setText(text or "")
        self.label.setVisible(bool(text))
        self.cancel_button.setVisible(self.builder is not None)

    def start(self, video: Path, frames: int, duration_s: float) -> None:
        self.stop()
        if duration_s < self.min_duration_s:
            return
        found = find_proxy(video, frames)
        if found is not None:
            self._use(found)
            return
        self._token = CancelToken()
        self.builder = _Builder(video, self._token)
        self.builder.progress.connect(lambda d, t: self._show(f"proxy {100 * d / max(t, 1):.0f}%"))
        self.builder.done.connect(self._on_done)
        self.builder.failed.connect(self._on_failed)
        self.builder.start()
        self._show("proxy 0%")

    def _use(self, path: Path) -> None:
        self.path = path
        if self.win.loader is not None:
            self.win.loader.set_proxy(path)
        self._show(None)

    def _finish(self) -> None:
        if self.builder is not None:
            self.builder.wait()
            self.builder = None

    def _on_done(self, path: Path) -> None:
        self._finish()
        self._use(Path(path))
        self.win.show_message("Scrubbing proxy ready: seeks show a frame at once", 4000)

    def _on_failed(self, message: str) -> None:
        self._finish()
        self._show(None)
        if message:
            self.win.show_message(f"No scrubbing proxy: {message}", 8000)

    def stop(self) -> None:
        """Cancel a build (nothing is left behind) and forget the proxy."""
        if self._token is not None:
            self._token.cancel()
        if self.builder is not None:
            self.builder.wait()
            self.builder = None
        self._token = None
        self.path = None
        self._show(None)


__all__ = ["ProxyControl"]

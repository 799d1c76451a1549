"""The scrubbing proxy of the open video: found in the cache, or built in the background.

For a video of ``MIN_DURATION_S`` or more the window looks for its proxy (``inference.video.proxy``)
and hands it to the frame loader; without one it builds it in a low-priority child process (the
window's seeks win the CPU and never wait for the builder's interpreter lock), with its progress
and a cancel button in the status bar. Until it
is there, seeks decode the original as before. Cancelling leaves nothing behind.
"""
from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import QLabel, QToolButton

from inference.core.progress import CancelToken
from inference.video.proxy import MIN_DURATION_S, build_proxy_in_child, find_proxy

if TYPE_CHECKING:
    from app.main_window import MainWindow


class _Builder(QThread):
    """Builds the proxy in a spawned child process (``build_proxy_in_child``) and relays its
    messages as signals. A thread would share the window's interpreter lock: the encoder's
    Python loop then delayed the window's seeks (median 165 ms instead of 93 ms during a build)."""

    progress = Signal(float, float)
    done = Signal(object)
    failed = Signal(str)

    def __init__(self, video: Path, token: CancelToken):
        super().__init__()
        self.video, self.token = video, token
        self._ctx = multiprocessing.get_context("spawn")  # never fork a process holding Qt and decoders
        self.cancel_event = self._ctx.Event()

    def run(self) -> None:
        parent, child = self._ctx.Pipe(duplex=False)
        proc = self._ctx.Process(target=build_proxy_in_child, args=(str(self.video), child, self.cancel_event),
                                 name="semioscope-proxy", daemon=True)
        proc.start()
        child.close()
        outcome = None
        try:
            while outcome is None:
                if self.token.cancelled:
                    self.cancel_event.set()
                if parent.poll(0.2):
                    try:
                        msg = parent.recv()
                    except EOFError:
                        outcome = ("failed", f"the proxy builder stopped (exit code {proc.exitcode})")
                        break
                    if msg[0] == "progress":
                        self.progress.emit(msg[1], msg[2])
                    else:
                        outcome = msg
                elif not proc.is_alive() and not parent.poll():
                    outcome = ("failed", f"the proxy builder stopped (exit code {proc.exitcode})")
        finally:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.terminate()
            parent.close()
        if outcome[0] == "done":
            self.done.emit(Path(outcome[1]))
        elif outcome[0] == "cancelled" or self.token.cancelled:
            self.failed.emit("")
        else:
            self.failed.emit(outcome[1])


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

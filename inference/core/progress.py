"""Progress reporting and cancellation shared by every long job.

Long jobs (pose, analysis, training, synthesis) take a ``progress`` callback and an optional
``CancelToken``. The CLI passes a tqdm bar (``cli_progress``); the GUI passes a callback that
emits a Qt signal. Nothing here imports Qt.
"""
from __future__ import annotations

import sys
import threading
from contextlib import contextmanager
from typing import Iterator, Optional, Protocol

from tqdm.auto import tqdm

from inference.core.errors import Cancelled


class ProgressFn(Protocol):
    def __call__(self, done: float, total: float, message: str = "") -> None: ...


def no_progress(done: float, total: float, message: str = "") -> None:
    """A progress callback that ignores everything."""


class CancelToken:
    """Thread-safe cancel flag. Long loops call ``check()`` once per unit of work."""

    def __init__(self, event=None) -> None:
        # ``event``: any object with set()/is_set(), e.g. a multiprocessing Event shared with a
        # child process that checks this token.
        self._event = event if event is not None else threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled()


def check_cancel(token: Optional[CancelToken]) -> None:
    if token is not None:
        token.check()


@contextmanager
def cli_progress(desc: str, total: float | None = None, unit: str = "it",
                 position: int | None = None, leave: bool = True) -> Iterator[ProgressFn]:
    """A tqdm bar wrapped as a ``ProgressFn``: ``fn(done, total, message)`` sets absolute progress."""

    bar = tqdm(total=total, desc=desc, unit=unit, position=position, leave=leave,
               file=sys.stderr, dynamic_ncols=True, mininterval=0.2)

    def update(done: float, total_: float, message: str = "") -> None:
        if total_ and bar.total != total_:
            bar.total = total_
        bar.n = done
        if message:
            bar.set_postfix_str(message, refresh=False)
        bar.refresh()

    try:
        yield update
    finally:
        bar.close()


def cli_log(msg: str) -> None:
    """Print a line to stderr above any open ``cli_progress`` bars, without breaking them."""

    tqdm.write(msg, file=sys.stderr)

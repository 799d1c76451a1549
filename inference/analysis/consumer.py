"""The run's consumer: windows from the producer through the model in batches, as result chunks.

It runs in the caller's thread (the run is a generator), so the caller sees each chunk as soon as
its windows have values, and cancellation is checked between queue polls and after each batch.
"""
from __future__ import annotations

import queue
import time
from typing import Callable, Iterator, Optional

import numpy as np

from inference.analysis.producer import END, WindowItem
from inference.analysis.settings import WindowModel
from inference.analysis.state import RunState
from inference.core.progress import CancelToken, ProgressFn
from inference.detector.clips import stack_clips
from inference.pose.joints import NUM_JOINTS
from inference.results.result_file import GAP_DECODE, ResultChunk

# How often a wait for the producer looks at the cancel token, seconds.
GET_POLL_S = 0.1


class WindowConsumer:
    """Fills ``state.prob``/``att``/``reasons`` from the producer's queue, yielding chunks.

    Chunks go out a batch's worth of windows at a time, or as soon as nothing waits for the model
    (so a stretch of gaps is reported without waiting for the next full batch).
    ``save_partial(done)`` is called every ``flush_every_s`` wall seconds; ``done`` (windows
    ``[0, done)`` have their final values) stays readable after a failure or cancellation, for the
    last partial flush.
    """

    def __init__(self, state: RunState, model: WindowModel, batch_size: int, cancel: CancelToken,
                 first_window: int, started: float, progress: Optional[ProgressFn] = None,
                 save_partial: Optional[Callable[[int], None]] = None, flush_every_s: float = 30.0):
        self.state = state
        self.model = model
        self.batch_size = batch_size
        self.cancel = cancel
        self.first_window = first_window
        self.started = started  # perf_counter() when the run started, for the rate in progress messages
        self.progress = progress
        self.save_partial = save_partial
        self.flush_every_s = flush_every_s
        self.done = first_window
        self.model_s = 0.0  # time spent in the model

    def chunks(self, items: queue.Queue) -> Iterator[ResultChunk]:
        """Consume ``items`` up to the producer's :data:`END`; re-raise the producer's exception."""
        st = self.state
        emitted = self.first_window  # windows [0, emitted) already reported
        last_flush = self.started
        batch: list[WindowItem] = []
        while True:
            self.cancel.check()
            try:
                item = items.get(timeout=GET_POLL_S)
            except queue.Empty:
                continue
            if isinstance(item, BaseException):
                raise item
            end = item is END
            if not end:
                if item.clips is None:
                    st.reasons[item.index] = item.reason or GAP_DECODE
                    if not batch:
                        self.done = item.index + 1
                else:
                    batch.append(item)
            if batch and (len(batch) >= self.batch_size or end):
                tm = time.perf_counter()
                self._run_batch(batch)
                self.model_s += time.perf_counter() - tm
                self.done = batch[-1].index + 1
                batch = []
                self.cancel.check()
            if end:
                self.done = st.n_windows
            if self.done > emitted and (end or self.done - emitted >= self.batch_size or not batch):
                yield st.chunk(emitted, self.done)
                emitted = self.done
                self._report()
            now = time.perf_counter()
            if self.save_partial is not None and now - last_flush >= self.flush_every_s:
                self.save_partial(self.done)
                last_flush = now
            if end:
                return

    def _run_batch(self, batch: list[WindowItem]) -> None:
        clips, positions, mask = stack_clips([it.clips for it in batch])
        probs, att = self.model.predict(clips, positions, mask)
        idx = np.array([it.index for it in batch])
        self.state.prob[idx] = np.asarray(probs, dtype=np.float32).reshape(-1)
        self.state.att[idx] = np.asarray(att, dtype=np.float32).reshape(len(idx), NUM_JOINTS)

    def _report(self) -> None:
        """Video seconds done, with the rate since the run started (resumed windows excluded)."""
        if self.progress is None:
            return
        st = self.state
        video_done = float(st.ends[self.done - 1])
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        resumed_s = float(st.starts[self.first_window]) if self.first_window < st.n_windows else 0.0
        self.progress(video_done, float(st.ends[-1]), f"{(video_done - resumed_s) / elapsed:.1f} video-s/s")

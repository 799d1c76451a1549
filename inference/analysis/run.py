"""One streaming analysis run: one whole video -> probability trace, attention, events, result file.

Pipeline::

    VideoReader.iter_sampled(6 fps) -> pose (cache / live backend / keypoint file)
      -> 5 s windows at ``stride_s`` -> crop_joint_clips -> detector in batches
      -> per window: start, end, probability, attention [14] -> events -> AnalysisResult

Memory stays flat however long the video is: a producer thread decodes, runs pose, crops the 14
joints of each sampled frame once (holding at most a stride of frames plus the cleaning
look-ahead) and keeps a ring of the last window's 30 crop sets (~1.3 MB for the tiny preset) to
cut windows from; a bounded queue hands windows to the consumer, which runs the model in batches,
so decoding and the model overlap. Only small per-sample arrays (keypoints, 6 fps) and per-window
arrays grow with the video (a 24-hour video: ~90 MB).

Nothing is invented: sampled frames that cannot be decoded, a truncated tail, and windows where
no joint is visible become NaN probabilities plus explicit ``Gap`` intervals in the result.

Partial results go to ``<out>.partial`` every ``flush_every_s`` seconds (atomically) and when
the run is cancelled or fails; a rerun with the same video, model and configuration continues
after the last finished window.

Where each part lives (this module only puts them together):

- ``state``: the sampling grid, the windows and the arrays the run fills in; the keypoint source.
- ``resume``: continuing from a matching partial result.
- ``producer``: the thread that decodes, runs pose, crops and queues windows.
- ``consumer``: the model over the queued windows in batches, as result chunks.
- ``assembly``: gaps, the keypoint track, partial and final results.
- then the forecast model's trace, when ``EngineConfig.forecast_model`` names one.
"""
from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional

from inference.analysis.assembly import final_result, keypoint_track, partial_result, require_person
from inference.analysis.consumer import WindowConsumer
from inference.analysis.producer import WindowProducer
from inference.analysis.resume import resume_from_partial
from inference.analysis.settings import auto_batch_size, partial_path_for
from inference.analysis.state import RunState, open_keypoint_source, open_run_state
from inference.core.device import model_cpu_threads, torch_threads
from inference.core.progress import CancelToken, ProgressFn
from inference.forecast.trace_data import add_forecast_to_result
from inference.pose.cache import store_track
from inference.results.result_file import AnalysisResult, ResultChunk

if TYPE_CHECKING:  # the engine creates runs; a run only calls back into it
    from inference.analysis.engine import AnalysisEngine


class AnalysisRun:
    """One analysis in progress. Iterate it for :class:`ResultChunk` s; ``result`` is set at the end.

    ``for chunk in engine.run(video): draw(chunk)`` then ``run.result``. Breaking out of the
    loop (or ``close()``) stops the producer and flushes a partial result for a later resume.
    """

    def __init__(self, engine: "AnalysisEngine", video_path: str | Path, out_path: Optional[str | Path],
                 progress: Optional[ProgressFn], cancel: Optional[CancelToken]):
        self.engine = engine
        self.video_path = Path(video_path)
        self.out_path = Path(out_path) if out_path is not None else None
        self.progress = progress
        self.cancel = cancel or CancelToken()
        self.result: Optional[AnalysisResult] = None
        self.resumed_from = 0  # windows taken from a partial result
        self.stats: dict[str, float] = {}
        self.forecast = None  # inference.forecast.trace.ForecastTrace, with EngineConfig.forecast_model
        self.state: Optional[RunState] = None  # set when the run starts
        self._gen: Optional[Iterator[ResultChunk]] = None

    def __iter__(self) -> Iterator[ResultChunk]:
        if self._gen is None:
            self._gen = self._chunks()
        return self._gen

    def close(self) -> None:
        if self._gen is not None:
            self._gen.close()

    def _chunks(self) -> Iterator[ResultChunk]:
        state = self.state = self._setup()
        cfg, model = self.engine.config, self.engine.model
        first = self.resumed_from
        # The queue is the only buffer between decoding and the model: enough to keep the model
        # fed while the producer works on the next windows, bounded to keep memory flat.
        queue_size = max(2, cfg.queue_windows or 2 * self.batch_size)
        producer = WindowProducer(state, model.clip_config, queue_size, self.stats)
        started = time.perf_counter()
        consumer = WindowConsumer(state, model, self.batch_size, self.cancel, first, started, self.progress,
                                  self._save_partial if self.out_path is not None else None, cfg.flush_every_s)
        threads = model_cpu_threads(getattr(model, "device", None), cfg.cpu_threads)
        if threads:
            self.stats["cpu_threads"] = threads
        # On CUDA (threads == 0) the process's setting is not touched at all, not even restored.
        thread_setting = torch_threads(threads) if threads else contextlib.nullcontext()
        finished = False
        try:
            if first:
                yield state.chunk(0, first)  # the resumed windows, before any new work
            with thread_setting, producer.running(first):
                yield from consumer.chunks(producer.items)
                self.forecast = self._forecast_pass()
            finished = True
        finally:
            state.close()
            if not finished and self.out_path is not None and consumer.done > first:
                try:
                    self._save_partial(consumer.done)
                except Exception:
                    pass  # never hide the original error behind a flush failure
        elapsed = time.perf_counter() - started
        self.stats.update(model_s=consumer.model_s, wall_s=elapsed,
                          video_s=float(state.ends[-1] - state.starts[first]) if first < state.n_windows else 0.0)
        self.result = self._final_result()
        if self.forecast is not None:
            add_forecast_to_result(self.result, self.forecast)
        if self.out_path is not None:
            self.result.save(self.out_path)
            partial_path_for(self.out_path).unlink(missing_ok=True)

    def _setup(self) -> RunState:
        """Lay out the windows, check the forecast model, pick the keypoint source, take what a
        partial result has; the run's settings and identity (``batch_size``, ``identity``,
        ``config_dict``) and ``resumed_from`` come with them."""
        eng = self.engine
        model, cfg = eng.model, eng.config
        state = open_run_state(self.video_path, model.segment_config, cfg)
        try:
            self.batch_size = (cfg.batch_size if isinstance(cfg.batch_size, int)
                               else auto_batch_size(model, state.window_len))
            self.event_cfg = eng.event_config()
            if cfg.forecast_model:
                eng.forecaster()  # a bad forecast folder fails now, not after the detector pass
            open_keypoint_source(state, cfg, self.progress, self.cancel)
            self.identity = eng.model_identity()
            self.config_dict = eng.analysis_config(state.keypoints.identity)
            self.resumed_from = self._resume(state)
        except BaseException:
            state.close()
            raise
        return state

    def _resume(self, state: RunState) -> int:
        """The first window still to analyse: after a matching partial result's, else 0."""
        if self.out_path is None or not self.engine.config.resume:
            return 0
        return resume_from_partial(state, partial_path_for(self.out_path), self.identity, self.config_dict)

    def _save_partial(self, done: int) -> None:
        part = partial_result(self.state, done, self.identity, self.config_dict)
        part.save(partial_path_for(self.out_path))

    def _final_result(self) -> AnalysisResult:
        state, cfg = self.state, self.engine.config
        require_person(state)
        backend = state.keypoints.backend
        # Only a run that did all the pose itself caches it (a resumed run took part from the partial).
        if backend is not None and cfg.use_pose_cache and self.resumed_from == 0:
            store_track(self.video_path, backend, state.keypoints.pose_cfg,
                        keypoint_track(state, state.n_samples, cleaned=False),
                        cache_dir=cfg.cache_dir, fingerprint=state.fingerprint, fps=state.fps)
        device = getattr(getattr(self.engine.model, "device", None), "name", "cpu")
        return final_result(state, self.identity, self.config_dict, self.event_cfg,
                            {"batch_size": self.batch_size, "device": str(device),
                             "resumed_from_window": self.resumed_from})

    def _forecast_pass(self):
        """The forecast model's trace over the whole video (None without one). It runs after the
        detector, decoding the video again in its own streaming pass (its frames are sampled
        differently: 16 per clip at the model's size); cancelling here keeps the detector's
        windows as a partial result, so a rerun only redoes the forecast."""
        if not self.engine.config.forecast_model:
            return None
        tf = time.perf_counter()
        trace = self.engine.forecast_trace(self.video_path, self._forecast_progress(), self.cancel)
        self.stats["forecast_s"] = time.perf_counter() - tf
        return trace

    def _forecast_progress(self) -> Optional[ProgressFn]:
        """Forecast windows done -> the video seconds they cover, with the message ``forecast``."""
        if self.progress is None:
            return None
        total = float(self.state.ends[-1])

        def report(done: float, n: float, message: str = "") -> None:
            self.progress(total * done / n if n else total, total, "forecast")

        return report

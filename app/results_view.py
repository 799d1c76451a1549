"""The analysis on screen: a result file loaded (and checked against the video, the model and
the forecast model) or the trace the worker streams in, pushed from ``ReviewState`` to the
timeline, the attention map and the skeleton."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

from PySide6.QtCore import QTimer

from inference.core.errors import SemioscopeError
from inference.forecast.staleness import forecast_trace_stale
from inference.results.result_file import AnalysisResult, ResultChunk
from widgets.wording import named, plural

if TYPE_CHECKING:
    from app.main_window import MainWindow

REDRAW_INTERVAL_MS = 400  # partial results arrive faster than worth redrawing: ~2 redraws a second


class ResultsView:
    """``open(path)`` a result file, ``show(result)``, ``add_chunk(chunk)`` (coalesced redraw),
    ``set_forecast(t, value)``, ``redraw()``, ``clear()``."""

    def __init__(self, win: MainWindow):
        self.win = win
        self.state = win.review_state
        self._redraw_timer = QTimer(win)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(REDRAW_INTERVAL_MS)
        self._redraw_timer.timeout.connect(self.redraw)

    def open(self, path: str | Path, check_model: Optional[Path] = None) -> bool:
        """Show a result file. Stale results (the video or model changed) are reported; with a
        model at hand a fresh analysis replaces them. Returns True when the results are current."""
        win = self.win
        path = Path(path)
        try:
            result = AnalysisResult.load(path)
        except SemioscopeError as exc:
            win.show_error(str(exc))
            return False
        stale = None
        if win.video_path is not None:
            try:
                stale = result.is_stale(win.video_path, check_model)
            except (SemioscopeError, TypeError) as exc:
                stale = str(exc)
        win.results_path = path
        self.show(result)
        fc_stale = self.forecast_stale(result) if not stale and result.complete else None
        if fc_stale:
            if win.model_dir is not None:  # the analysis keeps the detector's windows, redoes the forecast
                win.analysis.reuse_detector = True
                win.show_message(f"Results {path.name}: {fc_stale}; computing the forecast trace…")
                return False
            win.show_warning(f"Results {path.name}: {fc_stale}. Open the detector too (review --model RUN "
                             "--forecast-model DIR) to compute the forecast trace.")
        if stale:
            win.show_warning(f"Results {path.name} are stale: {stale}."
                             + (" Re-analysing." if win.model_dir is not None else
                                " Open the model (review --model RUN) to re-analyse."))
            return False
        if not result.complete:
            win.show_warning(f"Results {path.name} are incomplete (analysis was interrupted at "
                             f"{result.window_end_s[-1] if len(result) else 0:.0f} s).")
            return False
        win.show_message(f"Loaded {path.name}: {plural(len(result), 'window')}, "
                         f"{plural(len(self.state.events), 'event')}, {named('model', result.model.get('run_name'))}")
        return True

    def forecast_stale(self, result: AnalysisResult) -> Optional[str]:
        """Why the result's forecast trace is not that of the forecast model given (None: it is,
        or none is given)."""
        cfg = self.win.engine_config
        model = getattr(cfg, "forecast_model", None)
        if not model:
            return None
        try:
            return forecast_trace_stale(result, model, float(getattr(cfg, "stride_s", 1.0)))
        except SemioscopeError as exc:
            return str(exc)

    def show(self, result: AnalysisResult) -> None:
        """Draw a whole result (replacing any partial trace), with its threshold and forecast."""
        self._redraw_timer.stop()
        self.state.set_result(result)
        # The result's threshold is the run's; a threshold set for this recording stays.
        self.win.event_review.adopt_run_threshold()
        self._push_forecast()
        self.redraw()
        win = self.win
        if win.reader is not None and win.current_frame == 0 and not (win.clock is not None and win.clock.playing):
            # Nobody has moved yet (e.g. an analysis just finished): review picks up at the first
            # event still to review.
            start = win.opening.first_unreviewed_event_s()
            if start is not None:
                win.seek(start)
                win.timeline.centerOn(start)

    def set_forecast(self, t, value) -> None:
        """A bare forecast curve: drawn and toggled with View → forecast, no alarms."""
        self.state.set_forecast_curve(t, value)
        self._push_forecast()

    def _push_forecast(self) -> None:
        timeline = self.win.timeline
        curve = self.state.forecast_curve
        if curve is None:
            timeline.setForecast([], [])
            return
        timeline.setForecast(*curve)
        timeline.setForecastVisible(self.win.actions["view.forecast"].isChecked())

    def add_chunk(self, chunk: ResultChunk) -> None:
        """Windows the worker just finished; drawn with the next coalesced redraw."""
        self.state.add_chunk(chunk)
        if not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def clear_trace(self) -> None:
        """A new analysis starts: no detector trace (keypoints and forecast stay)."""
        self._redraw_timer.stop()
        self.state.clear_trace()
        self.redraw()

    def redraw(self) -> None:
        """Trace, gaps and attention to the plots; events to the panel; the pose on screen."""
        win, state = self.win, self.state
        win.timeline.setWindowGeometry(state.window_s, state.stride_s)
        win.timeline.setTrace(state.mid, state.prob, state.gap_spans)
        win.attention_map.setAttention(state.mid, state.attention, state.prob)
        win.event_review.refresh()
        win.attention_map.setCurrentTime(win.current_time)
        if win.reader is not None and win.shown_frame >= 0:
            win.update_pose(win.reader.frame_to_time(win.shown_frame))

    def clear(self) -> None:
        """The video closed: nothing analysed, no forecast."""
        self.state.clear()
        self.win.timeline.setForecast([], [])
        self.win.timeline.setForecastAlarms([], None)

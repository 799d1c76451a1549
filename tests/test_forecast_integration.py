"""The forecast model beside the detector: the engine's "forecast" trace (aligned windows, resume,
reuse when only the forecast model changed), the CLI flag, and the review window's second curve,
View toggle and forecast alarms with lead times from the annotated onsets."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from app_helpers import make_result, make_tiny_run, make_video  # noqa: E402
from forecast_data import one_torch_thread  # noqa: E402,F401  (module fixture: one torch thread)
from test_engine import MotionModel  # noqa: E402
from test_engine import make_video as make_dot_video  # noqa: E402

from app import edit_commands as cmds  # noqa: E402
from app.cli import main  # noqa: E402
from app.event_review import ALARM_STATUS  # noqa: E402
from app.main_window import MainWindow  # noqa: E402
from inference.analysis.batch import analyze_file  # noqa: E402
from inference.analysis.engine import AnalysisEngine  # noqa: E402
from inference.analysis.settings import EngineConfig, partial_path_for  # noqa: E402
from inference.core.errors import Cancelled  # noqa: E402
from inference.core.progress import CancelToken  # noqa: E402
from inference.forecast.model import (  # noqa: E402
    CLASSIFIER_FILE,
    KIND_CLASSIFIER,
    make_classifier,
    new_encoder,
    preset_config,
    save_state,
    write_forecast_json,
)
from inference.forecast.staleness import forecast_trace_stale  # noqa: E402
from inference.forecast.trace import forecast_trace, window_starts  # noqa: E402
from inference.results.result_file import AnalysisResult, Trace, result_path_for  # noqa: E402
from widgets.display_data import FORECAST_ALARM  # noqa: E402

CLIP_S = 3.0


def tiny_classifier(folder: Path, seed: int = 0, threshold: float = 0.5, onset: str = "clinical") -> Path:
    """A random-init ``tiny`` forecast classifier folder (32 px) written with the forecast API."""
    cfg = preset_config("tiny", image_size=32)
    clf = make_classifier(new_encoder(cfg, seed), seed)
    folder.mkdir(parents=True, exist_ok=True)
    save_state(folder / CLASSIFIER_FILE, clf, "classifier")
    write_forecast_json(folder, KIND_CLASSIFIER, cfg, {"labels": {"onset": onset}, "clip_s": CLIP_S,
                                                       "horizon_s": 5.0, "threshold": threshold})
    return folder


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    d = tmp_path_factory.mktemp("fcint")
    return d, make_dot_video(d / "rec.mp4", duration_s=10.0), tiny_classifier(d / "clf0", 0), \
        tiny_classifier(d / "clf1", 1)


def _engine(model, clf, **kw):
    return AnalysisEngine(model, EngineConfig(keypoints="gt", batch_size=4, flush_every_s=1e9,
                                              forecast_model=str(clf) if clf else None, **kw))


def test_engine_adds_an_aligned_forecast_trace_resumes_and_reuses(assets, tmp_path):
    _, video, clf0, clf1 = assets
    out = tmp_path / "rec.result.npz"
    seen = []
    res = _engine(MotionModel(), clf0).analyze(video, out, progress=lambda d, t, m="": seen.append((d, t, m)))
    saved = AnalysisResult.load(out)
    tr = saved.traces["forecast"]
    n = len(window_starts(saved.video["meta"]["duration_s"], CLIP_S, 1.0))
    assert n == 8 and len(tr.value) == n
    np.testing.assert_allclose(tr.start_s, np.arange(n, dtype=float))
    np.testing.assert_allclose(tr.end_s, np.arange(n) + CLIP_S)
    alone = forecast_trace(video, clf0, stride_s=1.0, device="cpu")
    np.testing.assert_allclose(tr.value, alone.prob, rtol=1e-5, atol=1e-6)
    assert np.isfinite(tr.value).all() and ((tr.value > 0) & (tr.value < 1)).all()
    assert tr.meta["model_hash"] == alone.meta["model_hash"] and tr.meta["threshold"] == 0.5
    assert len(saved) == len(res) == 6 and np.isfinite(saved.prob).all()  # the detector's 5 s windows
    assert forecast_trace_stale(saved, clf0, 1.0) is None
    assert "another forecast model" in forecast_trace_stale(saved, clf1, 1.0)
    assert "stride" in forecast_trace_stale(saved, clf0, 2.0)
    fc_progress = [d for d, t, m in seen if m == "forecast"]
    assert fc_progress and fc_progress[-1] == pytest.approx(seen[-1][1])

    # Another forecast model: the finished result is reused, only its forecast trace is redone.
    model = MotionModel()
    outcome = analyze_file(_engine(model, clf1), video, out)
    assert outcome.status == "reused" and model.calls == 0
    redone = AnalysisResult.load(out)
    assert redone.traces["forecast"].meta["weights_fingerprint"] != tr.meta["weights_fingerprint"]
    assert redone.traces["forecast"].meta["model_dir"] == str(clf1.resolve())
    assert not np.allclose(redone.traces["forecast"].value, tr.value)
    np.testing.assert_array_equal(redone.prob, saved.prob)
    # No forecast model: results made with one stay as they are.
    assert analyze_file(_engine(MotionModel(), None), video, out).status == "reused"
    assert "forecast" in AnalysisResult.load(out).traces

    # Cancelled during the forecast pass (within one batch): the detector's windows are kept as a
    # partial result, and the rerun redoes only its last window before the forecast.
    out2 = tmp_path / "again.result.npz"
    token = CancelToken()

    def cancel_in_forecast(done, total, message=""):
        if message == "forecast":
            token.cancel()

    with pytest.raises(Cancelled):
        _engine(MotionModel(), clf0).analyze(video, out2, progress=cancel_in_forecast, cancel=token)
    assert not out2.exists() and partial_path_for(out2).exists()
    model = MotionModel()
    run = _engine(model, clf0).run(video, out2)
    list(run)
    assert run.resumed_from == 5 and model.calls == 1
    np.testing.assert_allclose(AnalysisResult.load(out2).traces["forecast"].value, tr.value, rtol=1e-5, atol=1e-6)


def test_analyze_cli_forecast_model_flag(assets, tmp_path, capsys):
    _, video, clf0, _ = assets
    run = tmp_path / "run"

    make_tiny_run(run)
    bad = main(["analyze", str(video), "--model", str(run), "--out", str(tmp_path / "o"), "--keypoints", "gt",
                "--device", "cpu", "--forecast-model", str(tmp_path / "nope")])
    assert bad != 0 and "nope" in capsys.readouterr().err
    assert main(["analyze", str(video), "--model", str(run), "--out", str(tmp_path / "o"), "--keypoints", "gt",
                 "--device", "cpu", "--forecast-model", str(clf0)]) == 0
    res = AnalysisResult.load(tmp_path / "o" / "rec.result.npz")
    assert len(res.traces["forecast"].value) == 8 and res.traces["forecast"].meta["model_dir"] == str(clf0.resolve())


# -- the review window ---------------------------------------------------------------------

def _open(qtbot, video, **kw):
    win = MainWindow(reviewer="tester", engine_config=kw.pop("engine_config", None))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    assert win.open_video(video, **kw)
    # A frame on screen: the first, or the first event still to review once the result is shown
    # (which of the two depends on which arrives first).
    qtbot.waitUntil(lambda: win.is_open() and win.shown_frame >= 0, timeout=10000)
    return win


def test_window_shows_forecast_curve_toggle_and_alarms_with_lead_times(qtbot, tmp_path):
    video = make_video(tmp_path, seconds=20.0)
    res = make_result(video)
    starts = np.arange(18.0)
    prob = np.full(18, 0.1, np.float32)
    prob[8:11] = 0.8  # rises in the window ending at 11 s
    prob[15] = 0.9  # and again at 17 s
    res.add_trace("forecast", Trace(starts, starts + 2.0, prob, meta={"threshold": 0.5, "onset": "clinical"}))
    res.save(result_path_for(video))
    win = _open(qtbot, video)

    # The second curve, and View -> "Show forecast trace" switches it off and on.
    t, v = win.timeline.forecast_curve.getData()
    np.testing.assert_allclose(t, starts + 1.0)
    np.testing.assert_allclose(v, prob)
    action = win.actions["view.forecast"]
    assert action.isCheckable() and action.isChecked() and win.timeline.forecast_curve.isVisible()
    action.trigger()
    assert not action.isChecked() and not win.timeline.forecast_curve.isVisible()
    win.timeline.forecast_check.setChecked(True)  # the timeline's own box keeps the menu in step
    assert action.isChecked() and win.timeline.forecast_curve.isVisible()

    # Alarms after the two detections, no lead time until an onset is annotated.
    rows = win.event_list.model.events()
    assert [r.kind for r in rows] == ["detection", "detection", FORECAST_ALARM, FORECAST_ALARM]
    assert [(r.start_s, r.lead_time_s, r.status) for r in rows[2:]] == [(10.0, None, ALARM_STATUS),
                                                                         (17.0, None, ALARM_STATUS)]
    assert rows[2].peak_prob == pytest.approx(0.8) and len(win.timeline._events) == 2
    win.undo_stack.push(cmds.add_seizure_command(win.store, {"clinical_onset_s": 14.5, "eeg_onset_s": 12.0}))
    qtbot.waitUntil(lambda: win.event_list.model.events()[2].lead_time_s is not None, timeout=3000)
    assert win.event_list.model.events()[2].lead_time_s == pytest.approx(4.5)
    assert win.event_list.model.events()[3].lead_time_s is None
    assert "(lead 4.5 s)" in win.event_list.model.data(win.event_list.model.index(2, 5))
    sid = win.store.seizures()[0].id
    win.undo_stack.push(cmds.set_field_command(win.store, sid, "clinical_onset_s", 16.0))
    qtbot.waitUntil(lambda: win.event_list.model.events()[2].lead_time_s == pytest.approx(6.0), timeout=3000)

    # Clicking an alarm goes there; it cannot be confirmed; N walks the detections only.
    win.go_to_event(2)
    assert win.current_time == pytest.approx(10.0, abs=0.11) and "6.0 s before" in win.status_label.text()
    reviews = len(win.store.reviews())
    win.review_current("confirmed")
    assert len(win.store.reviews()) == reviews and "not reviewed" in win.status_label.text()
    win.go_to_event(1)
    win.next_event()
    assert win.current_event == 1  # no later detection: the alarms are skipped
    assert "unreviewed" in win.event_list.count_label.text()


def test_window_computes_a_missing_forecast_without_redoing_the_detector(qtbot, assets, tmp_path):
    _, _, clf0, clf1 = assets
    video = make_video(tmp_path, seconds=8.0)
    run = make_tiny_run(tmp_path / "run")
    cfg = EngineConfig(keypoints="gt", device="cpu", batch_size=2, forecast_model=str(clf0))
    win = _open(qtbot, video, model=run, engine_config=cfg)
    qtbot.waitUntil(lambda: win.worker is not None and not win.analysis_running(), timeout=120000)
    assert win.worker.outcome == "finished" and win.worker.chunks_emitted > 0
    fc = AnalysisResult.load(result_path_for(video)).traces["forecast"]
    assert len(fc.value) == 6 and win.timeline.forecast_curve.isVisible()
    np.testing.assert_allclose(win.timeline.forecast_curve.getData()[1], fc.value)
    expected = int(np.sum((fc.value >= 0.5) & ~np.concatenate([[False], fc.value[:-1] >= 0.5])))
    assert len(win.alarms) == expected
    # Drawn on the timeline too: the forecaster's threshold and one mark per alarm, hidden with the curve.
    marks = win.timeline.forecast_alarm_marks
    assert win.timeline.forecast_threshold_line.value() == 0.5 and win.timeline.forecast_threshold_line.isVisible()
    np.testing.assert_allclose(marks.getData()[0], [a.start_s for a in win.alarms])
    win.timeline.setForecastVisible(False)
    assert not marks.isVisible() and not win.timeline.forecast_threshold_line.isVisible()
    win.timeline.setForecastVisible(True)
    win.close()

    # Reopened with another forecast model: the detector's result is reused, the trace redone.
    cfg1 = EngineConfig(keypoints="gt", device="cpu", batch_size=2, forecast_model=str(clf1))
    win = _open(qtbot, video, model=run, engine_config=cfg1)
    qtbot.waitUntil(lambda: win.worker is not None and not win.analysis_running(), timeout=120000)
    assert win.worker.outcome == "finished" and win.worker.chunks_emitted == 0
    fc1 = AnalysisResult.load(result_path_for(video)).traces["forecast"]
    assert fc1.meta["model_dir"] == str(clf1.resolve())
    np.testing.assert_allclose(win.timeline.forecast_curve.getData()[1], fc1.value)
    shutil.rmtree(tmp_path / "run")

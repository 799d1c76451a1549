"""The review window end to end (pytest-qt, offscreen): open, seek, play, keys, drags, undo,
autosave and reload, event review, threshold, background analysis, errors, export."""
from __future__ import annotations

import csv
import shutil
import time

import numpy as np
import pytest
from app_helpers import assert_responsive, make_result, make_tiny_run, make_video
from conftest import frame_number_of, numbered_frames
from PySide6.QtCore import Qt, QTimer

from app.annotations import CONFIRMED, REJECTED, UNREVIEWED, AnnotationStore, annotations_path_for
from app.cli import main as cli_main
from app.main_window import MainWindow
from inference.analysis.settings import EngineConfig
from inference.results.result_file import result_path_for
from inference.video.writer import write_video


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    d = tmp_path_factory.mktemp("win")
    video = make_video(d, seconds=20.0)
    return d, video


@pytest.fixture
def video_with_results(tmp_path, assets):
    """A fresh copy of the video (own annotation file) with a hand-made result beside it."""
    _, src = assets
    video = tmp_path / src.name
    shutil.copy(src, video)
    shutil.copy(src.with_name(src.stem + ".keypoints.npz"), tmp_path / (src.stem + ".keypoints.npz"))
    make_result(video).save(result_path_for(video))
    return video


def open_window(qtbot, video, **kw):
    win = MainWindow(reviewer=kw.pop("reviewer", "tester"), engine_config=kw.pop("engine_config", None))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    assert win.open_video(video, **kw)
    # Opened where review picks up (the first unreviewed event, else 0): that frame on screen.
    qtbot.waitUntil(lambda: win.is_open() and win.shown_frame == win.current_frame, timeout=10000)
    return win


def shown_number(win) -> int:
    img = win.video_view.pixmap_item.pixmap().toImage().convertToFormat(win.video_view.pixmap_item.pixmap().toImage().Format.Format_RGB888)
    h, w = img.height(), img.width()
    arr = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.sizeInBytes()).reshape(h, img.bytesPerLine())
    return frame_number_of(arr[:, : w * 3].reshape(h, w, 3))


def key(qtbot, win, k, mod=Qt.NoModifier):
    qtbot.keyClick(win.video_view, k, mod)
    qtbot.wait(5)


def test_open_video_loads_results_and_seeks_frame_accurately(qtbot, video_with_results):
    win = open_window(qtbot, video_with_results)
    assert win.reader.meta.frame_count == 200
    assert len(win.events) == 2 and [round(e.start_s) for e in win.events] == [2, 11]
    assert win.event_list.model.rowCount() == 2
    assert win.current_frame == 20 and shown_number(win) == 20  # at the first unreviewed event
    win.seek(7.25)
    qtbot.waitUntil(lambda: win.shown_frame == 72, timeout=5000)
    assert shown_number(win) == 72 and win.current_frame == 72
    assert win.transport.position_label.text().startswith("00:00:07.200")
    # The whole window fits a small laptop screen (1024x700 work area).
    hint = win.minimumSizeHint()
    assert hint.width() <= 1024 and hint.height() <= 700, hint
    # Step keys: +1 frame, +1 s, -10 s (clamped at 0).
    key(qtbot, win, Qt.Key_Right)
    assert win.current_frame == 73
    key(qtbot, win, Qt.Key_Right, Qt.ShiftModifier)
    assert win.current_frame == 83
    key(qtbot, win, Qt.Key_Left, Qt.ControlModifier)
    assert win.current_frame == 0
    # The skeleton of the analysis is drawn (one joint occluded -> drawn as missing).
    assert win.video_view.skeleton.present().sum() == 13


def test_play_and_pause(qtbot, video_with_results):
    win = open_window(qtbot, video_with_results)
    start = win.current_time
    t0 = time.perf_counter()
    key(qtbot, win, Qt.Key_Space)
    assert win.clock.playing and win.transport.isPlaying()
    qtbot.wait(400)
    key(qtbot, win, Qt.Key_Space)
    wall = time.perf_counter() - t0
    assert not win.clock.playing
    t = win.current_time
    assert 0.3 < t - start <= wall + 0.05  # the clock follows wall time at 1x
    qtbot.waitUntil(lambda: win.shown_frame == win.current_frame, timeout=3000)
    qtbot.wait(100)
    assert win.current_time == t  # paused: time stands still
    key(qtbot, win, Qt.Key_BracketRight)
    assert win.clock.speed == 2.0 and win.transport.speed() == 2.0


def test_marks_with_keys_drag_undo_redo_and_reload(qtbot, video_with_results):
    win = open_window(qtbot, video_with_results)
    win.seek_frame(30)
    key(qtbot, win, Qt.Key_E)
    win.seek_frame(52)
    key(qtbot, win, Qt.Key_C)
    win.seek_frame(151)
    key(qtbot, win, Qt.Key_X)
    (s,) = win.store.seizures()
    assert (s.eeg_onset_s, s.clinical_onset_s, s.end_s) == (3.0, 5.2, 15.1)
    assert s.created_by == "tester"
    qtbot.waitUntil(lambda: len(win.timeline.markers) == 3)
    assert win.annotation_panel.seizureCount() == 1
    assert win.annotation_panel.spin(0, "clinical_onset_s").timeValue() == pytest.approx(5.2)

    # Drag the EEG marker: released between frames, it snaps to a frame time.
    marker = win.timeline.marker(0, "eeg_onset_s")
    marker.setValue(4.04)
    marker.sigPositionChangeFinished.emit(marker)
    assert win.store.seizures()[0].eeg_onset_s == pytest.approx(4.0)
    # A spin-box edit of one frame.
    win.annotation_panel.spin(0, "end_s").stepBy(1)
    assert win.store.seizures()[0].end_s == pytest.approx(15.2)

    key(qtbot, win, Qt.Key_Z, Qt.ControlModifier)
    assert win.store.seizures()[0].end_s == pytest.approx(15.1)
    key(qtbot, win, Qt.Key_Z, Qt.ControlModifier)
    assert win.store.seizures()[0].eeg_onset_s == pytest.approx(3.0)
    key(qtbot, win, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert win.store.seizures()[0].eeg_onset_s == pytest.approx(4.0)
    qtbot.waitUntil(lambda: win.timeline.marker(0, "eeg_onset_s").value() == pytest.approx(4.0))

    # Autosaved after every change: a new window on the same video restores everything.
    revision = win.store.revision
    win.close()
    saved = AnnotationStore.open(annotations_path_for(video_with_results), "x")
    assert saved.revision == revision
    win2 = open_window(qtbot, video_with_results, reviewer="second")
    (s,) = win2.store.seizures()
    assert (s.eeg_onset_s, s.clinical_onset_s, s.end_s, s.created_by) == (4.0, 5.2, 15.1, "tester")
    assert win2.timeline.marker(0, "end_s").value() == pytest.approx(15.1)


def test_confirm_reject_threshold_and_reload(qtbot, video_with_results):
    win = open_window(qtbot, video_with_results)
    key(qtbot, win, Qt.Key_N)
    assert win.current_event == 0 and win.current_frame == 20
    key(qtbot, win, Qt.Key_Y)
    key(qtbot, win, Qt.Key_N)
    assert win.current_event == 1
    key(qtbot, win, Qt.Key_R)
    assert [win.event_status(i) for i in range(2)] == [CONFIRMED, REJECTED]
    # The confirmed detection became a human label; the rejected one did not.
    (s,) = win.store.seizures()
    assert s.origin.startswith("event:") and s.eeg_onset_s == pytest.approx(2.0) and s.created_by == "tester"
    assert win.event_list.model.eventRow(1).status == REJECTED
    # Undo the rejection.
    key(qtbot, win, Qt.Key_Z, Qt.ControlModifier)
    assert win.event_status(1) == UNREVIEWED
    key(qtbot, win, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)

    # Threshold: dragging the line recomputes events live; review status survives.
    line = win.timeline.threshold_line
    line.setValue(0.95)
    line.sigDragged.emit(line)  # what a mouse drag emits while moving
    assert win.events == [] and win.event_list.model.rowCount() == 0
    line.sigPositionChangeFinished.emit(line)
    assert win.event_config.threshold == pytest.approx(0.95)
    win.set_threshold(0.5)
    assert len(win.events) == 2 and win.event_status(0) == CONFIRMED

    # Only-unreviewed filter hides both reviewed events.
    win.actions["view.unreviewed_only"].setChecked(True)
    assert win.event_list.visibleRows() == []
    win.close()
    win2 = open_window(qtbot, video_with_results)
    assert [win2.event_status(i) for i in range(2)] == [CONFIRMED, REJECTED]


def test_background_analysis_in_window_and_errors(qtbot, tmp_path, assets):
    d, src = assets
    run = make_tiny_run(tmp_path / "run")
    cfg = EngineConfig(keypoints="gt", device="cpu", batch_size=2)
    gaps, last = [], [time.perf_counter()]

    def probe():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    win = open_window(qtbot, src, model=run, engine_config=cfg, results=tmp_path / "out.result.npz")
    assert win.analysis_running() and win.progress_bar.isVisible() and win.cancel_button.isVisible()
    # Event-loop latency while the analysis runs: a 10 ms timer records its largest gap.
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(probe)
    last[0] = time.perf_counter()
    timer.start()
    win.worker.finished_result.connect(timer.stop)  # measure while the analysis runs
    qtbot.waitUntil(lambda: not win.analysis_running() and not win.progress_bar.isVisible(), timeout=120000)
    timer.stop()
    assert len(win.review_state.prob) == 16 and np.isfinite(win.review_state.prob).all()
    assert "Analysis finished" in win.status_label.text()
    assert_responsive(gaps)
    assert (tmp_path / "out.result.npz").exists()

    # Cancel: the button stops the run; what was done is kept.
    win.start_analysis(run)
    win.worker.partial.connect(lambda c: win.cancel_button.click())
    qtbot.waitUntil(lambda: not win.analysis_running(), timeout=120000)
    assert win.worker.outcome in ("cancelled", "finished")
    if win.worker.outcome == "cancelled":
        assert "cancelled" in win.status_label.text()

    # A missing model: a message in the window, not a traceback.
    win.start_analysis(tmp_path / "nope")
    qtbot.waitUntil(lambda: not win.analysis_running(), timeout=30000)
    assert win.message_bar.isVisible() and "run folder not found" in win.message_bar.text()
    # A corrupt video: the same.
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"garbage" * 500)
    win.open_video(bad)
    qtbot.waitUntil(lambda: "bad.mp4" in win.message_bar.text(), timeout=10000)
    assert win.message_bar.isVisible() and not win.is_open()
    assert not win.open_video(tmp_path / "missing.mp4") and "file not found" in win.message_bar.text()


def test_stale_results_are_reported(qtbot, tmp_path, video_with_results):
    win = open_window(qtbot, video_with_results)
    win.close()
    with open(video_with_results, "ab") as fh:  # the video changed after the analysis
        fh.write(b"\0" * 10)
    win = open_window(qtbot, video_with_results)
    assert "stale" in win.message_bar.text() and video_with_results.name in win.message_bar.text()
    assert result_path_for(video_with_results).exists()


def test_export_events_and_keymap(qtbot, tmp_path, video_with_results):
    win = open_window(qtbot, video_with_results)
    win.go_to_event(0)
    win.review_current("confirmed")
    out = win.export_events_csv(tmp_path / "events.csv")
    rows = list(csv.DictReader(open(out)))
    assert [r["status"] for r in rows] == ["confirmed", "unreviewed"] and rows[0]["reviewer"] == "tester"
    assert float(rows[1]["start_s"]) == pytest.approx(11.0)
    dlg = win.show_keymap()
    assert dlg.table.rowCount() == len(win.shortcut_specs)
    keys = {dlg.table.item(i, 0).text(): dlg.table.item(i, 1).text() for i in range(dlg.table.rowCount())}
    assert keys["Annotate: Mark EEG onset"] == "E"
    dlg.close()


def test_review_command_reports_bad_results_without_a_window(tmp_path, capsys):
    assert cli_main(["review", "--results", str(tmp_path / "nope.result.npz")]) == 2
    err = capsys.readouterr().err
    assert "nope.result.npz" in err and "not found" in err and "Traceback" not in err


@pytest.mark.parametrize("decode_ms", [0.0, 5.0])
def test_fast_playback_keeps_up_with_the_clock(qtbot, tmp_path, decode_ms):
    """16x on a 30 fps video needs 480 decoded frames/s. With decoding slowed to 5 ms a frame
    (200 frames/s, as a 720p H.264 file on a slow CPU) the loader must drop frames: it skips
    to the keyframe before the clock instead of falling behind, and shows only exact frames."""
    video = write_video(tmp_path / "fast.mp4", [f for f in numbered_frames(256, (96, 64))] * 3, fps=30.0,
                        codec="libx264")
    win = open_window(qtbot, video)
    loader = win.loader
    if decode_ms:
        real = loader.reader.decode_next

        def slow():
            time.sleep(decode_ms / 1000)
            return real()

        loader.reader.decode_next = slow
    lags, shown = [], []

    def on_frame(frame, t, rgb):
        lags.append(win.clock.now()[0] - t)  # video seconds the frame on screen is behind
        shown.append(frame)
        assert frame_number_of(rgb) == frame % 256  # an exact frame, never an approximation

    loader.frame_ready.connect(on_frame)
    win.set_speed(16.0)
    win.play()
    qtbot.wait(1200)
    win.pause()
    shown, lag = list(shown), np.array(lags)  # while playing (the paused frame follows)
    played = win.current_time
    assert 16.0 <= played <= 25.6  # the clock kept its pace: 1.2 s of wall time at 16x
    assert len(shown) >= 15 and shown == sorted(shown)  # ~25/s shown, never backwards
    print(f"decode +{decode_ms} ms: {len(shown)} shown, lag median {np.median(lag):.3f} s max {lag.max():.3f} s, "
          f"{loader.play_jumps} jumps, {loader.play_skipped} decoded but not shown")
    # A group of pictures is ~0.5 s of video here: the lag stays within about one or two.
    assert np.median(lag) < 0.8 and lag.max() < 2.0, f"lag behind the clock: {np.round(lag, 2)}"
    if decode_ms:
        assert loader.play_jumps >= 3 and loader.play_skipped > 0
    # Paused: the exact frame at the clock's position ends on screen.
    qtbot.waitUntil(lambda: win.shown_frame == win.current_frame, timeout=3000)
    assert shown_number(win) == win.current_frame % 256

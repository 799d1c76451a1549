"""The live monitoring window (``app.live_window``): a growing MPEG-TS file monitored with the
stand-in detector of ``test_live`` (see its docstring), watched through the window: the picture
with the skeleton, the rolling trace, the alarm banner and list, acknowledgement with key A, and
the night's files when the window closes."""
from __future__ import annotations

import json

import numpy as np
from PySide6.QtCore import Qt
from test_live import RhythmModel, recording  # noqa: F401  (fixture)

from app.annotations import AnnotationStore, annotations_path_for
from app.live_window import window_for
from inference.live.alarms import ACKS_FILE
from inference.live.monitor import LiveSettings
from inference.live.night import NIGHT_RESULT, NIGHT_VIDEO
from inference.live.sender import StreamSender
from inference.live.windows import KeypointProvider
from inference.pose.keypoints import KeypointTrack
from inference.results.result_file import AnalysisResult


def test_live_window_shows_alarms_and_records_the_acknowledgement(qtbot, recording, tmp_path):  # noqa: F811
    video, onset = recording
    ts = tmp_path / "stream.ts"
    StreamSender(video, str(ts), speed=1000.0).start().wait(60)
    track = KeypointTrack.load(video.with_name("rec.keypoints.npz"))
    out = tmp_path / "night"
    # follow_idle long: the night stays open after the file's end until the window closes.
    win = window_for(str(ts), RhythmModel(), KeypointProvider(6.0, track=track), out,
                     LiveSettings(follow_idle_s=120.0, segment_s=30.0), reviewer="nurse B", sound=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    assert not win.banner.isVisible()
    win.start()

    qtbot.waitUntil(lambda: win.banner.isVisible(), timeout=60000)
    assert win.banner.flashing() and "SEIZURE ALARM #1" in win.banner.text()
    rows = win.alarm_list.alarms()
    assert rows and rows[-1].id == 1 and rows[-1].acked_by is None
    assert rows[-1].start_s >= onset - 10.0  # nothing in the seizure-free part
    assert "WAITING" in win.alarm_list.item(win.alarm_list.rowCount() - 1, 6).text()
    assert win.frames_shown > 0 and win.video.frameSize() == (160, 120)
    # The latest keypoints drawn on the picture (pose runs behind the frames, so give it a moment).
    qtbot.waitUntil(lambda: win.video.skeleton.present().sum() >= 7, timeout=10000)
    t, p = win.trace.points()
    assert len(t) >= 30 and np.isfinite(p).sum() >= 30 and np.all(np.diff(t) > 0)

    qtbot.keyClick(win, Qt.Key_A)
    acks = [json.loads(line) for line in (out / ACKS_FILE).read_text().splitlines()]
    assert acks[-1]["by"] == "nurse B" and acks[-1]["status"] == "confirmed" and acks[-1]["alarm"] is None
    # The monitor applies it within a second; the banner stops and the row says who.
    qtbot.waitUntil(lambda: not win.banner.isVisible(), timeout=10000)
    assert all(r.acked_by == "nurse B" for r in win.alarm_list.alarms())
    assert "confirmed by nurse B" in win.alarm_list.item(0, 6).text()
    win._refresh()
    assert "lag median" in win.status.text() and "recording" in win.status.text()

    with qtbot.waitSignal(win.night_finished, timeout=60000):
        win.close()  # ends the night: the files are written, then the window closes
    assert not win.running() and win.error is None
    res = AnalysisResult.load(out / NIGHT_RESULT)
    assert res.complete and len(res.events) >= 1 and (out / NIGHT_VIDEO).exists()
    store = AnnotationStore.open(annotations_path_for(out / NIGHT_VIDEO), "test")
    assert store.reviews() and all(r.author == "nurse B" and r.status == "confirmed" for r in store.reviews())
    assert "semioscope review" in win.status.text()


def test_monitor_window_without_a_display_says_to_go_headless(monkeypatch, tmp_path, capsys):
    from app.cli import main

    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    assert main(["monitor", "/dev/video-none", "--model", str(tmp_path / "run")]) != 0
    err = capsys.readouterr().err
    assert "no display" in err and "--no-window" in err

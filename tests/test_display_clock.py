"""One clock for the display: after play, pause, a step, a seek and at the last frame, the time
label, the frame number, the cursors, a stored mark and the frame on screen all name the same
frame and its presentation timestamp (never the playback clock's time between two frames)."""
from __future__ import annotations

import pytest
from app_helpers import make_video, shown_number
from PySide6.QtCore import Qt

from app.display_clock import DisplayClock
from app.main_window import MainWindow
from widgets.timefmt import format_time

pytestmark = pytest.mark.gui


def assert_one_clock(qtbot, win) -> None:
    qtbot.waitUntil(lambda: not win.clock.playing and win.shown_frame == win.current_frame, timeout=5000)
    qtbot.wait(60)  # nothing later may move it
    f = win.current_frame
    t = win.reader.frame_to_time(f)  # the frame's presentation timestamp
    assert win.shown_frame == f and shown_number(win) == f % 256
    assert win.current_time == t
    time_line, frame_line = win.transport.position_label.text().split("\n")
    assert time_line == format_time(t) and frame_line == f"frame {f}"
    assert win.timeline.currentTime() == pytest.approx(t, abs=1e-9)
    assert win.attention_map.cursor.value() == pytest.approx(t, abs=1e-9)
    assert win.clock.position_s == pytest.approx(t, abs=1e-9)  # play resumes from the frame shown


@pytest.fixture
def win(qtbot, tmp_path):
    video = make_video(tmp_path, seconds=6.0, fps=30.0, name="clock.mp4")  # 180 numbered frames
    w = MainWindow(reviewer="tester")
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    assert w.open_video(video)
    qtbot.waitUntil(lambda: w.is_open() and w.shown_frame == w.current_frame, timeout=10000)
    return w


def test_display_clock_resolves_times_to_frames():
    clock = DisplayClock()
    assert (clock.frame, clock.time_s) == (0, 0.0)
    clock.set_frame_times([0.0, 0.04, 0.1, 0.2])  # variable frame rate
    assert clock.go_to_time(0.099) == 1 and clock.time_s == 0.04
    assert clock.go_to_time(0.1) == 2 and clock.time_s == 0.1
    assert clock.go_to_time(99.0) == 3 and clock.time_s == 0.2  # past the end: the last frame
    assert clock.go_to_frame(-5) == 0 and clock.go_to_frame(10) == 3


def test_time_label_frame_marks_and_picture_agree_after_play_pause_step_and_at_the_end(qtbot, win):
    key = lambda k, mod=Qt.NoModifier: qtbot.keyClick(win.video_view, k, mod)  # noqa: E731
    # Play, then pause between two frames: the display stands on the frame shown.
    key(Qt.Key_Space)
    qtbot.wait(450)
    key(Qt.Key_Space)
    assert_one_clock(qtbot, win)
    assert win.current_frame > 3
    # A mark stores exactly the time shown.
    key(Qt.Key_E)
    (sz,) = win.store.seizures()
    assert sz.eeg_onset_s == pytest.approx(win.current_time, abs=1e-6)
    assert format_time(sz.eeg_onset_s) == win.transport.position_label.text().split("\n")[0]
    # Steps: one frame, one second.
    before = win.current_frame
    key(Qt.Key_Right)
    assert_one_clock(qtbot, win)
    assert win.current_frame == before + 1
    key(Qt.Key_Right, Qt.ShiftModifier)
    assert_one_clock(qtbot, win)
    assert win.current_frame == before + 31
    # A seek between frames lands on the frame on screen there.
    win.seek(2.0 + 0.5 / 30)
    assert_one_clock(qtbot, win)
    assert win.current_frame == 60
    # Play to the end: the last frame's time (5.967 s), not the video's length (6.000 s).
    win.seek(5.5)
    win.set_speed(2.0)
    win.play()
    qtbot.waitUntil(lambda: not win.clock.playing, timeout=5000)
    assert_one_clock(qtbot, win)
    last = len(win.reader.index) - 1
    assert win.current_frame == last and win.current_time == pytest.approx(last / 30.0, abs=1e-3)
    assert win.transport.position_label.text().startswith(format_time(last / 30.0))

"""Playback: the clock's one anchor, and the frame loader's show-or-skip rule while playing."""
from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from conftest import frame_number_of, numbered_frames

from app import playback
from app.frame_loader import FrameLoader
from app.playback import PlaybackClock
from inference.video.reader import VideoReader
from inference.video.writer import write_video


@pytest.fixture
def wall(monkeypatch):
    """The clock's wall time, set by the test: ``wall.now = 12.0``."""
    fake = SimpleNamespace(now=100.0)
    monkeypatch.setattr(playback, "time", SimpleNamespace(perf_counter=lambda: fake.now))
    return fake


def test_clock_keeps_time_speed_and_state_in_one_anchor(qtbot, wall):
    clock = PlaybackClock(duration_s=60.0)
    states, speeds, ticks = [], [], []
    clock.state_changed.connect(states.append)
    clock.speed_changed.connect(speeds.append)
    clock.tick.connect(ticks.append)
    try:
        assert clock.now() == (0.0, False) and clock.speed == 1.0 and not clock.playing
        clock.play(from_s=5.0)
        wall.now += 2.0
        assert clock.now() == (7.0, True) and clock.playing
        clock.set_speed(4.0)  # from where the clock is, without a jump
        assert clock.now() == (7.0, True) and clock.speed == 4.0
        wall.now += 1.0
        assert clock.now() == (11.0, True)
        clock.set_position(30.0)  # a seek while playing goes on at the same pace
        wall.now += 0.5
        assert clock.now() == (32.0, True)
        clock._on_timeout()
        assert ticks[-1] == 32.0 and clock.position_s == 32.0
        wall.now += 0.25
        clock.pause()  # stands where the clock is, announced by a last tick
        assert clock.now() == (33.0, False) and not clock.playing and ticks[-1] == 33.0 == clock.position_s
        wall.now += 5.0
        clock.set_speed(0.5)  # paused: the position does not move
        assert clock.now() == (33.0, False) and clock.speed == 0.5
        clock.play()
        wall.now += 2.0
        assert clock.now() == (34.0, True)
        clock.play(from_s=10.0)  # already playing: a jump, no second state change
        assert clock.now() == (10.0, True)
        assert states == [True, False, True] and speeds == [4.0, 0.5]
        with pytest.raises(ValueError):
            clock.set_speed(0.0)
        # The end: the clock stops there; playing again starts over.
        clock.set_speed(16.0)
        wall.now += 4.0
        assert clock.now() == (60.0, True)
        clock._on_timeout()
        assert ticks[-1] == 60.0 and clock.now() == (60.0, False) and states[-1] is False
        clock.play()
        assert clock.now() == (0.0, True) and clock.position_s == 0.0
        clock.pause()
        clock.play(from_s=-3.0)
        assert clock.now() == (0.0, True)
    finally:
        clock.pause()


def test_shown_or_skipped_by_gap_lateness_and_step_back(numbered_video):
    reader = VideoReader(numbered_video(n=90, fps=30))
    loader = FrameLoader(reader)  # not started: the rule alone
    pts = reader.index.pts_s
    loader.shown = 50
    t = pts[60]
    assert loader._shows(55, late=False, t=t, since_show_s=0.03)
    assert not loader._shows(55, late=False, t=t, since_show_s=0.01)  # too soon after the last
    assert not loader._shows(55, late=True, t=t, since_show_s=0.03)  # late: fewer frames shown
    assert loader._shows(55, late=True, t=t, since_show_s=0.05)
    # Never behind the frame on screen (the lead-in to a seek target)...
    assert not loader._shows(50, late=False, t=t, since_show_s=1.0)
    assert not loader._shows(40, late=False, t=t, since_show_s=1.0)
    # ...unless the clock went back before it (playing again from the end starts over).
    assert loader._shows(3, late=False, t=pts[4], since_show_s=1.0)
    assert loader._shows(3, late=True, t=pts[4], since_show_s=1.0)
    loader.shown = -1  # nothing shown yet
    assert loader._shows(0, late=False, t=0.0, since_show_s=1.0)
    reader.close()


def test_playing_again_from_the_end_follows_the_clock_from_the_start(qtbot, tmp_path):
    """At 16x with decoding too slow to keep up, after the last frame was on screen: the
    picture follows the clock from the start again with exact frames, never stuck at the end."""
    video = write_video(tmp_path / "v.mp4", numbered_frames(240, (96, 64)), fps=30.0, codec="libx264")
    reader = VideoReader(video, cache_mb=64)
    loader = FrameLoader(reader)
    clock = PlaybackClock(reader.meta.duration_s, 1 / 30)
    loader.follow(clock)
    shown = []
    loader.frame_ready.connect(lambda f, t, rgb: shown.append((f, frame_number_of(rgb))))
    loader.start()
    try:
        last = len(reader.index) - 1
        with qtbot.waitSignal(loader.frame_ready, timeout=5000):
            loader.request(last)
        clock.set_position(clock.duration_s)  # where playing to the end stops
        real = reader.decode_next

        def slow():
            time.sleep(0.005)
            return real()

        reader.decode_next = slow
        shown.clear()
        clock.set_speed(16.0)
        clock.play()  # at the end: starts over
        qtbot.wait(300)
        clock.pause()
        playing = list(shown)
        assert all(f == n for f, n in playing), "only exact frames"
        frames = [f for f, _ in playing]
        assert len(frames) >= 3 and frames == sorted(frames) and frames[0] < 60, frames
        qtbot.waitUntil(lambda: shown and shown[-1][0] == reader.time_to_frame(clock.now()[0]), timeout=3000)
    finally:
        loader.stop()

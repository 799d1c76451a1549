"""The scrubbing proxy (issue 18): the same frames at the same times, small and all-intra; the
window shows its frame at once and the original once the position rests; fast playback uses it."""
from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import frame_number_of, numbered_frames
from PySide6.QtCore import Qt

from app.main_window import MainWindow
from inference.core.errors import Cancelled
from inference.core.progress import CancelToken
from inference.video.proxy import build_proxy, find_proxy, proxy_paths
from inference.video.reader import VideoReader
from inference.video.writer import write_video


@pytest.fixture
def vfr_video(tmp_path, monkeypatch):
    """Numbered frames at irregular times (VFR), x264 with a long GOP."""
    monkeypatch.setenv("SEMIOSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    n = 240
    rng = np.random.default_rng(0)
    times = np.cumsum(rng.uniform(0.02, 0.06, n))
    times -= times[0]
    path = tmp_path / "vfr.mp4"
    write_video(path, numbered_frames(n, size=(320, 240)), times=times, codec="libx264")
    return path, times


def test_proxy_keeps_every_frame_and_its_time(vfr_video):
    path, times = vfr_video
    info = build_proxy(path)
    assert info.frames == 240 and info.size[1] == 240 and find_proxy(path, 240) == info.path
    src, px = VideoReader(path), VideoReader(info.path)
    assert np.allclose(src.index.pts_s, px.index.pts_s, atol=1e-4)  # VFR kept (frames map by number)
    assert len(px.index.keyframes) == 240  # all-intra: every frame decodes alone
    for f in (0, 7, 123, 239):
        assert frame_number_of(px.read_frame(f)) == frame_number_of(src.read_frame(f)) == f
    assert build_proxy(path).build_s == 0.0  # found in the cache, not built again
    meta = json.loads(proxy_paths(path)[1].read_text())
    assert meta["frames"] == 240


def test_a_cancelled_build_leaves_nothing(vfr_video):
    path, _ = vfr_video
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        build_proxy(path, cancel=token, progress=lambda *a: None)
    proxy, meta = proxy_paths(path)
    assert not proxy.exists() and not meta.exists() and not list(proxy.parent.glob("*.partial.mp4"))


def test_window_shows_the_proxy_then_the_original_and_plays_fast_from_it(qtbot, vfr_video):
    path, times = vfr_video
    win = MainWindow(reviewer="tester")
    win.proxy.min_duration_s = 0.0  # a short test video gets a proxy too
    qtbot.addWidget(win)
    win.show()
    assert win.open_video(path)
    qtbot.waitUntil(lambda: win.is_open() and win.proxy.path is not None, timeout=60000)
    loader = win.loader
    shown = []
    loader.frame_ready.connect(lambda f, t, rgb: shown.append((f, loader.showing_proxy, frame_number_of(rgb))))
    win.seek_frame(150)
    qtbot.waitUntil(lambda: any(f == 150 and not p for f, p, _ in shown), timeout=5000)
    firsts = [s for s in shown if s[0] == 150]
    assert firsts[0][1] is True and firsts[-1][1] is False  # the proxy's frame first, then the original
    assert all(num == 150 for _, _, num in firsts)  # both are frame 150
    assert win.current_time == pytest.approx(times[150])
    # 16x: frames come from the proxy, then pausing shows the exact original.
    shown.clear()
    win.set_speed(16.0)
    win.play()
    qtbot.wait(400)
    win.pause()
    qtbot.waitUntil(lambda: shown and not loader.showing_proxy, timeout=5000)
    assert any(p for _, p, _ in shown[:-1]) and shown[-1][0] == win.current_frame
    assert frame_number_of_shown(win) == win.current_frame
    win.close()


def frame_number_of_shown(win) -> int:
    img = win.video_view.pixmap_item.pixmap().toImage().convertToFormat(
        win.video_view.pixmap_item.pixmap().toImage().Format.Format_RGB888)
    h, w = img.height(), img.width()
    arr = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.sizeInBytes()).reshape(h, img.bytesPerLine())
    return frame_number_of(arr[:, : w * 3].reshape(h, w, 3))


def test_window_builds_in_a_child_process_and_cancel_leaves_nothing(qtbot, vfr_video, monkeypatch):
    """The build runs in its own (spawned, low-priority) process; cancelling from the status bar
    stops it there and leaves no file behind."""
    path, _ = vfr_video
    import app.proxy_control as pc

    calls = {"n": 0}
    real_build = pc._Builder.run

    def run_and_cancel(self):  # cancel as soon as the child reports progress
        self.progress.connect(lambda d, t: self.token.cancel(), Qt.DirectConnection)
        calls["n"] += 1
        real_build(self)

    monkeypatch.setattr(pc._Builder, "run", run_and_cancel)
    win = MainWindow(reviewer="tester")
    win.proxy.min_duration_s = 0.0
    qtbot.addWidget(win)
    win.show()
    assert win.open_video(path)
    qtbot.waitUntil(lambda: win.is_open() and win.proxy.builder is not None, timeout=20000)
    builder = win.proxy.builder
    qtbot.waitUntil(lambda: win.proxy.builder is None, timeout=60000)
    assert calls["n"] == 1 and builder.cancel_event.is_set() and win.proxy.path is None
    proxy, meta = proxy_paths(path)
    assert not proxy.exists() and not meta.exists() and not list(proxy.parent.glob("*.partial.mp4"))
    win.close()

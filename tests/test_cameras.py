"""Several cameras on one clock (issue 19 part 1): every seek puts each camera on the frame of
the same instant, by timestamp; offsets nudged by eye are saved and come back."""
from __future__ import annotations

import json
import time

import numpy as np
import pytest
from app_helpers import make_video
from conftest import frame_number_of, numbered_frames

from app.main_window import MainWindow
from inference.dataset.manifest import Manifest, Recording, load_manifest, save_manifest
from inference.results.result_file import AnalysisResult, result_path_for
from inference.video.cameras import CameraFile, cameras_path
from inference.video.writer import write_video


def _shown(view) -> int:
    if view.pixmap_item.pixmap().isNull():
        return -1
    img = view.pixmap_item.pixmap().toImage().convertToFormat(view.pixmap_item.pixmap().toImage().Format.Format_RGB888)
    h, w = img.height(), img.width()
    arr = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.sizeInBytes()).reshape(h, img.bytesPerLine())
    return frame_number_of(arr[:, : w * 3].reshape(h, w, 3))


@pytest.fixture
def two_cameras(tmp_path):
    """Camera A: frames 0..199 at 10 fps. Camera B sees the same scene but started 0.5 s later
    and films at 20 fps: its frame j shows A's content of time 0.5 + j / 20 (frame 5 + j // 2)."""
    a = make_video(tmp_path, seconds=20.0, fps=10.0, name="overview.mp4")
    frames = numbered_frames(200, size=(160, 120))
    b = tmp_path / "closeup.mp4"
    write_video(b, [frames[5 + j // 2] for j in range(380)], fps=20.0)
    return a, b


def _open(qtbot, video, **kw):
    win = MainWindow(reviewer="Dr Cam")
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    assert win.open_video(video, **kw)
    qtbot.waitUntil(lambda: win.is_open() and win.cameras.loaders and win.cameras.loaders[0].reader is not None,
                    timeout=15000)
    return win


def test_seek_puts_both_cameras_on_the_same_instant_and_the_offset_survives(qtbot, two_cameras):
    a, b = two_cameras
    win = _open(qtbot, a, cameras=(b,))
    cams = win.cameras
    assert len(cams.views) == 1 and cams.views[0].isVisible()
    for _ in range(5):  # by eye: B runs 0.5 s behind
        cams.nudge(0, -0.1)
    assert cams.cameras[0].offset_s == pytest.approx(-0.5)
    for t in (3.0, 12.4, 7.7):
        win.seek(t)
        want = win.current_frame
        qtbot.waitUntil(lambda: win.shown_frame == want and _shown(win.cameras.views[0].view) == want, timeout=5000)
        assert _shown(win.video_view) == want  # the same content: within one frame of A
    saved = json.loads(cameras_path(a).read_text())
    assert saved["cameras"][0]["offset_s"] == pytest.approx(-0.5) and saved["cameras"][0]["by"] == "Dr Cam"
    win.close_video()
    win2 = _open(qtbot, a)  # no command-line camera: the saved one comes back
    assert win2.cameras.cameras[0].offset_s == pytest.approx(-0.5) and win2.cameras.cameras[0].source == "nudged"


def test_maximise_hides_the_others_and_stops_their_decoding(qtbot, two_cameras):
    a, b = two_cameras
    win = _open(qtbot, a, cameras=(b,))
    view = win.cameras.views[0]
    view.max_button.setChecked(True)
    assert not win.video_view.isVisible() and view.isVisible()
    view.max_button.setChecked(False)
    assert win.video_view.isVisible()
    view.hide()
    qtbot.wait(300)  # what was asked before it hid is done
    asked = win.cameras.loaders[0].dropped + win.cameras.loaders[0].decoded
    win.seek(9.0)
    qtbot.wait(300)
    assert win.cameras.loaders[0].dropped + win.cameras.loaders[0].decoded == asked  # hidden: nothing decoded


def test_cameras_from_a_json_manifest(qtbot, two_cameras, tmp_path):
    a, b = two_cameras
    rec = Recording("r", "s", a, duration_s=20.0, cameras=(CameraFile("closeup", b, -0.5, 0.0),))
    save_manifest(Manifest([rec]), tmp_path / "manifest.json")
    back = load_manifest(tmp_path / "manifest.json").recordings[0]
    assert back.cameras[0].name == "closeup" and back.cameras[0].offset_s == -0.5
    win = _open(qtbot, a)
    assert win.cameras.cameras[0].source == "manifest"
    win.seek(10.0)
    want = win.current_frame
    qtbot.waitUntil(lambda: _shown(win.cameras.views[0].view) == want, timeout=5000)


def test_two_view_playback_keeps_the_views_together(qtbot, two_cameras):
    """1x playback: frames shown per second per view and the skew between them (in A frames)."""
    a, b = two_cameras
    win = _open(qtbot, a, cameras=(b,))
    win.cameras.nudge(0, -0.5)
    skew = []
    main_frames, cam_frames = [], []
    win.loader.frame_ready.connect(lambda f, *_: main_frames.append(f))
    win.cameras.loaders[0].frame_ready.connect(lambda f, *_: cam_frames.append(f))
    win.seek(2.0)
    win.play()
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 2.0:
        qtbot.wait(50)
        if win.cameras.shown[0] >= 0:
            skew.append(abs(_shown(win.cameras.views[0].view) - _shown(win.video_view)))
    win.pause()
    assert len(main_frames) >= 12 and len(cam_frames) >= 12  # ~10 per second each
    assert np.median(skew) <= 1


def test_fuse_cameras_from_the_window(qtbot, two_cameras):
    """Analysis -> Fuse cameras: the results beside each camera, fused with the window's offsets."""
    a, b = two_cameras
    starts = np.arange(0, 15, 1.0)
    for video, prob in ((a, np.full(len(starts), 0.1)), (b, np.where(starts > 5, 0.9, 0.1))):
        AnalysisResult(starts, starts + 5.0, prob.astype(np.float32), np.zeros((len(starts), 14), np.float32),
                       config={"events": {"threshold": 0.5, "min_duration_s": 3.0}}).save(result_path_for(video))
    win = _open(qtbot, a, cameras=(b,))
    out = win.cameras.fuse()
    assert out is not None and out.is_file()
    assert len(win.events) == 1 and AnalysisResult.load(out).notes["event_cameras"] == ["closeup"]


def test_a_frame_arriving_after_close_is_ignored(qtbot, two_cameras):
    """A decoder thread's last frame can be queued when the cameras close (end of playback, a new
    recording): it must be dropped, not written into the emptied lists (a CI teardown error)."""
    a, b = two_cameras
    win = _open(qtbot, a, cameras=(b,))
    loader = win.cameras.loaders[0]
    rgb = np.zeros((8, 8, 3), np.uint8)
    win.cameras.close()
    loader.frame_ready.emit(3, 0.1, rgb)
    qtbot.wait(20)
    assert win.cameras.shown == []

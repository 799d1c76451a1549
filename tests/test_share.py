"""De-identified clips (``semioscope share``): faces gone, no metadata, skeleton only, clip-relative
labels, the pseudonym map kept locally, errors naming the file."""
from __future__ import annotations

import json
from types import SimpleNamespace

import av
import cv2
import numpy as np
import pytest
from app_helpers import make_video
from skimage.data import astronaut

from app.cli import main
from app.main_window import MainWindow
from app.share_actions import share_clip as share_window_clip
from inference.core.errors import InputFileError
from inference.dataset.manifest import Seizure
from inference.dataset.semiology import SemiologySign
from inference.exchange.deidentify import FaceFinder, draw_skeleton, keypoints_at
from inference.exchange.share import (
    SHARE_MAP_ENV,
    UNKNOWN_END_S,
    clip_labels,
    event_range,
    seizure_range,
    share_clip,
)
from inference.pose.joints import JOINT_INDEX, NUM_JOINTS
from inference.pose.keypoint_files import sidecar_path
from inference.pose.keypoints import KeypointTrack
from inference.results.events import Event
from inference.video.writer import write_video

FPS, SECONDS, SIZE = 15.0, 2.0, (480, 360)


def _photo_frames(n: int) -> list[np.ndarray]:
    """The astronaut photograph (a real face) on a grey background, drifting a few pixels."""
    photo = cv2.resize(astronaut(), (240, 240), interpolation=cv2.INTER_AREA)
    frames = []
    for k in range(n):
        f = np.full((SIZE[1], SIZE[0], 3), 90, np.uint8)
        dx, dy = 100 + (k % 10), 50 + (k % 6)
        f[dy:dy + 240, dx:dx + 240] = photo
        frames.append(f)
    return frames


@pytest.fixture(scope="module")
def face_video(tmp_path_factory):
    path = tmp_path_factory.mktemp("share") / "pat0042_2025-03-14.mp4"
    return write_video(path, _photo_frames(int(FPS * SECONDS)), fps=FPS, codec="libx264")


@pytest.fixture(autouse=True)
def share_map(tmp_path, monkeypatch):
    path = tmp_path / "private" / "share-map.json"
    monkeypatch.setenv(SHARE_MAP_ENV, str(path))
    return path


def _track(times: np.ndarray) -> KeypointTrack:
    """A standing figure, arms swinging, in a 480x360 frame."""
    base = {"head": (240, 60), "neck": (240, 100), "right_shoulder": (210, 105), "left_shoulder": (270, 105),
            "right_elbow": (195, 150), "left_elbow": (285, 150), "right_wrist": (190, 195),
            "left_wrist": (290, 195), "right_hip": (220, 200), "left_hip": (260, 200), "right_knee": (218, 260),
            "left_knee": (262, 260), "right_ankle": (216, 320), "left_ankle": (264, 320)}
    xy = np.zeros((len(times), NUM_JOINTS, 2), np.float32)
    for name, p in base.items():
        xy[:, JOINT_INDEX[name]] = p
    xy[:, JOINT_INDEX["right_wrist"], 0] += 15 * np.sin(2 * np.pi * times)
    return KeypointTrack(times, xy, np.ones((len(times), NUM_JOINTS), np.float32), SIZE, "test")


def _frames(path):
    with av.open(str(path)) as c:
        return [(float(f.pts * f.time_base), f.to_ndarray(format="rgb24")) for f in c.decode(video=0)]


def test_faces_found_before_are_gone_after(face_video, tmp_path):
    finder = FaceFinder(min_confidence=0.2)
    before = [finder.find(rgb) for _, rgb in _frames(face_video)]
    assert all(before), "the detector must find the astronaut's face in the source"
    shared = share_clip(face_video, 0.0, SECONDS, tmp_path / "out")
    after = _frames(shared.clip)
    assert len(after) == int(FPS * SECONDS)
    assert [finder.find(rgb) for _, rgb in after] == [[]] * len(after)
    assert shared.face_frames == len(after) and shared.whole_frames == 0
    # Only the face is blurred: the suit (lower half) is still there.
    src, out = _frames(face_video)[0][1], after[0][1]
    assert np.abs(src[250:290].astype(int) - out[250:290]).mean() < 8
    finder.close()


def test_container_is_bare_and_clip_starts_at_zero(face_video, tmp_path):
    shared = share_clip(face_video, 0.5, 1.5, tmp_path / "out")
    with av.open(str(shared.clip)) as c:
        assert not c.streams.audio
        keys = set(c.metadata) | {k for s in c.streams for k in s.metadata}
        assert not keys & {"creation_time", "encoder", "location", "location-eng", "make", "model", "title",
                           "comment", "date", "artist"}, keys
        assert keys <= {"major_brand", "minor_version", "compatible_brands", "handler_name", "language",
                        "vendor_id"}, keys
        first = next(c.decode(video=0))
        assert float(first.pts * first.time_base) == 0.0
    raw = shared.clip.read_bytes()
    for word in (b"Lavf", b"Lavc", b"x264", b"pat0042", b"2025"):
        assert word not in raw, word
    times = [t for t, _ in _frames(shared.clip)]
    assert len(times) == 15 and abs(times[-1] - 14 / FPS) < 1e-3


def test_skeleton_mode_is_black_but_for_the_skeleton(face_video, tmp_path):
    track = _track(np.arange(0, SECONDS, 1 / 6))
    track.save(sidecar_path(face_video))
    try:
        shared = share_clip(face_video, 0.0, 1.0, tmp_path / "out", mode="skeleton", keypoints=track)
    finally:
        sidecar_path(face_video).unlink()
    frames = _frames(shared.clip)
    times = np.arange(len(frames)) / FPS
    xy, conf = keypoints_at(track, times, SIZE)
    for k, (_, rgb) in enumerate(frames):
        mask = np.zeros(rgb.shape, np.uint8)
        draw_skeleton(mask, xy[k], conf[k])
        near = cv2.dilate((mask.max(axis=2) > 0).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
        assert rgb[~near].max() <= 24, k  # black, up to compression noise
        assert rgb[near].max() > 150  # and the skeleton is drawn


def test_labels_are_clip_relative_and_leave_out_other_seizures(face_video, tmp_path):
    sign = SemiologySign("g1", "clonic", 1.2, "arm", "left")
    inside = Seizure(1.0, 1.1, 1.6, "focal_motor_clonic", "impaired", (sign,))
    outside = Seizure(30.0, 31.0, 40.0, "focal_motor_tonic")
    shared = share_clip(face_video, 0.6, 2.0, tmp_path / "out", seizures=[inside, outside],
                        recording_type="focal", mode="blur-face")
    data = json.loads(shared.labels.read_text())
    assert shared.start_s == pytest.approx(0.6, abs=1 / FPS)
    assert len(data["seizures"]) == 1
    z = data["seizures"][0]
    origin = shared.start_s
    assert z["eeg_onset_s"] == pytest.approx(1.0 - origin, abs=1e-3)
    assert z["clinical_onset_s"] == pytest.approx(1.1 - origin, abs=1e-3)
    assert z["end_s"] == pytest.approx(1.6 - origin, abs=1e-3)
    assert z["ilae_label"] == "Focal clonic, impaired awareness" and z["type"] == "focal"
    assert z["signs"][0]["time_s"] == pytest.approx(1.2 - origin, abs=1e-3)
    text = shared.labels.read_text()
    for word in ("pat0042", "2025", "created_by", "reviewer", str(face_video.parent)):
        assert word not in text, word
    # The pure function: a detection outside the range is left out too.
    assert clip_labels([outside], [], 0.0, 2.0) == {"seizures": [], "detections": []}


def test_map_is_written_locally_not_beside_the_clip(face_video, tmp_path, share_map):
    out = tmp_path / "out"
    shared = share_clip(face_video, 0.0, 0.5, out, mode="blur-face")
    assert shared.clip.name.startswith("case-") and "pat0042" not in shared.clip.name
    assert sorted(p.name for p in out.iterdir()) == sorted([shared.clip.name, shared.labels.name])
    entry = json.loads(share_map.read_text())["clips"][shared.pseudonym]
    assert entry["video"] == str(face_video.resolve()) and entry["end_s"] == pytest.approx(0.5, abs=1 / FPS)
    assert share_map.stat().st_mode & 0o077 == 0
    again = share_clip(face_video, 0.0, 0.5, out, mode="blur-face")
    assert again.pseudonym != shared.pseudonym
    # A map that would travel with the clips is refused.
    with pytest.raises(Exception, match="must not lie in the output folder"):
        share_clip(face_video, 0.0, 0.5, out, map_path=out / "map.json")


def test_range_outside_the_video_names_the_file(face_video, tmp_path):
    with pytest.raises(InputFileError, match="outside the video") as exc:
        share_clip(face_video, 5.0, 9.0, tmp_path / "out")
    assert str(face_video) in str(exc.value)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_cli_errors_name_the_file(face_video, tmp_path, capsys):
    assert main(["share", str(face_video), "--from", "1", "--to", "30", "--out", str(tmp_path / "o")]) != 0
    err = capsys.readouterr().err
    assert str(face_video) in err and "outside the video" in err and "Traceback" not in err
    assert main(["share", str(face_video), "--event", "3", "--out", str(tmp_path / "o")]) != 0
    assert "unknown event number 3" in capsys.readouterr().err
    bad = tmp_path / "corrupt.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(200))
    assert main(["share", str(bad), "--from", "0", "--to", "1", "--out", str(tmp_path / "o")]) != 0
    assert str(bad) in capsys.readouterr().err


def test_cli_writes_a_clip(face_video, tmp_path, capsys, share_map):
    out = tmp_path / "o"
    assert main(["share", str(face_video), "--from", "0:00.5", "--to", "1.5", "--mode", "blur-body",
                 "--out", str(out)]) != 0  # no keypoints: blur-body needs the skeleton
    assert "no keypoints" in capsys.readouterr().err
    _track(np.arange(0, SECONDS, 1 / 6)).save(sidecar_path(face_video))
    try:
        assert main(["share", str(face_video), "--from", "0:00.5", "--to", "1.5", "--mode", "blur-body",
                     "--out", str(out)]) == 0
    finally:
        sidecar_path(face_video).unlink()
    clips = list(out.glob("case-*.mp4"))
    assert len(clips) == 1 and str(clips[0]) in capsys.readouterr().out
    assert clips[0].stem in json.loads(share_map.read_text())["clips"]


def test_window_action_shares_the_open_video(face_video, tmp_path, share_map):
    messages = []
    win = SimpleNamespace(video_path=face_video, store=None, review_state=SimpleNamespace(keypoints=None),
                          events=[], recording_clock=SimpleNamespace(start=None),
                          show_message=lambda text, ms=0: messages.append(text))
    clip = share_window_clip(win, 0.0, 0.4, "blur-face", tmp_path / "shared")
    assert clip.parent == tmp_path / "shared" and clip.exists() and clip.stem in messages[0]
    assert clip.stem in json.loads(share_map.read_text())["clips"]


def test_event_and_seizure_ranges_keep_a_margin_inside_the_video(tmp_path):
    events = [Event(50.0, 60.0, 0.9, 55.0), Event(5.0, 8.0, 0.8, 6.0)]
    assert event_range(tmp_path / "v.mp4", events, 1, 10.0, 100.0) == (0.0, 18.0)  # numbered in time order
    assert event_range(tmp_path / "v.mp4", events, 2, 10.0, 65.0) == (40.0, 65.0)
    with pytest.raises(InputFileError, match="unknown event number 3"):
        event_range(tmp_path / "v.mp4", events, 3, 10.0, 100.0)
    z = Seizure(20.0, 22.0, None)
    assert seizure_range(tmp_path / "v.mp4", [z], 1, 5.0, 1000.0) == (15.0, 22.0 + UNKNOWN_END_S + 5.0)


def test_share_from_the_window_runs_in_the_background_with_progress_and_cancel(qtbot, tmp_path):
    """File -> Share clip's work runs off the GUI thread: the progress bar shows, the clip
    arrives, and Cancel stops a second one and leaves no half-written clip."""
    video = make_video(tmp_path, seconds=6.0)
    win = MainWindow(reviewer="tester")
    qtbot.addWidget(win)
    win.show()
    assert win.open_video(video)
    qtbot.waitUntil(win.is_open, timeout=10000)
    out = tmp_path / "shared"
    job = win.exchange.share(1.0, 3.0, "skeleton", out)
    assert job is not None and win.progress_bar.isVisible()
    qtbot.waitUntil(lambda: not job.running() and win.job is None, timeout=60000)
    assert job.error is None and len(list(out.glob("case-*.mp4"))) == 1
    job2 = win.exchange.share(0.0, 6.0, "skeleton", out)
    job2.cancel()
    qtbot.waitUntil(lambda: not job2.running(), timeout=60000)
    assert job2.error == "cancelled" and len(list(out.glob("case-*.mp4"))) == 1
    assert not win.progress_bar.isVisible()

"""Pose backends: MediaPipe on a real photo, the 33 -> 14 mapping, OpenPose and sidecar import,
the backend registry, and the `semioscope pose` / `semioscope clips` commands."""
from __future__ import annotations

import json

import numpy as np
import pytest

from inference.core.config import PoseConfig
from inference.core.errors import InputFileError, SemioscopeError
from inference.pose.joints import JOINT_INDEX as J
from inference.pose.joints import NUM_JOINTS
from inference.pose.keypoints import KeypointTrack


@pytest.fixture(scope="module")
def astronaut():
    skimage_data = pytest.importorskip("skimage.data")
    return skimage_data.astronaut()  # 512 x 512 RGB, a person facing the camera


def test_mediapipe_on_the_astronaut_image(astronaut):
    from inference.pose.registry import get_backend

    backend = get_backend("mediapipe", PoseConfig())
    backend.start((astronaut.shape[1], astronaut.shape[0]))
    try:
        xy, conf = backend.process(0.0, astronaut)
    finally:
        backend.close()
    assert xy.shape == (NUM_JOINTS, 2) and xy.dtype == np.float32 and conf.shape == (NUM_JOINTS,)
    for name in ("head", "neck", "right_shoulder", "left_shoulder"):
        assert conf[J[name]] > 0.9, name
    head, neck = xy[J["head"]], xy[J["neck"]]
    rs, ls = xy[J["right_shoulder"]], xy[J["left_shoulder"]]
    assert head[1] < neck[1] - 30  # head above the neck (y grows downwards)
    assert rs[0] < neck[0] < ls[0]  # neck between the shoulders
    np.testing.assert_allclose(neck, (rs + ls) / 2, atol=1e-3)
    # Facing the camera: the person's right is on the image's left.
    assert rs[0] < ls[0] and xy[J["right_elbow"], 0] < xy[J["left_elbow"], 0]
    assert xy[J["right_hip"], 0] < xy[J["left_hip"], 0]
    assert 150 < head[0] < 300 and 60 < head[1] < 200  # the face is in the upper middle


def test_landmark_mapping():
    from inference.pose.mediapipe_backend import landmarks_to_joints

    lm = np.zeros((33, 3))
    lm[:, 0] = np.arange(33) / 100.0
    lm[:, 1] = 0.5
    lm[:, 2] = 0.8
    lm[11, 2], lm[12, 2] = 0.6, 0.7
    xy, conf = landmarks_to_joints(lm, (200, 100))
    assert xy[J["head"], 0] == pytest.approx(0.0)
    assert xy[J["left_wrist"], 0] == pytest.approx(15 / 100 * 200)
    assert xy[J["right_ankle"], 0] == pytest.approx(28 / 100 * 200)
    assert xy[J["neck"], 0] == pytest.approx((11 + 12) / 2 / 100 * 200)
    assert conf[J["neck"]] == pytest.approx(0.6) and conf[J["right_shoulder"]] == pytest.approx(0.7)
    assert np.allclose(xy[:, 1], 50.0)


def test_estimate_track_with_mediapipe_on_a_short_video(tmp_path, astronaut):
    import cv2

    from inference.pose.estimate import estimate_track
    from inference.video.writer import write_video

    img = cv2.resize(astronaut, (256, 256), interpolation=cv2.INTER_AREA)
    video = write_video(tmp_path / "astro.mp4", [np.roll(img, k, axis=1) for k in range(15)], fps=15.0)
    calls = []
    track = estimate_track(video, PoseConfig(), fps=6.0,
                           progress=lambda d, t, m="": calls.append((d, t)))
    np.testing.assert_allclose(track.times, np.arange(6) / 6.0)
    assert track.frame_size == (256, 256) and track.source == "mediapipe"
    assert (track.conf[:, J["head"]] > 0.5).all()
    assert (track.xy[:, J["right_shoulder"], 0] < track.xy[:, J["left_shoulder"], 0]).all()
    assert calls[-1] == (6, 6)
    assert track.meta["backend_params"]["model_complexity"] == 1


def test_models_missing_from_the_wheel_are_never_downloaded():
    from inference.pose.mediapipe_backend import model_file
    from inference.pose.registry import get_backend

    assert model_file(1).exists()  # the full model ships in the wheel
    if model_file(0).exists():
        pytest.skip("the lite model was installed by hand")
    backend = get_backend("mediapipe", PoseConfig(model_complexity=0))
    with pytest.raises(SemioscopeError, match="model_complexity=0.*does not download"):
        backend.start((64, 48))
    assert not model_file(0).exists()


def _openpose_frame(people):
    return {"version": 1.3, "people": [{"person_id": [-1], "pose_keypoints_2d": list(np.ravel(p))} for p in people]}


def _openpose_person(n_kp: int, cx: float, cy: float) -> np.ndarray:
    p = np.zeros((n_kp, 3))
    p[:, 0] = cx + np.arange(n_kp)
    p[:, 1] = cy
    p[:, 2] = 0.8
    return p


@pytest.mark.parametrize("n_kp, hip_index", [(18, 8), (25, 9)])
def test_openpose_folder_import(tmp_path, n_kp, hip_index):
    from inference.pose.keypoint_files import load_keypoints, load_openpose_json_dir

    folder = tmp_path / "op"
    folder.mkdir()
    for k in range(12):
        patient = _openpose_person(n_kp, 300, 240)
        patient[10 if n_kp == 18 else 11] = 0  # right ankle not found: (0, 0, 0)
        people = [patient]
        if k >= 6:  # staff at the image edge for the second half
            people = [_openpose_person(n_kp, 5, 20), patient]
        (folder / f"rec_{k:012d}_keypoints.json").write_text(json.dumps(_openpose_frame(people)))
    track = load_openpose_json_dir(folder, frame_size=(640, 480), fps=30.0)
    assert len(track) == 12 and track.source == "openpose"
    assert track.meta["layout"] == ("COCO-18" if n_kp == 18 else "BODY-25")
    np.testing.assert_allclose(track.times, np.arange(12) / 30.0)
    # The patient is kept in every frame, whatever its position in the list.
    np.testing.assert_allclose(track.xy[:, J["head"], 0], 300.0)
    np.testing.assert_allclose(track.xy[:, J["right_hip"], 0], 300.0 + hip_index)
    np.testing.assert_allclose(track.xy[:, J["left_ankle"], 0], 300.0 + (13 if n_kp == 18 else 14))
    assert np.isnan(track.xy[:, J["right_ankle"]]).all() and (track.conf[:, J["right_ankle"]] == 0).all()
    # load_keypoints detects the folder; frame times can come from the video.
    again = load_keypoints(folder, frame_size=(640, 480), times=np.arange(12) * 0.04)
    np.testing.assert_allclose(again.times, np.arange(12) * 0.04)


def test_openpose_bad_input_names_the_file(tmp_path):
    from inference.pose.keypoint_files import load_keypoints, load_openpose_json_dir

    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "x_000000000000_keypoints.json").write_text(json.dumps({"people": [{"pose_keypoints_2d": [1, 2, 3] * 17}]}))
    with pytest.raises(InputFileError, match="x_000000000000_keypoints.json.*17 keypoints|51 values"):
        load_openpose_json_dir(folder, fps=30)
    (folder / "x_000000000000_keypoints.json").write_text("{not json")
    with pytest.raises(InputFileError, match="x_000000000000_keypoints.json"):
        load_openpose_json_dir(folder, fps=30)
    with pytest.raises(InputFileError, match="empty_dir_missing: keypoint file not found"):
        load_keypoints(tmp_path / "empty_dir_missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputFileError, match="empty: folder holds no OpenPose"):
        load_keypoints(tmp_path / "empty")
    (tmp_path / "k.csv").write_text("1,2")
    with pytest.raises(InputFileError, match="unknown keypoint format"):
        load_keypoints(tmp_path / "k.csv")


@pytest.fixture(scope="module")
def synthetic_recording(tmp_path_factory):
    from inference.synth import SynthConfig, generate_recording

    folder = tmp_path_factory.mktemp("synth")
    generate_recording(folder / "r1.mp4", "s01", "r1", seed=3,
                       config=SynthConfig(size=(160, 120), staff_probability=0.0), duration_s=6.0)
    return folder / "r1.mp4"


def test_sidecar_round_trip_at_6_fps(synthetic_recording):
    from inference.pose.estimate import estimate_track
    from inference.pose.keypoint_files import load_keypoints, sidecar_path
    from inference.video.reader import VideoReader

    sidecar = sidecar_path(synthetic_recording)
    gt = load_keypoints(sidecar)
    assert gt.source == "synthetic-gt" and len(gt) == 180  # every frame of 6 s at 30 fps
    raw = estimate_track(synthetic_recording, PoseConfig(backend="file"), fps=6.0, clean=False)
    with VideoReader(synthetic_recording) as reader:
        times, frames = reader.index.sample(6.0)
    np.testing.assert_array_equal(raw.times, times)
    assert len(raw) == 36
    np.testing.assert_array_equal(raw.xy, gt.xy[frames])  # exactly the generator's values
    np.testing.assert_array_equal(raw.conf, gt.conf[frames])


def test_registry_extension_point(tmp_path):
    from inference.pose.backend import PoseBackend
    from inference.pose.estimate import estimate_track
    from inference.pose.registry import available_backends, get_backend, register_backend
    from inference.video.writer import write_video

    class Fixed(PoseBackend):
        name = "fixed-test"

        def __init__(self, cfg, offset=0.0):
            self.offset = offset

        def params(self):
            return {"offset": self.offset}

        def process(self, t, rgb):
            return (np.full((NUM_JOINTS, 2), 10.0 + self.offset + t, np.float32),
                    np.ones(NUM_JOINTS, np.float32))

    register_backend("fixed-test", lambda cfg, **kw: Fixed(cfg, **kw))
    assert "fixed-test" in available_backends() and {"mediapipe", "file"} <= set(available_backends())
    video = write_video(tmp_path / "v.mp4", [np.zeros((48, 64, 3), np.uint8)] * 12, fps=12.0)
    track = estimate_track(video, PoseConfig(backend="fixed-test"), fps=6.0)
    np.testing.assert_allclose(track.xy[:, 0, 0], 10.0 + np.arange(6) / 6.0, rtol=1e-6)
    with pytest.raises(SemioscopeError, match="unknown pose backend 'nope'"):
        get_backend("nope")


def test_cli_pose_and_clips(tmp_path, synthetic_recording, monkeypatch, capsys):
    import cv2

    from app.cli import main
    from inference.pose.keypoint_files import sidecar_path

    monkeypatch.setenv("SEMIOSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "track.npz"
    rc = main(["pose", str(synthetic_recording), "--backend", "file", "--keypoints",
               str(sidecar_path(synthetic_recording)), "--out", str(out)])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "36 frames" in printed and "14/14 joints" in printed
    track = KeypointTrack.load(out)
    assert len(track) == 36 and track.frame_size == (160, 120)
    assert list((tmp_path / "cache" / "pose").glob("r1-*.npz"))  # cached

    png = tmp_path / "sheet.png"
    rc = main(["clips", str(synthetic_recording), "--at", "0.5", "--out", str(png), "--keypoints",
               str(sidecar_path(synthetic_recording)), "--frames", "4", "--tile", "32"])
    assert rc == 0
    sheet = cv2.imread(str(png))
    assert sheet.shape == (22 + 14 * 34, 130 + 4 * 34, 3)

    rc = main(["pose", str(tmp_path / "missing.mp4"), "--backend", "file"])
    assert rc != 0
    assert "missing.mp4" in capsys.readouterr().err
    rc = main(["clips", str(synthetic_recording), "--at", "3", "--out", str(png), "--backend", "file"])
    assert rc != 0 and "does not fit" in capsys.readouterr().err


def test_openpose_folder_through_estimate_track_uses_the_video_timing(tmp_path, numbered_video):
    from inference.pose.estimate import estimate_track

    video = numbered_video("op.mp4", n=30, fps=30.0)  # 1 s -> 6 samples at frames 0, 5, 10, ...
    folder = tmp_path / "op_json"
    folder.mkdir()
    for k in range(30):
        person = _openpose_person(25, 10 + k, 20)
        (folder / f"op_{k:012d}_keypoints.json").write_text(json.dumps(_openpose_frame([person])))
    track = estimate_track(video, PoseConfig(backend="file"), fps=6.0, keypoints_path=folder)
    np.testing.assert_allclose(track.times, np.arange(6) / 6.0)
    np.testing.assert_allclose(track.xy[:, J["head"], 0], 10 + 5 * np.arange(6))
    assert track.frame_size == (64, 48)
    (folder / "op_000000000000_keypoints.json").unlink()  # one file per frame is expected
    with pytest.raises(InputFileError, match="29 keypoint files but 30 frame times"):
        estimate_track(video, PoseConfig(backend="file"), fps=6.0, keypoints_path=folder)


def test_estimate_track_can_be_cancelled(tmp_path, numbered_video):
    from inference.core.errors import Cancelled
    from inference.core.progress import CancelToken
    from inference.pose.estimate import estimate_track

    video = numbered_video("c.mp4", n=30, fps=30.0)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        estimate_track(video, PoseConfig(), fps=6.0, cancel=token)


def test_undecodable_frames_become_missing_samples(tmp_path, numbered_video, monkeypatch):
    from inference.pose.backend import PoseBackend
    from inference.pose.estimate import estimate_track
    from inference.video.reader import VideoReader

    class Constant(PoseBackend):
        name = "constant-test"

        def params(self):
            return {}

        def process(self, t, rgb):
            return np.full((NUM_JOINTS, 2), 7.0, np.float32), np.ones(NUM_JOINTS, np.float32)

    lost = {2, 6, 7, 8, 9}  # sampling instants whose frames "fail to decode"
    original = VideoReader.iter_sampled

    def failing(self, fps, start_s=0.0, end_s=None):
        for t, i, rgb in original(self, fps, start_s, end_s):
            if int(round(t * fps)) not in lost:
                yield t, i, rgb

    monkeypatch.setattr(VideoReader, "iter_sampled", failing)
    video = numbered_video("d.mp4", n=60, fps=30.0)  # 12 samples
    raw = estimate_track(video, PoseConfig(), fps=6.0, backend=Constant(), clean=False)
    assert len(raw) == 12 and raw.meta["decode_failures"] == 5
    assert (raw.conf[sorted(lost)] == 0).all() and np.isnan(raw.xy[sorted(lost)]).all()
    cleaned = estimate_track(video, PoseConfig(max_gap_s=0.5), fps=6.0, backend=Constant())
    assert (cleaned.conf[2] > 0).all() and np.allclose(cleaned.xy[2], 7.0)  # 1 sample: bridged
    assert (cleaned.conf[6:10] == 0).all()  # 4 samples = 0.67 s > 0.5 s: stays missing

"""Camera placements and the blanket in the synthetic EMU generator (issue 14): the default output
is byte for byte what it was, the oblique views are real perspective views, occluded joints are
marked, ``mixed`` is seeded, and the annotations say what was drawn. Small frames, short clips."""
from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from inference.dataset.manifest import load_manifest
from inference.pose.joints import JOINT_INDEX as JI
from inference.synth import SynthConfig, generate_dataset, generate_recording, plan_dataset
from inference.synth.behaviour import pose_at
from inference.synth.body import forward
from inference.synth.body3d import forward3d
from inference.synth.depth_painter import BLANKET, STAFF
from inference.synth.render import _mix
from inference.synth.scene import RecordingScene, subject_placement

SMALL = SynthConfig(size=(320, 240), fps=15.0, staff_probability=0.0)
LEGS = [JI[n] for n in ("right_knee", "left_knee", "right_ankle", "left_ankle")]

# Recorded from the generator BEFORE the camera/blanket options existed (commit 69141ad), with
# SynthConfig(size=(160, 120), fps=15.0, staff_probability=1.0): (name, seed, type, seconds, night)
# -> sha256 of the video file, the keypoint sidecar, the annotations (canonical JSON) and the raw
# frames + keypoints + visibility as drawn (independent of the video encoder's build).
# The MP4 hashes include the container's creation_time tag (the recording's synthetic start, issue 15);
# the frames, keypoints and annotations are as before.
BASELINE = {
    ("staff", 0, "none", 12.0, False): (
        "c4de1a5301a1cec6d6607aea80949e82939743e473dd995af6090d896819804b",
        "8eab59d625f82620027ffffa3946c9c78e393d55452531c79cb2a1436539a8a7",
        "8218cac005722af130e5da95de3d7dae0fb41a48805e834444f18a3b8c553fff",
        "9a77a67343f2a45eecd08eb3f8aaa0ebacf97e51d5271812508181c2c8d67bad"),
    ("seizure", 21, "focal", 14.0, False): (
        "d1e19ff78b0fd82664e776ed8412156d33e3e7c27ea995d3060f53d6381ee55c",
        "a294e94d357b8bc736d4a147e85265afe6748f5248bf34d883d64f751d4b4167",
        "1682ae501bc471fc6e5c8ec9e071440caad5bf88be162b5c65d70d921eccf8d9",
        "55e29c57180f2a8a88d1e27c17e81b94f02323ae8bb607351c9e975b22e8bbd4"),
    ("night", 3, "none", 2.0, True): (
        "a07602952eb96e18c0f9caa739accc20b8ce45fbd301a59a0220710e662fe61a",
        "830f943c2df72f4f843414a2b7b33aeb09170100ef9e818d45f3dbb771413879",
        "423ceb9ded197a989024d5b352914a19821252fc7a4d7f860f9bfa37c794a53e",
        "a149660ae74084a862fdeb7f9abecd8f000c50458c3101e6a5d913c0eca9b251"),
}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("case", list(BASELINE), ids=[c[0] for c in BASELINE])
def test_default_output_is_unchanged(case, tmp_path):
    name, seed, kind, seconds, night = case
    video, keypoints, annotations, frames = BASELINE[case]
    cfg = SynthConfig(size=(160, 120), fps=15.0, staff_probability=1.0)
    assert cfg.camera == "ceiling" and cfg.blanket is None and cfg.legacy_view
    path = tmp_path / f"{name}.mp4"
    generate_recording(path, "sub01", "sub01_r1", seed, cfg, kind, duration_s=seconds, night=night)
    scene = RecordingScene(seed, cfg, kind, duration_s=seconds, night=night)
    h = hashlib.sha256()
    for k in range(scene.n_frames):
        img, J, vis = scene.frame(k)
        h.update(img.tobytes())
        h.update(J.astype(np.float64).tobytes())
        h.update(vis.tobytes())
    assert h.hexdigest() == frames, "the default rendering changed"
    assert _sha((tmp_path / f"{name}.keypoints.npz").read_bytes()) == keypoints
    # The annotations only gained the camera placement and the blanket (and their config fields).
    ann = json.loads((tmp_path / f"{name}.annotations.json").read_text())
    assert ann["camera"]["placement"] == "ceiling"
    assert ann["blanket"]["occlusion_marked"] is False
    del ann["blanket"], ann["camera"]["placement"], ann["config"]["camera"], ann["config"]["blanket"]
    assert _sha(json.dumps(ann, sort_keys=True).encode()) == annotations
    # Last: the encoded file also depends on the video encoder's build, not only on this code.
    assert _sha(path.read_bytes()) == video, "same frames, different MP4 bytes: has PyAV/FFmpeg changed?"


def _scene(placement: str, seed: int, blanket=0.0, **kw) -> RecordingScene:
    return RecordingScene(seed, replace(SMALL, camera=placement, blanket=blanket, **kw), "none", duration_s=2.0,
                          night=False)


@pytest.mark.parametrize("placement", ["ceiling", "corner", "foot"])
def test_resting_patient_projects_inside_the_frame(placement):
    for s in range(10):
        scene = _scene(placement, 100 + s)
        assert scene.placement == placement
        _, J, vis = scene.frame(0)
        assert ((J >= 0) & (J <= [319, 239])).all(), (s, J)
        assert vis.sum() >= 10  # at rest a few joints at most hide behind the body


def _perspective_figures(scene: RecordingScene) -> tuple[float, float, bool]:
    """(affine-fit residual / image diagonal, apparent torso:leg ratio over the true one,
    head above the ankles in the image) for frame 0."""
    _, J, _ = scene.frame(0)
    X = forward3d(pose_at(scene.plan, 0.0), scene.look.body)
    A = np.c_[X[:, :2], np.ones(14)]
    coef, *_ = np.linalg.lstsq(A, J, rcond=None)
    residual = float(np.sqrt(((A @ coef - J) ** 2).sum(1).mean()) / np.hypot(320, 240))

    def torso_leg(P):
        hips = (P[JI["right_hip"]] + P[JI["left_hip"]]) / 2
        ankles = (P[JI["right_ankle"]] + P[JI["left_ankle"]]) / 2
        return np.linalg.norm(P[JI["neck"]] - hips) / np.linalg.norm(ankles - hips)
    ratio = float(torso_leg(J) / torso_leg(X[:, :2]))
    head_up = bool(J[JI["head"], 1] < (J[JI["right_ankle"], 1] + J[JI["left_ankle"], 1]) / 2)
    return residual, ratio, head_up


def test_oblique_views_are_perspective_not_a_scaled_ceiling():
    for s in range(6):
        ceiling = _scene("ceiling", 200 + s)
        res, ratio, _ = _perspective_figures(ceiling)
        assert res < 1e-6 and abs(ratio - 1) < 0.01  # an affine map of the bed plane
        np.testing.assert_array_equal(forward3d(pose_at(ceiling.plan, 0.0), ceiling.look.body)[:, :2],
                                      forward(pose_at(ceiling.plan, 0.0), ceiling.look.body))
        foot = _scene("foot", 200 + s)
        res, ratio, head_up = _perspective_figures(foot)
        # From the foot end the torso is farther than the legs: it looks shorter, and higher up.
        assert res > 0.005 and ratio < 0.8 and head_up, (s, res, ratio)
        # Not mirrored: facing the camera, the patient's right side is on the image's left.
        _, J, _ = foot.frame(0)
        assert J[JI["right_shoulder"], 0] < J[JI["left_shoulder"], 0]
        assert J[JI["right_hip"], 0] < J[JI["left_hip"], 0]
        corner = _scene("corner", 200 + s)
        res, ratio, _ = _perspective_figures(corner)
        assert res > 0.005 and abs(np.log(ratio)) > 0.1, (s, res, ratio)


@pytest.mark.parametrize("placement", ["ceiling", "corner", "foot"])
def test_blanket_hides_the_legs_and_is_drawn_over_them(placement):
    for s in range(4):
        bare, covered = _scene(placement, 300 + s, blanket=0.0), _scene(placement, 300 + s, blanket=1.0)
        assert bare.blanket_top is None and covered.blanket_top is not None
        img0, J0, vis0 = bare.frame(0)
        img1, J1, vis1 = covered.frame(0)
        np.testing.assert_array_equal(J0, J1)  # keypoints follow the projection, blanket or not
        assert vis0[LEGS].mean() >= 0.75 and not vis1[LEGS].any(), (s, vis0, vis1)
        labels = covered.depth_painter.labels
        t = covered.depth_painter.blanket
        shades = [np.array(c, float) for c in (t[0], t[1], t[2], _mix(t[1], t[2], 0.45), _mix(t[1], t[2], 0.8))]
        changed = 0
        for j in LEGS:
            x, y = np.round(J1[j]).astype(int)
            if labels[y, x] != BLANKET:  # a hand resting on the blanket over the joint
                continue
            # The leg's pixels now show the blanket's cloth in one of its shades (3x3: at the
            # blanket's edge the outline is blended in).
            patch = img1[y - 1:y + 2, x - 1:x + 2].reshape(-1, 3).astype(float)
            assert min(np.abs(px - c).sum() for px in patch for c in shades) < 30, (s, j, patch)
            changed += np.abs(img1[y, x].astype(float) - img0[y, x]).sum() > 20
        assert changed >= 3, (s, changed)


def test_body_hides_its_own_joints_from_oblique_views():
    """Seen obliquely, a joint behind the trunk (or under a crossing limb) is marked occluded,
    and what covers it is another body part, not nothing."""
    hidden = 0
    for s in range(10):
        scene = _scene("corner", 400 + s)
        _, J, vis = scene.frame(0)
        labels = scene.depth_painter.labels
        for j in np.flatnonzero(~vis):
            x, y = np.round(J[j]).astype(int)
            assert labels[y, x] != 0
            hidden += 1
    assert hidden >= 3


def test_oblique_keypoints_lie_on_the_drawn_body():
    for placement in ("corner", "foot"):
        scene = _scene(placement, 500)
        bg = scene.background.astype(int)
        img, J, vis = scene.frame(0)
        for j in np.flatnonzero(vis):
            x, y = np.round(J[j]).astype(int)
            diff = np.abs(img[y - 1:y + 2, x - 1:x + 2].astype(int) - bg[y - 1:y + 2, x - 1:x + 2]).sum(-1).mean()
            assert diff > 20, (placement, j, diff)


def test_staff_in_an_oblique_room_hides_joints():
    """A nurse walking along the bed hides joints while passing, never outside the pass."""
    by_staff = 0
    for placement, seed in (("corner", 0), ("foot", 0), ("corner", 5)):
        scene = RecordingScene(seed, replace(SMALL, camera=placement, blanket=0.0, staff_probability=1.0), "none",
                               duration_s=12.0, night=False)
        passes = scene.plan.staff
        assert passes
        for k in range(0, scene.n_frames, 3):
            _, J, vis = scene.frame(k)
            t = k / scene.fps
            labels = scene.depth_painter.labels
            ij = np.clip(np.round(J).astype(int), 0, [319, 239])
            under = labels[ij[:, 1], ij[:, 0]] == STAFF
            assert not (under & vis).any()
            if not any(p.start_s <= t < p.end_s for p in passes):
                assert not (labels == STAFF).any()
            by_staff += int(under.sum())
    assert by_staff > 0


def test_mixed_is_seeded_and_varies_across_subjects(tmp_path):
    cfg = replace(SMALL, camera="mixed", recordings_per_subject=(1, 2))
    tasks = plan_dataset(tmp_path, 12, seed=3, config=cfg)
    by_subject = {t.subject_id: subject_placement(cfg, t.subject_seed) for t in tasks}
    assert set(by_subject.values()) == {"ceiling", "corner", "foot"}
    again = {t.subject_id: subject_placement(cfg, t.subject_seed) for t in plan_dataset(tmp_path, 12, 3, cfg)}
    assert again == by_subject
    other = {t.subject_id: subject_placement(cfg, t.subject_seed) for t in plan_dataset(tmp_path, 12, 4, cfg)}
    assert other != by_subject
    # Every recording of a subject is filmed by that subject's camera (moved a few cm per recording).
    for t in tasks:
        scene = RecordingScene(t.seed, cfg, "none", 1.0, subject_seed=t.subject_seed)
        assert scene.placement == by_subject[t.subject_id]


def test_annotations_record_camera_and_blanket(tmp_path):
    cfg = replace(SMALL, size=(96, 64), camera="mixed", blanket=0.5, duration_s=(2.0, 2.0),
                  recordings_per_subject=(1, 1), seizure_probability=0.0)
    manifest = generate_dataset(tmp_path / "d", 4, seed=1, config=cfg, workers=1)
    seen = set()
    for rec in load_manifest(tmp_path / "d" / "manifest.json"):
        ann = json.loads(rec.video.with_name(rec.recording_id + ".annotations.json").read_text())
        cam, blanket = ann["camera"], ann["blanket"]
        assert cam["placement"] in ("ceiling", "corner", "foot") and cam["pixels_per_metre"] > 0
        if cam["placement"] != "ceiling":
            assert len(cam["position_m"]) == 3 and len(cam["look_at_m"]) == 3 and cam["focal_px"] > 0
        assert blanket["occlusion_marked"] is True and isinstance(blanket["covered"], bool)
        assert (blanket["top"] is None) == (not blanket["covered"])
        assert ann["config"]["camera"] == "mixed" and ann["config"]["blanket"] == 0.5
        seen.add(cam["placement"])
    assert len(manifest) == 4 and seen


def test_config_and_cli_options(tmp_path, capsys):
    with pytest.raises(ValueError):
        SynthConfig(camera="wall")
    with pytest.raises(ValueError):
        SynthConfig(blanket=1.5)
    from app.cli import main

    assert main(["synth", str(tmp_path / "c"), "--subjects", "1", "--recordings", "1", "--duration", "2",
                 "--size", "96x64", "--fps", "10", "--workers", "1", "--camera", "foot", "--blanket"]) == 0
    ann = json.loads(next(Path(tmp_path / "c").rglob("*.annotations.json")).read_text())
    assert ann["camera"]["placement"] == "foot" and ann["blanket"]["covered"] is True
    with pytest.raises(SystemExit):
        main(["synth", str(tmp_path / "x"), "--blanket", "2"])
    capsys.readouterr()

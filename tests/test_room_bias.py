"""Room bias in the synthetic EMU generator (issue 20, background-bias experiment): ``train`` films
seizure recordings in room A and seizure-free ones in room B, ``swapped`` the reverse; only the
room changes, and without the option the output is what it was. Tiny frames, short recordings."""
from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from inference.pose.keypoints import KeypointTrack
from inference.synth import SynthConfig, generate_dataset, plan_dataset
from inference.synth.appearance import ROOMS
from inference.synth.scene import RecordingScene
from inference.video.reader import VideoReader

# Seed 9 with two recordings per subject: sub01 (day) and sub02 (night mode) each get one seizure
# recording (r1) and one seizure-free one (r2).
SEED = 9
TINY = SynthConfig(size=(96, 72), fps=10.0, recordings_per_subject=(2, 2), duration_s=(20.0, 24.0),
                   seizure_probability=0.5, night_fraction=0.5, staff_probability=0.5)

# sha256 of the raw frames + keypoints + visibility of each recording of the TINY set (seed 9) as
# drawn by the generator BEFORE room_bias existed: computed with the committed code (`git archive
# HEAD inference` on PYTHONPATH) and again after the change, identical. Also checked then: a 3-subject
# set, a 14 s ceiling and a 6 s corner+EEG recording gave the same mp4, keypoints, annotations,
# EDF and manifest bytes before and after the change.
BEFORE = {
    "sub01_r1": "08a5b4a9399a0e8da0f42d2a90ba85cfce9157634b9fc9ea468f6fd214205575",
    "sub01_r2": "854a275182bcb50e724d943356a28788f87c6e55c48a08e1c0c6c57a1afa4ccc",
    "sub02_r1": "7288af19a23f63e4eddad6ebc6c4d169909fabd844909ec4bf756bae0a826ed2",
    "sub02_r2": "b3a9cc826f3c9aa76f7a99c8ff6796519d8d8ff86b812f4f0f10dc14750f1899",
}


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    root = tmp_path_factory.mktemp("room_bias")
    out = {}
    for name, bias in (("default", None), ("train", "train"), ("swapped", "swapped")):
        cfg = TINY if bias is None else replace(TINY, room_bias=bias)
        out[name] = (root / name, generate_dataset(root / name, 2, seed=SEED, config=cfg, workers=1))
    return out


def _ann(out: Path, rid: str) -> dict:
    return json.loads((out / rid[:5] / f"{rid}.annotations.json").read_text())


def _border_mean(video: Path) -> np.ndarray:
    """Mean RGB of a 4-pixel strip around the first frame: mostly floor, some bed."""
    with VideoReader(video) as reader:
        img = reader.read_frame(0).astype(np.float64)
    m = np.zeros(img.shape[:2], bool)
    m[:4], m[-4:], m[:, :4], m[:, -4:] = True, True, True, True
    return img[m].mean(axis=0)


def test_train_puts_seizures_in_room_a(sets):
    out, manifest = sets["train"]
    assert {r.seizure_type != "none" for r in manifest} == {True, False}  # both kinds present
    means = {}
    for rec in manifest:
        ann = _ann(out, rec.recording_id)
        look = "A" if rec.seizures else "B"
        assert ann["room"] == {"bias": "train", "look": look}
        assert ann["config"]["room_bias"] == "train"
        assert ann["night_mode"] is False  # both rooms by day, also for sub02's night-mode subject
        assert ann["subject"]["look"]["floor"] == list(ROOMS[look]["floor"])
        means[rec.recording_id] = (look, _border_mean(rec.video))
    a = [m for look, m in means.values() if look == "A"]
    b = [m for look, m in means.values() if look == "B"]
    for ma in a:
        for mb in b:
            assert np.abs(ma - mb).sum() > 60, (ma, mb)  # dark wooden floor vs pale tiles
    for group in (a, b):  # the same room looks alike across subjects (cameras and textures differ)
        assert np.abs(group[0] - group[1]).sum() < 40


def test_swapped_reverses_the_rooms_only(sets):
    (out_t, train), (out_s, swapped), (out_d, default) = sets["train"], sets["swapped"], sets["default"]
    for rt, rs, rd in zip(train, swapped, default):
        assert rt.recording_id == rs.recording_id == rd.recording_id
        assert rt.seizures == rs.seizures == rd.seizures
        at, as_, ad = (_ann(o, rt.recording_id) for o in (out_t, out_s, out_d))
        assert as_["room"] == {"bias": "swapped", "look": "B" if rt.seizures else "A"}
        assert {at["room"]["look"], as_["room"]["look"]} == {"A", "B"}
        # The other room's look: a clearly different border colour.
        assert np.abs(_border_mean(rt.video) - _border_mean(rs.video)).sum() > 60
        # Same patient, movements and keypoints as without the option.
        kt, ks, kd = (KeypointTrack.load(o / rt.subject_id / f"{rt.recording_id}.keypoints.npz")
                      for o in (out_t, out_s, out_d))
        np.testing.assert_array_equal(kt.xy, ks.xy)
        np.testing.assert_array_equal(kt.conf, ks.conf)
        np.testing.assert_array_equal(kt.xy, kd.xy)
        np.testing.assert_array_equal(kt.conf, kd.conf)
        room_keys = set(ROOMS["A"])
        for key, value in ad["subject"]["look"].items():
            if key not in room_keys:
                assert at["subject"]["look"][key] == as_["subject"]["look"][key] == value, key
        for key in ("seizure_details", "actions", "staff_passes", "blanket", "camera", "seed", "subject_seed"):
            assert at[key] == as_[key] == ad[key], key


def test_default_output_unchanged(sets, tmp_path):
    out_d, default = sets["default"]
    # room_bias=None said explicitly: the same files, byte for byte.
    explicit = generate_dataset(tmp_path, 2, seed=SEED, config=replace(TINY, room_bias=None), workers=1)
    for rd, re in zip(default, explicit):
        stem = rd.subject_id + "/" + rd.recording_id
        for suffix in (".mp4", ".keypoints.npz", ".annotations.json"):
            assert (out_d / (stem + suffix)).read_bytes() == (tmp_path / (stem + suffix)).read_bytes(), stem + suffix
        ann = _ann(out_d, rd.recording_id)
        assert "room" not in ann and "room_bias" not in ann["config"]
    assert (out_d / "manifest.json").read_bytes() == (tmp_path / "manifest.json").read_bytes()  # relative paths
    # And the frames are those drawn before the option existed (BEFORE, above).
    for task in plan_dataset(tmp_path, 2, SEED, TINY):
        scene = RecordingScene(task.seed, TINY, task.seizure_type, task.duration_s, subject_seed=task.subject_seed)
        h = hashlib.sha256()
        for k in range(scene.n_frames):
            img, J, vis = scene.frame(k)
            h.update(img.tobytes())
            h.update(J.astype(np.float64).tobytes())
            h.update(vis.tobytes())
        assert h.hexdigest() == BEFORE[task.recording_id], task.recording_id


def test_oblique_rooms_differ_too():
    cfg = replace(TINY, camera="corner", room_bias="train", staff_probability=0.0)
    a = RecordingScene(3, cfg, "focal", duration_s=1.0, subject_seed=5)
    b = RecordingScene(3, cfg, "none", duration_s=1.0, subject_seed=5)
    assert (a.room, b.room) == ("A", "B")
    diff = np.abs(a.background.astype(float).mean((0, 1)) - b.background.astype(float).mean((0, 1))).sum()
    assert diff > 30, diff


@pytest.mark.parametrize("bad", ["Train", "both", "", 1])
def test_bad_value_is_refused(bad):
    with pytest.raises(ValueError, match=r"room_bias must be one of train, swapped"):
        SynthConfig(room_bias=bad)


def test_cli_refuses_bad_value(capsys):
    import argparse

    from app.commands import synth

    p = argparse.ArgumentParser()
    synth.add_arguments(p)
    assert p.parse_args(["out", "--room-bias", "swapped"]).room_bias == "swapped"
    with pytest.raises(SystemExit):
        p.parse_args(["out", "--room-bias", "kitchen"])
    err = capsys.readouterr().err
    assert "--room-bias" in err and "'train'" in err and "'swapped'" in err

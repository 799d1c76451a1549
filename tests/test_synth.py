"""Synthetic EMU generator and animal corpora: layout, determinism, timing rules, keypoint/video
agreement, occlusion, night mode, prodrome, seizure motion. Tiny frames and short recordings."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from inference.dataset.manifest import load_manifest
from inference.pose.joints import JOINT_INDEX
from inference.pose.keypoints import KeypointTrack
from inference.synth import SynthConfig, generate_animal_corpus, generate_dataset, generate_recording
from inference.synth.behaviour import pose_at
from inference.synth.body import BodyShape, forward
from inference.synth.generator import RecordingScene, _rng
from inference.synth.motion import PRODROME_KINDS
from inference.synth.plans import plan_recording, sample_traits
from inference.video.index import probe
from inference.video.reader import VideoReader

TINY = SynthConfig(size=(160, 120), fps=15.0, recordings_per_subject=(1, 2), duration_s=(40.0, 50.0),
                   seizure_probability=0.5, night_fraction=0.3, staff_probability=0.5)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "a"
    manifest = generate_dataset(out, 4, seed=11, config=TINY, workers=1)
    return out, manifest


def _sidecars(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and (p.name.endswith(".annotations.json") or p.name.startswith("manifest."))}


def test_layout_manifest_and_sidecars(dataset):
    out, manifest = dataset
    loaded = load_manifest(out / "manifest.csv")
    assert [r.recording_id for r in loaded] == [r.recording_id for r in manifest]
    assert loaded.subjects == ["sub01", "sub02", "sub03", "sub04"]
    assert [r.recording_id for r in load_manifest(out / "manifest.json")] == [r.recording_id for r in manifest]
    for rec in loaded:
        sid = rec.subject_id
        assert rec.recording_id.startswith(sid + "_r")
        assert rec.video == (out / sid / f"{rec.recording_id}.mp4").resolve()
        meta = probe(rec.video)
        assert (meta.width, meta.height) == (160, 120)
        n = int(round(rec.duration_s * 15))
        assert meta.frame_count == n
        track = KeypointTrack.load(out / sid / f"{rec.recording_id}.keypoints.npz")
        assert track.xy.shape == (n, 14, 2) and track.conf.shape == (n, 14)
        assert track.source == "synthetic-gt" and track.frame_size == (160, 120)
        np.testing.assert_allclose(track.times, np.arange(n) / 15.0)
        assert set(np.unique(track.conf)) <= {0.0, 1.0}
        ann = json.loads((out / sid / f"{rec.recording_id}.annotations.json").read_text())
        assert ann["subject_id"] == sid and ann["recording_id"] == rec.recording_id
        assert ann["seizure_type"] == rec.seizure_type
        assert [s["eeg_onset_s"] for s in ann["seizures"]] == [s.eeg_onset_s for s in rec.seizures]
    assert not list(out.rglob(".*partial*"))


def test_seizure_rules_and_types(dataset):
    _, manifest = dataset
    types = {r.subject_id: r.seizure_type for r in manifest if r.seizures}
    assert types == {"sub01": "focal", "sub02": "fbtc", "sub03": "focal", "sub04": "fbtc"}
    for rec in manifest:
        for s in rec.seizures:
            assert s.eeg_onset_s >= 0.35 * rec.duration_s - 1e-3
            assert 0.0 <= s.clinical_onset_s - s.eeg_onset_s <= 20.0
            assert s.clinical_onset_s < s.end_s <= rec.duration_s
    # Long recordings get the full rules: 30-120 s seizures.
    traits = sample_traits(_rng(3, 2))
    for seed in range(40):
        kind = "focal" if seed % 2 else "fbtc"
        plan = plan_recording(_rng(seed), 400.0, traits, kind)
        sz = plan.seizure
        assert sz.eeg_onset_s >= 0.35 * 400.0
        assert 0.0 <= sz.clinical_onset_s - sz.eeg_onset_s <= 20.0
        assert 30.0 <= sz.end_s - sz.clinical_onset_s <= 120.0
        assert sz.end_s <= 400.0
        if kind == "fbtc":
            assert sz.clinical_onset_s < sz.tonic_start_s < sz.clonic_start_s < sz.end_s


def test_deterministic_across_runs_and_workers(dataset, tmp_path):
    out, manifest = dataset
    again = generate_dataset(tmp_path / "b", 4, seed=11, config=TINY, workers=2)
    assert _sidecars(out) == _sidecars(tmp_path / "b")
    for rec in manifest:
        a = KeypointTrack.load(rec.video.with_name(rec.recording_id + ".keypoints.npz"))
        b = KeypointTrack.load(again.by_id(rec.recording_id).video.with_name(rec.recording_id + ".keypoints.npz"))
        np.testing.assert_array_equal(a.xy, b.xy)
        np.testing.assert_array_equal(a.conf, b.conf)
    other = generate_dataset(tmp_path / "c", 1, seed=12, config=replace(TINY, recordings_per_subject=(1, 1)), workers=1)
    assert other.recordings[0].seizures != manifest.recordings[0].seizures


def test_keypoints_lie_on_the_drawn_body(tmp_path):
    """At visible joints the decoded video differs from the empty room; far from the body it doesn't."""
    cfg = replace(TINY, size=(320, 240), staff_probability=0.0)
    scene = RecordingScene(5, cfg, "focal", duration_s=6.0, night=False)
    rec = generate_recording(tmp_path / "v.mp4", "sub01", "sub01_r1", 5, cfg, "focal", duration_s=6.0, night=False)
    track = KeypointTrack.load(tmp_path / "v.keypoints.npz")
    bg = scene.background.astype(int)
    with VideoReader(rec.video) as reader:
        for k in (0, 40, 80):
            frame = reader.read_frame(k).astype(int)
            for j in ("neck", "right_wrist", "left_wrist", "right_elbow", "left_shoulder"):
                x, y = np.round(track.xy[k, JOINT_INDEX[j]]).astype(int)
                assert track.conf[k, JOINT_INDEX[j]] == 1.0
                diff = np.abs(frame[y - 1:y + 2, x - 1:x + 2] - bg[y - 1:y + 2, x - 1:x + 2]).sum(-1).mean()
                assert diff > 25, (k, j, diff)
            # A background spot 60 px away from every joint is unchanged.
            ys, xs = np.mgrid[0:240:8, 0:320:8]
            pts = np.stack([xs.ravel(), ys.ravel()], 1)
            far = pts[np.min(np.linalg.norm(pts[:, None] - track.xy[k][None], axis=-1), axis=1) > 60][0]
            d = np.abs(frame[far[1], far[0]] - bg[far[1], far[0]]).sum()
            assert d < 40


def test_staff_occludes_joints(tmp_path):
    cfg = replace(TINY, staff_probability=1.0)
    rec = generate_recording(tmp_path / "s.mp4", "sub01", "sub01_r1", 21, cfg, "none", duration_s=60.0, night=False)
    ann = json.loads((tmp_path / "s.annotations.json").read_text())
    track = KeypointTrack.load(tmp_path / "s.keypoints.npz")
    assert ann["staff_passes"] and rec.seizures == ()
    during = np.zeros(len(track), bool)
    for p in ann["staff_passes"]:
        during |= (track.times >= p["start_s"]) & (track.times < p["end_s"])
    inside = (track.xy[..., 0] >= 0) & (track.xy[..., 0] <= 159) & (track.xy[..., 1] >= 0) & (track.xy[..., 1] <= 119)
    occluded = (track.conf == 0) & inside
    assert occluded[during].any()
    assert not occluded[~during].any()


def test_night_mode_is_grey_and_day_is_colour(tmp_path):
    for night in (True, False):
        rec = generate_recording(tmp_path / f"n{night}.mp4", "sub01", "r", 3, TINY, "none", duration_s=2.0, night=night)
        with VideoReader(rec.video) as reader:
            f = reader.read_frame(10).astype(int)
        spread = np.abs(f[..., 0] - f[..., 1]).max() + np.abs(f[..., 1] - f[..., 2]).max()
        ann = json.loads((tmp_path / f"n{night}.annotations.json").read_text())
        assert ann["night_mode"] is night
        if night:
            assert spread <= 8
        else:
            assert spread > 40


def test_prodrome_is_local_and_varies_by_subject():
    kinds = {sample_traits(_rng(s, 2)).prodrome_kind for s in range(12)}
    assert len(kinds) >= 2 and kinds <= set(PRODROME_KINDS)
    body = BodyShape()
    for s in range(6):
        traits = sample_traits(_rng(s, 2))
        plan = plan_recording(_rng(s, 8), 200.0, traits, "focal", prodrome=True)
        pro, sz = plan.prodrome, plan.seizure
        assert pro is not None and pro.end_s == sz.clinical_onset_s
        assert 2.5 <= pro.end_s - pro.start_s <= 11.5
        bare = replace(plan, prodrome=None)
        inside = np.arange(pro.start_s + 1.0, pro.end_s - 0.1, 0.2)
        outside = np.arange(max(0.0, pro.start_s - 60), pro.start_s, 0.5)
        change = max(np.abs(forward(pose_at(plan, t), body) - forward(pose_at(bare, t), body)).max() for t in inside)
        assert change > 0.005  # > 5 mm in the bed frame: visible at 480p (~1 px) and in the keypoints
        assert all(np.array_equal(pose_at(plan, t), pose_at(bare, t)) for t in outside)


@pytest.mark.parametrize("kind", ["focal", "fbtc"])
def test_seizure_motion_is_rhythmic_and_larger_than_interictal(kind):
    body = BodyShape()
    for s in range(4):
        plan = plan_recording(_rng(s, 8), 240.0, sample_traits(_rng(s, 2)), kind)
        sz = plan.seizure
        fps = 30.0

        def joints(t0, t1):
            ts = np.arange(t0, t1, 1 / fps)
            return ts, np.array([forward(pose_at(plan, t), body) for t in ts]) * 220  # ~pixels at 480p

        def speed(J):
            return np.linalg.norm(np.diff(J, axis=0), axis=-1).max(axis=1) * fps

        _, inter = joints(0.0, min(60.0, sz.eeg_onset_s))
        _, ictal = joints(sz.clinical_onset_s, sz.clinical_onset_s + 40)
        assert np.median(speed(ictal)) > 5 * np.median(speed(inter))
        # Dominant frequency of the most-moving joint in the first clonic stretch: 2-5 Hz.
        start = sz.clinical_onset_s + 3 if kind == "focal" else sz.clonic_start_s
        _, J = joints(start, start + 8)
        x = J - J.mean(axis=0)
        j = int(np.argmax((x ** 2).sum(axis=(0, 2))))
        sig = x[:, j, 0] if x[:, j, 0].std() > x[:, j, 1].std() else x[:, j, 1]
        spec = np.abs(np.fft.rfft(sig * np.hanning(len(sig))))
        freqs = np.fft.rfftfreq(len(sig), 1 / fps)
        peak = freqs[1:][np.argmax(spec[1:])]
        assert 1.8 <= peak <= 5.2, (s, peak)


def test_animal_corpus_clips(tmp_path):
    for kind in ("normal", "seizure"):
        paths = generate_animal_corpus(tmp_path / kind, 2, kind, seed=4, clip_s=2.0, size=(96, 96), fps=30)
        assert [p.name for p in paths] == [f"{kind}_0001.mp4", f"{kind}_0002.mp4"]
        for p in paths:
            with VideoReader(p) as r:
                assert r.meta.frame_count == 60 and (r.meta.width, r.meta.height) == (96, 96)
                first = r.read_frame(0).astype(int)
                moved = max(np.abs(r.read_frame(k).astype(int) - first).max() for k in (15, 30, 45, 59))
                assert moved > 30  # the animal (at least its tail) moves
        index = json.loads((tmp_path / kind / "corpus.json").read_text())
        assert [c["clip"] for c in index["clips"]] == [p.name for p in paths]
        assert index["kind"] == kind and all(c["phases"] for c in index["clips"])
    again = generate_animal_corpus(tmp_path / "again", 1, "seizure", seed=4, clip_s=2.0, size=(96, 96), fps=30)
    assert again[0].read_bytes() == (tmp_path / "seizure" / "seizure_0001.mp4").read_bytes()
    with pytest.raises(ValueError):
        generate_animal_corpus(tmp_path / "x", 1, "cat")


def test_cli_synth_and_animal(tmp_path, capsys):
    from app.cli import main

    assert main(["synth", str(tmp_path / "d"), "--subjects", "2", "--seed", "1", "--duration", "30",
                 "--recordings", "1", "--size", "96x64", "--fps", "10", "--workers", "1", "--prodrome"]) == 0
    text = capsys.readouterr().out
    assert "2 subjects, 2 recordings" in text and "1 fbtc, 1 focal" in text
    m = load_manifest(tmp_path / "d" / "manifest.json")
    assert len(m) == 2 and all(r.duration_s == 30.0 for r in m)
    ann = json.loads((tmp_path / "d" / "sub01" / "sub01_r1.annotations.json").read_text())
    assert ann["prodrome"] is None or ann["prodrome"]["end_s"] == ann["seizures"][0]["clinical_onset_s"]
    assert main(["synth", str(tmp_path / "rodent"), "--animal", "seizure", "--clips", "1",
                 "--clip-seconds", "1", "--size", "64x64"]) == 0
    assert (tmp_path / "rodent" / "seizure_0001.mp4").exists()


def test_cancel_leaves_no_partial_files(tmp_path):
    from inference.core.errors import Cancelled
    from inference.core.progress import CancelToken

    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        generate_dataset(tmp_path / "x", 1, seed=0, config=TINY, cancel=token, workers=1)
    assert not [p for p in (tmp_path / "x").rglob("*") if p.is_file()]

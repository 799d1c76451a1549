"""End to end on a small synthetic set: clip cache, `semioscope train` / `evaluate`, learning,
reloaded checkpoints, resuming."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import inference.video.reader as video
from app.cli import main
from inference.core.config import ClipConfig, PoseConfig, SegmentConfig, SplitConfig
from inference.core.device import torch_threads
from inference.core.errors import SemioscopeError
from inference.dataset.manifest import NO_SEIZURE, Manifest, Recording, Seizure
from inference.dataset.splits import SubjectSplit
from inference.detector.checkpoint import load_run
from inference.pose.joints import JOINT_INDEX
from inference.synth.generator import SynthConfig, generate_dataset
from inference.training.config import TrainConfig
from inference.training.data import KeypointSource, recording_clips
from inference.training.loop import train_run, warmup_cosine
from inference.training.metrics import auroc
from inference.training.prepared import prepare_data
from inference.training.sampling import epoch_order, epoch_size, flip_batch

pytestmark = pytest.mark.slow

N_SUBJECTS = 8


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    cfg = SynthConfig(size=(160, 120), duration_s=(80.0, 100.0), recordings_per_subject=(1, 2),
                      staff_probability=0.0)
    manifest = generate_dataset(out, N_SUBJECTS, seed=1, config=cfg, workers=1)
    return out / "manifest.csv", manifest


@pytest.fixture(scope="module")
def trained(dataset, tmp_path_factory):
    """One tiny/full run trained through the CLI."""
    manifest_path, _ = dataset
    root = tmp_path_factory.mktemp("runs")
    run = root / "tiny"
    rc = main(["train", "--manifest", str(manifest_path), "--preset", "tiny", "--mode", "full", "--out", str(run),
               "--epochs", "12", "--patience", "12", "--lr", "3e-3", "--batch-size", "8",
               "--test-subjects", "3", "--val-fraction", "0.25",
               "--keypoints", "gt", "--device", "cpu", "--cache-dir", str(root / "cache"), "--seed", "0",
               "--threads", "1"])
    assert rc == 0
    return run, root / "cache"


def test_run_folder_contents(trained, dataset):
    run, _ = trained
    _, manifest = dataset
    for name in ("run.json", "model.safetensors", "train_state.json", "train_state.safetensors",
                 "train_log.jsonl", "train_log.csv", "evaluation.json", "evaluation.md", "roc.png", "pr.png"):
        assert (run / name).is_file(), name
    rc = json.loads((run / "run.json").read_text())
    assert rc["format"] == "semioscope.run" and rc["preset"] == "tiny" and rc["finetune"]["mode"] == "full"
    assert rc["manifest"]["hash"] == manifest.content_hash()
    assert rc["keypoint_source"] == "gt" and rc["window_frames"] == 30 and rc["fps"] == 6.0
    assert rc["clips"]["input_size"] == 32 and 0.0 < rc["threshold"] < 1.0
    assert rc["events"]["threshold"] == rc["threshold"]
    # Event rules were chosen on the validation recordings (never on test) and stored in the run.
    rules = rc["training"]["event_rule_choice"]
    assert rules["source"] == "validation" and rules["validation_recordings"]
    assert all(r.split("_")[0] in rc["split"]["val"] for r in rules["validation_recordings"])
    thresholds = {r["threshold"] for r in rules["grid"]}  # chosen with the rules: the window-level one + 0.3..0.9
    assert len(thresholds) >= 7 and len(rules["grid"]) == len(thresholds) * 7 * 3
    assert sum(r["chosen"] for r in rules["grid"]) == 1
    # So was the pose-coverage gate: ground-truth pose is complete, every gate ties, 7 stays.
    assert [r["min_joints"] for r in rules["min_joints_grid"]] == [5, 6, 7, 8, 9, 10]
    assert rules["min_joints"] == rc["clips"]["min_joints"] == 7
    chosen = next(r for r in rules["grid"] if r["chosen"])
    assert (rc["events"]["min_duration_s"], rc["events"]["smooth_windows"]) == \
        (chosen["min_duration_s"], chosen["smooth_windows"]) == tuple(rules["chosen"].values())
    assert chosen["threshold"] == rc["threshold"] == rules["event_threshold"]
    # ... and the evaluation applied exactly those rules.
    ev = json.loads((run / "evaluation.json").read_text())
    assert ev["events_config"] == rc["events"] and ev["event_rules_source"] == "validation"
    split = rc["split"]
    assert len(split["test"]) == 3 and not set(split["test"]) & set(split["train"] + split["val"])
    log = [json.loads(line) for line in (run / "train_log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == list(range(1, len(log) + 1)) and len(log) == 12
    assert sum(r["best"] for r in log) >= 1
    assert len((run / "train_log.csv").read_text().splitlines()) == len(log) + 1


def test_model_learns_and_reload_gives_identical_probabilities(trained, dataset):
    run, cache = trained
    _, manifest = dataset
    ev = json.loads((run / "evaluation.json").read_text())
    preds = ev["predictions"]
    y = np.array([p["label"] for p in preds])
    prob = np.array([p["prob"] for p in preds], dtype=np.float32)
    assert ev["segment"]["n"] == len(preds) and 0 < y.sum() < len(y)
    # It learned: held-out AUROC clearly above chance (0.5).
    assert ev["segment"]["auroc"] == pytest.approx(auroc(y, prob))
    assert ev["segment"]["auroc"] >= 0.75, ev["segment"]
    # A fresh load of the checkpoint gives exactly the probabilities the evaluation saw.
    loaded = load_run(run, device="cpu")
    rc = loaded.run_config
    data = prepare_data(manifest, SegmentConfig.from_dict(rc["segments"]), ClipConfig.from_dict(rc["clips"]),
                        SplitConfig(), PoseConfig.from_dict(rc["pose"]), "gt", cache,
                        split=SubjectSplit.from_dict(rc["split"]), roles=("test",))
    assert [(it[0], it[1]) for it in data.test.items] == [(p["recording_id"], p["start_s"]) for p in preds]
    clips, pos, mask = data.test.batch(range(len(data.test)))
    with torch_threads(rc["training"]["threads"]):  # same CPU kernels as the run's own evaluation
        again, att = loaded.predict(clips, pos, mask)
    np.testing.assert_array_equal(again, prob)
    np.testing.assert_allclose(att.sum(1), 1.0, atol=1e-5)


def test_evaluation_report_and_cli(trained, capsys):
    run, cache = trained
    assert main(["evaluate", str(run), "--device", "cpu", "--cache-dir", str(cache)]) == 0
    md = (run / "evaluation.md").read_text()
    for row in ("| Random Chance |", "| One-Class Classifier |", "| Proposed (tiny / full) |",
                "| Method | F1 | Precision | Recall |", "Latency from EEG onset"):
        assert row in md
    ev = json.loads((run / "evaluation.json").read_text())
    assert ev["baselines"]["random_chance"]["auroc"] == 0.5
    assert ev["events"]["seizures"] == sum(len(r["seizures"]) for r in ev["event_rows"]) > 0
    assert set(ev["per_subject"]) == set(ev["test_subjects"])
    assert "Proposed (tiny / full)" in capsys.readouterr().out


def test_clip_cache_is_reused_without_decoding(trained, dataset, monkeypatch):
    _, cache = trained
    _, manifest = dataset

    def no_decoding(*a, **k):
        raise AssertionError("the video was decoded again")

    monkeypatch.setattr(video.VideoReader, "iter_sampled", no_decoding)
    rec = manifest.recordings[0]
    rc = recording_clips(rec, KeypointSource("gt"), SegmentConfig(), ClipConfig(input_size=32), PoseConfig(), cache)
    assert rc.clips.shape[1:] == (14, 3, 32, 32) and rc.n_samples == len(rc.positions)
    win = rc.window(5.0, 30)
    assert win is not None and win[0].shape == (14, 30, 3, 32, 32) and win[2].any()
    # Another crop size is another cache entry: it must decode (and here cannot).
    with pytest.raises(AssertionError, match="decoded again"):
        recording_clips(rec, KeypointSource("gt"), SegmentConfig(), ClipConfig(input_size=16), PoseConfig(), cache)


def test_resume_continues_and_existing_run_is_protected(dataset, trained, tmp_path):
    _, manifest = dataset
    _, cache = trained
    split = SplitConfig(n_test_subjects=3, val_fraction=0.25)
    tcfg = TrainConfig(epochs=1, device="cpu", lr=3e-3, threads=1)
    run = tmp_path / "r"
    train_run(manifest, run, tcfg, split_cfg=split, cache_dir=cache, log=lambda s: None)
    with pytest.raises(SemioscopeError, match="--resume"):
        train_run(manifest, run, tcfg, split_cfg=split, cache_dir=cache, log=lambda s: None)
    state1 = json.loads((run / "train_state.json").read_text())
    assert state1["epoch"] == 0 and state1["finished"]
    out = train_run(manifest, run, tcfg.replace(epochs=2), split_cfg=split, cache_dir=cache, resume=True,
                    log=lambda s: None)
    log = [json.loads(line) for line in (run / "train_log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == [1, 2] and out.epochs_run == 2
    assert log[0] == state1["history"][0]  # the first epoch was kept, not redone
    with pytest.raises(Exception, match="different settings"):
        train_run(manifest, run, tcfg.replace(epochs=3, lr=1e-4), split_cfg=split, cache_dir=cache, resume=True,
                  log=lambda s: None)


def test_flip_augmentation_mirrors_image_positions_and_joints():
    rng = np.random.default_rng(0)
    clips = rng.integers(0, 256, (2, 14, 3, 3, 4, 4), dtype=np.uint8)
    pos = rng.random((2, 14, 3, 3), dtype=np.float32)
    pos[0, 5, 1, 2] = 0.0  # a missing sample stays (0, 0, 0)
    pos[0, 5, 1, :2] = 0.0
    mask = rng.random((2, 14)) > 0.3
    c, p, m = flip_batch(clips, pos, mask)
    rw, lw = JOINT_INDEX["right_wrist"], JOINT_INDEX["left_wrist"]
    np.testing.assert_array_equal(c[:, lw], clips[:, rw, ..., ::-1])
    np.testing.assert_allclose(p[:, lw, :, 0], 1.0 - pos[:, rw, :, 0])
    assert m[1, lw] == mask[1, rw] and p[0, JOINT_INDEX["right_elbow"], 1].tolist() == [0.0, 0.0, 0.0]
    c2, p2, m2 = flip_batch(c, p, m)
    np.testing.assert_array_equal(c2, clips)
    np.testing.assert_allclose(p2, pos, atol=1e-6)
    # Epoch order is a deterministic permutation (resuming replays it); the sampler balances classes.
    labels = np.array([0] * 90 + [1] * 10)
    assert sorted(epoch_order(100, labels, 0, 3, "pos_weight")) == list(range(100))
    np.testing.assert_array_equal(epoch_order(100, labels, 0, 3, "pos_weight"), epoch_order(100, labels, 0, 3, "pos_weight"))
    assert labels[epoch_order(100, labels, 0, 3, "sampler")].mean() == 0.5
    f = warmup_cosine(100, 10)
    assert f(0) == pytest.approx(0.1) and f(9) == pytest.approx(1.0) and f(100) == pytest.approx(0.0)


def test_interictal_subsampling_draws_afresh_each_epoch():
    labels = np.array([0] * 90 + [1] * 10)
    o0 = epoch_order(100, labels, 0, 0, "pos_weight", 3.0)
    assert len(o0) == len(set(o0.tolist())) == epoch_size(labels, 3.0) == 40
    assert labels[o0].sum() == 10  # every ictal window, 30 interictal ones
    np.testing.assert_array_equal(o0, epoch_order(100, labels, 0, 0, "pos_weight", 3.0))  # resume replays it
    seen = set()
    for ep in range(8):
        seen |= set(epoch_order(100, labels, 0, ep, "pos_weight", 3.0).tolist())
    assert len(seen) > 80  # fresh draws: the epochs together see most interictal windows
    assert epoch_size(labels, 20.0) == 100 and epoch_size(labels, 0.0) == 100
    bal = epoch_order(100, labels, 0, 2, "sampler", 3.0)
    assert len(bal) == 40 and labels[bal].mean() == 0.5
    # Event-rule grids survive the JSON round trip of run.json / train_state.json (resume compares them).
    t = TrainConfig(event_min_durations=(3, 10), event_smoothing=[1, 3], interictal_per_ictal=4.0)
    assert TrainConfig.from_dict(json.loads(json.dumps(t.to_dict()))) == t
    with pytest.raises(ValueError, match="event_rules"):
        TrainConfig(event_rules="test")


def test_evaluate_seeds_reuses_finished_seed_runs_and_reports_mean_sd(trained, tmp_path, capsys):
    """`evaluate --seeds 2` end to end without training again: a finished run in RUN/seeds/seed_1 is
    reused (here a copy of the run itself, so every sd is 0)."""
    run, cache = trained
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    shutil.copytree(run, copy / "seeds" / "seed_1")
    assert main(["evaluate", str(copy), "--seeds", "2", "--device", "cpu", "--cache-dir", str(cache)]) == 0
    ev = json.loads((copy / "evaluation.json").read_text())
    assert ev["seeds"]["n"] == 2 and ev["seeds"]["seed_values"] == [0, 1]
    auc = ev["seeds"]["segment_mean_sd"]["auroc"]
    assert auc["mean"] == pytest.approx(ev["segment"]["auroc"]) and auc["sd"] == 0.0 and auc["n"] == 2
    assert [p["events_config"] for p in ev["seeds"]["per_seed"]] == [ev["events_config"]] * 2
    md = (copy / "evaluation.md").read_text()
    assert "mean ± sd over 2 training seeds (0, 1)" in md and f"{auc['mean']:.3f} ± 0.000" in md
    assert "Over seeds: sensitivity" in capsys.readouterr().out


def test_demo_training_set_has_seizure_free_recordings_and_trains_on_every_subject(tmp_path, monkeypatch):
    """Issue 21: the demo's training set gives every subject seizure-free recordings (a seizure
    recording holds ~30 s of interictal video, too little to learn what is not a seizure), and
    the demo model keeps no test subject (it is never evaluated): 2 validation subjects."""
    import app.commands.demo as demo
    from inference.synth.generator import plan_dataset

    seen = {}

    def fake_generate(folder, n, seed, config, progress=None, workers=2):
        seen["config"] = config
        tasks = plan_dataset(folder, n, seed, config)
        recs = [Recording(t.recording_id, t.subject_id, Path(t.path), t.seizure_type,
                          (Seizure(30.0, 32.0, 60.0),) if t.seizure_type != NO_SEIZURE else ())
                for t in tasks]
        return Manifest(recs)

    def fake_train_run(manifest, run, tcfg, *args, split=None, **kw):
        seen["split"], seen["tcfg"] = split, tcfg

    monkeypatch.setattr(demo, "generate_dataset", fake_generate)
    monkeypatch.setattr(demo, "train_run", fake_train_run)
    monkeypatch.setattr(demo, "atomic_write_json", lambda *a, **k: None)
    manifest = demo.prepare_dataset(tmp_path)
    by_subject: dict[str, list[str]] = {}
    for r in manifest:
        by_subject.setdefault(r.subject_id, []).append(r.seizure_type)
    assert len(by_subject) == demo.DATASET["subjects"]
    for types in by_subject.values():
        assert len(types) == demo.DATASET["recordings"] >= 2
        assert types[0] != NO_SEIZURE and all(t == NO_SEIZURE for t in types[1:])
    assert seen["config"].staff_probability == demo.DATASET["staff_probability"]
    demo.prepare_model(tmp_path, manifest, device="cpu")
    split = seen["split"].split
    assert split.test == [] and len(split.val) == demo.TRAINING["val_subjects"]
    assert len(split.train) == demo.DATASET["subjects"] - demo.TRAINING["val_subjects"]
    assert seen["tcfg"].interictal_per_ictal == demo.TRAINING["interictal_per_ictal"]

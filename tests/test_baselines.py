"""The Table 1 baselines (issue 20): forward shapes, a few training steps, inputs that cannot carry
the label, and one baseline trained and evaluated end to end on a small synthetic split."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from inference.baselines.frames import dense_flow, recording_frames
from inference.baselines.models import (
    METHODS,
    POSITION_SCALE,
    baseline_config,
    build_baseline,
    gaussian_weight,
    motion_features,
    skeleton_adjacency,
)
from inference.core.config import ClipConfig, EventConfig, PoseConfig, SegmentConfig, SplitConfig
from inference.synth.generator import SynthConfig, generate_dataset
from inference.training.baseline_run import BaselineInputs, run_baseline
from inference.training.config import TrainConfig
from inference.training.prepared import prepare_data


def _batch(method: str, b: int = 2, t: int = 30):
    rng = np.random.default_rng(0)
    if method == "vsvig":
        clips = rng.integers(0, 64, (b, 14, t, 3, 32, 32), dtype=np.uint8)
        clips += (np.arange(b) * 50).astype(np.uint8)[:, None, None, None, None, None]  # windows that differ
        return (torch.from_numpy(clips),
                torch.from_numpy(rng.random((b, 14, t, 3), dtype=np.float32)), torch.ones(b, 14, dtype=torch.bool))
    c = 2 if method == "flow3d" else 3
    x = rng.integers(0, 255, (b, t, 64, 64, c), dtype=np.uint8)
    return (torch.from_numpy(x.astype(np.float16) / 32) if method == "flow3d" else torch.from_numpy(x),)


@pytest.mark.parametrize("method", METHODS)
def test_forward_shapes_and_a_few_steps_learn(method):
    torch.manual_seed(0)
    model = build_baseline(baseline_config(method, "tiny"))
    xs = _batch(method, b=4)
    assert model(*xs).shape == (4,)
    target = torch.tensor([0.0, 1.0, 0.0, 1.0])
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(8):
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(*xs), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]  # it fits four windows: gradients reach every part
    paper = build_baseline(baseline_config(method, "paper"))
    assert sum(p.numel() for p in paper.parameters()) > 3 * sum(p.numel() for p in model.parameters())


def test_graph_and_gaussian_helpers():
    a = skeleton_adjacency()
    assert a.shape == (14, 14) and torch.allclose(a.sum(1), torch.ones(14))
    g = gaussian_weight(32)
    assert g.shape == (32, 32) and g[15:17, 15:17].min() > 0.9 and g[0, 0] < 0.03  # the joint bright, corners dark


def test_vsvig_reads_joint_motion_at_a_scale_it_can_see():
    t = torch.arange(6, dtype=torch.float32)
    pos = torch.zeros(1, 2, 6, 3)
    pos[0, 0, :, 0] = 0.40 + 0.01 * (-1) ** t  # a wrist jerking by 1% of the frame width
    pos[0, 0, :, 1] = 0.70  # still in y
    pos[0, 0, :, 2] = 1.0
    pos[0, 1, :, :2] = 0.25  # a joint missing in frame 3
    pos[0, 1, :, 2] = 1.0
    pos[0, 1, 3, 2] = 0.0
    f = motion_features(pos)
    assert f.shape == (1, 2, 6, 5)
    assert torch.allclose(f[0, 0, :, 0], 0.01 * POSITION_SCALE * (-1) ** t)  # centred, rescaled
    assert torch.allclose(f[0, 0, :, 1], torch.zeros(6))  # where the joint sits is gone
    assert torch.allclose(f[0, 0, 1:, 2].abs(), torch.full((5,), 0.02 * POSITION_SCALE))  # steps
    assert f[0, 0, 0, 2] == 0  # no step into the first frame
    assert torch.all(f[0, 1, 3, :4] == 0) and torch.all(f[0, 1, 4, 2:4] == 0)  # missing: no motion invented


def test_flow_sees_motion_and_not_stillness():
    frames = np.zeros((3, 64, 64, 3), np.uint8)
    frames[:, 20:40, 10:30] = 255
    frames[2, 20:40, 14:34] = 255  # moved 4 px right
    frames[2, 20:40, 10:14] = 0
    flow = dense_flow(frames, np.ones(3, bool))
    assert np.abs(flow[1]).max() < 0.5 and flow[2][..., 0].max() > 1.0
    assert not np.any(flow[0])


@pytest.fixture(scope="module")
def small_split(tmp_path_factory):
    out = tmp_path_factory.mktemp("bl")
    cfg = SynthConfig(size=(160, 120), duration_s=(40.0, 50.0), recordings_per_subject=(1, 1), staff_probability=0.0)
    manifest = generate_dataset(out, 5, seed=5, config=cfg, workers=1)
    seg = SegmentConfig()
    data = prepare_data(manifest, seg, ClipConfig(input_size=32), SplitConfig(n_test_subjects=1, val_fraction=0.25),
                        PoseConfig(), "gt", out / "cache")
    return manifest, seg, data, out / "cache"


def test_inputs_carry_the_window_not_its_label_or_place(small_split):
    """A window's input depends on its recording and time only: the same window gives the same
    array wherever it sits in the set and whatever its label (file order and labels cannot leak)."""
    manifest, seg, data, cache = small_split
    inputs = BaselineInputs(baseline_config("frame3d"), data, manifest, cache, seg.fps)
    ws = data.train
    i, j = 0, len(ws) - 1
    a = inputs.windows(ws, [i, j])[0]
    b = inputs.windows(ws, [j, i])[0]
    np.testing.assert_array_equal(a[0], b[1])
    relabelled = ws.subset([i, j])
    relabelled.items = [(r, s, 1 - lab, 1.0 - soft) for r, s, lab, soft in relabelled.items]
    np.testing.assert_array_equal(inputs.windows(relabelled, [0, 1])[0], a)
    rid, start = ws.items[i][0], ws.items[i][1]
    fr = recording_frames(rid, next(r.video for r in manifest if r.recording_id == rid), seg.fps, 64, cache)
    np.testing.assert_array_equal(a[0], fr.frames[fr.start_index(start):fr.start_index(start) + 30])


@pytest.mark.slow
def test_a_baseline_trains_and_evaluates_on_the_split(small_split):
    manifest, seg, data, cache = small_split
    res = run_baseline(baseline_config("flow3d"), data, manifest, seg,
                       TrainConfig(epochs=2, batch_size=8, seed=3, device="cpu", interictal_per_ictal=2.0,
                                   min_epochs=1, patience=2), EventConfig(), cache, log=lambda s: None)
    assert res["method"] == "flow3d" and len(res["history"]) == 2
    assert 0.0 <= res["segment"]["auroc"] <= 1.0 and 0.0 <= res["segment"]["accuracy"] <= 1.0
    assert res["events"]["seizures"] >= 1 and 0 <= res["events"]["detected"] <= res["events"]["seizures"]
    assert res["events_config"]["threshold"] in {0.5, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9}
    assert res["baselines"]["random_chance"]["auroc"] == 0.5


@pytest.mark.slow
def test_benchmark_cli_runs_every_method_on_one_split_and_resumes(small_split, tmp_path, capsys):
    """`semioscope benchmark`: cja and a baseline on the same split, the Table 1 layout written,
    a rerun reuses the saved results; the swapped-room rows appear with a test manifest."""
    import json

    from app.cli import main

    manifest, _, _, cache = small_split
    out = tmp_path / "bench"
    args = ["benchmark", str(manifest.path), "--out", str(out), "--methods", "cja,vsvig", "--seeds", "1",
            "--epochs", "1", "--batch-size", "8", "--test-subjects", "1", "--val-subjects", "1", "--device", "cpu",
            "--cache-dir", str(cache), "--test-manifest", str(manifest.path)]
    assert main(args) == 0
    summary = json.loads((out / "benchmark.json").read_text())
    split = json.loads((out / "split.json").read_text())
    assert set(summary["methods"]) == {"cja", "vsvig"} and summary["split"] == split
    for method in ("cja", "vsvig"):
        row = json.loads((out / method / "seed_0" / "result.json").read_text())
        assert 0.0 <= row["matched"]["segment"]["auroc"] <= 1.0
        assert row["swapped"]["segment"] == row["matched"]["segment"]  # the same recordings: no drop
    cja_run = json.loads((out / "cja" / "seed_0" / "run" / "run.json").read_text())
    assert cja_run["split"]["test"] == split["test"]
    md = (out / "benchmark.md").read_text()
    assert "| Random Chance |" in md and "| One-Class Classifier |" in md and "VSViG" in md
    assert "Which methods learned the room" in md
    assert "Latency from clinical onset" in md and "| Minutes per run |" in md
    assert summary["compute_s"] == pytest.approx(sum(
        json.loads((out / m / "seed_0" / "result.json").read_text())["seconds"] for m in ("cja", "vsvig")), abs=0.2)
    assert summary["test_set"]["seizures"] >= 1 and summary["test_set"]["interictal_hours"] >= 0
    capsys.readouterr()
    assert main(args) == 0  # resumed: nothing trains again
    assert "epoch 1/1" not in capsys.readouterr().err
    assert json.loads((out / "vsvig" / "seed_0" / "result.json").read_text())["preset"] == "tiny"  # auto on a CPU
    assert main(args + ["--preset", "paper"]) != 0  # one folder, one preset: never mixed in a table
    assert "trained with preset 'tiny', not 'paper'" in capsys.readouterr().err
    kept = out / "vsvig" / "seed_0" / "result.json"
    text = kept.read_text()
    kept.write_text(text[: len(text) // 2])  # a damaged result is named, not trained over
    assert main(args) == 2 and f"{kept}: not a readable benchmark result" in capsys.readouterr().err
    assert kept.read_text() == text[: len(text) // 2]
    with pytest.raises(SystemExit) as exc:
        main(["benchmark", str(manifest.path), "--out", str(out), "--methods", "cja,resnet"])
    assert exc.value.code == 2 and "unknown method(s) resnet" in capsys.readouterr().err


def test_room_verdict_weighs_the_drop_against_seed_noise():
    from inference.training.benchmark import _room_verdict

    def entry(n, sd_m, sd_s):
        return {"n": n, "matched": {"segment": {"auroc": {"mean": 0.95, "sd": sd_m}}},
                "swapped": {"segment": {"auroc": {"mean": 0.8, "sd": sd_s}}}}

    assert _room_verdict(0.05, entry(3, 0.01, 0.01)) == ""
    assert _room_verdict(0.15, entry(3, 0.02, 0.04)) == " — learned the room"
    assert "within seed noise (sd 0.207)" in _room_verdict(0.137, entry(2, 0.042, 0.207))
    assert "one seed" in _room_verdict(0.15, entry(1, float("nan"), float("nan")))

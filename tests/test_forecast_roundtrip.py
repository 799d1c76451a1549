"""pre-train -> fine-tune -> evaluate -> trace at tiny size through the CLI, plus exact resume."""
import csv
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from forecast_data import DURATION_S, one_torch_thread, tiny_corpus, tiny_manifest  # noqa: E402,F401

from app.cli import main  # noqa: E402

LABELS = ["--clip-s", "3", "--guard-s", "5", "--negative-stride-s", "3", "--device", "cpu"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("fc")
    manifest = tiny_manifest(root / "data", n_subjects=4)
    return root, manifest, tiny_corpus(root / "rodent", 3, 0), tiny_corpus(root / "human", 2, 1)


def _pretrain(out, corpora, steps, extra=()):
    args = ["forecast", "pretrain", "--out", str(out), "--image-size", "32", "--batch-size", "2",
            "--steps", str(steps), "--checkpoint-every", "2", "--device", "cpu", *extra]
    for name, folder in corpora:
        args += ["--corpus", f"{name}={folder}"]
    return main(args)


def test_round_trip(data, tmp_path, capsys):
    from inference.forecast.model import load_classifier, read_forecast_json
    from inference.results.result_file import AnalysisResult

    root, manifest, rodent, human = data
    pre = tmp_path / "pre"
    assert _pretrain(pre, [("rodent", rodent), ("human", human)], 4, ["--mix", "rodent=3"]) == 0
    info = read_forecast_json(pre, "pretrained")
    assert info["steps_done"] == 4 and info["videomae_config"]["image_size"] == 32
    shares = {c["name"]: c["share"] for c in info["corpora"]}
    assert shares == pytest.approx({"rodent": 0.75, "human": 0.25})
    assert sum(c["drawn"] for c in info["corpora"]) == 8
    log = (pre / "pretrain_log.txt").read_text()
    assert "corpus rodent: 3 clips" in log and "share 75.0%" in log and "share 25.0%" in log
    assert len((pre / "train_log.jsonl").read_text().splitlines()) == 4
    assert not list(pre.glob("*.bin")) and not list(pre.glob("*.pt"))

    rep_dir = tmp_path / "report"
    assert main(["forecast", "evaluate", "--model", str(pre), "--manifest", str(manifest), "--shots", "2",
                 "--draws", "2", "--out", str(rep_dir), *LABELS]) == 0
    rep = json.loads((rep_dir / "evaluation.json").read_text())
    assert set(rep["methods"]) == {"pretrained+finetune", "no-pretrain+finetune", "linear-probe", "zero-shot"}
    assert rep["data"] == {"positive": 24, "negative": 16, "subjects": 4}
    for m in rep["methods"].values():
        assert m["per_n"]["2"]["draws"] == 2
        assert all(0.0 <= m["average"][k] <= 1.0 for k in ("bacc", "roc_auc", "pr_auc"))
    for d in rep["draws"]:
        assert not set(d["train_subjects"]) & set(d["test_subjects"]) and d["n_train"] == 4
    md = (rep_dir / "evaluation.md").read_text()
    assert "| no-pretrain+finetune |" in md and "avg roc_auc" in md

    clf = tmp_path / "clf"
    assert main(["forecast", "finetune", "--model", str(pre), "--manifest", str(manifest), "--shots", "2",
                 "--pooling", "motion", "--out", str(clf), *LABELS]) == 0
    model, cinfo = load_classifier(clf)
    assert cinfo["clip_s"] == 3.0 and cinfo["trained_on"]["clips"] == 4 and cinfo["trained_on"]["positive"] == 2
    assert cinfo["token_pooling"] == "motion" and model.pooling == "motion"

    # A result file for one video gets the trace; a broken video fails alone.
    res_dir = tmp_path / "results"
    res = AnalysisResult(np.arange(3.0), np.arange(3.0) + 5, np.zeros(3), np.zeros((3, 14)))
    res.save(res_dir / "s0.result.npz")
    bad = root / "data" / "broken.mp4"
    bad.write_bytes(b"not a video")
    out = tmp_path / "traces"
    rc = main(["forecast", "trace", str(root / "data" / "s0.mp4"), str(bad), "--model", str(clf), "--out", str(out),
               "--stride-s", "2", "--results", str(res_dir), "--device", "cpu"])
    assert rc == 1
    assert "broken.mp4" in capsys.readouterr().err
    rows = list(csv.DictReader(open(out / "s0.forecast.csv")))
    n = int((DURATION_S - 3.0) // 2) + 1
    assert len(rows) == n and float(rows[-1]["end_s"]) == pytest.approx(2 * (n - 1) + 3.0)
    probs = np.array([float(r["prob"]) for r in rows])
    assert np.all((probs > 0) & (probs < 1))
    # The trace samples each window exactly as fine-tuning sampled its clips.
    from inference.forecast.fewshot import load_clip_bank, predict_probs
    from inference.forecast.labels import ForecastClip

    video = root / "data" / "s0.mp4"
    probe_clips = [ForecastClip("r0", "sub0", video, float(rows[k]["start_s"]), float(rows[k]["end_s"]), 0)
                   for k in (0, 5, n - 1)]
    direct = predict_probs(model, load_clip_bank(probe_clips, 16, 32))
    assert np.allclose(direct, probs[[0, 5, n - 1]], atol=1e-4)
    loaded = AnalysisResult.load(res_dir / "s0.result.npz")
    assert np.allclose(loaded.traces["forecast"].value, probs, atol=1e-5)
    assert loaded.traces["forecast"].meta["clip_s"] == 3.0


def test_resume_matches_uninterrupted_run(data, tmp_path):
    from inference.detector.checkpoint import load_tensors

    _, _, rodent, human = data
    corpora = [("rodent", rodent), ("human", human)]
    assert _pretrain(tmp_path / "a", corpora, 4) == 0
    assert _pretrain(tmp_path / "b", corpora, 2) == 0
    assert json.loads((tmp_path / "b" / "pretrain_state.json").read_text())["step"] == 2
    assert _pretrain(tmp_path / "b", corpora, 4) == 0  # resumes at step 2
    assert "resuming at step 2" in (tmp_path / "b" / "pretrain_log.txt").read_text()
    wa, _ = load_tensors(tmp_path / "a" / "encoder.safetensors")
    wb, _ = load_tensors(tmp_path / "b" / "encoder.safetensors")
    assert set(wa) == set(wb)
    for k in wa:
        assert np.allclose(wa[k].numpy(), wb[k].numpy(), atol=1e-6), k
    # Changed settings refuse to resume into the same folder.
    assert _pretrain(tmp_path / "b", corpora, 6, ["--mask-ratio", "0.5"]) == 2


def test_bad_inputs_name_the_file(tmp_path, capsys):
    assert main(["forecast", "pretrain", "--corpus", f"x={tmp_path / 'nope'}", "--out", str(tmp_path / "o")]) == 2
    assert "nope" in capsys.readouterr().err
    assert main(["forecast", "trace", str(tmp_path / "v.mp4"), "--model", str(tmp_path), "--out",
                 str(tmp_path / "t")]) == 2
    assert "forecast.json" in capsys.readouterr().err


def test_malformed_forecast_json_is_named(tmp_path):
    from inference.core.errors import CheckpointError
    from inference.forecast.model import FORECAST_FORMAT, read_forecast_json

    for content, problem in (({"format": FORECAST_FORMAT, "version": 1.5}, "malformed version 1.5"),
                             (["x"], "top level is a JSON list"),
                             ({"format": FORECAST_FORMAT, "version": 99}, "version 99 is newer")):
        (tmp_path / "forecast.json").write_text(json.dumps(content))
        with pytest.raises(CheckpointError, match=f"forecast.json.*{problem}"):
            read_forecast_json(tmp_path)


def test_init_from_local_videomae_folder(data, tmp_path):
    from inference.core.errors import CheckpointError
    from inference.forecast.fewshot import baseline_encoder
    from inference.forecast.model import (
        load_encoder,
        load_pretraining_model,
        new_pretraining_model,
        preset_config,
    )

    _, _, rodent, _ = data
    base = tmp_path / "videomae-base-like"
    src = new_pretraining_model(preset_config("tiny", image_size=32), seed=5)
    src.save_pretrained(base, safe_serialization=True)
    assert _pretrain(tmp_path / "pre", [("rodent", rodent)], 1, ["--init", str(base)]) == 0
    enc, info = load_encoder(tmp_path / "pre")
    assert info["init"]["kind"] == "folder" and info["videomae_config"]["image_size"] == 32
    # The comparison without domain pre-training starts from the same folder's weights.
    ref, desc = baseline_encoder(info, seed=0)
    assert desc["kind"] == "folder"
    key = "embeddings.patch_embeddings.projection.weight"
    assert np.allclose(ref.state_dict()[key].numpy(), src.videomae.state_dict()[key].numpy())
    (base / "model.safetensors").unlink()
    (base / "pytorch_model.bin").write_bytes(b"pickle")
    with pytest.raises(CheckpointError, match="never loaded"):
        load_pretraining_model(base)

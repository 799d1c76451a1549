"""Cross-joint detector: shapes, masking, attention readout, fine-tuning modes, checkpoints."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from inference.core.config import ClipConfig, EventConfig, SegmentConfig
from inference.core.errors import CheckpointError
from inference.detector.checkpoint import load_run, make_run_config, save_run
from inference.detector.clips import to_float
from inference.detector.finetune_modes import LoraSettings, apply_mode, parameter_counts
from inference.detector.model import CrossJointDetector, build_detector, preset_config, resample_indices


def _batch(b=3, t=30, s=32, seed=0):
    g = np.random.default_rng(seed)
    clips = g.integers(0, 256, (b, 14, t, 3, s, s), dtype=np.uint8)
    pos = g.random((b, 14, t, 3), dtype=np.float32)
    mask = np.ones((b, 14), bool)
    mask[0, [3, 7]] = False
    return clips, pos, mask


def _forward(model, clips, pos, mask):
    with torch.no_grad():
        return model(to_float(torch.from_numpy(clips)), torch.from_numpy(pos), torch.from_numpy(mask))


def test_tiny_forward_shapes_and_attention_readout():
    torch.manual_seed(0)
    model = build_detector(preset_config("tiny")).eval()
    clips, pos, mask = _batch()
    logits, att = _forward(model, clips, pos, mask)
    assert logits.shape == (3,) and att.shape == (3, 14)
    assert torch.isfinite(logits).all()
    # Received attention is a distribution over present joints; missing joints get exactly 0.
    np.testing.assert_allclose(att.sum(1).numpy(), 1.0, atol=1e-5)
    assert att[0, 3] == 0 and att[0, 7] == 0 and (att[1] > 0).all()


def test_missing_joint_content_does_not_change_output():
    torch.manual_seed(0)
    model = build_detector(preset_config("tiny")).eval()
    clips, pos, mask = _batch()
    logits, att = _forward(model, clips, pos, mask)
    clips2, pos2 = clips.copy(), pos.copy()
    clips2[0, 3] = 255 - clips2[0, 3]
    pos2[0, 7] = np.nan  # missing joints may carry NaN positions
    logits2, att2 = _forward(model, clips2, pos2, mask)
    torch.testing.assert_close(logits, logits2)
    torch.testing.assert_close(att, att2)
    # ... whereas a present joint's pixels do change it.
    clips2[1, 5] = 255 - clips2[1, 5]
    assert not torch.allclose(_forward(model, clips2, pos2, mask)[0][1], logits[1])


def test_window_without_joints_gives_finite_output():
    model = build_detector(preset_config("tiny")).eval()
    clips, pos, mask = _batch(b=2)
    mask[1] = False
    logits, att = _forward(model, clips, pos, mask)
    assert torch.isfinite(logits).all() and (att[1] == 0).all()


def test_resample_30_to_32_frames():
    idx = resample_indices(30, 32).tolist()
    assert len(idx) == 32 and idx[0] == 0 and idx[-1] == 29 and sorted(idx) == idx
    assert set(idx) == set(range(30))  # every frame used, two repeated


def test_vivit_b_layout_runs_a_30_frame_window():
    """The vivit-b layout (224 px, 32 frames, tubelet 2x16x16, hidden 768) on a 30-frame window of
    all 14 joints. Depth is cut to 1 layer to keep the CPU test fast; the 30->32 problem lives in the
    embeddings, which are those of google/vivit-b-16x2-kinetics400."""
    cfg = preset_config("vivit-b")
    assert (cfg.image_size, cfg.num_frames, cfg.tubelet, cfg.hidden_size, cfg.num_layers) == \
        (224, 32, (2, 16, 16), 768, 12)
    torch.manual_seed(0)
    model = CrossJointDetector(cfg.replace(num_layers=1)).eval()
    assert model.encoder.embeddings.position_embeddings.shape == (1, 16 * 14 * 14 + 1, 768)
    clips, pos, mask = _batch(b=1, t=30, s=224)
    mask[:] = True
    logits, att = _forward(model, clips, pos, mask)
    assert logits.shape == (1,) and torch.isfinite(logits).all()
    np.testing.assert_allclose(att.sum(1).numpy(), 1.0, atol=1e-5)


def test_mode_parameter_counts_tiny():
    counts = {}
    for mode in ("frozen", "lora", "full"):
        model = apply_mode(build_detector(preset_config("tiny")), mode)
        counts[mode] = parameter_counts(model)
    head = sum(p.numel() for n, p in build_detector(preset_config("tiny")).named_parameters()
               if not n.startswith("encoder."))
    full_total = counts["full"][1]
    assert counts["full"] == (full_total, full_total)
    assert counts["frozen"] == (head, full_total)
    # LoRA r=8 on q,k,v (64->64) and fc1 (64->128), fc2 (128->64) of 2 layers.
    lora = 2 * 8 * (3 * (64 + 64) + (64 + 128) + (128 + 64))
    assert counts["lora"] == (head + lora, full_total + lora)


def test_lora_only_adapts_last_two_layers_of_vivit_b():
    model = apply_mode(CrossJointDetector(preset_config("vivit-b")), "lora", LoraSettings(r=8, alpha=16, dropout=0.1))
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    enc = [n for n in trainable if n.startswith("encoder.")]
    # Every trainable encoder weight is a LoRA adapter in layer 10 or 11 ...
    assert enc and all(".lora_" in n and n.split(".")[2] in ("10", "11") for n in enc)
    adapted = {n.rsplit(".lora_", 1)[0] for n in enc}
    assert adapted == {f"encoder.layers.{i}.{m}" for i in (10, 11) for m in
                       ("attention.q_proj", "attention.k_proj", "attention.v_proj", "mlp.fc1", "mlp.fc2")}
    # ... and the cross-joint attention and head (which always train) are the rest.
    assert all(n.split(".")[0] in ("position_proj", "blocks", "norm", "classifier")
               for n in trainable if not n.startswith("encoder."))
    n_lora = sum(p.numel() for n, p in model.named_parameters() if ".lora_" in n)
    assert n_lora == 2 * 8 * (3 * (768 + 768) + 2 * (768 + 3072))


def test_lora_training_step_changes_only_adapters_and_head():
    torch.manual_seed(0)
    model = apply_mode(build_detector(preset_config("tiny")), "lora")
    for n, m in model.named_modules():
        if n.endswith("lora_B.default"):
            torch.nn.init.normal_(m.weight, std=0.1)  # B starts at 0; make the adapters matter
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    clips, pos, mask = _batch(b=2)
    logits, _ = model(to_float(torch.from_numpy(clips)), torch.from_numpy(pos), torch.from_numpy(mask))
    torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.tensor([0.0, 1.0])).backward()
    opt.step()
    changed = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert any(".lora_" in n and ".layers.1." in n for n in changed)
    assert not any(n.startswith("encoder.") and ".lora_" not in n for n in changed)
    assert "classifier.weight" in changed


def _save(tmp_path, model, mode="full", threshold=0.37):
    rc = make_run_config(detector=model.cfg, mode=mode, lora=LoraSettings(), segments=SegmentConfig(),
                         clips=ClipConfig(input_size=model.cfg.image_size), events=EventConfig(),
                         threshold=threshold, keypoint_source="gt", manifest_hash="abc")
    return save_run(tmp_path / "run", model, rc)


@pytest.mark.parametrize("mode", ["full", "lora"])
def test_checkpoint_roundtrip_identical_probabilities(tmp_path, mode):
    torch.manual_seed(1)
    model = apply_mode(build_detector(preset_config("tiny")), mode).eval()
    run = _save(tmp_path, model, mode)
    loaded = load_run(run, device="cpu")
    clips, pos, mask = _batch()
    probs, att = loaded.predict(clips, pos, mask)
    logits, att_ref = _forward(model, clips, pos, mask)
    assert probs.dtype == np.float32 and att.dtype == np.float32
    np.testing.assert_array_equal(probs, torch.sigmoid(logits).numpy())
    np.testing.assert_array_equal(att, att_ref.numpy())
    assert loaded.threshold == pytest.approx(0.37) and loaded.event_config.threshold == pytest.approx(0.37)
    assert loaded.run_config["manifest"]["hash"] == "abc" and loaded.segment_config.frames_per_window == 30


def test_checkpoint_errors_name_the_problem(tmp_path):
    model = build_detector(preset_config("tiny"))
    run = _save(tmp_path, model)
    with pytest.raises(CheckpointError, match="not found"):
        load_run(tmp_path / "nope")
    # A mismatched architecture.
    rc = json.loads((run / "run.json").read_text())
    rc["detector"]["hidden_size"] = 32
    (run / "run.json").write_text(json.dumps(rc))
    with pytest.raises(CheckpointError, match=r"model\.safetensors.*(missing|shape)"):
        load_run(run)
    # A pickle where safetensors should be is refused, not unpickled.
    rc["detector"]["hidden_size"] = 64
    (run / "run.json").write_text(json.dumps(rc))
    torch.save(model.state_dict(), run / "model.safetensors")
    with pytest.raises(CheckpointError, match="safetensors"):
        load_run(run)
    # An unknown format / missing weights / incomplete config.
    (run / "run.json").write_text(json.dumps({"format": "something.else"}))
    with pytest.raises(CheckpointError, match="not a Semioscope run"):
        load_run(run)
    rc.pop("threshold")
    (run / "run.json").write_text(json.dumps(rc))
    with pytest.raises(CheckpointError, match="threshold"):
        load_run(run)


def test_encoder_from_local_folder(tmp_path):
    from transformers import VivitModel

    cfg = preset_config("tiny").replace(hidden_size=32, intermediate_size=64)
    enc = VivitModel(cfg.vivit_config(), add_pooling_layer=False)
    enc.save_pretrained(tmp_path / "enc")
    model = build_detector(preset_config("tiny"), encoder_path=str(tmp_path / "enc"))
    assert model.cfg.hidden_size == 32 and model.cfg.encoder_source == str(tmp_path / "enc")
    torch.testing.assert_close(model.encoder.embeddings.patch_embeddings.projection.weight,
                               enc.embeddings.patch_embeddings.projection.weight)
    with pytest.raises(CheckpointError, match="not found"):
        build_detector(preset_config("tiny"), encoder_path=str(tmp_path / "missing"))
    # A folder holding only pickled weights is refused, never unpickled.
    enc.config.save_pretrained(tmp_path / "pickled")
    torch.save(enc.state_dict(), tmp_path / "pickled" / "pytorch_model.bin")
    with pytest.raises(CheckpointError, match="safetensors"):
        build_detector(preset_config("tiny"), encoder_path=str(tmp_path / "pickled"))

"""The ONNX pose backend on tiny ONNX models built here with the signatures of RTMPose (SimCC)
and ViTPose (heatmaps): decoding to frame pixels through the person box, the box rule, the
COCO-17 / WholeBody mapping, batching, the cache key, errors, and `semioscope pose` end to end."""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from inference.core.config import PoseConfig
from inference.core.errors import InputFileError, SemioscopeError
from inference.pose.joints import JOINT_INDEX as J
from inference.pose.joints import NUM_JOINTS
from inference.pose.keypoints import KeypointTrack

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper

from inference.pose.cache import cache_key
from inference.pose.onnx_decode import (
    coco_to_joints,
    decode_heatmaps,
    decode_simcc,
    fallback_box,
    fix_aspect,
    keypoint_box,
    parse_bed_region,
)
from inference.pose.registry import get_backend

W, H = 48, 64  # model input (width, height): aspect 0.75 like RTMPose's 192 x 256
STRIDE = 4  # heatmap cell in input pixels
R = 2  # SimCC bins per input pixel
WHITE = (255, 255, 255)

# -- tiny models -----------------------------------------------------------------------------------


def _const(name, array):
    return numpy_helper.from_array(np.asarray(array, np.float32), name)


def _ints(name, values):
    return numpy_helper.from_array(np.asarray(values, np.int64), name)


def _save(path, nodes, inits, outputs, batch="N", in_channels=3):
    graph = helper.make_graph(
        nodes, "tiny_pose",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch, in_channels, H, W])],
        outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return Path(path)


def _zero_per_sample(nodes, inits, out, squeeze_last=False):
    """``out`` = 0 x sum(input) per sample: [N, 1, 1, 1] (or [N, 1, 1]); ties outputs to the batch."""
    nodes += [helper.make_node("ReduceSum", ["input", "axes123"], ["sum"], keepdims=1),
              helper.make_node("Mul", ["sum", "zero"], ["zsum4"])]
    inits += [_ints("axes123", [1, 2, 3]), _const("zero", 0.0)]
    if squeeze_last:
        nodes.append(helper.make_node("Squeeze", ["zsum4", "axis3"], [out]))
        inits.append(_ints("axis3", [3]))
    else:
        nodes.append(helper.make_node("Identity", ["zsum4"], [out]))


def _red_channel(nodes, inits):
    nodes.append(helper.make_node("Slice", ["input", "s0", "s1", "s_axis"], ["red"]))
    inits += [_ints("s0", [0]), _ints("s1", [1]), _ints("s_axis", [1])]


def heatmap_model(path, peaks, scores, follow=False, batch="N"):
    """ViTPose-like: ``heatmaps [N, K, H/4, W/4]``. Keypoint k's heatmap is one-hot at cell
    ``peaks[k]`` (x, y) with value ``scores[k]``; ``follow``: instead every keypoint's heatmap is
    the 4 x 4 average of the normalised red channel (the peak is where the crop is reddest)."""
    k = len(peaks)
    h, w = H // STRIDE, W // STRIDE
    const = np.zeros((1, k, h, w), np.float32)
    if not follow:
        for i, ((x, y), s) in enumerate(zip(peaks, scores)):
            const[0, i, y, x] = s
    nodes, inits = [], [_const("C", const)]
    _zero_per_sample(nodes, inits, "z")
    if follow:
        _red_channel(nodes, inits)
        nodes += [helper.make_node("AveragePool", ["red"], ["pooled"], kernel_shape=[STRIDE, STRIDE],
                                   strides=[STRIDE, STRIDE]),
                  helper.make_node("Add", ["pooled", "z"], ["zp"]),
                  helper.make_node("Add", ["zp", "C"], ["heatmaps"])]
    else:
        nodes.append(helper.make_node("Add", ["z", "C"], ["heatmaps"]))
    out = [helper.make_tensor_value_info("heatmaps", TensorProto.FLOAT, [batch, k, h, w])]
    return _save(path, nodes, inits, out, batch=batch)


def simcc_model(path, peaks, scores, follow=False, swap_outputs=False):
    """RTMPose-like: ``simcc_x [N, K, W*2]``, ``simcc_y [N, K, H*2]``; keypoint k peaks at input
    pixel ``peaks[k]`` (bin 2 x) with value ``scores[k]``; ``follow``: the profile of the red
    channel's maximum along each axis (the peak is the reddest column / row)."""
    k = len(peaks)
    cx, cy = np.zeros((1, k, W * R), np.float32), np.zeros((1, k, H * R), np.float32)
    if not follow:
        for i, ((x, y), s) in enumerate(zip(peaks, scores)):
            cx[0, i, int(round(x * R))] = s
            cy[0, i, int(round(y * R))] = s
    nodes, inits = [], [_const("CX", cx), _const("CY", cy)]
    _zero_per_sample(nodes, inits, "z", squeeze_last=True)
    for axis, reduce_axis, c, out in (("x", 2, "CX", "simcc_x"), ("y", 3, "CY", "simcc_y")):
        if follow:
            if axis == "x":
                _red_channel(nodes, inits)
            nodes += [helper.make_node("ReduceMax", ["red", f"ax_{axis}"], [f"prof_{axis}"], keepdims=0),
                      helper.make_node("Unsqueeze", [f"prof_{axis}", "last"], [f"u_{axis}"]),
                      helper.make_node("Concat", [f"u_{axis}", f"u_{axis}"], [f"cc_{axis}"], axis=3),
                      helper.make_node("Reshape", [f"cc_{axis}", "flat"], [f"up_{axis}"]),
                      helper.make_node("Add", [f"up_{axis}", "z"], [f"zp_{axis}"]),
                      helper.make_node("Add", [f"zp_{axis}", c], [out])]
            inits.append(_ints(f"ax_{axis}", [reduce_axis]))
        else:
            nodes.append(helper.make_node("Add", ["z", c], [out]))
    if follow:
        inits += [_ints("last", [3]), _ints("flat", [0, 1, -1])]
    outs = [helper.make_tensor_value_info("simcc_x", TensorProto.FLOAT, ["N", k, W * R]),
            helper.make_tensor_value_info("simcc_y", TensorProto.FLOAT, ["N", k, H * R])]
    return _save(path, nodes, inits, outs[::-1] if swap_outputs else outs)


def spread_peaks(k=17, seed=0):
    """Distinct heatmap cells (x, y) for k keypoints, away from the heatmap's border."""
    rng = np.random.default_rng(seed)
    cells = [(x, y) for x in range(2, W // STRIDE - 2) for y in range(2, H // STRIDE - 2)]
    pick = rng.choice(len(cells), size=k, replace=k > len(cells))
    return [cells[i] for i in pick]


def frames_with_blob(centres, size=(160, 120), side=8):
    """Black frames, each with a red square of ``side`` px centred at ``centres[i]``."""
    out = []
    for cx, cy in centres:
        f = np.zeros((size[1], size[0], 3), np.uint8)
        x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
        f[max(0, y0):y0 + side, max(0, x0):x0 + side] = (255, 0, 0)
        out.append(f)
    return out


def expected_frame_xy(box, uv):
    """Input pixels -> frame pixels through ``box = (x0, y0, w, h)``."""
    return np.array([box[0] + uv[0] * box[2] / W, box[1] + uv[1] * box[3] / H])


@pytest.fixture
def pose_cfg():
    return lambda model, **kw: PoseConfig(backend="onnx", onnx_model=str(model), **kw)


# -- decoding, boxes, mapping (pure functions) -----------------------------------------------------

def test_heatmap_decoding_with_the_quarter_offset():
    hm = np.zeros((1, 2, 16, 12), np.float32)
    hm[0, 0, 5, 3] = 0.9  # a lone peak: no offset
    hm[0, 1, 7, 6] = 0.8
    hm[0, 1, 7, 7] = 0.5  # right neighbour higher than the left: +1/4 cell in x
    hm[0, 1, 6, 6] = 0.3  # upper neighbour higher than the lower: -1/4 cell in y
    uv, score = decode_heatmaps(hm, (W, H))
    np.testing.assert_allclose(uv[0, 0], [3 * STRIDE, 5 * STRIDE])
    np.testing.assert_allclose(uv[0, 1], [(6 + 0.25) * STRIDE, (7 - 0.25) * STRIDE])
    np.testing.assert_allclose(score[0], [0.9, 0.8])


def test_simcc_decoding_takes_the_smaller_maximum():
    sx, sy = np.zeros((1, 1, W * R), np.float32), np.zeros((1, 1, H * R), np.float32)
    sx[0, 0, 21], sy[0, 0, 100] = 0.7, 0.9
    uv, score = decode_simcc(sx, sy, (W, H))
    np.testing.assert_allclose(uv[0, 0], [10.5, 50.0])
    assert score[0, 0] == pytest.approx(0.7)


def test_coco17_and_wholebody_map_to_the_14_joints():
    rng = np.random.default_rng(1)
    xy17 = rng.uniform(0, 100, (1, 17, 2))
    s17 = rng.uniform(0.4, 1.0, (1, 17)).astype(np.float32)
    jxy, jconf = coco_to_joints(xy17, s17)
    assert jxy.shape == (1, NUM_JOINTS, 2) and jconf.shape == (1, NUM_JOINTS)
    coco = {"head": 0, "right_shoulder": 6, "left_shoulder": 5, "right_elbow": 8, "left_elbow": 7,
            "right_wrist": 10, "left_wrist": 9, "right_hip": 12, "left_hip": 11, "right_knee": 14,
            "left_knee": 13, "right_ankle": 16, "left_ankle": 15}
    for name, i in coco.items():
        np.testing.assert_allclose(jxy[0, J[name]], xy17[0, i], rtol=1e-6)
        assert jconf[0, J[name]] == pytest.approx(s17[0, i])
    np.testing.assert_allclose(jxy[0, J["neck"]], (xy17[0, 5] + xy17[0, 6]) / 2, rtol=1e-6)
    assert jconf[0, J["neck"]] == pytest.approx(min(s17[0, 5], s17[0, 6]))
    # WholeBody-133 = the 17 body keypoints, then feet, face and hands: same joints.
    xy133 = np.concatenate([xy17, rng.uniform(0, 100, (1, 116, 2))], axis=1)
    s133 = np.concatenate([s17, np.ones((1, 116), np.float32)], axis=1)
    wxy, wconf = coco_to_joints(xy133, s133)
    np.testing.assert_array_equal(wxy, jxy)
    np.testing.assert_array_equal(wconf, jconf)
    # A missing shoulder leaves the neck missing.
    xy17[0, 6] = np.nan
    s17[0, 6] = 0.0
    jxy, jconf = coco_to_joints(xy17, s17)
    assert np.isnan(jxy[0, J["neck"]]).all() and jconf[0, J["neck"]] == 0.0


def test_box_rules():
    aspect = W / H
    # The whole frame at the input's aspect: 160 x 120 grows to 160 x 213.3, centred.
    np.testing.assert_allclose(fallback_box((160, 120), aspect), [0, 60 - 160 / aspect / 2, 160, 160 / aspect])
    bed = parse_bed_region("0.3,0.1,0.7,0.9")  # 64 x 96 px: the width grows to 72
    box = fallback_box((160, 120), aspect, bed)
    assert box[2] / box[3] == pytest.approx(aspect) and box[1] == pytest.approx(12.0) and box[3] == pytest.approx(96.0)
    assert box[0] + box[2] / 2 == pytest.approx(80.0)
    assert parse_bed_region("") is None
    for bad in ("0.1,0.2,0.3", "0.5,0.1,0.4,0.9", "a,b,c,d", "0,0,1.5,1"):
        with pytest.raises(SemioscopeError, match="bed region"):
            parse_bed_region(bad)
    # Keypoints: bounding box of the confident ones, x 1.25, at the aspect.
    xy = np.array([[40, 30], [60, 90], [50, 60], [150, 5]], np.float64)
    score = np.array([0.9, 0.8, 0.5, 0.1])
    box = keypoint_box(xy, score, (160, 120), aspect, 1.25, 0.3)
    np.testing.assert_allclose(box, fix_aspect(np.array([50 - 12.5, 60 - 37.5, 25, 75]), aspect))
    assert keypoint_box(xy, np.array([0.9, 0.8, 0.1, 0.1]), (160, 120), aspect, 1.25, 0.3) is None
    tiny = keypoint_box(np.full((5, 2), 50.0), np.ones(5), (160, 120), aspect, 1.25, 0.3)
    assert min(tiny[2:]) >= 0.125 * 120 - 1e-9  # never smaller than 1/8 of the frame


# -- the backend on tiny models --------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["heatmap", "simcc"])
def test_known_peaks_decode_to_frame_pixels_through_the_fallback_box(tmp_path, pose_cfg, kind):
    peaks = spread_peaks(17)
    scores = np.linspace(0.5, 0.95, 17)
    if kind == "heatmap":
        model = heatmap_model(tmp_path / "hm.onnx", peaks, scores)
        uv = np.array(peaks, np.float64) * STRIDE
    else:
        model = simcc_model(tmp_path / "simcc.onnx", [(x * STRIDE, y * STRIDE) for x, y in peaks], scores)
        uv = np.array(peaks, np.float64) * STRIDE
    cfg = pose_cfg(model, onnx_box="fixed", bed_region="0.2,0.1,0.8,0.9")
    backend = get_backend("onnx", cfg)
    assert backend.params()["layout"] == kind and backend.params()["input_size"] == [W, H]
    frame = np.zeros((120, 160, 3), np.uint8)
    backend.start((160, 120))
    xy, conf = backend.process(0.0, frame)
    backend.close()
    box = fallback_box((160, 120), W / H, (0.2, 0.1, 0.8, 0.9))
    coco_xy = np.array([expected_frame_xy(box, p) for p in uv])
    np.testing.assert_allclose(xy[J["head"]], coco_xy[0], atol=1e-3)
    np.testing.assert_allclose(xy[J["left_wrist"]], coco_xy[9], atol=1e-3)
    np.testing.assert_allclose(xy[J["right_ankle"]], coco_xy[16], atol=1e-3)
    np.testing.assert_allclose(xy[J["neck"]], (coco_xy[5] + coco_xy[6]) / 2, atol=1e-3)
    assert conf[J["neck"]] == pytest.approx(min(scores[5], scores[6]), abs=1e-6)
    assert conf[J["right_shoulder"]] == pytest.approx(scores[6], abs=1e-6)


def test_simcc_outputs_named_in_the_other_order(tmp_path, pose_cfg):
    peaks = [(10 + i, 20 + i) for i in range(17)]
    a = get_backend("onnx", pose_cfg(simcc_model(tmp_path / "a.onnx", peaks, np.ones(17)), onnx_box="fixed"))
    b = get_backend("onnx", pose_cfg(simcc_model(tmp_path / "b.onnx", peaks, np.ones(17), swap_outputs=True),
                                     onnx_box="fixed"))
    frame = np.zeros((120, 160, 3), np.uint8)
    np.testing.assert_array_equal(a.process(0.0, frame)[0], b.process(0.0, frame)[0])


def test_wholebody_model_gives_the_body_joints(tmp_path, pose_cfg):
    peaks17 = spread_peaks(17, seed=3)
    peaks133 = peaks17 + spread_peaks(116, seed=4)
    scores = np.full(133, 0.9)
    frame = np.zeros((120, 160, 3), np.uint8)
    out = []
    for name, peaks in (("body.onnx", peaks17), ("wholebody.onnx", peaks133)):
        backend = get_backend("onnx", pose_cfg(heatmap_model(tmp_path / name, peaks, scores[:len(peaks)]),
                                               onnx_box="fixed"))
        out.append(backend.process(0.0, frame))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])


@pytest.mark.parametrize("kind", ["heatmap", "simcc"])
def test_the_crop_follows_the_patient(tmp_path, pose_cfg, kind):
    """A model that finds the reddest spot of its crop: the warp, normalisation and decoding bring
    it back to the blob's frame position, wherever the box is."""
    make = heatmap_model if kind == "heatmap" else simcc_model
    model = make(tmp_path / f"{kind}.onnx", [(0, 0)] * 17, np.zeros(17), follow=True)
    centres = [(40.0, 30.0), (120.0, 90.0), (80.0, 60.0)]
    for bed in ("", "0.1,0.1,0.9,0.9"):
        backend = get_backend("onnx", pose_cfg(model, onnx_box="fixed", bed_region=bed))
        xy, conf = backend.process_batch(np.arange(3.0), frames_with_blob(centres, side=30))
        box = fallback_box((160, 120), W / H, parse_bed_region(bed))
        cell = box[2] / W * (STRIDE if kind == "heatmap" else 1)  # one decoding step in frame pixels
        for i, (cx, cy) in enumerate(centres):
            assert conf[i, J["head"]] == pytest.approx(1.0)  # the normalised red peak, clipped to 1
            assert abs(xy[i, J["head"], 0] - cx) <= 15 + cell and abs(xy[i, J["head"], 1] - cy) <= 15 + cell, \
                (bed, i, xy[i, J["head"]], (cx, cy))
    # BGR normalisation puts red in the third channel: the model sees no red, finds nobody.
    backend = get_backend("onnx", pose_cfg(model, onnx_box="fixed", onnx_normalization="imagenet_bgr"))
    xy, conf = backend.process(0.0, frames_with_blob(centres[:1], side=30)[0])
    assert (conf == 0).all() and np.isnan(xy).all()


def test_box_comes_from_the_previous_frame_with_a_fallback(tmp_path, pose_cfg):
    peaks = [(3, 4), (8, 4), (5, 12)] + [(6, 8)] * 14  # cells; all keypoints confident
    scores = np.full(17, 0.9)
    model = heatmap_model(tmp_path / "m.onnx", peaks, scores)
    backend = get_backend("onnx", pose_cfg(model, onnx_batch_size=1))
    frames = [np.zeros((120, 160, 3), np.uint8)] * 3
    xy, conf = backend.process_batch(np.arange(3.0), frames)
    uv = np.array(peaks, np.float64) * STRIDE
    box = fallback_box((160, 120), W / H)  # frame 0: nothing known yet -> the whole frame
    for k in range(3):
        frame_xy = np.array([expected_frame_xy(box, p) for p in uv])
        np.testing.assert_allclose(xy[k, J["head"]], frame_xy[0], atol=1e-3)
        np.testing.assert_allclose(xy[k, J["left_shoulder"]], frame_xy[5], atol=1e-3)
        box = keypoint_box(frame_xy, scores, (160, 120), W / H, 1.25, 0.3)  # the next frame's box
    assert not np.allclose(xy[0], xy[1])  # the box did change
    # Unsure keypoints (0.2 < onnx_box_confidence) never make a box: the fallback every frame.
    low = heatmap_model(tmp_path / "low.onnx", peaks, np.full(17, 0.2))
    xy, conf = get_backend("onnx", pose_cfg(low, onnx_batch_size=1)).process_batch(np.arange(3.0), frames)
    np.testing.assert_allclose(xy[0], xy[2])
    assert conf[0, J["head"]] == pytest.approx(0.2)  # kept in the raw track; cleaning drops it
    # With a batch of 3, all three frames use the box known before the batch (the fallback).
    xy3, _ = get_backend("onnx", pose_cfg(model, onnx_batch_size=3)).process_batch(np.arange(3.0), frames)
    np.testing.assert_allclose(xy3[2], xy3[0])


def test_results_do_not_depend_on_how_frames_are_fed(tmp_path, pose_cfg):
    model = simcc_model(tmp_path / "follow.onnx", [(0, 0)] * 17, np.zeros(17), follow=True)
    centres = [(30 + 7 * k, 20 + 5 * k) for k in range(11)]
    frames = frames_with_blob(centres, side=30)
    times = np.arange(11.0)
    # Fixed box: batch 1 and batch 4 give the same track.
    one = get_backend("onnx", pose_cfg(model, onnx_box="fixed", onnx_batch_size=1)).process_batch(times, frames)
    four = get_backend("onnx", pose_cfg(model, onnx_box="fixed", onnx_batch_size=4)).process_batch(times, frames)
    np.testing.assert_array_equal(one[0], four[0])
    np.testing.assert_array_equal(one[1], four[1])
    # Tracking box: frame by frame, one call, or uneven calls, the same for one batch size.
    peaks = spread_peaks(17, seed=5)
    tracked = heatmap_model(tmp_path / "tracked.onnx", peaks, np.full(17, 0.9))
    cfg = pose_cfg(tracked, onnx_batch_size=4)
    whole = get_backend("onnx", cfg).process_batch(times, frames)
    single = get_backend("onnx", cfg)
    by_frame = [single.process(t, f) for t, f in zip(times, frames)]
    uneven = get_backend("onnx", cfg)
    parts = [uneven.process_batch(times[a:b], frames[a:b]) for a, b in ((0, 3), (3, 4), (4, 10), (10, 11))]
    np.testing.assert_array_equal(whole[0], np.stack([p[0] for p in by_frame]))
    np.testing.assert_array_equal(whole[0], np.concatenate([p[0] for p in parts]))
    # ... and the box moves once per 4 frames (the model's output is fixed relative to its box).
    changes = [k for k in range(1, 11) if not np.allclose(whole[0][k], whole[0][k - 1])]
    assert changes == [4, 8]


def test_fixed_batch_models_are_fed_in_their_batch(tmp_path, pose_cfg):
    model = heatmap_model(tmp_path / "b1.onnx", spread_peaks(17), np.full(17, 0.9), batch=1)
    backend = get_backend("onnx", pose_cfg(model, onnx_box="fixed", onnx_batch_size=8))
    xy, _ = backend.process_batch(np.arange(5.0), [np.zeros((120, 160, 3), np.uint8)] * 5)
    assert xy.shape == (5, NUM_JOINTS, 2) and backend.runtime()["model_batch"] == 1
    np.testing.assert_array_equal(xy[0], xy[4])


def test_cache_key_follows_the_model_file(tmp_path, pose_cfg, numbered_video):
    video = numbered_video(n=10)
    model = tmp_path / "pose.onnx"
    heatmap_model(model, spread_peaks(17, seed=0), np.full(17, 0.9))
    first = get_backend("onnx", pose_cfg(model))
    key1, params1 = cache_key(video, first), first.params()
    assert len(params1["model_sha256"]) == 64 and params1["provider"] in ("CPUExecutionProvider",
                                                                           "CUDAExecutionProvider")
    assert params1["normalization"] == "imagenet" and params1["box"]["refresh_frames"] == 8
    assert cache_key(video, get_backend("onnx", pose_cfg(model))) == key1  # same file, same key
    time.sleep(0.01)
    heatmap_model(model, spread_peaks(17, seed=1), np.full(17, 0.9))  # retrained: same name, new weights
    assert cache_key(video, get_backend("onnx", pose_cfg(model))) != key1
    for change in ({"onnx_normalization": "unit"}, {"bed_region": "0,0,0.5,1"}, {"onnx_box": "fixed"},
                   {"onnx_batch_size": 4}, {"onnx_box_padding": 1.5}):
        assert cache_key(video, get_backend("onnx", pose_cfg(model, **change))) != \
            cache_key(video, get_backend("onnx", pose_cfg(model))), change
    # Cleaning settings are not part of it (the cache holds the raw output).
    assert cache_key(video, get_backend("onnx", pose_cfg(model, min_confidence=0.6))) == \
        cache_key(video, get_backend("onnx", pose_cfg(model)))


# -- errors ----------------------------------------------------------------------------------------

def test_clear_errors_name_the_model_file(tmp_path, pose_cfg, monkeypatch):
    with pytest.raises(SemioscopeError, match="--pose-model"):
        get_backend("onnx", PoseConfig(backend="onnx"))
    missing = tmp_path / "nowhere.onnx"
    with pytest.raises(InputFileError, match="nowhere.onnx: ONNX pose model not found"):
        get_backend("onnx", pose_cfg(missing))
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model at all")
    with pytest.raises(InputFileError, match="junk.onnx: cannot load as an ONNX model"):
        get_backend("onnx", pose_cfg(junk)).params()
    # A classifier-like output [N, 17] and a one-channel input are not pose models.
    nodes = [helper.make_node("ReduceMean", ["input", "ax"], ["m"], keepdims=0),
             helper.make_node("Reshape", ["m", "shape"], ["flat"]),
             helper.make_node("Tile", ["flat", "reps"], ["logits"])]
    inits = [_ints("ax", [2, 3]), _ints("shape", [-1, 1]), _ints("reps", [1, 17])]
    out = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 17])]
    wrong = _save(tmp_path / "classifier.onnx", nodes, inits, out, in_channels=1)
    with pytest.raises(InputFileError, match=r"classifier.onnx: not a top-down pose model.*\[N, 3, H, W\]"):
        get_backend("onnx", pose_cfg(wrong)).params()
    nodes[0] = helper.make_node("ReduceMean", ["input", "ax"], ["m3"], keepdims=0)
    nodes.insert(1, helper.make_node("ReduceMean", ["m3", "ax1"], ["m"], keepdims=1))
    inits.append(_ints("ax1", [1]))
    wrong = _save(tmp_path / "classifier3.onnx", nodes, inits, out)
    with pytest.raises(InputFileError, match=r"classifier3.onnx: not a heatmap .* or SimCC"):
        get_backend("onnx", pose_cfg(wrong)).params()
    with pytest.raises(InputFileError, match=r"k20.onnx: 20 keypoints per person; supported: 17"):
        get_backend("onnx", pose_cfg(heatmap_model(tmp_path / "k20.onnx", spread_peaks(20), np.ones(20)))).params()
    model = heatmap_model(tmp_path / "ok.onnx", spread_peaks(17), np.ones(17))
    with pytest.raises(SemioscopeError, match="onnx_normalization"):
        get_backend("onnx", pose_cfg(model, onnx_normalization="imagenet-rgb"))
    import onnxruntime

    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        with pytest.raises(SemioscopeError, match="onnxruntime offers only"):
            get_backend("onnx", pose_cfg(model, onnx_provider="cuda")).params()
    monkeypatch.setitem(__import__("sys").modules, "onnxruntime", None)  # as if not installed
    with pytest.raises(SemioscopeError, match=r"semioscope\[onnx\]"):
        get_backend("onnx", pose_cfg(model)).params()


# -- end to end ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def synthetic_video(tmp_path_factory):
    from inference.synth.generator import SynthConfig, generate_recording

    folder = tmp_path_factory.mktemp("onnx_video")
    return generate_recording(folder / "rec.mp4", "s01", "rec", seed=3, config=SynthConfig(size=(160, 120)),
                              duration_s=3.0)


def test_pose_command_with_an_onnx_model(tmp_path, synthetic_video, capsys):
    from app.cli import main

    video = Path(synthetic_video.video)
    model = simcc_model(tmp_path / "tiny.onnx", [(0, 0)] * 17, np.zeros(17), follow=True)
    out = tmp_path / "track.npz"
    argv = ["pose", str(video), "--backend", "onnx", "--pose-model", str(model), "--out", str(out),
            "--cache-dir", str(tmp_path / "cache")]
    assert main(argv) == 0, capsys.readouterr().err
    track = KeypointTrack.load(out)
    assert len(track) == 18 and track.source == "onnx" and track.frame_size == (160, 120)
    params = track.meta["backend_params"]
    assert params["layout"] == "simcc" and params["model"] == "tiny.onnx" and len(params["model_sha256"]) == 64
    assert "from cache" not in capsys.readouterr().out
    assert main(argv) == 0
    assert "(from cache)" in capsys.readouterr().out
    cached = list((tmp_path / "cache").glob("*.npz"))
    assert len(cached) == 1
    raw = KeypointTrack.load(cached[0])
    assert raw.meta["backend_runtime"]["providers"][-1] == "CPUExecutionProvider"
    assert raw.meta.get("pose_workers") is None  # one process: the model uses the cores itself
    # --pose-model alone implies --backend onnx; a missing model fails with its name, exit 1.
    assert main(["pose", str(video), "--pose-model", str(tmp_path / "gone.onnx"), "--no-cache"]) == 1
    assert "gone.onnx: ONNX pose model not found" in capsys.readouterr().err


def test_analyze_and_train_take_the_onnx_model(tmp_path, synthetic_video):
    import argparse

    from app.commands import analyze, train
    from inference.training.data import KeypointSource, load_track

    model = heatmap_model(tmp_path / "m.onnx", spread_peaks(17), np.full(17, 0.9))
    p = argparse.ArgumentParser()
    analyze.add_arguments(p)
    args = p.parse_args(["v.mp4", "--model", "runs/x", "--out", "o", "--keypoints", "onnx", "--pose-model", str(model)])
    cfg = analyze.engine_config(args)
    assert cfg.pose_backend == "onnx" and cfg.pose.onnx_model == str(model.resolve()) and cfg.pose_workers == 1
    bad = p.parse_args(["v.mp4", "--model", "r", "--out", "o", "--keypoints", "gt", "--pose-model", str(model)])
    with pytest.raises(SemioscopeError, match="--keypoints onnx"):
        analyze.engine_config(bad)
    p = argparse.ArgumentParser()
    train.add_arguments(p)
    args = p.parse_args(["--manifest", "m.csv", "--out", "r", "--keypoints", "onnx", "--pose-model", str(model)])
    assert args.keypoints == "onnx" and args.pose_model == str(model)
    # Training data: `onnx` is a pose source through the pose cache, keyed by the model.
    source = KeypointSource("onnx", pose_workers=0)
    assert source.is_pose
    raw, ident = load_track(synthetic_video, source, PoseConfig(onnx_model=str(model)),
                            pose_cache_dir=str(tmp_path / "pc"))
    assert ident["backend"] == "onnx" and ident["params"]["model_sha256"] and len(raw) == 18
    assert len(list((tmp_path / "pc").glob("*.npz"))) == 1


def test_cpu_throughput_of_the_tiny_model(tmp_path, pose_cfg, capsys):
    """Not a benchmark: the per-frame overhead (crop, normalise, decode) stays small."""
    model = simcc_model(tmp_path / "t.onnx", [(0, 0)] * 17, np.zeros(17), follow=True)
    frames = frames_with_blob([(80, 60)] * 64, size=(640, 480))
    backend = get_backend("onnx", pose_cfg(model, onnx_box="fixed"))
    backend.process_batch(np.arange(8.0), frames[:8])  # warm-up
    t0 = time.perf_counter()
    backend.process_batch(np.arange(64.0), frames)
    rate = 64 / (time.perf_counter() - t0)
    with capsys.disabled():
        print(f"\ntiny ONNX pose model, 640x480 frames, CPU: {rate:.0f} frames/s")
    assert rate > 20
    json.dumps(backend.params())  # JSON-able (it goes into the cache key and the track)


def test_the_engine_poses_frame_by_frame_as_the_batched_path_does(tmp_path):
    """`analyze --keypoints onnx` poses live, one frame per call; the track equals the batched one."""
    pytest.importorskip("torch")
    from app_helpers import make_tiny_run  # imports torch

    from inference.analysis.batch import analyze_video
    from inference.analysis.settings import EngineConfig
    from inference.core.config import EventConfig
    from inference.pose.estimate import estimate_track
    from inference.synth.generator import SynthConfig, generate_recording

    video = generate_recording(tmp_path / "six.mp4", "s01", "six", seed=4, config=SynthConfig(size=(160, 120)),
                               duration_s=6.0).video
    run = make_tiny_run(tmp_path / "run", keypoint_source="onnx", events=EventConfig(min_duration_s=0.0))
    onnx_model = heatmap_model(tmp_path / "m.onnx", spread_peaks(17, seed=2), np.full(17, 0.9))
    pose = PoseConfig(backend="onnx", onnx_model=str(onnx_model))
    res = analyze_video(video, run, tmp_path / "six.result.npz",
                        EngineConfig(pose_backend="onnx", pose=pose, pose_workers=1, device="cpu",
                                     cache_dir=str(tmp_path / "pose_cache")))
    batched = estimate_track(video, pose)  # groups of 8 frames through process_batch, then cleaned
    assert len(res.keypoints) == len(batched) == 36
    np.testing.assert_allclose(res.keypoints.xy, batched.xy, atol=1e-4)
    np.testing.assert_allclose(res.keypoints.conf, batched.conf, atol=1e-6)
    assert len(list((tmp_path / "pose_cache").glob("*.npz"))) == 1  # the live track went to the pose cache

"""Joint-centric clips: centring on the right pixels, zero padding, shapes, mask rule, helpers."""
from __future__ import annotations

import numpy as np
import pytest

from inference.core.config import ClipConfig, SegmentConfig
from inference.detector.clips import (
    CLIP_MEAN,
    CLIP_STD,
    MIN_PRESENT_FRACTION,
    JointClips,
    contact_sheet,
    crop_joint_clips,
    stack_clips,
    to_float,
    window_frames,
    window_is_complete,
)
from inference.pose.joints import NUM_JOINTS
from inference.pose.keypoints import KeypointTrack

W, H, T = 640, 480, 30
CFG = ClipConfig(input_size=32)  # side at 480p: round(128 * 480 / 1080) = 57 px


def _joint_colour(j: int) -> np.ndarray:
    return np.array([40 + 15 * j, 255 - 15 * j, (97 * j) % 256], dtype=np.uint8)


def _marked_window(rng):
    """Frames with a 7x7 mark of joint j's colour at joint j's position (moving per frame)."""
    base = np.array([[45 + 90 * (j % 7), 120 + 240 * (j // 7)] for j in range(NUM_JOINTS)], dtype=np.float64)
    xy = base[None] + rng.integers(-10, 11, size=(T, NUM_JOINTS, 2))
    frames = np.zeros((T, H, W, 3), dtype=np.uint8)
    for t in range(T):
        for j in range(NUM_JOINTS):
            x, y = xy[t, j].astype(int)
            frames[t, y - 3:y + 4, x - 3:x + 4] = _joint_colour(j)
    return frames, xy


def test_each_clip_is_centred_on_its_joint():
    rng = np.random.default_rng(0)
    frames, xy = _marked_window(rng)
    jc = crop_joint_clips(frames, xy, np.ones((T, NUM_JOINTS), np.float32), CFG)
    S = CFG.input_size
    assert jc.clips.shape == (NUM_JOINTS, T, 3, S, S) and jc.clips.dtype == np.uint8
    centre = (S - 1) / 2.0
    rows = np.arange(S)[:, None]
    cols = np.arange(S)[None, :]
    for j in range(NUM_JOINTS):
        for t in (0, 13, 29):
            img = jc.clips[j, t].astype(np.float64)  # [3, S, S]
            weight = img.sum(axis=0)
            assert weight.sum() > 0
            cy = (weight * rows).sum() / weight.sum()
            cx = (weight * cols).sum() / weight.sum()
            assert abs(cy - centre) < 0.6 and abs(cx - centre) < 0.6, (j, t, cx, cy)
            # The mark in joint j's clip has joint j's colour (joint order is kept).
            rgb = img[:, int(centre), int(centre)]
            assert np.abs(rgb - _joint_colour(j)).max() <= 2, (j, t, rgb)


def test_positions_are_normalised_with_confidence():
    rng = np.random.default_rng(1)
    frames, xy = _marked_window(rng)
    conf = rng.uniform(0.4, 1.0, size=(T, NUM_JOINTS)).astype(np.float32)
    jc = crop_joint_clips(frames, xy, conf, CFG)
    assert jc.positions.shape == (NUM_JOINTS, T, 3) and jc.positions.dtype == np.float32
    np.testing.assert_allclose(jc.positions[..., 0], xy[..., 0].T / W, rtol=1e-6)
    np.testing.assert_allclose(jc.positions[..., 1], xy[..., 1].T / H, rtol=1e-6)
    np.testing.assert_allclose(jc.positions[..., 2], conf.T)


def test_outside_the_frame_is_zero_padding():
    frames = np.full((T, H, W, 3), 255, dtype=np.uint8)
    xy = np.full((T, NUM_JOINTS, 2), 200.0)
    xy[:, 0] = (0, 0)  # top-left corner: three quarters of the crop lie outside
    xy[:, 1] = (W - 1, H - 1)  # bottom-right corner
    xy[:, 2] = (-500, 100)  # far outside: the whole crop is padding
    jc = crop_joint_clips(frames, xy, np.ones((T, NUM_JOINTS), np.float32), CFG)
    c = jc.clips
    # crop pixel 28 is the joint; rows/cols < 15 of 32 come from crop pixels < 27 (outside)
    assert c[0, :, :, :15, :].max() == 0 and c[0, :, :, :, :15].max() == 0
    assert c[0, :, :, 17:, 17:].min() == 255
    assert c[1, :, :, 17:, :].max() == 0 and c[1, :, :, :, 17:].max() == 0
    assert c[1, :, :, :15, :15].min() == 255
    assert c[2].max() == 0
    assert c[3].min() == 255  # fully inside


def test_missing_joints_give_zero_crops_and_the_mask_rule():
    rng = np.random.default_rng(2)
    frames = rng.integers(1, 255, size=(T, H, W, 3), dtype=np.uint8)
    xy = np.full((T, NUM_JOINTS, 2), 240.0)
    conf = np.ones((T, NUM_JOINTS), np.float32)
    half = int(np.ceil(MIN_PRESENT_FRACTION * T))
    conf[half:, 4] = 0.0  # present in exactly half the frames -> valid
    conf[half - 1:, 5] = 0.0  # one frame fewer -> masked
    xy[:, 6] = np.nan  # no coordinates at all -> masked
    conf[:, 7] = 0.2  # present only above min_conf = 0.3 -> masked
    jc = crop_joint_clips(frames, xy, conf, CFG, min_conf=0.3)
    assert jc.mask.dtype == bool and jc.mask.shape == (NUM_JOINTS,)
    expected = np.ones(NUM_JOINTS, bool)
    expected[[5, 6, 7]] = False
    np.testing.assert_array_equal(jc.mask, expected)
    assert jc.clips[4, half:].max() == 0 and jc.clips[4, :half].max() > 0
    assert np.all(jc.positions[4, half:] == 0) and np.all(jc.positions[6] == 0)
    assert np.all(np.isfinite(jc.positions))


def test_tiled_resize_equals_resizing_each_crop():
    import cv2

    rng = np.random.default_rng(3)
    frames = rng.integers(0, 256, size=(4, H, W, 3), dtype=np.uint8)
    xy = rng.uniform(-40, 680, size=(4, NUM_JOINTS, 2))
    jc = crop_joint_clips(frames, xy, np.ones((4, NUM_JOINTS), np.float32), CFG)
    side = CFG.crop_side(H)
    pad = np.pad(frames, ((0, 0), (side, side), (side, side), (0, 0)))
    origin = np.round(xy - (side - 1) / 2).astype(int)
    for t in range(4):
        for j in range(NUM_JOINTS):
            x0, y0 = np.clip(origin[t, j], -side, [W, H])
            crop = pad[t, y0 + side:y0 + 2 * side, x0 + side:x0 + 2 * side]
            ref = cv2.resize(crop, (32, 32), interpolation=cv2.INTER_AREA).transpose(2, 0, 1)
            assert np.abs(ref.astype(int) - jc.clips[j, t]).max() <= 1


def test_upscaling_small_videos_and_gaussian_weighting():
    frames = np.full((3, 48, 64, 3), 200, dtype=np.uint8)  # crop side 8 px < S = 16
    xy = np.full((3, NUM_JOINTS, 2), 30.0)
    conf = np.ones((3, NUM_JOINTS), np.float32)
    plain = crop_joint_clips(frames, xy, conf, ClipConfig(input_size=16))
    assert plain.clips.shape == (NUM_JOINTS, 3, 3, 16, 16) and plain.clips.min() == 200
    weighted = crop_joint_clips(frames, xy, conf, ClipConfig(input_size=16, gaussian_weighting=True))
    c = weighted.clips[0, 0, 0].astype(int)
    assert c[7:9, 7:9].min() >= 190 and c[0, 0] < 40  # centre kept, corners damped


def test_stack_and_to_float():
    a = JointClips(np.zeros((NUM_JOINTS, 30, 3, 8, 8), np.uint8), np.zeros((NUM_JOINTS, 30, 3), np.float32),
                   np.ones(NUM_JOINTS, bool))
    b = JointClips(np.full((NUM_JOINTS, 30, 3, 8, 8), 255, np.uint8), np.ones((NUM_JOINTS, 30, 3), np.float32),
                   np.zeros(NUM_JOINTS, bool))
    clips, pos, mask = stack_clips([a, b])
    assert clips.shape == (2, NUM_JOINTS, 30, 3, 8, 8) and clips.dtype == np.uint8
    assert pos.shape == (2, NUM_JOINTS, 30, 3) and mask.shape == (2, NUM_JOINTS)
    assert mask[0].all() and not mask[1].any()
    f = to_float(clips)
    assert f.dtype == np.float32
    assert np.allclose(f[0], (0 - CLIP_MEAN[0]) / CLIP_STD[0]) and np.allclose(f[1], (1 - CLIP_MEAN[0]) / CLIP_STD[0])
    torch = pytest.importorskip("torch")
    ft = to_float(torch.from_numpy(clips))
    assert isinstance(ft, torch.Tensor) and ft.dtype == torch.float32
    np.testing.assert_allclose(ft.numpy(), f, atol=1e-6)
    with pytest.raises(ValueError):
        stack_clips([])


def test_window_frames_maps_a_window_to_its_30_samples():
    times = np.arange(120) / 6.0  # 20 s at 6 fps
    track = KeypointTrack(times, np.zeros((120, NUM_JOINTS, 2)), np.ones((120, NUM_JOINTS)), (W, H))
    seg = SegmentConfig()
    np.testing.assert_array_equal(window_frames(track, 5.0, seg), np.arange(30, 60))
    np.testing.assert_array_equal(window_frames(track, 0.0, seg), np.arange(30))
    assert window_is_complete(track, 15.0, seg)  # samples 90..119
    assert not window_is_complete(track, 15.5, seg)  # runs past the end


def test_contact_sheet_layout():
    rng = np.random.default_rng(4)
    frames, xy = _marked_window(rng)
    conf = np.ones((T, NUM_JOINTS), np.float32)
    conf[:, 3] = 0
    jc = crop_joint_clips(frames, xy, conf, CFG)
    sheet = contact_sheet(jc, frames=5, tile=40, label_width=100)
    assert sheet.dtype == np.uint8 and sheet.shape == (22 + NUM_JOINTS * 42, 100 + 5 * 42, 3)
    # Joint 0's first tile shows its mark (joint 0's colour) in the middle.
    tile = sheet[22:22 + 40, 100:140]
    assert np.abs(tile[20, 20].astype(int) - _joint_colour(0)).max() <= 2
    # Joint 3 is missing everywhere: its tiles are black inside a red border.
    y = 22 + 3 * 42
    assert tile.shape == (40, 40, 3) and sheet[y + 20, 120].max() == 0 and sheet[y, 120, 0] == 200
    with pytest.raises(ValueError):
        contact_sheet(jc, frames=[0, 30])


def test_a_list_of_frames_gives_the_same_clips_as_an_array():
    rng = np.random.default_rng(5)
    frames, xy = _marked_window(rng)
    conf = np.ones((T, NUM_JOINTS), np.float32)
    a = crop_joint_clips(frames, xy, conf, CFG)
    b = crop_joint_clips(list(frames), xy, conf, CFG)
    np.testing.assert_array_equal(a.clips, b.clips)
    np.testing.assert_array_equal(a.positions, b.positions)
    with pytest.raises(ValueError, match="uint8"):
        crop_joint_clips(frames.astype(np.float32), xy, conf, CFG)
    with pytest.raises(ValueError, match="differ"):
        crop_joint_clips([frames[0], frames[1][:10]] + list(frames[2:]), xy, conf, CFG)

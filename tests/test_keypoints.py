"""KeypointTrack files: round trip, byte-identical saves, clear errors on bad files."""
from __future__ import annotations

import time

import numpy as np
import pytest

from inference.core.errors import InputFileError
from inference.pose.keypoints import KeypointTrack


def _track():
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 64, (7, 14, 2)).astype(np.float32)
    xy[3, 5] = np.nan
    conf = rng.uniform(0, 1, (7, 14)).astype(np.float32)
    return KeypointTrack(np.arange(7) / 6.0, xy, conf, (64, 48), "synthetic-gt", {"seed": 3})


def test_round_trip_and_identical_bytes(tmp_path):
    t = _track()
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    t.save(a)
    time.sleep(1.1)  # zip entries carry a timestamp unless fixed
    t.save(b)
    assert a.read_bytes() == b.read_bytes()
    u = KeypointTrack.load(a)
    np.testing.assert_array_equal(u.xy, t.xy)
    np.testing.assert_array_equal(u.conf, t.conf)
    np.testing.assert_array_equal(u.times, t.times)
    assert u.frame_size == (64, 48) and u.source == "synthetic-gt" and u.meta == {"seed": 3}
    assert u.valid()[3, 5] == False  # noqa: E712  (NaN position is missing)


def test_bad_files_are_named(tmp_path):
    with pytest.raises(InputFileError, match="missing.npz.*not found"):
        KeypointTrack.load(tmp_path / "missing.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(InputFileError, match="junk.npz"):
        KeypointTrack.load(junk)
    other = tmp_path / "other.npz"
    np.savez(other, header=np.frombuffer(b'{"format": "x"}', dtype=np.uint8), times=np.zeros(1),
             xy=np.zeros((1, 14, 2)), conf=np.zeros((1, 14)))
    with pytest.raises(InputFileError, match="not a Semioscope keypoint file"):
        KeypointTrack.load(other)
    for header, problem in ((b'{"format": "semioscope.keypoints", "version": "1"}', "malformed version"),
                            (b'[1]', "top level is a JSON list")):
        np.savez(other, header=np.frombuffer(header, dtype=np.uint8), times=np.zeros(1),
                 xy=np.zeros((1, 14, 2)), conf=np.zeros((1, 14)))
        with pytest.raises(InputFileError, match=f"other.npz.*{problem}"):
            KeypointTrack.load(other)


def test_shape_checks():
    with pytest.raises(ValueError, match="xy must be"):
        KeypointTrack(np.zeros(3), np.zeros((3, 13, 2)), np.zeros((3, 14)), (10, 10))

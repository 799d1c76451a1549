"""The one cache root and `semioscope cache`: list, clear, trim to a budget."""
from __future__ import annotations

import os
import time

import pytest

from app.cli import main
from inference.core.cache import cache_root, parse_size, trim_caches


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("SEMIOSCOPE_CACHE_DIR", str(tmp_path / "c"))
    r = tmp_path / "c"
    for i, (kind, name, size) in enumerate([("pose", "a.npz", 3000), ("pose", "b.npz", 1000),
                                            ("index", "x.npz", 500), ("clips", "k1/clips.npy", 4000),
                                            ("demo", "model/run.json", 100)]):
        f = r / kind / name
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(b"x" * size)
        os.utime(f, (time.time() - 1000 + i * 100,) * 2)  # a.npz oldest, run.json newest
    return r


def test_root_follows_the_environment(root, monkeypatch):
    assert cache_root() == root
    monkeypatch.delenv("SEMIOSCOPE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "/tmp/xdg-test")
    assert str(cache_root()) == "/tmp/xdg-test/semioscope"


def test_list_clear_and_budget(root, capsys):
    assert main(["cache"]) == 0
    out = capsys.readouterr().out
    assert f"cache root: {root}" in out and "pose         2 entries" in out and "clips        1 entries" in out
    assert main(["cache", "--budget", "6K"]) == 0  # 8500 bytes derived: the oldest goes first
    assert not (root / "pose/a.npz").exists() and (root / "clips/k1").exists() and (root / "pose/b.npz").exists()
    assert main(["cache", "--clear", "pose"]) == 0
    assert not list((root / "pose").iterdir()) and (root / "index/x.npz").exists()
    assert main(["cache", "--clear"]) == 0
    assert not (root / "clips/k1").exists() and (root / "demo/model/run.json").exists()  # the demo stays


def test_sizes_and_bad_budget(root, capsys):
    assert parse_size("500M") == 500 << 20 and parse_size("1.5G") == int(1.5 * (1 << 30)) and parse_size("2048") == 2048
    assert trim_caches(10 ** 9) == 0
    assert main(["cache", "--budget", "lots"]) == 2
    assert "--budget 'lots'" in capsys.readouterr().err

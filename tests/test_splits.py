"""Subject-wise splits: disjoint, deterministic, stratified by seizure type."""
from __future__ import annotations

from pathlib import Path

import pytest

from inference.core.config import SplitConfig
from inference.dataset.manifest import FBTC, FOCAL, NO_SEIZURE, Manifest, Recording, Seizure
from inference.dataset.splits import SubjectSplit, loso_folds, n_val_subjects, split_subjects, subject_strata


def manifest(types: list[str], recordings_per_subject: int = 2) -> Manifest:
    recs = []
    for i, t in enumerate(types):
        for k in range(recordings_per_subject):
            sz = () if t == NO_SEIZURE else (Seizure(60.0, 65.0, 120.0),)
            recs.append(Recording(f"pat{i:02d}_Sz{k + 1}", f"pat{i:02d}", Path(f"pat{i:02d}/Sz{k + 1}.mp4"),
                                  t, sz, 300.0))
    return Manifest(recs)


def paper_like() -> Manifest:  # 14 subjects as in the paper: 6 fbtc, 8 focal
    return manifest([FBTC] * 6 + [FOCAL] * 8)


def assert_disjoint(split: SubjectSplit, all_subjects: list[str]) -> None:
    tr, va, te = set(split.train), set(split.val), set(split.test)
    assert not tr & te and not va & te and not tr & va
    assert sorted(tr | va | te) == sorted(all_subjects)
    assert len(split.train) + len(split.val) + len(split.test) == len(all_subjects)


def test_paper_split_sizes_and_both_types_in_test():
    m = paper_like()
    strata = subject_strata(m)
    split = split_subjects(m, SplitConfig(n_test_subjects=5, val_fraction=0.2, seed=0))
    assert len(split.test) == 5 and len(split.val) == 2 and len(split.train) == 7
    assert {strata[s] for s in split.test} == {FBTC, FOCAL}
    assert {strata[s] for s in split.train} == {FBTC, FOCAL}  # both types also left to train on
    assert_disjoint(split, m.subjects)


@pytest.mark.parametrize("n_subjects", range(1, 17))
def test_never_a_subject_in_two_roles(n_subjects):
    types = [(FBTC, FOCAL, NO_SEIZURE)[i % 3] if i % 5 else FOCAL for i in range(n_subjects)]
    m = manifest(types, recordings_per_subject=1)
    for seed in range(25):
        for n_test in (1, 2, 5):
            split = split_subjects(m, SplitConfig(n_test_subjects=n_test, val_fraction=0.25, seed=seed))
            assert_disjoint(split, m.subjects)
            assert len(split.train) >= 1  # something to train on, always
            if n_subjects >= 2:
                assert len(split.test) == min(n_test, n_subjects - 1)
            if len(split.train) + len(split.val) >= 3:
                assert len(split.val) >= 1
            for s in m.subjects:
                assert split.role(s) in ("train", "val", "test")


def test_deterministic_and_seed_dependent():
    m = paper_like()
    a = split_subjects(m, SplitConfig(seed=3))
    b = split_subjects(m, SplitConfig(seed=3))
    assert a == b
    tests = {tuple(split_subjects(m, SplitConfig(seed=s)).test) for s in range(10)}
    assert len(tests) > 1  # the seed matters
    # Order of recordings in the manifest does not matter.
    shuffled = Manifest(list(reversed(m.recordings)))
    assert split_subjects(shuffled, SplitConfig(seed=3)) == a


def test_both_types_in_test_for_every_seed_when_possible():
    m = manifest([FBTC] * 2 + [FOCAL] * 10 + [NO_SEIZURE] * 2)
    strata = subject_strata(m)
    for seed in range(30):
        split = split_subjects(m, SplitConfig(n_test_subjects=3, seed=seed))
        assert {FBTC, FOCAL} <= {strata[s] for s in split.test}
        assert FBTC in {strata[s] for s in split.train + split.val}  # one fbtc kept back


def test_role_and_round_trip():
    split = SubjectSplit(["a", "b"], ["c"], ["d"])
    assert [split.role(s) for s in "abcd"] == ["train", "train", "val", "test"]
    assert split.role("zz") is None
    assert SubjectSplit.from_dict(split.to_dict()) == split
    with pytest.raises(ValueError, match="'a' is in both train and test"):
        SubjectSplit(["a"], [], ["a"])


def test_n_val_subjects():
    assert [n_val_subjects(n, 0.2) for n in range(0, 12)] == [0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2]
    assert n_val_subjects(9, 0.0) == 0


def test_loso_folds():
    m = paper_like()
    strata = subject_strata(m)
    folds = loso_folds(m, seed=1)
    assert [f.test for f in folds] == [[s] for s in m.subjects]
    for f in folds:
        assert_disjoint(f, m.subjects)
        assert len(f.val) == 1 and len(f.train) == 12
        assert strata[f.val[0]] == strata[f.test[0]]  # validated on the same seizure type
    assert loso_folds(m, seed=1) == folds
    two = loso_folds(manifest([FOCAL, FBTC]))
    assert [(f.train, f.val, f.test) for f in two] == [(["pat01"], [], ["pat00"]), (["pat00"], [], ["pat01"])]

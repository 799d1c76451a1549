"""Split plans that fit the data: the requested split when it leaves 2 train / 1 val / 1 test
subjects with seizures, an adapted one (said so) when it does not, and a fast error with the
remedy when nothing fits; `train` and `evaluate` apply them before decoding anything."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from app.cli import main
from inference.core.config import SplitConfig
from inference.core.errors import SplitError
from inference.dataset.manifest import FBTC, FOCAL, NO_SEIZURE, Manifest, Recording, Seizure, save_manifest
from inference.dataset.split_plan import check_stored_split, plan_split
from inference.dataset.splits import SubjectSplit, subject_strata
from inference.synth.generator import SynthConfig, generate_dataset


def manifest(types: list[str]) -> Manifest:
    recs = []
    for i, t in enumerate(types):
        sz = () if t == NO_SEIZURE else (Seizure(60.0, 65.0, 120.0),)
        recs.append(Recording(f"sub{i + 1:02d}_r1", f"sub{i + 1:02d}", Path(f"sub{i + 1:02d}.mp4"), t, sz, 300.0))
    return Manifest(recs, path=Path("m.csv"))


def alternating(n: int) -> list[str]:
    return [FOCAL if i % 2 == 0 else FBTC for i in range(n)]


def test_requested_split_kept_when_it_fits():
    plan = plan_split(manifest(alternating(14)), SplitConfig(n_test_subjects=5))
    assert not plan.adapted and len(plan.split.test) == 5 and "adapted" not in plan.to_dict()


@pytest.mark.parametrize("n, sizes", [(4, (1, 1, 2)), (5, (2, 1, 2)), (6, (3, 1, 2)), (7, (4, 1, 2))])
def test_too_few_subjects_for_the_default_split_are_adapted(n, sizes):
    m = manifest(alternating(n))
    plan = plan_split(m)  # default: 5 test subjects
    split = plan.split
    assert (len(split.test), len(split.val), len(split.train)) == sizes
    assert plan.adapted and "adapted to" in plan.note and "5 test subjects" in plan.note
    strata = subject_strata(m)
    if len(split.test) >= 2:
        assert {strata[s] for s in split.test} == {FOCAL, FBTC}  # both seizure types in test
    record = plan.to_dict()
    assert record["adapted_from"]["n_test_subjects"] == 5 and record["n_test_subjects"] == sizes[0]


def test_adapted_split_keeps_a_subject_with_seizures_in_every_part():
    m = manifest([FOCAL, FBTC, FOCAL, NO_SEIZURE, NO_SEIZURE])
    plan = plan_split(m, SplitConfig(n_test_subjects=2))
    strata = subject_strata(m)
    for role in ("train", "val", "test"):
        assert any(strata[s] != NO_SEIZURE for s in getattr(plan.split, role)), role


@pytest.mark.parametrize("types, expect", [
    (alternating(3), "--no-eval"),
    (alternating(2), "--subjects 6"),
    ([FOCAL, FBTC, NO_SEIZURE, NO_SEIZURE, NO_SEIZURE], "more subjects with seizures"),
])
def test_no_split_fits_names_the_counts_and_the_remedy(types, expect):
    with pytest.raises(SplitError) as exc:
        plan_split(manifest(types))
    msg = str(exc.value)
    n_sz = sum(t != NO_SEIZURE for t in types)
    assert msg.startswith("m.csv: ") and f"{len(types)} subjects ({n_sz} with seizures" in msg
    assert "at least 4 subjects, 3 of them with seizures" in msg and expect in msg


def test_explicit_validation_count_and_training_without_test():
    m = manifest(alternating(8))
    assert len(plan_split(m, SplitConfig(n_test_subjects=2), n_val=3).split.val) == 3
    # `train --no-eval`: held-out subjects are kept where possible, not required.
    plan = plan_split(manifest(alternating(3)), need_test=False)
    assert (len(plan.split.train), len(plan.split.val), plan.split.test) == (2, 1, []) and plan.adapted
    assert len(plan_split(manifest(alternating(5)), need_test=False).split.test) == 2


def test_stored_split_must_be_in_the_manifest():
    m = manifest(alternating(4))
    assert check_stored_split(SubjectSplit(["sub01"], ["sub02"], ["sub03", "sub09"]), m, "run.json") == [
        "test subjects sub09 of run.json are not in m.csv: evaluating on sub03 only"]
    with pytest.raises(SplitError, match="none of the run's test subjects"):
        check_stored_split(SubjectSplit([], [], ["pat07"]), m, "run.json")
    with pytest.raises(SplitError, match="no test subjects"):
        check_stored_split(SubjectSplit(["sub01"], ["sub02"], []), m, "run.json")


# -- through `semioscope train` on real (small) recordings -----------------------------------------

@pytest.fixture(scope="module")
def four_subjects(tmp_path_factory):
    out = tmp_path_factory.mktemp("four")
    cfg = SynthConfig(size=(160, 120), duration_s=(45.0, 55.0), recordings_per_subject=(1, 1), staff_probability=0.0)
    return generate_dataset(out, 4, seed=2, config=cfg, workers=1)


@pytest.mark.slow
def test_train_with_default_split_on_four_subjects_adapts_and_trains(four_subjects, tmp_path, capsys):
    run = tmp_path / "run"
    rc = main(["train", "--manifest", str(four_subjects.path), "--out", str(run), "--epochs", "1",
               "--device", "cpu", "--threads", "1", "--cache-dir", str(tmp_path / "cache")])
    assert rc == 0
    cap = capsys.readouterr()
    out = cap.out + cap.err
    assert "too few for the requested split (5 test subjects" in out and "adapted to 1 test, 1 validation and 2 " \
                                                                          "training subjects" in out
    rcj = json.loads((run / "run.json").read_text())
    assert [len(rcj["split"][r]) for r in ("train", "val", "test")] == [2, 1, 1]
    assert rcj["split"]["adapted_from"]["n_test_subjects"] == 5
    # One validation subject: the epoch/threshold choice is flagged as resting on too little data.
    assert any("too little data" in w for w in rcj["training"]["warnings"])
    last = cap.out.strip().splitlines()[-1]
    assert last.startswith("test: ") and "false alarms" in last.split(";")[0]  # the summary leads with them


def test_train_on_three_subjects_fails_fast_with_the_remedy(four_subjects, tmp_path, capsys):
    three = Manifest([r for r in four_subjects if r.subject_id != "sub04"])
    path = save_manifest(three, four_subjects.path.parent / "three.csv")
    t0 = time.perf_counter()
    rc = main(["train", "--manifest", str(path), "--out", str(tmp_path / "run"), "--device", "cpu"])
    elapsed = time.perf_counter() - t0
    assert rc == 2 and elapsed < 5.0, elapsed
    err = capsys.readouterr().err
    assert "3 subjects (3 with seizures" in err and "--no-eval" in err and "--subjects 6" in err
    assert not (tmp_path / "run").exists()  # nothing prepared, nothing written


def test_forecast_evaluate_checks_subjects_before_loading_anything(four_subjects, tmp_path, capsys):
    # 4-shot draws take one clip per subject per turn: all 4 subjects give shots, none is left to test.
    rc = main(["forecast", "evaluate", "--model", str(tmp_path / "no-such-model"), "--manifest",
               str(four_subjects.path), "--out", str(tmp_path / "report"), "--shots", "4", "--guard-s", "5"])
    err = capsys.readouterr().err
    assert rc == 2 and "too few for 4-shot draws" in err and "fewer --shots" in err, err
    assert "no-such-model" not in err  # refused before the model folder was even opened

"""N-shot draws without subject leakage, metrics, alarms and the result-file hook."""
import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from app.cli import build_parser
from inference.core.errors import SemioscopeError
from inference.forecast.fewshot import FewShotConfig, binary_metrics, rank_probability, sample_shots
from inference.forecast.labels import ForecastClip
from inference.forecast.model import (
    CLASSIFIER_FILE,
    KIND_CLASSIFIER,
    load_classifier,
    make_classifier,
    new_encoder,
    pool_tokens,
    preset_config,
    save_state,
    write_forecast_json,
)
from inference.forecast.trace import window_starts
from inference.forecast.trace_data import ForecastTrace, add_forecast_to_result, forecast_alarms, forecast_from_result
from inference.results.result_file import AnalysisResult


def _clips(n_subjects=8, pos=(6, 0, 3, 6, 1, 6, 0, 2), neg=(5, 9, 0, 5, 4, 5, 7, 3)):
    out = []
    for s in range(n_subjects):
        for k in range(pos[s]):
            out.append(ForecastClip(f"r{s}", f"sub{s}", Path(f"v{s}.mp4"), 10.0 + k, 15.0 + k, 1, 0.0))
        for k in range(neg[s]):
            out.append(ForecastClip(f"r{s}", f"sub{s}", Path(f"v{s}.mp4"), 100.0 + 5 * k, 105.0 + 5 * k, 0))
    return out


@pytest.mark.parametrize("n", [2, 3, 4])
def test_shots_have_no_subject_leakage(n):
    clips = _clips()
    seen = set()
    for draw in range(15):
        d = sample_shots(clips, n, seed=11, draw=draw)
        train_labels = [clips[i].label for i in d.train]
        assert sorted(train_labels) == [0] * n + [1] * n
        assert len(set(d.train)) == 2 * n
        train_subj = {clips[i].subject_id for i in d.train}
        test_subj = {clips[i].subject_id for i in d.test}
        assert train_subj == set(d.train_subjects) and test_subj == set(d.test_subjects)
        assert not train_subj & test_subj
        # Every clip of a non-training subject is tested; both classes are present.
        assert sorted(d.test) == [i for i, c in enumerate(clips) if c.subject_id not in train_subj]
        assert {clips[i].label for i in d.test} == {0, 1}
        seen.add(d.train)
    assert len(seen) > 5  # draws differ
    assert sample_shots(clips, n, 11, 3) == sample_shots(clips, n, 11, 3)  # fixed seeds reproduce


def test_shots_spread_over_subjects_and_cap_test():
    clips = _clips()
    d = sample_shots(clips, 2, seed=0, draw=0)
    pos_subjects = {clips[i].subject_id for i in d.train if clips[i].label == 1}
    assert len(pos_subjects) == 2  # one positive from each of two subjects
    capped = sample_shots(clips, 2, seed=0, draw=0, max_test=5)
    assert len(capped.test) == 5 and set(capped.test) <= set(d.test)


def test_shots_fail_clearly_without_enough_subjects():
    clips = _clips(2, pos=(3, 3), neg=(3, 3))
    with pytest.raises(SemioscopeError, match="both positive and negative"):
        sample_shots(clips, 4, seed=0)
    with pytest.raises(SemioscopeError, match="needs 9 positive clips; only 8 exist"):
        sample_shots(_clips(pos=(1,) * 8), 9, seed=0)


def test_binary_metrics_and_rank_probability():
    y = np.array([0, 0, 1, 1])
    m = binary_metrics(y, np.array([0.1, 0.6, 0.4, 0.9]))
    assert m["roc_auc"] == pytest.approx(0.75)
    assert m["bacc"] == pytest.approx(0.5)
    assert m["pr_auc"] == pytest.approx((1.0 + 2 / 3) / 2)
    assert rank_probability(np.array([5.0, 1.0, 3.0])).tolist() == pytest.approx([5 / 6, 1 / 6, 0.5])


def test_window_starts_and_alarms():
    assert window_starts(10.0, 5.0, 1.0).tolist() == [0, 1, 2, 3, 4, 5]
    assert window_starts(4.0, 5.0, 1.0).tolist() == []
    tr = ForecastTrace(np.arange(8.0), np.arange(8.0) + 5, [0.1, 0.7, 0.8, 0.2, np.nan, 0.9, 0.95, 0.1])
    alarms = forecast_alarms(tr, 0.5, onsets=[9.0, 40.0])
    # Rising crossings at windows 1 (end 6 s) and 5 (end 10 s); the first precedes the 9 s onset by 3 s.
    assert alarms == [(6.0, 3.0), (10.0, 30.0)]
    assert forecast_alarms(tr, 0.5, onsets=[9.0, 40.0], max_lead_s=20.0) == [(6.0, 3.0), (10.0, None)]
    assert forecast_alarms(tr, 0.99) == []


def test_forecast_trace_round_trips_through_result_file(tmp_path):
    res = AnalysisResult(np.arange(3.0), np.arange(3.0) + 5, np.array([0.1, 0.2, 0.3]), np.zeros((3, 14)))
    tr = ForecastTrace([0.0, 1.0], [5.0, 6.0], [0.25, np.nan], {"kind": "forecast", "horizon_s": 5.0})
    add_forecast_to_result(res, tr)
    path = res.save(tmp_path / "x.result.npz")
    back = forecast_from_result(AnalysisResult.load(path))
    assert back.start_s.tolist() == [0.0, 1.0] and back.end_s.tolist() == [5.0, 6.0]
    assert back.prob[0] == pytest.approx(0.25) and np.isnan(back.prob[1])
    assert back.meta["horizon_s"] == 5.0
    assert forecast_from_result(AnalysisResult.load(path), "nothing") is None


def test_token_pooling_mean_motion_and_classifier_folder(tmp_path):
    import torch  # heavy: only the model tests load it

    cfg = SimpleNamespace(num_frames=16, tubelet_size=2, hidden_size=3)  # 8 temporal slots
    still = torch.arange(4 * 3, dtype=torch.float32).reshape(1, 1, 4, 3).expand(2, 8, 4, 3).reshape(2, 32, 3)
    assert torch.allclose(pool_tokens(still, cfg, "mean"), still.mean(dim=1))
    assert torch.count_nonzero(pool_tokens(still, cfg, "motion")) == 0  # nothing changes over time
    moving = still.clone().reshape(2, 8, 4, 3)
    moving[1, ::2, 2, 0] += 4.0  # patch 2, channel 0 of clip 1 flickers between slots
    motion = pool_tokens(moving.reshape(2, 32, 3), cfg, "motion")
    assert motion[0].abs().max() == 0 and motion[1, 0] > 0 and motion[1, 1:].abs().max() == 0
    assert pool_tokens(still, cfg, "mean+motion").shape == (2, 6)
    with pytest.raises(SemioscopeError, match="pooling"):
        pool_tokens(still, cfg, "max")

    vcfg = preset_config("tiny", image_size=32)
    clf = make_classifier(new_encoder(vcfg, 1), 1, pooling="mean+motion")
    assert clf.head.in_features == 2 * vcfg.hidden_size
    save_state(tmp_path / CLASSIFIER_FILE, clf, "classifier")
    write_forecast_json(tmp_path, KIND_CLASSIFIER, vcfg, {"clip_s": 3.0, "horizon_s": 5.0, "threshold": 0.5,
                                                          "token_pooling": "mean+motion"})
    loaded, info = load_classifier(tmp_path)
    x = torch.randn(2, 16, 3, 32, 32)
    with torch.no_grad():
        assert loaded.pooling == "mean+motion" and torch.allclose(loaded(x), clf.eval()(x), atol=1e-5)


def test_older_classifier_folder_without_token_pooling_loads_as_mean(tmp_path):
    import torch  # heavy: only the model tests load it

    vcfg = preset_config("tiny", image_size=32)
    clf = make_classifier(new_encoder(vcfg, 2), 2, pooling="mean")
    save_state(tmp_path / CLASSIFIER_FILE, clf, "classifier")
    # Folders written before head pooling existed have no "token_pooling" key: their head pooled the mean.
    write_forecast_json(tmp_path, KIND_CLASSIFIER, vcfg, {"clip_s": 5.0, "horizon_s": 5.0, "threshold": 0.5})
    loaded, _ = load_classifier(tmp_path)
    x = torch.randn(1, 16, 3, 32, 32)
    with torch.no_grad():
        assert loaded.pooling == "mean" and torch.allclose(loaded(x), clf.eval()(x), atol=1e-5)


@pytest.mark.parametrize("sub", ["finetune", "evaluate"])
def test_cli_fine_tuning_defaults_are_the_fewshot_config_defaults(sub):
    args = build_parser().parse_args(["forecast", sub, "--model", "m", "--out", "o", "--manifest", "x.csv"])
    d = FewShotConfig()
    assert (args.pooling, args.epochs, args.lr_encoder, args.lr_head) == (d.pooling, d.epochs, d.lr_encoder,
                                                                         d.lr_head)


def test_dev_grid_choice_takes_the_cheapest_of_the_tied_best_pretrained_rows():
    path = Path(__file__).resolve().parents[1] / "bench" / "forecast_dev_grid.py"
    spec = importlib.util.spec_from_file_location("forecast_dev_grid", path)
    grid = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(grid)

    def row(enc, epochs, mean, pooling="motion"):
        return {"pooling": pooling, "encoder": enc, "epochs": epochs, "mean": mean}

    rows = [row("none", 20, 0.95),                      # no pre-training never wins
            {"pooling": "motion", "encoder": "p300", "recipe": "frozen (linear probe)", "mean": 0.99},  # nor the probe
            row("p300", 20, 0.870), row("p600", 50, 0.886), row("p600", 20, 0.884), row("p1500", 20, 0.887),
            row("p600", 20, 0.60, pooling="mean")]
    pick = grid.choose(rows, tie=0.005)
    assert (pick["encoder"], pick["epochs"], pick["mean"]) == ("p600", 20, 0.884)
    assert grid.choose(rows, tie=0.0)["encoder"] == "p1500"

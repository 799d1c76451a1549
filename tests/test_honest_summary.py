"""Honest summaries: a degenerate operating point is said first, in words; the summary line leads
with false alarms/h and time under alarm; thin validation and an unmet false-alarm limit are
recorded as caveats of the run."""
from __future__ import annotations

import json
import math

import pytest

from app.cli import main
from inference.core.config import ClipConfig, EventConfig, PoseConfig, SegmentConfig
from inference.detector.checkpoint import make_run_config, save_run
from inference.detector.finetune_modes import LoraSettings
from inference.detector.model import build_detector, preset_config
from inference.synth.generator import SynthConfig, generate_dataset
from inference.training.operating_point import assess_operating_point, summary_line
from inference.training.validation import false_alarm_limit_note, selection_warnings

EVENTS = {"seizures": 4, "detected": 3, "sensitivity": 0.75, "false_alarms": 2, "interictal_hours": 1.0,
          "false_alarms_per_hour": 2.0, "interictal_alarm_fraction": 0.02,
          "latency_eeg_s": {"mean": 12.0, "median": 11.0}, "latency_clinical_s": {"mean": 4.0, "median": 3.5}}


def test_summary_line_leads_with_false_alarms_and_time_under_alarm():
    line = summary_line(EVENTS)
    assert line == ("test: 2.00 false alarms/h, 2.0% of interictal time under alarm; sensitivity 3/4 (0.750); "
                    "latency from EEG onset 12.0 s (median 11.0 s), from clinical onset 4.0 s (median 3.5 s)")


def test_operating_point_rules():
    fine = assess_operating_point(EVENTS, {"accuracy": 0.9}, {"accuracy": 0.8})
    assert not fine["degenerate"] and fine["message"] == ""
    busy = assess_operating_point({**EVENTS, "interictal_alarm_fraction": 0.4}, {"accuracy": 0.9}, {"accuracy": 0.8})
    assert busy["degenerate"] and "40% of the interictal time is under alarm" in busy["message"]
    worse = assess_operating_point(EVENTS, {"accuracy": 0.7}, {"accuracy": 0.8})
    assert worse["degenerate"] and "below the one-class classifier's 0.800" in worse["message"]
    nan = assess_operating_point({**EVENTS, "interictal_alarm_fraction": math.nan}, {"accuracy": math.nan}, {})
    assert not nan["degenerate"]


def test_thin_validation_and_unmet_false_alarm_limit_are_said():
    assert selection_warnings(3, 40) == []
    (w,) = selection_warnings(1, 7)
    assert "too little data" in w and "1 validation subject" in w and "7 ictal validation windows" in w
    rows = [{"interictal_hours": 2.0, "false_alarms_per_hour": f, "feasible": f <= 2.0} for f in (3.5, 5.0)]
    note = false_alarm_limit_note(rows, 2.0)
    assert "no event rule met <= 2 false alarms/h on validation (fewest: 3.50/h)" in note
    assert false_alarm_limit_note([{**rows[0], "feasible": True}], 2.0) == ""
    assert "too few to check" in false_alarm_limit_note([{**rows[0], "interictal_hours": 0.2}], 2.0)


@pytest.fixture(scope="module")
def always_alarming_run(tmp_path_factory):
    """One held-out subject (a 2-minute recording) and a run whose detector answers 1 everywhere:
    a random tiny model with the classifier's weights zeroed and its bias at +20."""
    import torch  # heavy: only for building the model

    root = tmp_path_factory.mktemp("alarming")
    cfg = SynthConfig(size=(160, 120), duration_s=(110.0, 120.0), recordings_per_subject=(1, 1),
                      staff_probability=0.0)
    manifest = generate_dataset(root / "data", 1, seed=3, config=cfg, workers=1)
    model = build_detector(preset_config("tiny"))
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.fill_(20.0)
    rc = make_run_config(detector=model.cfg, mode="full", lora=LoraSettings(), segments=SegmentConfig(),
                         clips=ClipConfig().replace(input_size=model.cfg.image_size), events=EventConfig(),
                         threshold=0.5, keypoint_source="gt", manifest_hash=manifest.content_hash(),
                         manifest_path=str(manifest.path), split={"train": [], "val": [], "test": ["sub01"]},
                         training={"counts": {"train": {"ictal": 10, "interictal": 40}}, "threads": 1},
                         pose=PoseConfig().to_dict())
    save_run(root / "run", model, rc)
    return root


def test_evaluate_calls_an_always_on_detector_degenerate_first(always_alarming_run, capsys):
    root = always_alarming_run
    run = root / "run"
    assert main(["evaluate", str(run), "--device", "cpu", "--cache-dir", str(root / "cache")]) == 0
    ev = json.loads((run / "evaluation.json").read_text())
    op = ev["operating_point"]
    assert op["degenerate"] and ev["events"]["interictal_alarm_fraction"] > 0.5
    assert any("under alarm" in r for r in op["reasons"])
    md = (run / "evaluation.md").read_text()
    assert "DEGENERATE operating point" in md
    assert md.index("DEGENERATE operating point") < md.index("sensitivity") < md.index("| Seizures |")
    out = capsys.readouterr().out
    tail = out.strip().splitlines()[-2:]  # printed last: the verdict, then the summary line
    assert tail[0].startswith("DEGENERATE operating point") and tail[1].startswith("test: ")
    assert tail[1].index("false alarms/h") < tail[1].index("under alarm") < tail[1].index("sensitivity")

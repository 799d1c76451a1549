"""The README's getting-started block (the fenced block after ``<!-- section:cli-getting-started
-->``) runs end to end, command by command as written, in an empty temporary folder:
synth -> segments -> train -> evaluate -> analyze -> review (offscreen) -> export.

One mechanism scales it down, the rule table ``SCALE`` below: per subcommand, each option is
set to the table's value, replacing the command's own value where the command has the option and
appended otherwise. Nothing else about the commands changes. Besides that, the caches go to the
temporary folder (``$SEMIOSCOPE_CACHE_DIR``), ``review`` runs in its own process with
``QT_QPA_PLATFORM=offscreen`` (its HOME too, so QSettings stay out of the user's), and between
``review`` and ``export`` a scripted reviewer marks the recording's seizure through the annotation
store, as the window's E / C / X keys would.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from readme_commands import block_after

from app.annotations import AnnotationStore, annotations_path_for
from app.cli import build_parser, main
from inference.dataset.manifest import load_manifest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]

SCALE = {
    "synth": {"--size": "320x240", "--duration": "50:60", "--recordings": "1", "--workers": "1"},
    "train": {"--epochs": "1", "--threads": "1", "--device": "cpu"},
    "evaluate": {"--device": "cpu"},
    "analyze": {"--device": "cpu"},
    "review": {"--quit-after": "3", "--screenshot": "review.png", "--reviewer": "getting-started test"},
}


def scaled(argv: tuple[str, ...]) -> list[str]:
    """``argv`` with the SCALE rules of its subcommand applied."""
    out = list(argv)
    for opt, value in SCALE.get(argv[0], {}).items():
        if opt in out:
            out[out.index(opt) + 1] = value
        else:
            out += [opt, value]
    return out


def test_scale_rules_name_real_options():
    parser = build_parser()
    for name, rules in SCALE.items():
        sub = parser._subparsers._group_actions[0].choices[name]  # the subcommand's parser
        known = {o for a in sub._actions for o in a.option_strings}
        assert set(rules) <= known, (name, set(rules) - known)


def _review(argv: list[str], cwd: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(cwd), SEMIOSCOPE_CACHE_DIR=str(cwd / "cache"))
    proc = subprocess.run([sys.executable, "-m", "app", *argv], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=180)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert (cwd / SCALE["review"]["--screenshot"]).stat().st_size > 0


def _mark_seizure(video: Path, manifest: Path) -> None:
    """What a reviewer does in the window: mark EEG onset, clinical onset and end (E, C, X)."""
    rec = next(r for r in load_manifest(manifest) if r.video.resolve() == video.resolve())
    store = AnnotationStore.open(annotations_path_for(video), "getting-started test")
    for sz in rec.seizures:
        store.apply("add_seizure", {"id": store.new_seizure_id(), "eeg_onset_s": sz.eeg_onset_s,
                                    "clinical_onset_s": sz.clinical_onset_s, "end_s": sz.end_s,
                                    "seizure_type": rec.seizure_type, "origin": "manual"})


def test_getting_started_block_runs_as_written(tmp_path, monkeypatch, capsys):
    commands = block_after("<!-- section:cli-getting-started -->")
    steps = [c.argv[0] for c in commands]
    assert steps == ["synth", "segments", "train", "evaluate", "analyze", "review", "export"], steps
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SEMIOSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    outputs: dict[str, str] = {}  # stdout + stderr (progress bars, log)
    printed: dict[str, str] = {}  # stdout only
    for cmd in commands:
        argv = scaled(cmd.argv)
        if argv[0] == "review":
            _review(argv, tmp_path)
            video = Path(argv[1])
            _mark_seizure(video, Path("data/synth/manifest.csv"))
            continue
        rc = main(argv)
        cap = capsys.readouterr()
        outputs[argv[0]], printed[argv[0]] = cap.out + cap.err, cap.out
        assert rc == 0, f"README.md:{cmd.line}: {' '.join(argv)}\n{(cap.out + cap.err)[-3000:]}"
    # The split was adapted to 6 subjects, and said so; the summary line leads with false alarms.
    assert "adapted to 3 test, 1 validation and 2 training subjects" in outputs["segments"]
    assert "adapted to 3 test" in outputs["train"]
    for step in ("train", "evaluate"):
        last = printed[step].strip().splitlines()[-1]
        assert last.startswith("test: ") and last.index("false alarms") < last.index("sensitivity"), last
    run = json.loads(Path("runs/tiny/run.json").read_text())
    assert [len(run["split"][r]) for r in ("train", "val", "test")] == [2, 1, 3]
    assert Path("results/sub02_r1.result.npz").is_file() and Path("results/events.csv").is_file()
    assert "sub02" in run["split"]["test"]  # the README's "a held-out subject"
    exported = json.loads(Path("labels/manifest.json").read_text())
    (rec,) = exported["recordings"]
    assert rec["recording_id"] == "sub02_r1" and len(rec["seizures"]) == 1

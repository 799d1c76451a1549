"""Inter-rater agreement: every statistic against a value worked out by hand, the command line
(table, CSV, JSON, errors), the model against raters, and the comparison layer in the window."""
from __future__ import annotations

import csv
import json
from dataclasses import replace

import numpy as np
import pytest
from app_helpers import make_result, make_video
from sklearn.metrics import cohen_kappa_score

from app.annotations import AnnotationStore, annotations_path_for
from app.cli import main
from app.main_window import MainWindow
from app.rater_comparison import ONLY_OPEN, ONLY_OTHER, TIME, RaterComparison
from inference.dataset.manifest import Manifest, Recording, Seizure, save_manifest
from inference.results.agreement import (
    OPEN_END_S,
    RecordingLabels,
    cohen_kappa,
    fleiss_from_labels,
    fleiss_kappa,
    rater_agreement,
)
from inference.results.events import Event

HOUR = 3600.0
# Three raters of one hour-long recording: (EEG onset, clinical onset, end).
A = [(100.0, 104.0, 160.0), (1000.0, 1002.0, 1060.0), (2000.0, 2005.0, 2050.0)]
B = [(102.0, 104.0, 165.0), (1003.0, 1003.0, None), (3000.0, 3000.0, 3030.0)]  # B's 2nd is open-ended
C = [(99.0, 103.0, 158.0), (2001.0, 2004.0, 2040.0)]


def write_store(path, author, seizures, video="rec.mp4"):
    store = AnnotationStore.open(path, author, video={"path": video})
    for k, (eeg, clin, end) in enumerate(seizures, start=1):
        store.apply("add_seizure", {"id": f"s{k}", "eeg_onset_s": eeg, "clinical_onset_s": clin, "end_s": end,
                                    "seizure_type": "focal"})
    return path


def epochs(spans, n=3600):
    """Labels by hand: epoch k is ictal for k in [a, b)."""
    lab = np.zeros(n, dtype=int)
    for a, b in spans:
        lab[a:b] = 1
    return lab


A_EPOCHS = epochs([(100, 160), (1000, 1060), (2000, 2050)])
B_EPOCHS = epochs([(102, 165), (1003, 1003 + int(OPEN_END_S)), (3000, 3030)])
C_EPOCHS = epochs([(99, 158), (2001, 2040)])


def pair(report, ref, other):
    return next(p for p in report.all_pairs() if p.reference == ref and p.hypothesis == other)


def test_two_raters_every_statistic_by_hand():
    report = rater_agreement([RecordingLabels("rec", HOUR, {"A": A, "B": B})])
    p = pair(report, "A", "B")
    # SzCORE: A's three seizures widened to [70, 220], [970, 1120], [1970, 2110]; B marks the
    # first two; B's third (3000-3030) touches none: one false positive in one hour.
    assert (p.ref_events, p.tp, p.fp) == (3, 2, 1)
    assert p.sensitivity == pytest.approx(2 / 3) and p.fp_per_hour == pytest.approx(1.0)
    assert p.summary()["szcore_fp_per_day"] == pytest.approx(24.0)
    # Any overlap: the same here, without tolerances.
    assert (p.hits, p.ref_seizures, p.overlap_fp) == (2, 3, 1)
    assert p.any_overlap_sensitivity == pytest.approx(2 / 3) and p.any_overlap_fp_per_hour == pytest.approx(1.0)
    # Time: A marks 60 + 60 + 50 = 170 s; B also marks 102-160 (58 s) and 1003-1060 (57 s).
    assert p.time_overlap == pytest.approx(115 / 170)
    # Timing, B - A, of the matched seizures 1 and 2 (B's 2nd has no end).
    assert p.differences("eeg_onset_s") == [2.0, 3.0]
    assert p.differences("clinical_onset_s") == [0.0, 1.0]
    assert p.differences("end_s") == [5.0]
    s = p.summary()
    assert (s["eeg_onset_s_mean"], s["eeg_onset_s_median"], s["eeg_onset_s_max_abs"]) == (2.5, 2.5, 3.0)
    assert (s["clinical_onset_s_mean"], s["clinical_onset_s_max_abs"], s["end_s_n"]) == (0.5, 1.0, 1)
    per_seizure = [(r.ref_index, r.hyp_index) for r in p.rows]
    assert per_seizure == [(0, 0), (1, 1), (2, None), (None, 2)]
    # Kappa on 1 s epochs (B's open 2nd seizure runs 120 s past its onset).
    assert report.kappa_method == "cohen"
    assert report.kappa == pytest.approx(cohen_kappa_score(A_EPOCHS, B_EPOCHS))
    assert p.kappa == pytest.approx(cohen_kappa_score(A_EPOCHS, B_EPOCHS))
    # The other direction: A against B as the reference.
    q = pair(report, "B", "A")
    assert (q.ref_events, q.tp, q.fp) == (3, 2, 1)
    assert q.time_overlap == pytest.approx(115 / (63 + 120 + 30))
    assert q.differences("eeg_onset_s") == [-2.0, -3.0]


def test_szcore_tolerance_and_merging_differ_from_any_overlap():
    # Rater Y starts 20 s before X's onset and stops before it: SzCORE finds it (30 s tolerance),
    # any-overlap does not. X's two seizures 60 s apart are one SzCORE event (merged below 90 s).
    x = [(500.0, 500.0, 560.0), (1000.0, 1000.0, 1030.0), (1090.0, 1090.0, 1120.0)]
    y = [(470.0, 470.0, 490.0), (1000.0, 1000.0, 1030.0)]
    p = pair(rater_agreement([RecordingLabels("r", HOUR, {"X": x, "Y": y})]), "X", "Y")
    assert (p.ref_events, p.tp, p.fp) == (2, 2, 0)
    assert (p.ref_seizures, p.hits, p.overlap_fp) == (3, 1, 1)
    assert p.time_overlap == pytest.approx(30 / 120)
    # Matched although they do not overlap: 10 s apart, under the 30 s matching gap.
    assert p.differences("eeg_onset_s") == [-30.0, 0.0]


def test_fleiss_kappa_against_a_hand_computation():
    # 3 raters, 5 items: ictal counts 3, 0, 2, 1, 0. P_i = 1, 1, 1/3, 1/3, 1 -> mean 11/15;
    # p(ictal) = 6/15, Pe = 0.4^2 + 0.6^2 = 0.52; kappa = (11/15 - 0.52) / 0.48 = 4/9.
    labels = np.array([[1, 0, 1, 1, 0], [1, 0, 1, 0, 0], [1, 0, 0, 0, 0]])
    assert fleiss_from_labels(labels) == pytest.approx(4 / 9)
    assert fleiss_kappa(np.array([[0, 3], [3, 0], [1, 2], [2, 1], [3, 0]])) == pytest.approx(4 / 9)
    # Three raters of the hour: by hand from the epoch counts.
    report = rater_agreement([RecordingLabels("rec", HOUR, {"A": A, "B": B, "C": C})])
    n = A_EPOCHS + B_EPOCHS + C_EPOCHS
    agree = (np.sum((n == 0) | (n == 3)) + np.sum((n == 1) | (n == 2)) / 3) / 3600
    p1 = n.sum() / (3 * 3600)
    pe = p1 ** 2 + (1 - p1) ** 2
    assert report.kappa_method == "fleiss"
    assert report.kappa == pytest.approx((agree - pe) / (1 - pe))
    c = pair(report, "A", "C")
    assert (c.tp, c.fp, c.hits, c.overlap_fp) == (2, 0, 2, 0)
    assert c.time_overlap == pytest.approx((58 + 39) / 170)
    assert c.kappa == pytest.approx(cohen_kappa_score(A_EPOCHS, C_EPOCHS))


def test_cohen_kappa_matches_sklearn_and_is_undefined_without_seizures():
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 2, 200), rng.integers(0, 2, 200)
    assert cohen_kappa(x, y) == pytest.approx(cohen_kappa_score(x, y))
    assert np.isnan(cohen_kappa(np.zeros(10), np.zeros(10)))


def test_replay_keeps_and_ignores_unknown_keys(tmp_path):
    path = tmp_path / "rec.mp4.semioscope-annotations.json"
    store = AnnotationStore.open(path, "Dr A", video={"path": "rec.mp4"})
    store.apply("add_seizure", {"id": "s1", "eeg_onset_s": 10.0, "clinical_onset_s": 12.0, "end_s": 30.0,
                                "seizure_type": "focal", "consensus_of": [{"rater": "x"}], "future": 1})
    store.apply("set_seizure", {"id": "s1", "field": "eeg_onset_s", "value": 9.0,
                                "consensus_of": [{"rater": "Dr A", "value": 10.0}, {"rater": "Dr B", "value": 9.0}],
                                "decision": "accepted Dr B's"})
    again = AnnotationStore.open(path, "Dr A", autosave=False)
    assert again.seizure("s1").eeg_onset_s == 9.0 and again.seizure("s1").clinical_onset_s == 12.0
    assert again.edits[-1].data["consensus_of"][1] == {"rater": "Dr B", "value": 9.0}


# -- the command line ---------------------------------------------------------------------------
def test_cli_writes_table_csv_and_json(tmp_path, capsys):
    a = write_store(tmp_path / "a" / "rec.mp4.semioscope-annotations.json", "Dr A", A)
    b = write_store(tmp_path / "b.json", "Dr B", B)
    c = write_store(tmp_path / "c.json", "Dr C", C)
    out_csv, out_json = tmp_path / "agree.csv", tmp_path / "agree.json"
    rc = main(["agreement", str(a), str(b), str(c), "--duration", "3600", "--csv", str(out_csv),
               "--json", str(out_json)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "Fleiss' kappa on 3600 epochs" in text
    assert "0.67 (2/3)" in text and "Dr A" in text and "Dr C" in text
    rows = list(csv.DictReader(out_csv.open()))
    assert len(rows) == 6  # every ordered pair of three raters
    ab = next(r for r in rows if r["reference"] == "Dr A" and r["other"] == "Dr B")
    assert float(ab["szcore_sensitivity"]) == pytest.approx(2 / 3)
    assert float(ab["time_overlap"]) == pytest.approx(115 / 170)
    assert float(ab["eeg_onset_s_mean"]) == 2.5 and ab["overall_kappa_method"] == "fleiss"
    seizures = list(csv.DictReader((tmp_path / "agree.seizures.csv").open()))
    assert any(r["reference"] == "Dr A" and r["other"] == "Dr B" and r["diff_end_s"] == "5.0" for r in seizures)
    data = json.loads(out_json.read_text())
    assert data["raters"] == ["Dr A", "Dr B", "Dr C"] and data["kappa"]["method"] == "fleiss"
    assert data["rules"]["open_end_s"] == OPEN_END_S
    assert data["pairs"][0]["seizures"][0]["diff_eeg_onset_s"] == 2.0


def test_model_against_raters_from_a_result_file(tmp_path, capsys):
    video = make_video(tmp_path, seconds=20.0)
    result = replace(make_result(video), events=[Event(4.0, 9.0, 0.9, 6.0)])
    res_path = result.save(tmp_path / "rec.result.npz")
    a = write_store(annotations_path_for(video), "Dr A", [(5.0, 6.0, 12.0)])
    b = write_store(tmp_path / "b.json", "Dr B", [(5.5, 6.0, 11.0)])
    out_json = tmp_path / "a.json"
    assert main(["agreement", str(a), str(b), "--results", str(res_path), "--json", str(out_json)]) == 0
    data = json.loads(out_json.read_text())
    assert data["recordings"][0]["duration_s"] == pytest.approx(20.0, abs=0.2)  # from the result file
    model = next(p for p in data["model"] if p["reference"] == "Dr A")
    assert (model["szcore_true_positives"], model["szcore_false_positives"]) == (1, 0)
    assert model["any_overlap_sensitivity"] == 1.0 and model["time_overlap"] == pytest.approx(4 / 7)
    # The event starts at 4 s: 1 s before the EEG onset, 2 s before the clinical onset; ends 3 s early.
    assert (model["eeg_onset_s_mean"], model["clinical_onset_s_mean"], model["end_s_mean"]) == (-1.0, -2.0, -3.0)
    assert "model" in capsys.readouterr().out
    # Without --duration or a result, the video beside the annotation file gives the duration.
    assert main(["agreement", str(a), str(b), "--json", str(out_json)]) == 0
    assert json.loads(out_json.read_text())["recordings"][0]["duration_s"] == pytest.approx(20.0, abs=0.2)


def test_manifests_are_paired_by_recording_id(tmp_path, capsys):
    def manifest(name, seizures_r1):
        recs = [Recording("r1", "p1", tmp_path / "r1.mp4", "focal", tuple(seizures_r1), duration_s=HOUR),
                Recording(f"only_{name}", "p1", tmp_path / f"{name}.mp4", "none", (), duration_s=HOUR)]
        return save_manifest(Manifest(recs), tmp_path / name / "manifest.json")

    ma = manifest("drA", [Seizure(100.0, 104.0, 160.0)])
    mb = manifest("drB", [Seizure(110.0, 112.0, 150.0)])
    out_json = tmp_path / "m.json"
    assert main(["agreement", str(ma), str(mb), "--json", str(out_json)]) == 0
    data = json.loads(out_json.read_text())
    assert data["raters"] == ["drA", "drB"] and [r["recording_id"] for r in data["recordings"]] == ["r1"]
    assert data["pairs"][0]["eeg_onset_s_mean"] == 10.0 and data["pairs"][0]["time_overlap"] == pytest.approx(40 / 60)
    assert "not in every manifest" in capsys.readouterr().out


def test_errors_name_the_file_and_the_problem(tmp_path, capsys):
    a = write_store(tmp_path / "a.json", "Dr A", A)
    b = write_store(tmp_path / "b.json", "Dr B", B)
    other = write_store(tmp_path / "o.json", "Dr B", B, video="other.mp4")
    bad = tmp_path / "bad.semioscope-annotations.json"
    bad.write_text("{not json")
    cases = [([str(a), str(bad), "--duration", "10"], f"{bad}: annotation file is not valid JSON"),
             ([str(a), str(other), "--duration", "3600"], f"{other}: is about another recording (other.mp4)"),
             ([str(a), str(tmp_path / "missing.json")], f"{tmp_path / 'missing.json'}: file not found"),
             ([str(a), str(a)], f"{a}: is given twice"),
             ([str(a), str(b)], f"{a}: no duration known for the recording rec.mp4"),
             ([str(a), str(b), "--results", str(tmp_path / "r.result.npz")], "r.result.npz: result file not found"),
             ([str(a)], "give two or more")]
    for argv, message in cases:
        assert main(["agreement", *argv]) == 2, argv
        assert message in capsys.readouterr().err, message


# -- the comparison layer in the window ---------------------------------------------------------
MINE = [(10.0, 11.0, 20.0), (80.0, 82.0, 95.0)]
THEIRS = [(4.0, 11.2, 20.0), (40.0, 41.0, 45.0)]  # EEG onset 6 s earlier; a seizure only they marked


@pytest.fixture
def review(qtbot, tmp_path):
    video = make_video(tmp_path, seconds=120.0, fps=5.0, size=(96, 72))
    write_store(annotations_path_for(video), "Dr A", MINE)
    other = write_store(tmp_path / "drB" / "rec.mp4.semioscope-annotations.json", "Dr B", THEIRS)
    win = MainWindow(reviewer="Dr A")
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    assert win.open_video(video, analyse=False)
    qtbot.waitUntil(win.is_open, timeout=15000)
    if getattr(win, "rater_comparison", None) is None:  # until the window creates it itself
        win.rater_comparison = RaterComparison(win)
    return win, other


def test_window_lists_disagreements_and_accepting_records_both_sources(qtbot, review):
    win, other = review
    comp = win.rater_comparison
    assert comp.load(other)
    found = comp.disagreements()
    assert [(d.kind, d.field, d.mine, d.theirs) for d in found] == [
        (TIME, "eeg_onset_s", 10.0, 4.0), (ONLY_OTHER, None, None, None), (ONLY_OPEN, None, None, None)]
    assert comp.panel.rowCount() == 3 and "6.0 s apart" in comp.panel.rowText(0)[1]
    assert win.side_tabs.tabText(win.side_tabs.currentIndex()) == "Raters"
    lines = win.timeline.comparison.lines
    assert len(lines) == 6 and all(ln.label.format.startswith("Dr B:") for ln in lines)
    assert all(not ln.movable for ln in lines)

    comp.go_to(1)  # their seizure at 40 s
    qtbot.waitUntil(lambda: abs(win.current_time - 40.0) < 0.25, timeout=5000)

    assert comp.accept_other(0)  # their EEG onset
    assert win.store.seizures()[0].eeg_onset_s == 4.0
    edit = win.store.edits[-1]
    assert edit.op == "set_seizure" and edit.data["field"] == "eeg_onset_s"
    assert [(s["rater"], s["value"]) for s in edit.data["consensus_of"]] == [("Dr A", 10.0), ("Dr B", 4.0)]
    assert edit.data["consensus_of"][1]["file"] == other.name
    reloaded = AnnotationStore.open(win.store.path, "x", autosave=False)  # saved, and replays
    assert reloaded.seizures()[0].eeg_onset_s == 4.0
    assert [d.kind for d in comp.disagreements()] == [ONLY_OTHER, ONLY_OPEN]
    qtbot.waitUntil(lambda: comp.panel.rowCount() == 2, timeout=5000)

    assert comp.accept_other(0)  # their seizure at 40 s joins the open labels
    assert [s.eeg_onset_s for s in win.store.seizures()] == [4.0, 40.0, 80.0]
    assert win.store.edits[-1].data["consensus_of"][1]["value"] == [40.0, 41.0, 45.0]
    win.undo_stack.undo()
    assert [s.eeg_onset_s for s in win.store.seizures()] == [4.0, 80.0]
    assert comp.set_consensus(0, "eeg_onset_s", 7.5) is False  # not a time disagreement any more

    # The other file is read-only: never written.
    assert AnnotationStore.open(other, "x", autosave=False).revision == len(THEIRS)
    comp.clear()
    assert win.timeline.comparison.lines == [] and win.side_tabs.indexOf(comp.panel) < 0


def test_window_consensus_value_and_refused_files(qtbot, review, tmp_path):
    win, other = review
    comp = win.rater_comparison
    comp.load(other)
    assert comp.set_consensus(0, None, 7.0)
    assert win.store.seizures()[0].eeg_onset_s == 7.0
    assert win.store.edits[-1].data["decision"] == "consensus"
    elsewhere = write_store(tmp_path / "x" / "a.json", "Dr C", THEIRS, video="another.mp4")
    assert not comp.load(elsewhere)
    assert "another.mp4" in win.message_bar.text()
    assert not comp.load(win.store.path)
    assert "open annotation file" in win.message_bar.text()

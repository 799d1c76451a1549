"""``semioscope report``: the seizure report PDF (one page per recording and per seizure), read
back with pypdfium2 (page count, pages not blank, the type and the signs as text)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from app_helpers import make_result, make_video

from app.annotations import AnnotationStore, annotations_path_for
from app.cli import main
from app.main_window import MainWindow
from inference.core.version import __version__
from inference.dataset.manifest import Recording, Seizure
from inference.exchange.report import ReportInput, ReviewedDetection, detection_counts
from inference.results.result_file import result_path_for

ILAE = "Focal clonic, impaired awareness"
SIGN = "clonic (left arm)"


def _reviewed_recording(folder: Path) -> Path:
    """A 30 s video with keypoints, a result with two detections (2-8 s, 14-22 s) and an annotation
    file: one seizure at 14-22 s with an ILAE type and two signs, the first detection rejected."""
    video = make_video(folder, seconds=30.0)
    make_result(video, events_at=((2.0, 3.0), (14.0, 17.0))).save(result_path_for(video))
    store = AnnotationStore.open(annotations_path_for(video), "Dr Smith")
    store.apply("add_seizure", {"id": "s1", "eeg_onset_s": 14.0, "clinical_onset_s": 15.5, "end_s": 22.0,
                                "seizure_type": "focal"})
    store.apply("set_seizure", {"id": "s1", "field": "ilae_type", "value": "focal_motor_clonic"})
    store.apply("set_seizure", {"id": "s1", "field": "awareness", "value": "impaired"})
    store.apply("add_sign", {"id": "s1", "sign": {"id": "g1", "term": "clonic", "time_s": 16.0, "body_part": "arm",
                                                  "laterality": "left"}})
    store.apply("add_sign", {"id": "s1", "sign": {"id": "g2", "term": "versive", "time_s": 19.0, "body_part": "head",
                                                  "laterality": "right"}}, author="Dr Jones")
    store.apply("review_event", {"key": "2.000-8.000", "start_s": 2.0, "end_s": 8.0, "peak_prob": 0.9,
                                 "status": "rejected"})
    return video


def _pages(pdf_path: Path) -> tuple[list[np.ndarray], str, dict]:
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        images, text = [], []
        for page in pdf:
            images.append(np.asarray(page.render(scale=0.5).to_pil().convert("L"), dtype=np.float64))
            text.append(page.get_textpage().get_text_range())
        return images, " ".join(" ".join(text).split()), pdf.get_metadata_dict()
    finally:
        pdf.close()


def test_report_of_a_reviewed_recording(tmp_path, capsys):
    video = _reviewed_recording(tmp_path)
    assert main(["report", str(video)]) == 0
    out = video.with_name("rec.report.pdf")
    assert str(out) in capsys.readouterr().out
    images, text, meta = _pages(out)
    assert len(images) == 1 + 1  # the recording, then one page per seizure
    for k, img in enumerate(images):
        assert img.std() > 8.0, f"page {k + 1} looks blank"
    assert ILAE in text and SIGN in text and "versive" in text
    assert "Dr Smith, Dr Jones" in text  # the reviewers of the seizure
    assert "hand-made" in text  # the model's run name from the result header
    assert "1 rejected" in text  # the detections reviewed
    assert meta["Creator"] == f"Semioscope {__version__}" and "rec" in meta["Title"]


def test_report_from_the_result_file_with_out(tmp_path):
    video = _reviewed_recording(tmp_path)
    out = tmp_path / "reports" / "r.pdf"
    assert main(["report", str(result_path_for(video)), "--out", str(out), "--paper", "letter"]) == 0
    images, text, _meta = _pages(out)
    assert len(images) == 2 and ILAE in text


def test_report_without_result_or_annotations(tmp_path):
    video = make_video(tmp_path, seconds=10.0)
    assert main(["report", str(video)]) == 0
    images, text, _meta = _pages(video.with_name("rec.report.pdf"))
    assert len(images) == 1 and "No analysis result" in text and "No seizures annotated" in text


def test_errors_name_the_file(tmp_path, capsys):
    missing = tmp_path / "nowhere.mp4"
    assert main(["report", str(missing)]) == 2
    err = capsys.readouterr().err
    assert "semioscope report: error:" in err and str(missing) in err and "video not found" in err
    bad = tmp_path / "broken.result.npz"
    bad.write_bytes(b"not a zip")
    assert main(["report", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "Traceback" not in err
    video = make_video(tmp_path, seconds=5.0)
    assert main(["report", str(video), "--annotations", str(tmp_path / "none.json")]) == 2
    assert "none.json" in capsys.readouterr().err


def test_false_alarms_are_rejected_or_outside_every_seizure(tmp_path):
    rec = Recording("r", "s", tmp_path / "v.mp4", "focal", (Seizure(100.0, 102.0, 130.0),), 3600.0)
    dets = [ReviewedDetection(95, 125, 0.9, "confirmed"), ReviewedDetection(500, 520, 0.8, "rejected"),
            ReviewedDetection(900, 910, 0.7), ReviewedDetection(120, 140, 0.6, "rejected")]
    c = detection_counts(ReportInput(rec, None, dets), 3600.0)
    assert (c["confirmed"], c["rejected"], c["unreviewed"], c["outside"], c["false_alarms"]) == (1, 2, 1, 2, 3)


def test_the_report_module_loads_no_gui():
    code = ("import sys, inference.exchange.report\n"
            "print('GUI', [m for m in ('matplotlib.pyplot', 'PySide6', 'app') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "GUI []" in out, out


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_pages_are_portrait(tmp_path, paper):
    video = make_video(tmp_path, seconds=6.0)
    assert main(["report", str(video), "--paper", paper, "--out", str(tmp_path / "r.pdf")]) == 0
    pdf = pdfium.PdfDocument(str(tmp_path / "r.pdf"))
    w, h = pdf[0].get_size()
    pdf.close()
    assert h > w and abs(w - {"a4": 595.4, "letter": 612.0}[paper]) < 2


def test_window_report_from_the_open_windows_state(tmp_path):
    """File → Report: the same report from what the window holds (its store, its result, its clock)."""
    from types import SimpleNamespace

    from app.report_actions import write_report
    from app.review_state import ReviewState
    from inference.results.result_file import AnalysisResult

    video = _reviewed_recording(tmp_path)
    state = ReviewState()
    state.set_result(AnalysisResult.load(result_path_for(video)))
    win = SimpleNamespace(video_path=video, store=AnnotationStore.open(annotations_path_for(video), "Dr Smith"),
                          results_path=None, review_state=state, eeg_review=SimpleNamespace(link=None),
                          recording_clock=SimpleNamespace(start=None, source="unknown", manifest_recording=None))
    out = write_report(win, tmp_path / "window.pdf")  # no result file: the trace the window shows
    images, text, _meta = _pages(out)
    assert len(images) == 2 and ILAE in text and SIGN in text and "not saved yet" in text
    win.results_path = result_path_for(video)
    images, text, _meta = _pages(write_report(win, tmp_path / "window.pdf"))
    assert "hand-made" in text and "not saved yet" not in text


def test_file_report_from_the_real_window_in_the_background(qtbot, tmp_path):
    """File -> Report from the open window: drawn off the GUI thread, one page per recording and seizure."""
    video = make_video(tmp_path, seconds=20.0)
    make_result(video).save(result_path_for(video))
    win = MainWindow(reviewer="Dr Window")
    qtbot.addWidget(win)
    win.show()
    assert win.open_video(video)
    qtbot.waitUntil(win.is_open, timeout=10000)
    win.seek(2.0)
    win.mark("eeg_onset_s")
    win.seek(5.0)
    win.mark("end_s")
    out = tmp_path / "window.pdf"
    job = win.exchange.report(out)
    qtbot.waitUntil(lambda: not job.running() and win.job is None, timeout=60000)
    assert job.error is None and out.is_file()
    assert len(pdfium.PdfDocument(str(out))) == 2

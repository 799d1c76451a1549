"""The EEG beside the video in the review window (pytest-qt, offscreen): the page follows the
cursor, clicks move the video, an EEG onset marked on the EEG lands on its sample and survives
save, reload and export, sync points fit the clocks, the wall clock and clock-time go-to."""
from __future__ import annotations

import datetime as dt
import json
import shutil

import edfio
import numpy as np
import pytest
from app_helpers import make_video
from PySide6.QtCore import Qt

from app.main_window import MainWindow
from inference.core.wall_clock import parse_start_time
from inference.dataset.manifest import Manifest, Recording, load_manifest, save_manifest
from inference.eeg.alignment import ClockAlignment
from inference.eeg.channels import TEN_TWENTY
from inference.eeg.link import link_path

FS = 256.0
VIDEO_START = parse_start_time("2026-03-14T21:30:00+01:00")
EEG_HEADER_START = dt.datetime(2026, 3, 14, 21, 29, 50)  # 10 s before the video, by the header
TRUTH = ClockAlignment(10.0 + 0.7, 50.0)  # the amplifier's clock is 0.7 s off what the headers say
TAPS_VIDEO_S = (2.0, 18.0)  # frame times of the video (10 fps)


def _write_eeg(path, seconds=40.0):
    n = int(seconds * FS)
    t = np.arange(n) / FS
    rng = np.random.default_rng(1)
    taps = [round(TRUTH.to_eeg(v) * FS) for v in TAPS_VIDEO_S]
    sigs = []
    for k, name in enumerate(TEN_TWENTY):
        x = 15 * np.sin(2 * np.pi * 10 * t + k) + rng.normal(0, 3, n)
        for i in taps:
            x[i] += 400.0  # the tap: one sample, every channel
        sigs.append(edfio.EdfSignal(x, FS, label=f"EEG {name}-REF", physical_dimension="uV",
                                    physical_range=(-800, 800)))
    edfio.Edf(sigs, starttime=EEG_HEADER_START.time(),
              recording=edfio.Recording(startdate=EEG_HEADER_START.date())).write(path)
    return [i / FS for i in taps]


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    d = tmp_path_factory.mktemp("veeg")
    return make_video(d, seconds=20.0)


@pytest.fixture
def recording(tmp_path, source):
    """A video with a manifest (start time, EEG) beside it; returns (video, eeg, tap EEG times)."""
    video = tmp_path / source.name
    shutil.copy(source, video)
    eeg = tmp_path / "rec.edf"
    taps = _write_eeg(eeg)
    save_manifest(Manifest([Recording("rec", "s1", video, start_time=VIDEO_START, eeg=eeg, duration_s=20.0)]),
                  tmp_path / "manifest.json")
    return video, eeg, taps


def _open(qtbot, video, **kw):
    win = MainWindow(reviewer="tester")
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    assert win.open_video(video, **kw)
    qtbot.waitUntil(lambda: win.is_open() and win.eeg_review.is_open(), timeout=10000)
    return win


def test_eeg_opens_from_the_manifest_and_follows_the_cursor(qtbot, recording):
    video, eeg, _ = recording
    win = _open(qtbot, video)
    review, view = win.eeg_review, win.eeg_view
    assert view.isVisible() and win.top_splitter.sizes()[1] >= 250
    assert review.alignment.source == "start times" and review.alignment.offset_s == pytest.approx(10.0)
    assert json.loads(link_path(video).read_text())["eeg"] == "rec.edf"
    assert view.montage() == "bipolar" and len(view._names) == 18
    win.seek(5.0)
    assert view.cursor.value() == pytest.approx(15.0)  # 10 s offset, no drift yet
    first = review.page_start
    win.seek(17.0)  # off the page: it flips, the cursor a tenth in
    assert review.page_start != first and review.page_start <= 27.0 < review.page_start + 10.0
    win.seek(1.0)
    key_page = review.page_start
    qtbot.keyClick(win, Qt.Key_PageDown)  # a page on: the video follows, the cursor a tenth in
    assert review.page_start == pytest.approx(key_page + 10.0, abs=0.11)
    assert win.current_time == pytest.approx(review.page_start + 1.0 - 10.0, abs=0.11)
    qtbot.keyClick(win, Qt.Key_PageDown)  # past the video's end: it stops on the last frame
    assert win.current_time == pytest.approx(19.9) and review.page_start <= 29.9 < review.page_start + 10
    assert len(review.redraw_ms) >= 3 and max(review.redraw_ms) < 1000


def test_an_eeg_onset_marked_on_the_eeg_keeps_its_sample_through_reload_and_export(qtbot, recording, tmp_path):
    video, _, _ = recording
    win = _open(qtbot, video)
    review = win.eeg_review
    eeg_instant = 16.0 + 37 / FS  # not on a frame boundary: 10 fps frames are 25.6 samples apart
    review.mark_here(eeg_instant)
    label = win.store.seizures()[0]
    expected = review.alignment.to_video(round(eeg_instant * FS) / FS)
    assert label.eeg_onset_s == pytest.approx(expected, abs=1e-6)  # stored to the microsecond
    assert label.eeg_onset_s != pytest.approx(win.current_time, abs=1e-3)  # the sample, not the frame
    win.close_video()
    win2 = _open(qtbot, video)
    back = win2.store.seizures()[0].eeg_onset_s
    assert round(win2.eeg_review.alignment.to_eeg(back) * FS) == round(eeg_instant * FS)
    out = tmp_path / "export"
    win2.export_training_labels(out)
    rec = load_manifest(out / "manifest.json").recordings[0]
    assert rec.start_time == VIDEO_START and rec.eeg.name == "rec.edf"  # the clock and the EEG travel along
    exported = rec.seizures[0].eeg_onset_s
    assert round(win2.eeg_review.alignment.to_eeg(exported) * FS) == round(eeg_instant * FS)


def test_two_sync_points_fit_the_true_clocks(qtbot, recording):
    video, _, taps = recording
    win = _open(qtbot, video)
    review = win.eeg_review
    for tap_eeg, tap_video in zip(taps, TAPS_VIDEO_S):
        review.click(tap_eeg + 2.4 / FS)  # a click a couple of samples off the peak still snaps near it
        review.pick = tap_eeg  # the reviewer settles on the peak
        win.seek(tap_video)  # steps the video to the frame that shows the tap
        qtbot.keyClick(win, Qt.Key_S)
    a = review.alignment
    assert a.source == "sync points" and len(a.points) == 2
    for v in (0.0, 10.0, 20.0):
        assert abs(a.to_eeg(v) - TRUTH.to_eeg(v)) <= 1.0 / FS
    saved = json.loads(link_path(video).read_text())
    assert saved["alignment"]["source"] == "sync points" and len(saved["history"]) == 2
    win.close_video()
    win2 = _open(qtbot, video)
    assert win2.eeg_review.alignment.offset_s == pytest.approx(a.offset_s)
    assert [m.value() for m in win2.eeg_view._marks] == pytest.approx(taps, abs=1 / FS)


def test_wall_clock_display_and_clock_time_go_to(qtbot, recording):
    video, _, _ = recording
    win = _open(qtbot, video)
    assert win.recording_clock.source == "manifest" and win.actions["view.wall_clock"].isEnabled()
    win.actions["view.wall_clock"].trigger()
    try:
        win.seek(3.0)
        assert win.transport.position_label.text().startswith("21:30:03.000")
        assert win.go_to_text("21:30:12.5") and win.current_time == pytest.approx(12.5)
        assert win.go_to_text("+00:00:04") and win.current_time == pytest.approx(4.0)
        assert not win.go_to_text("23:00") and "outside the recording" in win.message_bar.text()
    finally:
        win.actions["view.wall_clock"].trigger()
    assert win.transport.position_label.text().startswith("00:00:04.000")


def test_a_bad_eeg_file_is_named_in_the_message_bar(qtbot, recording, tmp_path):
    video, _, _ = recording
    bad = tmp_path / "broken.edf"
    bad.write_bytes(b"0       " + b"x" * 100)
    win = MainWindow(reviewer="tester")
    qtbot.addWidget(win)
    win.show()
    assert win.open_video(video, eeg=bad)
    qtbot.waitUntil(win.is_open, timeout=10000)
    assert "broken.edf" in win.message_bar.text() and not win.eeg_review.is_open()


def test_montage_filters_and_hidden_channels_redraw_the_page(qtbot, recording):
    video, _, _ = recording
    win = _open(qtbot, video)
    view = win.eeg_view
    view.montage_box.setCurrentIndex(view.montage_box.findData("average"))
    assert view._names[0] == "Fp1-Avg" and len(view._names) == 19
    view._toggle_channel("Fp1-Avg", False)
    assert "Fp1-Avg" not in view._names and view.channels_button.text() == "Ch 18/19"
    before = view.rows_per_microvolt()
    qtbot.keyClick(win, Qt.Key_Up, Qt.ShiftModifier)
    assert view.rows_per_microvolt() > before  # more sensitive: bigger traces

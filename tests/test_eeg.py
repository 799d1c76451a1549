"""The EEG layer: files read lazily by pages, montages, display filters, clock alignment, the link file."""
from __future__ import annotations

import datetime as dt
import json

import edfio
import numpy as np
import pytest

from inference.core.errors import EegError
from inference.core.wall_clock import format_clock, parse_clock_time, parse_start_time, start_time_from_name
from inference.eeg.alignment import ClockAlignment, SyncPoint, fit_alignment, from_start_times
from inference.eeg.channels import electrode_name
from inference.eeg.edf_file import EegChannel, EegFile
from inference.eeg.edf_writer import write_edf
from inference.eeg.filters import DisplayFilters, apply_filters
from inference.eeg.link import EegLink, link_path, load_link, save_link
from inference.eeg.montage import derivations
from inference.eeg.page import EegPager, PageSettings, page_start_for
from inference.synth.eeg_signal import EegClock, synthesize_eeg
from widgets.trace_thinning import min_max_thin

FS = 256.0
NAMES = ["EEG Fp1-REF", "EEG Fp2-REF", "EEG F7-REF", "EEG T7-REF", "EEG P7-REF", "EEG O1-REF", "EEG Cz-REF", "ECG"]


def _write_edf(path, seconds=60.0, bdf=False):
    n = int(seconds * FS)
    t = np.arange(n) / FS
    rng = np.random.default_rng(0)
    sigs = []
    for k, name in enumerate(NAMES):
        x = 20 * np.sin(2 * np.pi * 10 * t + k) + rng.normal(0, 2, n)
        x[int(30 * FS)] += 300 if name == "EEG O1-REF" else 0  # one spike, one sample wide
        cls = edfio.BdfSignal if bdf else edfio.EdfSignal
        sigs.append(cls(x if name != "ECG" else x * 1e-3, FS, label=name,
                        physical_dimension="uV" if name != "ECG" else "mV", physical_range=(-1000, 1000)))
    edf = (edfio.Bdf if bdf else edfio.Edf)(sigs, starttime=dt.time(21, 29, 50),
                                            recording=edfio.Recording(startdate=dt.date(2026, 3, 14)),
                                            **({} if bdf else {"annotations": [edfio.EdfAnnotation(12.5, None,
                                                                                                   "tap")]}))
    edf.write(path)
    return path


def test_two_sync_points_fit_offset_and_drift_to_one_sample_over_an_hour():
    truth = ClockAlignment(12.3456, 50.0)  # 50 ppm: 0.18 s over the hour
    fps, hour = 25.0, 3600.0

    def eeg_sample_of(video_s):  # what a reviewer clicks: the sample nearest the event
        return round(truth.to_eeg(video_s) * FS) / FS

    points = [SyncPoint(25 / fps, eeg_sample_of(25 / fps), "tap 1"),
              SyncPoint(89750 / fps, eeg_sample_of(89750 / fps), "tap 2")]
    fitted = fit_alignment(points, from_start_times(None, None))
    assert fitted.source == "sync points" and abs(fitted.drift_ppm - 50.0) < 0.5
    for onset in (2.0, 1800.0, hour - 2.0):  # EEG onsets at the start, middle and end
        assert abs(fitted.to_eeg(onset) - truth.to_eeg(onset)) <= 1.0 / FS
        assert abs(fitted.to_video(truth.to_eeg(onset)) - onset) <= 1.0 / FS
    # Without the drift the end of the hour would be 0.18 s (46 samples) off.
    offset_only = fit_alignment(points[:1], from_start_times(None, None))
    assert abs(offset_only.to_eeg(hour) - truth.to_eeg(hour)) > 40 / FS


def test_alignment_refuses_contradicting_points_and_round_trips():
    base = from_start_times(parse_start_time("2026-03-14T21:30:00+01:00"),
                            parse_start_time("2026-03-14T21:29:50+01:00"))
    assert base.offset_s == pytest.approx(10.0) and base.drift_ppm == 0.0
    with pytest.raises(ValueError, match="ppm"):
        fit_alignment([SyncPoint(10, 20), SyncPoint(20, 40)], base)
    with pytest.raises(ValueError, match="1 s apart"):
        fit_alignment([SyncPoint(10, 20), SyncPoint(10.5, 20.5)], base)
    three = fit_alignment([SyncPoint(0, 10), SyncPoint(100, 110.001), SyncPoint(200, 210.0)], base, by="Dr A")
    assert three.residual_ms is not None and three.residual_ms > 0 and three.by == "Dr A"
    assert ClockAlignment.from_dict(json.loads(json.dumps(three.to_dict()))) == three


def test_wall_clock_parsing_and_overnight_go_to():
    start = parse_start_time("2026-03-14T23:50:00.000+01:00")
    assert format_clock(start, 615.25) == "00:00:15.250"
    assert parse_clock_time("23:55", start) == pytest.approx(300.0)
    assert parse_clock_time("00:10:00.5", start, duration_s=3600) == pytest.approx(1200.5)  # the next day
    with pytest.raises(ValueError, match="outside the recording"):
        parse_clock_time("02:00", start, duration_s=3600)
    with pytest.raises(ValueError, match="time zone"):
        parse_start_time("2026-03-14T23:50:00")
    named = start_time_from_name("Pat01_03-MAY-2013_14h45m49.013s_Video.avi", dt.timezone.utc)
    assert named == dt.datetime(2013, 5, 3, 14, 45, 49, 13000, tzinfo=dt.timezone.utc)


def test_channel_names_reduce_to_10_20():
    assert [electrode_name(n) for n in NAMES] == ["Fp1", "Fp2", "F7", "T3", "T5", "O1", "Cz", None]
    assert electrode_name("FP1-LE") == "Fp1" and electrode_name("Photic") is None


@pytest.mark.parametrize("bdf", [False, True])
def test_file_opens_lazily_and_pages_hold_the_samples(tmp_path, bdf):
    path = _write_edf(tmp_path / ("r.bdf" if bdf else "r.edf"), bdf=bdf)
    eeg = EegFile.open(path)
    assert eeg.kind == ("BDF" if bdf else "EDF+C") and eeg.fs == FS and eeg.duration_s == pytest.approx(60.0)
    assert eeg.start == dt.datetime(2026, 3, 14, 21, 29, 50)
    assert [c.electrode for c in eeg.eeg_channels] == ["Fp1", "Fp2", "F7", "T3", "T5", "O1", "Cz"]
    if not bdf:
        assert [(a.onset_s, a.text) for a in eeg.annotations()] == [(12.5, "tap")]
    pager = EegPager(eeg)
    page = pager.page(25.0, PageSettings(montage="recorded", filters=DisplayFilters(None, None, None)))
    assert page.start_s == 25.0 and page.n_samples == int(10 * FS)
    o1 = page.names.index("O1")
    assert int(np.argmax(page.data[o1])) == int(5 * FS)  # the spike at 30 s, to the sample
    assert page.names[-1] == "ECG" and abs(page.data[-1]).max() > 10  # mV shown as µV
    bip = pager.page(25.0, PageSettings(montage="bipolar"))
    assert bip.names[:3] == ["Fp1-F7", "F7-T3", "T3-T5"] and "ECG" in bip.names
    avg = pager.page(25.0, PageSettings(montage="average", hidden=frozenset({"Cz-Avg"})))
    assert "Cz-Avg" not in avg.names and avg.names[0] == "Fp1-Avg"
    # The last page stops at the file's end, on a sample.
    end = pager.page(58.0, PageSettings())
    assert end.start_s == pytest.approx(50.0) and end.n_samples == int(10 * FS)


def test_filters_are_zero_phase_and_remove_what_they_should():
    t = np.arange(int(20 * FS)) / FS
    x = np.vstack([np.sin(2 * np.pi * 10 * t) + 5.0 + np.sin(2 * np.pi * 50 * t)])
    y = apply_filters(x, FS, DisplayFilters(0.5, 30.0, 50.0))
    mid = slice(int(5 * FS), int(15 * FS))
    assert abs(y[0, mid].mean()) < 0.05  # the DC offset is gone
    lag = np.argmax(np.correlate(y[0, mid], np.sin(2 * np.pi * 10 * t[mid]), "full")) - (mid.stop - mid.start - 1)
    assert lag == 0  # no phase shift at 10 Hz
    assert np.std(y[0, mid] - np.sin(2 * np.pi * 10 * t[mid])) < 0.1  # 50 Hz removed, 10 Hz kept


def test_min_max_thinning_keeps_a_one_sample_spike():
    t = np.arange(10000) / FS
    y = np.zeros((2, 10000))
    y[1, 4321] = 500.0
    tt, yy = min_max_thin(t, y, 800)
    assert yy.shape[1] <= 800 and len(tt) == yy.shape[1] and yy[1].max() == 500.0


def test_paging_flips_like_an_eeg_reader():
    assert page_start_for(12.0, 10.0, 5.0) == 5.0
    assert page_start_for(15.5, 10.0, 5.0) == pytest.approx(14.5)


@pytest.mark.parametrize("content, problem", [
    (b"", "too short"), (b"hello" * 60, "not an EDF or BDF"), (None, "not found")])
def test_bad_files_are_named_with_the_problem(tmp_path, content, problem):
    path = tmp_path / "bad.edf"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(EegError, match=problem) as err:
        EegFile.open(path)
    assert "bad.edf" in str(err.value)


def test_a_truncated_file_opens_with_what_is_there(tmp_path):
    path = _write_edf(tmp_path / "r.edf")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    eeg = EegFile.open(path)
    assert 25.0 <= eeg.duration_s < 31.0 and "truncated" in eeg.summary()


def test_link_file_round_trips_and_reports_malformed_content(tmp_path):
    video = tmp_path / "rec.mp4"
    eeg = _write_edf(tmp_path / "rec.edf")
    fitted = fit_alignment([SyncPoint(1.0, 11.3), SyncPoint(50.0, 60.301)], from_start_times(None, None), by="Dr A")
    start = parse_start_time("2026-03-14T21:30:00+01:00")
    save_link(video, EegLink(eeg, fitted, start.tzinfo, start, "manifest", [from_start_times(None, None)]))
    back = load_link(video)
    assert back.eeg == eeg and back.alignment == fitted and back.video_start == start and len(back.history) == 1
    assert json.loads(link_path(video).read_text())["eeg"] == "rec.edf"
    link_path(video).write_text('{"format": "semioscope.eeg_link", "version": 1, "eeg": "x.edf"}')
    with pytest.raises(EegError, match="malformed"):
        load_link(video)


def test_derivations_skip_missing_electrodes():
    chans = [EegChannel(i, n, electrode_name(n), FS, "uV", 1.0) for i, n in enumerate(NAMES)]
    names = [d.name for d in derivations(chans, "bipolar")]
    assert names == ["Fp1-F7", "F7-T3", "T3-T5", "T5-O1", "ECG"]
    with pytest.raises(ValueError, match="unknown montage"):
        derivations(chans, "laplacian")


def test_sync_taps_found_on_a_synthetic_hour_fix_the_eeg_onset_to_one_sample(tmp_path):
    """Acceptance (issue 15): an hour of synthetic EEG on a clock 1.37 s off its header and
    drifting 50 ppm; a reviewer marks the two taps (the EEG sample at each tap's peak against the
    video frame that shows it); the fitted alignment puts an EEG onset at the start and at the end
    of the hour within one sample of the truth."""
    fps, hour = 10.0, 3600.0
    start = dt.datetime(2026, 3, 14, 21, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    clock = EegClock(start, start - dt.timedelta(seconds=20), 20.0 + 1.37, 50.0, hour + 40.0)
    xy = np.zeros((int(hour * fps), 14, 2), np.float32)
    synth = synthesize_eeg(3, clock, xy, fps, px_per_m=200.0, asleep=False)
    assert all(abs(v * fps - round(v * fps)) < 1e-6 for v, _ in synth.sync_points)  # taps at frame times
    path = write_edf(tmp_path / "hour.edf", synth.signals_uv, synth.fs, list(synth.channels), clock.eeg_start)
    eeg = EegFile.open(path)
    pager = EegPager(eeg)
    nominal = from_start_times(clock.video_start, eeg.start_time(clock.eeg_start.tzinfo))
    assert nominal.offset_s == pytest.approx(20.0)
    points = []
    for video_s, _ in synth.sync_points:
        # The reviewer pages to where the headers put the tap and clicks its peak.
        page = pager.page(nominal.to_eeg(video_s) - 5.0, PageSettings(montage="recorded",
                                                                       filters=DisplayFilters(None, None, None)))
        peak = int(np.argmax(np.abs(page.data).sum(axis=0)))
        points.append(SyncPoint(video_s, page.start_s + peak / page.fs))
    fitted = fit_alignment(points, nominal)
    assert abs(fitted.drift_ppm - 50.0) < 2.0
    for onset in (5.0, hour - 5.0):
        assert abs(fitted.to_eeg(onset) - clock.to_eeg(onset)) <= 1.0 / FS, onset

"""Synthetic EEG beside the synthetic video: the EDF+ file (read back with MNE), its clock truth
(offset, drift, sync taps, onsets in EEG time), the seizure's rhythm, determinism, the manifest's
start_time and eeg columns, and the video's creation_time tag. Small frames, 30 s recordings."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import av
import mne
import numpy as np
import pytest
from scipy.signal import welch

from inference.core.wall_clock import parse_start_time
from inference.dataset.manifest import FOCAL, load_manifest
from inference.eeg.edf_writer import physical_range, write_edf
from inference.synth import SynthConfig, generate_dataset, generate_recording
from inference.synth.eeg_signal import CHANNELS, sample_clock
from inference.video.writer import VideoWriter, creation_time_tag

CFG = SynthConfig(size=(160, 120), fps=15.0, recordings_per_subject=(1, 1), duration_s=(30.0, 30.0),
                  staff_probability=0.0, eeg=True)


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    out = tmp_path_factory.mktemp("eeg") / "a"
    manifest = generate_dataset(out, 1, seed=7, config=CFG, workers=1)
    rec = manifest.recordings[0]
    truth = json.loads(rec.video.with_name(rec.recording_id + ".eeg.truth.json").read_text())
    raw = mne.io.read_raw_edf(rec.eeg, preload=False, verbose="error")
    return out, rec, truth, raw


def _data(raw) -> np.ndarray:
    return raw.get_data() * 1e6  # MNE gives volts


def test_edf_header_channels_and_duration(synth):
    _, rec, truth, raw = synth
    assert rec.eeg is not None and rec.eeg.is_absolute() and rec.eeg.suffix == ".edf"
    assert rec.eeg.parent == rec.video.parent and rec.eeg.stem == rec.video.stem
    assert raw.ch_names == list(CHANNELS) == truth["channels"] and len(raw.ch_names) == 19
    assert raw.info["sfreq"] == truth["fs"] == 256.0
    eeg_start = parse_start_time(truth["eeg_start"])
    # EDF has no zone: the header holds the EEG's wall clock, which MNE labels UTC.
    assert raw.info["meas_date"].replace(tzinfo=None) == eeg_start.replace(tzinfo=None)
    video_end = truth["offset_s"] + (1 + truth["drift_ppm"] * 1e-6) * rec.duration_s
    assert truth["offset_s"] > 0 and raw.n_times / raw.info["sfreq"] > video_end
    x = _data(raw)
    assert 5.0 < np.median(x.std(axis=1)) < 100.0  # scalp EEG, in µV


def test_clock_truth(synth):
    _, rec, truth, _ = synth
    video_start, eeg_start = parse_start_time(truth["video_start"]), parse_start_time(truth["eeg_start"])
    assert video_start == rec.start_time and video_start.utcoffset() == timedelta(hours=1)
    assert video_start.year == 2026 and eeg_start.microsecond == 0 and video_start.microsecond == 0
    assert 3 <= (video_start - eeg_start).total_seconds() <= 60
    assert truth["header_offset_s"] == (video_start - eeg_start).total_seconds()
    assert abs(truth["offset_s"] - truth["header_offset_s"]) <= 2.0
    assert 10.0 <= abs(truth["drift_ppm"]) <= 60.0
    k = 1 + truth["drift_ppm"] * 1e-6
    sp = truth["sync_points"]
    assert len(sp) == 2 and sp[0]["video_s"] < 0.25 * rec.duration_s and sp[1]["video_s"] > 0.75 * rec.duration_s
    for p in sp:
        assert abs(p["video_s"] * 15.0 - round(p["video_s"] * 15.0)) < 1e-9  # exact frame times
        assert p["eeg_s"] == pytest.approx(truth["offset_s"] + k * p["video_s"], abs=1e-9)
    (sz,) = rec.seizures
    (tz,) = truth["seizures"]
    assert tz["eeg_onset_eeg_s"] == pytest.approx(truth["offset_s"] + k * sz.eeg_onset_s, abs=2e-3)
    assert tz["end_eeg_s"] == pytest.approx(truth["offset_s"] + k * sz.end_s, abs=2e-3)


def test_sync_taps_are_where_the_truth_says(synth):
    _, _, truth, raw = synth
    fs = raw.info["sfreq"]
    x = np.abs(_data(raw)).mean(axis=0)
    for p in truth["sync_points"]:
        at = p["eeg_s"] * fs
        lo = int(at) - int(0.5 * fs)
        peak = lo + int(np.argmax(x[lo:lo + int(fs)]))
        assert abs(peak - at) <= 1.0, (peak, at)
        assert x[peak] > 500.0


def test_focal_rhythm_rises_after_eeg_onset(synth):
    _, rec, truth, raw = synth
    assert rec.seizure_type == FOCAL
    (tz,) = truth["seizures"]
    fs = raw.info["sfreq"]
    picks = [raw.ch_names.index(c) for c in tz["onset_channels"]]
    assert 1 <= len(picks) <= 4
    x = _data(raw)[picks]
    onset = tz["eeg_onset_eeg_s"]

    def theta_power(a: float, b: float) -> float:
        f, p = welch(x[:, int(a * fs):int(b * fs)], fs=fs, nperseg=int(2 * fs))
        return float(p[:, (f >= 4.0) & (f <= 7.0)].sum(axis=1).mean())

    before, after = theta_power(onset - 8.0, onset - 1.0), theta_power(onset + 3.0, onset + 10.0)
    assert after > 5.0 * before, (before, after)
    # The other hemisphere is reached later, and less.
    other = [raw.ch_names.index(c) for c in (("C4", "T4") if tz["hemisphere"] == "left" else ("C3", "T3"))]
    y = _data(raw)[other][:, int((onset + 1.0) * fs):int((onset + 4.0) * fs)]
    z = x[:, int((onset + 1.0) * fs):int((onset + 4.0) * fs)]
    assert z.std() > 1.5 * y.std()


def test_same_seed_same_bytes(synth, tmp_path):
    _, rec, truth, _ = synth
    again = generate_dataset(tmp_path / "b", 1, seed=7, config=CFG, workers=1).recordings[0]
    assert again.eeg.read_bytes() == rec.eeg.read_bytes()
    assert json.loads(again.video.with_name(again.recording_id + ".eeg.truth.json").read_text()) == truth
    other = sample_clock(8, 8, False, 30.0)
    assert (other.video_start, other.offset_s) != (rec.start_time, truth["offset_s"])


def test_manifest_round_trips_start_time_and_eeg(synth):
    out, rec, _, _ = synth
    for name in ("manifest.csv", "manifest.json"):
        (back,) = load_manifest(out / name).recordings
        assert back.start_time == rec.start_time and back.start_time.utcoffset() == timedelta(hours=1)
        assert back.eeg == rec.eeg
    assert "start_time" in (out / "manifest.csv").read_text().splitlines()[0]


def test_video_creation_time_tag(synth):
    _, rec, _, _ = synth
    with av.open(str(rec.video)) as container:
        tag = container.metadata["creation_time"]
    assert parse_start_time(tag) == rec.start_time
    assert tag == creation_time_tag(rec.start_time) and tag.endswith("Z")


def test_without_eeg_only_the_start_time(tmp_path):
    cfg = replace(CFG, eeg=False, duration_s=(4.0, 4.0))
    rec = generate_recording(tmp_path / "r.mp4", "sub01", "sub01_r1", 7, cfg, "none", duration_s=4.0)
    assert rec.eeg is None and rec.start_time is not None
    assert not list(tmp_path.glob("*.edf")) and not list(tmp_path.glob("*.eeg.truth.json"))
    ann = json.loads((tmp_path / "r.annotations.json").read_text())
    assert "eeg" not in ann and "eeg" not in ann["config"]
    assert rec.start_time == sample_clock(7, 7, ann["night_mode"], rec.duration_s).video_start


def test_creation_time_changes_no_frame(tmp_path):
    frames = [np.full((32, 48, 3), 40 * k, np.uint8) for k in range(4)]
    for name, when in (("a.mp4", None), ("b.mp4", datetime(2026, 3, 14, 21, 30, tzinfo=timezone(timedelta(hours=1))))):
        with VideoWriter(tmp_path / name, fps=10, size=(48, 32), creation_time=when) as w:
            for f in frames:
                w.write(f)
    packets = []
    for name in ("a.mp4", "b.mp4"):
        with av.open(str(tmp_path / name)) as c:
            packets.append([bytes(p) for p in c.demux(video=0) if p.size])
    assert packets[0] == packets[1]
    with av.open(str(tmp_path / "b.mp4")) as c:
        assert c.metadata["creation_time"] == "2026-03-14T20:30:00.000000Z"
    with pytest.raises(ValueError, match="zone"):
        VideoWriter(tmp_path / "c.mp4", creation_time=datetime(2026, 3, 14, 21, 30))


def test_write_edf_annotations_range_and_padding(tmp_path):
    fs = 100.0
    t = np.arange(250) / fs  # 2.5 s: padded to 3 records of 1 s
    x = np.stack([20.0 * np.sin(2 * np.pi * 5 * t), 0.5 * np.cos(2 * np.pi * 2 * t)])
    start = datetime(2026, 3, 14, 21, 30, 5, tzinfo=timezone(timedelta(hours=1)))
    path = write_edf(tmp_path / "x.edf", x, fs, ["Fp1", "Marker"], start,
                     [(0.5, 1.25, "seizure onset"), (2.0, None, "note")])
    assert [p.name for p in tmp_path.iterdir()] == ["x.edf"]  # no temporary file left
    raw = mne.io.read_raw_edf(path, preload=True, verbose="error")
    assert raw.info["meas_date"].replace(tzinfo=None) == datetime(2026, 3, 14, 21, 30, 5)
    assert raw.n_times == 300
    back = raw.get_data() * 1e6
    np.testing.assert_allclose(back[:, :250], x, atol=1e-3)  # a small signal keeps its resolution
    np.testing.assert_allclose(back[:, 250:], x[:, -1:].repeat(50, axis=1), atol=1e-3)
    ann = raw.annotations
    assert list(ann.description) == ["seizure onset", "note"]
    np.testing.assert_allclose(ann.onset, [0.5, 2.0])
    assert ann.duration[0] == pytest.approx(1.25)
    assert physical_range(np.array([-3.0, 250.0])) == (-275.0, 275.0)
    with pytest.raises(ValueError, match="1985"):
        write_edf(tmp_path / "old.edf", x, fs, ["a", "b"], datetime(1980, 1, 1))
    with pytest.raises(ValueError, match="channel names"):
        write_edf(tmp_path / "n.edf", x, fs, ["a"], start)
    assert not (tmp_path / "old.edf").exists()


def test_recording_start_follows_night_and_day():
    for s in range(20):
        night = sample_clock(s, 100 + s, True, 600.0).video_start
        day = sample_clock(s, 100 + s, False, 600.0).video_start
        assert night.hour >= 21 or night.hour < 5
        assert 8 <= day.hour < 19

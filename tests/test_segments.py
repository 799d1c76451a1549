"""Exact window counts and labels on hand-built recordings (no video needed)."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from inference.core.config import SegmentConfig, load_default_config
from inference.dataset.manifest import FBTC, FOCAL, NO_SEIZURE, Manifest, Recording, Seizure
from inference.dataset.segments import (
    ICTAL,
    INTERICTAL,
    Segment,
    SegmentCount,
    count_segments,
    label_window,
    segment_manifest,
    segment_recording,
    soft_rise,
    total_count,
    window_starts,
)

CFG = SegmentConfig()


def rec(rid="r1", subject="s1", stype=FOCAL, seizures=(), duration=None, video="missing.mp4"):
    return Recording(rid, subject, Path(video), stype, tuple(seizures), duration)


def labels_by_start(segments):
    return {s.start_s: s.label for s in segments}


def test_defaults_match_the_paper():
    assert CFG.window_s == 5.0 and CFG.fps == 6.0 and CFG.frames_per_window == 30
    assert CFG.ictal_span_s == 40.0 and CFG.train_stride_s == 5.0
    assert load_default_config().segments == CFG  # the TOML and the dataclass agree


def test_window_starts_exact():
    assert window_starts(20.0, CFG).tolist() == [0.0, 5.0, 10.0, 15.0]
    assert window_starts(19.99, CFG).tolist() == [0.0, 5.0, 10.0]
    assert window_starts(4.9, CFG).tolist() == []
    assert window_starts(7.0, CFG, stride_s=1.0).tolist() == [0.0, 1.0, 2.0]
    # 0.1 s steps accumulate float error; the count must still be exact.
    assert len(window_starts(10.0, CFG, stride_s=0.1)) == 51


def test_sample_times_thirty_frames_before_end():
    seg = Segment("r", "s", FOCAL, 10.0, 15.0, 0)
    t = seg.sample_times(CFG.fps)
    assert t.shape == (30,)
    assert t[0] == 10.0 and t[-1] < 15.0
    assert np.allclose(np.diff(t), 1 / 6)


def test_window_ending_exactly_at_eeg_onset_is_interictal():
    sz = [Seizure(eeg_onset_s=100.0, clinical_onset_s=110.0, end_s=200.0)]
    assert label_window(95.0, 100.0, sz, CFG) == INTERICTAL
    assert label_window(95.5, 100.5, sz, CFG) is None  # one frame after EEG onset: excluded


def test_window_starting_exactly_at_clinical_onset_plus_span_is_excluded():
    sz = [Seizure(100.0, 110.0, 300.0)]
    assert label_window(110.0, 115.0, sz, CFG) == ICTAL  # starts exactly at clinical onset
    assert label_window(149.0, 154.0, sz, CFG) == ICTAL
    assert label_window(150.0, 155.0, sz, CFG) is None  # clinical onset + 40 s
    assert label_window(105.0, 110.0, sz, CFG) is None  # between EEG and clinical onset
    assert label_window(109.0, 114.0, sz, CFG) is None  # straddles clinical onset


def test_one_seizure_exact_counts():
    r = rec(seizures=[Seizure(100.0, 110.0, 200.0)], duration=300.0)
    segs = segment_recording(r, 300.0, CFG)
    got = labels_by_start(segs)
    # Interictal: windows ending at or before 100 s -> starts 0..95 (20 windows).
    assert [s for s, l in got.items() if l == 0] == [5.0 * k for k in range(20)]
    # Ictal: starts in [110, 150) -> 110..145 (8 windows).
    assert [s for s, l in got.items() if l == 1] == [110.0 + 5 * k for k in range(8)]
    assert len(segs) == 28
    # Post-ictal (end 200 + guard 600) is past the video's end: nothing after 145 s.
    assert max(got) == 145.0
    assert all(s.subject_id == "s1" and s.seizure_type == FOCAL and s.soft_label is None for s in segs)
    assert all(s.end_s - s.start_s == 5.0 for s in segs)


def test_ictal_windows_stop_at_a_short_seizures_end():
    r = rec(seizures=[Seizure(100.0, 110.0, 132.0)], duration=300.0)
    ictal = [s.start_s for s in segment_recording(r, 300.0, CFG) if s.label == ICTAL]
    assert ictal == [110.0, 115.0, 120.0, 125.0, 130.0]  # 135 starts after the end at 132


def test_recording_without_seizures_is_all_interictal():
    r = rec(stype=NO_SEIZURE, duration=62.0)
    segs = segment_recording(r, 62.0, CFG)
    assert len(segs) == 12 and {s.label for s in segs} == {0}
    assert segs[-1].start_s == 55.0 and segs[-1].end_s == 60.0


def test_two_seizures_with_postictal_guard():
    cfg = CFG.replace(postictal_guard_s=60.0)
    sz = [Seizure(100.0, 105.0, 160.0), Seizure(400.0, 402.0, 470.0)]
    r = rec(stype=FBTC, seizures=sz, duration=800.0)
    segs = segment_recording(r, 800.0, cfg)
    inter = [s.start_s for s in segs if s.label == INTERICTAL]
    ictal = [s.start_s for s in segs if s.label == ICTAL]
    before_first = [5.0 * k for k in range(20)]  # 0..95
    between = [220.0 + 5 * k for k in range(36)]  # from end 160 + 60 = 220, ending <= 400 -> 220..395
    after_last = [530.0 + 5 * k for k in range(54)]  # from 470 + 60 = 530 to 795 (ends at 800)
    assert inter == before_first + between + after_last
    # Ictal: starts in [105, 145) and [402, 442).
    assert ictal == [105.0 + 5 * k for k in range(8)] + [405.0 + 5 * k for k in range(8)]
    assert count_segments(segs) == {"s1": SegmentCount(interictal=110, ictal=16)}


def test_two_seizures_default_guard_and_paper_literal_rule():
    sz = [Seizure(100.0, 105.0, 160.0), Seizure(900.0, 910.0, None)]
    r = rec(seizures=sz, duration=1100.0)
    inter = [s.start_s for s in segment_recording(r, 1100.0, CFG) if s.label == INTERICTAL]
    # Default guard 600 s after the first end (160): interictal again from 760 until 900.
    assert inter == [5.0 * k for k in range(20)] + [760.0 + 5 * k for k in range(28)]
    # Second seizure has no end: assumed 910 + 120 = 1030, + 600 is past the video.
    literal = CFG.replace(postictal_guard_s=math.inf)
    inter_literal = [s.start_s for s in segment_recording(r, 1100.0, literal) if s.label == INTERICTAL]
    assert inter_literal == [5.0 * k for k in range(20)]


def test_configurable_window_span_and_stride():
    cfg = SegmentConfig(window_s=2.0, fps=10.0, ictal_span_s=10.0, train_stride_s=2.0)
    assert cfg.frames_per_window == 20
    r = rec(seizures=[Seizure(10.0, 12.0, 60.0)], duration=30.0)
    got = labels_by_start(segment_recording(r, 30.0, cfg))
    assert got == {0.0: 0, 2.0: 0, 4.0: 0, 6.0: 0, 8.0: 0, 12.0: 1, 14.0: 1, 16.0: 1, 18.0: 1, 20.0: 1}
    # Review stride 1 s: same rules, more windows.
    got1 = labels_by_start(segment_recording(r, 30.0, cfg, stride_s=1.0))
    assert sum(1 for l in got1.values() if l == 0) == 9  # starts 0..8
    assert sum(1 for l in got1.values() if l == 1) == 10  # starts 12..21


def test_soft_labels_rise_from_eeg_to_clinical_onset():
    assert soft_rise(100.0, 100.0, 120.0, 5.0) == 0.0
    assert soft_rise(120.0, 100.0, 120.0, 5.0) == 1.0
    mid = soft_rise(110.0, 100.0, 120.0, 5.0)
    assert mid == pytest.approx(math.expm1(2.5) / math.expm1(5.0))
    assert mid < 0.5  # exponential: slow start, steep near clinical onset
    cfg = CFG.replace(soft_labels=True)
    r = rec(seizures=[Seizure(100.0, 120.0, 300.0)], duration=200.0)
    segs = {s.start_s: s for s in segment_recording(r, 200.0, cfg)}
    assert segs[95.0].soft_label == 0.0 and segs[95.0].label == 0
    for start in (100.0, 105.0, 110.0):  # transition windows: soft label at the window's end
        s = segs[start]
        assert s.soft_label == pytest.approx(soft_rise(start + 5.0, 100.0, 120.0, 5.0))
        assert s.label == int(s.soft_label >= 0.5)
    assert segs[115.0].soft_label == 1.0 and segs[115.0].label == 1  # ends at clinical onset
    assert segs[120.0].soft_label == 1.0 and segs[155.0].label == 1
    assert 160.0 not in segs  # past the ictal span: still excluded
    assert len(segs) == 20 + 4 + 8


def test_segment_manifest_durations_sources(tmp_path):
    a = rec("a", "s1", duration=20.0)
    b = rec("b", "s2", seizures=[Seizure(10.0, 10.0, 100.0)])
    segs = segment_manifest(Manifest([a, b]), CFG, durations={"b": 30.0})
    counts = count_segments(segs)
    assert counts == {"s1": SegmentCount(4, 0), "s2": SegmentCount(2, 4)}
    assert total_count(counts) == SegmentCount(6, 4)
    # Without a duration it probes the video, whose error names the file.
    from inference.core.errors import VideoError
    with pytest.raises(VideoError, match="missing.mp4"):
        segment_manifest([b], CFG)


def test_segment_manifest_probes_real_video(numbered_video):
    path = numbered_video("v.mp4", n=110, fps=10.0)  # 11 s
    r = Recording("v", "s9", path, NO_SEIZURE, (), None)
    segs = segment_manifest([r], CFG)
    assert [(s.start_s, s.label) for s in segs] == [(0.0, 0), (5.0, 0)]


def test_cli_segments_tables_and_errors(tmp_path, numbered_video, capsys):
    from app.cli import main

    for k in range(4):
        numbered_video(f"v{k}.mp4", n=100, fps=5.0)  # 20 s each
    header = "recording_id,subject_id,video,seizure_type,eeg_onset_s,clinical_onset_s,end_s,duration_s\n"
    rows = ["a,s1,v0.mp4,focal,10,12,,", "b,s2,v1.mp4,fbtc,5,4,,", "c,s3,v2.mp4,none,,,,", "d,s4,v3.mp4,focal,10,10,,"]
    good = tmp_path / "m.csv"
    good.write_text(header + "\n".join(rows) + "\n")
    assert main(["segments", str(good), "--test-subjects", "2", "--split-seed", "1"]) == 0
    captured = capsys.readouterr()
    assert "b: seizure 1: clinical onset (4 s) is before EEG onset (5 s)" in captured.err  # warning
    lines = captured.out.splitlines()
    table = {ln.split()[0]: ln.split() for ln in lines if ln.split() and ln.split()[0] in ("s1", "s2", "s3", "s4")}
    # s1: interictal 0,5; ictal 15.  s2: interictal 0; ictal 5,10,15 (clinical onset 4 s).
    # s3: 4 interictal.  s4: interictal 0,5; ictal 10,15.
    assert {s: row[3:] for s, row in table.items()} == {
        "s1": ["2", "1", "3"], "s2": ["1", "3", "4"], "s3": ["4", "0", "4"], "s4": ["2", "2", "4"]}
    roles = {s: row[2] for s, row in table.items()}
    # 2 test subjects would leave no validation subject: the split `train` would use is shown, adapted
    # (and said so) to 1 test, 1 validation, 2 training subjects, each part with seizures.
    assert "adapted to 1 test, 1 validation and 2 training subjects" in captured.err
    assert sorted(roles.values()) == ["test", "train", "train", "val"]
    assert roles["s3"] == "train"  # the seizure-free subject cannot be a part's only subject
    assert main(["segments", str(good), "--test-subjects", "1", "--val-subjects", "1", "--split-seed", "1"]) == 0
    assert "adapted" not in capsys.readouterr().err
    total = next(ln.split() for ln in lines if ln.startswith("total"))
    assert total[1:] == ["4", "9", "6", "15"]

    bad = tmp_path / "bad.csv"
    bad.write_text(header + "a,s1,v0.mp4,focal,-1,12,,\nz,s9,nothere.mp4,focal,1,2,,\n")
    assert main(["segments", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: 2 error(s):" in err
    assert "a: seizure 1: negative time eeg_onset_s = -1 s" in err and "z: video not found" in err

    # --config overrides the packaged rules: a 10 s window gives fewer, longer windows.
    user = tmp_path / "rules.toml"
    user.write_text("[segments]\nwindow_s = 10\n")
    assert main(["segments", str(good), "--test-subjects", "2", "--split-seed", "1", "--config", str(user)]) == 0
    total = next(ln.split() for ln in capsys.readouterr().out.splitlines() if ln.startswith("total"))
    assert int(total[-1]) < 15
    # A typo in the user's file is an error naming the file, never a silent default.
    user.write_text("[segments]\nwindow = 10\n")
    assert main(["segments", str(good), "--config", str(user)]) == 2
    assert f"{user}: unknown key 'window' in [segments]" in capsys.readouterr().err


def test_user_config_overrides_and_checks(tmp_path):
    from inference.core.config import load_config
    from inference.core.errors import InputFileError

    path = tmp_path / "c.toml"
    path.write_text("[segments]\nsoft_labels = true\npostictal_guard_s = 300\n[events]\nmin_duration_s = 8\n")
    cfg = load_config(path)
    assert cfg.segments.soft_labels is True and cfg.segments.postictal_guard_s == 300.0
    assert isinstance(cfg.segments.postictal_guard_s, float) and cfg.events.min_duration_s == 8.0
    assert cfg.segments.window_s == load_default_config().segments.window_s  # the rest keeps its default
    assert load_config(None) == load_default_config()
    for text, problem in (("[segment]\nfps = 6\n", r"unknown section \[segment\]"),
                          ("[segments]\nfps = '6'\n", "expected float"),
                          ("[segments]\nsoft_labels = 1\n", "expected bool"),
                          ("[segments\n", "not valid TOML")):
        path.write_text(text)
        with pytest.raises(InputFileError, match=problem) as exc:
            load_config(path)
        assert str(path) in str(exc.value)
    with pytest.raises(InputFileError, match="config file not found"):
        load_config(tmp_path / "missing.toml")

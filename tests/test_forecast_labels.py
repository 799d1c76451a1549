"""Forecast clip labels at their exact boundaries, and corpus sampling rules."""
from pathlib import Path

import numpy as np
import pytest

from inference.core.errors import SemioscopeError
from inference.dataset.manifest import Recording, Seizure
from inference.forecast.corpora import Corpus, CorpusItem, clip_sample_times, frame_indices, mix_weights
from inference.forecast.labels import ForecastLabelConfig, clip_label, recording_clips

SZ = (Seizure(eeg_onset_s=98.0, clinical_onset_s=100.0, end_s=130.0),)
CFG = ForecastLabelConfig(clip_s=5.0, horizon_s=5.0, guard_s=60.0)


@pytest.mark.parametrize("end,label", [
    (100.0, 1),        # ends exactly at clinical onset
    (95.0, 1),         # ends exactly H before onset
    (97.5, 1),
    (94.999, None),    # just outside the horizon, inside the guard
    (100.001, None),   # overlaps the onset
    (38.0, 0),         # ends exactly guard_s before the earliest (EEG) onset
    (38.001, None),    # a little closer
    (120.0, None),     # during the seizure
])
def test_clip_label_boundaries_clinical(end, label):
    assert clip_label(end - 5.0, end, SZ, CFG) == label


def test_clip_label_after_seizure_and_eeg_onset_option():
    # After the seizure: start at end_s + guard is negative; a little earlier is excluded.
    assert clip_label(190.0, 195.0, SZ, CFG) == 0
    assert clip_label(189.9, 194.9, SZ, CFG) is None
    eeg = CFG.replace(onset="eeg")
    assert clip_label(93.0, 98.0, SZ, eeg) == 1
    assert clip_label(95.0, 100.0, SZ, eeg) is None  # ends at clinical onset = after the EEG onset
    assert clip_label(88.0, 93.0, SZ, eeg) == 1      # exactly H before the EEG onset
    # Unknown end: assumed to last unknown_end_s after the later onset.
    sz = (Seizure(98.0, 100.0, None),)
    assert clip_label(280.0, 285.0, sz, CFG) == 0    # 100 + 120 + 60
    assert clip_label(279.0, 284.0, sz, CFG) is None


def test_recording_clips_positions_and_lead():
    rec = Recording("r", "s", Path("v.mp4"), "focal", SZ, 300.0)
    clips = recording_clips(rec, 300.0, CFG)
    pos = [c for c in clips if c.label == 1]
    assert [c.end_s for c in pos] == [100.0, 99.0, 98.0, 97.0, 96.0, 95.0]
    assert [c.lead_s for c in pos] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert all(c.end_s - c.start_s == 5.0 for c in clips)
    neg = [c for c in clips if c.label == 0]
    assert [c.start_s for c in neg if c.start_s < 100] == [0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0]
    assert [c.start_s for c in neg if c.start_s > 100] == [190.0 + 5 * k for k in range(22)]
    capped = recording_clips(rec, 300.0, CFG.replace(max_negatives_per_recording=3))
    assert sum(1 for c in capped if c.label == 0) == 3


def test_positive_clip_must_not_overlap_previous_seizure():
    sz = (Seizure(10.0, 10.0, 30.0), Seizure(34.0, 34.0, 50.0))
    # A clip ending at the second onset starting before the first seizure's end is excluded.
    assert clip_label(29.0, 34.0, sz, CFG) is None
    assert clip_label(29.9, 33.9, sz, CFG.replace(clip_s=4.0)) is None
    assert clip_label(30.0, 34.0, sz, CFG.replace(clip_s=4.0)) == 1  # starts exactly as the first one ends
    with pytest.raises(SemioscopeError):
        ForecastLabelConfig(clip_s=2.0)
    with pytest.raises(SemioscopeError):
        ForecastLabelConfig(clip_s=10.5)


def test_frame_indices_stride_and_resampling():
    idx = frame_indices(100, 16, 2, np.random.default_rng(0))
    assert len(idx) == 16 and np.all(np.diff(idx) == 2) and idx[0] >= 0 and idx[-1] <= 99
    assert frame_indices(31, 16, 2).tolist() == list(range(0, 31, 2))
    short = frame_indices(10, 16, 2)  # fewer frames than the span: spread over the whole clip
    assert len(short) == 16 and short[0] == 0 and short[-1] == 9 and np.all(np.diff(short) >= 0)
    t = clip_sample_times(10.0, 5.0, 16)
    assert t[0] == pytest.approx(10.0 + 5 / 32) and t[-1] == pytest.approx(15.0 - 5 / 32)


def test_mix_weights():
    cs = [Corpus(n, Path(n), (CorpusItem(Path("x"), 0, 10),)) for n in ("a", "b", "c")]
    assert mix_weights(cs).tolist() == pytest.approx([1 / 3] * 3)
    assert mix_weights(cs, {"a": 2, "c": 0}).tolist() == pytest.approx([2 / 3, 1 / 3, 0])
    with pytest.raises(SemioscopeError):
        mix_weights(cs, {"zzz": 1})


def test_manifest_clips_skip_unreadable_videos(tmp_path):
    from inference.dataset.manifest import Manifest
    from inference.forecast.labels import manifest_clips
    from inference.video.writer import write_video

    good = write_video(tmp_path / "good.mp4", [np.zeros((16, 16, 3), np.uint8)] * 40, fps=2.0)  # 20 s
    recs = [Recording("g", "s1", good, "none", ()), Recording("m", "s2", tmp_path / "missing.mp4", "none", ())]
    problems = []
    clips = manifest_clips(Manifest(recs), CFG.replace(guard_s=5.0), on_error=problems.append)
    assert [c.start_s for c in clips] == [0.0, 5.0, 10.0, 15.0] and {c.recording_id for c in clips} == {"g"}
    assert len(problems) == 1 and "missing.mp4" in problems[0]
    with pytest.raises(Exception, match="missing.mp4"):
        manifest_clips(Manifest(recs), CFG)

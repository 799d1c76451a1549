"""The synthetic prodrome is learnable but not trivial: pre-ictal restlessness grows toward onset,
moves the joints more than interictal clips do on the whole, and interictal restless bouts make
some interictal clips move as much. Checked on the behaviour model (joint positions), no video."""
from __future__ import annotations

import numpy as np

from inference.dataset.manifest import Recording, Seizure
from inference.forecast.corpora import clip_sample_times
from inference.forecast.fewshot import binary_metrics
from inference.forecast.labels import ForecastLabelConfig, recording_clips
from inference.synth.behaviour import pose_at
from inference.synth.body import BodyShape, forward
from inference.synth.generator import _rng
from inference.synth.plans import plan_recording, prodrome_length, sample_traits

BODY = BodyShape()
LABELS = ForecastLabelConfig(clip_s=5.0, horizon_s=5.0, guard_s=15.0, negative_stride_s=2.5)


def _motion(plan, start_s: float, clip_s: float = 5.0) -> float:
    """Mean joint displacement (bed metres) between the 16 frames a forecast clip samples."""
    J = np.array([forward(pose_at(plan, t), BODY) for t in clip_sample_times(start_s, clip_s, 16)])
    return float(np.linalg.norm(np.diff(J, axis=0), axis=-1).mean())


def test_prodrome_option_only_and_lengths():
    for s in range(8):
        traits = sample_traits(_rng(s, 2))
        bare = plan_recording(_rng(s, 8), 150.0, traits, "focal")
        assert bare.prodrome is None and bare.restless == []
        plan = plan_recording(_rng(s, 8), 150.0, traits, "focal", prodrome=True)
        length = plan.prodrome.end_s - plan.prodrome.start_s
        assert 7.5 * 0.92 <= length <= 10.5 * 1.08
        assert abs(length / prodrome_length(traits.prodrome_s) - 1) <= 0.076
        assert 0.45 * 0.9 <= plan.prodrome.hz <= 0.9 * 1.1
        # Interictal bouts stay out of the pre-ictal quiet stretch and the seizure.
        for b in plan.restless:
            assert not b.build and (b.end_s <= plan.prodrome.start_s - 1.5 or b.start_s >= plan.seizure.end_s)


def test_prodrome_grows_toward_onset():
    for s in range(6):
        plan = plan_recording(_rng(s, 8), 150.0, sample_traits(_rng(s, 2)), "fbtc", prodrome=True)
        pro = plan.prodrome
        early = _motion(plan, pro.start_s, 2.5)
        late = _motion(plan, pro.end_s - 2.5 - (1.2 if pro.kind == "arrest" else 0.0), 2.5)
        assert late > 1.3 * early, (s, pro.kind, early, late)


def test_preictal_clips_separable_by_motion_but_not_trivially():
    y, energy, bouts = [], [], 0
    for s in range(10):
        plan = plan_recording(_rng(100 + s, 8), 150.0, sample_traits(_rng(100 + s, 2)), "focal", prodrome=True)
        sz = plan.seizure
        bouts += len(plan.restless)
        rec = Recording(f"r{s}", f"s{s}", "x.mp4", "focal", (Seizure(sz.eeg_onset_s, sz.clinical_onset_s, sz.end_s),))
        for c in recording_clips(rec, 150.0, LABELS):
            y.append(c.label)
            energy.append(_motion(plan, c.start_s))
    y, energy = np.array(y), np.array(energy)
    assert y.sum() == 60 and bouts >= 10
    auc = binary_metrics(y, energy)["roc_auc"]
    assert 0.85 < auc < 0.995, auc
    # Some interictal clips (restless bouts, actions) move more than the weakest pre-ictal ones.
    assert (energy[y == 0] > np.percentile(energy[y == 1], 10)).sum() >= 5

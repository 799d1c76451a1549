"""Synthetic scalp EEG for a synthetic recording: 19 channels of the 10-20 system, in µV.

What it holds, all sampled in EEG time (the amplifier's own clock, :class:`EegClock`):

- background: pink (1/f) noise, posterior alpha when awake (waxing and waning, blocked by
  movement), theta/delta and spindles when asleep (night recordings, woken by movement),
  eye blinks at the frontal poles when awake, a little 50 Hz mains;
- artefacts of the patient's own movement, from the ground-truth joints the video was drawn
  from: muscle (20-70 Hz bursts, temporal and frontal) scaled by how fast the body moves, and
  slow swings that follow the head's velocity (the electrodes and leads move with it);
- the seizure: a rhythmic 4-7 Hz discharge from a few neighbouring channels over the hemisphere
  opposite the clinical side, building up, slowing and spreading over 10-20 s; focal-to-bilateral
  seizures turn into ~3 Hz generalised spike-wave with heavy muscle in the tonic-clonic phase;
  post-ictal suppression and slowing after the end;
- two sync taps (sharp, large, on every channel) at known frame times near both ends.

Everything is vectorised over the whole recording (FFT-shaped noise, time-varying gains), so
15 minutes take well under a second. One seed, one signal.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Optional

import numpy as np
from scipy.fft import irfft, next_fast_len
from scipy.ndimage import uniform_filter1d

from inference.core.wall_clock import format_start_time
from inference.eeg.channels import TEN_TWENTY
from inference.synth.plans import SeizurePlan
from inference.synth.seeds import _rng

FS = 256.0
CHANNELS: tuple[str, ...] = TEN_TWENTY
ZONE = timezone(timedelta(hours=1))  # a fixed zone (CET, no daylight saving) for every recording
TRUTH_FORMAT = "semioscope.synth-eeg-truth"
CLOCK_CONVENTION = "eeg_s = offset_s + (1 + drift_ppm * 1e-6) * video_s"

# Electrode positions seen from above, unit head radius: x left -1 .. right +1, y back -1 .. front +1.
_POS = {"Fp1": (-0.31, 0.95), "Fp2": (0.31, 0.95), "F7": (-0.81, 0.59), "F3": (-0.40, 0.50), "Fz": (0.0, 0.45),
        "F4": (0.40, 0.50), "F8": (0.81, 0.59), "T3": (-1.0, 0.0), "C3": (-0.45, 0.0), "Cz": (0.0, 0.0),
        "C4": (0.45, 0.0), "T4": (1.0, 0.0), "T5": (-0.81, -0.59), "P3": (-0.40, -0.50), "Pz": (0.0, -0.45),
        "P4": (0.40, -0.50), "T6": (0.81, -0.59), "O1": (-0.31, -0.95), "O2": (0.31, -0.95)}
_MUSCLE = {"T3": 1.0, "T4": 1.0, "F7": 1.0, "F8": 1.0, "T5": 0.7, "T6": 0.7, "Fp1": 0.7, "Fp2": 0.7,
           "O1": 0.45, "O2": 0.45}  # temporalis, frontalis and neck muscles; the rest 0.2
_BLINK = {"Fp1": 1.0, "Fp2": 1.0, "F7": 0.35, "F8": 0.35, "F3": 0.3, "F4": 0.3, "Fz": 0.3}


# -- the two clocks ---------------------------------------------------------------------------

@dataclass(frozen=True)
class EegClock:
    """When the video and the EEG started, and how EEG time runs against video time.

    ``eeg_s = offset_s + (1 + drift_ppm * 1e-6) * video_s``; ``eeg_s`` counts from the EDF's
    first sample, ``video_s`` from the first frame. ``header_offset_s`` is what the two start
    times alone say; ``offset_s`` differs from it by up to 2 s (clocks set by hand).
    """

    video_start: datetime  # aware, whole seconds (MP4's creation_time keeps no fraction)
    eeg_start: datetime  # aware, whole seconds (the EDF header's start)
    offset_s: float
    drift_ppm: float
    eeg_duration_s: float  # whole seconds, covering the video with a margin at both ends

    @property
    def header_offset_s(self) -> float:
        return (self.video_start - self.eeg_start).total_seconds()

    def to_eeg(self, video_s):
        return self.offset_s + (1.0 + self.drift_ppm * 1e-6) * np.asarray(video_s, dtype=np.float64)

    def to_video(self, eeg_s):
        return (np.asarray(eeg_s, dtype=np.float64) - self.offset_s) / (1.0 + self.drift_ppm * 1e-6)


def sample_clock(seed: int, subject_seed: int, night: bool, video_duration_s: float) -> EegClock:
    """A recording's start (a 2026 evening or night for night-mode subjects, daytime otherwise,
    on one of five days from the subject's admission) and its EEG clock. Drawn for every
    recording, with or without EEG, so the start time does not depend on that option."""
    admit = date(2026, 1, 5) + timedelta(days=int(_rng(subject_seed, 20).integers(0, 340)))
    rng = _rng(seed, 21)
    day = admit + timedelta(days=int(rng.integers(0, 5)))
    minute = int(rng.integers(21 * 60, 29 * 60)) if night else int(rng.integers(8 * 60, 19 * 60))
    video_start = datetime(day.year, day.month, day.day, tzinfo=ZONE) + timedelta(
        minutes=minute, seconds=int(rng.integers(0, 60)))
    lead = int(rng.integers(3, 61))  # the EEG was started a few seconds to a minute before the camera
    extra = float(rng.uniform(-2.0, 2.0))  # the two clocks disagree beyond what their headers say
    drift = float(rng.choice([-1.0, 1.0]) * rng.uniform(10.0, 60.0))
    tail = float(rng.uniform(3.0, 60.0))  # ... and stopped a little after it
    offset = round(lead + extra, 6)
    drift = round(drift, 4)
    length = math.ceil(offset + (1.0 + drift * 1e-6) * video_duration_s + tail)
    return EegClock(video_start, video_start - timedelta(seconds=lead), offset, drift, float(length))


# -- building blocks --------------------------------------------------------------------------

def _shaped(rng: np.random.Generator, k: int, n: int, fs: float, gain_of) -> np.ndarray:
    """``k`` noises of ``n`` samples with amplitude spectrum ``gain_of(f)``, unit RMS (float32):
    random spectra, one inverse FFT. Only bins with gain get random numbers (narrow bands are cheap)."""
    m = next_fast_len(n, real=True)  # a length with a large prime factor makes the FFT 20x slower
    f = np.fft.rfftfreq(m, 1.0 / fs)
    gain = np.asarray(gain_of(f), dtype=np.float64)
    gain[0] = 0.0
    idx = np.flatnonzero(gain)
    spec = np.zeros((k, f.size), np.complex64)
    g = gain[idx].astype(np.float32)
    spec[:, idx] = (rng.standard_normal((k, idx.size), np.float32) * g
                    + 1j * (rng.standard_normal((k, idx.size), np.float32) * g))
    scale = m / (2.0 * math.sqrt(float((gain[idx] ** 2).sum()) + 1e-30))  # expected RMS, by Parseval
    return irfft(spec, m, axis=1)[:, :n] * np.float32(scale)


def _band(rng: np.random.Generator, k: int, n: int, fs: float, lo: float, hi: float, edge: float = 0.5) -> np.ndarray:
    """``k`` unit-RMS noises limited to ``lo``-``hi`` Hz, with cosine edges ``edge`` Hz wide."""
    def gain(f):
        u = np.clip(np.minimum(f - (lo - edge), (hi + edge) - f) / (2 * edge), 0.0, 1.0)
        return np.sin(0.5 * np.pi * u) ** 2
    return _shaped(rng, k, n, fs, gain)


def _pink(rng: np.random.Generator, k: int, n: int, fs: float) -> np.ndarray:
    """Unit-RMS 1/f noise from 0.5 Hz (the amplifier's high-pass) to 70 Hz (its low-pass)."""
    return _shaped(rng, k, n, fs, lambda f: 1.0 / np.sqrt(np.maximum(f, 0.5)) * (f / (f + 0.5))
                   / (1.0 + (f / 70.0) ** 8))


def _smooth(x: np.ndarray, width: int) -> np.ndarray:
    return uniform_filter1d(x, size=max(1, int(width)), axis=-1, mode="nearest")


def _smoothstep(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def _events(rng: np.random.Generator, rate: np.ndarray, fs: float, kernel: np.ndarray,
            amp: tuple[float, float]) -> np.ndarray:
    """Transient events (blinks, spindles) at Poisson times with time-varying ``rate`` per second."""
    hits = (rng.random(rate.size) < rate / fs) * rng.uniform(amp[0], amp[1], rate.size)
    return np.convolve(hits, kernel, mode="same")


def _weights(table: dict[str, float], default: float) -> np.ndarray:
    return np.array([table.get(c, default) for c in CHANNELS])


def electrode_xy() -> np.ndarray:
    """[19, 2] positions of :data:`CHANNELS` (unit head radius, x to the right, y to the front)."""
    return np.array([_POS[c] for c in CHANNELS], dtype=np.float64)


def _spatial_mix(pos: np.ndarray, width: float) -> np.ndarray:
    """Volume conduction: each channel sees nearby sources, so neighbours correlate."""
    d2 = ((pos[:, None, :] - pos[None, :, :]) ** 2).sum(-1)
    m = np.exp(-d2 / (2 * width ** 2))
    return m / np.sqrt((m ** 2).sum(1, keepdims=True))


# -- movement -------------------------------------------------------------------------------------

def motion_features(xy: np.ndarray, fps: float, px_per_m: float) -> tuple[np.ndarray, np.ndarray]:
    """From ground-truth joints [frames, 14, 2] (pixels): mean joint speed [frames] (m/s) and
    the head's velocity [frames, 2] (m/s, head and neck averaged)."""
    if len(xy) < 2:
        return np.zeros(len(xy)), np.zeros((len(xy), 2))
    v = np.gradient(np.asarray(xy, dtype=np.float64), axis=0) * (fps / max(px_per_m, 1e-6))
    width = max(1, int(round(0.15 * fps)))  # the drawn jitter of single frames is not movement
    return _smooth(np.linalg.norm(v, axis=2).mean(1), width), _smooth(v[:, :2].mean(1).T, width).T


# -- the seizure ----------------------------------------------------------------------------------

def _spike_wave(phi: np.ndarray) -> np.ndarray:
    """One spike and its slow wave per cycle (phase 0 at the spike), zero-mean."""
    u = np.mod(phi + np.pi, 2 * np.pi) - np.pi
    w = np.mod(phi - 2.0, 2 * np.pi) - np.pi
    return -np.exp(-u ** 2 / (2 * 0.22 ** 2)) - 0.55 * np.exp(-w ** 2 / (2 * 0.75 ** 2)) + (0.22 + 0.55 * 0.75) / math.sqrt(2 * math.pi)


def _sharp_theta(phi: np.ndarray) -> np.ndarray:
    """Rhythmic theta with sharpened peaks (what a discharge looks like, not a pure sine)."""
    return np.sin(phi) + 0.3 * np.sin(2 * phi - 0.5) + 0.1 * np.sin(3 * phi - 1.0)


@dataclass(frozen=True)
class _Ictal:
    x: np.ndarray  # [C, i1 - i0] float32: the discharge (+ tonic-clonic muscle) from sample i0
    i0: int
    active: np.ndarray  # [n] 1 during the seizure: alpha and blinks stop
    depth: np.ndarray  # [C] post-ictal suppression of the background at the end ...
    decay: np.ndarray  # [n] ... and how it fades after the end (0 before it)
    slowing: np.ndarray  # [n] post-ictal delta: emerges from the suppression, then fades
    truth: dict[str, Any]


def _seizure(rng: np.random.Generator, sz: SeizurePlan, clock: EegClock, t: np.ndarray, pos: np.ndarray,
             fs: float) -> _Ictal:
    te0, te_end = float(clock.to_eeg(sz.eeg_onset_s)), float(clock.to_eeg(sz.end_s))
    fbtc = sz.kind == "fbtc"
    sgn = -1.0 if sz.side == "r" else 1.0  # the clinical side's opposite hemisphere
    focus = np.array([sgn * 0.72, 0.0]) if sz.focus == "arm" else np.array([sgn * 0.9, 0.3])
    # Distance along the scalp, with the midline as a barrier: the discharge stays on its side longer.
    d = np.linalg.norm(pos - focus, axis=1) + 0.6 * (pos[:, 0] * sgn < -0.05)
    r0, spread_s = 0.4, float(rng.uniform(10.0, 20.0))
    f0, f1, f_end = float(rng.uniform(5.5, 7.0)), float(rng.uniform(4.2, 5.0)), float(rng.uniform(2.5, 3.5))
    a_max, a_gen = float(rng.uniform(60.0, 110.0)), float(rng.uniform(150.0, 250.0))
    build = float(rng.uniform(5.0, 12.0))
    tg = te_end + 1.0
    if fbtc:  # generalisation shortly before the clinical tonic phase
        tg = max(te0 + 3.0, float(clock.to_eeg(sz.tonic_start_s)) - float(rng.uniform(0.5, 2.0)))
    i0, i1 = int(np.searchsorted(t, te0)), int(np.searchsorted(t, te_end + 1.0))
    u = t[i0:i1]
    s = u - te0
    length = max(te_end - te0, 1e-3)
    f = np.interp(s, [0.0, 0.6 * length, length], [f0, f1, f_end])
    g = np.zeros_like(s)
    if fbtc:
        g = _smoothstep((u - tg) / 2.5)
        f_gen = np.interp(u, [tg, te_end], [float(rng.uniform(3.0, 3.5)), float(rng.uniform(1.6, 2.2))])
        f = (1 - g) * f + g * f_gen
    jitter = _band(rng, 1, max(u.size, 2), fs, 0.05, 0.5)[0, :u.size]  # the rhythm wanders a little
    phi = 2 * np.pi * np.cumsum(f * (1.0 + 0.04 * jitter)) / fs
    fade = np.clip((te_end - u) / (0.7 if fbtc else 3.0), 0.0, 1.0)  # focal ones die away
    amp = a_max * _smoothstep(s / build) * fade
    radius = r0 + (1.35 - r0) * np.clip(s / spread_s, 0.0, 1.0)
    reach = 1.0 / (1.0 + np.exp(-(radius[None, :] - d[:, None]) / 0.07))
    reach *= (1.0 - 0.35 * np.clip(d / 1.5, 0.0, 1.0))[:, None]
    lag = 0.6 * d[:, None]  # later and later as it travels
    x = (1 - g) * amp * reach * _sharp_theta(phi[None, :] - lag)
    if fbtc:
        x += g * a_gen * fade * (0.85 + 0.15 * np.cos(pos[:, 1:2] * 0.8)) * _spike_wave(phi[None, :] - 0.15 * lag)
        x += _ictal_muscle(rng, sz, clock, u, fs)
    truth: dict[str, Any] = {"kind": sz.kind, "eeg_onset_eeg_s": te0,
                             "clinical_onset_eeg_s": float(clock.to_eeg(sz.clinical_onset_s)), "end_eeg_s": te_end,
                             "onset_channels": [CHANNELS[i] for i in np.flatnonzero(d < r0)],
                             "hemisphere": "left" if sgn < 0 else "right", "onset_hz": round(f0, 3),
                             "spread_s": round(spread_s, 3)}
    if fbtc:
        truth["generalised_eeg_s"] = tg
        depth = np.full(len(pos), float(rng.uniform(0.7, 0.85)))
        tau = float(rng.uniform(60.0, 120.0))
    else:  # regional: where the discharge was strongest at the end
        depth = float(rng.uniform(0.35, 0.6)) * (reach[:, -1] if u.size else np.zeros(len(pos)))
        tau = float(rng.uniform(15.0, 40.0))
    after = np.clip(t - te_end, 0.0, None)
    decay = np.exp(-after / tau) * (t >= te_end)
    slowing = (1.0 - np.exp(-after / (0.3 * tau))) * np.exp(-after / (2.0 * tau))
    truth["postictal_tau_s"] = round(tau, 3)
    active = ((t >= te0) & (t < te_end)).astype(np.float32)
    return _Ictal(x.astype(np.float32), i0, active, depth.astype(np.float32), decay.astype(np.float32),
                  slowing.astype(np.float32), truth)


def _ictal_muscle(rng: np.random.Generator, sz: SeizurePlan, clock: EegClock, u: np.ndarray, fs: float) -> np.ndarray:
    """Tonic-clonic muscle over the seizure's samples ``u`` (EEG s): continuous in the tonic
    phase, in bursts with each clonic jerk."""
    ta, tc, te = (float(clock.to_eeg(v)) for v in (sz.tonic_start_s, sz.clonic_start_s, sz.end_s))
    rate = np.interp(u, [tc, te], [sz.f_start, sz.f_end])
    jerk = (0.5 + 0.5 * np.cos(2 * np.pi * np.cumsum(np.where(u >= tc, rate, 0.0)) / fs)) ** 3
    env = float(rng.uniform(80.0, 150.0)) * np.where(u < tc, 1.0, 0.2 + 0.8 * jerk)
    env *= _smoothstep((u - ta) / 1.0) * _smoothstep((te - u) / 0.5)
    noise = _band(rng, len(CHANNELS), max(u.size, 2), fs, 20.0, 70.0, 5.0)[:, :u.size]
    return noise * env * (0.5 + 0.5 * _weights(_MUSCLE, 0.2))[:, None]


# -- the whole recording -----------------------------------------------------------------------------

@dataclass(frozen=True)
class EegSynthesis:
    signals_uv: np.ndarray  # [19, N] float32, µV
    fs: float
    channels: tuple[str, ...]
    sync_points: tuple[tuple[float, float], ...]  # (video_s, eeg_s) of the taps
    seizures: tuple[dict[str, Any], ...]  # times in EEG seconds
    asleep: bool


def sync_tap_frames(rng: np.random.Generator, n_frames: int, fps: float) -> tuple[int, int]:
    """Frames of the two taps: 1-3 s after the start and 1-3 s before the end (closer in short videos)."""
    k1 = min(int(round(rng.uniform(1.0, 3.0) * fps)), n_frames // 4)
    k2 = max(n_frames - 1 - int(round(rng.uniform(1.0, 3.0) * fps)), (3 * n_frames) // 4)
    return k1, max(k2, k1 + 1)


def _f32(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float32)  # [19, N] arithmetic in float32: half the memory traffic


def synthesize_eeg(seed: int, clock: EegClock, xy: np.ndarray, fps: float, px_per_m: float, asleep: bool,
                   seizure: Optional[SeizurePlan] = None, fs: float = FS) -> EegSynthesis:
    """The EEG recorded alongside a synthetic video: ``xy`` [frames, 14, 2] are its ground-truth
    joints (pixels) at ``fps``, ``px_per_m`` the image scale, ``asleep`` whether the patient sleeps
    (night recordings), ``seizure`` its plan in video seconds. Sampled on ``clock``'s EEG time."""
    rng = _rng(seed, 22)
    n = int(round(clock.eeg_duration_s * fs))
    c = len(CHANNELS)
    pos = electrode_xy()
    t = np.arange(n) / fs
    frame_t = np.arange(len(xy)) / fps
    tv = clock.to_video(t)
    speed, head_v = motion_features(xy, fps, px_per_m)
    act = np.interp(tv, frame_t, speed) if len(xy) else np.zeros(n)
    # Awake: always by day (a little drowsy now and then); at night asleep unless moving (arousal).
    slow = _band(rng, 3, n, fs, 0.01, 0.15, 0.02)
    if asleep:
        awake = np.clip((_smooth(act, 8 * fs) - 0.015) / 0.03, 0.0, 1.0)
    else:
        awake = 1.0 - 0.3 * _smoothstep(slow[0] - 0.5)
    ictal = _seizure(rng, seizure, clock, t, pos, fs) if seizure is not None else None
    calm = np.ones(n)
    if ictal is not None:  # no alpha or blinks in the seizure; they come back as the suppression fades
        calm = (1.0 - ictal.active) * (1.0 - float(ictal.depth.mean()) * ictal.decay)
    moving = np.clip(act / 0.15, 0.0, 1.0)
    sleepy = _f32(1.0 - awake)

    x = _f32(6.0 * _spatial_mix(pos, 0.35)) @ _pink(rng, c, n, fs)
    alpha_hz = float(rng.uniform(8.8, 11.0))
    posterior = np.exp(-((pos[:, 1] + 0.85) ** 2) / 0.35)
    alpha_env = _f32(awake * calm * (0.55 + 0.45 * np.tanh(slow[1])) * (1.0 - 0.7 * moving))
    x += (_f32(14.0 * posterior[:, None] * _spatial_mix(pos, 0.6)) @ _band(rng, c, n, fs, alpha_hz - 1.0,
                                                                           alpha_hz + 1.0)) * alpha_env
    x += (4.0 + 7.0 * sleepy) * (_f32(_spatial_mix(pos, 0.5)) @ _band(rng, c, n, fs, 4.0, 7.5))
    frontal = 0.6 + 0.4 * np.clip(pos[:, 1] + 0.5, 0.0, 1.0)
    delta = _f32(frontal[:, None] * _spatial_mix(pos, 0.6)) @ _band(rng, c, n, fs, 0.5, 3.0)
    x += (5.0 + 22.0 * sleepy) * delta
    central = np.exp(-(pos ** 2).sum(1) / 0.5)
    spindle_env = _events(rng, 0.12 * sleepy, fs, np.exp(-0.5 * (np.arange(-fs, fs + 1) / (0.25 * fs)) ** 2), (0.6, 1.0))
    x += _f32(14.0 * central[:, None]) * (_band(rng, 1, n, fs, 12.0, 14.0) * _f32(spindle_env))
    if ictal is not None:  # post-ictal: suppressed, with irregular slowing
        x *= 1.0 - ictal.depth[:, None] * ictal.decay
        x += 30.0 * (ictal.depth[:, None] * ictal.slowing) * delta
        x[:, ictal.i0:ictal.i0 + ictal.x.shape[1]] += ictal.x

    # Movement: muscle bursts where the body moves, slow swings that follow the head.
    burst = 0.4 + 0.6 * np.abs(_band(rng, 1, n, fs, 0.5, 4.0)[0]) / 1.2
    muscle_env = _f32((1.5 + 60.0 * np.clip(act / 0.2, 0.0, 4.0)) * burst)
    x += (_f32(_weights(_MUSCLE, 0.2))[:, None] * _band(rng, c, n, fs, 20.0, 70.0, 5.0)) * muscle_env
    hv = np.stack([np.interp(tv, frame_t, head_v[:, k]) for k in range(2)]) if len(xy) else np.zeros((2, n))
    lead_gain = rng.normal(0.0, 1.0, (c, 2)) * 250.0  # µV per m/s of head velocity, per electrode
    x += _f32(lead_gain @ hv)
    x += _band(rng, c, n, fs, 0.2, 2.0, 0.2) * _f32(40.0 * np.clip(act / 0.15, 0.0, 3.0))

    blink_kernel = np.sin(np.pi * np.arange(int(0.35 * fs)) / int(0.35 * fs)) ** 2
    blinks = _events(rng, 0.25 * awake * calm, fs, blink_kernel, (70.0, 180.0))
    x += _f32(_weights(_BLINK, 0.03))[:, None] * _f32(blinks)
    mains = 2 * np.pi * 50.0 * t
    hum = rng.uniform(0.5, 2.0, (c, 1)) * np.exp(1j * rng.uniform(0, 2 * np.pi, (c, 1)))
    x += _f32(hum.real) * _f32(np.sin(mains)) + _f32(hum.imag) * _f32(np.cos(mains))

    # Sync taps, last: sharp rise, quick fall, far above everything else on every channel.
    k1, k2 = sync_tap_frames(rng, len(xy), fps)
    points = []
    for k in (k1, k2):
        video_s = k / fps
        eeg_s = float(clock.to_eeg(video_s))
        lo, hi = max(0, int(eeg_s * fs) - int(0.05 * fs)), min(n, int(eeg_s * fs) + int(0.3 * fs))
        dt = t[lo:hi] - eeg_s
        shape = np.where(dt < 0, np.exp(np.minimum(dt, 0.0) / 0.002), np.exp(-np.maximum(dt, 0.0) / 0.025))
        x[:, lo:hi] += _f32(rng.uniform(1000.0, 1500.0) * rng.uniform(0.8, 1.2, (c, 1)) * shape)
        points.append((video_s, eeg_s))
    return EegSynthesis(x, float(fs), CHANNELS, tuple(points), (ictal.truth,) if ictal is not None else (), bool(asleep))


def eeg_truth(synth: EegSynthesis, clock: EegClock, video_name: str, eeg_name: str) -> dict[str, Any]:
    """The truth sidecar (``<video stem>.eeg.truth.json``): what an alignment should recover."""
    return {
        "format": TRUTH_FORMAT,
        "version": 1,
        "video": video_name,
        "eeg": eeg_name,
        "convention": CLOCK_CONVENTION,
        "video_start": format_start_time(clock.video_start),
        "eeg_start": format_start_time(clock.eeg_start),
        "header_offset_s": clock.header_offset_s,
        "offset_s": clock.offset_s,
        "drift_ppm": clock.drift_ppm,
        "eeg_duration_s": clock.eeg_duration_s,
        "fs": synth.fs,
        "channels": list(synth.channels),
        "asleep": synth.asleep,
        "sync_points": [{"video_s": v, "eeg_s": e} for v, e in synth.sync_points],
        "seizures": list(synth.seizures),
    }


__all__ = ["CHANNELS", "CLOCK_CONVENTION", "FS", "TRUTH_FORMAT", "ZONE", "EegClock", "EegSynthesis", "eeg_truth",
           "electrode_xy", "motion_features", "sample_clock", "sync_tap_frames", "synthesize_eeg"]

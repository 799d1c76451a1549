"""Small real videos WITH a sound track, for the audio tests (the synthetic recordings and
``inference.video.writer`` write video only; that writer's output is left as it is).

``write_video_with_tone`` muxes a numbered-frame MPEG-4 video beside an AAC (or PCM) mono
track: a quiet 440 Hz hum with a loud 1 kHz burst at a known time on the video's clock.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from conftest import numbered_frames

_VIDEO_TB = Fraction(1, 60000)


def tone_track(seconds: float, rate: int, burst_s: float, burst_len_s: float, hum: float = 0.001,
               level: float = 0.5, freq: float = 1000.0) -> np.ndarray:
    """Mono float32: a hum at ``hum`` amplitude, ``level`` x sine at ``freq`` over the burst."""
    t = np.arange(int(round(seconds * rate))) / rate
    x = hum * np.sin(2 * np.pi * 440.0 * t)
    on = (t >= burst_s) & (t < burst_s + burst_len_s)
    x[on] = level * np.sin(2 * np.pi * freq * t[on])
    return x.astype(np.float32)


def write_video_with_tone(path: Path, seconds: float = 4.0, fps: float = 10.0, burst_s: float = 1.5,
                          burst_len_s: float = 0.3, audio_start_s: float = 0.0, rate: int = 48000,
                          codec: str = "aac", size=(64, 48), audio: np.ndarray | None = None) -> Path:
    """An MP4 (``codec`` "aac") or MOV (``codec`` "pcm_s16le") with ``seconds`` of numbered frames
    from 0 and a mono track starting at ``audio_start_s`` whose burst (``tone_track``) lies at
    ``audio_start_s + burst_s`` on the video's clock; ``audio`` replaces the tone when given."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    c = av.open(str(path), "w", options={"movflags": "faststart"})
    v = c.add_stream("mpeg4", rate=Fraction(fps).limit_denominator(1001))
    v.width, v.height = size
    v.pix_fmt = "yuv420p"
    v.codec_context.time_base = _VIDEO_TB
    a = c.add_stream(codec, rate=rate)
    a.layout = "mono"
    if codec == "aac":
        a.bit_rate = 96000
    pcm = tone_track(seconds - audio_start_s, rate, burst_s, burst_len_s) if audio is None else audio
    n_frames = int(round(seconds * fps))
    frames = numbered_frames(min(n_frames, 256), size)
    for k in range(n_frames):
        vf = av.VideoFrame.from_ndarray(frames[k % len(frames)], format="rgb24")
        vf.pts = int(round(k / fps / _VIDEO_TB))
        vf.time_base = _VIDEO_TB
        for p in v.encode(vf):
            c.mux(p)
    block = 1024
    first = int(round(audio_start_s * rate))
    fmt = "fltp" if codec == "aac" else "s16"
    for s in range(0, len(pcm), block):
        chunk = pcm[s:s + block][None, :]
        if fmt == "s16":
            chunk = np.clip(chunk * 32767, -32768, 32767).astype(np.int16)
        af = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format=fmt, layout="mono")
        af.sample_rate = rate
        af.pts = first + s
        af.time_base = Fraction(1, rate)
        for p in a.encode(af):
            c.mux(p)
    for p in v.encode():
        c.mux(p)
    for p in a.encode():
        c.mux(p)
    c.close()
    return path

"""Sound in the review window: the video's sound track played on the playback clock, and its
loudness envelope in the lane under the probability trace (``widgets.audio_lane``).

Output API: ``sounddevice`` (PortAudio), not QtMultimedia's ``QAudioSink``. PySide6-Essentials
has no QtMultimedia; PySide6-Addons would add a 175 MB wheel that must equal the installed
PySide6-Essentials version exactly (6.11.3 here; its newest, 6.12.0, is the release pyproject
excludes), for one class. ``sounddevice`` is a small cffi binding that mediapipe already
requires (so it is installed anyway) and needs only the PortAudio library (Debian:
``libportaudio2``, installed by the Makefile's set-up where missing). Its callback reports, for
every block, when the device will play it (the DAC time), which is what keeps the sound on the
video's clock (``app.audio_feed``).

Degrades quietly: a video without sound shows no lane and plays nothing; without PortAudio or
an output device (CI, a server) the window says so once in the status bar and plays silent, the
lane still drawn. Playback follows the window's ``PlaybackClock`` (0.25x-2x, resampled by speed,
pitch not preserved; silent above 2x) and starts, stops and seeks with it.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.audio_feed import AudioFeed, AudioSync
from inference.core.errors import Cancelled, SemioscopeError
from inference.core.progress import CancelToken
from inference.video.audio import AudioInfo, loudness_envelope, probe_audio

if TYPE_CHECKING:
    from app.main_window import MainWindow

Render = Callable[[np.ndarray, float, float], None]  # (block to fill [n], lead_s, perf_counter now)


class SoundDeviceOutput:
    """The default PortAudio output as a mono float32 stream at its own rate. ``render`` fills
    each block; ``start()`` / ``stop()`` (drops what is queued, so a pause is immediate) /
    ``close()``. Raises when there is no PortAudio library or no output device."""

    def __init__(self, render: Render):
        # Optional at run time: the import fails (OSError) where the PortAudio library is
        # missing, and it probes the sound system; only a video with sound pays for it.
        import sounddevice as sd

        device = sd.query_devices(kind="output")  # PortAudioError: no default output device
        self.name = str(device["name"])
        self.samplerate = int(device["default_samplerate"] or 48000)
        self._render = render
        self._channels = 1
        self._offsets: deque = deque(maxlen=200)  # a second or two of callbacks
        try:
            self._stream = sd.OutputStream(samplerate=self.samplerate, channels=1, dtype="float32",
                                           callback=self._callback)
        except sd.PortAudioError:  # some hardware devices open in stereo only
            self._channels = 2
            self._stream = sd.OutputStream(samplerate=self.samplerate, channels=2, dtype="float32",
                                           callback=self._callback)

    def _callback(self, outdata, frames, time_info, status) -> None:
        now = time.perf_counter()
        cur, dac = float(time_info.currentTime), float(time_info.outputBufferDacTime)
        if cur > 0 and dac > 0 and 0.0 <= dac - cur < 2.0:
            # PortAudio's clock (ALSA: the wall clock) to perf_counter's: the smallest difference
            # seen lately, since this callback may have waited for the GIL after PortAudio read it.
            self._offsets.append(now - cur)
            lead = dac + min(self._offsets) - now
        else:
            lead = float(self._stream.latency)  # host APIs that report no timing
        try:
            self._render(outdata[:, 0], lead, now)
        except Exception:  # an exception would stop the stream for good: this block is silent
            outdata.fill(0)
        if self._channels > 1:
            outdata[:, 1:] = outdata[:, :1]

    @property
    def active(self) -> bool:
        return bool(self._stream.active)

    def start(self) -> None:
        if not self._stream.active:
            self._stream.start()

    def stop(self) -> None:
        if self._stream.active:
            self._stream.abort()

    def close(self) -> None:
        self._stream.close()


class AudioPlayback(QObject):
    """``AudioPlayback(win, output_factory=SoundDeviceOutput)``; ``on_video_opened(path)`` once
    ``win.clock`` exists, ``close()`` before it goes; ``set_volume(v)`` (0..1), ``set_muted(b)``,
    ``toggle_mute()``; ``audio_clock_s()``: the media time the device is playing now (None when
    silent: paused, above 2x, no sound, no device).

    State for tests: ``info`` (AudioInfo or None), ``unavailable`` (why nothing can be heard, or
    None), ``envelope`` ((t, db) once computed), ``sync`` (AudioSync), ``feed``, ``output``.
    Draws into ``win.audio_lane`` (``widgets.audio_lane.AudioLane``) when the window has one.
    """

    envelopeReady = Signal(str, object, object)  # path, t, db: from the envelope thread
    envelopeFailed = Signal(str, str)  # path, message

    def __init__(self, win: MainWindow, output_factory: Callable[[Render], object] = SoundDeviceOutput):
        super().__init__(win)
        self.win = win
        self.output_factory = output_factory
        self.path: Optional[Path] = None
        self.info: Optional[AudioInfo] = None
        self.envelope: Optional[tuple[np.ndarray, np.ndarray]] = None
        self.output = None
        self.feed: Optional[AudioFeed] = None
        self.sync: Optional[AudioSync] = None
        self.unavailable: Optional[str] = None
        self.volume = 1.0
        self.muted = False
        self._told_unavailable = False
        self._clock = None
        self._cancel: Optional[CancelToken] = None
        self.envelopeReady.connect(self._on_envelope)
        self.envelopeFailed.connect(self._on_envelope_failed)

    # -- opening and closing ----------------------------------------------------------------
    def on_video_opened(self, path: str | Path) -> None:
        self.close()
        self.path = Path(path)
        try:
            self.info = probe_audio(self.path)
        except SemioscopeError:
            self.info = None  # the video's own problems are reported by its reader
        if self.info is None:
            return
        self._start_envelope(self.path)
        self._start_output(self.path)

    def _start_output(self, path: Path) -> None:
        clock = self.win.clock
        if clock is None:
            return
        def now() -> tuple[float, bool]:  # silent at the end, before the clock's timer pauses it
            t, playing = clock.now()
            return t, playing and t < clock.duration_s - 1e-6

        self.sync = AudioSync(now, lambda: clock.speed, None, 48000)
        try:
            self.output = self.output_factory(self.sync.render)
        except Exception as exc:  # no PortAudio library, no device, a device that refuses
            self.output = None
            self._say_unavailable(_reason(exc))
            return
        self.unavailable = None
        self.sync.rate = int(self.output.samplerate)
        self.feed = AudioFeed(path, self.sync.rate)
        self.sync.feed = self.feed
        self._apply_volume()
        self._clock = clock
        clock.state_changed.connect(self._on_playing)
        if clock.playing:
            self._on_playing(True)

    def _say_unavailable(self, why: str) -> None:
        self.unavailable = why
        if not self._told_unavailable:  # once per window, not per video
            self._told_unavailable = True
            self.win.show_message(f"No sound: {why}. The video plays silent.", 10000)

    def close(self) -> None:
        """Stop the sound and the envelope job; hide the lane."""
        if self._clock is not None:
            try:
                self._clock.state_changed.disconnect(self._on_playing)
            except (RuntimeError, TypeError):
                pass  # already gone with the clock
            self._clock = None
        if self.output is not None:
            try:
                self.output.stop()
                self.output.close()
            except Exception:  # a device that vanished: nothing left to stop
                pass
            self.output = None
        if self.feed is not None:
            self.feed.close()
            self.feed = None
        if self._cancel is not None:
            self._cancel.cancel()
            self._cancel = None
        self.sync = None
        self.info = None
        self.envelope = None
        self.path = None
        lane = getattr(self.win, "audio_lane", None)
        if lane is not None:
            lane.clear()

    # -- playing ------------------------------------------------------------------------------
    def _on_playing(self, playing: bool) -> None:
        if self.output is None:
            return
        try:
            self.output.start() if playing else self.output.stop()
        except Exception as exc:  # the device went away while the window was open
            self._say_unavailable(_reason(exc))

    def set_volume(self, volume: float) -> None:
        self.volume = float(min(max(volume, 0.0), 1.0))
        self._apply_volume()

    def set_muted(self, muted: bool) -> None:
        self.muted = bool(muted)
        self._apply_volume()

    def toggle_mute(self) -> bool:
        self.set_muted(not self.muted)
        self.win.show_message("Sound muted" if self.muted else "Sound on", 2000)
        return self.muted

    def _apply_volume(self) -> None:
        if self.sync is not None:
            self.sync.volume, self.sync.muted = self.volume, self.muted

    def audio_clock_s(self) -> Optional[float]:
        return None if self.sync is None or self.output is None else self.sync.audio_clock_s()

    # -- the envelope -------------------------------------------------------------------------
    def _start_envelope(self, path: Path) -> None:
        cancel = self._cancel = CancelToken()

        def work() -> None:
            try:
                t, db = loudness_envelope(path, cancel=cancel)
            except Cancelled:
                return
            except Exception as exc:  # an unreadable track: the lane stays hidden, playback goes on
                _emit(self.envelopeFailed, str(path), _reason(exc))
                return
            _emit(self.envelopeReady, str(path), t, db)

        threading.Thread(target=work, name="audio-envelope", daemon=True).start()

    def _on_envelope(self, path: str, t, db) -> None:
        if self.path is None or str(self.path) != path:
            return  # another video since
        self.envelope = (t, db)
        lane = getattr(self.win, "audio_lane", None)
        if lane is not None:
            lane.setEnvelope(t, db)

    def _on_envelope_failed(self, path: str, message: str) -> None:
        if self.path is not None and str(self.path) == path:
            self.win.show_message(f"Sound level not shown: {message}", 8000)


def _emit(signal, *args) -> None:
    try:
        signal.emit(*args)
    except RuntimeError:  # the window closed while the envelope was computed: nobody to tell
        pass


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if "PortAudio library not found" in text:
        return "the PortAudio library is not installed (apt-get install libportaudio2)"
    if "Error querying device" in text or "device -1" in text.lower():
        return "no audio output device"
    return text


__all__ = ["AudioPlayback", "SoundDeviceOutput"]

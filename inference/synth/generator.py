"""Synthetic EMU recordings: videos, ground-truth keypoints, annotations and a manifest.

Layout written by :func:`generate_dataset`::

    OUT/manifest.csv, OUT/manifest.json
    OUT/sub01/sub01_r1.mp4                 the video (faststart MP4)
    OUT/sub01/sub01_r1.keypoints.npz       KeypointTrack, one sample per frame, source "synthetic-gt"
    OUT/sub01/sub01_r1.annotations.json    onsets, type, prodrome (+ restless bouts), night mode, staff, actions,
                                           with ``room_bias`` the room drawn (``room``: bias, look A/B)
    OUT/sub01/sub01_r1.edf                 with ``eeg``: 19-channel EDF+ recorded on its own clock
    OUT/sub01/sub01_r1.eeg.truth.json      with ``eeg``: that clock's true offset and drift, sync taps, onsets

Every random choice comes from seeds derived from ``(seed, subject, recording)``, so a seed
fixes all sidecars and the manifest, whatever the number of workers. Frames are drawn and
encoded one at a time (flat memory for hour-long recordings).
"""
from __future__ import annotations

import multiprocessing as mp
import os
import queue
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from inference.core.atomic import atomic_write_json
from inference.core.errors import Cancelled
from inference.core.progress import CancelToken, ProgressFn, check_cancel
from inference.dataset.manifest import FBTC, FOCAL, NO_SEIZURE, Manifest, Recording, Seizure, save_manifest
from inference.eeg.edf_writer import write_edf
from inference.pose.keypoint_files import sidecar_path
from inference.pose.keypoints import KeypointTrack
from inference.synth.config import SynthConfig
from inference.synth.eeg_signal import EegClock, eeg_truth, sample_clock, synthesize_eeg
from inference.synth.scene import RecordingScene
from inference.synth.seeds import _derive, _rng
from inference.video.writer import VideoWriter

GENERATOR_VERSION = 1
ANNOTATION_FORMAT = "semioscope.synth-annotations"


def subject_seizure_type(index: int) -> str:
    """Seizure type of the ``index``-th subject (0-based): alternates focal, fbtc, ..."""
    return FOCAL if index % 2 == 0 else FBTC


def _r3(x: float) -> float:
    return round(float(x), 3)


class _ThreadedSink:
    """Feeds frames to a VideoWriter from a background thread; re-raises its errors."""

    def __init__(self, writer, depth: int = 6):
        self._q: "queue.Queue" = queue.Queue(maxsize=depth)
        self._error: Optional[BaseException] = None
        self._writer = writer
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            frame = self._q.get()
            if frame is None:
                return
            if self._error is None:
                try:
                    self._writer.write(frame)
                except BaseException as exc:  # surfaced in put()/close()
                    self._error = exc

    def put(self, frame: np.ndarray) -> None:
        if self._error is not None:
            raise self._error
        self._q.put(frame)

    def close(self) -> None:
        self._q.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


def generate_recording(path: str | Path, subject_id: str, recording_id: str, seed: int,
                       config: SynthConfig = SynthConfig(), seizure_type: str = FOCAL,
                       duration_s: Optional[float] = None, eeg_onset_s: Optional[float] = None,
                       subject_seed: Optional[int] = None, night: Optional[bool] = None,
                       progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None,
                       threads: int = 2) -> Recording:
    """Render one recording to ``path`` (``.mp4``) with its keypoint and annotation sidecars.

    ``subject_seed`` fixes the subject's look and habits (default: ``seed``); ``seed`` fixes
    what happens in this recording. ``night`` overrides the subject's night mode;
    ``eeg_onset_s`` places the seizure (default: drawn, with >= 35% of the recording before it).
    ``threads`` = 2 draws the next frame while the last one is encoded (same output bytes as 1).
    Returns the manifest :class:`Recording` (absolute video path, ``duration_s`` and the
    wall-clock ``start_time`` set; ``eeg`` too when ``config.eeg``).
    """

    path = Path(path)
    scene = RecordingScene(seed, config, seizure_type, duration_s, eeg_onset_s, subject_seed, night)
    plan, look = scene.plan, scene.look
    n_frames, fps, duration_s = scene.n_frames, scene.fps, scene.duration_s
    w, h = scene.size
    clock = sample_clock(seed, scene.subject_seed, look.night, duration_s)
    times = np.arange(n_frames, dtype=np.float64) / fps
    xy = np.zeros((n_frames, 14, 2), np.float32)
    conf = np.ones((n_frames, 14), np.float32)
    tmp = path.with_name(f".{path.stem}.partial{path.suffix}")
    report_every = max(1, int(fps * 2))
    try:
        with VideoWriter(tmp, fps=fps, size=(w, h), codec=config.codec, creation_time=clock.video_start) as writer:
            # threads > 1: encode on a second thread while the next frame is drawn (both release
            # the GIL); a small bounded queue keeps memory flat.
            sink = _ThreadedSink(writer) if threads > 1 else None
            try:
                for k in range(n_frames):
                    frame, J, vis = scene.frame(k)
                    if sink is not None:
                        sink.put(frame)
                    else:
                        writer.write(frame)
                    xy[k] = J
                    conf[k] = vis
                    if k % report_every == 0:
                        check_cancel(cancel)
                        if progress is not None:
                            progress(round(k / fps, 1), round(duration_s, 1), recording_id)
            finally:
                if sink is not None:
                    sink.close()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if progress is not None:
        progress(round(duration_s, 1), round(duration_s, 1), recording_id)

    seizures: tuple[Seizure, ...] = ()
    if plan.seizure is not None:
        sz = plan.seizure
        seizures = (Seizure(_r3(sz.eeg_onset_s), _r3(sz.clinical_onset_s), _r3(sz.end_s)),)
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    kp_path = sidecar_path(path)
    KeypointTrack(times, xy, conf, (w, h), source="synthetic-gt",
                  meta={"recording_id": recording_id, "subject_id": subject_id, "generator_version": GENERATOR_VERSION}
                  ).save(kp_path)
    annotations = {
        "format": ANNOTATION_FORMAT,
        "version": GENERATOR_VERSION,
        "subject_id": subject_id,
        "recording_id": recording_id,
        "video": path.name,
        "keypoints": kp_path.name,
        "seizure_type": seizure_type if seizures else NO_SEIZURE,
        "duration_s": _r3(duration_s),
        "fps": fps,
        "frame_size": [w, h],
        "frames": n_frames,
        "seizures": [s.to_dict() for s in seizures],
        "seizure_details": [plan.seizure.to_dict()] if plan.seizure else [],
        "prodrome": plan.prodrome.to_dict() if plan.prodrome else None,
        "night_mode": look.night,
        "face_blur": config.face_blur,
        "staff_passes": [{"start_s": _r3(s.start_s), "end_s": _r3(s.end_s)} for s in plan.staff],
        "actions": [{"kind": a.kind, "side": "right" if a.side == "r" else "left",
                     "start_s": _r3(a.start_s), "end_s": _r3(a.end_s)} for a in plan.actions],
        "subject": {"look": look.summary(), "prodrome_kind": scene.traits.prodrome_kind,
                    "focal_side": scene.traits.focal_side, "focal_focus": scene.traits.focal_focus},
        "camera": scene.camera_summary(),  # placement, and for oblique views position, aim, focal length
        "blanket": scene.blanket_summary(),
        "seed": int(seed),
        "subject_seed": scene.subject_seed,
        "config": _config_dict(config),
    }
    if scene.room is not None:  # room-bias option only: which fixed room (A/B) was drawn
        annotations["room"] = scene.room_summary()
    if plan.restless:  # prodrome option only: interictal restless bouts (forecasting confounders)
        annotations["restless_bouts"] = [b.to_dict() for b in plan.restless]
    eeg_path = None
    if config.eeg:
        eeg_path = _write_eeg(path, stem, seed, clock, scene, xy)
        annotations["eeg"] = eeg_path.name
    atomic_write_json(path.with_name(stem + ".annotations.json"), annotations)
    return Recording(recording_id, subject_id, path.resolve(), seizure_type if seizures else NO_SEIZURE,
                     seizures, duration_s=_r3(duration_s), start_time=clock.video_start,
                     eeg=eeg_path.resolve() if eeg_path is not None else None)


def _config_dict(config: SynthConfig) -> dict:
    """The config as the annotations record it; ``eeg`` and ``room_bias`` only when on (default
    output unchanged)."""
    d = config.to_dict()
    if not d.get("eeg"):
        d.pop("eeg", None)
    if d.get("room_bias") is None:
        d.pop("room_bias", None)
    return d


def _write_eeg(path: Path, stem: str, seed: int, clock: EegClock, scene: RecordingScene, xy: np.ndarray) -> Path:
    """The EDF+ beside the video (drawn from the frames' joints, after them) and its truth sidecar."""
    synth = synthesize_eeg(seed, clock, xy, scene.fps, scene.pixels_per_metre(), asleep=scene.look.night,
                           seizure=scene.plan.seizure)
    eeg_path = path.with_name(stem + ".edf")
    write_edf(eeg_path, synth.signals_uv, synth.fs, synth.channels, clock.eeg_start,
              prefiltering="HP:0.5Hz LP:70Hz", equipment="semioscope-synth")
    atomic_write_json(path.with_name(stem + ".eeg.truth.json"), eeg_truth(synth, clock, path.name, eeg_path.name))
    return eeg_path


# -- datasets ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Task:
    path: str
    subject_id: str
    recording_id: str
    seed: int
    subject_seed: int
    seizure_type: str
    duration_s: float
    config: SynthConfig


def plan_dataset(out_dir: str | Path, n_subjects: int, seed: int, config: SynthConfig = SynthConfig()) -> list[_Task]:
    """Which recordings a dataset holds (ids, seeds, types, durations), without rendering."""
    out = Path(out_dir)
    tasks = []
    lo, hi = config.recordings_per_subject
    for i in range(n_subjects):
        sid = f"sub{i + 1:02d}"
        rng = _rng(seed, i, 100)
        n_rec = int(rng.integers(max(1, lo), max(lo, hi) + 1))
        stype = subject_seizure_type(i)
        for j in range(n_rec):
            has = config.seizure_probability > 0 and (j == 0 or rng.random() < config.seizure_probability)
            dur = float(rng.uniform(*config.duration_s))
            rid = f"{sid}_r{j + 1}"
            tasks.append(_Task(str(out / sid / f"{rid}.mp4"), sid, rid, _derive(seed, i, j, 200),
                               _derive(seed, i, 300), stype if has else NO_SEIZURE, dur, config))
    return tasks


_QUEUE = None


def _can_spawn() -> bool:
    """Spawned workers re-import the main script; one without an ``if __name__ == "__main__":``
    guard would re-run itself in every worker (and the pool would hang), so use no pool then."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if path is None or getattr(main, "__spec__", None) is not None:
        return True
    try:
        return "__main__" in Path(path).read_text(errors="replace")
    except OSError:
        return True


def _init_worker(queue) -> None:
    global _QUEUE
    _QUEUE = queue


def _run_task(index: int, task: _Task) -> Recording:
    def report(done: float, total: float, message: str = "") -> None:
        if _QUEUE is not None:
            _QUEUE.put((index, done))

    return generate_recording(task.path, task.subject_id, task.recording_id, task.seed, task.config,
                              task.seizure_type, task.duration_s, subject_seed=task.subject_seed, progress=report,
                              threads=1)


def generate_dataset(out_dir: str | Path, n_subjects: int, seed: int = 0, config: SynthConfig = SynthConfig(),
                     progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None,
                     workers: int = 2) -> Manifest:
    """Render ``n_subjects`` subjects (1-3 recordings each) into ``out_dir`` and write the manifest.

    Progress is reported in seconds of video rendered. Output does not depend on ``workers``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tasks = plan_dataset(out, n_subjects, seed, config)
    total = sum(round(t.duration_s * t.config.fps) / t.config.fps for t in tasks)
    done: dict[int, float] = {}
    results: dict[int, Recording] = {}

    def report(message: str = "") -> None:
        if progress is not None:
            progress(round(min(total, sum(done.values())), 1), round(total, 1), message)

    if workers > 1 and len(tasks) > 1 and not _can_spawn():
        print("semioscope synth: the main script has no `if __name__ == \"__main__\":` guard; "
              "generating in one process", file=sys.stderr)
        workers = 1
    if workers <= 1 or len(tasks) <= 1:
        for i, task in enumerate(tasks):
            def one(d: float, _t: float, msg: str = "", i=i) -> None:
                done[i] = d
                report(msg)

            results[i] = generate_recording(task.path, task.subject_id, task.recording_id, task.seed, task.config,
                                            task.seizure_type, task.duration_s, subject_seed=task.subject_seed,
                                            progress=one, cancel=cancel, threads=min(2, max(1, workers)))
    else:
        ctx = mp.get_context("spawn")  # safe from threaded callers (GUI workers, torch)
        queue = ctx.Queue()
        order = sorted(range(len(tasks)), key=lambda i: -tasks[i].duration_s)  # longest first
        pool = ctx.Pool(min(workers, len(tasks)), initializer=_init_worker, initargs=(queue,))
        try:
            pending = {i: pool.apply_async(_run_task, (i, tasks[i])) for i in order}
            while pending:
                if cancel is not None and cancel.cancelled:
                    pool.terminate()
                    raise Cancelled()
                while not queue.empty():
                    i, d = queue.get_nowait()
                    done[i] = d
                for i in [i for i, a in pending.items() if a.ready()]:
                    results[i] = pending.pop(i).get()
                    done[i] = results[i].duration_s or 0.0
                    report(tasks[i].recording_id)
                report()
                time.sleep(0.2)
            pool.close()
        finally:
            pool.terminate()
            pool.join()
        for tmp in [*out.glob("*/.*.partial.mp4"), *out.glob("*/.*.edf.*.tmp")]:  # leftovers of a cancelled run
            tmp.unlink(missing_ok=True)
    manifest = Manifest([results[i] for i in range(len(tasks))])
    save_manifest(manifest, out / "manifest.json")
    save_manifest(manifest, out / "manifest.csv")
    return manifest



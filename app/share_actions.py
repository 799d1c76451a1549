"""File → Share clip: a de-identified clip of the open video (``inference.exchange.share``) with
the window's current labels, detections and keypoints. The menu entry and its dialog call
``share_clip``; it has no Qt of its own so tests call it directly."""
from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from app.export import labels_to_seizures, recording_type
from inference.core.errors import SemioscopeError
from inference.core.progress import CancelToken, ProgressFn, no_progress
from inference.exchange.share import SharedClip, find_keypoints
from inference.exchange.share import share_clip as write_shared_clip

if TYPE_CHECKING:
    from app.main_window import MainWindow


def share_clip(win: MainWindow, start_s: float, end_s: float, mode: str, out_dir: str | Path,
               progress: ProgressFn = no_progress, cancel: Optional[CancelToken] = None) -> Path:
    """Write the clip of ``start_s..end_s`` of the window's video into ``out_dir``; returns the
    clip's path (its labels lie beside it, the pseudonym's link to the video only in the local
    share map). Labels are the window's as they stand, unsaved edits included; seizures without
    any onset yet are left out. Shows the summary in the status bar."""
    shared = share_clip_result(win, start_s, end_s, mode, out_dir, progress, cancel)
    show = getattr(win, "show_message", None)
    if show is not None:
        show(shared.message(), 10000)
    return shared.clip


def share_clip_result(win: MainWindow, start_s: float, end_s: float, mode: str, out_dir: str | Path,
                      progress: ProgressFn = no_progress, cancel: Optional[CancelToken] = None) -> SharedClip:
    """``share_clip`` returning everything ``inference.exchange.share.share_clip`` reports."""
    return prepare_share(win, start_s, end_s, mode, out_dir)(progress=progress, cancel=cancel)


def prepare_share(win: MainWindow, start_s: float, end_s: float, mode: str, out_dir: str | Path):
    """The share job with the window's labels, events and keypoints taken now (in the GUI
    thread); call it with ``progress`` and ``cancel``, in a worker thread if you like."""
    video = win.video_path
    if video is None:
        raise SemioscopeError("open a video first: a clip is cut from the open video")
    labels = [s for s in win.store.seizures() if s.eeg_onset_s is not None or s.clinical_onset_s is not None] \
        if win.store is not None else []
    keypoints = win.review_state.keypoints
    if keypoints is None:
        keypoints = find_keypoints(video)
    start = getattr(getattr(win, "recording_clock", None), "start", None)
    return partial(write_shared_clip, video, start_s, end_s, out_dir, mode=mode, keypoints=keypoints,
                   seizures=labels_to_seizures(labels), events=list(win.events),
                   recording_type=recording_type(labels), recording_start=start)

"""``semioscope review [VIDEO]``: the review window."""
from __future__ import annotations

import argparse
import json
import os
import sys
from importlib import resources
from pathlib import Path
from typing import Optional

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QWidget

from app.main_window import APP_NAME, MainWindow
from app.window_layout import layout_report
from inference.analysis.settings import EngineConfig
from inference.core.cache import cache_root
from inference.core.errors import SemioscopeError
from inference.results.result_file import AnalysisResult

NAME = "review"
HELP = "open the review window (video + skeleton, probability timeline, attention, events, annotations)"
ORDER = 60
DESCRIPTION = """\
Open the review window on a video. Results beside the video (<stem>.result.npz) or given with
--results are loaded; results made for another version of the video or another model are
reported as stale. Otherwise, with --model, the analysis runs in the background and its
trace fills the timeline as it goes (progress and Cancel in the status bar).

Annotations are saved after every change to <video>.semioscope-annotations.json (an
append-only history: who, when, human or machine, what). Your name is asked once and
remembered; --reviewer sets it. Help -> Keyboard lists every shortcut.

With --eeg (or File -> Open EEG, or an `eeg` column in the manifest beside the video) the EEG
(EDF, EDF+ or BDF) is paged beside the video on one clock: the start times give the first
alignment; sync points (click an event on the EEG, step the video to its frame, press S) fit
offset and drift, saved in <video>.semioscope-eeg.json. View -> Wall-clock time (W) shows clock
times when the recording's start is known (manifest start_time, the container's creation_time,
or an EDF-style file name).

examples:
  semioscope review rec.mp4
  semioscope review rec.mp4 --model runs/tiny --keypoints gt
  semioscope review --results out/rec.result.npz
  semioscope review rec.mp4 --reviewer "Dr Smith"
  semioscope review rec.mp4 --eeg rec.edf --start-at 21:47:10
  semioscope review overview.mp4 closeup.mp4          # two cameras of one recording, on one clock
  semioscope review rec.mp4 --model runs/tiny --forecast-model runs/fc_clf --keypoints gt
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("video", nargs="*", metavar="VIDEO",
                   help="video file (default: the one the results name); more files: other cameras of the same "
                        "recording, shown beside it on one clock (offsets nudged in the window are saved)")
    p.add_argument("--model", metavar="RUN", help="run folder of a trained detector: analyse in the background")
    p.add_argument("--results", metavar="FILE", help="analysis result file (.result.npz)")
    p.add_argument("--reviewer", metavar="NAME", help="your name, recorded with each annotation (remembered)")
    p.add_argument("--annotations", metavar="FILE", help="annotation file (default: beside the video)")
    p.add_argument("--keypoints", default=None, metavar="gt|PATH",
                   help="keypoints for the analysis: pose estimation (default), 'gt' (the synthetic "
                        "recording's sidecar) or a keypoint file/folder")
    p.add_argument("--device", default="auto", help="analysis device: auto, cpu, cuda, cuda:N")
    p.add_argument("--forecast-model", metavar="DIR", default=None,
                   help="forecast classifier folder (`forecast finetune`): the analysis adds its trace and "
                        "forecast alarms (a result without a current forecast trace is completed)")
    p.add_argument("--stride", type=float, default=1.0, metavar="S", help="analysis window stride in seconds (default 1)")
    p.add_argument("--screenshot", metavar="PNG", help=argparse.SUPPRESS)  # used by the screenshot test
    p.add_argument("--quit-after", type=float, default=None, metavar="S", help=argparse.SUPPRESS)
    p.add_argument("--eeg", metavar="FILE", help="EEG file (EDF, EDF+, BDF) to show beside the video")
    p.add_argument("--start-at", default=None, metavar="TIME",
                   help="start at this time: seconds, hh:mm:ss from the start, or a clock time when the "
                        "recording's start is known (e.g. 21:47:10)")


def load_style_sheet() -> str:
    """The packaged Qt style sheet (empty when it is missing), its ``ICONS`` placeholder
    replaced by the packaged icon folder (Qt reads ``url()`` images from files)."""
    try:
        text = resources.files("resources").joinpath("style.qss").read_text("utf-8")
    except (FileNotFoundError, OSError):
        return ""
    icons = Path(str(resources.files("resources").joinpath("icons"))).as_posix()
    return text.replace("url(ICONS/", f"url({icons}/")


def remembered_reviewer(settings: Optional[QSettings] = None, ask_parent: Optional[QWidget] = None) -> str:
    """The reviewer's name: from QSettings, else asked once (QInputDialog) and remembered."""
    settings = settings or QSettings("semioscope", "semioscope")
    name = str(settings.value("reviewer", "") or "").strip()
    if name:
        return name
    name, ok = QInputDialog.getText(ask_parent, APP_NAME, "Your name (recorded with every annotation):")
    name = (name or "").strip()
    if ok and name:
        settings.setValue("reviewer", name)
        return name
    return os.environ.get("USER", "unknown")


def require_display(headless: str = "use `semioscope demo --no-window` to prepare everything and print a summary"
                    ) -> None:
    """Fail with advice instead of Qt's abort when Linux has no screen (ssh, CI, containers);
    ``headless``: what the command can do without a window."""
    headless_ok = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0] in ("offscreen", "minimal", "vnc", "eglfs")
    if sys.platform.startswith("linux") and not headless_ok and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise SemioscopeError("no display to open the window on (DISPLAY is not set). Run it on a desktop, "
                              f"through `xvfb-run -a semioscope ...`, or {headless}")


def open_review_window(video=None, model=None, results=None, reviewer=None, annotations=None, engine_config=None,
                       screenshot=None, quit_after=None, start_at=None, eeg=None, cameras=()) -> int:
    """Create the QApplication and the window, open the inputs and run the event loop."""
    if video is None and results is None:
        pass  # an empty window: File -> Open video
    elif video is None:
        video = AnalysisResult.load(results, keypoints=False).video_path
        if not video or not Path(video).exists():
            raise SemioscopeError(f"{results}: the video it was made from ({video or 'unknown'}) is not there; "
                                  "give the VIDEO argument")
    require_display()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName("semioscope")
    style = load_style_sheet()
    if style:
        app.setStyleSheet(style)
    settings = QSettings("semioscope", "semioscope")
    if reviewer:
        settings.setValue("reviewer", reviewer)
    name = reviewer or remembered_reviewer(settings)
    log_path = cache_root() / "review.log"
    win = MainWindow(name, engine_config=engine_config, log_path=log_path, settings=settings)
    win.show()
    if video is not None:
        win.open_video(video, results=results, model=model, annotations=annotations, eeg=eeg, cameras=cameras)
        if start_at is not None:
            win.go_to_text(str(start_at))  # applied once the video's index is ready
    if screenshot:
        def shoot() -> None:
            # On a real X server (Xvfb) grab the whole screen, so a window larger than the screen
            # shows cut off; offscreen, render the widget.
            screen = app.primaryScreen()
            pix = screen.grabWindow(0) if app.platformName() == "xcb" and screen else win.grab()
            pix.save(str(screenshot))
            # Beside the picture, the numbers a check needs (fits the screen, trace height...).
            report = Path(str(screenshot)).with_suffix(".layout.json")
            report.write_text(json.dumps(layout_report(win), indent=1), "utf-8")
            win.close()

        QTimer.singleShot(int((quit_after or 3.0) * 1000), shoot)
    elif quit_after:
        QTimer.singleShot(int(quit_after * 1000), win.close)
    return int(app.exec())


def run(args) -> int:
    cfg = EngineConfig(stride_s=args.stride, device=args.device, keypoints=args.keypoints,
                       pose_backend="mediapipe", forecast_model=args.forecast_model)
    # A monitoring folder (semioscope monitor --out DIR) opens as its recorded night.
    videos = [str(Path(v) / "night.mp4") if Path(v).is_dir() and (Path(v) / "night.mp4").is_file() else v
              for v in (args.video or [])]
    return open_review_window(videos[0] if videos else None, args.model, args.results, args.reviewer,
                              args.annotations, cfg, args.screenshot, args.quit_after, args.start_at, args.eeg,
                              tuple(videos[1:]))

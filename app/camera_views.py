"""The recording's other cameras beside the first, on one clock.

Each camera has its own frame loader (its own decoder thread, latest request wins) and its own
timestamp index, so it shows the frame on screen at the same instant, found by timestamp
(``t_camera = offset + (1 + drift) * t``), never by frame count. Every position change of the
window (seek, step, pause, each frame shown while playing) asks each visible camera for its
frame at that instant; a hidden (or minimised) camera asks for nothing, so decoding stays
bounded. Offsets come from the command line (0), the manifest, or what a reviewer nudged, which
is saved beside the first video (``inference.video.cameras``) and wins when the video reopens.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence

from app.frame_loader import FrameLoader
from inference.core.errors import SemioscopeError
from inference.results.fusion import fuse_results
from inference.results.result_file import AnalysisResult, result_path_for
from inference.video.cameras import MAX_CAMERAS, CameraFile, load_cameras, save_cameras
from widgets.camera_view import CameraView

if TYPE_CHECKING:
    from app.main_window import MainWindow


class CameraViews:
    """``open(video, extra_videos)``, ``close()``, ``follow(t)``, ``nudge(k, seconds)``,
    ``maximise(k, on)``; ``cameras`` (CameraFile), ``views`` (CameraView), ``loaders``."""

    def __init__(self, win: MainWindow):
        self.win = win
        self.cameras: list[CameraFile] = []
        self.views: list[CameraView] = []
        self.loaders: list[FrameLoader] = []
        self.requested: list[int] = []
        self.shown: list[int] = []  # frame on screen per camera (for tests and the bench)

    def open(self, video: Path, extra: Sequence[Path] = ()) -> None:
        """The cameras of ``video``: saved beside it, else ``extra`` (command line), else the manifest's."""
        self.close()
        try:
            saved = load_cameras(video)
        except SemioscopeError as exc:
            self.win.show_warning(f"{exc} (camera offsets start again)")
            saved = None
        rec = self.win.recording_clock.manifest_recording
        if saved:
            cameras = saved
        elif extra:
            cameras = [CameraFile(Path(p).stem, Path(p), source="command line") for p in extra]
        else:
            cameras = list(rec.cameras) if rec is not None else []
        if len(cameras) > MAX_CAMERAS - 1:
            self.win.show_warning(f"{len(cameras) + 1} cameras given: showing the first {MAX_CAMERAS}")
            cameras = cameras[:MAX_CAMERAS - 1]
        for cam in cameras:
            if not cam.video.is_file():
                self.win.show_warning(f"{cam.video}: camera {cam.name!r} not found")
                continue
            self._add(cam)

    def _add(self, cam: CameraFile) -> None:
        k = len(self.cameras)
        view = CameraView(cam.name, parent=self.win)
        view.nudgeRequested.connect(lambda s, k=k: self.nudge(k, s))
        view.maximiseRequested.connect(lambda on, k=k: self.maximise(k, on))
        view.setOffsetText(cam.describe())
        loader = FrameLoader(cam.video, self.win)
        loader.frame_ready.connect(lambda f, _t, rgb, src=loader: self._on_frame(src, f, rgb))
        loader.failed.connect(lambda _f, msg: self.win.show_warning(msg))
        loader.open_failed.connect(lambda msg: self.win.show_warning(msg))
        loader.opened.connect(lambda reader, src=loader: self._on_opened(src, reader))
        self.cameras.append(cam)
        self.views.append(view)
        self.loaders.append(loader)
        self.requested.append(-1)
        self.shown.append(-1)
        splitter = self.win.cameras_splitter
        splitter.addWidget(view)
        for i in range(splitter.count()):  # every camera the same share of the width
            splitter.setStretchFactor(i, 1)
        width = sum(splitter.sizes())
        if width > splitter.count():
            splitter.setSizes([width // splitter.count()] * splitter.count())
        loader.start()

    def _index(self, loader: FrameLoader) -> Optional[int]:
        # A decoder thread's last frame can arrive after close() (or a reopen) emptied the lists.
        return next((k for k, cur in enumerate(self.loaders) if cur is loader), None)

    def _on_opened(self, loader: FrameLoader, reader) -> None:
        k = self._index(loader)
        if k is None:
            return
        self.views[k].fps = float(reader.meta.fps or 30.0)
        self.follow(self.win.current_time)

    def _on_frame(self, loader: FrameLoader, frame: int, rgb) -> None:
        k = self._index(loader)
        if k is None:
            return
        self.shown[k] = frame
        self.views[k].setFrame(rgb)

    def close(self) -> None:
        for loader in self.loaders:
            loader.stop()
            loader.deleteLater()
        for view in self.views:
            view.setParent(None)
            view.deleteLater()
        self.cameras, self.views, self.loaders, self.requested, self.shown = [], [], [], [], []
        self.win.video_view.show()

    def frame_at(self, k: int, t: float) -> Optional[int]:
        reader = self.loaders[k].reader
        if reader is None:
            return None
        return reader.time_to_frame(max(self.cameras[k].to_camera(t), 0.0))

    def follow(self, t: float) -> None:
        """The window stands at ``t``: each visible camera shows its frame of that instant."""
        for k, view in enumerate(self.views):
            if not view.isVisible():
                continue  # hidden or minimised: no decoding
            frame = self.frame_at(k, t)
            if frame is not None and frame != self.requested[k]:
                self.requested[k] = frame
                self.loaders[k].request(frame)

    def nudge(self, k: int, seconds: float) -> None:
        """Move camera ``k``'s offset by ``seconds`` (saved at once, with who and when)."""
        self.cameras[k] = self.cameras[k].nudged(seconds, self.win.reviewer)
        self.views[k].setOffsetText(self.cameras[k].describe())
        self.requested[k] = -1
        self.follow(self.win.current_time)
        if self.win.video_path is not None:
            try:
                save_cameras(self.win.video_path, self.cameras)
            except OSError as exc:
                self.win.show_error(f"{self.win.video_path}: cannot save the camera offsets ({exc.strerror or exc})")

    def fuse(self) -> Optional[Path]:
        """Fuse each camera's analysis (the results beside the videos) into one trace on the first
        camera's windows, with the offsets set here; shown at once. None (and a message) when a
        camera has not been analysed."""
        win = self.win
        if win.video_path is None or not self.cameras:
            win.show_message("Open a recording with more than one camera first", 4000)
            return None
        try:
            first = AnalysisResult.load(result_path_for(win.video_path))
            others = [(c.name, AnalysisResult.load(result_path_for(c.video)), c.offset_s, c.drift_ppm)
                      for c in self.cameras]
        except SemioscopeError as exc:
            win.show_error(f"Fuse cameras: {exc} (analyse every camera first: semioscope analyze VIDEO...)")
            return None
        out = win.video_path.with_name(win.video_path.stem + ".fused.result.npz")
        fuse_results(first, others, win.video_path.stem).save(out)
        win.open_results(out)
        return out

    def maximise(self, k: int, on: bool) -> None:
        """Camera ``k`` alone in the video area (``on``), or every camera again."""
        self.win.video_view.setVisible(not on)
        for j, view in enumerate(self.views):
            view.setVisible(not on or j == k)
            if j != k:
                view.max_button.blockSignals(True)
                view.max_button.setChecked(False)
                view.max_button.blockSignals(False)
        self.follow(self.win.current_time)


__all__ = ["CameraViews"]

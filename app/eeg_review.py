"""The EEG beside the video: opening the file, paging with the video's cursor, marks on the EEG,
sync points and the clock alignment.

The page follows the video like an EEG reader's: the cursor moves across a still page and the
page flips when the cursor leaves it, so playback at 1x or 4x redraws a page every few seconds,
not every frame. A click on the EEG moves the video to that instant and keeps the exact sample:
a mark made there (context menu, or ``E`` while the video still shows that frame) lands on the
sample, not on the frame's timestamp. Sync points pair the frame on screen with an EEG instant;
two or more fit offset and drift (``inference.eeg.alignment``), saved at once beside the video.
"""
from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from PySide6.QtCore import QSettings

from inference.core.errors import SemioscopeError
from inference.core.wall_clock import local_zone
from inference.eeg.alignment import ClockAlignment, SyncPoint, fit_alignment, from_start_times
from inference.eeg.edf_file import EegFile
from inference.eeg.filters import DisplayFilters
from inference.eeg.link import EegLink, load_link, save_link
from inference.eeg.page import EegPager, PageSettings, page_start_for
from widgets.display_data import MARKER_COLORS
from widgets.timefmt import format_position

if TYPE_CHECKING:
    from app.main_window import MainWindow

SYNC_COLOR = "#ce93d8"
MARK_NAMES = {"eeg_onset_s": "EEG onset", "clinical_onset_s": "clinical onset", "end_s": "end"}


class EegReview:
    """``open(path)``, ``close()``, ``follow(video_s)`` (the video's position), ``step_page(n)``,
    ``click(eeg_s)``, ``mark_here(eeg_s)``, ``add_sync_point(eeg_s)``, ``clear_sync_points()``,
    ``set_alignment(offset_s, drift_ppm)``, ``precise_time()``; ``eeg``, ``link``, ``alignment``,
    ``redraw_ms`` (recent page redraws, for the bench)."""

    def __init__(self, win: MainWindow):
        self.win = win
        self.view = win.eeg_view
        self.eeg: Optional[EegFile] = None
        self.pager: Optional[EegPager] = None
        self.link: Optional[EegLink] = None
        self.page_start: Optional[float] = None
        self.redraw_ms: deque = deque(maxlen=500)
        self._precise: Optional[tuple[int, float]] = None  # (frame, video_s) of the last EEG click
        self.pick: Optional[float] = None  # the last EEG instant clicked (EEG seconds, on a sample)
        self.view.timeClicked.connect(self.click)
        self.view.markRequested.connect(lambda kind, t: self.mark_here(t) if kind == "eeg_onset"
                                        else self.add_sync_point(t))
        self.view.pageStepRequested.connect(self.step_page)
        self.view.settingsChanged.connect(self._on_settings_changed)
        self.view.setTimeFormatter(lambda eeg_s: format_position(self.alignment.to_video(eeg_s), 0))
        self._restore_settings()

    @property
    def alignment(self) -> ClockAlignment:
        return self.link.alignment if self.link is not None else ClockAlignment()

    def is_open(self) -> bool:
        return self.eeg is not None

    # -- opening ---------------------------------------------------------------------------
    def open(self, path: str | Path) -> bool:
        """Open ``path`` beside the open video; the saved alignment is kept when it is for the
        same file, else the start times give the first one. Errors go to the message bar."""
        win = self.win
        try:
            eeg = EegFile.open(path)
        except SemioscopeError as exc:
            win.show_error(str(exc))
            return False
        self.eeg, self.pager, self.page_start = eeg, EegPager(eeg), None
        saved = self._saved_link()
        video_start, source = win.recording_clock.start, win.recording_clock.source
        if saved is not None and saved.eeg.resolve() == eeg.path.resolve():
            self.link = saved
        else:
            zone = video_start.tzinfo if video_start is not None else local_zone()
            self.link = EegLink(eeg.path, from_start_times(video_start, eeg.start_time(zone)), zone,
                                video_start, source)
            self._save()
        self.view.setChannelNames(self.pager.trace_names(self.view.montage()))
        self.view.show()
        win.layout_eeg(True)
        self._status()
        if eeg.note:
            win.show_warning(f"{eeg.path.name}: {eeg.note}")
        self.follow(win.current_time)
        self.refresh_marks()
        return True

    def open_for_video(self, video: Path, given: Optional[Path]) -> None:
        """On opening a video: ``given`` (``--eeg``), else the saved link's file, else the manifest's."""
        self.close()
        try:
            saved = load_link(video)
        except SemioscopeError as exc:
            self.win.show_warning(f"{exc} (the EEG alignment starts again from the start times)")
            saved = None
        rec = self.win.recording_clock.manifest_recording
        path = given or (saved.eeg if saved is not None else None) or (rec.eeg if rec is not None else None)
        if path is not None:
            self.open(path)

    def _saved_link(self) -> Optional[EegLink]:
        try:
            return load_link(self.win.video_path) if self.win.video_path is not None else None
        except SemioscopeError:
            return None

    def close(self) -> None:
        self.eeg = self.pager = self.link = None
        self.page_start = None
        self._precise = self.pick = None
        self.view.setPick(None)
        self.view.setPage(0.0, 256.0, [], [], [], 10.0)
        self.view.setMarks([])
        self.view.setCursor(None)
        self.view.setStatus("")
        self.view.hide()
        self.win.layout_eeg(False)

    # -- following the video ---------------------------------------------------------------
    def follow(self, video_s: float) -> None:
        """The video stands at ``video_s``: move the cursor, flip the page when it left it."""
        if self.eeg is None:
            return
        precise = self.precise_time()
        eeg_s = self.alignment.to_eeg(precise if precise is not None else video_s)
        self.view.setCursor(eeg_s)
        page_s = self.view.page_seconds()
        start = page_start_for(eeg_s, page_s, self.page_start)
        if start != self.page_start:
            self.draw_page(start)

    def draw_page(self, start_s: float) -> None:
        if self.pager is None:
            return
        t0 = time.perf_counter()
        page = self.pager.page(start_s, self.settings())
        self.page_start = page.start_s
        self.view.setPage(page.start_s, page.fs, page.names, page.data, page.is_eeg, self.view.page_seconds())
        self.redraw_ms.append((time.perf_counter() - t0) * 1000.0)

    def step_page(self, n: int) -> None:
        """Page forward (+1) or back (-1): the video goes a page on (or back) and the EEG page
        follows it, with the cursor a tenth in; at the video's ends the page stops there."""
        if self.eeg is None or self.page_start is None or self.win.reader is None:
            return
        page_s = self.view.page_seconds()
        target = self.alignment.to_video(self.page_start + n * page_s + 0.1 * page_s)
        self.win.seek(min(max(float(target), 0.0), self.win.reader.meta.duration_s))

    def settings(self) -> PageSettings:
        v = self.view
        return PageSettings(v.montage(), DisplayFilters(v.highpass(), v.lowpass(), v.notch()), v.page_seconds(),
                            v.gain(), v.hidden())

    def _on_settings_changed(self) -> None:
        self._store_settings()
        if self.pager is not None:
            self.view.setChannelNames(self.pager.trace_names(self.view.montage()))
            self.page_start, start = None, self.page_start
            if start is not None:
                self.draw_page(start)
            self.follow(self.win.current_time)

    # -- clicks and marks ------------------------------------------------------------------
    def _snap(self, eeg_s: float) -> float:
        fs = self.eeg.fs if self.eeg is not None and self.eeg.fs else 256.0
        return round(float(eeg_s) * fs) / fs

    def click(self, eeg_s: float) -> None:
        """Go to the EEG instant ``eeg_s`` (snapped to its sample): the video shows the frame on
        screen then, and a mark made now lands on the sample."""
        if self.eeg is None:
            return
        eeg_s = self._snap(eeg_s)
        video_s = max(float(self.alignment.to_video(eeg_s)), 0.0)
        self.win.seek(video_s)
        self._precise = (self.win.current_frame, video_s)
        self.pick = eeg_s
        self.view.setPick(eeg_s)
        self.view.setCursor(eeg_s)

    def precise_time(self) -> Optional[float]:
        """The video time of the clicked EEG sample while the video still shows its frame."""
        if self._precise is None:
            return None
        frame, video_s = self._precise
        if frame != self.win.current_frame:
            self._precise = None
            return None
        return video_s

    def mark_here(self, eeg_s: float) -> None:
        """Mark the EEG onset at the EEG instant ``eeg_s`` (to the sample)."""
        self.click(eeg_s)
        self.win.mark("eeg_onset_s")

    def add_sync_point(self, eeg_s: float) -> None:
        """The EEG instant ``eeg_s`` is the frame on screen: one more sync point, refit, save."""
        if self.eeg is None or self.link is None:
            return
        point = SyncPoint(float(self.win.current_time), self._snap(eeg_s), f"sync {len(self.alignment.points) + 1}")
        self.pick = None
        self.view.setPick(None)
        self._refit(list(self.alignment.points) + [point])

    def add_sync_point_at_cursor(self) -> None:
        """``S``: the EEG instant last clicked (the dashed line; else the cursor) is the frame on
        screen. Click the event on the EEG, step the video to the frame that shows it, press S."""
        if self.eeg is None:
            self.win.show_message("Open an EEG first (File → Open EEG)", 3000)
            return
        self.add_sync_point(self.pick if self.pick is not None else self.view.cursor.value())

    def clear_sync_points(self) -> None:
        self._refit([])

    def set_alignment(self, offset_s: float, drift_ppm: float) -> None:
        """Typed by the user (Alignment dialog): kept with its provenance, sync points dropped."""
        if self.link is None:
            return
        self._replace(ClockAlignment(float(offset_s), float(drift_ppm), (), "manual", self.win.reviewer,
                                     from_start_times(None, None).at))

    def _refit(self, points: list[SyncPoint]) -> None:
        base = from_start_times(self.link.video_start, self.eeg.start_time(self.link.eeg_zone))
        try:
            fitted = fit_alignment(points, base, by=self.win.reviewer)
        except ValueError as exc:
            self.win.show_error(f"Sync point not used: {exc}")
            return
        self._replace(fitted)

    def _replace(self, alignment: ClockAlignment) -> None:
        self.link.history.append(self.link.alignment)
        self.link.alignment = alignment
        self._save()
        self._status()
        self.page_start = None
        self.follow(self.win.current_time)
        self.refresh_marks()
        self.win.show_message(f"EEG alignment: {alignment.describe()}", 6000)

    def _save(self) -> None:
        if self.win.video_path is None or self.link is None:
            return
        try:
            save_link(self.win.video_path, self.link)
        except OSError as exc:
            self.win.show_error(f"{self.win.video_path}: cannot save the EEG alignment ({exc.strerror or exc})")

    def _status(self) -> None:
        if self.eeg is not None:
            self.view.setStatus(f"{self.eeg.path.name} · {self.alignment.describe()}")

    def refresh_marks(self) -> None:
        """Seizure marks and sync points drawn on the EEG, at their EEG times."""
        if self.eeg is None:
            return
        marks = []
        store = self.win.store
        for label in store.seizures() if store is not None else []:
            for field, name in MARK_NAMES.items():
                value = getattr(label, field)
                if value is not None:
                    marks.append((float(self.alignment.to_eeg(value)), name, MARKER_COLORS[field]))
        for p in self.alignment.points:
            marks.append((p.eeg_s, p.label or "sync", SYNC_COLOR))
        self.view.setMarks(marks)

    # -- settings remembered between sessions ------------------------------------------------
    def _qsettings(self) -> Optional[QSettings]:
        return self.win.settings

    def _store_settings(self) -> None:
        s = self._qsettings()
        if s is None:
            return
        v = self.view
        for key, value in (("montage", v.montage()), ("gain", v.gain()), ("highpass", v.highpass()),
                           ("lowpass", v.lowpass()), ("notch", v.notch()), ("page_s", v.page_seconds())):
            s.setValue(f"eeg/{key}", "" if value is None else value)

    def _restore_settings(self) -> None:
        s = self._qsettings()
        default = PageSettings()
        got = {}
        for key, fallback in (("montage", default.montage), ("gain", default.gain_uv_per_mm),
                              ("highpass", default.filters.highpass_hz), ("lowpass", default.filters.lowpass_hz),
                              ("notch", default.filters.notch_hz), ("page_s", default.page_s)):
            raw = s.value(f"eeg/{key}", None) if s is not None else None
            if raw is None:
                got[key] = fallback
            elif key == "montage":
                got[key] = str(raw)
            else:
                got[key] = None if raw in ("", None) else float(raw)
        self.view.setSettings(got["montage"], got["gain"], got["highpass"], got["lowpass"], got["notch"],
                              got["page_s"] or default.page_s)


__all__ = ["EegReview"]

"""Review ergonomics: keys after typing (go-to, Escape, Ctrl+Z in a spin box), the video following
a dragged marker or a stepped spin box, and the small things (plurals, quoted names, marker
labels, the greyed forecast box, spin-box arrows, a typed new export folder, undo texts, opening
at the first unreviewed event, the reviewer shown, the mouse in the key map)."""
from __future__ import annotations

import shutil

import pytest
from app_helpers import make_result, make_video, shown_number
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDoubleSpinBox, QVBoxLayout, QWidget

from app.commands.review import load_style_sheet
from app.main_window import MainWindow
from inference.results.result_file import result_path_for
from widgets.display_data import CLINICAL_ONSET, EEG_ONSET, EventRow, SeizureRow
from widgets.event_list import EventList
from widgets.folder_dialog import FolderDialog
from widgets.mouse_actions import MOUSE_ACTIONS
from widgets.timefmt import format_time
from widgets.timeline import TimelineWidget
from widgets.wording import named, plural

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    d = tmp_path_factory.mktemp("ergo")
    video = make_video(d, seconds=20.0)  # 10 fps, 200 numbered frames; events at 2 s and 11 s
    make_result(video).save(result_path_for(video))
    return video


def open_window(qtbot, recording, folder):
    for src in recording.parent.glob(recording.stem + "*"):
        if not (folder / src.name).exists():
            shutil.copy(src, folder / src.name)
    win = MainWindow(reviewer="Dr Tester")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    assert win.open_video(folder / recording.name)
    qtbot.waitUntil(lambda: win.is_open() and win.shown_frame == win.current_frame, timeout=10000)
    return win


def on_screen(qtbot, win, frame) -> None:
    qtbot.waitUntil(lambda: win.current_frame == frame and win.shown_frame == frame, timeout=5000)
    assert shown_number(win) == frame and win.current_time == win.reader.frame_to_time(frame)


def focus(qtbot, widget) -> None:
    widget.setFocus(Qt.OtherFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget, timeout=2000)


def test_keys_after_go_to_escape_and_undo_in_a_spin_box(qtbot, tmp_path, recording):
    win = open_window(qtbot, recording, tmp_path)
    goto = win.transport.goto_edit
    focus(qtbot, goto)
    qtbot.keyClicks(goto, "00:00:05")
    qtbot.keyClick(goto, Qt.Key_Return)
    on_screen(qtbot, win, 50)
    assert QApplication.focusWidget() is win.video_view  # the keyboard is back on the video
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Right)
    assert win.current_frame == 51 and goto.text() == "00:00:05"  # a step, not a text edit
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_N)
    assert win.current_event == 1  # single-key shortcuts work
    # Escape leaves a text field whatever was typed.
    focus(qtbot, goto)
    qtbot.keyClicks(goto, "12")
    qtbot.keyClick(goto, Qt.Key_Escape)
    assert QApplication.focusWidget() is win.video_view
    # Ctrl+Z in a spin box undoes the window's last edit (the spin box has no undo of its own).
    win.seek_frame(30)
    win.mark(EEG_ONSET)
    win.side_tabs.setCurrentWidget(win.annotation_panel)
    qtbot.waitUntil(lambda: win.annotation_panel.seizureCount() == 1)
    spin = win.annotation_panel.spin(0, EEG_ONSET)
    focus(qtbot, spin)
    spin.stepBy(2)
    qtbot.waitUntil(lambda: win.store.seizures()[0].eeg_onset_s == pytest.approx(3.2))
    qtbot.keyClick(spin, Qt.Key_Z, Qt.ControlModifier)
    qtbot.waitUntil(lambda: win.store.seizures()[0].eeg_onset_s == pytest.approx(3.0))
    qtbot.keyClick(spin, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    qtbot.waitUntil(lambda: win.store.seizures()[0].eeg_onset_s == pytest.approx(3.2))
    qtbot.keyClick(spin, Qt.Key_Escape)
    assert QApplication.focusWidget() is win.video_view
    assert "Esc" in [k for s in win.shortcut_specs for k in s.keys]  # listed in the key map


def test_video_follows_a_stepped_spin_box_and_a_dragged_marker(qtbot, tmp_path, recording):
    win = open_window(qtbot, recording, tmp_path)
    win.seek_frame(30)
    win.mark(EEG_ONSET)
    win.seek_frame(60)
    win.mark(CLINICAL_ONSET)
    qtbot.waitUntil(lambda: win.annotation_panel.seizureCount() == 1 and len(win.timeline.markers) == 2)
    win.seek_frame(150)
    spin = win.annotation_panel.spin(0, EEG_ONSET)
    spin.stepBy(5)  # five frames later
    on_screen(qtbot, win, 35)
    assert win.store.seizures()[0].eeg_onset_s == pytest.approx(win.current_time)
    assert win.transport.position_label.text().startswith(format_time(3.5))
    # Dragging a marker: the frame under it shows and its label says the time.
    marker = win.timeline.marker(0, CLINICAL_ONSET)
    marker.setValue(7.04)
    marker.sigDragged.emit(marker)
    on_screen(qtbot, win, 70)
    assert format_time(7.0) in marker.label.toPlainText() and "Clin 1" in marker.label.toPlainText()
    assert format_time(7.0) in win.status_label.text()
    marker.sigPositionChangeFinished.emit(marker)
    assert marker.label.toPlainText() == "Clin 1" and win.store.seizures()[0].clinical_onset_s == pytest.approx(7.0)


def test_opens_at_the_first_unreviewed_event_shows_the_reviewer_and_says_what_undo_restores(
        qtbot, tmp_path, recording):
    win = open_window(qtbot, recording, tmp_path)
    on_screen(qtbot, win, 20)  # the first event starts at 2 s
    assert "Dr Tester" in win.windowTitle() and "Dr Tester" in win.reviewer_label.text()
    assert win.reviewer_label.isVisible()
    win.go_to_event(0)
    win.review_current("confirmed")
    # Undo texts name the value they restore.
    win.seek_frame(40)
    win.mark(CLINICAL_ONSET)  # on the confirmed seizure (both onsets at 2.0 s)
    assert "was 2.000 s" in win.actions["edit.undo"].text()
    qtbot.waitUntil(lambda: win.annotation_panel.seizureCount() == 1)
    spin = win.annotation_panel.spin(0, EEG_ONSET)
    spin.stepBy(1)
    spin.stepBy(1)  # merged into one undo step
    text = win.actions["edit.undo"].text()
    assert "to 2.200 s" in text and "was 2.000 s" in text, text
    win.undo_stack.undo()
    assert win.store.seizures()[0].eeg_onset_s == pytest.approx(2.0)
    win.close()
    win2 = open_window(qtbot, recording, tmp_path)
    on_screen(qtbot, win2, 110)  # event 1 (11 s) is now the first one to review
    dlg = win2.show_keymap()
    assert dlg.mouse_table.rowCount() == len(MOUSE_ACTIONS) > 10
    gestures = {dlg.mouse_table.item(i, 1).text() for i in range(dlg.mouse_table.rowCount())}
    assert {"Wheel", "Drag a seizure marker", "Click"} <= gestures
    dlg.close()


def test_small_things(qtbot, tmp_path):
    assert plural(1, "event") == "1 event" and plural(2, "event") == "2 events" and plural(0, "event") == "0 events"
    assert named("model", "model") == "model \u201cmodel\u201d"
    events = EventList()
    qtbot.addWidget(events)
    events.setEvents([EventRow(10.0, 20.0, 0.9)])
    assert events.count_label.text().startswith("1 event,")
    # EEG and clinical onsets a second apart: their labels do not cover each other.
    tl = TimelineWidget()
    qtbot.addWidget(tl)
    tl.resize(900, 260)
    tl.show()
    qtbot.waitExposed(tl)
    tl.setXRange(0, 600)
    tl.setSeizures([SeizureRow(100.0, 101.0, 300.0)])
    QApplication.processEvents()
    eeg, clin = tl.marker(0, EEG_ONSET).label, tl.marker(0, CLINICAL_ONSET).label
    assert not eeg.sceneBoundingRect().intersects(clin.sceneBoundingRect())
    # The greyed forecast box has a grey label, not a bright cyan one.
    assert not tl.forecast_check.isEnabled()
    img = tl.forecast_check.grab().toImage()
    cyan = [(x, y) for x in range(img.width()) for y in range(img.height())
            if (c := img.pixelColor(x, y)).green() > 150 and c.blue() > 150 and c.red() < 100]
    assert not cyan
    # Spin boxes keep visible step arrows under the style sheet.
    host = QWidget()
    host.setStyleSheet(load_style_sheet())
    qtbot.addWidget(host)
    spin = QDoubleSpinBox(host)
    QVBoxLayout(host).addWidget(spin)
    host.resize(160, 40)
    host.show()
    qtbot.waitExposed(host)
    img = spin.grab().toImage()
    strip = [img.pixelColor(x, y).lightness() for x in range(img.width() - 14, img.width() - 3)
             for y in range(2, img.height() - 2)]
    assert max(strip) > 150  # light arrow pixels on the dark buttons
    # The export folder dialog takes a typed new folder and creates it.
    target = tmp_path / "exports" / "new run"
    dlg = FolderDialog(None, "Export", tmp_path)
    qtbot.addWidget(dlg)
    dlg.path_edit.setText(str(target))
    assert "created" in dlg.note.text()
    dlg.accept()
    assert target.is_dir() and dlg.selectedFolder() == target
    (tmp_path / "afile").write_text("x")
    dlg2 = FolderDialog(None, "Export", tmp_path / "afile")
    qtbot.addWidget(dlg2)
    assert "file" in dlg2.note.text() and dlg2.selectedFolder() is None

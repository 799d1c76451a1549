"""The Semiology tab: the ILAE type of the seizure at the cursor, signs added with G at the frame,
each edit one undo step, saved and filtered in the events table."""
from __future__ import annotations

import pytest
from app_helpers import make_result, make_video
from PySide6.QtCore import Qt

from app.annotations import AnnotationStore, annotations_path_for
from app.main_window import MainWindow
from inference.results.result_file import result_path_for


def test_type_and_signs_from_the_window(qtbot, tmp_path):
    video = make_video(tmp_path, seconds=20.0)
    make_result(video).save(result_path_for(video))  # events at 2-3 s and 11-13 s
    win = MainWindow(reviewer="Dr Sem")
    qtbot.addWidget(win)
    win.show()
    assert win.open_video(video)
    qtbot.waitUntil(win.is_open, timeout=10000)
    panel = win.semiology_panel
    assert not panel.type_box.isEnabled()  # no seizure at the cursor yet
    win.seek(10.5)
    win.mark("eeg_onset_s")
    win.seek(14.0)
    win.mark("end_s")
    win.seek(11.0)
    assert panel.type_box.isEnabled() and "seizure 1" in panel.title.text()
    panel.type_box.setCurrentIndex(panel.type_box.findData("focal_motor_clonic"))
    panel.awareness_box.setCurrentIndex(panel.awareness_box.findData("impaired"))
    label = win.store.seizures()[0]
    assert (label.ilae_type, label.awareness, label.seizure_type) == ("focal_motor_clonic", "impaired", "focal")
    panel.setNextSign("clonic", "arm", "left")
    win.seek(12.0)
    qtbot.keyClick(win, Qt.Key_G)
    sign = win.store.seizures()[0].signs[0]
    assert (sign.term, sign.body_part, sign.laterality) == ("clonic", "arm", "left")
    assert sign.time_s == pytest.approx(win.current_time)
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1, timeout=2000)  # the labels redraw once per burst of edits
    win.undo_stack.undo()
    assert win.store.seizures()[0].signs == ()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 0, timeout=2000)
    win.undo_stack.redo()
    qtbot.waitUntil(lambda: win.event_list.semiology_box.findData("clonic") >= 0, timeout=2000)
    # The events table filters by type or sign: only the event overlapping the seizure stays.
    assert win.event_list.semiology_box.isVisible()
    win.event_list.setSemiologyFilter("clonic")
    assert win.event_list.visibleRows() == [1]
    win.close_video()
    back = AnnotationStore.open(annotations_path_for(video), "check", autosave=False).seizures()[0]
    assert back.ilae_type == "focal_motor_clonic" and [g.term for g in back.signs] == ["clonic"]

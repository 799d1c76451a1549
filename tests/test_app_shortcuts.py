"""The one shortcut table: parsed, free of clashes, and every action wired in the window."""
from __future__ import annotations

import pytest

from app.main_window import MainWindow
from app.shortcuts import keymap_rows, load_shortcuts
from app.window_actions import action_handlers


def test_table_parses_and_rejects_clashes(qapp):
    specs = load_shortcuts()
    ids = {s.id for s in specs}
    assert {"mark.eeg_onset", "mark.clinical_onset", "mark.seizure_end", "event.next", "event.previous",
            "event.confirm", "event.reject", "play.toggle", "speed.faster", "speed.slower",
            "file.export_labels", "file.export_events", "help.keyboard"} <= ids
    rows = keymap_rows(specs)
    assert len(rows) == len(specs) and all(r[1] for r in rows)
    with pytest.raises(ValueError, match="used by both"):
        load_shortcuts('[[action]]\nid="a"\nkeys=["E"]\ntext="A"\n[[action]]\nid="b"\nkeys=["e"]\ntext="B"\n')
    with pytest.raises(ValueError, match="appears twice"):
        load_shortcuts('[[action]]\nid="a"\nkeys=["E"]\ntext="A"\n[[action]]\nid="a"\nkeys=["F"]\ntext="B"\n')


def test_every_action_is_wired_and_in_a_menu(qtbot):
    win = MainWindow(reviewer="t")
    qtbot.addWidget(win)
    missing = [s.id for s in win.shortcut_specs if s.id not in action_handlers(win)]
    assert missing == []
    in_menus = {a.objectName() for m in win.menus.values() for a in m.actions()}
    assert in_menus == {s.id for s in win.shortcut_specs}
    assert win.actions["mark.eeg_onset"].shortcut().toString() == "E"

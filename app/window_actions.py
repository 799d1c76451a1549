"""The review window's QActions and menus, from the one shortcut table (``app.shortcuts``):
which window method each action id calls, and the actions' starting states."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from app.annotations import CONFIRMED, REJECTED, UNREVIEWED
from app.shortcuts import build_actions, fill_menus, load_shortcuts

if TYPE_CHECKING:
    from app.main_window import MainWindow


def action_handlers(win: MainWindow) -> dict[str, Callable]:
    """Action id -> what it does (checkable actions receive ``checked``)."""
    files = win.file_actions
    return {
        "file.open_video": files.ask_open_video,
        "file.open_results": files.ask_open_results,
        "file.open_eeg": files.ask_open_eeg,
        "file.export_edf": win.exchange.ask_export_edf,
        "file.import_edf": win.exchange.ask_import_edf,
        "file.share_clip": win.exchange.ask_share,
        "file.report": win.exchange.ask_report,
        "file.export_labels": files.ask_export_training_labels,
        "file.export_events": files.ask_export_events,
        "file.quit": win.close,
        "edit.undo": win.undo_stack.undo,
        "edit.redo": win.undo_stack.redo,
        "mark.eeg_onset": lambda: win.mark("eeg_onset_s"),
        "mark.clinical_onset": lambda: win.mark("clinical_onset_s"),
        "mark.seizure_end": lambda: win.mark("end_s"),
        "annotation.delete": win.delete_selected_seizure,
        "annotation.accept": win.annotation_actions.accept_proposals,
        "annotation.sign": win.semiology.add_sign_here,
        "event.next": win.next_event,
        "event.previous": win.previous_event,
        "event.confirm": lambda: win.review_current(CONFIRMED),
        "event.reject": lambda: win.review_current(REJECTED),
        "event.unreview": lambda: win.review_current(UNREVIEWED),
        "review.compare_raters": win.rater_comparison.ask_load,
        "play.toggle": win.toggle_play,
        "playback.mute": win.audio.set_muted,
        "playback.louder": lambda: win.audio.set_volume(min(win.audio.volume + 0.1, 1.0)),
        "playback.softer": lambda: win.audio.set_volume(max(win.audio.volume - 0.1, 0.0)),
        "step.frame_forward": lambda: win.step_frames(1),
        "step.frame_back": lambda: win.step_frames(-1),
        "step.second_forward": lambda: win.step_seconds(1.0),
        "step.second_back": lambda: win.step_seconds(-1.0),
        "step.ten_forward": lambda: win.step_seconds(10.0),
        "step.ten_back": lambda: win.step_seconds(-10.0),
        "speed.faster": lambda: win.clock and win.set_speed(win.clock.faster()),
        "speed.slower": lambda: win.clock and win.set_speed(win.clock.slower()),
        "speed.normal": lambda: win.set_speed(1.0),
        "go.to_time": win.ask_go_to_time,
        "view.skeleton": win.set_skeleton_visible,
        "view.colour_attention": lambda on: on and win.set_colour_mode("attention"),
        "view.colour_confidence": lambda on: on and win.set_colour_mode("confidence"),
        "view.forecast": win.timeline.setForecastVisible,
        "view.unreviewed_only": win.event_list.setOnlyUnreviewed,
        "view.wall_clock": win.recording_clock.show_wall_clock,
        "eeg.page_forward": lambda: win.eeg_review.step_page(+1),
        "eeg.page_back": lambda: win.eeg_review.step_page(-1),
        "eeg.gain_up": lambda: win.eeg_view.stepGain(+1),
        "eeg.gain_down": lambda: win.eeg_view.stepGain(-1),
        "eeg.sync_point": lambda: win.eeg_review.add_sync_point_at_cursor(),
        "eeg.alignment": files.ask_alignment,
        "focus.video": win.focus_keys.release_focus,
        "analysis.cancel": win.cancel_analysis,
        "analysis.fuse_cameras": win.cameras.fuse,
        "help.keyboard": win.show_keymap,
    }


def install_actions(win: MainWindow) -> None:
    """Give ``win`` its ``shortcut_specs``, ``actions`` (id -> QAction) and ``menus``; keep the
    check marks and the undo / redo entries in step with what they stand for."""
    win.shortcut_specs = load_shortcuts()
    win.actions = build_actions(win, win.shortcut_specs, action_handlers(win))
    win.menus = fill_menus(win.menuBar(), win.shortcut_specs, win.actions)
    actions, stack = win.actions, win.undo_stack
    actions["view.skeleton"].setChecked(True)
    actions["view.colour_attention"].setChecked(True)
    actions["view.forecast"].setChecked(True)
    actions["view.wall_clock"].setEnabled(False)  # until a recording with a known start is open
    win.timeline.forecast_check.toggled.connect(actions["view.forecast"].setChecked)
    stack.canUndoChanged.connect(actions["edit.undo"].setEnabled)
    stack.canRedoChanged.connect(actions["edit.redo"].setEnabled)
    stack.undoTextChanged.connect(lambda t: actions["edit.undo"].setText(f"Undo {t}".strip()))
    stack.redoTextChanged.connect(lambda t: actions["edit.redo"].setText(f"Redo {t}".strip()))
    actions["edit.undo"].setEnabled(False)
    actions["edit.redo"].setEnabled(False)

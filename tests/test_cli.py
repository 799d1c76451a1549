"""The ``semioscope`` entry point: help for every subcommand, and errors shown without tracebacks."""
from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from app.cli import command_infos, main

COMMANDS = [i.name for i in command_infos()]


def test_all_subcommands_registered():
    assert {"analyze", "clips", "demo", "evaluate", "forecast", "import-emu", "pose", "review",
            "segments", "synth", "train"} <= set(COMMANDS)


def test_help_constants_read_without_import_match_the_modules():
    """--help reads NAME/HELP/ORDER/DESCRIPTION from source; they must be what the module says."""
    for info in command_infos():
        mod = importlib.import_module(info.module)
        assert (info.name, info.help, info.order) == (mod.NAME, mod.HELP, getattr(mod, "ORDER", 100))
        assert info.description == getattr(mod, "DESCRIPTION", mod.HELP)


def test_top_level_help_imports_no_command_torch_or_qt():
    code = ("import sys; from app.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('torch', 'PySide6', 'transformers', 'app.commands.train') if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out, out


def test_top_level_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert f"    {name}" in out, name


@pytest.mark.parametrize("name", COMMANDS)
def test_each_subcommand_help_exits_zero(name, capsys):
    with pytest.raises(SystemExit) as exc:
        main([name, "--help"])
    assert exc.value.code == 0
    assert f"usage: semioscope {name}" in capsys.readouterr().out


def test_os_error_is_reported_with_the_file_name(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    # --out below a regular file: the OSError (NotADirectory) must become a one-line error, rc 2.
    assert main(["synth", str(blocker / "out"), "--subjects", "1"]) == 2
    err = capsys.readouterr().err
    assert "semioscope synth: error:" in err and str(blocker / "out") in err
    assert "Traceback" not in err


def test_cli_log_writes_above_an_open_bar(capsys):
    from inference.core.progress import cli_log, cli_progress

    with cli_progress("job", total=3, unit="step") as bar:
        bar(1, 3)
        cli_log("halfway there")
        bar(3, 3)
    err = capsys.readouterr().err
    assert "halfway there\n" in err and "job" in err


def test_window_commands_explain_a_missing_display(monkeypatch):
    import sys

    from app.commands.review import require_display
    from inference.core.errors import SemioscopeError

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    with pytest.raises(SemioscopeError, match="no display.*--no-window"):
        require_display()
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    require_display()  # offscreen rendering needs no screen

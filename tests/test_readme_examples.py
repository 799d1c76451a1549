"""Every `semioscope ...` command in the README's fenced code blocks parses: the subcommand and
its options exist and take the values shown (``app.cli.build_parser()`` with every command
loaded; paths need not exist). How commands are extracted: ``tests/readme_commands.py``."""
from __future__ import annotations

import contextlib
import io

import pytest
from readme_commands import readme_commands

from app.cli import build_parser, command_infos

COMMANDS = readme_commands()
KNOWN = {i.name for i in command_infos()}


def test_the_readme_has_commands_in_every_section_that_shows_some():
    names = {c.argv[0] for c in COMMANDS if c.argv}
    assert {"synth", "segments", "train", "evaluate", "analyze", "review", "forecast", "export"} <= names
    assert any(len(c.text) > 100 and c.argv[0] == "train" for c in COMMANDS)  # `\\` continuations joined


@pytest.fixture(scope="module")
def parser():
    return build_parser()  # no argv: every command's options are loaded


@pytest.mark.parametrize("cmd", COMMANDS, ids=[f"README:{c.line}" for c in COMMANDS])
def test_readme_command_parses(cmd, parser):
    assert cmd.argv, f"README.md:{cmd.line}: `semioscope` without a subcommand"
    if cmd.argv[0] not in KNOWN:
        pytest.fail(f"README.md:{cmd.line}: unknown subcommand {cmd.argv[0]!r} in: {cmd.text}")
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            args = parser.parse_args(list(cmd.argv))
    except SystemExit:
        pytest.fail(f"README.md:{cmd.line}: {cmd.text}\n{err.getvalue().strip().splitlines()[-1]}")
    assert args.command == cmd.argv[0]

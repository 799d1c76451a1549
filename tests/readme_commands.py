"""The `semioscope ...` commands of the README's fenced code blocks, as argument lists
(shared by tests/test_readme_examples.py and tests/test_getting_started.py).

A command is a line of a ``bash``/``sh``/``shell`` or unlabelled fenced block whose first word
(after an optional ``time`` or ``$``) is ``semioscope``; a trailing ``\\`` joins the next line,
``#`` starts a comment, and words are split as the shell would (``shlex``)."""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
_FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
_SHELL_BLOCKS = ("", "bash", "sh", "shell", "console")


@dataclass(frozen=True)
class ReadmeCommand:
    line: int  # 1-based line in README.md where the command starts
    text: str  # as written, continuation lines joined
    argv: tuple[str, ...]  # the words after `semioscope`
    block: int  # index of the fenced block (in README order)


def readme_commands(path: Path = README) -> list[ReadmeCommand]:
    lines = path.read_text("utf-8").splitlines()
    out: list[ReadmeCommand] = []
    in_block, lang, block = False, "", -1
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m:
            in_block = not in_block
            if in_block:
                lang, block = m.group(2).lower(), block + 1
            i += 1
            continue
        if not in_block or lang not in _SHELL_BLOCKS:
            i += 1
            continue
        start, text = i, lines[i]
        while text.rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            text = text.rstrip()[:-1] + " " + lines[i].strip()
        i += 1
        words = shlex.split(text, comments=True)
        while words and words[0] in ("time", "$"):
            words = words[1:]
        if words and words[0] == "semioscope":
            out.append(ReadmeCommand(start + 1, " ".join(text.split()), tuple(words[1:]), block))
    return out


def block_after(marker: str, path: Path = README) -> list[ReadmeCommand]:
    """The commands of the first fenced block after the line holding ``marker`` (e.g. a README
    section comment such as ``<!-- section:cli-getting-started -->``)."""
    lines = path.read_text("utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if marker in line) + 1
    later = [c for c in readme_commands(path) if c.line > at]
    return [c for c in later if later and c.block == later[0].block]

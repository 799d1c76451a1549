"""``semioscope`` command line. Each subcommand lives in its own module in ``app/commands``.

A command module defines the constants ``NAME``, ``HELP``, ``ORDER`` (position in ``--help``)
and optionally ``DESCRIPTION``, plus ``add_arguments(parser)`` and ``run(args) -> int``. It
imports what it needs at its top.

Start-up stays instant although commands pull in torch or Qt: the constants are read from each
command's source (no import), and only the command being run is imported. ``semioscope --help``
therefore imports no command at all.
"""
from __future__ import annotations

import argparse
import ast
import importlib
import pkgutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from app import commands
from inference.core.errors import Cancelled, SemioscopeError
from inference.core.version import __version__

_CONSTANTS = ("NAME", "HELP", "ORDER", "DESCRIPTION")


@dataclass(frozen=True)
class CommandInfo:
    """What ``--help`` shows of a command, read from its module's source without importing it."""

    module: str
    name: str
    help: str
    order: int
    description: str


def _read_constants(path: Path) -> dict:
    """The module-level string/int constants NAME, HELP, ORDER, DESCRIPTION of a source file."""
    found = {}
    for node in ast.parse(path.read_text("utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            key = node.targets[0].id
            if key in _CONSTANTS:
                found[key] = ast.literal_eval(node.value)
    return found


def command_infos() -> list[CommandInfo]:
    """Every subcommand, in ``--help`` order."""
    infos = []
    for m in pkgutil.iter_modules(commands.__path__):
        if m.name.startswith("_"):
            continue
        path = Path(commands.__path__[0]) / f"{m.name}.py"
        c = _read_constants(path)
        if "NAME" not in c:
            continue
        infos.append(CommandInfo(f"{commands.__name__}.{m.name}", c["NAME"], c.get("HELP", ""),
                                 int(c.get("ORDER", 100)), c.get("DESCRIPTION", c.get("HELP", ""))))
    return sorted(infos, key=lambda i: (i.order, i.name))


def _chosen_command(argv: Sequence[str], names: set[str]) -> Optional[str]:
    """The subcommand named on the command line (the first non-option word), if any."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in names else None
    return None


def build_parser(argv: Optional[Sequence[str]] = None) -> argparse.ArgumentParser:
    """The parser for ``argv``: only the chosen command's module is imported and given its
    arguments; the others appear in ``--help`` from their constants. Without ``argv``, every
    command is loaded (a complete parser, for tests and documentation)."""
    parser = argparse.ArgumentParser(
        prog="semioscope",
        description="Review epilepsy-monitoring-unit videos: seizure detection with cross-joint "
                    "attention, forecasting with VideoMAE, annotation and export.",
    )
    parser.add_argument("--version", action="version", version=f"semioscope {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    infos = command_infos()
    chosen = None if argv is None else _chosen_command(argv, {i.name for i in infos})
    for info in infos:
        p = sub.add_parser(info.name, help=info.help, description=info.description,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        if argv is None or info.name == chosen:
            mod = importlib.import_module(info.module)
            mod.add_arguments(p)
            p.set_defaults(_run=mod.run)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 0
    try:
        return int(args._run(args) or 0)
    except Cancelled as exc:
        print(f"semioscope {args.command}: {exc}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print(f"\nsemioscope {args.command}: interrupted", file=sys.stderr)
        return 130
    except SemioscopeError as exc:
        print(f"semioscope {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        # Unwritable --out, full disk, ...: str(exc) names the file via exc.filename.
        print(f"semioscope {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

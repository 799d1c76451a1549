"""``semioscope`` command line. Each subcommand lives in its own module in ``app/commands``.

A command module defines ``NAME``, ``HELP``, ``ORDER`` (position in ``--help``),
``add_arguments(parser)`` and ``run(args) -> int``. Modules import heavy libraries (torch, Qt)
inside ``run`` so ``semioscope --help`` stays instant.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from typing import Optional, Sequence

from . import __version__


def _command_modules():
    from . import commands

    mods = [importlib.import_module(f"{commands.__name__}.{m.name}")
            for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_")]
    mods = [m for m in mods if hasattr(m, "NAME") and hasattr(m, "run")]
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 100), m.NAME))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="semioscope",
        description="Review epilepsy-monitoring-unit videos: seizure detection with cross-joint "
                    "attention, forecasting with VideoMAE, annotation and export.",
    )
    parser.add_argument("--version", action="version", version=f"semioscope {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in _command_modules():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    from inference.core.errors import Cancelled, SemioscopeError

    parser = build_parser()
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

"""``semioscope cache``: what the caches hold, and clearing or trimming them."""
from __future__ import annotations

import argparse

from inference.core.cache import (
    DEMO,
    DERIVED_KINDS,
    cache_entries,
    cache_root,
    clear_caches,
    format_size,
    parse_size,
    trim_caches,
)
from inference.core.errors import SemioscopeError

NAME = "cache"
HELP = "list, clear or trim the caches (pose, clips, tokens, index) under the cache root"
ORDER = 90
DESCRIPTION = """\
Every cache Semioscope keeps lives under one root: $SEMIOSCOPE_CACHE_DIR, else the user cache
folder (~/.cache/semioscope on Linux, respecting $XDG_CACHE_HOME). The derived caches hold only
what is recomputed when missing: pose tracks, joint clips, frozen-encoder tokens and video
timestamp indexes. The demo folder (demo recording, training set and model) is left alone unless
named. Annotations and results live beside the videos, never here.

examples:
  semioscope cache                    # sizes per cache (same as --list)
  semioscope cache --clear            # delete every derived cache
  semioscope cache --clear pose index # only these
  semioscope cache --budget 20G       # delete the least recently used entries beyond 20 GB
"""
KINDS = DERIVED_KINDS + (DEMO,)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--list", action="store_true", help="sizes per cache (the default)")
    p.add_argument("--clear", nargs="*", metavar="KIND", choices=KINDS,
                   help=f"delete these caches ({', '.join(KINDS)}; none named: every derived cache)")
    p.add_argument("--budget", metavar="SIZE", help="trim the derived caches to SIZE (e.g. 500M, 20G), oldest first")


def _print_usage() -> None:
    root = cache_root()
    print(f"cache root: {root}")
    total = 0
    for kind in KINDS:
        entries = cache_entries([kind])
        size = sum(e.size for e in entries)
        total += size
        print(f"  {kind:<7} {len(entries):>6} entries  {format_size(size):>10}")
    print(f"  {'total':<7} {'':>14}  {format_size(total):>10}")


def run(args: argparse.Namespace) -> int:
    if args.clear is not None:
        kinds = tuple(args.clear) or DERIVED_KINDS
        print(f"cleared {', '.join(kinds)}: {format_size(clear_caches(kinds))} freed")
    if args.budget:
        try:
            budget = parse_size(args.budget)
        except (ValueError, OverflowError):  # e.g. "20Q", "inf"
            raise SemioscopeError(f"--budget {args.budget!r}: give a size such as 500M or 20G") from None
        print(f"trimmed to {format_size(budget)}: {format_size(trim_caches(budget))} freed")
    if args.list or (args.clear is None and not args.budget):
        _print_usage()
    return 0

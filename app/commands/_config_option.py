"""The ``--config FILE`` option shared by the commands that use the rules of
``resources/default_config.toml`` (segments, pose cleaning, clips, split, events)."""
from __future__ import annotations

import argparse

from inference.core.config import load_config


def add_config_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE",
                   help="TOML file overriding the packaged defaults (same sections and keys as "
                        "resources/default_config.toml, e.g. [segments] soft_labels = true)")


def config_from_args(args: argparse.Namespace):
    return load_config(getattr(args, "config", None))

"""The package version, recorded in checkpoints and result files (one definition, no app import)."""
from __future__ import annotations

__version__ = "0.1.0"

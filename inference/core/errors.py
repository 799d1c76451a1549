"""Exceptions that name the file and the problem, so the CLI and GUI can show them as-is."""
from __future__ import annotations

from pathlib import Path


class SemioscopeError(Exception):
    """Base class: a user-facing error. ``str(err)`` is the message shown to the user."""


class InputFileError(SemioscopeError):
    """A file given by the user is missing, unreadable or malformed."""

    def __init__(self, path: str | Path, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class VideoError(InputFileError):
    """A video cannot be opened, has no frames, or is truncated/corrupt."""


class EegError(InputFileError):
    """An EEG file (EDF, EDF+, BDF) cannot be read, or an alignment file is malformed."""


class ManifestError(InputFileError):
    """A recording manifest is malformed or refers to things that do not exist."""


class CheckpointError(InputFileError):
    """A model checkpoint/run folder is unknown, incomplete or mismatched."""


class SplitError(SemioscopeError):
    """A manifest's subjects cannot give the subject-wise split a job needs (the message says how
    many there are, what the split needs and which options help)."""


class Cancelled(SemioscopeError):
    """Raised inside long jobs when the user cancels them."""

    def __init__(self, message: str = "cancelled by the user"):
        super().__init__(message)

"""Semioscope application layer: command line, review window, workers, annotations, export.

Wires ``inference`` (models, no Qt) to ``widgets`` (Qt drawing, no torch).
"""
from inference.core.version import __version__

__all__ = ["__version__"]

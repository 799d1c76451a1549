"""Semioscope application layer: command line, main window, workers, annotations, export.

Wires ``inference`` (models, no Qt) to ``widgets`` (Qt drawing, no torch).
"""

__version__ = "0.1.0"

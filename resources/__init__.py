"""Packaged data: default configuration, shortcut table, style sheet and icons.

Load with ``importlib.resources.files("resources")``.
"""

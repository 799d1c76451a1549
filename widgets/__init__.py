"""Reusable Qt widgets that draw plain data (numpy arrays, small dataclasses). Never import torch."""

"""Lineclose: close mobile lines end to end, the way a careful operator would."""

__version__ = "0.1.0"

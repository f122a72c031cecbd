"""Durations as config files and people write them: `30s`, `5m`, `24h`, `1h30m`, `500ms`.

Kept apart from the config models so the commands that only print or parse a
duration (every headless command) need not import pydantic for it.
"""

from __future__ import annotations

import re

__all__ = ["format_duration", "parse_duration"]

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def parse_duration(text: str) -> float:
    """Parse `30s`, `5m`, `24h`, `7d`, `500ms` or `1h30m` into seconds.

    Raises:
        ValueError: for anything else, including a bare number (a unit is required,
            so `interval: 30` cannot silently mean 30 minutes to one reader and 30
            seconds to another).
    """
    compact = text.strip().replace(" ", "")
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(compact):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if not compact or pos != len(compact):
        raise ValueError(f"invalid duration {text!r}: use a number and a unit, like 30s, 5m, 24h")
    return total


def format_duration(seconds: float) -> str:
    """Format seconds the way config files write them: `90` -> `1m30s`, `0.5` -> `500ms`."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    parts = []
    remaining = round(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)

"""How a number reads on screen, given its unit: `412ms`, `1.6s`, `97.5%`, `3m20s`, `1.5GB`."""

from __future__ import annotations

from collectors.base import format_duration

__all__ = ["format_value"]


def format_value(value: float | None, unit: str = "") -> str:
    """A value with its unit, short enough for a table cell; `–` for no value."""
    if value is None:
        return "–"
    if unit == "ms":
        return f"{value / 1000:.1f}s" if value >= 1000 else f"{value:.0f}ms"
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "bytes":
        return _bytes(value)
    if unit == "s":
        return format_duration(value) if value >= 1 else f"{value:.2f}s"
    return f"{value:.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:.1f}"


_BYTE_UNITS = ("B", "KB", "MB", "GB", "TB")


def _bytes(value: float) -> str:
    step = 0
    while abs(value) >= 1024 and step < len(_BYTE_UNITS) - 1:
        value /= 1024
        step += 1
    return f"{value:.0f}B" if step == 0 else f"{value:.1f}{_BYTE_UNITS[step]}"

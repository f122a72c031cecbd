"""Numbers with their units as an export writes them: `1.2 s`, `640 ms`, `97.5 %`, `1,204`."""

from __future__ import annotations

from collectors.base import format_duration

__all__ = ["human"]


def human(value: float | None, unit: str) -> str:
    """`value` in `unit` (`ms`, `s`, `%`, `count`, `bytes` or none) for a person; `—` for None."""
    if value is None:
        return "—"
    if unit == "ms":
        return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"
    if unit == "s":
        return format_duration(value) if value >= 60 else f"{value:.1f} s"
    if unit == "%":
        return f"{value:.1f} %"
    if unit == "bytes":
        return f"{value / 2**20:,.0f} MiB"
    if float(value).is_integer() or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.1f}"

"""Sparklines as plain text: one block character per value, a space for no data.

Used by the `SparkLine` widget and anywhere a sparkline must be text (an
exported report, the plain summary).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

__all__ = ["BLOCKS", "PEAK_SHARE", "latest_peak", "resample", "sparkline"]

BLOCKS: Final = "▁▂▃▄▅▆▇█"
"""From the lowest value to the highest."""
PEAK_SHARE: Final = 0.9
"""A value this close to the highest (90 % of it) is a peak too, for `latest_peak`."""


def latest_peak(values: Sequence[float | None]) -> int | None:
    """The index of the most recent peak: the last value within `PEAK_SHARE` of the highest.

    A jump to "the spike" wants the one happening now: of two spikes of about
    the same height an hour apart, the older must not win by a few percent.
    None when there is no value.
    """
    finite = [(i, v) for i, v in enumerate(values) if v is not None and math.isfinite(v)]
    if not finite:
        return None
    top = max(v for _, v in finite)
    bar = top - abs(top) * (1 - PEAK_SHARE)
    return max(i for i, v in finite if v >= bar)


def resample(values: Sequence[float | None], width: int) -> list[float | None]:
    """`values` squeezed or stretched to `width` slots; a slot takes the max of its values.

    The max keeps a short spike visible when many points share one cell.
    """
    if width <= 0 or not values:
        return []
    if len(values) == width:
        return list(values)
    slots: list[float | None] = []
    for slot in range(width):
        first = slot * len(values) // width
        last = max(first + 1, (slot + 1) * len(values) // width)
        present = [v for v in values[first:last] if v is not None and math.isfinite(v)]
        slots.append(max(present) if present else None)
    return slots


def sparkline(
    values: Sequence[float | None],
    *,
    low: float | None = None,
    high: float | None = None,
) -> str:
    """One character per value, scaled between `low` and `high` (default: the data's range).

    A missing value is a space. A flat line sits on the lowest block unless
    `low` puts it higher.
    """
    present = [v for v in values if v is not None and math.isfinite(v)]
    if not present:
        return " " * len(values)
    floor = min(present) if low is None else low
    ceiling = max(present) if high is None else high
    span = ceiling - floor
    chars = []
    for value in values:
        if value is None or not math.isfinite(value):
            chars.append(" ")
            continue
        level = 0.0 if span <= 0 else (min(max(value, floor), ceiling) - floor) / span
        chars.append(BLOCKS[min(len(BLOCKS) - 1, int(level * len(BLOCKS)))])
    return "".join(chars)

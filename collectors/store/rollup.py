"""The writer's memory between writes: series ids, open minutes' rollups, sealed hours and days.

A rollup is one series' minute as count, sum, min, max and a `LatencySketch`;
the writer keeps the last few minutes' rollups so that a poll adds to them
without reading them back, and which hours and days it has merged into hourly
and daily rollups (`hourly`, `daily`). `WriterCache.clear` forgets everything
a cancelled transaction may have put in (it is not in the file).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiosqlite

from collectors.base import Sample
from collectors.sketch import LatencySketch
from collectors.store.daily import DaySealer
from collectors.store.hourly import HourSealer
from collectors.store.query import first_row
from collectors.store.schema import labels_key, storable

__all__ = ["UPSERT_ROLLUP", "Rollup", "SeriesKey", "WriterCache", "rollup_lookup_sql", "series_key"]

UPSERT_ROLLUP = (
    "INSERT INTO rollups (series_id, minute, count, sum, min, max, sketch) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (series_id, minute) DO UPDATE SET "
    "count = excluded.count, sum = excluded.sum, min = excluded.min, "
    "max = excluded.max, sketch = excluded.sketch"
)
"""Write one rollup row, replacing the stored one of its series and minute."""


@dataclass(slots=True)
class Rollup:
    """One series' minute: count, sum, min, max and the sketch of its values."""

    count: int = 0
    total: float = 0.0
    low: float = math.inf
    high: float = -math.inf
    sketch: LatencySketch = field(default_factory=LatencySketch)

    def add_many(self, values: list[float]) -> None:
        """Add values (at least one) to the minute."""
        self.count += len(values)
        self.total += math.fsum(values)
        self.low = min(self.low, min(values))
        self.high = max(self.high, max(values))
        self.sketch.add_many(values)

    def row(self, series_id: int, minute: int) -> tuple[object, ...]:
        """The parameters of `UPSERT_ROLLUP` for this rollup."""
        return (
            series_id,
            minute,
            self.count,
            self.total,
            self.low,
            self.high,
            self.sketch.to_bytes(),
        )


def rollup_lookup_sql(pairs: int) -> str:
    """The stored rollups of `pairs` (series_id, minute) parameter pairs.

    A join from the listed pairs, so each is one search of the unique index;
    `(series_id, minute) IN (VALUES ...)` made SQLite scan the whole table.
    """
    keys = ",".join("(?, ?)" for _ in range(pairs))
    return (
        "SELECT r.series_id, r.minute, r.count, r.sum, r.min, r.max, r.sketch "
        f"FROM (VALUES {keys}) AS k CROSS JOIN rollups AS r "
        "ON r.series_id = k.column1 AND r.minute = k.column2"
    )


SeriesKey = tuple[str, str, tuple[tuple[str, str], ...]]
"""Source, series name and label pairs in the sample's order: how the writer caches series ids.

Not sorted, so a sample costs no sort; the same labels in another order are one
more key for the same id (`WriterCache.create_series` finds the existing row).
"""


def series_key(source: str, sample: Sample) -> SeriesKey:
    """The cache key of a sample's series, as written by `source`."""
    labels = sample.labels
    return (source, sample.series, tuple(labels.items()) if labels else ())


class WriterCache:
    """Series ids and open rollups, as the writer's committed transactions left them."""

    def __init__(self) -> None:
        self.series_ids: dict[SeriesKey, int] = {}
        """Series key to its row id."""
        self.rollups: dict[tuple[int, int], Rollup] = {}
        """(series id, minute) to the rollup stored for it."""
        self.hours = HourSealer()
        """Which hours have hourly rollups, and which to merge next."""
        self.days = DaySealer()
        """Which days have daily rollups, and which to merge next."""

    def clear(self) -> None:
        """Forget everything (after a rollback)."""
        self.series_ids.clear()
        self.rollups.clear()
        self.hours.forget()
        self.days.forget()

    async def create_series(
        self, conn: aiosqlite.Connection, missing: Sequence[tuple[SeriesKey, Sample]]
    ) -> None:
        """Insert the series first seen in this write and cache their ids."""
        new = {key: sample.unit for key, sample in missing}
        rows = [
            (src, storable(name), labels_key(dict(pairs)), storable(unit))
            for (src, name, pairs), unit in new.items()
        ]
        await conn.executemany(
            "INSERT OR IGNORE INTO series (source, name, labels, unit) VALUES (?, ?, ?, ?)", rows
        )
        for key, row in zip(new, rows, strict=True):
            found = await first_row(
                conn, "SELECT id FROM series WHERE source = ? AND name = ? AND labels = ?", row[:3]
            )
            assert found is not None  # inserted just above, in this transaction
            self.series_ids[key] = int(found[0])

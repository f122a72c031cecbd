"""Whole hours a read-only store has read, kept while the file's data version stays the same.

A 24-hour window stepped a slot (`[` on a rewound view: 15 minutes) takes the
same 23 or 24 whole hours of every series on each step, with one hour more at
one end or one fewer at the other. Their hourly rollup rows (3,400 rows and
their sketches for 146 series) were read from the file again on every step.
`KeptHours` keeps each series-hour's row as read, its sketch decoded
(`HourBins`), or that the series has no row for that hour, for as long as
nothing is written to the file: SQLite's `PRAGMA data_version`, read with the
window (`gather_window`), drops them all when another connection has committed,
as it drops `KeptMerges`. A step then reads only the hours entering the window.

Only windows whose whole hours hold no whole UTC day are read this way; those
holding one read its daily row and the other hours together, as before.

Memory: at most `_KEEP` series-hours; past it, all are dropped (a read of more
is not kept). A kept row
holds the decoded sketch `HourBins` keeps too (the same object while both keep
it): about 2 kB at most each, 16 MB at most.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final

from collectors.store.runs import consecutive_runs

__all__ = ["KeptHours"]

_KEEP: Final = 8192
"""Series-hours kept: a 24-hour window of 200 series (4,800), and the hour steps add."""

_MAX_RUNS: Final = 16
"""Runs of missing hours read apart at most; more are read as one span, kept ones again."""

_Row = Sequence[Any]
"""An hourly rollup row: series id, hour, count, sum, min, max, sketch (decoded or not)."""
_Range = tuple[int, int]
"""Hours `[first, end)`."""


class KeptHours:
    """Series-hours' hourly rows (or their absence) read under one data version.

    Used from the event loop only, by the store's one connection.

    Args:
        keep: series-hours kept at most; past it, all are dropped.
    """

    def __init__(self, keep: int = _KEEP) -> None:
        self._keep = keep
        self._version: int | None = None
        self._rows: dict[tuple[int, int], _Row | None] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def seen(self, version: int) -> None:
        """The file's data version, read before the rows: another one drops every hour."""
        if version != self._version:
            self._version = version
            self._rows.clear()

    async def read(
        self,
        version: int,
        ids: Sequence[int],
        hours: _Range,
        fetch: Callable[[Sequence[_Range]], Awaitable[Sequence[_Row]]],
    ) -> list[_Row]:
        """The hourly rows of `ids` over `hours`: those kept, and `fetch` for the runs missing.

        `version` is the one the window was read under (`seen`): rows fetched
        after the file changed are used, not kept.
        """
        first, end = hours
        runs = self._missing(ids, first, end)
        if len(runs) > _MAX_RUNS:  # one statement's parameters stay few: read the span
            runs = [(runs[0][0], runs[-1][1])]
        kept = self._rows
        found = [
            row
            for hour in range(first, end)
            if not any(a <= hour < b for a, b in runs)
            for row in (kept.get((series_id, hour)) for series_id in ids)
            if row is not None
        ]
        if not runs:
            return found
        fresh = await fetch(runs)
        if version == self._version:
            self._put(ids, runs, fresh)
        return found + list(fresh)

    def _missing(self, ids: Sequence[int], first: int, end: int) -> list[_Range]:
        """The runs of hours in `[first, end)` not kept for every one of `ids`."""
        rows = self._rows
        return consecutive_runs(
            hour
            for hour in range(first, end)
            if not all((series_id, hour) in rows for series_id in ids)
        )

    def _put(self, ids: Sequence[int], runs: Sequence[_Range], rows: Sequence[_Row]) -> None:
        """Keep the rows read for the hours `runs` of `ids`; a series-hour without one has none."""
        adding = len(ids) * sum(end - first for first, end in runs)
        if adding > self._keep:  # more than is ever kept: read, not kept
            return
        if len(self._rows) + adding > self._keep:
            self._rows.clear()
        kept = self._rows
        for first, end in runs:
            for hour in range(first, end):
                for series_id in ids:
                    kept[series_id, hour] = None
        for row in rows:
            kept[int(row[0]), int(row[1])] = row

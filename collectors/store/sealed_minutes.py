"""The minute rollups of sealed hours, kept in memory packed: a window's partial hours add up in C.

A window reads its whole hours from the hourly rollups, but the hours it only
partly covers (an hour's window ending at 03:12 takes 02:12-03:00 and
03:00-03:12) minute by minute: sixty rows per series, read and merged on every
read. A rewound view steps its windows a slot at a time, so the same minutes
came back on every step. `SealedMinutes` keeps them per series and hour, each
minute's bins packed into one integer (`collectors.sketch.Packing`): a partial
hour is then a sum of at most sixty integers, and a step reads from the file
only the minutes it has not seen.

Keeping them is safe because of the hourly rollups' rule (`hourly`): a row of
`rollups_hourly`, when present, equals the merge of the minute rows of its
hour as they are now, and a write to any of those minutes deletes it in the
same transaction. So the kept minutes of an hour are checked against its row
on every read, in the same statement that reads the minutes still missing (one
snapshot of the file): a different row (a late write sealed the hour again) or
none drops them, and they are read again. An hour with no row (the current
hour, one not sealed yet, or one whose row is not dense) is read from its
minute rows on every read, as before.

The figures are the same as from the minute rows: counts are integers, each
minute's sum is kept for the caller's exact `fsum`, and minimum and maximum are
each minute's. A span whose own minutes would take more packing than the rest
of its hour (a window stepped across an hour takes 53 minutes of it) has its
bins from the rule too: the hour's row (whose dense lanes are packed bins
already) less the other minutes, exact integer arithmetic; its count, sums,
minimum and maximum still come from its own minute rows, read without
packing. Where the minutes' counts do not add up to the row's, the rule does
not hold for that hour, and the span is read from its minute rows alone.

Memory: at most `_KEEP` series-hours (seven lists of sixty, about 20 kB each
with their packed integers): about 40 MB at most.
"""

from __future__ import annotations

import asyncio
import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import aiosqlite

from collectors.sketch import Packing
from collectors.store.hour_bins import HourBins

__all__ = ["HourSpan", "SealedMinutes", "Slice"]

_KEEP: Final = 2048
"""Series-hours kept, least recently used dropped first: two windows of 150 series, both edges,
several times over (about 20 kB each)."""
_PACK_OFF_LOOP: Final = 1000
"""Minutes packed in a thread from this many on (a first read of 150 series' edges)."""

_Row = Sequence[object]
"""A rollup row: series id, minute (or hour), count, sum, min, max, sketch."""
_Packed = tuple[int, int, int]
"""A minute's zero count and its positive and negative bins, packed."""


@dataclass(frozen=True, slots=True)
class HourSpan:
    """Minutes `[first, end)` of one hour (`first` and `end` counted from the hour's start)."""

    hour: int
    first: int
    end: int

    @classmethod
    def of(cls, start: int, end: int) -> HourSpan:
        """The minutes `[start, end)` (unix minutes), which lie in one hour."""
        hour = start // 60
        return cls(hour, start - hour * 60, end - hour * 60)

    def minutes(self, first: int, end: int) -> tuple[int, int]:
        """Unix minutes of the offsets `[first, end)` of this hour."""
        return self.hour * 60 + first, self.hour * 60 + end


@dataclass(frozen=True, slots=True)
class Slice:
    """Some minutes of one series merged: what a window takes of a partial hour."""

    count: int
    totals: Sequence[float]
    """Each minute's sum (zero where none), for the caller's exact `math.fsum`."""
    low: float
    high: float
    blob: bytes
    """The merged sketch, a dense blob."""


class _Hour:
    """The minutes of one series' sealed hour read so far, checked against the hour's row.

    A minute is known (its count, sum, minimum and maximum) or also packed (its
    bins). A span whose own minutes would take more packing than the others is
    its hour's row less the others: a step across an hour reads 53 minutes of
    one and packs 7.
    """

    __slots__ = (
        "counts",
        "highs",
        "known",
        "lows",
        "mark",
        "neg",
        "own",
        "packed",
        "packing",
        "pos",
        "totals",
        "zeros",
    )

    def __init__(self, mark: tuple[object, ...], packing: Packing) -> None:
        self.mark = mark
        """The hourly row they were read with: count, sum, min, max, sketch."""
        self.packing = packing
        self.own = packing.own(mark[4])  # type: ignore[arg-type]
        """The hour's own bins, packed: the sum of every minute's."""
        self.known = bytearray(60)
        """1 where the minute was read (with or without a row)."""
        self.packed = bytearray(60)
        """1 where the minute's bins are packed too."""
        self.counts = [0] * 60
        self.totals = [0.0] * 60
        self.lows = [math.inf] * 60
        self.highs = [-math.inf] * 60
        self.zeros = [0] * 60
        self.pos = [0] * 60
        self.neg = [0] * 60

    def put(self, offset: int, row: _Row, packed: _Packed | None) -> None:
        """Keep the minute at `offset` in the hour: its rollup row, and its bins if packed."""
        self.counts[offset] = int(row[2])  # type: ignore[call-overload]
        self.totals[offset] = float(row[3])  # type: ignore[arg-type]
        self.lows[offset] = float(row[4])  # type: ignore[arg-type]
        self.highs[offset] = float(row[5])  # type: ignore[arg-type]
        self.known[offset] = 1
        if packed is not None:
            self.zeros[offset], self.pos[offset], self.neg[offset] = packed
            self.packed[offset] = 1

    def empty(self, offset: int) -> None:
        """The minute at `offset` has no row: known and packed as nothing."""
        self.put(offset, (0, 0, 0, 0.0, math.inf, -math.inf), (0, 0, 0))

    def by_rest(self, span: HourSpan) -> bool:
        """Whether the span is better read as the hour less the other minutes.

        So when fewer of the other minutes than of its own are still to pack
        (a span stepped across the hour keeps choosing the cheaper side).
        """
        packed = self.packed
        own = packed[span.first : span.end].count(0)
        return bool(own) and packed[: span.first].count(0) + packed[span.end :].count(0) < own

    def needs(self, span: HourSpan) -> tuple[list[int], list[int]]:
        """The offsets to read for the span, and those of them whose bins to pack."""
        if self.covers(span):
            return [], []
        inside = range(span.first, span.end)
        if not self.by_rest(span):
            pack = [o for o in inside if not self.packed[o]]
            return pack, pack
        rest = [o for o in range(60) if not span.first <= o < span.end]
        pack = [o for o in rest if not self.packed[o]]
        return sorted([o for o in inside if not self.known[o]] + pack), pack

    def covers(self, span: HourSpan) -> bool:
        """Whether every minute the span needs was read."""
        first, end, packed = span.first, span.end, self.packed
        if not self.by_rest(span):
            return 0 not in packed[first:end]
        return 0 not in self.known[first:end] and 0 not in packed[:first] + packed[end:]

    def slice(self, span: HourSpan) -> Slice | None:
        """The span's minutes merged (all read), or None when none holds a value.

        Raises:
            _Broken: the hour's row is not the merge of its minutes (by counts).
        """
        first, end = span.first, span.end
        count = sum(self.counts[first:end])
        if not count:
            return None
        if self.by_rest(span):
            if sum(self.counts) != self.mark[0]:
                raise _Broken
            zero, pos, neg = self.own
            zero -= sum(self.zeros[:first]) + sum(self.zeros[end:])
            pos -= sum(self.pos[:first]) + sum(self.pos[end:])
            neg -= sum(self.neg[:first]) + sum(self.neg[end:])
        else:
            zero = sum(self.zeros[first:end])
            pos, neg = sum(self.pos[first:end]), sum(self.neg[first:end])
        blob = self.packing.blob(zero, pos, neg)
        lows, highs = self.lows[first:end], self.highs[first:end]
        return Slice(count, self.totals[first:end], min(lows), max(highs), blob)


class _Broken(Exception):
    """An hour's row does not add up to its minutes: read its span from the minutes."""


def _runs(hour: int, offsets: Sequence[int]) -> list[tuple[int, int]]:
    """Ascending offsets of an hour as runs of unix minutes `[first, end)`."""
    runs: list[tuple[int, int]] = []
    for offset in offsets:
        if runs and runs[-1][1] == offset:
            runs[-1] = (runs[-1][0], offset + 1)
        else:
            runs.append((offset, offset + 1))
    return [(hour * 60 + first, hour * 60 + end) for first, end in runs]


@dataclass(slots=True)
class _Ask:
    """What one read asks of one series' partial hour."""

    series_id: int
    span: HourSpan
    runs: list[tuple[int, int]]
    """Unix minute runs to read."""
    whole: bool
    """Whether the runs are the whole span (nothing kept was relied on)."""

    @classmethod
    def whole_span(cls, series_id: int, span: HourSpan) -> _Ask:
        """Ask for every minute the span may need: its own, or its hour's when more than half."""
        first, end = (0, 60) if span.end - span.first > 30 else (span.first, span.end)
        return cls(series_id, span, [span.minutes(first, end)], True)

    def within(self, rows: Sequence[_Row]) -> list[_Row]:
        """The rows of the span's own minutes."""
        first, end = self.span.minutes(self.span.first, self.span.end)
        return [row for row in rows if first <= row[1] < end]  # type: ignore[operator]


class SealedMinutes:
    """Minute rollups of sealed hours, per series and hour, least recently used dropped first.

    One per store connection; used from the event loop only.
    """

    def __init__(self, keep: int = _KEEP) -> None:
        self._keep = keep
        self._hours: OrderedDict[tuple[int, int], _Hour] = OrderedDict()
        self.hours = HourBins()
        """The sealed hours' own rows, their sketches decoded (what whole hours are read as)."""

    def __len__(self) -> int:
        return len(self._hours)

    async def read(
        self, conn: aiosqlite.Connection, ids: Sequence[int], spans: Sequence[HourSpan]
    ) -> tuple[dict[int, list[Slice]], dict[int, list[_Row]]]:
        """The spans (each within one hour) of each series: slices where sealed, else minute rows.

        Every series gets, per span, either one `Slice` (none when the span
        holds no value) or the span's minute rows as read from the file.
        """
        slices: dict[int, list[Slice]] = {series_id: [] for series_id in ids}
        rows: dict[int, list[_Row]] = {series_id: [] for series_id in ids}
        asks = [self._ask(series_id, span) for span in spans for series_id in ids]
        while asks:  # twice at most: a second round reads whole spans, which never retry
            marks, minutes = await _fetch(conn, asks)
            jobs: list[tuple[Packing, bytes]] = []
            fills: list[tuple[_Ask, _Hour, list[_Row], list[_Row]]] = []
            retry: list[_Ask] = []
            for ask in asks:
                key = (ask.series_id, ask.span.hour)
                mark, got = marks.get(key), minutes.get(key, [])
                kept = self._hours.get(key)
                if kept is not None and kept.mark != mark:
                    del self._hours[key]  # the hour changed (or lost its row) since
                    kept = None
                if kept is None and not ask.whole:
                    retry.append(ask)
                    continue
                if kept is None:
                    packing = None if mark is None else Packing.of_dense(mark[4])  # type: ignore[arg-type]
                    if mark is None or packing is None:
                        rows[ask.series_id] += ask.within(got)
                        continue
                    kept = self._hours[key] = _Hour(mark, packing)
                pack = set(kept.needs(ask.span)[1])
                to_pack = [row for row in got if int(row[1]) - ask.span.hour * 60 in pack]  # type: ignore[call-overload]
                fills.append((ask, kept, got, to_pack))
                jobs.extend((kept.packing, row[6]) for row in to_pack)  # type: ignore[misc]
            packed = await _packed(jobs)
            at = 0
            for ask, kept, got, to_pack in fills:
                done = packed[at : at + len(to_pack)]
                at += len(to_pack)
                key = (ask.series_id, ask.span.hour)
                if any(p is None for p in done):
                    self._give_up(ask, got, rows, retry)
                    continue
                bins = {id(row): p for row, p in zip(to_pack, done, strict=True)}
                hour_start = ask.span.hour * 60
                with_row = set()
                for row in got:
                    offset = int(row[1]) - hour_start  # type: ignore[call-overload]
                    kept.put(offset, row, bins.get(id(row)))
                    with_row.add(offset)
                for first, end in ask.runs:  # minutes without a row were read too
                    for offset in range(first - hour_start, end - hour_start):
                        if offset not in with_row:
                            kept.empty(offset)
                if not kept.covers(ask.span):  # another read replaced it meanwhile
                    retry.append(ask)
                    continue
                if self._hours.get(key) is kept:
                    self._hours.move_to_end(key)
                try:
                    found = kept.slice(ask.span)
                except _Broken:
                    self._give_up(ask, got, rows, retry)
                    continue
                if found is not None:
                    slices[ask.series_id].append(found)
            asks = [_Ask.whole_span(ask.series_id, ask.span) for ask in retry]
        while len(self._hours) > self._keep:
            self._hours.popitem(last=False)
        return slices, rows

    def _give_up(
        self, ask: _Ask, got: list[_Row], rows: dict[int, list[_Row]], retry: list[_Ask]
    ) -> None:
        """The file broke the hourly rule for the ask's hour: do not keep it.

        The span's minute rows instead, or, of an ask that relied on minutes
        kept before, a whole read again.
        """
        self._hours.pop((ask.series_id, ask.span.hour), None)
        if ask.whole:
            rows[ask.series_id] += ask.within(got)
        else:
            retry.append(ask)

    def _ask(self, series_id: int, span: HourSpan) -> _Ask:
        kept = self._hours.get((series_id, span.hour))
        if kept is None:
            return _Ask.whole_span(series_id, span)
        return _Ask(series_id, span, _runs(span.hour, kept.needs(span)[0]), False)


def _marks(ids: Sequence[int]) -> str:
    return ",".join("?" * len(ids))


async def _fetch(
    conn: aiosqlite.Connection, asks: Sequence[_Ask]
) -> tuple[dict[tuple[int, int], tuple[object, ...]], dict[tuple[int, int], list[_Row]]]:
    """The hourly rows of the asks' hours and the minute rows they ask for, in one statement."""
    by_hour: dict[int, set[int]] = {}
    by_run: dict[tuple[int, int], set[int]] = {}
    for ask in asks:
        by_hour.setdefault(ask.span.hour, set()).add(ask.series_id)
        for run in ask.runs:
            by_run.setdefault(run, set()).add(ask.series_id)
    parts: list[str] = []
    params: list[object] = []
    for hour, members in by_hour.items():
        ids = sorted(members)
        parts.append(
            "SELECT 0, series_id, hour, count, sum, min, max, sketch FROM rollups_hourly "
            f"WHERE series_id IN ({_marks(ids)}) AND hour = ?"
        )
        params += [*ids, hour]
    for (first, end), members in by_run.items():
        ids = sorted(members)
        parts.append(
            "SELECT 1, series_id, minute, count, sum, min, max, sketch FROM rollups "
            f"WHERE series_id IN ({_marks(ids)}) AND minute >= ? AND minute < ?"
        )
        params += [*ids, first, end]
    marks: dict[tuple[int, int], tuple[object, ...]] = {}
    minutes: dict[tuple[int, int], list[_Row]] = {}
    for kind, *row in await conn.execute_fetchall(" UNION ALL ".join(parts), params):
        series_id, when = int(row[0]), int(row[1])
        if kind == 0:
            marks[series_id, when] = tuple(row[2:])
        else:
            minutes.setdefault((series_id, when // 60), []).append(row)
    return marks, minutes


async def _packed(jobs: Sequence[tuple[Packing, bytes]]) -> list[_Packed | None]:
    """Each blob packed (in a thread when there are many: a first read of 150 series)."""

    def pack() -> list[_Packed | None]:
        return [packing.pack(blob) for packing, blob in jobs]

    return pack() if len(jobs) < _PACK_OFF_LOOP else await asyncio.to_thread(pack)

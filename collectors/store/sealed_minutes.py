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
already) less the other minutes, exact integer arithmetic, and its sum the
row's less theirs (one `fsum`, as exact as a whole hour's row). Its own
minutes are never sent to Python: one total of them per series (count,
minimum, maximum: `_TOTALS`), where the hour has a row, in the same statement
(where it has none, their rows). The first read of a 7-day window takes 52
minutes of its first hour: about 7,600 rows with sketches for 150 series
before, 150 totals now. Where the minutes' counts do not add up to the row's,
the rule does not hold for that hour, and the span is read from its minute
rows alone.

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
from collectors.store.runs import consecutive_runs

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
_Total = tuple[int, float, float]
"""Some minutes' count, minimum and maximum (what a span read as the hour less the rest takes
of its own minutes)."""
_SPANS_KEPT: Final = 16
"""Totals of spans kept per hour: a window stepped back and forth a few slots, both edges."""

_HAS_ROW = "EXISTS (SELECT 1 FROM rollups_hourly AS h WHERE h.series_id = s.id AND h.hour = ?)"
_TOTALS = (
    "SELECT 1, r.series_id, r.minute, r.count, r.sum, r.min, r.max, r.sketch "
    "FROM series AS s CROSS JOIN rollups AS r WHERE s.id IN ({marks}) AND NOT " + _HAS_ROW + " "
    "AND r.series_id = s.id AND r.minute >= ? AND r.minute < ? UNION ALL "
    "SELECT 2, s.id, ?, sum(r.count), 0.0, min(r.min), max(r.max), NULL "
    "FROM series AS s CROSS JOIN rollups AS r WHERE s.id IN ({marks}) AND " + _HAS_ROW + " "
    "AND r.series_id = s.id AND r.minute >= ? AND r.minute < ? GROUP BY s.id"
)
"""A span's own minutes per series: one total where the hour has a row, else their rows.

`series` first (`CROSS JOIN`), so the row's existence is asked once per series,
not once per minute.
"""


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
    """Sums whose `math.fsum` is the minutes' sum: each minute's (zero where none), or the
    hour's and each other minute's negated."""
    low: float
    high: float
    blob: bytes
    """The merged sketch, a dense blob."""


class _Hour:
    """The minutes of one series' sealed hour read so far, checked against the hour's row.

    A minute read is kept whole: its count, sum, minimum, maximum and packed
    bins. A span whose own minutes would take more packing than the others is
    its hour's row less the others, with its own minutes' total (`spans`): a
    step across an hour reads 53 minutes of one as one total and packs 7.
    """

    __slots__ = (
        "counts",
        "highs",
        "lows",
        "mark",
        "neg",
        "own",
        "packed",
        "packing",
        "pos",
        "spans",
        "totals",
        "zeros",
    )

    def __init__(self, mark: tuple[object, ...], packing: Packing) -> None:
        self.mark = mark
        """The hourly row they were read with: count, sum, min, max, sketch."""
        self.packing = packing
        self.own = packing.own(mark[4])  # type: ignore[arg-type]
        """The hour's own bins, packed: the sum of every minute's."""
        self.packed = bytearray(60)
        """1 where the minute was read (with or without a row) and its bins packed."""
        self.spans: dict[tuple[int, int], _Total] = {}
        """Own minutes' totals of spans read as the hour less the rest, by offsets."""
        self.counts = [0] * 60
        self.totals = [0.0] * 60
        self.lows = [math.inf] * 60
        self.highs = [-math.inf] * 60
        self.zeros = [0] * 60
        self.pos = [0] * 60
        self.neg = [0] * 60

    def put(self, offset: int, row: _Row, packed: _Packed) -> None:
        """Keep the minute at `offset` in the hour: its rollup row and its bins packed."""
        self.counts[offset] = int(row[2])  # type: ignore[call-overload]
        self.totals[offset] = float(row[3])  # type: ignore[arg-type]
        self.lows[offset] = float(row[4])  # type: ignore[arg-type]
        self.highs[offset] = float(row[5])  # type: ignore[arg-type]
        self.zeros[offset], self.pos[offset], self.neg[offset] = packed
        self.packed[offset] = 1

    def put_total(self, span: HourSpan, total: _Total) -> None:
        """Keep the total of the span's own minutes (read as the hour less the rest)."""
        if len(self.spans) >= _SPANS_KEPT:
            self.spans.clear()
        self.spans[span.first, span.end] = total

    def total(self, span: HourSpan) -> _Total | None:
        """The total of the span's own minutes, if known: kept, or made of a kept one inside it.

        With the minutes around the kept one, read whole: a window stepped back
        a minute at a time grows its span by one minute read already.
        """
        first, end, packed = span.first, span.end, self.packed
        found = self.spans.get((first, end))
        if found is not None:
            return found
        for (inner_first, inner_end), (count, low, high) in self.spans.items():
            # Slices, not a loop over the minutes: asked four times a read, per series and edge.
            if first <= inner_first and inner_end <= end:
                if 0 in packed[first:inner_first] or 0 in packed[inner_end:end]:
                    continue
                counts, lows, highs = self.counts, self.lows, self.highs
                return (
                    count + sum(counts[first:inner_first]) + sum(counts[inner_end:end]),
                    min(low, *lows[first:inner_first], *lows[inner_end:end]),
                    max(high, *highs[first:inner_first], *highs[inner_end:end]),
                )
        return None

    def empty(self, offset: int) -> None:
        """The minute at `offset` has no row: read and packed as nothing."""
        self.put(offset, (0, 0, 0, 0.0, math.inf, -math.inf), (0, 0, 0))

    def by_rest(self, span: HourSpan) -> bool:
        """Whether the span is better read as the hour less the other minutes.

        So when fewer of the other minutes than of its own are still to pack
        (a span stepped across the hour keeps choosing the cheaper side).
        """
        packed = self.packed
        own = packed[span.first : span.end].count(0)
        return bool(own) and packed[: span.first].count(0) + packed[span.end :].count(0) < own

    def needs(self, span: HourSpan) -> tuple[list[int], bool]:
        """The offsets to read (and pack) for the span, and whether its own minutes' total."""
        first, end, packed = span.first, span.end, self.packed
        if not self.by_rest(span):
            return [o for o in range(first, end) if not packed[o]], False
        rest = [o for o in (*range(first), *range(end, 60)) if not packed[o]]
        return rest, self.total(span) is None

    def covers(self, span: HourSpan) -> bool:
        """Whether everything the span needs was read (`needs` asks for nothing)."""
        first, end, packed = span.first, span.end, self.packed
        if not self.by_rest(span):
            return 0 not in packed[first:end]
        return 0 not in packed[:first] and 0 not in packed[end:] and self.total(span) is not None

    def slice(self, span: HourSpan) -> Slice | None:
        """The span's minutes merged (all read), or None when none holds a value.

        Raises:
            _Broken: the hour's row is not the merge of its minutes (by counts).
        """
        first, end = span.first, span.end
        if not self.by_rest(span):
            count = sum(self.counts[first:end])
            if not count:
                return None
            zero = sum(self.zeros[first:end])
            pos, neg = sum(self.pos[first:end]), sum(self.neg[first:end])
            blob = self.packing.blob(zero, pos, neg)
            lows, highs = self.lows[first:end], self.highs[first:end]
            return Slice(count, self.totals[first:end], min(lows), max(highs), blob)
        total = self.total(span)
        assert total is not None  # covered: read or kept
        count, low, high = total
        if count + sum(self.counts[:first]) + sum(self.counts[end:]) != self.mark[0]:
            raise _Broken
        if not count:
            return None
        zero, pos, neg = self.own
        zero -= sum(self.zeros[:first]) + sum(self.zeros[end:])
        pos -= sum(self.pos[:first]) + sum(self.pos[end:])
        neg -= sum(self.neg[:first]) + sum(self.neg[end:])
        rest = [-total for total in (*self.totals[:first], *self.totals[end:]) if total]
        totals = (float(self.mark[1]), *rest)  # type: ignore[arg-type]
        return Slice(count, totals, low, high, self.packing.blob(zero, pos, neg))


class _Broken(Exception):
    """An hour's row does not add up to its minutes: read its span from the minutes."""


def _minute_runs(hour: int, offsets: Sequence[int]) -> list[tuple[int, int]]:
    """Ascending offsets of an hour as runs of unix minutes `[first, end)`."""
    return [(hour * 60 + first, hour * 60 + end) for first, end in consecutive_runs(offsets)]


@dataclass(slots=True)
class _Ask:
    """What one read asks of one series' partial hour."""

    series_id: int
    span: HourSpan
    runs: list[tuple[int, int]]
    """Unix minute runs to read whole (and pack, where the hour has a dense row)."""
    total: bool
    """Whether the span's own minutes are asked as one total (as rows where the hour has none)."""
    fresh: bool
    """Whether nothing kept was relied on: the runs and the total are all the span may need."""
    plain: bool = False
    """Only the span's own minute rows, nothing kept or packed: a second round, never retried."""

    @classmethod
    def afresh(cls, series_id: int, span: HourSpan) -> _Ask:
        """Ask for all the span may need, nothing kept: its own minutes, or its hour less the rest.

        The hour less the rest (the other minutes, and its own minutes' total)
        where the span is more than half of the hour.
        """
        first, end = span.first, span.end
        if end - first > 30:
            runs = [span.minutes(a, b) for a, b in ((0, first), (end, 60)) if a < b]
            return cls(series_id, span, runs, True, True)
        return cls(series_id, span, [span.minutes(first, end)], False, True)

    @classmethod
    def rows_of(cls, series_id: int, span: HourSpan) -> _Ask:
        """Ask for the span's own minute rows alone."""
        return cls(series_id, span, [span.minutes(span.first, span.end)], False, True, True)

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
        while asks:  # twice at most: a second round reads plain rows, which never retry
            marks, minutes, totals = await _fetch(conn, asks)
            jobs: list[tuple[Packing, bytes]] = []
            fills: list[tuple[_Ask, _Hour, list[_Row], set[int]]] = []
            retry: list[_Ask] = []
            for ask in asks:
                key = (ask.series_id, ask.span.hour)
                mark, got = marks.get(key), minutes.get(key, [])
                if ask.plain:
                    rows[ask.series_id] += ask.within(got)
                    continue
                kept = self._hours.get(key)
                if kept is not None and kept.mark != mark:
                    del self._hours[key]  # the hour changed (or lost its row) since
                    kept = None
                if kept is None and not ask.fresh:
                    retry.append(ask)
                    continue
                if kept is None:
                    packing = None if mark is None else Packing.of_dense(mark[4])  # type: ignore[arg-type]
                    if mark is None or packing is None:
                        self._give_up(ask, got, rows, retry)  # the file's rows, as read
                        continue
                    kept = self._hours[key] = _Hour(mark, packing)
                if ask.total:
                    kept.put_total(ask.span, totals.get(key, (0, math.inf, -math.inf)))
                pack = set(kept.needs(ask.span)[0])
                to_pack = [row for row in got if int(row[1]) - ask.span.hour * 60 in pack]  # type: ignore[call-overload]
                fills.append((ask, kept, to_pack, pack))
                jobs.extend((kept.packing, row[6]) for row in to_pack)  # type: ignore[misc]
            packed = await _packed(jobs)
            at = 0
            for ask, kept, to_pack, pack in fills:
                done = packed[at : at + len(to_pack)]
                at += len(to_pack)
                key = (ask.series_id, ask.span.hour)
                if any(p is None for p in done):
                    self._give_up(ask, to_pack, rows, retry)
                    continue
                hour_start = ask.span.hour * 60
                with_row = set()
                for row, bins in zip(to_pack, done, strict=True):
                    offset = int(row[1]) - hour_start  # type: ignore[call-overload]
                    kept.put(offset, row, bins)  # type: ignore[arg-type]
                    with_row.add(offset)
                for first, end in ask.runs:  # minutes without a row were read too
                    for offset in range(first - hour_start, end - hour_start):
                        if offset in pack and offset not in with_row:
                            kept.empty(offset)
                if not kept.covers(ask.span):  # another read replaced it meanwhile
                    retry.append(ask)
                    continue
                if self._hours.get(key) is kept:
                    self._hours.move_to_end(key)
                try:
                    found = kept.slice(ask.span)
                except _Broken:
                    self._give_up(ask, to_pack, rows, retry)
                    continue
                if found is not None:
                    slices[ask.series_id].append(found)
            asks = [_Ask.rows_of(ask.series_id, ask.span) for ask in retry]
        while len(self._hours) > self._keep:
            self._hours.popitem(last=False)
        return slices, rows

    def _give_up(
        self, ask: _Ask, got: list[_Row], rows: dict[int, list[_Row]], retry: list[_Ask]
    ) -> None:
        """The ask's hour is not kept (no dense row, or not the merge of its minutes).

        The span's minute rows instead: those read, where the ask read them all
        (fresh, its own minutes as rows), else a plain read again.
        """
        self._hours.pop((ask.series_id, ask.span.hour), None)
        if ask.fresh and not ask.total:
            rows[ask.series_id] += ask.within(got)
        else:
            retry.append(ask)

    def _ask(self, series_id: int, span: HourSpan) -> _Ask:
        kept = self._hours.get((series_id, span.hour))
        if kept is None:
            return _Ask.afresh(series_id, span)
        rest, total = kept.needs(span)
        return _Ask(series_id, span, _minute_runs(span.hour, rest), total, False)


def _marks(ids: Sequence[int]) -> str:
    return ",".join("?" * len(ids))


async def _fetch(
    conn: aiosqlite.Connection, asks: Sequence[_Ask]
) -> tuple[
    dict[tuple[int, int], tuple[object, ...]],
    dict[tuple[int, int], list[_Row]],
    dict[tuple[int, int], _Total],
]:
    """The hourly rows of the asks' hours, and the minute rows and totals they ask for.

    In one statement (one snapshot of the file); each by series and hour.
    """
    by_hour: dict[int, set[int]] = {}
    by_run: dict[tuple[int, int], set[int]] = {}
    by_total: dict[HourSpan, set[int]] = {}
    for ask in asks:
        if not ask.plain:
            by_hour.setdefault(ask.span.hour, set()).add(ask.series_id)
        if ask.total:
            by_total.setdefault(ask.span, set()).add(ask.series_id)
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
    for span, members in by_total.items():
        ids = sorted(members)
        first, end = span.minutes(span.first, span.end)
        parts.append(_TOTALS.format(marks=_marks(ids)))
        params += [*ids, span.hour, first, end, span.hour, *ids, span.hour, first, end]
    marks: dict[tuple[int, int], tuple[object, ...]] = {}
    minutes: dict[tuple[int, int], list[_Row]] = {}
    totals: dict[tuple[int, int], _Total] = {}
    for kind, *row in await conn.execute_fetchall(" UNION ALL ".join(parts), params):
        series_id, when = int(row[0]), int(row[1])
        if kind == 0:
            marks[series_id, when] = tuple(row[2:])
        elif kind == 1:
            minutes.setdefault((series_id, when // 60), []).append(row)
        else:
            totals[series_id, when] = (int(row[2]), float(row[4]), float(row[5]))
    return marks, minutes, totals


async def _packed(jobs: Sequence[tuple[Packing, bytes]]) -> list[_Packed | None]:
    """Each blob packed (in a thread when there are many: a first read of 150 series)."""

    def pack() -> list[_Packed | None]:
        return [packing.pack(blob) for packing, blob in jobs]

    return pack() if len(jobs) < _PACK_OFF_LOOP else await asyncio.to_thread(pack)

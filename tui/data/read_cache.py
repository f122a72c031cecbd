"""Window reads of settled spans, kept so that a 7-day window is not merged every refresh.

A span is settled when it ends at a whole minute already past (see
`tui.data.windows`): its statistics are a merge of finished minute rollups and
stay the same until the window moves on a minute. A span of a rewound view
that ends no later than its moment, a moment already past, is kept until the
file changes: a view stepped back and forth with `[` and `]` shows the windows
it showed without reading them again, and a write (late data, timestamped
before the moment, can still land) has them read anew.
Reads of other spans go straight to the store.

Other reads a screen's panels share (which series there are, a chart's
annotations) are kept while nothing is written to the file (`current`): the
screen calls `check` before each refresh, which reads the file's data version
(`Store.data_version`) and drops them when another connection has committed
since. Panels asking for one of them together share a single read.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, Final, Literal, TypeVar, cast

from collectors.store.database import (
    DEFAULT_LATENCY_BUCKETS_MS,
    Bucket,
    SeriesInfo,
    Store,
    WindowStats,
)
from tui.data.windows import Span

__all__ = ["ReadCache"]

_KEEP: Final = 2048
"""Reads kept, least recently used dropped first: a screen's series (150, under 1 kB each) at
four windows each, or at the dozen moments a rewound view is stepped through."""
_KEEP_CURRENT: Final = 64
"""Reads kept until the file changes, least recently used dropped first."""

T = TypeVar("T")
Combine = Literal["mean", "max", "sum"]
"""How the series of a slot make one value (`Store.points`)."""


class ReadCache:
    """Store reads of settled spans, least recently used dropped first."""

    def __init__(self) -> None:
        self._kept: OrderedDict[Hashable, object] = OrderedDict()
        self._version: int | None = None
        self._current: OrderedDict[Hashable, asyncio.Future[Any]] = OrderedDict()

    async def check(self, store: Store) -> None:
        """Before a refresh: drop the `current` reads if the file has changed since they were made.

        The version is read before the reads it keeps: a commit in between
        changes what the next `check` sees, so nothing is kept past a write.
        """
        version = await store.data_version()
        if version != self._version:
            self._version = version
            self._current.clear()

    async def current(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
        """`read()`, kept under `key` until the file changes (see `check`).

        Callers asking while it runs share its one read; a read that fails is
        not kept. `key` names the read and whatever it depends on (the span,
        the store's `as_of`).
        """
        found = self._current.get(key)
        if found is None:
            found = asyncio.ensure_future(read())
            self._current[key] = found
            if len(self._current) > _KEEP_CURRENT:
                self._current.popitem(last=False)
        else:
            self._current.move_to_end(key)
        try:
            return cast(T, await asyncio.shield(found))
        except Exception:
            if self._current.get(key) is found:
                del self._current[key]
            raise

    def _get(self, key: Hashable) -> object | None:
        found = self._kept.get(key)
        if found is not None:
            self._kept.move_to_end(key)
        return found

    def _put(self, key: Hashable, value: object) -> None:
        self._kept[key] = value
        if len(self._kept) > _KEEP:
            self._kept.popitem(last=False)

    def _kept_key(self, store: Store, span: Span, read: tuple[object, ...]) -> Hashable | None:
        """The key a read of `span` is kept under, or None when it is read every time.

        A settled span's read stays the same. So does a rewound view's span that
        ends no later than its moment (the app never rewinds to now or later, and
        such a span's chart slots end at or before it) while the file is unchanged:
        it is kept under the data version `check` last read, so a write has it
        read anew and the kept one ages out.
        """
        if span.settled:
            return (*read, span)
        moment = store.as_of
        if moment is not None and span.end <= moment:
            return (*read, span, self._version)
        return None

    async def window_stats(
        self,
        store: Store,
        series: Sequence[SeriesInfo],
        span: Span,
        *,
        buckets: Sequence[Bucket] = DEFAULT_LATENCY_BUCKETS_MS,
    ) -> WindowStats:
        """`Store.window_stats` over the span, kept when the span is settled."""
        key = self._kept_key(store, span, ("stats", tuple(s.id for s in series), tuple(buckets)))
        found = self._get(key) if key is not None else None
        if isinstance(found, WindowStats):
            return found
        stats = await store.window_stats(series, span.start, span.end, buckets=buckets)
        if key is not None:
            self._put(key, stats)
        return stats

    async def window_stats_each(
        self,
        store: Store,
        series: Sequence[SeriesInfo],
        span: Span,
        *,
        buckets: Sequence[Bucket] = DEFAULT_LATENCY_BUCKETS_MS,
    ) -> list[WindowStats]:
        """`Store.window_stats_each` over the span, each series kept as `window_stats` keeps it.

        Only the series not kept are read, all in one pass.
        """
        keys = [self._kept_key(store, span, ("stats", (s.id,), tuple(buckets))) for s in series]
        found = [self._get(key) if key is not None else None for key in keys]
        missing = [i for i, stats in enumerate(found) if not isinstance(stats, WindowStats)]
        if missing:
            read = await store.window_stats_each(
                [series[i] for i in missing], span.start, span.end, buckets=buckets
            )
            for i, stats in zip(missing, read, strict=True):
                found[i] = stats
                key = keys[i]
                if key is not None:
                    self._put(key, stats)
        return [stats for stats in found if isinstance(stats, WindowStats)]

    async def points(
        self,
        store: Store,
        series: Sequence[SeriesInfo],
        span: Span,
        width: int,
        *,
        how: Combine = "mean",
    ) -> tuple[float | None, ...]:
        """`Store.points` over the span, kept when the span is settled."""
        (points,) = await self.points_each_way(store, series, span, width, (how,))
        return points

    async def points_each_way(
        self,
        store: Store,
        series: Sequence[SeriesInfo],
        span: Span,
        width: int,
        hows: Sequence[Combine],
    ) -> list[tuple[float | None, ...]]:
        """`Store.points_each_way` over the span (one query), each way kept as `points` keeps it."""
        ids = tuple(s.id for s in series)
        keys = [self._kept_key(store, span, ("points", ids, width, how)) for how in hows]
        found = [self._get(key) if key is not None else None for key in keys]
        kept = [points for points in found if isinstance(points, tuple)]
        if len(kept) == len(keys):
            return kept
        each = await store.points_each_way(series, span.start, span.end, width, hows)
        read = [tuple(points) for points in each]
        for key, points in zip(keys, read, strict=True):
            if key is not None:
                self._put(key, points)
        return read

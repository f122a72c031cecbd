"""Window reads of settled spans, kept so that a 7-day window is not merged every refresh.

A span is settled when it ends at a whole minute already past (see
`tui.data.windows`): its statistics are a merge of finished minute rollups and
stay the same until the window moves on a minute. Reads of other spans go
straight to the store.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Sequence
from typing import Final, Literal

from collectors.store.database import (
    DEFAULT_LATENCY_BUCKETS_MS,
    Bucket,
    SeriesInfo,
    Store,
    WindowStats,
)
from tui.data.windows import Span

__all__ = ["ReadCache"]

_KEEP: Final = 1024
"""Reads kept, least recently used dropped first: a screen's series (150), four windows each."""


class ReadCache:
    """Store reads of settled spans, least recently used dropped first."""

    def __init__(self) -> None:
        self._kept: OrderedDict[Hashable, object] = OrderedDict()

    def _get(self, key: Hashable) -> object | None:
        found = self._kept.get(key)
        if found is not None:
            self._kept.move_to_end(key)
        return found

    def _put(self, key: Hashable, value: object) -> None:
        self._kept[key] = value
        if len(self._kept) > _KEEP:
            self._kept.popitem(last=False)

    async def window_stats(
        self,
        store: Store,
        series: Sequence[SeriesInfo],
        span: Span,
        *,
        buckets: Sequence[Bucket] = DEFAULT_LATENCY_BUCKETS_MS,
    ) -> WindowStats:
        """`Store.window_stats` over the span, kept when the span is settled."""
        key = ("stats", tuple(s.id for s in series), span, tuple(buckets))
        found = self._get(key) if span.settled else None
        if isinstance(found, WindowStats):
            return found
        stats = await store.window_stats(series, span.start, span.end, buckets=buckets)
        if span.settled:
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
        keys = [("stats", (s.id,), span, tuple(buckets)) for s in series]
        found = [self._get(key) if span.settled else None for key in keys]
        missing = [i for i, stats in enumerate(found) if not isinstance(stats, WindowStats)]
        if missing:
            read = await store.window_stats_each(
                [series[i] for i in missing], span.start, span.end, buckets=buckets
            )
            for i, stats in zip(missing, read, strict=True):
                found[i] = stats
                if span.settled:
                    self._put(keys[i], stats)
        return [stats for stats in found if isinstance(stats, WindowStats)]

    async def points(
        self,
        store: Store,
        series: Sequence[SeriesInfo],
        span: Span,
        width: int,
        *,
        how: Literal["mean", "max", "sum"] = "mean",
    ) -> tuple[float | None, ...]:
        """`Store.points` over the span, kept when the span is settled."""
        key = ("points", tuple(s.id for s in series), span, width, how)
        found = self._get(key) if span.settled else None
        if isinstance(found, tuple):
            return found
        points = tuple(await store.points(series, span.start, span.end, width, how=how))
        if span.settled:
            self._put(key, points)
        return points

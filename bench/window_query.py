"""Window statistics (`Store.window_stats`) against fetching and sorting the raw values.

Data: a single series (`chatwoot.api.latency_ms`, one endpoint label) of request
latencies, lognormal around 600 ms with a 3 % Pareto tail, evenly spaced in time.
Two databases are built through `Store.write` in batches of 100k samples (the
time spent in those writes is reported as an informational row):

* 1 h: 1M samples over the last hour (~280 samples/s);
* 24 h: 10M samples over the last day (~116 samples/s).

The window is exactly the span of the data. It ends 30 s into a minute in the
recent past, so each edge is a half minute that the store reads raw: the
average case of a dashboard asking for `[now - 1h, now)`.

Measured: median wall time of `window_stats` (count, mean, min, max,
p50/p90/p95/p99, SLA buckets) through a reader opened with `Store.open(...,
readonly=True)`, as `--attach` does. Baseline: a plain sqlite3 reader fetching
every raw value of the window, sorting them in Python and taking the exact
percentiles and bucket counts. Targets: <= 10 ms (1 h, 1M), <= 100 ms (24 h, 10M).
"""

from __future__ import annotations

import bisect
import math
import random
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from _common import (
    LATENCY_SERIES,
    RETENTION,
    SOURCE,
    Result,
    exact_quantile,
    latency_ms,
    median_time,
    median_time_async,
    ms,
    ratio,
)

from collectors.base import Sample
from collectors.sketch import QUANTILES
from collectors.store.database import DEFAULT_LATENCY_BUCKETS_MS, SourceBatch, Store

BUILD_BATCH = 100_000
STORE_RUNS = 9
BASELINE_RUNS = 3
LABELS = {"endpoint": "conversations"}


@dataclass(frozen=True, slots=True)
class LatencyDb:
    """A built benchmark database and the window its data fills."""

    path: Path
    samples: int
    start: float
    end: float
    write_seconds: float
    """Time spent inside `Store.write` while building it."""

    @property
    def label(self) -> str:
        hours = round((self.end - self.start) / 3600)
        return f"{hours}h/{_count(self.samples)}"


def _count(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k"


async def build(path: Path, samples: int, span: float) -> LatencyDb:
    """Write `samples` latencies evenly over the `span` seconds before a recent `end`."""
    end = (math.floor(time.time() / 60) - 1) * 60.0 + 30.0
    start = end - span
    step = span / samples
    rng = random.Random(2)
    written = 0.0
    async with await Store.open(path, retention=RETENTION) as store:
        for first in range(0, samples, BUILD_BATCH):
            batch = [
                Sample(LATENCY_SERIES, latency_ms(rng), start + (i + 0.5) * step, LABELS, "ms")
                for i in range(first, min(first + BUILD_BATCH, samples))
            ]
            began = time.perf_counter()
            await store.write([SourceBatch(SOURCE, batch)])
            written += time.perf_counter() - began
    return LatencyDb(path, samples, start, end, written)


def build_result(db: LatencyDb) -> Result:
    """The informational row: how fast the database went in through `Store.write`."""
    return Result(
        f"build {db.label} db (Store.write, {BUILD_BATCH // 1000}k/batch)",
        f"{db.samples / db.write_seconds / 1000:.0f}k samples/s, {db.write_seconds:.1f} s",
        "-",
        "-",
        "-",
        None,
    )


@dataclass(frozen=True, slots=True)
class _Exact:
    count: int
    quantiles: dict[float, float]
    buckets: list[int]


def _exact_stats(conn: sqlite3.Connection, series_id: int, start: float, end: float) -> _Exact:
    """The baseline: exact percentiles and bucket counts of the sorted raw window."""
    values = sorted(
        v
        for (v,) in conn.execute(
            "SELECT value FROM samples WHERE series_id = ? AND ts >= ? AND ts < ?",
            (series_id, start, end),
        )
    )
    return _Exact(
        len(values),
        {q: exact_quantile(values, q) for q in QUANTILES},
        [
            bisect.bisect_left(values, b.high) - bisect.bisect_left(values, b.low)
            for b in DEFAULT_LATENCY_BUCKETS_MS
        ],
    )


async def run(db: LatencyDb, target_seconds: float) -> Result:
    """Time `window_stats` over the whole of `db` against the sort-it-all baseline."""
    async with await Store.open(db.path, readonly=True) as store:
        series = await store.series(LATENCY_SERIES)
        stats = await store.window_stats(series, db.start, db.end)
        seconds = await median_time_async(
            lambda: store.window_stats(series, db.start, db.end), STORE_RUNS
        )
    conn = sqlite3.connect(f"file:{db.path}?mode=ro", uri=True)
    try:
        exact = _exact_stats(conn, series[0].id, db.start, db.end)
        baseline = median_time(
            lambda: _exact_stats(conn, series[0].id, db.start, db.end), BASELINE_RUNS
        )
    finally:
        conn.close()
    worst = max(abs(stats.quantiles[q] / v - 1) for q, v in exact.quantiles.items())
    if stats.count != exact.count or exact.count != db.samples or worst > 0.01:
        raise RuntimeError(f"window mismatch: store {stats}, raw {exact}")
    return Result(
        f"window_stats {db.label}",
        f"{ms(seconds)} (median of {STORE_RUNS})",
        f"<= {ms(target_seconds)}",
        f"fetch+sort {ms(baseline)}",
        ratio(seconds, baseline),
        seconds <= target_seconds,
    )

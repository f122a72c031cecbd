"""What the benchmarks share: sizes, data generators, temp dirs, timing and the result row.

The benchmarks are not tests: each measures a figure, measures a baseline in the
same run, and prints both with their ratio. A verdict compares the figure with the
target of the issue; on the `--quick` sizes it is only indicative.
"""

from __future__ import annotations

import math
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from collectors.base import Sample
from collectors.store.retention import Retention
from collectors.store.schema import MIGRATIONS

RETENTION = Retention(raw_max_rows=20_000_000, raw_max_age="2d")
"""Ring bounds wide enough that nothing a benchmark writes is trimmed before it is measured."""

LATENCY_SERIES = "chatwoot.api.latency_ms"
SOURCE = "bench"

_MEDIAN_MS = 600.0
_SIGMA = 0.5
_TAIL_SHARE = 0.03
_TAIL_SCALE_MS = 2000.0
_TAIL_ALPHA = 1.3
_TIMEOUT_MS = 120_000.0


@dataclass(frozen=True, slots=True)
class Sizes:
    """How much data each benchmark uses; `QUICK` is about ten times smaller than `FULL`."""

    ingest_samples: int
    ingest_runs: int
    batch_samples: int
    batch_series: int
    window_1h_samples: int
    window_24h_samples: int
    sketch_values: int
    lag_batches: int
    tui_seconds: float


FULL = Sizes(
    ingest_samples=1_000_000,
    ingest_runs=3,
    batch_samples=10_000,
    batch_series=100,
    window_1h_samples=1_000_000,
    window_24h_samples=10_000_000,
    sketch_values=1_000_000,
    lag_batches=50,
    tui_seconds=60.0,
)
QUICK = Sizes(
    ingest_samples=100_000,
    ingest_runs=2,
    batch_samples=10_000,
    batch_series=100,
    window_1h_samples=100_000,
    window_24h_samples=1_000_000,
    sketch_values=100_000,
    lag_batches=5,
    tui_seconds=10.0,
)


@dataclass(frozen=True, slots=True)
class Result:
    """One row of the table; `passed` is None for an informational row without a target."""

    benchmark: str
    figure: str
    target: str
    baseline: str
    ratio: str
    passed: bool | None


def latency_ms(rng: random.Random) -> float:
    """One request latency in ms: lognormal around 600 ms, 3 % from a capped Pareto tail."""
    if rng.random() < _TAIL_SHARE:
        return min(_TAIL_SCALE_MS * rng.paretovariate(_TAIL_ALPHA), _TIMEOUT_MS)
    return rng.lognormvariate(math.log(_MEDIAN_MS), _SIGMA)


def spread_batches(
    sizes: Sizes, batches: int, start: float, rng: random.Random
) -> list[list[Sample]]:
    """Batches of `sizes.batch_samples` samples over `sizes.batch_series` labelled series.

    Every series gets one sample per second, so timestamps advance by one second
    per round over the series, starting at `start`.
    """
    series_labels = [
        {"endpoint": f"endpoint-{i % 20}", "instance": f"web-{i // 20}"}
        for i in range(sizes.batch_series)
    ]
    out: list[list[Sample]] = []
    index = 0
    for _ in range(batches):
        batch = []
        for _ in range(sizes.batch_samples):
            round_, series = divmod(index, sizes.batch_series)
            batch.append(
                Sample(LATENCY_SERIES, latency_ms(rng), start + round_, series_labels[series], "ms")
            )
            index += 1
        out.append(batch)
    return out


def raw_connection(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection to a new database with the store's schema and PRAGMAs."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    for script in MIGRATIONS:
        conn.executescript(f"BEGIN;\n{script}\nCOMMIT;")
    return conn


@contextmanager
def temp_dir() -> Iterator[Path]:
    """A directory under /tmp that is removed, with every database in it, on exit."""
    with tempfile.TemporaryDirectory(prefix="wootwatch-bench-", dir="/tmp") as name:
        yield Path(name)


def exact_quantile(ordered: Sequence[float], q: float) -> float:
    """The lower quantile at rank `q * (n - 1)` of sorted values: the sketch's definition."""
    return ordered[math.floor(q * (len(ordered) - 1))]


def median_time(fn: Callable[[], object], runs: int) -> float:
    """Median wall-clock seconds of `runs` calls of `fn`."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


async def median_time_async(fn: Callable[[], Awaitable[object]], runs: int) -> float:
    """Median wall-clock seconds of `runs` awaited calls of `fn`."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def ms(seconds: float) -> str:
    """Seconds shown as milliseconds."""
    return f"{seconds * 1000:.2f} ms" if seconds < 0.1 else f"{seconds * 1000:.0f} ms"


def ratio(figure: float, baseline: float) -> str:
    """`figure / baseline` as `1.23x`, or `n/a` for a zero baseline."""
    return f"{figure / baseline:.2f}x" if baseline else "n/a"

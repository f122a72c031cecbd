"""Ingest throughput of `Store.write` against a raw sqlite3 `executemany`.

Measured: samples/s of `Store.write([SourceBatch(source, samples)])` with batches
of 10k samples spread over 100 labelled series (one sample per series per
second, timestamps advancing over the last hours), into a fresh database. That
includes everything one write does: series lookup, raw rows, per-minute rollups
with their sketches, latest values and the retention step.

Baseline: the same rows as `(series_id, ts, value)` tuples, built before the
clock starts, inserted with `executemany` into `samples` only, one transaction
per batch, in a database made by the same migration SQL with the same PRAGMAs
(WAL, synchronous=NORMAL).

Each side runs `ingest_runs` times into a new database; the median rate counts.
Targets: >= 250k samples/s, and >= 0.5x the baseline rate.
"""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path

from _common import RETENTION, SOURCE, Result, Sizes, raw_connection, spread_batches

from collectors.base import Sample
from collectors.store.database import SourceBatch, Store

TARGET_RATE = 250_000.0
TARGET_RATIO = 0.5


async def _store_seconds(path: Path, batches: list[list[Sample]]) -> float:
    async with await Store.open(path, retention=RETENTION) as store:
        began = time.perf_counter()
        for batch in batches:
            await store.write([SourceBatch(SOURCE, batch)])
        return time.perf_counter() - began


def _raw_seconds(path: Path, batches: list[list[tuple[int, float, float]]]) -> float:
    conn = raw_connection(path)
    try:
        began = time.perf_counter()
        for rows in batches:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO samples (series_id, ts, value) VALUES (?, ?, ?)", rows)
            conn.execute("COMMIT")
        return time.perf_counter() - began
    finally:
        conn.close()


def _raw_rows(batches: list[list[Sample]]) -> list[list[tuple[int, float, float]]]:
    """The baseline's rows, with series ids numbered by first appearance like the store's."""
    ids: dict[tuple[tuple[str, str], ...], int] = {}
    return [
        [(ids.setdefault(tuple(sorted(s.labels.items())), len(ids) + 1), s.ts, s.value) for s in b]
        for b in batches
    ]


async def run(sizes: Sizes, workdir: Path) -> list[Result]:
    n_batches = sizes.ingest_samples // sizes.batch_samples
    total = n_batches * sizes.batch_samples
    span = total // sizes.batch_series  # seconds: one sample per series per second
    batches = spread_batches(sizes, n_batches, time.time() - span - 60, random.Random(1))
    rows = _raw_rows(batches)
    store_rates, raw_rates = [], []
    for attempt in range(sizes.ingest_runs):
        store_rates.append(total / await _store_seconds(workdir / f"ingest-{attempt}.db", batches))
        raw_rates.append(total / _raw_seconds(workdir / f"raw-{attempt}.db", rows))
    store_rate, raw_rate = statistics.median(store_rates), statistics.median(raw_rates)
    relative = store_rate / raw_rate
    shape = f"{sizes.batch_samples // 1000}k/batch, {sizes.batch_series} series"
    return [
        Result(
            f"ingest Store.write ({total // 1000}k, {shape})",
            f"{store_rate / 1000:.0f}k samples/s",
            f">= {TARGET_RATE / 1000:.0f}k/s and >= {TARGET_RATIO}x raw",
            f"raw executemany {raw_rate / 1000:.0f}k/s",
            f"{relative:.2f}x",
            store_rate >= TARGET_RATE and relative >= TARGET_RATIO,
        )
    ]

"""One writer and three reader processes share a database without 'database is locked'."""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import time
from pathlib import Path

from collectors.base import Sample
from collectors.store.database import SourceBatch, Store
from collectors.store.retention import Retention

BATCHES = 40
SERIES = "sidekiq.queue.size"


async def _write(path: str, created: object, start: object, done: object) -> int:
    rng = random.Random(1)
    written = 0
    # A small ring so that retention deletes run while readers read.
    async with await Store.open(path, retention=Retention(raw_max_rows=5000)) as store:
        created.set()  # type: ignore[attr-defined]
        start.wait(60)  # type: ignore[attr-defined]
        for number in range(BATCHES):
            now = time.time()
            batch = [
                Sample(SERIES, rng.uniform(0, 100), now, {"queue": f"q{i % 5}"}) for i in range(500)
            ]
            await store.write([SourceBatch("sidekiq", batch)])
            if number == BATCHES // 2:
                await store.checkpoint()  # a WAL checkpoint while readers read
            written += len(batch)
            await asyncio.sleep(0.02)
    done.set()  # type: ignore[attr-defined]
    return written


async def _read(path: str, created: object, start: object, done: object) -> tuple[int, int]:
    reads, last_count = 0, 0
    created.wait(60)  # type: ignore[attr-defined]
    async with await Store.open(path, readonly=True) as store:
        start.wait(60)  # type: ignore[attr-defined]
        while True:
            finished = done.is_set()  # type: ignore[attr-defined]
            series = await store.series(SERIES)
            now = time.time()
            stats = await store.window_stats(series, now - 600, now + 1)
            await store.points(series, now - 60, now, 30, how="sum")
            await store.source_statuses()
            last_count = stats.count
            reads += 1
            if finished:
                return reads, last_count
            # Busy readers, but not spinning: three of them on two cores would
            # starve the writer of CPU (a TUI reads every 2 s).
            await asyncio.sleep(0.005)


def writer_process(
    path: str, created: object, start: object, done: object, results: object
) -> None:
    try:
        written = asyncio.run(_write(path, created, start, done))
        results.put(("writer", written, None))  # type: ignore[attr-defined]
    except Exception as exc:
        created.set()  # type: ignore[attr-defined]
        done.set()  # type: ignore[attr-defined]
        results.put(("writer", 0, repr(exc)))  # type: ignore[attr-defined]


def reader_process(
    path: str, created: object, start: object, done: object, results: object
) -> None:
    try:
        outcome = asyncio.run(_read(path, created, start, done))
        results.put(("reader", outcome, None))  # type: ignore[attr-defined]
    except Exception as exc:
        results.put(("reader", (0, 0), repr(exc)))  # type: ignore[attr-defined]


def test_one_writer_and_three_readers_never_see_a_locked_database(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    path = str(tmp_path / "shared.db")
    created, start, done = context.Event(), context.Barrier(4), context.Event()
    results = context.Queue()
    roles = [writer_process] + [reader_process] * 3
    processes = [
        context.Process(target=role, args=(path, created, start, done, results)) for role in roles
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=90) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    assert [error for _, _, error in outcomes if error] == []
    (written,) = [value for role, value, _ in outcomes if role == "writer"]
    readers = [value for role, value, _ in outcomes if role == "reader"]
    assert written == BATCHES * 500
    assert len(readers) == 3
    for reads, last_count in readers:
        assert reads >= 2  # at least one read while writing and one after
        # The last read sees every sample: the raw ring holds 5,000, rollups the rest.
        assert last_count == written

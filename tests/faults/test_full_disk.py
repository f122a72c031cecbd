"""A full disk under a running collector: nothing committed is lost, the backlog drains in
chunks when space returns, shutdown tells the truth, and readers see that writes fail.

The full disk is SQLite's own (`max_page_count` on the writer's connection: a
write that needs a new page fails with "database or disk is full"), so these
run unprivileged; `test_collect_on_a_full_filesystem` uses a real tmpfs where
the tests run as root.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import ClassVar, Literal

import pytest

from collectors.base import Record, Sample, SourceConfig
from collectors.scheduler import Scheduler
from collectors.store.database import SourceBatch, Store
from collectors.store.retention import Retention

PER_POLL = 500
POLLS = 12
SERIES = "fake.value"


class FillConfig(SourceConfig):
    type: Literal["fill"] = "fill"


class Filler:
    """A source that returns `PER_POLL` samples in each of its first `POLLS` polls."""

    config_model: ClassVar[type[SourceConfig]] = FillConfig
    notes = None

    def __init__(self) -> None:
        self.polls = 0

    @property
    def produced(self) -> int:
        return min(self.polls, POLLS) * PER_POLL

    async def collect(self) -> list[Record]:
        self.polls += 1
        if self.polls > POLLS:
            return []
        now = time.time()
        return [Sample(SERIES, float(i), now, {"n": str(i % 10)}) for i in range(PER_POLL)]

    async def aclose(self) -> None:
        pass


async def cap(store: Store, extra_pages: int | None) -> None:
    """Cap the writer's file at its size plus `extra_pages` (None lifts the cap)."""
    conn = store._conn  # the fault needs the connection itself; nothing public exposes it
    if extra_pages is None:
        await conn.execute("PRAGMA max_page_count = 1073741823")
        return
    (pages,) = next(iter(await conn.execute_fetchall("PRAGMA page_count")))
    await conn.execute(f"PRAGMA max_page_count = {pages + extra_pages}")


async def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


_FILLED = "series_id IN (SELECT id FROM series WHERE name != 'source.up')"
"""The filler's own series, not the outcome (`source.up`) the scheduler adds to each poll."""


def on_disk(path: Path) -> tuple[int, int]:
    """The filler's raw samples and those counted by the rollups, as a separate reader sees them."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        (raw,) = conn.execute(f"SELECT count(*) FROM samples WHERE {_FILLED}").fetchone()
        (counted,) = conn.execute(
            f"SELECT coalesce(sum(count), 0) FROM rollups WHERE {_FILLED}"
        ).fetchone()
    return raw, counted


def unwritten(filler: Filler, path: Path) -> int:
    """Records made but not on disk: the filler's samples and each poll's outcome."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        (outcomes,) = conn.execute(
            f"SELECT coalesce(sum(count), 0) FROM rollups WHERE NOT {_FILLED}"
        ).fetchone()
    return filler.produced - on_disk(path)[1] + filler.polls - int(outcomes)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "full.db", retention=Retention(raw_max_rows=2000))
    yield opened
    await opened.close()


def scheduler(store: Store, filler: Filler, **options: float) -> Scheduler:
    source = FillConfig.model_validate({"name": "fill", "interval": "20ms"})
    return Scheduler(
        [source], store, make_collector=lambda _: filler, rng=random.Random(1), **options
    )


async def test_stopping_while_writes_fail_counts_what_was_not_written(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """SIGTERM while writes failed dropped the backlog and said "pending writes flushed"."""
    filler = Filler()
    running = scheduler(store, filler, flush_timeout=0.3)
    task = asyncio.create_task(running.run())
    await until(lambda: filler.polls >= 1)
    await cap(store, 0)
    await until(lambda: running.health.backlog >= 3 * PER_POLL)
    written_before = on_disk(store.path)[1]
    running.stop()
    with caplog.at_level(logging.ERROR):
        lost = await task
    assert lost == unwritten(filler, store.path) > filler.polls  # samples, not only outcomes
    assert f"{lost} records could not be written" in caplog.text
    assert on_disk(store.path)[1] == written_before


async def test_the_backlog_drains_in_chunks_once_some_space_returns(store: Store) -> None:
    """The whole backlog as one transaction never fit in the little space that came back."""
    filler = Filler()
    running = scheduler(store, filler, write_chunk=1000)
    task = asyncio.create_task(running.run())
    await until(lambda: filler.polls >= 1)
    await cap(store, 0)
    await until(lambda: filler.polls >= POLLS + 2)
    assert running.health.failing_since is not None
    assert running.health.backlog == unwritten(filler, store.path) >= 10 * PER_POLL
    await cap(store, 48)  # room for a chunk, not for all of it; the ring makes the rest
    await until(lambda: running.health.backlog == 0)
    running.stop()
    assert await task == 0
    raw, counted = on_disk(store.path)
    assert counted == filler.produced == POLLS * PER_POLL  # every sample, in the rollups
    assert raw <= 2000 + 1000  # the ring was trimmed as the backlog went in
    assert running.health.failing_since is None


async def test_the_backlog_has_a_memory_bound_and_counts_what_it_dropped(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    filler = Filler()
    running = scheduler(store, filler, max_backlog=2000, flush_timeout=0.3)
    task = asyncio.create_task(running.run())
    await until(lambda: filler.polls >= 1)
    await cap(store, 0)
    with caplog.at_level(logging.ERROR):
        await until(lambda: filler.polls >= POLLS + 2)
        await until(lambda: running.health.dropped > 0)
        health = running.health
        assert health.backlog <= 2000
        assert "dropping the oldest polls" in caplog.text
        running.stop()
        lost = await task
    assert lost == unwritten(filler, store.path)
    assert lost >= health.dropped + health.backlog - PER_POLL


async def test_readers_see_that_the_writer_fails_and_when_it_recovers(store: Store) -> None:
    """An attached TUI showed every source `● ok updated 40s ago` while no write succeeded."""
    filler = Filler()
    running = scheduler(store, filler)
    task = asyncio.create_task(running.run())
    reader = await Store.open(store.path, readonly=True)
    try:
        await until(lambda: filler.polls >= 1)
        await cap(store, 0)
        await until(lambda: reader.writer_health().backlog >= 2 * PER_POLL)
        health = reader.writer_health()
        assert health.failing_since is not None and "disk is full" in (health.error or "")
        line = health.describe(time.time())
        assert line is not None and "cannot write this database" in line
        await cap(store, None)
        await until(lambda: reader.writer_health().failing_since is None)
        assert reader.writer_health().describe(time.time()) is None
    finally:
        running.stop()
        await task
        await reader.close()


async def test_the_ring_is_trimmed_while_writes_fail_and_its_room_reused(tmp_path: Path) -> None:
    """Retention only ran inside the insert's transaction, so a full disk stopped it too."""
    hours_later = [0.0]
    store = await Store.open(
        tmp_path / "ring.db",
        retention=Retention(raw_max_age="1h"),
        clock=lambda: time.time() + hours_later[0],
    )
    try:
        old = [Sample("old.value", float(i), time.time(), {"n": str(i % 10)}) for i in range(6000)]
        await store.write([SourceBatch("old", old)])
        filler = Filler()
        running = scheduler(store, filler, write_chunk=1000)
        task = asyncio.create_task(running.run())
        await until(lambda: filler.polls >= 1)
        await cap(store, 0)  # and never lifted
        await until(lambda: running.health.failing_since is not None)
        hours_later[0] = 2 * 3600.0  # every raw row is past the ring's age now
        await until(lambda: filler.polls > POLLS and running.health.backlog == 0)
        running.stop()
        assert await task == 0
        raw, counted = on_disk(store.path)
        assert counted == len(old) + filler.produced  # the rollups kept count of all of it
        assert raw < len(old)
    finally:
        await store.close()

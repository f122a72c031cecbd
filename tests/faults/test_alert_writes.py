"""A failed alert write leaves the alert engine as it was, and the alert fires once space returns.

Issue 14: "a failed alert write makes a firing alert vanish": the tracker moved
to `firing` before the transaction committed and kept that state when the
commit failed on a full disk, so no row, screen or notification ever showed it.
The full disk here is SQLite's own: `max_page_count` on the alert book's
connection, so a row that needs a new page fails with "database or disk is full".
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from collectors.alerts.book import AlertBook
from collectors.alerts.engine import AlertEngine
from collectors.alerts.notify import Notification
from collectors.alerts.rules import Rule
from collectors.alerts.state import AlertState
from collectors.base import Sample, SourceState, SourceStatus
from collectors.store.database import SourceBatch, Store

FILLERS = (
    "INSERT INTO alerts (rule, severity, state, summary, started_at, updated_at) "
    "VALUES ('filler', 'info', 'ok', hex(randomblob(?)), 0, 0)",
    "INSERT INTO alert_events (alert_id, ts, kind, note) "
    "VALUES (0, 0, 'filler', hex(randomblob(?)))",
    "INSERT INTO meta (key, value) VALUES (hex(randomblob(8)), hex(randomblob(?)))",
)
"""Rows that take up the room left in the alert tables' pages, invisible to every view."""


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


async def set_disk_full(book: AlertBook, full: bool) -> None:
    """Cap the file at its size and fill what room is left (or lift the cap again).

    For the alert book's connection only: the store's own writes are not capped.
    """
    conn = book._conn  # the fault needs the connection itself; nothing public exposes it
    if not full:
        await conn.execute("PRAGMA max_page_count = 1073741823")
        return
    (pages,) = next(iter(await conn.execute_fetchall("PRAGMA page_count")))
    await conn.execute(f"PRAGMA max_page_count = {pages}")
    for fill in FILLERS:  # each table has pages of its own, with room in them
        for size in (2000, 200, 20, 1):
            with contextlib.suppress(sqlite3.OperationalError):  # database or disk is full
                while True:
                    await conn.execute(fill, (size,))


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[tuple[AlertEngine, Store, Clock]]:
    clock = Clock()
    store = await Store.open(tmp_path / "alerts.db")
    book = await AlertBook.open(store.path)
    rule = Rule.model_validate(
        {"name": "api_slow", "series": "api.latency", "condition": {"value": 100}}
    )
    engine = AlertEngine([rule], store, book, clock=clock)
    yield engine, store, clock
    await engine.aclose()
    await store.close()


async def poll(
    store: Store, engine: AlertEngine, clock: Clock, value: float, *, disk_full: bool = False
) -> list[Notification]:
    """One poll written to the store, then the alert rules checked (on a full disk, or not)."""
    clock.now += 10
    batch = SourceBatch(
        "api",
        [Sample("api.latency", value, clock.now)],
        SourceStatus("api", SourceState.OK, clock.now, clock.now),
    )
    await store.write([batch])
    await set_disk_full(engine.book, disk_full)  # the disk fills between the two writes
    return await engine.after_write([batch])


async def test_an_alert_whose_write_failed_fires_when_space_returns(
    engine: tuple[AlertEngine, Store, Clock], caplog: pytest.LogCaptureFixture
) -> None:
    alerts, store, clock = engine
    first_breach = clock.now + 10
    with caplog.at_level(logging.ERROR):
        assert (
            await poll(store, alerts, clock, 150, disk_full=True) == []
        )  # nothing committed: nothing notified
    (record,) = caplog.records
    assert "database or disk is full" in record.getMessage() and record.exc_info is None
    assert await alerts.book.visible(clock.now) == []

    (fired,) = await poll(store, alerts, clock, 160)
    assert (fired.kind, fired.state, fired.value) == ("firing", "firing", 160)
    (alert,) = await alerts.book.visible(clock.now)
    assert alert.state is AlertState.FIRING
    assert alert.started_at == first_breach  # the failed round's check was applied, not lost
    assert await poll(store, alerts, clock, 170) == []  # notified once

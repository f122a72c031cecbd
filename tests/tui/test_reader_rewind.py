"""`StoreReader.rewind`: one moment for the store, the alert book, the clock and the logs."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.base import LogEvent, Sample
from collectors.store.database import SourceBatch, Store
from tui.data.reader import StoreReader

B = 1_795_000_020.0
NOW = B + 100


@pytest.fixture
async def reader(tmp_path: Path):
    """A log line every 10 s from B to B+90 (one of each an error), a sample with each."""
    path = tmp_path / "logs.db"
    async with await Store.open(path, clock=lambda: NOW) as store:
        records: list[Sample | LogEvent] = []
        for i in range(10):
            t = B + 10 * i
            level = "error" if i % 2 else "info"
            records += [LogEvent(t, f"line {i}", level=level), Sample("q.size", float(i), t)]
        await store.write([SourceBatch("demo", records)])
    opened = await StoreReader.open(path, clock=lambda: NOW)
    yield opened
    await opened.aclose()


async def test_rewound_logs_end_at_the_moment_and_live_logs_come_back(reader: StoreReader) -> None:
    reader.rewind(B + 40)
    assert reader.as_of == B + 40
    assert reader.now() == B + 40
    assert [m.message for m in await reader.newest_logs()] == [
        "line 4", "line 3", "line 2", "line 1", "line 0",
    ]  # fmt: skip
    # An `end` later than the moment (a screen's window) is capped too; a line at it is kept.
    later = await reader.newest_logs(start=B + 25, end=B + 80, level="error")
    assert [m.message for m in later] == ["line 3"]
    assert [m.message for m in await reader.search_logs("line", end=NOW)][:1] == ["line 4"]
    [series] = await reader.store.series("q.size")
    assert (series.last_ts, series.last_value) == (B + 40, 4.0)
    assert reader.book.as_of == B + 40

    reader.rewind(None)
    assert reader.as_of is None
    assert reader.now() == NOW
    assert [m.message for m in await reader.newest_logs(limit=1)] == ["line 9"]
    [series] = await reader.store.series("q.size")
    assert series.last_value == 9.0
    assert reader.book.as_of is None

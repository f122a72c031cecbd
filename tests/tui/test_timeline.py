"""The incident timeline (issue 18) on the recorded demo, checked against the recording's rows."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import pytest

from collectors.alerts.annotations import add_annotation
from collectors.alerts.book import AlertBook
from collectors.store.database import Store
from collectors.store.log_search import LogMatch
from tui.data.reader import StoreReader
from tui.data.timeline import (
    ALERT_KINDS,
    ANNOTATION_KINDS,
    BURST_GAP,
    BURST_LINES,
    annotation_times,
    marked_slots,
    read_timeline,
)

HOSTILE = "[red]x[/] \x1b[2J **deploy**"


async def _annotate(db: Path, now: float) -> None:
    async with await AlertBook.open(db) as book:
        await add_annotation(book, ts=now - 30, author="amy", text=HOSTILE, source="chatwoot")
        await book.pin_incident(now - 85, by="amy", now=now - 20)
        await book.add_silence(
            {"rule": "queue_depth_high"}, starts_at=now - 10, ends_at=now + 3600,
            created_by="bob", comment="reindex job", now=now - 10,
        )  # fmt: skip
        firing = [a for a in await book.visible(now) if a.state == "firing"]
        await book.acknowledge(firing[0].id, "amy", "scaling workers", now - 5)


def _expected(db: Path, start: float, end: float) -> list[tuple[float, str]]:
    """The timeline's (time, kind) pairs, computed from the rows themselves."""
    raw = sqlite3.connect(db)
    kinds = ",".join(f"'{k}'" for k in ALERT_KINDS)
    rows = raw.execute(
        f"SELECT ts, kind FROM alert_events WHERE kind IN ({kinds}) AND ts BETWEEN ? AND ?",
        (start, end),
    ).fetchall()
    rows += raw.execute(
        "SELECT ts, kind FROM annotations WHERE ts BETWEEN ? AND ?", (start, end)
    ).fetchall()
    rows += [
        (max(created, start), "silence")
        for (created,) in raw.execute(
            "SELECT created_at FROM silences WHERE created_at <= ?", (end,)
        )
    ]
    times = [t for (t,) in raw.execute(
        "SELECT ts FROM log_lines WHERE level = 'error' AND ts >= ? AND ts < ? ORDER BY ts",
        (start, end),
    )]  # fmt: skip
    run: list[float] = []
    for t in [*times, math.inf]:
        if run and t - run[-1] > BURST_GAP:
            if len(run) >= BURST_LINES:
                rows.append((run[0], "errors"))
            run = []
        run.append(t)
    return sorted(rows)


async def test_the_timeline_merges_every_kind_in_time_order(demo_db: Path, demo_now: float) -> None:
    await _annotate(demo_db, demo_now)
    start, end = demo_now - 85, demo_now
    reader = await StoreReader.open(demo_db, clock=lambda: demo_now)
    try:
        entries = await read_timeline(
            reader.book, reader.store, _errors(reader), start, end, reader.rules
        )
    finally:
        await reader.aclose()
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    assert sorted((e.at, e.kind) for e in entries) == _expected(
        demo_db, start, math.nextafter(end, 1e12)
    )
    kinds = {e.kind for e in entries}
    assert {"transition", "ack", "note", "pin", "silence", "errors", "severity"} <= kinds
    note = next(e for e in entries if e.kind == "note")
    assert (note.at, note.actor, note.note, note.subject) == (
        demo_now - 30,
        "amy",
        HOSTILE,
        "chatwoot",
    )
    ack = next(e for e in entries if e.kind == "ack")
    assert (ack.actor, ack.note) == ("amy", "scaling workers")
    burst = next(e for e in entries if e.kind == "errors")
    assert burst.what.startswith(f"{int(burst.value or 0)} error lines in ")
    assert burst.value is not None and burst.value >= BURST_LINES
    reader = await StoreReader.open(demo_db, clock=lambda: demo_now)
    try:
        marked = await annotation_times(reader.book, reader.store, start, end)
    finally:
        await reader.aclose()
    assert [at for at, _ in marked] == sorted(e.at for e in entries if e.kind in ANNOTATION_KINDS)
    assert (demo_now - 30, "chatwoot") in marked  # a note about one source says which
    times = {at for at, _ in marked}
    assert {"ack", "note", "pin", "silence"} <= {e.kind for e in entries if e.at in times}


def _errors(reader: StoreReader):  # type: ignore[no-untyped-def]
    async def read(start: float, end: float) -> list[LogMatch]:
        return await reader.newest_logs(level="error", start=start, end=end, limit=5000)

    return read


async def test_a_source_going_down_and_back_is_on_the_timeline(tmp_path: Path) -> None:
    from collectors.base import SourceState, SourceStatus
    from collectors.store.database import SourceBatch

    path = tmp_path / "w.db"
    t0 = 1_795_000_000.0
    clock = [t0]
    async with await Store.open(path, clock=lambda: clock[0]) as store:
        for step, state in enumerate(["ok", "ok", "down", "down", "ok"]):
            clock[0] = t0 + 10 * step
            status = SourceStatus("sidekiq", SourceState(state), clock[0], None,
                                  "connection refused" if state == "down" else None,
                                  1 if state == "down" else 0)  # fmt: skip
            await store.write([SourceBatch("sidekiq", [], status=status)])
    async with await Store.open(path, readonly=True) as store, await AlertBook.open(path) as book:
        entries = await read_timeline(book, store, None, t0, t0 + 100, {})
        marks = await annotation_times(book, store, t0, t0 + 100)
    assert [(e.at - t0, e.kind, e.subject, e.what) for e in entries] == [
        (20, "source", "sidekiq", "down"),
        (40, "source", "sidekiq", "ok"),
    ]
    assert entries[0].note == "connection refused"
    assert marks == [(t0 + 20, None), (t0 + 40, None)]


@pytest.mark.parametrize(
    ("times", "slots", "expected"),
    [([0.0, 9.9, 10.0, 59.9], 6, (0, 1, 5)), ([-1.0, 60.0], 6, ()), ([30.0], 1, (0,))],
)
def test_marked_slots_are_the_slots_holding_a_time(
    times: list[float], slots: int, expected: tuple[int, ...]
) -> None:
    assert marked_slots(times, 0.0, 60.0, slots) == expected


async def test_rewound_the_timeline_ends_at_the_moment(demo_db: Path, demo_now: float) -> None:
    await _annotate(demo_db, demo_now)
    reader = await StoreReader.open(demo_db, clock=lambda: demo_now)
    try:
        reader.rewind(demo_now - 40)
        moment = reader.now()
        entries = await read_timeline(
            reader.book, reader.store, _errors(reader), moment - 600, moment, reader.rules
        )
        marked = await annotation_times(reader.book, reader.store, moment - 600, moment)
    finally:
        await reader.aclose()
    assert entries and max(e.at for e in entries) <= demo_now - 40
    assert "note" not in {e.kind for e in entries}  # made at now - 30: after the moment
    assert all(t <= demo_now - 40 for t, _ in marked)

"""`AlertBook.as_of`: alerts, events and silences as the book stood at a past moment."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from collectors.alerts.annotations import Pin, read_annotations
from collectors.alerts.book import AlertBook, AlertRow
from collectors.alerts.state import AlertState
from collectors.alerts.terms import Severity
from collectors.store.database import Store
from collectors.store.schema import MIGRATIONS

T0 = 1_795_000_000.0
PENDING, FIRING, ESCALATED, ACKED, RESOLVED = T0, T0 + 60, T0 + 90, T0 + 120, T0 + 300


@pytest.fixture
async def book(tmp_path: Path):
    """One alert: pending at T0, firing at +60, critical at +90, acked at +120, resolved at +300.

    A silence is created at +120, and a second alert starts after all that (+400).
    """
    path = tmp_path / "book.db"
    async with await Store.open(path):
        pass  # creates the schema
    async with await AlertBook.open(path) as writing:
        async with writing.transaction() as w:
            alert_id = await w.create(
                rule="api_latency_p95",
                labels={"endpoint": "conversations"},
                severity=Severity.WARNING,
                state=AlertState.PENDING,
                value=2100.0,
                summary="p95 high",
                t=PENDING,
                flapping=False,
            )
            await w.transition(
                alert_id, from_state=AlertState.PENDING, to_state=AlertState.FIRING,
                t=FIRING, value=2600.0, resolved_at=None,
            )  # fmt: skip
            await w.set_value(alert_id, 2700.0)
            await w.set_severity(
                alert_id, old=Severity.WARNING, new=Severity.CRITICAL, t=ESCALATED, value=6000.0
            )
        await writing.acknowledge(alert_id, "ana", "looking", ACKED)
        await writing.add_silence(
            {"rule": "api_latency_p95"}, starts_at=ACKED, ends_at=ACKED + 3600,
            created_by="ana", comment="deploy", now=ACKED,
        )  # fmt: skip
        async with writing.transaction() as w:
            await w.transition(
                alert_id, from_state=AlertState.FIRING, to_state=AlertState.RESOLVED,
                t=RESOLVED, value=900.0, resolved_at=RESOLVED,
            )  # fmt: skip
            await w.create(
                rule="queue_backlog", labels={}, severity=Severity.WARNING,
                state=AlertState.FIRING, value=5000.0, summary="", t=T0 + 400, flapping=False,
            )  # fmt: skip
    async with await AlertBook.open(path, readonly=True) as reading:
        yield reading


def _seen(rows: list[AlertRow]) -> list[tuple[object, ...]]:
    return [(a.rule, a.state, a.severity, a.value, a.acknowledged_by, a.resolved_at) for a in rows]


async def test_each_stage_of_an_alert_as_it_stood(book: AlertBook) -> None:
    rule, warn, crit = "api_latency_p95", Severity.WARNING, Severity.CRITICAL
    expected = {
        PENDING - 1: [],
        PENDING + 1: [(rule, AlertState.PENDING, warn, 2100.0, None, None)],
        FIRING + 1: [(rule, AlertState.FIRING, warn, 2600.0, None, None)],
        ESCALATED + 1: [(rule, AlertState.FIRING, crit, 6000.0, None, None)],
        # The ack recorded the value stored then (2700.0, a check's after the escalation).
        ACKED + 1: [(rule, AlertState.FIRING, crit, 2700.0, "ana", None)],
        RESOLVED + 1: [(rule, AlertState.RESOLVED, crit, 900.0, "ana", RESOLVED)],
    }
    for moment, rows in expected.items():
        book.as_of = moment
        assert _seen(await book.visible(moment + 5000)) == rows, moment
    book.as_of = None
    live = await book.visible(T0 + 410)
    assert [(a.rule, a.state) for a in live] == [
        ("queue_backlog", AlertState.FIRING),
        ("api_latency_p95", AlertState.RESOLVED),
    ]


async def test_get_events_history_and_silences_as_of(book: AlertBook) -> None:
    book.as_of = FIRING + 1
    alert = await book.get(1)
    assert alert is not None
    assert (alert.state, alert.updated_at) == (AlertState.FIRING, FIRING)
    assert alert.acknowledged_at is None
    assert [e.kind for e in await book.events(1)] == ["transition", "transition"]
    assert await book.get(2) is None  # not started yet
    assert [a.id for a in await book.history(T0 - 1)] == [1]
    assert await book.silences(FIRING + 1) == []
    book.as_of = ACKED + 1
    assert [e.kind for e in await book.events(1)] == ["transition", "transition", "severity", "ack"]
    assert [s.comment for s in await book.silences(ACKED + 1)] == ["deploy"]
    acked = await book.get(1)
    assert acked is not None
    assert (acked.acknowledged_by, acked.ack_note) == ("ana", "looking")
    assert acked.acknowledged_at == ACKED


async def test_resolved_alert_leaves_the_view_after_the_reopen_window(book: AlertBook) -> None:
    book.as_of = RESOLVED + 901
    assert [a.rule for a in await book.visible(RESOLVED + 901)] == ["queue_backlog"]
    book.as_of = T0 + 401
    assert [a.rule for a in await book.visible(T0 + 401)] == ["queue_backlog", "api_latency_p95"]


async def test_a_silence_ended_early_later_shows_the_end_it_had_then(book: AlertBook) -> None:
    """Rewound to before a silence was ended early, its end is the one it had then."""
    ended_at = ACKED + 600
    async with await AlertBook.open(book.path) as writing:
        ended = await writing.end_silence(1, ended_at, by="bo")
    assert ended.ends_at == ended_at
    book.as_of = ACKED + 300  # before it was ended: it was to last an hour
    (then,) = await book.silences(ACKED + 300)
    assert (then.ends_at, then.active_at(ACKED + 900)) == (ACKED + 3600, True)
    book.as_of = ended_at + 1  # after: it has ended
    assert await book.silences(ended_at + 1) == []
    assert [s.ends_at for s in await book.silences(ended_at + 1, include_ended=True)] == [ended_at]
    book.as_of = None
    assert [s.ends_at for s in await book.silences(T0, include_ended=True)] == [ended_at]
    (note,) = await read_annotations(book, ended_at, ended_at)
    assert (note.kind, note.author) == ("unsilence", "bo")
    assert note.text == "silence 1 ended early; it was to end at 2026-11-18T12:08:40Z"


async def test_the_pin_as_of_a_moment_is_the_one_its_annotations_tell(tmp_path: Path) -> None:
    """A pin set, cleared, set again and moved earlier: each moment sees the pin of then."""
    path = tmp_path / "pin.db"
    async with await Store.open(path):
        pass  # creates the schema
    async with await AlertBook.open(path) as book:
        await book.pin_incident(T0 + 100, by="amy", now=T0 + 160)
        await book.pin_incident(None, by="bob", now=T0 + 300)
        await book.pin_incident(T0 + 400, by="amy", now=T0 + 450)
        await book.pin_incident(T0 + 350, by="amy", now=T0 + 500)  # moved earlier
        expected = {
            T0: None,  # nothing pinned yet
            T0 + 200: T0 + 100,
            T0 + 300: None,  # cleared at +300
            T0 + 360: T0 + 350,
            T0 + 420: T0 + 350,  # the later pin to +400 was moved to +350
            None: T0 + 350,  # live
        }
        seen = {}
        for moment in expected:
            book.as_of = moment
            seen[moment] = await book.pinned_incident()
    assert seen == expected


async def test_a_pin_from_before_annotations_reads_live_when_rewound(tmp_path: Path) -> None:
    path = tmp_path / "pin.db"
    async with await Store.open(path):
        pass
    async with await AlertBook.open(path) as book:
        await book.pin_incident(T0 + 100, by="amy", now=T0 + 160)
        async with book.transaction() as w:
            await w.execute("DELETE FROM annotations", ())  # as a database from before them
        book.as_of = T0
        assert await book.pinned_incident() == T0 + 100


async def test_a_silence_ended_early_before_the_column_existed_reads_its_end(
    tmp_path: Path,
) -> None:
    """A schema-4 database kept the end only in the `unsilence` note's words: migrated, it reads."""
    path = tmp_path / "v4.db"
    raw = sqlite3.connect(path, isolation_level=None)
    raw.executescript(
        "BEGIN;\n" + "\n".join(MIGRATIONS[:4]) + "\nPRAGMA user_version = 4;\nCOMMIT;"
    )
    ended_at = ACKED + 600
    for silence_id, comment in ((1, "deploy"), (12, "reindex")):
        raw.execute(
            "INSERT INTO silences (id, matchers, starts_at, ends_at, created_by, comment, "
            "created_at) VALUES (?, '{}', ?, ?, 'ana', ?, ?)",
            (silence_id, ACKED, ended_at, comment, ACKED),
        )
    # As the old `end_silence` wrote it: silence 1 was to last an hour; 12 was never ended early.
    raw.execute(
        "INSERT INTO annotations (ts, author, text, kind) VALUES (?, 'bo', ?, 'unsilence')",
        (ended_at, "silence 1 ended early; it was to end at 2026-11-18T12:08:40Z"),
    )
    raw.close()
    async with await Store.open(path):
        pass  # the writer migrates
    async with await AlertBook.open(path, readonly=True) as book:
        book.as_of = ACKED + 300
        then = {s.id: s.ends_at for s in await book.silences(ACKED + 300)}
        book.as_of = ended_at + 1
        after = await book.silences(ended_at + 1)
    assert then == {1: ACKED + 3600, 12: ended_at}
    assert after == []


async def test_the_pin_says_who_set_it_and_when_live_and_as_of(tmp_path: Path) -> None:
    """Pinned at +100 by amy at +160, re-pinned at +350 by bob at +500: each moment's own."""
    path = tmp_path / "pin.db"
    async with await Store.open(path):
        pass
    async with await AlertBook.open(path) as book:
        assert await book.pin() is None
        await book.pin_incident(T0 + 100, by="amy", now=T0 + 160)
        await book.pin_incident(T0 + 350, by="bob", now=T0 + 500)
        live = await book.pin()
        book.as_of = T0 + 200
        then = await book.pin()
        async with book.transaction() as w:  # as a pin set before `made_at` was recorded
            await w.execute("UPDATE annotations SET made_at = NULL", ())
        book.as_of = None
        old = await book.pin()
    assert live == Pin(T0 + 350, T0 + 500, "bob")
    assert then == Pin(T0 + 100, T0 + 160, "amy")
    assert old == Pin(T0 + 350, None, "bob")

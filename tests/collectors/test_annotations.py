"""Annotations (issue 18): the schema migration, the durable rows, the pin's notes, hooks."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

import pytest

from collectors.alerts.annotations import (
    AnnotationError,
    add_annotation,
    read_annotations,
)
from collectors.alerts.book import AlertBook
from collectors.alerts.engine import build_sinks
from collectors.alerts.notify import CommandConfig, NotifyConfig
from collectors.store.database import Store
from collectors.store.schema import MIGRATIONS, SCHEMA_VERSION

T0 = 1_795_000_000.0
WOOTWATCH = str(Path(sys.executable).with_name("wootwatch"))


@pytest.fixture
async def book(tmp_path: Path) -> AlertBook:
    path = tmp_path / "w.db"
    async with await Store.open(path):
        pass
    return await AlertBook.open(path)


async def test_a_version_2_database_migrates_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    raw = sqlite3.connect(path, isolation_level=None)
    raw.executescript(
        f"BEGIN;\n{MIGRATIONS[0]}\n{MIGRATIONS[1]}\nPRAGMA user_version = 2;\nCOMMIT;"
    )
    raw.execute(
        "INSERT INTO silences (matchers, starts_at, ends_at, created_by, comment, created_at) "
        "VALUES ('{}', ?, ?, 'amy', 'maintenance', ?)",
        (T0, T0 + 3600, T0),
    )
    raw.close()
    async with await Store.open(path):
        pass
    async with await AlertBook.open(path) as opened:
        await add_annotation(opened, ts=T0 + 5, author="amy", text="deploy v4.2.1")
        assert [a.text for a in await read_annotations(opened, T0, T0 + 10)] == ["deploy v4.2.1"]
        assert [s.comment for s in await opened.silences(T0, include_ended=True)] == ["maintenance"]
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


async def test_text_is_stored_exactly_as_given_and_read_in_time_order(book: AlertBook) -> None:
    hostile = "[red]x[/] \x1b[2J **bold** <b>"
    async with book:
        await add_annotation(book, ts=T0 + 20, author="amy", text="later", source="chatwoot")
        await add_annotation(book, ts=T0 + 10, author="bob", text=hostile)
        got = await read_annotations(book, T0, T0 + 30)
        outside = await read_annotations(book, T0 + 21, T0 + 30)
    assert [(a.ts, a.author, a.text, a.source, a.kind) for a in got] == [
        (T0 + 10, "bob", hostile, None, "note"),
        (T0 + 20, "amy", "later", "chatwoot", "note"),
    ]
    assert outside == []


@pytest.mark.parametrize(
    ("text", "words"),
    [("", "needs some text"), ("   ", "needs some text"), ("x" * 501, "at most 500"),
     ("a\nb\nc\nd\ne\nf", "at most 5 lines")],
)  # fmt: skip
async def test_bad_text_is_refused_in_one_line(book: AlertBook, text: str, words: str) -> None:
    async with book:
        with pytest.raises(AnnotationError, match=words) as caught:
            await add_annotation(book, ts=T0, author="amy", text=text)
        assert await read_annotations(book, 0, T0 * 2) == []
    assert "\n" not in str(caught.value)


async def test_setting_and_clearing_the_pin_leave_annotations(book: AlertBook) -> None:
    async with book:
        await book.pin_incident(T0 - 600, by="amy", now=T0)
        await book.pin_incident(None, by="bob", now=T0 + 60)
        got = await read_annotations(book, 0, T0 * 2)
    assert [(a.ts, a.author, a.kind) for a in got] == [
        (T0 - 600, "amy", "pin"),
        (T0 + 60, "bob", "unpin"),
    ]


async def test_a_notify_hook_running_annotate_writes_to_the_engines_database(
    tmp_path: Path,
) -> None:
    """The command hook is given `$WOOTWATCH_DB`: `wootwatch annotate` needs no --db."""
    path = tmp_path / "w.db"
    async with await Store.open(path):
        pass
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()  # no config here: only $WOOTWATCH_DB can name the database
    argv = [WOOTWATCH, "annotate", "paged on-call", "--source", "chatwoot"]
    (sink,) = build_sinks(NotifyConfig(command=CommandConfig(argv=argv)), database=path)
    cwd = Path.cwd()
    os.chdir(elsewhere)
    try:
        await sink.send([])
    finally:
        os.chdir(cwd)
    assert getattr(sink, "delivered", 0) == 1, getattr(sink, "last_error", None)
    async with await AlertBook.open(path, readonly=True) as book:
        (note,) = await read_annotations(book, 0, 1e12)
    assert (note.text, note.source, note.kind) == ("paged on-call", "chatwoot", "note")

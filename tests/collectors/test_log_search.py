"""Searching the log cache: FTS5 syntax, highlights, time range, newest first, inert output."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from collectors.base import LogEvent
from collectors.store.database import SourceBatch, Store
from collectors.store.log_search import LogQueryError, format_line, newest, open_readonly, search
from collectors.store.schema import MIGRATIONS

T0 = 1_800_000_000.0
WEB = "/aws/ecs/chatscomm-chatwoot-prod-web"


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    lines = [
        LogEvent(T0 + 1, "ERROR PG::QueryCanceled: statement timeout", WEB, "web/a1", "error", "1"),
        LogEvent(T0 + 2, "INFO Completed 200 OK in 412ms", WEB, "web/a1", "info", "2"),
        LogEvent(
            T0 + 3, "ERROR Net::ReadTimeout in Webhooks::Trigger", WEB, "web/b7", "error", "3"
        ),
        LogEvent(
            T0 + 4,
            "ActiveStorage timeout \x1b[2J\x1b]0;owned\x07 evil\nsecond line",
            WEB,
            "web/b7",
            "",
            "4",
        ),
        LogEvent(T0 + 5, "worker timeout", "/aws/ecs/worker", "w/1", "warning", "5"),
    ]
    async with await Store.open(tmp_path / "logs.db", clock=lambda: T0 + 5) as store:
        await store.write(
            [SourceBatch("web-logs", lines[:4]), SourceBatch("worker-logs", lines[4:])]
        )
    return tmp_path / "logs.db"


def test_newest_first_with_highlighted_matches(db: Path) -> None:
    conn = open_readonly(db)
    hits = search(conn, "timeout")
    assert [h.ts for h in hits] == [T0 + 5, T0 + 4, T0 + 3, T0 + 1]
    first = hits[3]
    assert [first.message[a:b] for a, b in first.spans] == ["timeout"]
    assert hits[0].source == "worker-logs" and hits[0].group == "/aws/ecs/worker"


def test_fts5_syntax_time_range_and_filters(db: Path) -> None:
    conn = open_readonly(db)
    assert [h.ts for h in search(conn, "error AND (timeout OR readtimeout)")] == [T0 + 3, T0 + 1]
    assert [h.ts for h in search(conn, '"statement timeout"')] == [T0 + 1]
    assert [h.ts for h in search(conn, "read*")] == [T0 + 3]
    assert [h.ts for h in search(conn, "timeout NOT worker")] == [T0 + 4, T0 + 3, T0 + 1]
    assert [h.ts for h in search(conn, "timeout", start=T0 + 2, end=T0 + 5)] == [T0 + 4, T0 + 3]
    web = search(conn, "timeout", source="web-logs", group=WEB)
    assert [h.ts for h in web] == [T0 + 4, T0 + 3, T0 + 1]
    assert [h.ts for h in search(conn, "timeout", limit=1)] == [T0 + 5]
    spans = search(conn, "error AND readtimeout")[0]
    assert [spans.message[a:b] for a, b in spans.spans] == ["ERROR", "ReadTimeout"]


def test_newest_lines_of_a_window_without_a_query(db: Path) -> None:
    conn = open_readonly(db)
    assert [h.ts for h in newest(conn)] == [T0 + 5, T0 + 4, T0 + 3, T0 + 2, T0 + 1]
    assert [h.ts for h in newest(conn, start=T0 + 2, end=T0 + 4, limit=5)] == [T0 + 3, T0 + 2]
    assert [h.ts for h in newest(conn, limit=2)] == [T0 + 5, T0 + 4]
    assert [h.ts for h in newest(conn, source="worker-logs")] == [T0 + 5]
    assert all(h.spans == () for h in newest(conn))


def test_after_id_reads_only_what_was_cached_since(db: Path) -> None:
    conn = open_readonly(db)
    third = newest(conn, start=T0 + 3, end=T0 + 3.5)[0].id
    assert [h.ts for h in newest(conn, after_id=third)] == [T0 + 5, T0 + 4]
    assert [h.ts for h in search(conn, "timeout", after_id=third)] == [T0 + 5, T0 + 4]
    assert search(conn, "timeout", after_id=newest(conn)[0].id) == []


def test_a_word_matches_inside_longer_words_in_any_case(db: Path) -> None:
    """Issue 16: `timeout` found none of the `Net::ReadTimeout` lines."""
    conn = open_readonly(db)
    (hit,) = search(conn, "readtime")
    assert [hit.message[a:b] for a, b in hit.spans] == ["ReadTime"]
    assert [h.ts for h in search(conn, "TIMEOUT", start=T0 + 3, end=T0 + 4)] == [T0 + 3]
    assert [h.ts for h in search(conn, "canceled")] == [T0 + 1]  # PG::QueryCanceled


def test_a_word_too_short_for_the_index_is_refused_not_silently_unfound(db: Path) -> None:
    with pytest.raises(LogQueryError, match="3 characters or more: 'ok' is too short"):
        search(open_readonly(db), "timeout OR ok")
    assert [h.ts for h in search(open_readonly(db), '"OK in"')] == [T0 + 2]


async def test_the_migration_rebuilds_the_index_from_the_lines_already_cached(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v1.db"
    raw = sqlite3.connect(path, isolation_level=None)
    raw.executescript(f"BEGIN;\n{MIGRATIONS[0]}\nPRAGMA user_version = 1;\nCOMMIT;")
    raw.execute(
        "INSERT INTO log_lines (ts, source, message) VALUES (?, 'web-logs', ?)",
        (T0, "ERROR Net::ReadTimeout in Webhooks::Trigger"),
    )
    raw.close()
    async with await Store.open(path, clock=lambda: T0 + 1) as store:
        line = LogEvent(T0 + 1, "Faraday::TimeoutError", WEB, "web/a1", "error", "9")
        await store.write([SourceBatch("web-logs", [line])])
    conn = open_readonly(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert [h.message for h in search(conn, "timeout")] == [
        "Faraday::TimeoutError",
        "ERROR Net::ReadTimeout in Webhooks::Trigger",
    ]


@pytest.mark.parametrize("query", ['"unclosed', "AND", "timeout OR", "nosuchcolumn: x", "  "])
def test_a_bad_query_is_a_one_line_error(db: Path, query: str) -> None:
    with pytest.raises(LogQueryError) as caught:
        search(open_readonly(db), query)
    assert "\n" not in str(caught.value)


def test_output_is_plain_inert_text(db: Path) -> None:
    (hit,) = search(open_readonly(db), "evil")
    line = format_line(hit)
    assert "\x1b" not in line and "\x07" not in line and "\n" not in line
    assert "␛[2J" in line and "␊second line" in line
    assert "web-logs" in line and WEB in line and "web/b7" in line


def test_a_message_holding_the_marker_characters_is_found_without_spans(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.db")
    conn.executescript(
        "CREATE TABLE log_lines (id INTEGER PRIMARY KEY, ts REAL, source TEXT, log_group TEXT,"
        " stream TEXT, level TEXT, event_id TEXT, message TEXT);"
        "CREATE VIRTUAL TABLE log_fts USING fts5"
        " (message, content='log_lines', content_rowid='id');"
    )
    conn.execute(
        "INSERT INTO log_lines VALUES (1, 1.0, 's', 'g', 'st', '', NULL, 'a \ue000 timeout')"
    )
    conn.execute("INSERT INTO log_fts (rowid, message) VALUES (1, 'a \ue000 timeout')")
    conn.commit()
    (hit,) = search(conn, "timeout")
    assert hit.spans == ()


def test_a_missing_database_or_one_without_a_log_cache(tmp_path: Path) -> None:
    with pytest.raises(LogQueryError, match="no such database"):
        open_readonly(tmp_path / "none.db")
    sqlite3.connect(tmp_path / "other.db").execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(LogQueryError, match="not a wootwatch database"):
        open_readonly(tmp_path / "other.db")

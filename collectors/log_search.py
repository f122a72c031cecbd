"""Search the cached log lines: FTS5 queries over the store's `log_lines` and `log_fts`.

Contract:

* `search` takes an FTS5 query (words, `"phrases"`, `prefix*`, `AND`/`OR`/
  `NOT`, `NEAR(...)`), an optional time range, source and log group, and
  returns at most `limit` matching lines, newest first, each with the spans
  of the matched words. Lines are read in the order they were cached (newest
  rowid first) so a search of a million lines stops after `limit` matches;
  the returned page is then sorted by time. Lines cached out of order (a
  remote search of an older range) therefore show in that page, inside the
  time range asked for.
* A query FTS5 cannot parse raises `LogQueryError` with one line.
* The connection is a plain, read-only `sqlite3` one: a search runs in a
  worker thread of the TUI or in the `wootwatch logs` command, never on the
  collectors' event loop, and never takes the writer's lock.
* `format_line` renders a match as one line of plain text with every
  control character and escape sequence made inert.
* `level_counts` and `newest_lines` read the lines of one level in a time
  range without a query (what an export shows): how often each message
  occurs, and the newest lines. `message_shape` masks numbers and ids so
  that repeats of one message can be grouped.
"""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from collectors.inert import inert

__all__ = [
    "LogMatch",
    "LogQueryError",
    "format_line",
    "level_counts",
    "message_shape",
    "newest_lines",
    "open_readonly",
    "search",
]

_OPEN: Final = "\ue000"
_CLOSE: Final = "\ue001"
"""Private-use characters that mark matches in FTS5's `highlight()` output."""
_DATABASE_TROUBLE: Final = (
    "locked",
    "busy",
    "no such table",
    "disk",
    "malformed",
    "unable to open",
)
"""Words of an OperationalError that is the database's fault, not the query's."""
_VARYING: Final = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|\b(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{12,}\b|\d+(?:\.\d+)?"
)
"""UUIDs, long hex ids and numbers: what differs between repeats of one message."""


class LogQueryError(Exception):
    """The search cannot run: a bad FTS5 query, or no log cache in the database."""


@dataclass(frozen=True, slots=True)
class LogMatch:
    """One cached line that matched a search."""

    id: int
    ts: float
    source: str
    group: str
    stream: str
    level: str
    message: str
    """As the upstream sent it: untrusted, show it only through `inert`."""
    spans: tuple[tuple[int, int], ...]
    """`(start, end)` offsets in `message` of the matched words."""


def open_readonly(path: str | Path) -> sqlite3.Connection:
    """A read-only connection to a wootwatch database.

    Raises:
        LogQueryError: the file is missing or holds no log cache.
    """
    db = Path(path).expanduser()
    if not db.exists():
        raise LogQueryError(f"{db}: no such database")
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("SELECT 1 FROM log_fts LIMIT 0")
    except sqlite3.Error as exc:
        raise LogQueryError(f"{db}: not a wootwatch database with a log cache ({exc})") from None
    return conn


def _spans(marked: str, message: str) -> tuple[tuple[int, int], ...]:
    """Offsets of the marked matches, or none if the message itself holds a marker."""
    if _OPEN in message or _CLOSE in message:
        return ()
    spans, plain, start = [], 0, 0
    for char in marked:
        if char == _OPEN:
            start = plain
        elif char == _CLOSE:
            spans.append((start, plain))
        else:
            plain += 1
    return tuple(spans)


def search(
    conn: sqlite3.Connection,
    query: str,
    *,
    start: float | None = None,
    end: float | None = None,
    source: str | None = None,
    group: str | None = None,
    limit: int = 200,
) -> list[LogMatch]:
    """Cached lines matching an FTS5 query, newest first.

    Args:
        conn: a connection from `open_readonly` (or the writer's own).
        query: FTS5 query syntax.
        start: unix time; only lines at or after it.
        end: unix time; only lines before it.
        source: only lines of this source.
        group: only lines of this log group.
        limit: most lines returned.

    Raises:
        LogQueryError: the query is empty or FTS5 cannot parse it.
    """
    if not query.strip():
        raise LogQueryError("empty search query")
    clauses = ["log_fts MATCH ?"]
    params: list[object] = [_OPEN, _CLOSE, query]
    if start is not None:
        clauses.append("l.ts >= ?")
        params.append(start)
    if end is not None:
        clauses.append("l.ts < ?")
        params.append(end)
    if source is not None:
        clauses.append("l.source = ?")
        params.append(source)
    if group is not None:
        clauses.append("l.log_group = ?")
        params.append(group)
    params.append(max(1, limit))
    sql = (
        "SELECT l.id, l.ts, l.source, l.log_group, l.stream, l.level, l.message, "
        "highlight(log_fts, 0, ?, ?) FROM log_fts JOIN log_lines AS l ON l.id = log_fts.rowid "
        f"WHERE {' AND '.join(clauses)} ORDER BY log_fts.rowid DESC LIMIT ?"
    )
    try:
        rows = conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        detail = " ".join(str(exc).split())
        if any(word in detail for word in _DATABASE_TROUBLE):
            raise
        raise LogQueryError(f"bad search query {inert(query)!r}: {inert(detail)}") from None
    matches = [
        LogMatch(row[0], row[1], row[2], row[3], row[4], row[5], row[6], _spans(row[7], row[6]))
        for row in rows
    ]
    matches.sort(key=lambda m: (m.ts, m.id), reverse=True)
    return matches


def format_line(match: LogMatch) -> str:
    """One plain, inert line: local time, level, source, group, stream and message."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(match.ts))
    level = (match.level or "-").upper()
    parts = (stamp, f"{level:<7}", match.source, match.group, match.stream, match.message)
    return "  ".join(inert(part) for part in parts)


def message_shape(message: str) -> str:
    """A message with its numbers, UUIDs and hex ids replaced by `#`, to group repeats."""
    return _VARYING.sub("#", message)


def level_counts(
    conn: sqlite3.Connection,
    *,
    level: str,
    start: float,
    end: float,
    scan: int = 100_000,
) -> tuple[int, list[tuple[str, int]]]:
    """Lines of one level in `[start, end)`: how many, and each distinct message's count.

    Messages are counted over the newest `scan` of those lines (all of them
    in any ordinary window); untrusted, as stored.
    """
    where = "level = ? AND ts >= ? AND ts < ?"
    (total,) = conn.execute(
        f"SELECT count(*) FROM log_lines WHERE {where}", (level, start, end)
    ).fetchone()
    rows = conn.execute(
        f"SELECT message, count(*) FROM (SELECT message FROM log_lines WHERE {where} "
        "ORDER BY ts DESC LIMIT ?) GROUP BY message",
        (level, start, end, scan),
    ).fetchall()
    return int(total), [(str(message), int(count)) for message, count in rows]


def newest_lines(
    conn: sqlite3.Connection, *, level: str, start: float, end: float, limit: int = 20
) -> list[LogMatch]:
    """The newest `limit` lines of one level in `[start, end)`, oldest first."""
    rows = conn.execute(
        "SELECT id, ts, source, log_group, stream, level, message FROM log_lines "
        "WHERE level = ? AND ts >= ? AND ts < ? ORDER BY ts DESC, id DESC LIMIT ?",
        (level, start, end, max(1, limit)),
    ).fetchall()
    return [
        LogMatch(row[0], row[1], row[2], row[3], row[4], row[5], row[6], ())
        for row in reversed(rows)
    ]

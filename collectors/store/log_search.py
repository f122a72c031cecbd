"""Search the cached log lines: FTS5 queries over the store's `log_lines` and `log_fts`.

Contract:

* `search` takes an FTS5 query (words, `"phrases"`, `prefix*`, `AND`/`OR`/
  `NOT`, `NEAR(...)`) over a trigram index, so a word matches inside longer
  words, case-insensitively (`timeout` finds `Net::ReadTimeout`); a word
  shorter than 3 characters cannot be looked up and is refused with a
  `LogQueryError` saying so. It also takes an optional time range, source and log group, and
  returns at most `limit` matching lines, newest first, each with the spans
  of the matched words. Lines are read in the order they were cached (newest
  rowid first) so a search of a million lines stops after `limit` matches;
  the returned page is then sorted by time. Lines cached out of order (a
  remote search of an older range) therefore show in that page, inside the
  time range asked for.
* `newest` is what an empty search shows: the newest lines of a time range
  (by time), with the same filters and no spans.
* `after_id` (both) reads only lines cached after a given line: a follow
  mode asks for what arrived since its last read, and FTS5 skips the rest.
* A query FTS5 cannot parse raises `LogQueryError` with one line.
* The connection is a plain, read-only `sqlite3` one: a search runs in a
  worker thread of the TUI or in the `wootwatch logs` command, never on the
  collectors' event loop, and never takes the writer's lock.
* `format_line` renders a match as one line of plain text with every
  control character and escape sequence made inert.
* `newest` reads a time range without a query (what an empty search and an
  export show), optionally of one level; `level_counts` counts how often
  each message of a level occurs. `message_shape` masks numbers and ids so
  that repeats of one message can be grouped.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from collectors.errors import ActionableError
from collectors.inert import inert
from collectors.store import db_file

__all__ = [
    "LogMatch",
    "LogQueryError",
    "format_line",
    "level_counts",
    "message_shape",
    "newest",
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


MIN_WORD: Final = 3
"""The trigram index finds words of at least this many characters."""
_OPERATORS: Final = frozenset({"AND", "OR", "NOT", "NEAR"})
_WORDS: Final = re.compile(r'"([^"]*)"|([^\s()"*^:+,]+)')
"""A query's phrases (group 1) and bare words (group 2)."""
_NEAR_DISTANCE: Final = re.compile(r",\s*\d+\s*\)")
"""The distance of `NEAR(a b, 5)`: a number, not a word."""


class LogQueryError(ActionableError):
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
    try:
        conn = db_file.connect_sync(db)
    except db_file.DatabaseFileError as exc:
        raise LogQueryError(str(exc)) from None
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


def _filters(
    start: float | None,
    end: float | None,
    source: str | None,
    group: str | None,
    after_id: int | None,
    level: str | None = None,
) -> tuple[list[str], list[object]]:
    """The WHERE clauses (on `log_lines AS l`) and parameters of the common filters."""
    candidates = (
        ("l.ts >= ?", start),
        ("l.ts < ?", end),
        ("l.source = ?", source),
        ("l.log_group = ?", group),
        ("l.id > ?", after_id),
        ("l.level = ?", level),
    )
    wanted = [(sql, value) for sql, value in candidates if value is not None]
    return [sql for sql, _ in wanted], [value for _, value in wanted]


def search(
    conn: sqlite3.Connection,
    query: str,
    *,
    start: float | None = None,
    end: float | None = None,
    source: str | None = None,
    group: str | None = None,
    after_id: int | None = None,
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
        after_id: only lines cached after the line of this id (a follow-up read).
        limit: most lines returned.

    Raises:
        LogQueryError: the query is empty or FTS5 cannot parse it.
    """
    if not query.strip():
        raise LogQueryError("empty search query")
    _check_words(query)
    clauses, params = _filters(start, end, source, group, after_id)
    if after_id is not None:  # lets FTS5 skip the older part of each word's list
        clauses.append("log_fts.rowid > ?")
        params.append(after_id)
    sql = (
        "SELECT l.id, l.ts, l.source, l.log_group, l.stream, l.level, l.message, "
        "highlight(log_fts, 0, ?, ?) FROM log_fts JOIN log_lines AS l ON l.id = log_fts.rowid "
        f"WHERE {' AND '.join(['log_fts MATCH ?', *clauses])} "
        "ORDER BY log_fts.rowid DESC LIMIT ?"
    )
    try:
        rows = conn.execute(sql, [_OPEN, _CLOSE, query, *params, max(1, limit)]).fetchall()
    except sqlite3.OperationalError as exc:
        detail = " ".join(str(exc).split())
        if any(word in detail for word in _DATABASE_TROUBLE):
            raise
        raise LogQueryError(f"bad search query {inert(query)!r}: {inert(detail)}") from None
    return _newest_first(
        LogMatch(row[0], row[1], row[2], row[3], row[4], row[5], row[6], _spans(row[7], row[6]))
        for row in rows
    )


def _check_words(query: str) -> None:
    """Refuse a word the trigram index cannot find, instead of finding nothing."""
    for phrase, word in _WORDS.findall(_NEAR_DISTANCE.sub(")", query)):
        term = (phrase or word).strip()
        if word not in _OPERATORS and len(term) < MIN_WORD:
            raise LogQueryError(
                f"search words need {MIN_WORD} characters or more: {inert(term)!r} is too short"
            )


def newest(
    conn: sqlite3.Connection,
    *,
    start: float | None = None,
    end: float | None = None,
    source: str | None = None,
    group: str | None = None,
    after_id: int | None = None,
    level: str | None = None,
    limit: int = 200,
) -> list[LogMatch]:
    """The newest cached lines of a time range (what an empty search shows), newest first.

    Takes the same filters as `search`, plus a `level` (an export's newest
    error lines); the lines carry no highlight spans.
    With `after_id` the lines are taken in the order they were cached, as
    `search` takes them; otherwise by time, so an old window reads its index range.
    """
    clauses, params = _filters(start, end, source, group, after_id, level)
    where = f"WHERE {' AND '.join(clauses)} " if clauses else ""
    order = "l.id DESC" if after_id is not None else "l.ts DESC, l.id DESC"
    sql = (
        "SELECT l.id, l.ts, l.source, l.log_group, l.stream, l.level, l.message "
        f"FROM log_lines AS l {where}ORDER BY {order} LIMIT ?"
    )
    rows = conn.execute(sql, [*params, max(1, limit)]).fetchall()
    return _newest_first(
        LogMatch(row[0], row[1], row[2], row[3], row[4], row[5], row[6], ()) for row in rows
    )


def _newest_first(matches: Iterable[LogMatch]) -> list[LogMatch]:
    return sorted(matches, key=lambda m: (m.ts, m.id), reverse=True)


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

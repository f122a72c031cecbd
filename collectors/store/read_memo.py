"""Reads answered from memory while the database has not changed: `ReadMemo`.

A screen refresh reads the same statements with the same parameters every
two seconds, and most of the time nothing was written in between (the
demo's sources poll every ten seconds). `ReadMemo` wraps the read
connections of a reader (the store's and the alert book's) so that, inside
a `reading()` window, a `SELECT` already answered since the database last
changed is answered again from memory, without a trip to aiosqlite's thread.

Contract:

* A statement's rows are a function of its text, its parameters and the
  database's content (no statement reads the clock: times are parameters).
  So a read whose parameters move with time (a window ending now, a slot
  that slides) is read again when they move, and one that does not move is
  not: nothing time-driven is frozen.
* "Not changed" is SQLite's `PRAGMA data_version` on the reader's own
  connection, checked once when a window opens (inside the window, asking
  it again gets that answer, with no trip): it moves whenever another
  connection (the collectors' writer, in this process or another, or the
  alert book's own connection) commits. A statement on a wrapped connection
  that may write (an ack's `BEGIN`, `INSERT`, `COMMIT`) forgets everything
  at once, so a read after it, in the same window, is fresh.
* Outside a window every call goes to the database as before (a dialog, an
  export, a write's own reads). A window keeps only what it used: the memo
  never holds more than one refresh's reads.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterable
from typing import Any, Final

import aiosqlite

__all__ = ["ReadMemo"]

_VERSION: Final = "PRAGMA DATA_VERSION"
"""Inside a window, answered with the version the window opened on (no trip)."""

_READS: Final = ("SELECT", "WITH")
"""How the statements that only read begin (a `PRAGMA` is never remembered)."""

_Key = tuple[int, str, tuple[Any, ...]]


class ReadMemo:
    """Remembers the rows of reads on some connections until the database changes.

    Args:
        versioned: the connection whose `PRAGMA data_version` tells whether
            the database changed (a read connection that never writes).
    """

    def __init__(self, versioned: aiosqlite.Connection) -> None:
        self._versioned = versioned
        self._fetch = versioned.execute_fetchall
        self._version: int | None = None
        self._version_row: sqlite3.Row | None = None
        self._rows: dict[_Key, list[sqlite3.Row]] = {}
        self._used: set[_Key] = set()
        self._depth = 0
        self._generation = 0
        self.reads = 0
        """Reads that went to the database inside a window (what a refresh cost)."""

    def attach(self, conn: aiosqlite.Connection) -> None:
        """Answer `conn`'s repeated reads from memory inside `reading()` windows."""
        fetch = conn.execute_fetchall

        async def execute_fetchall(
            sql: str, parameters: Iterable[Any] | None = None
        ) -> Iterable[sqlite3.Row]:
            if _writes(sql):
                self.forget()
            row = self._version_row if self._depth else None  # what the window opened on
            if conn is self._versioned and row is not None and sql.strip().upper() == _VERSION:
                return [row]
            key = self._key(conn, sql, parameters)
            if key is not None and key in self._rows:
                self._used.add(key)
                return list(self._rows[key])
            if self._depth:
                self.reads += 1
            if key is None:
                return await fetch(sql, parameters)
            generation = self._generation
            rows = list(await fetch(sql, parameters))
            if generation == self._generation:  # nothing was forgotten meanwhile
                self._rows[key] = rows
                self._used.add(key)
            return list(rows)

        # Instance attributes shadow the methods: every caller of this connection
        # (the store's reads, the book's) goes through the memo, none changes.
        setattr(conn, "execute_fetchall", execute_fetchall)  # noqa: B010
        for name in ("execute", "execute_insert", "executemany", "executescript"):
            setattr(conn, name, self._forgetting(getattr(conn, name)))

    def _forgetting(self, run: Any) -> Any:
        """`run` (a statement method), forgetting everything first unless it only reads."""

        def call(sql: str, *args: Any) -> Any:
            if _writes(sql):
                self.forget()
            return run(sql, *args)

        return call

    def forget(self) -> None:
        """Drop every remembered read (the next ones go to the database)."""
        self._rows.clear()
        self._used.clear()
        self._version = None
        self._version_row = None
        self._generation += 1

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[None]:
        """A window in which repeated reads are answered from memory (windows may nest).

        Opening the outermost window checks `PRAGMA data_version` (one trip);
        closing it drops what the window did not use.
        """
        if self._depth == 0:
            (row,) = await self._fetch(_VERSION)
            if row[0] != self._version:
                self.forget()
                self._version = row[0]
            self._version_row = row
            self._used = set()
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._rows = {key: self._rows[key] for key in self._used if key in self._rows}

    def _key(
        self, conn: aiosqlite.Connection, sql: str, parameters: Iterable[Any] | None
    ) -> _Key | None:
        """The memo's key for a read inside a window; None for anything else."""
        if self._depth == 0 or self._version is None or not _is_read(sql):
            return None
        if parameters is not None and not isinstance(parameters, list | tuple):
            return None  # named parameters (a mapping): not worth a key
        return id(conn), sql, tuple(parameters or ())


def _is_read(sql: str) -> bool:
    return sql.lstrip()[:6].upper().startswith(_READS)


def _writes(sql: str) -> bool:
    """Whether a statement may change what a read answers (a `PRAGMA` never does)."""
    return not _is_read(sql) and not sql.lstrip()[:6].upper().startswith("PRAGMA")

"""Opening a wootwatch database file: one URI, one identity check, one-line reasons.

Every connection to a database (the store's writer and readers, the alert
book, the log search) is opened here, so that:

* **The path is escaped once.** SQLite reads `file:` URIs: a `#`, `?` or `%`
  in a directory name would otherwise cut the path short or change it
  (`inc#2/ww.db` opened `inc`). `uri` percent-encodes the whole path.
* **Only our files are touched.** Before anything is written, the file's
  `application_id`, `user_version` and table names are read: a file another
  application made (a foreign `application_id`, or tables wootwatch never
  creates), a schema newer than this wootwatch's, or a file that claims our
  schema without its tables is refused and never altered. An empty file is
  a new database for the writer; readers need one the writer has created.
  Files made before wootwatch set `APPLICATION_ID` (0 there) are accepted
  when every table in them is ours; the writer then stamps them.
* **Problems are one line** naming the file and what is wrong: a
  directory, a missing or unreadable file, a read-only file, directory or
  filesystem, not a database, not ours, a newer schema. `DatabaseFileError`
  carries that line; the store, the alert book and the log search re-raise
  it as their own error type.
* **Nothing leaks.** A connection whose checks fail is closed before the
  error is raised (an aiosqlite thread left running prints "Event loop is
  closed" tracebacks when the process exits).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Final, Literal

import aiosqlite

from collectors.store.schema import MIGRATIONS, SCHEMA_VERSION

__all__ = [
    "APPLICATION_ID",
    "DatabaseFileError",
    "Mode",
    "check_identity",
    "connect",
    "connect_sync",
    "describe_failure",
    "our_tables",
    "uri",
]

APPLICATION_ID: Final = 0x776F6F74
"""`PRAGMA application_id` of a wootwatch database: "woot" in ASCII."""

Mode = Literal["ro", "rw", "rwc"]
"""SQLite's URI modes: read-only, read-write, read-write-create (the store's writer)."""

_IDENTITY_SQL: Final = (
    "SELECT (SELECT application_id FROM pragma_application_id()), "
    "(SELECT user_version FROM pragma_user_version()), "
    "(SELECT group_concat(name, char(31)) FROM sqlite_schema "
    "WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\')"
)
"""One query for what `check_identity` needs (SQLite's own tables left out)."""
_SEPARATOR: Final = "\x1f"
_NAMED_TABLES: Final = 3
"""Tables named in a refusal; the rest are counted."""


class DatabaseFileError(Exception):
    """A database file that cannot be used, with one line naming it and why."""


def uri(path: Path, mode: Mode) -> str:
    """The SQLite URI of a database file, its path percent-encoded (`#`, `?`, `%`, spaces)."""
    return f"{path.resolve().as_uri()}?mode={mode}"


@cache
def our_tables(version: int = SCHEMA_VERSION) -> frozenset[str]:
    """Every table the schema of `version` creates (FTS5's shadow tables included)."""
    conn = sqlite3.connect(":memory:")
    try:
        for script in MIGRATIONS[:version]:
            conn.executescript(script)
        rows = conn.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
            "ESCAPE '\\'"
        ).fetchall()
    finally:
        conn.close()
    return frozenset(name for (name,) in rows)


def _read_only_place(path: Path) -> str | None:
    """Why nothing can be written beside `path`, or None when it can."""
    directory = path.parent
    with contextlib.suppress(OSError):
        if os.statvfs(directory).f_flag & os.ST_RDONLY:
            return "it is on a read-only filesystem"
    if not os.access(directory, os.W_OK | os.X_OK):
        return (
            f"its directory {directory} is read-only "
            "(SQLite writes a -wal and a -shm file beside the database)"
        )
    if path.exists() and not os.access(path, os.W_OK):
        return "the file is read-only"
    return None


def _precheck(path: Path, mode: Mode) -> None:
    """Refuse what SQLite would report badly (a directory as "disk I/O error")."""
    if path.is_dir():
        raise DatabaseFileError(f"{path}: is a directory, not a database file")
    if not path.exists():
        if mode != "rwc":
            raise DatabaseFileError(f"{path}: no such database")
        if not path.parent.is_dir():
            raise DatabaseFileError(f"{path}: no such directory {path.parent}")
    elif not os.access(path, os.R_OK):
        raise DatabaseFileError(f"{path}: cannot read it (permission denied)")
    if mode != "ro":
        reason = _read_only_place(path)
        if reason is not None:
            raise DatabaseFileError(f"{path}: cannot write it: {reason}")


def describe_failure(path: Path, exc: BaseException, *, writing: bool = False) -> str:
    """One line naming the file and why SQLite (or the OS) refused it."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if path.is_dir():
        return f"{path}: is a directory, not a database file"
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in text:
        return f"{path}: not a database (not an SQLite file)"
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        reason = _read_only_place(path)
        if reason is not None:
            return f"{path}: cannot {'write' if writing else 'open'} it: {reason}"
    if "disk is full" in text:
        return f"{path}: the disk is full ({text})"
    return f"{path}: {text}"


def check_identity(
    path: Path, application_id: int, version: int, tables: Iterable[str], *, writer: bool
) -> None:
    """Refuse a file that is not a wootwatch database this version may use.

    Args:
        path: the file (named in the message).
        application_id: its `PRAGMA application_id`.
        version: its `PRAGMA user_version`.
        tables: its table names, SQLite's own left out.
        writer: True for the store's writer, which may create the schema in
            an empty file and upgrade an older one.

    Raises:
        DatabaseFileError: another application's file, a newer schema, an
            empty or older file for a reader, or our version number without
            our tables.
    """
    present = set(tables)
    if application_id not in (0, APPLICATION_ID):
        raise DatabaseFileError(
            f"{path}: not a wootwatch database (another application's SQLite file, "
            f"application_id {application_id:#x}); nothing was changed"
        )
    if version > SCHEMA_VERSION:
        raise DatabaseFileError(
            f"{path}: made by a newer wootwatch (schema {version}, this one knows "
            f"{SCHEMA_VERSION}); upgrade wootwatch"
        )
    foreign = sorted(present - our_tables())
    if foreign:
        named = ", ".join(foreign[:_NAMED_TABLES])
        more = f" and {len(foreign) - _NAMED_TABLES} more" if len(foreign) > _NAMED_TABLES else ""
        raise DatabaseFileError(
            f"{path}: not a wootwatch database (it has tables wootwatch does not make: "
            f"{named}{more}); nothing was changed"
        )
    if version == 0:
        if present or not writer:
            raise DatabaseFileError(
                f"{path}: not a wootwatch database yet (start `wootwatch collect` on it)"
                if not present
                else f"{path}: not a wootwatch database (no schema version); nothing was changed"
            )
        return
    if not our_tables(version) <= present:  # a migration would fail half-way
        missing = sorted(our_tables(version) - present)
        raise DatabaseFileError(
            f"{path}: not a wootwatch database (schema {version} without its tables, "
            f"e.g. {missing[0]}); nothing was changed"
        )
    if version < SCHEMA_VERSION and not writer:
        raise DatabaseFileError(
            f"{path}: an older wootwatch database (start `wootwatch collect` on it to upgrade)"
        )


def _identity(path: Path, row: tuple[int, int, str | None] | None, *, writer: bool) -> None:
    application_id, version, names = row or (0, 0, None)
    tables = names.split(_SEPARATOR) if names else []
    check_identity(path, int(application_id), int(version), tables, writer=writer)


async def connect(path: Path, *, mode: Mode, busy_timeout_ms: int = 10_000) -> aiosqlite.Connection:
    """An aiosqlite connection (autocommit) to a wootwatch database, checked first.

    `mode="rwc"` is the store's writer: it may create the file and accepts an
    empty one. The caller sets its own PRAGMAs after this returns.

    Raises:
        DatabaseFileError: see the module docstring.
    """
    _precheck(path, mode)
    try:
        conn = await _daemon(aiosqlite.connect(uri(path, mode), uri=True, isolation_level=None))
    except (OSError, sqlite3.Error) as exc:
        raise DatabaseFileError(describe_failure(path, exc, writing=mode != "ro")) from None
    try:
        await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        rows = await conn.execute_fetchall(_IDENTITY_SQL)
        _identity(path, next(iter(rows), None), writer=mode == "rwc")  # type: ignore[arg-type]
    except BaseException as exc:
        await conn.close()
        if isinstance(exc, OSError | sqlite3.Error):
            raise DatabaseFileError(describe_failure(path, exc, writing=mode != "ro")) from None
        raise
    return conn


def _daemon(conn: aiosqlite.Connection) -> aiosqlite.Connection:
    """`conn` (not yet started) with a worker thread that cannot hold the process open.

    Since aiosqlite 0.22 the thread is not a daemon: it stops when the
    connection is closed or garbage-collected. After `execute_fetchall` (or
    `execute_insert`) the thread's last job is a method of the connection, which
    the idle thread keeps referenced, so an unclosed connection is never
    collected and the process hangs at exit instead of ending. Connections are
    closed on every path we know of; this keeps one we missed from hanging.
    """
    thread = getattr(conn, "_thread", None)
    if isinstance(thread, threading.Thread) and thread.ident is None:
        thread.daemon = True
    return conn


def connect_sync(path: Path, *, busy_timeout_ms: int = 5000) -> sqlite3.Connection:
    """A plain read-only `sqlite3` connection (usable from any thread), checked first.

    Raises:
        DatabaseFileError: see the module docstring.
    """
    _precheck(path, "ro")
    try:
        conn = sqlite3.connect(uri(path, "ro"), uri=True, check_same_thread=False)
    except sqlite3.Error as exc:
        raise DatabaseFileError(describe_failure(path, exc)) from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        _identity(path, conn.execute(_IDENTITY_SQL).fetchone(), writer=False)
    except BaseException as exc:
        conn.close()
        if isinstance(exc, sqlite3.Error):
            raise DatabaseFileError(describe_failure(path, exc)) from None
        raise
    return conn

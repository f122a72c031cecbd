"""One-trip queries: the first row or the single number of a statement.

`aiosqlite` runs each call in its own thread; a cursor costs three trips to it,
`execute_fetchall` one. Every part of the store reads single rows through here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import aiosqlite

__all__ = ["first_row", "scalar"]


async def first_row(
    conn: aiosqlite.Connection, sql: str, params: Sequence[object] = ()
) -> sqlite3.Row | None:
    """The first row of a query, in one trip to aiosqlite's thread."""
    rows = await conn.execute_fetchall(sql, params)
    return next(iter(rows), None)


async def scalar(conn: aiosqlite.Connection, sql: str, params: Sequence[object] = ()) -> int:
    """The first column of the first row as an int; 0 for no row or NULL."""
    row = await first_row(conn, sql, params)
    return int(row[0]) if row and row[0] is not None else 0

"""Bring a DataTable up to date with rows by key, touching only the cells that changed.

A refresh that finds the same rows (the same keys, in the same order) updates
changed cells in place, so the table neither flickers nor sends a whole
redraw to the terminal. Rows that come, go or move rebuild the table, and the
cursor stays on the row it was on when that row is still there.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

__all__ = ["Row", "sync_rows"]

Row = tuple[str, tuple[Text, ...]]
"""A row's key and its cells (Text, never markup: cells may hold untrusted names)."""


def sync_rows(table: DataTable[Text], rows: Sequence[Row]) -> None:
    """Make `table` show `rows`: cell updates for the same keys, else a rebuild."""
    keys = [key for key, _ in rows]
    current = [str(row_key.value) for row_key in table.rows]
    if keys == current:
        columns = list(table.columns)
        for key, cells in rows:
            for column, cell in zip(columns, cells, strict=True):
                if table.get_cell(key, column) != cell:
                    table.update_cell(key, column, cell)
        return
    cursor_key = current[table.cursor_row] if 0 <= table.cursor_row < len(current) else None
    table.clear()
    for key, cells in rows:
        table.add_row(*cells, key=key)
    if cursor_key in keys:
        table.move_cursor(row=keys.index(cursor_key), animate=False)

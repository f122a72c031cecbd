from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from tui.table_sync import Row, sync_rows


class _Harness(App[None]):
    def compose(self) -> ComposeResult:
        table: DataTable[Text] = DataTable(cursor_type="row")
        table.add_columns("name", "n")
        yield table


def _rows(*pairs: tuple[str, str]) -> list[Row]:
    return [(name, (Text(name), Text(n))) for name, n in pairs]


def _shown(table: DataTable[Text]) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_same_rows_update_in_place_and_the_cursor_keeps_its_row() -> None:
    app = _Harness()
    async with app.run_test() as pilot:
        table = app.query_one(DataTable)
        sync_rows(table, _rows(("a", "1"), ("b", "2"), ("c", "3")))
        table.move_cursor(row=1)
        await pilot.pause()
        row_b = table.get_row_at(1)
        sync_rows(table, _rows(("a", "1"), ("b", "5"), ("c", "3")))
        await pilot.pause()
        assert _shown(table) == [["a", "1"], ["b", "5"], ["c", "3"]]
        assert table.cursor_row == 1 and table.get_row_at(1) is not row_b
        sync_rows(table, _rows(("new", "9"), ("a", "1"), ("b", "5"), ("c", "3")))
        await pilot.pause()
        assert _shown(table)[0] == ["new", "9"]
        assert table.cursor_row == 2  # still on b
        sync_rows(table, _rows(("a", "1")))
        await pilot.pause()
        assert _shown(table) == [["a", "1"]] and table.cursor_row == 0

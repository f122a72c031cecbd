from __future__ import annotations

from typing import Any

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.dom import DOMNode
from textual.widgets import DataTable

from widgets.keyed_table import KeyedTable, Row


class _Harness(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyedTable(("name", "count"))


def _plain(table: KeyedTable) -> list[list[str]]:
    return [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_the_cursor_stays_on_its_row_when_rows_come_and_go() -> None:
    app = _Harness()
    async with app.run_test() as pilot:
        table = app.query_one(KeyedTable)
        rows: list[Row] = [("a", ("alpha", "1")), ("b", ("beta", "2"))]
        table.show(rows)
        await pilot.press("down")
        assert table.cursor_key == "b"
        table.show([("b", ("beta", "3"))])  # same key, new count: updated in place
        assert table.cursor_key == "b" and _plain(table) == [["beta", "3"]]
        table.show([("z", ("zeta", "0")), ("a", ("alpha", "1")), ("b", ("beta", "3"))])
        await pilot.pause()
        assert table.cursor_key == "b" and table.cursor_row == 2
        assert _plain(table)[0] == ["zeta", "0"]


async def test_cells_are_inert_text_never_markup() -> None:
    app = _Harness()
    async with app.run_test() as pilot:
        table = app.query_one(KeyedTable)
        styled = Text("\x1b[2Jok", style="bold")
        table.show([("x", ("[bold red]x[/] \x1b]52;c;aGk=\x07", styled))])
        await pilot.pause()
        name, count = table.get_row("x")
        assert name.plain == "[bold red]x[/] ␛]52;c;aGk=␇"
        assert count.plain == "␛[2Jok" and count.style == "bold"


class _Fixed(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyedTable(("name", "count"), widths=(4, None))


async def test_a_fixed_width_column_keeps_its_width_when_a_cell_is_longer() -> None:
    app = _Fixed()
    async with app.run_test() as pilot:
        table = app.query_one(KeyedTable)
        table.show([("a", ("alpha", "1"))])
        table.show([("a", ("a much longer name", "12345678"))])
        await pilot.pause()
        name, count = table.columns.values()
        assert (name.auto_width, name.width) == (False, 4)
        assert count.auto_width and count.content_width == len("12345678")


class _Narrow(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyedTable(("inbox", "state"), widths=(8, None))


async def test_a_name_wider_than_its_fixed_column_is_cut_with_an_ellipsis() -> None:
    """Issue 16: `Support emai` was cut bare, so it read as a whole name."""
    app = _Narrow()
    async with app.run_test():
        table = app.query_one(KeyedTable)
        table.show([("x", ("Support email", "✖ still waiting")), ("y", ("Web", "ok"))])
        assert _plain(table) == [["Support…", "✖ still waiting"], ["Web", "ok"]]


async def test_a_refresh_changing_every_row_keeps_the_cursor_and_shows_the_new_cells() -> None:
    """A window switch changes every figure of a 150-row table: rebuilt, the cursor kept."""
    app = _Harness()
    async with app.run_test() as pilot:
        table = app.query_one(KeyedTable)
        table.show([(str(i), (f"series {i}", "1000000")) for i in range(40)])
        await pilot.press("down", "down", "down")
        table.show([(str(i), (f"series {i}", str(i))) for i in range(40)])
        await pilot.pause()
        assert table.cursor_key == "3"
        assert _plain(table)[:2] == [["series 0", "0"], ["series 1", "1"]]
        assert table.columns["count"].content_width == len("count")  # the title, not 1000000


async def test_a_cell_cut_to_its_column_leaves_the_callers_text_whole() -> None:
    app = _Narrow()
    async with app.run_test():
        table = app.query_one(KeyedTable)
        name = Text("Support email", style="bold")
        table.show([("x", (name, "ok"))])
        assert _plain(table) == [["Support…", "ok"]]
        assert name.plain == "Support email"


async def test_a_column_narrows_and_widens_with_its_cells_when_every_figure_changes() -> None:
    app = _Harness()
    async with app.run_test() as pilot:
        table = app.query_one(KeyedTable)
        keys = [str(i) for i in range(200)]
        table.show([(k, (f"series {k}", "1")) for k in keys])
        await pilot.pause()
        table.show([(k, (f"series {k}", "123456789")) for k in keys])
        await pilot.pause()
        assert table.columns["count"].content_width == len("123456789")
        assert table.virtual_size.width == sum(
            c.get_render_width(table) for c in table.columns.values()
        )
        table.show([(k, (f"series {k}", "12")) for k in keys])
        await pilot.pause()
        assert table.columns["count"].content_width == len("count")
        assert _plain(table)[199] == ["series 199", "12"]


def _figures(n: int, value: str) -> list[Row]:
    return [(str(i), (f"series {i}", Text(value, justify="right"))) for i in range(n)]


def _lines(table: KeyedTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


async def test_an_equal_cell_is_not_written_again_and_a_changed_one_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A refresh writes only the figures that changed, and asks for one repaint, not one each."""
    app = _Harness()
    async with app.run_test() as pilot:
        table = app.query_one(KeyedTable)
        table.show(_figures(40, "7"))
        await pilot.pause()
        repaints = 0
        repaint = table.refresh

        def counted(*args: Any, **kwargs: Any) -> Any:
            nonlocal repaints
            repaints += 1
            return repaint(*args, **kwargs)

        monkeypatch.setattr(table, "refresh", counted)
        written = table.cells_written
        rows = _figures(40, "7")
        rows[3] = ("3", ("series 3", Text("8", justify="right")))
        rows[9] = ("9", ("series 9", Text("9", justify="right")))
        table.show(rows)
        assert table.cells_written - written == 2
        assert repaints == 1
        assert [c.plain for c in table.get_row("3")] == ["series 3", "8"]
        await pilot.pause()
        assert "8" in _lines(table)[4]  # the header, then rows 0-3


async def test_cells_shown_again_are_not_drawn_again_and_draw_as_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A window switched back to hands the table the cells it drew: none is drawn anew."""
    drawn: list[tuple[int, int]] = []
    draw = KeyedTable._one_line

    def counted(self: KeyedTable, cell: Text, key: Any, place: tuple[int, int], *a: Any) -> Any:
        drawn.append(place)
        return draw(self, cell, key, place, *a)

    monkeypatch.setattr(KeyedTable, "_one_line", counted)
    app = _Harness()
    async with app.run_test() as pilot:
        table = app.query_one(KeyedTable)
        hour, day = _figures(40, "1.2s"), _figures(40, "880ms")
        table.show(hour)
        await pilot.pause()
        first = _lines(table)
        table.show(day)
        await pilot.pause()
        assert _lines(table) != first
        drawn.clear()
        table.show(hour)
        await pilot.pause()
        assert _lines(table) == first
        assert drawn == []
        table.show(_figures(40, "1.3s"))  # new figures are drawn
        await pilot.pause()
        assert drawn and "1.3s" in _lines(table)[1]


async def test_a_wider_column_that_still_fits_redraws_the_table_without_a_layout() -> None:
    """`w` to a window with longer counts: one frame of the table, not a layout and a second."""
    app = _Harness()
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(KeyedTable)
        table.show(_figures(40, "1"))
        await pilot.pause()
        table.show(_figures(40, "123456789"))
        assert not table._layout_required  # the table asks for no layout of the screen
        await pilot.pause()
        assert table.virtual_size.width == sum(
            c.get_render_width(table) for c in table.columns.values()
        )
        assert "123456789" in _lines(table)[1]


async def test_rows_wider_than_the_table_still_lay_it_out_to_scroll_across() -> None:
    app = _Harness()
    async with app.run_test(size=(30, 20)) as pilot:
        table = app.query_one(KeyedTable)
        table.show(_figures(40, "1"))
        await pilot.pause()
        assert not table.show_horizontal_scrollbar
        table.show(_figures(40, "1234567890123456789"))
        assert table._layout_required
        await pilot.pause()
        assert table.show_horizontal_scrollbar


class _Assorted(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyedTable(("name", "n", "state", "note"), widths=(9, None, None, 6))


def _assorted() -> list[Row]:
    styled = Text("a ", style="bold")
    styled.append("b", "red")
    return [
        ("1", ("plain name", Text("12", justify="right"), "ok", "x")),
        ("2", ("控制\x1b台", Text("3.4s", justify="left", style="italic"), styled, "⚠ long note")),
        ("3", (Text("mid", justify="center"), Text("1 ", justify="right"), "", "\ttab")),
        ("4", ("🚨 fire", Text("880ms", justify="right", style="red on blue"), "✖", "")),
    ]


def _drawn(table: KeyedTable) -> list[list[Any]]:
    return [list(table.render_line(y)) for y in range(table.size.height)]


async def test_cells_drawn_straight_from_their_text_draw_as_rich_draws_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 18: the short way to draw a cell gives Rich's segments, styles and meta, exactly."""
    app = _Assorted()
    async with app.run_test(size=(60, 8)) as pilot:
        table = app.query_one(KeyedTable)
        table.show(_assorted())
        await pilot.press("down")
        await pilot.hover(KeyedTable, offset=(3, 3))
        await pilot.pause()
        short = _drawn(table)
        monkeypatch.setattr(KeyedTable, "_one_line", lambda *args: None)
        table._clear_caches()
        assert _drawn(table) == short


async def test_a_table_of_new_figures_draws_no_cell_the_general_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 18: `[` on the latency screen gives 200 rows of new figures; each cell on view
    is drawn from its text, not measured, wrapped and cropped through Rich (a tenth of it)."""
    general: list[tuple[int, int]] = []
    draw = DataTable._render_cell

    def counted(self: DataTable[Any], row: int, column: int, *args: Any, **kw: Any) -> Any:
        if row >= 0:
            general.append((row, column))
        return draw(self, row, column, *args, **kw)

    monkeypatch.setattr(DataTable, "_render_cell", counted)
    app = _Harness()
    async with app.run_test(size=(60, 16)) as pilot:
        table = app.query_one(KeyedTable)
        table.show(_figures(200, "1.2s"))
        await pilot.pause()
        table.show(_figures(200, "1.3s"))
        await pilot.pause()
        assert "1.3s" in _lines(table)[1]
        assert general == []


_STYLED_NODES = {
    "table": lambda table: table,
    "header": lambda table: table.get_component_styles("datatable--header").node,
}
"""Whose style a draw looks up: the table's own, its header's component."""


@pytest.mark.parametrize("whose", list(_STYLED_NODES))
async def test_drawing_the_lines_on_view_walks_the_dom_once_for_each_style(
    monkeypatch: pytest.MonkeyPatch, whose: str
) -> None:
    """Issues 16 and 18: each `w` or `[` draws the table's lines; DataTable looked its style
    (14 walks for the same answer) and its header's (a walk from the header's node for each
    row drawn) up the DOM on every line, now once a draw each, and the lines are the same."""
    app = _Harness()
    async with app.run_test(size=(60, 16)) as pilot:
        table = app.query_one(KeyedTable)
        table.show(_figures(200, "1.2s"))
        await pilot.pause()
        table.show(_figures(200, "1.3s"))
        node = _STYLED_NODES[whose](table)
        walks: list[object] = []
        style = DOMNode.rich_style.fget
        assert style is not None

        def counted(looked_up: DOMNode) -> Any:
            if looked_up is node:
                walks.append(looked_up)
            return style(looked_up)

        monkeypatch.setattr(DOMNode, "rich_style", property(counted))
        table._clear_caches()
        table._styles_cache.clear()
        drawn = table.render_lines(table.region.reset_offset)
        assert len(drawn) == table.size.height and len(walks) == 1
        table._clear_caches()
        assert [list(line) for line in drawn] == _drawn(table)  # each line drawn alone
        assert "1.3s" in _lines(table)[1]

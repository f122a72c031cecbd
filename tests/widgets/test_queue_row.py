from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from widgets.queue_row import QueueHeader, QueueLine, QueueRow
from widgets.reading_cell import Reading, ReadingCell

_HOSTILE = "q\x1b[2J[link=https://evil]x[/link]"


class _Harness(App[None]):
    def compose(self) -> ComposeResult:
        yield QueueHeader("queue", "depth", "wait", "flight·delay")
        yield QueueRow(QueueLine(_HOSTILE, Reading("3"), Reading("1s"), "0 · 0"))


async def test_a_row_updates_in_place_and_shows_its_name_inert() -> None:
    app = _Harness()
    async with app.run_test(size=(100, 4)) as pilot:
        row = app.query_one(QueueRow)
        name = str(row.query_one(".queue-row--name", Static).render())
        assert name == "q␛[2J[link=https://evil]x[/link]"
        depth = row.query_one(".queue-row--depth", ReadingCell)
        deep = Reading("120", (1.0, 120.0), "error", "✖ deep")
        row.line = QueueLine(_HOSTILE, deep, Reading("1s"))
        await pilot.pause()
        assert depth is row.query_one(".queue-row--depth", ReadingCell)  # not remounted
        assert depth.reading.mark == "✖ deep"
        assert not row.query_one(".queue-row--detail", Static).display  # no detail column now


async def test_the_header_lines_up_with_the_rows() -> None:
    app = _Harness()
    async with app.run_test(size=(100, 4)) as pilot:
        await pilot.pause()
        header = app.query_one(QueueHeader)
        row = app.query_one(QueueRow)
        titles = list(header.query(Static))
        assert titles[1].region.x == row.query_one(".queue-row--depth").region.x
        assert titles[2].region.x == row.query_one(".queue-row--wait").region.x
        assert titles[3].region.right == row.query_one(".queue-row--detail").region.right


async def test_a_long_name_is_cut_with_an_ellipsis() -> None:
    """Issue 16: `chatwoot-webhook[s]` read as another queue; a cut name says it is cut."""
    app = _Harness()
    async with app.run_test(size=(100, 4)) as pilot:
        row = app.query_one(QueueRow)
        row.line = QueueLine("chatwoot-webhooks-dead-letter", Reading("3"), Reading("1s"))
        await pilot.pause()
        shown = row.query_one(".queue-row--name", Static).render_line(0).text
        assert shown == "chatwoot-webhoo…"

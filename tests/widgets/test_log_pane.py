from __future__ import annotations

import time

from textual.app import App, ComposeResult
from textual.strip import Strip

from widgets.log_pane import LogLine, LogPane

T0 = 1_800_000_000.0


def _line(n: int, message: str | None = None, **kw: object) -> LogLine:
    fields: dict[str, object] = {"level": "info", "source": "web-logs", "spans": ()}
    fields.update(kw)
    return LogLine(T0 + n, message=message or f"line {n}", **fields)  # type: ignore[arg-type]


def _text(strip: Strip) -> str:
    return "".join(segment.text for segment in strip).rstrip()


class _Harness(App[None]):
    def __init__(self, *, max_lines: int | None = 10_000) -> None:
        super().__init__()
        self.max_lines = max_lines
        self.pauses: list[bool] = []

    def compose(self) -> ComposeResult:
        yield LogPane(max_lines=self.max_lines)

    def on_log_pane_follow_paused(self, event: LogPane.FollowPaused) -> None:
        self.pauses.append(event.paused)


async def test_a_row_shows_time_level_word_source_and_message() -> None:
    app = _Harness()
    async with app.run_test(size=(100, 5)) as pilot:
        pane = app.query_one(LogPane)
        pane.set_lines([_line(1, "boom", level="error"), _line(2, "meh", level="")])
        await pilot.pause()
        stamp = time.strftime("%H:%M:%S", time.localtime(T0 + 1))
        first = _text(pane.render_line(0))
        assert first.startswith(f"{stamp}  ◆ ERROR  web-logs  boom")
        assert "  -      web-logs  meh" in _text(pane.render_line(1))
        assert _text(pane.render_line(2)) == ""


async def test_matches_are_drawn_in_the_match_style() -> None:
    app = _Harness()
    async with app.run_test(size=(80, 3)) as pilot:
        pane = app.query_one(LogPane)
        pane.set_lines([_line(1, "statement timeout in web", spans=((10, 17),))])
        await pilot.pause()
        match = pane.get_component_rich_style("log-pane--match")
        styled = [
            seg.text
            for seg in pane.render_line(0)
            if seg.style is not None and seg.style.bgcolor == match.bgcolor
        ]
        assert styled == ["timeout"]


async def test_hostile_messages_are_inert_and_markup_shows_as_typed() -> None:
    app = _Harness()
    async with app.run_test(size=(120, 3)) as pilot:
        pane = app.query_one(LogPane)
        hostile = "\x1b[2J \x1b]52;c;aGk=\x07 [link=https://evil]x[/link] [bold red]hi"
        pane.set_lines([_line(1, hostile, source="\x1b[31mweb")])
        await pilot.pause()
        row = pane.render_line(0)
        text = _text(row)
        assert "\x1b" not in text and "\x07" not in text
        assert "␛[2J ␛]52;c;aGk=␇ [link=https://evil]x[/link] [bold red]hi" in text
        assert "␛[31mweb" in text
        assert all(seg.style is None or seg.style.link is None for seg in row)


async def test_max_lines_keeps_the_newest_lines() -> None:
    app = _Harness(max_lines=5)
    async with app.run_test(size=(60, 10)) as pilot:
        pane = app.query_one(LogPane)
        pane.set_lines(_line(n) for n in range(3))
        await pilot.pause()
        assert _text(pane.render_line(0)).find("line 0") > 0  # cached before the trim
        pane.append(_line(n) for n in range(3, 9))
        await pilot.pause()
        assert [line.message for line in pane.lines] == [f"line {n}" for n in range(4, 9)]
        rows = [_text(pane.render_line(y)) for y in range(6)]
        assert [row.split("  ")[-1] for row in rows[:5]] == [f"line {n}" for n in range(4, 9)]
        assert rows[5] == ""
        assert pane.virtual_size.height == 5


async def test_follow_keeps_the_newest_in_view_until_scrolled_up() -> None:
    app = _Harness()
    async with app.run_test(size=(60, 6)) as pilot:
        pane = app.query_one(LogPane)
        pane.set_lines(_line(n) for n in range(20))
        await pilot.pause()
        assert _text(pane.render_line(pane.size.height - 1)).endswith("line 19")
        pane.append([_line(20)])
        await pilot.pause()
        assert _text(pane.render_line(pane.size.height - 1)).endswith("line 20")

        pane.focus()
        await pilot.press("up", "up")
        await pilot.pause()
        assert pane.paused and app.pauses == [True]
        top = _text(pane.render_line(0))
        pane.append([_line(21)])
        await pilot.pause()
        assert _text(pane.render_line(0)) == top  # what is being read stays put

        await pilot.press("end")
        await pilot.pause()
        assert not pane.paused and app.pauses == [True, False]
        assert _text(pane.render_line(pane.size.height - 1)).endswith("line 21")


async def test_without_follow_new_lines_wait_below() -> None:
    app = _Harness()
    async with app.run_test(size=(60, 6)) as pilot:
        pane = app.query_one(LogPane)
        pane.follow = False
        pane.set_lines(_line(n) for n in range(20))
        await pilot.pause()
        bottom = _text(pane.render_line(pane.size.height - 1))
        pane.append([_line(20)])
        await pilot.pause()
        assert _text(pane.render_line(pane.size.height - 1)) == bottom
        assert not pane.paused and app.pauses == []


async def test_a_line_longer_than_the_pane_ends_in_an_ellipsis_until_scrolled_to_its_end() -> None:
    """Issue 16: a message cut at the edge says so (`…`), instead of reading as whole."""
    app = _Harness()
    async with app.run_test(size=(60, 5)) as pilot:
        pane = app.query_one(LogPane)
        pane.set_lines([_line(1, "Net::ReadTimeout " + "x" * 80 + " END"), _line(2, "short")])
        await pilot.pause()
        width = pane.scrollable_content_region.width
        first = _text(pane.render_line(0))
        assert len(first) == width and first.endswith("x…")
        assert not _text(pane.render_line(1)).endswith("…")
        pane.scroll_to(x=pane.max_scroll_x, animate=False)
        await pilot.pause()
        assert _text(pane.render_line(0)).endswith(" END")

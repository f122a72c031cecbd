from __future__ import annotations

from pathlib import Path

import pytest
from _pilot import after, refreshed
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widgets import Input, Static

from collectors.base import LogEvent
from collectors.store.database import SourceBatch, Store
from tui.app import WootwatchApp
from tui.messages import ShowLogs
from tui.screens.logs import LogsScreen
from widgets.log_pane import LogPane

HOSTILE = (
    "\x1b[2J cleared",
    "\x1b]52;c;aGk=\x07 clipboard",
    "[link=https://evil]x[/link] link",
    "[bold red]shouting",
)
HOSTILE_AT = 1_800_000_000.0
"""When the hostile lines were cached: their database and the app share this clock."""


def _pane(app: WootwatchApp) -> LogPane:
    return app.screen.query_one(LogPane)


def _status(app: WootwatchApp) -> str:
    return str(app.screen.query_one("#log-status", Static).render())


def _row(strip: Strip) -> str:
    return "".join(segment.text for segment in strip).rstrip()


def _rows(pane: LogPane) -> list[str]:
    return [_row(pane.render_line(y)) for y in range(pane.scrollable_content_region.height)]


async def _logs_screen(pilot: Pilot[object]) -> LogsScreen:
    await refreshed(pilot)
    await pilot.press("6")
    await refreshed(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, LogsScreen)
    return screen


async def _search(pilot: Pilot[object], query: str) -> None:
    """`/`, the query (pasted rather than typed: each key press costs a wait), Enter."""
    await pilot.press("slash")
    search = pilot.app.focused
    assert isinstance(search, Input)
    search.value = query
    await pilot.press("enter")
    await refreshed(pilot)


async def test_a_search_shows_only_matching_lines_with_the_matches_highlighted(
    demo_app: WootwatchApp,
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await _logs_screen(pilot)
        everything = len(_pane(demo_app).lines)
        await _search(pilot, "timeout")
        lines = _pane(demo_app).lines
        assert 0 < len(lines) < everything
        assert all(  # inside longer words too (`Net::ReadTimeout`), once or more a line
            line.spans and {line.message[a:b].lower() for a, b in line.spans} == {"timeout"}
            for line in lines
        )
        assert "matching ‘timeout’" in _status(demo_app)
        pane = _pane(demo_app)
        match = pane.get_component_rich_style("log-pane--match")
        bottom = pane.render_line(pane.scrollable_content_region.height - 1)
        lit = [s.text for s in bottom if s.style is not None and s.style.bgcolor == match.bgcolor]
        assert lit and {text.lower() for text in lit} == {"timeout"}
        assert demo_app.focused is pane

        await pilot.press("slash")
        assert isinstance(demo_app.focused, Input)
        await pilot.press("escape")
        assert demo_app.focused is pane


async def test_a_bad_query_is_one_inline_error_line(demo_app: WootwatchApp) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        screen = await _logs_screen(pilot)
        await _search(pilot, "timeout AND")
        error = screen.query_one("#log-error", Static)
        assert error.display
        assert str(error.render()).startswith("⚠ bad search query 'timeout AND'")
        assert isinstance(demo_app.focused, Input)  # to fix it
        assert _pane(demo_app).lines == []

        await pilot.press("backspace", "backspace", "backspace", "backspace", "enter")
        await refreshed(pilot)
        assert not error.display
        assert _pane(demo_app).lines


async def test_follow_appends_what_another_writer_caches_and_pauses_when_scrolled_up(
    demo_app: WootwatchApp, demo_db: Path, demo_now: float
) -> None:
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await _logs_screen(pilot)
        pane = _pane(demo_app)
        assert "● following" in _status(demo_app)
        async with await Store.open(demo_db, clock=lambda: demo_now) as writer:
            await writer.write([SourceBatch("web", [LogEvent(demo_now - 1, "fresh line one")])])
            await refreshed(pilot)
            assert pane.lines[-1].message == "fresh line one"
            assert "fresh line one" in _rows(pane)[-1]

            await pilot.press("pageup")
            assert "follow paused" in _status(demo_app)
            await writer.write([SourceBatch("web", [LogEvent(demo_now, "fresh line two")])])
            await refreshed(pilot)
            assert pane.lines[-1].message == "fresh line two"
            assert not any("fresh line two" in row for row in _rows(pane))

            await pilot.press("end")
            await pilot.pause()
            assert "● following" in _status(demo_app)
            assert "fresh line two" in _rows(pane)[-1]

            await pilot.press("f")
            await writer.write([SourceBatch("web", [LogEvent(demo_now, "while not following")])])
            await refreshed(pilot)
            assert "not following" in _status(demo_app)
            assert pane.lines[-1].message == "fresh line two"


async def test_show_logs_from_another_screen_shows_that_window_only(
    demo_app: WootwatchApp, demo_now: float
) -> None:
    start, end = demo_now - 600, demo_now - 540
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        assert not isinstance(demo_app.screen, LogsScreen)
        demo_app.post_message(ShowLogs(start, end))
        await pilot.pause()
        assert isinstance(demo_app.screen, LogsScreen)
        await refreshed(pilot)
        lines = _pane(demo_app).lines
        assert lines and all(start <= line.ts < end for line in lines)
        assert _status(demo_app).startswith("10:58–10:59 (from a spike)")

        demo_app.post_message(ShowLogs(start, end, query="timeout"))
        await refreshed(pilot)
        matching = _pane(demo_app).lines
        assert matching and all(line.spans for line in matching)
        assert demo_app.screen.query_one("#log-search", Input).value == "timeout"

        await pilot.press("c")
        await refreshed(pilot)
        assert _status(demo_app).startswith("last 1h · matching ‘timeout’")
        assert min(line.ts for line in _pane(demo_app).lines) < start


async def test_r_cycles_the_range_and_r_or_f_leave_a_spike(
    demo_app: WootwatchApp, demo_now: float
) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await _logs_screen(pilot)
        await _search(pilot, "error")
        hour = len(_pane(demo_app).lines)
        await pilot.press("r")
        await refreshed(pilot)
        assert _status(demo_app).startswith("last 6h")
        await pilot.press("r", "r")
        await refreshed(pilot)
        assert _status(demo_app).startswith("last 15m")
        assert 0 < len(_pane(demo_app).lines) < hour
        demo_app.post_message(ShowLogs(demo_now - 60, demo_now))
        await refreshed(pilot)
        await pilot.press("f")  # from a spike: back to the live window, following
        await refreshed(pilot)
        assert _status(demo_app).startswith("last 15m")
        assert _status(demo_app).endswith("● following")
        demo_app.post_message(ShowLogs(demo_now - 60, demo_now))
        await refreshed(pilot)
        await pilot.press("r")
        await refreshed(pilot)
        assert _status(demo_app).startswith("last 1h")


@pytest.fixture
async def hostile_db(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.db"
    async with await Store.open(path, clock=lambda: HOSTILE_AT) as store:
        events = [
            LogEvent(HOSTILE_AT + n, text, "/g", "s", "error") for n, text in enumerate(HOSTILE)
        ]
        await store.write([SourceBatch("\x1b[31mweb[/red]", events)])
    return path


@pytest.mark.parametrize("query", ["", "evil OR red OR cleared OR clipboard"])
async def test_hostile_lines_are_inert_and_their_markup_shows_as_typed(
    hostile_db: Path, query: str
) -> None:
    app = WootwatchApp(hostile_db, clock=lambda: HOSTILE_AT + 10)
    async with app.run_test(size=(100, 20)) as pilot:
        await _logs_screen(pilot)
        if query:
            await _search(pilot, query)
        pane = _pane(app)
        assert len(pane.lines) == len(HOSTILE)
        rows = [pane.render_line(y) for y in range(len(HOSTILE))]
        text = "\n".join(_row(row) for row in rows)
        assert "\x1b" not in text and "\x07" not in text
        for shown in ("␛[2J cleared", "␛]52;c;aGk=␇ clipboard", "[link=https://evil]x[/link]"):
            assert shown in text
        assert "[bold red]shouting" in text and "␛[31mweb[/red]" in text
        assert all(s.style is None or s.style.link is None for row in rows for s in row)


def _show_spike(query: str | None = None) -> object:
    async def run_before(pilot: Pilot[object]) -> None:
        await refreshed(pilot)
        app = pilot.app
        assert isinstance(app, WootwatchApp)
        now = app.clock()
        app.post_message(ShowLogs(now - 600, now - 540, query))
        await pilot.pause()
        await refreshed(pilot)

    return run_before


@pytest.fixture
def in_tmp(
    recorded_demo: tuple[Path, float], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The recorded demo as `demo.db` in the working directory: the top bar shows no tmp path."""
    source, _ = recorded_demo
    (tmp_path / "demo.db").write_bytes(source.read_bytes())
    monkeypatch.chdir(tmp_path)
    return Path("demo.db")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_snapshot_a_search_with_highlights(
    snap_compare: object, in_tmp: Path, demo_now: float, size: tuple[int, int]
) -> None:
    app = WootwatchApp(in_tmp, clock=lambda: demo_now)
    keys = ("6", "slash", *"timeout", "enter")
    assert snap_compare(app, terminal_size=size, run_before=after(*keys))  # type: ignore[operator]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_snapshot_after_a_jump_from_a_spike(
    snap_compare: object, in_tmp: Path, demo_now: float, size: tuple[int, int]
) -> None:
    app = WootwatchApp(in_tmp, clock=lambda: demo_now)
    assert snap_compare(app, terminal_size=size, run_before=_show_spike())  # type: ignore[operator]

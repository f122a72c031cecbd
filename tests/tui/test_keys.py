"""Keys on-call people have in their fingers: `?`/F1, j/k/g/G, Esc back, the footer.

Issue 16, "Acting where you look": `?` and F1 did nothing, the footer hid the
screen keys and cut `q`, j/k/g/G were unbound and Esc could not go back.
"""

from __future__ import annotations

from _pilot import refreshed
from textual.widgets import Input
from textual.widgets._footer import FooterKey

from tui.app import WootwatchApp
from tui.dialogs.keys import KeysDialog
from tui.messages import ShowLogs
from tui.screens.alerts import AlertsScreen
from tui.screens.incident import IncidentScreen
from tui.screens.logs import LogsScreen
from tui.screens.overview import OverviewScreen
from tui.screens.sla import SlaScreen
from widgets.alert_table import AlertTable
from widgets.key_footer import KeyFooter
from widgets.log_pane import LogPane


def _reference(app: WootwatchApp) -> str:
    assert isinstance(app.screen, KeysDialog)
    return str(app.screen.query_one("#keys-list").render())


async def test_question_mark_lists_the_keys_of_the_screen_on_view(demo_app: WootwatchApp) -> None:
    async with demo_app.run_test(size=(120, 50)) as pilot:
        await pilot.press("5")
        await refreshed(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        alerts = _reference(demo_app)
        await pilot.press("escape", "6")
        await pilot.pause()
        assert isinstance(demo_app.screen, LogsScreen)
        await pilot.press("f1")
        await pilot.pause()
        logs = _reference(demo_app)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(demo_app.screen, LogsScreen)  # ? closes it again
    for line in ("a            Ack", "u            Unsilence", "↓ / j        Cursor down"):
        assert line in alerts
    assert "On the Alerts screen" in alerts and "Everywhere" in alerts
    assert "Unsilence" not in logs
    assert "On the Logs screen" in logs and "/" in logs and "CloudWatch" in logs
    assert "? / f1" in logs and "Quit" in logs


async def test_the_footer_starts_with_keys_quit_and_the_screens_at_80_columns(
    demo_app: WootwatchApp,
) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await pilot.press("5")
        await refreshed(pilot)
        footer = demo_app.screen.query_one(KeyFooter)
        keys = [key for key in footer.query(FooterKey) if key.region.width]
        shown = [(key.key, key.region.right) for key in keys]
    assert [key for key, _ in shown[:9]] == ["question_mark", "q", *"1234567"]
    assert all(right <= 80 for _, right in shown[:9])
    assert "a" in [key for key, _ in shown]  # then the screen's own


def _footer_line(footer: KeyFooter) -> list[tuple[str, int]]:
    """The footer's items on view, left to right: their text and right edge."""
    shown = [child for child in footer.children if child.display and child.region.width]
    return [(str(child.render()).strip(), child.region.right) for child in shown]


async def test_at_80x24_a_cut_footer_ends_with_an_ellipsis_and_keeps_keys_and_quit(
    demo_app: WootwatchApp,
) -> None:
    """Issue 16 items 3-4: `t`, `[`, `]` crowd the footer; a cut must not look like the end."""
    async with demo_app.run_test(size=(80, 24)) as pilot:
        lines = {}
        for key in "1357":
            await pilot.press(key)
            await refreshed(pilot)
            await pilot.pause()
            lines[key] = _footer_line(demo_app.screen.query_one(KeyFooter))
        await pilot.resize_terminal(200, 24)
        await pilot.pause()
        await pilot.pause()
        wide = _footer_line(demo_app.screen.query_one(KeyFooter))
    for key in "157":  # more keys than 80 columns hold
        texts = [text for text, _ in lines[key]]
        assert texts[:2] == ["? Keys", "q Quit"]
        assert texts[-1] == "…" and texts.count("…") == 1
        assert all(right <= 80 for _, right in lines[key])
    assert "…" not in [text for text, _ in lines["3"]]  # the SLA screen's keys all fit
    assert "…" not in [text for text, _ in wide]  # wider again: nothing cut


async def test_j_k_g_and_shift_g_move_the_alerts_cursor(demo_app: WootwatchApp) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await refreshed(pilot)
        table = demo_app.screen.query_one(AlertTable)
        rows = []
        for key in ("j", "j", "k", "G", "g"):
            await pilot.press(key)
            rows.append(table.cursor_row)
    assert rows == [1, 2, 1, table.row_count - 1, 0]


async def test_j_and_k_scroll_the_log_lines(demo_app: WootwatchApp) -> None:
    async with demo_app.run_test(size=(120, 30)) as pilot:
        await pilot.press("6")
        await refreshed(pilot)
        pane = demo_app.screen.query_one(LogPane)
        assert pane.has_focus and pane.max_scroll_y > 2
        bottom = pane.scroll_y
        await pilot.press("k", "k")
        assert pane.scroll_y == bottom - 2
        await pilot.press("g")
        assert pane.scroll_y == 0
        await pilot.press("j")
        assert pane.scroll_y == 1
        await pilot.press("G")
        assert pane.scroll_y == bottom


async def test_escape_goes_back_through_the_screens_seen(demo_app: WootwatchApp) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        await pilot.press("5", "3")
        seen = []
        for _ in range(3):
            await pilot.press("escape")
            seen.append(type(demo_app.screen))
    assert seen == [AlertsScreen, OverviewScreen, OverviewScreen]


async def test_escape_goes_back_to_where_a_spike_jump_came_from(demo_app: WootwatchApp) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3", "7")
        await refreshed(pilot)
        now = demo_app.clock()
        demo_app.screen.post_message(ShowLogs(now - 120, now - 60))
        await refreshed(pilot)
        assert isinstance(demo_app.screen, LogsScreen)
        await pilot.press("slash")
        assert isinstance(demo_app.focused, Input)
        await pilot.press("escape")  # first leaves the search box
        assert isinstance(demo_app.screen, LogsScreen)
        await pilot.press("escape")
        assert isinstance(demo_app.screen, IncidentScreen)
        await pilot.press("escape")
        assert isinstance(demo_app.screen, SlaScreen)


async def test_the_footer_is_not_composed_again_when_its_keys_are_the_same(
    demo_app: WootwatchApp,
) -> None:
    """Composing it on every switch back to a screen took a fifth of the switch (issue 16)."""
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        await refreshed(pilot)
        before = list(demo_app.screen.query_one(KeyFooter).query(FooterKey))
        await pilot.press("5")
        await refreshed(pilot)
        await pilot.press("4")
        await refreshed(pilot)
        after = list(demo_app.screen.query_one(KeyFooter).query(FooterKey))
    assert before and [key.key for key in after] == [key.key for key in before]
    assert all(a is b for a, b in zip(after, before, strict=True))

"""A jump to a spike's logs clears the search typed before and says so (issue 16)."""

from __future__ import annotations

from _pilot import refreshed
from textual.message import Message
from textual.notifications import Notify
from textual.widgets import Input

from tui.app import WootwatchApp
from tui.messages import ShowLogs
from tui.screens.logs import LogsScreen


class _Said(list[str]):
    """Every notification raised, however long ago (a slow machine may outlast its timeout)."""

    def __call__(self, message: Message) -> None:
        if isinstance(message, Notify):
            self.append(message.notification.message)


async def test_a_spike_jump_clears_the_previous_search_and_says_so(
    demo_app: WootwatchApp, demo_now: float
) -> None:
    start, end = demo_now - 600, demo_now - 540
    said = _Said()
    async with demo_app.run_test(size=(120, 40), message_hook=said) as pilot:
        await pilot.press("6")
        await refreshed(pilot)
        await pilot.press("slash", *"timeout", "enter")
        await refreshed(pilot)
        screen = demo_app.screen
        assert isinstance(screen, LogsScreen) and screen.view.query == "timeout"
        await pilot.press("7")
        demo_app.screen.post_message(ShowLogs(start, end))
        await refreshed(pilot)
        assert demo_app.screen is screen
        assert screen.view.query == ""
        assert screen.query_one("#log-search", Input).value == ""
        assert said[-1] == (
            "Logs of 10:58–10:59 from the chart; the search ‘timeout’ was cleared. Esc goes back."
        )
        demo_app.screen.post_message(ShowLogs(start, end))
        await refreshed(pilot)
        assert said[-1] == "Logs of 10:58–10:59 from the chart. Esc goes back."

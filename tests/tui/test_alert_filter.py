"""`/` filters the alerts table by text, `n`/`N` step through what it shows (issue 16)."""

from __future__ import annotations

from _pilot import refreshed
from textual.widgets import Input

from tui.app import WootwatchApp
from tui.screens.alerts import AlertsPanel, AlertsScreen
from tui.screens.overview import OverviewScreen
from widgets.alert_table import AlertTable


async def test_slash_filters_by_text_and_n_steps_through_the_matches(
    demo_app: WootwatchApp,
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        await pilot.press("5")
        await refreshed(pilot)
        screen = demo_app.screen
        assert isinstance(screen, AlertsScreen)
        panel, table = screen.query_one(AlertsPanel), screen.query_one(AlertTable)
        everything = table.row_count
        await pilot.press("slash", *"sla")
        await pilot.pause()
        assert isinstance(demo_app.focused, Input)
        shown = panel.shown
        assert 0 < len(shown) < everything == len(panel._view.alerts)
        assert all("sla" in f"{a.rule} {a.summary}".lower() for a in shown)
        assert table.row_count == len(shown)
        assert str(panel.border_title).endswith(f"matching ‘sla’: {len(shown)} shown")
        await pilot.press("enter")
        assert demo_app.focused is table
        rows = []
        for key in ("n", "n", "N"):
            await pilot.press(key)
            rows.append(table.cursor_row)
        assert rows == [1 % len(shown), 2 % len(shown), 1 % len(shown)]
        await pilot.press("slash", "ctrl+u", *"nothing-like-this")
        await pilot.pause()
        assert table.row_count == 0
        await pilot.press("ctrl+u", "escape")
        assert demo_app.focused is table and table.row_count == everything
        await pilot.press("escape")
        assert isinstance(demo_app.screen, OverviewScreen)

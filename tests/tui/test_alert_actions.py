"""Acting where you look: `a`, `s`, `h` and the palette on the firing lists and the alerts table.

Issue 16, "Acting where you look": ack and silence existed only on the alerts
screen, and after an alert resolved the next `a` answered with a bare refusal.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from _pilot import refreshed
from textual.pilot import Pilot

from collectors.alerts.book import AlertBook, AlertRow
from collectors.alerts.state import AlertState
from tui.app import WootwatchApp
from tui.dialogs.ack import AckDialog
from tui.dialogs.alert_history import AlertHistoryDialog
from tui.dialogs.silence import SilenceDialog
from tui.panels.firing import FiringPanel
from tui.screens.alerts import AlertsPanel, AlertsScreen
from tui.screens.incident import IncidentScreen
from widgets.alert_table import AlertTable
from widgets.line_list import LineList

USER = "ana"


@pytest.fixture(autouse=True)
def _user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGNAME", USER)


def _notes(app: WootwatchApp) -> list[str]:
    return [notification.message for notification in app._notifications]


async def _stored(path: Path, alert_id: int) -> AlertRow:
    async with await AlertBook.open(path, readonly=True) as other_process:
        alert = await other_process.get(alert_id)
    assert alert is not None
    return alert


async def _resolve(path: Path, alert_id: int, now: float) -> None:
    """Resolve an alert as the collector (another process) would."""
    async with await AlertBook.open(path) as collector, collector.transaction() as writer:
        alert = await writer.get(alert_id)
        assert alert is not None
        await writer.transition(
            alert_id,
            from_state=AlertState.FIRING,
            to_state=AlertState.RESOLVED,
            t=now,
            value=alert.value,
            resolved_at=now,
        )


async def _incident(pilot: Pilot[None]) -> FiringPanel:
    await pilot.press("7")
    await refreshed(pilot)
    assert isinstance(pilot.app.screen, IncidentScreen)
    return pilot.app.screen.query_one(FiringPanel)


async def test_a_on_the_incident_firing_list_acknowledges_the_chosen_alert(
    demo_app: WootwatchApp, demo_db: Path
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        panel = await _incident(pilot)
        panel.query_one(LineList).focus()
        await pilot.press("j", "j")
        chosen = panel.selected_id
        assert chosen is not None and chosen != int(panel.query_one(LineList).keys[0])
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(demo_app.screen, AckDialog)
        await pilot.press(*"on it", "enter")
        await refreshed(pilot)
        stored = await _stored(demo_db, chosen)
        options = panel.query_one(LineList).options
        line = str(options[panel.query_one(LineList).keys.index(str(chosen))].prompt)
    assert (stored.acknowledged_by, stored.ack_note) == (USER, "on it")
    assert line.endswith(f"✓ acked by {USER}")


async def test_the_highlight_stays_on_the_chosen_alert_when_the_list_changes(
    demo_app: WootwatchApp, demo_db: Path, demo_now: float
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        panel = await _incident(pilot)
        listed = panel.query_one(LineList)
        listed.focus()
        await pilot.press("G")
        chosen = panel.selected_id
        assert chosen == int(listed.keys[-1])
        await _resolve(demo_db, int(listed.keys[0]), demo_now)
        await refreshed(pilot)
        assert str(chosen) in listed.keys and len(listed.keys) == 11
        assert panel.selected_id == chosen  # not the alert that moved up into its place
        await pilot.press("g")
        assert panel.selected_id == int(listed.keys[0])


async def test_s_and_h_on_the_overview_firing_list(demo_app: WootwatchApp) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        panel = demo_app.screen.query_one(FiringPanel)
        panel.query_one(LineList).focus()
        await pilot.press("down")
        chosen = await _stored(demo_app.db, panel.selected_id or 0)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(demo_app.screen, SilenceDialog)
        assert chosen.rule in str(demo_app.screen.query_one(".dialog-box Static").render())
        await pilot.press("escape", "h")
        await pilot.pause()
        assert isinstance(demo_app.screen, AlertHistoryDialog)
        assert demo_app.screen.query_one(".dialog-box").border_title == (
            f"History of alert #{chosen.id}"
        )


async def test_the_overview_says_where_to_choose_when_its_list_is_hidden(
    demo_app: WootwatchApp,
) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await refreshed(pilot)
        await pilot.press("a")
        await pilot.pause()
        assert not isinstance(demo_app.screen, AckDialog)
        assert "5 opens the alerts" in _notes(demo_app)[-1]


async def test_the_command_palette_acknowledges_the_chosen_alert(
    demo_app: WootwatchApp,
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        panel = await _incident(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"acknowledge the chosen")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert isinstance(demo_app.screen, AckDialog)
        assert demo_app.screen.query_one(".dialog-box").border_title == (
            f"Acknowledge alert #{panel.selected_id}"
        )


async def test_a_on_an_alert_that_resolved_under_the_cursor_says_when(
    demo_app: WootwatchApp, demo_db: Path, demo_now: float
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await refreshed(pilot)
        screen = demo_app.screen
        assert isinstance(screen, AlertsScreen)
        table = screen.query_one(AlertTable)
        table.move_cursor(row=1)
        chosen = screen.query_one(AlertsPanel).selected
        assert chosen is not None and chosen.state is AlertState.FIRING
        await _resolve(demo_db, chosen.id, demo_now - 120)
        await refreshed(pilot)
        assert table.cursor_key == str(chosen.id)  # followed it into the resolved rows
        await pilot.press("a")
        await pilot.pause()
        assert demo_app.screen is screen  # no dialog
        at = time.strftime("%H:%M", time.localtime(demo_now - 120))
        assert _notes(demo_app)[-1] == (
            f"Alert #{chosen.id} resolved at {at} (2m ago): there is nothing left to "
            "acknowledge. h shows its history."
        )

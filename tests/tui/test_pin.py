"""The pin takes a typed time or the chosen alert's start (issue 16: only the first or now)."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import pytest
from _pilot import refreshed
from textual.widgets import Input, Static

from collectors.alerts.book import AlertBook
from tui.app import WootwatchApp
from tui.dialogs.pin import PinDialog, parse_moment
from tui.panels.firing import FiringPanel
from widgets.line_list import LineList

NOW = datetime(2026, 12, 3, 11, 8, 5).timestamp()


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("now", datetime(2026, 12, 3, 11, 8, 5)),
        ("-25m", datetime(2026, 12, 3, 10, 43, 5)),
        (" 03:12 ", datetime(2026, 12, 3, 3, 12)),
        ("11:06:40", datetime(2026, 12, 3, 11, 6, 40)),
        ("23:50", datetime(2026, 12, 2, 23, 50)),  # today's is still to come: yesterday's
        ("2026-12-01 22:15", datetime(2026, 12, 1, 22, 15)),
        ("2026-12-01T22:15:30", datetime(2026, 12, 1, 22, 15, 30)),
    ],
)
def test_a_typed_time_reads_as_the_moment_it_names(typed: str, meant: datetime) -> None:
    assert parse_moment(typed, NOW) == meant.timestamp()


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("yesterday", "is not a time: type now, -25m, 03:12"),
        ("-25", "a duration before now is like -25m"),
        ("25:00", "is not a time of day or date: hour must be in 0..23"),
        ("2026-02-30 10:00", "is not a time of day or date: day is out of range"),
        ("2026-12-04 10:00", "is still to come: an incident starts in the past"),
    ],
)
def test_a_time_that_cannot_be_read_says_why(typed: str, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        parse_moment(typed, NOW)


async def _pinned(path: Path) -> float | None:
    async with await AlertBook.open(path, readonly=True) as other_process:
        return await other_process.pinned_incident()


async def test_p_suggests_the_chosen_alerts_start_and_enter_pins_it(
    demo_app: WootwatchApp, demo_db: Path
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7")
        await refreshed(pilot)
        panel = demo_app.screen.query_one(FiringPanel)
        panel.query_one(LineList).focus()
        await pilot.press("G")
        async with await AlertBook.open(demo_db, readonly=True) as book:
            chosen = await book.get(panel.selected_id or 0)
        assert chosen is not None
        await pilot.press("p")
        await pilot.pause()
        dialog = demo_app.screen
        assert isinstance(dialog, PinDialog)
        reading = str(dialog.query_one("#pin-reading", Static).render())
        assert reading.endswith(f"(the chosen alert #{chosen.id}'s start)")
        await pilot.press("enter")
        await pilot.pause()
        assert await _pinned(demo_db) == chosen.started_at


async def test_bad_input_is_said_at_once_and_a_typed_time_is_pinned(
    demo_app: WootwatchApp, demo_db: Path, demo_now: float
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7")
        await refreshed(pilot)
        await pilot.press("p")
        await pilot.pause()
        dialog = demo_app.screen
        assert isinstance(dialog, PinDialog)
        await pilot.press("ctrl+u", *"-25")
        await pilot.pause()
        error = dialog.query_one("#pin-error", Static)
        assert error.has_class("-shown")  # before Enter
        assert "a duration before now is like -25m" in str(error.render())
        await pilot.press("enter")
        await pilot.pause()
        assert demo_app.screen is dialog  # nothing pinned from a bad time
        await pilot.press("m")
        await pilot.pause()
        assert not error.has_class("-shown")
        assert dialog.query_one("#pin-at", Input).value == "-25m"
        await pilot.press("enter")
        await pilot.pause()
        assert await _pinned(demo_db) == demo_now - 1500
        stamp = time.strftime("%H:%M:%S", time.localtime(demo_now - 1500))
        assert f"pinned at {stamp}" in [n.message for n in demo_app._notifications][-1]

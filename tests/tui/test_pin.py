"""The pin takes a typed time or the chosen alert's start (issue 16: only the first or now).

What may be typed is `tui.data.moment`'s, tested in test_moment.py: the pin
reads times with the same parser as the rewind (`t`).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from _pilot import refreshed
from textual.widgets import Input, Static

from collectors.alerts.book import AlertBook
from tui.app import WootwatchApp
from tui.data.moment import MomentError, parse_moment
from tui.dialogs.pin import PinDialog
from tui.panels.firing import FiringPanel
from widgets.line_list import LineList


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
        assert "a time before now is like -25m" in str(error.render())
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


async def test_the_pin_reads_what_the_rewind_reads_and_says_the_same_errors(
    demo_app: WootwatchApp, demo_db: Path, demo_now: float
) -> None:
    """One time parser for `t` and `p`: a zoned ISO time pins; a bad time is told in its words."""
    zoned = datetime.fromtimestamp(round(demo_now) - 600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        await pilot.press("p")
        await pilot.pause()
        dialog = demo_app.screen
        assert isinstance(dialog, PinDialog)
        await pilot.press("ctrl+u", *"yesterday")
        await pilot.pause()
        with pytest.raises(MomentError) as caught:
            parse_moment("yesterday", now=demo_now, pinned=None)
        assert str(dialog.query_one("#pin-error", Static).render()) == f"⚠ {caught.value}"
        await pilot.press("ctrl+u", *zoned, "enter")
        await pilot.pause()
        assert await _pinned(demo_db) == round(demo_now) - 600

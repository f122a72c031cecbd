"""The TUI says when the collector cannot write: since when, why, and how much is waiting.

Issue 14: while writes failed on a full disk, an attached TUI showed every
source `● ok updated 40s ago` at a 1 s interval, with no hint that nothing it
showed was being updated.
"""

from __future__ import annotations

from pathlib import Path

from _pilot import refreshed
from textual.widgets import Static

from collectors.store.database import Store, WriterHealth
from tui.app import WootwatchApp

NOW = 1_700_000_000.0


async def test_the_live_view_shows_the_writers_trouble_and_clears_it(tmp_path: Path) -> None:
    db = tmp_path / "ww.db"
    async with await Store.open(db) as writer:  # the collector: holds the writer lock
        writer.report_health(
            WriterHealth(NOW - 95, "write failed: database or disk is full", 1377, 0)
        )
        app = WootwatchApp(db, clock=lambda: NOW)
        async with app.run_test(size=(120, 30)) as pilot:
            warning = app.screen.query_one("#writer-warning", Static)
            await refreshed(pilot)
            text = str(warning.render())
            assert warning.has_class("shown")
            assert "cannot write this database for 1m35s" in text
            assert "database or disk is full; 1,377 records waiting" in text

            writer.report_health(WriterHealth())  # writes again
            await refreshed(pilot)
            assert not warning.has_class("shown")  # a writer, writing: nothing to say

"""A refresh reads again only what changed: a write, or the clock (issue 16's idle budget)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import textual.css.query as css_query
from _pilot import refreshed
from textual.css.match import match

from collectors.alerts.book import AlertRow
from collectors.base import SourceState, SourceStatus
from collectors.store.database import SourceBatch, Store
from tui.app import WootwatchApp
from tui.screens.base import TICKS_FOR
from tui.screens.overview import SourcesPanel
from widgets.source_row import SourceRow
from widgets.state_badge import StateBadge
from widgets.vocab import updated_ago


def _badges(app: WootwatchApp) -> dict[str, str]:
    return {
        row.view.source: str(row.query_one(StateBadge).render())
        for row in app.screen.query(SourceRow)
    }


async def test_with_nothing_written_a_refresh_reads_nothing_but_the_ages_still_move(
    demo_db: Path, demo_now: float
) -> None:
    clock = [demo_now]
    app = WootwatchApp(demo_db, clock=lambda: clock[0])
    async with app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        await refreshed(pilot)  # the sparklines laid out: the reads of every refresh
        before = app.reader.reads
        await refreshed(pilot)
        assert app.reader.reads == before  # nothing written, no time passed: nothing read
        assert _badges(app)["chatwoot"] == "● ok       updated <10s ago"
        clock[0] += 45
        await refreshed(pilot)
        assert _badges(app)["chatwoot"] == "● ok       updated 40s ago"


async def test_with_nothing_written_the_clock_moves_the_ages_without_reading(
    demo_db: Path, demo_now: float
) -> None:
    """Issue 16: with nothing written, each refresh on the clock still read the figures over
    windows ending now (3 reads every 2 s) to move the ages. The ages now move from the last
    read's update times; those figures are read again `TICKS_FOR` seconds on (or at a write)."""
    clock = [demo_now]
    app = WootwatchApp(demo_db, clock=lambda: clock[0])
    async with app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        await refreshed(pilot)
        clock[0] = app.screen.query_one(SourcesPanel).window[1] + 0.5  # a new chart slot
        await refreshed(pilot)
        updated = (await app.reader.source_statuses())["chatwoot"].last_success
        assert updated is not None
        before = app.reader.reads
        for _ in range(4):
            clock[0] += 2.4
            await refreshed(pilot)
            assert app.reader.reads == before
            assert _badges(app)["chatwoot"].endswith(updated_ago(clock[0] - updated))
        clock[0] += TICKS_FOR - 4 * 2.4 + 0.1
        await refreshed(pilot)
        assert app.reader.reads > before


async def test_a_write_is_on_screen_at_the_next_refresh(demo_db: Path, demo_now: float) -> None:
    app = WootwatchApp(demo_db, clock=lambda: demo_now)
    async with app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        await refreshed(pilot)
        assert _badges(app)["aws"].startswith("● ok")
        async with await Store.open(demo_db, clock=lambda: demo_now) as store:
            down = SourceStatus("aws", SourceState.DOWN, demo_now, demo_now - 300, "denied", 3)
            await store.write([SourceBatch("aws", status=down)])
        await refreshed(pilot)
        assert _badges(app)["aws"] == "✖ down     updated 5m ago"


async def test_a_burst_of_the_collectors_writes_is_drawn_by_one_read_once_it_settles(
    demo_db: Path, demo_now: float
) -> None:
    """Issue 16: the demo's sources write over a second every ten, and a read on the clock in
    the middle of a round drew it in two frames. The collectors in this process say when
    they wrote (`written`): the round is read once, at once, without waiting for the clock."""
    app = WootwatchApp(demo_db, clock=lambda: demo_now, refresh=30.0, settle=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        seen = app.refreshes
        async with await Store.open(demo_db, clock=lambda: demo_now) as store:
            for source in ("aws", "chatwoot"):
                down = SourceStatus(source, SourceState.DOWN, demo_now, demo_now - 300, "denied", 3)
                await store.write([SourceBatch(source, status=down)])
                app.written()
        for _ in range(100):
            if app.refreshes > seen:
                break
            await pilot.pause(0.02)
        await pilot.pause(0.4)  # twice the settle: no second read comes
        assert app.refreshes == seen + 1
        badges = _badges(app)
        assert badges["aws"] == badges["chatwoot"] == "✖ down     updated 5m ago"


async def test_a_refresh_matches_no_css_selector_against_every_widget_of_the_screen(
    demo_db: Path, demo_now: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16: two CSS queries a refresh, each matched against the overview's hundreds of
    widgets, were a third of a refresh's CPU with nothing written; now it walks by type."""
    matched = [0]

    def counting(selector_set: Any, node: Any) -> bool:
        matched[0] += 1
        return bool(match(selector_set, node))

    app = WootwatchApp(demo_db, clock=lambda: demo_now)
    async with app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        await refreshed(pilot)
        widgets = len(app.screen.walk_children())
        monkeypatch.setattr(css_query, "match", counting)
        await refreshed(pilot)
    assert widgets > 100
    assert matched[0] <= 10


async def test_an_ack_made_in_a_refresh_is_read_back_in_it(demo_db: Path, demo_now: float) -> None:
    """The book's own write forgets what the refresh remembered, at once."""
    app = WootwatchApp(demo_db, clock=lambda: demo_now)
    async with app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        book = app.reader.book
        firing = [a for a in await book.visible(demo_now) if a.state == "firing"]
        async with app.reader.refreshing():
            assert not _acked(await book.visible(demo_now), firing[0].id)
            await book.acknowledge(firing[0].id, "sam", "on it", demo_now)
            assert _acked(await book.visible(demo_now), firing[0].id)


def _acked(alerts: list[AlertRow], alert_id: int) -> bool:
    return next(a for a in alerts if a.id == alert_id).acknowledged

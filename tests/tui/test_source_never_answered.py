"""Issue 13: a Chatwoot that refuses connections from the very first poll is an outage everywhere.

Three polls at its interval of a Chatwoot nothing listens for (a wrong URL,
or wootwatch started during the outage) are collected into a database with
the default rules, as `wootwatch collect` does. Then every place a person
looks shows the critical `chatwoot_api_down`: the overview's counts and
source row, the incident view, `wootwatch alerts` and the export.
"""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import pytest
from _pilot import refreshed

from collectors.alerts.engine import AlertEngine
from collectors.alerts.rules import effective_rules
from collectors.chatwoot.config import ChatwootConfig
from collectors.scheduler import Scheduler
from collectors.store.database import Store
from tui.app import WootwatchApp
from tui.cli import main
from tui.panels.firing import FiringPanel
from widgets.line_list import LineList
from widgets.severity_counts import SeverityCounts
from widgets.source_row import SourceRow
from widgets.state_badge import StateBadge

INTERVAL = 30.0
API_DOWN = next(rule for rule in effective_rules() if rule.name == "chatwoot_api_down")


def _refused_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


async def _collect(db: Path, start: float, polls: int) -> float:
    now = start
    chatwoot = ChatwootConfig(
        name="chatwoot", base_url=_refused_url(), api_token="t0k", interval="30s"
    )
    async with await Store.open(db) as store:
        engine = await AlertEngine.open(
            effective_rules(), store, sinks=[], clock=lambda: now, sources=[chatwoot]
        )
        scheduler = Scheduler([chatwoot], store, clock=lambda: now, after_write=engine.after_write)
        try:
            for poll in range(polls):
                now = start + poll * INTERVAL
                await scheduler.run_once()
        finally:
            await scheduler.aclose()
            await engine.aclose()
    return now


@pytest.fixture(scope="module")
def never_answered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """The database after three refused polls, and the time of the last one."""
    db = tmp_path_factory.mktemp("refused") / "w.db"
    last = asyncio.run(_collect(db, time.time() - 3 * INTERVAL, 3))
    return db, last


@pytest.fixture
def no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No config file anywhere the commands look: they read the --db given."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("WOOTWATCH_CONFIG", raising=False)


@pytest.mark.usefixtures("no_config")
def test_wootwatch_alerts_lists_the_api_down(
    never_answered: tuple[Path, float], capsys: pytest.CaptureFixture[str]
) -> None:
    db, _ = never_answered
    assert main(["alerts", "--db", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    down = [line for line in lines if "chatwoot_api_down" in line]
    assert len(down) == 1 and "critical" in down[0] and "firing" in down[0]
    assert any("source_down" in line for line in lines)


@pytest.mark.usefixtures("no_config")
def test_the_export_lists_the_api_down(
    never_answered: tuple[Path, float], capsys: pytest.CaptureFixture[str]
) -> None:
    db, _ = never_answered
    assert main(["export", "--db", str(db), "--since", "1h"]) == 0
    text = capsys.readouterr().out
    assert "**Active alerts:** ✖ 1 critical" in text
    (row,) = [line for line in text.splitlines() if line.startswith("| ✖ critical | ● firing |")]
    assert "chatwoot\\_api\\_down (source=chatwoot)" in row


async def test_the_overview_and_the_incident_view_count_it(
    never_answered: tuple[Path, float],
) -> None:
    db, last = never_answered
    app = WootwatchApp(db, clock=lambda: last + 5)
    async with app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        counts = str(app.screen.query_one(SeverityCounts).render())
        (row,) = app.screen.query(SourceRow)
        badge = str(row.query_one(StateBadge).render())
        await pilot.press("7")
        await refreshed(pilot)
        options = app.screen.query_one(FiringPanel).query_one(LineList).options
        firing = "\n".join(str(option.prompt) for option in options)
    assert "✖ 1 critical" in counts
    assert badge.startswith("✖ down")
    assert "✖ critical" in firing and API_DOWN.summary in firing

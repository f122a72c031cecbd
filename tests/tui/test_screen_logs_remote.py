"""The logs screen's CloudWatch search, against moto's server on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from _pilot import refreshed
from fakes.aws import DemoFeed, FakeAws
from textual.pilot import Pilot
from textual.widgets import Input, Static

from collectors.base import LogEvent
from collectors.cloudwatch_logs import CloudWatchLogsConfig, LogGroupSearch
from collectors.store.database import SourceBatch, Store
from tui.app import WootwatchApp
from tui.data.remote_logs import NO_REMOTE, RemoteLogs
from tui.screens.logs import LogsScreen
from widgets.log_pane import LogPane

WEB = "/aws/ecs/chatscomm-chatwoot-prod-web"
NOW = time.time()  # CloudWatch keeps recent events only: the lines and the clock are real time


@pytest.fixture(scope="module")
def aws_server() -> Iterator[FakeAws]:
    server = FakeAws()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def aws(aws_server: FakeAws) -> FakeAws:
    aws_server.reset()
    logs = aws_server.client("logs")
    logs.create_log_group(logGroupName=WEB)
    logs.create_log_stream(logGroupName=WEB, logStreamName="web/a1")
    DemoFeed(aws_server).put_lines(
        WEB,
        "web/a1",
        [
            (NOW - 7200, "ERROR too old timeout"),
            (NOW - 600, "ERROR remote timeout [bold red]\x1b[2J"),
            (NOW - 300, "INFO remote fine"),
        ],
    )
    return aws_server


@pytest.fixture
async def remote(aws: FakeAws) -> AsyncIterator[RemoteLogs]:
    config = CloudWatchLogsConfig.model_validate(
        {
            "type": "cloudwatch_logs",
            "name": "web-logs",
            "endpoint_url": aws.endpoint_url,
            "log_groups": [WEB],
        }
    )
    searches = RemoteLogs(LogGroupSearch.from_config([config], session_factory=aws.session))
    yield searches
    await searches.aclose()


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    path = tmp_path / "cache.db"
    async with await Store.open(path) as store:
        await store.write([SourceBatch("local", [LogEvent(NOW - 60, "WARN cached timeout")])])
    return path


def _status(app: WootwatchApp) -> str:
    return str(app.screen.query_one("#log-status", Static).render())


def _error(app: WootwatchApp) -> Static:
    return app.screen.query_one("#log-error", Static)


async def _remote_search(pilot: Pilot[object], pattern: str) -> None:
    await pilot.press("m", "slash")
    search = pilot.app.focused
    assert isinstance(search, Input)
    search.value = pattern
    await pilot.press("enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def _on_logs(app: WootwatchApp, pilot: Pilot[object], screen: LogsScreen) -> None:
    await refreshed(pilot)
    await app.push_screen(screen)
    await refreshed(pilot)


async def test_a_pattern_searches_cloudwatch_over_the_window(
    db: Path, remote: RemoteLogs, aws: FakeAws
) -> None:
    app = WootwatchApp(db, clock=lambda: NOW)
    async with app.run_test(size=(100, 24)) as pilot:
        await _on_logs(app, pilot, LogsScreen(remote=remote))
        assert [line.message for line in app.screen.query_one(LogPane).lines] == [
            "WARN cached timeout"
        ]
        await _remote_search(pilot, "timeout")
        lines = app.screen.query_one(LogPane).lines
        assert [(line.source, line.level) for line in lines] == [("web-logs", "error")]
        assert lines[0].message.startswith("ERROR remote timeout")
        row = "".join(s.text for s in app.screen.query_one(LogPane).render_line(0))
        assert "\x1b" not in row and "[bold red]␛[2J" in row
        sent = aws.calls_of("FilterLogEvents")[-1].params
        assert sent["filterPattern"] == "timeout"
        assert sent["startTime"] == int((NOW - 3600) * 1000)
        assert _status(app).startswith("last 1h · CloudWatch ‘timeout’ · 1 line")
        assert not _error(app).display

        await pilot.press("m")
        await refreshed(pilot)
        assert [line.message for line in app.screen.query_one(LogPane).lines] == [
            "WARN cached timeout"
        ]


async def test_expired_credentials_are_one_inline_line(
    db: Path, remote: RemoteLogs, aws: FakeAws
) -> None:
    aws.faults.expired = True
    app = WootwatchApp(db, clock=lambda: NOW)
    async with app.run_test(size=(100, 24)) as pilot:
        await _on_logs(app, pilot, LogsScreen(remote=remote))
        await _remote_search(pilot, "timeout")
        error = _error(app)
        assert error.display
        shown = str(error.render())
        assert shown.startswith("⚠ web-logs: ") and "expired" in shown and "\n" not in shown
        assert app.screen.query_one(LogPane).lines == []


async def test_without_a_cloudwatch_logs_source_the_screen_says_so(db: Path) -> None:
    app = WootwatchApp(db, clock=lambda: NOW)
    async with app.run_test(size=(100, 24)) as pilot:
        await refreshed(pilot)
        await pilot.press("6")
        await refreshed(pilot)
        await _remote_search(pilot, "timeout")
        assert str(_error(app).render()) == f"⚠ {NO_REMOTE}"
        await pilot.press("m")
        await refreshed(pilot)
        assert not _error(app).display
        assert len(app.screen.query_one(LogPane).lines) == 1

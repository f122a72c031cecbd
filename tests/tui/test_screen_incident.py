from __future__ import annotations

from pathlib import Path

import pytest
from _pilot import after, refreshed

from collectors.base import LogEvent
from collectors.store.database import SourceBatch, Store
from tui.app import WootwatchApp
from tui.data.reader import current_user
from tui.messages import ShowLogs
from tui.panels.firing import FiringPanel
from tui.panels.timeline import TimelinePanel
from tui.screens.incident import WINDOW, ChartsPanel, IncidentScreen, NewestErrors
from widgets.line_list import LineList
from widgets.metric_row import MetricRow
from widgets.spark_line import SparkLine

HOSTILE = "\x1b[2J\x1b]52;c;aGk=\x07[link=https://evil]x[/link][bold red]"
SHOWN = "␛[2J␛]52;c;aGk=␇[link=https://evil]x[/link][bold red]"


def _clock_line(app: WootwatchApp) -> str:
    return str(app.screen.query_one("#incident-clock-line").render())


def _lines(panel: object) -> list[str]:
    if isinstance(panel, FiringPanel):
        return [str(option.prompt) for option in panel.query_one(LineList).options]
    assert isinstance(panel, NewestErrors)
    return str(panel.query_one(".lines").render()).splitlines()


async def test_p_pins_the_start_and_the_view_counts_the_time_since(
    demo_app: WootwatchApp,
) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await pilot.press("7")
        await refreshed(pilot)
        assert isinstance(demo_app.screen, IncidentScreen)
        footer_keys = {b.binding.key for b in demo_app.screen.active_bindings.values()}
        assert {"p", "P"} <= footer_keys
        assert demo_app.screen.active_bindings["p"].binding.show
        assert _clock_line(demo_app) == (
            "○ start not pinned · first alert 11:06:40, 1m ago · 12 firing · p pins it"
        )
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("ctrl+u", *"11:06:40", "enter")  # the first alert's start, typed
        await refreshed(pilot)
        user = current_user()
        assert _clock_line(demo_app) == (
            f"⚑ pinned 11:06:40 (set 11:08:05 by {user}) · 1m25s elapsed · 12 firing · P unpins"
        )
        timeline = demo_app.screen.query_one(TimelinePanel).query_one(LineList).options
        pinned = [str(o.prompt) for o in timeline if "incident start pinned" in str(o.prompt)]
        assert pinned == [f"11:06:40 ⚑ incident start pinned  (set 11:08:05 by {user})"]
        assert demo_app.screen.query_one("#incident-clock").has_class("-pinned")
        await pilot.press("P")
        await refreshed(pilot)
        assert _clock_line(demo_app).startswith("○ start not pinned")


async def test_firing_alerts_come_most_severe_first(demo_app: WootwatchApp) -> None:
    async with demo_app.run_test(size=(200, 50)) as pilot:
        await pilot.press("7")
        await refreshed(pilot)
        lines = _lines(demo_app.screen.query_one(FiringPanel))
    assert len(lines) == 12
    severities = [line.split()[1] for line in lines]
    assert severities == ["critical"] * 6 + ["error"] * 2 + ["warning"] * 4
    assert lines[0].startswith("✖ critical 11:06:40   50.0%  Fewer than 95 % of messages")


async def test_the_alerts_series_come_first_among_the_sparklines(
    demo_app: WootwatchApp,
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7")
        await refreshed(pilot)
        readings = [row.reading for row in demo_app.screen.query(MetricRow)]
    alarms = [reading.alarm for reading in readings]
    assert alarms == sorted(alarms, reverse=True) and alarms[0] and not alarms[-1]
    labels = [reading.label for reading in readings]
    assert labels[:3] == ["msg SLA", "msg p95", "API p95"]  # the critical alerts' series
    assert "failed/min" in labels  # a series that is not a headline: its alert brought it
    assert labels[-1] == "health"  # then the headlines not already shown


async def test_the_newest_error_lines_come_first_and_are_inert(
    demo_db: Path, demo_now: float
) -> None:
    async with await Store.open(demo_db, clock=lambda: demo_now) as store:
        group = "/ecs/web\x1b[2J[bold red]"
        line = LogEvent(demo_now - 1, f"boom {HOSTILE}", group=group, level="error")
        quiet = LogEvent(demo_now - 0.5, "just info", group="/ecs/web", level="info")
        await store.write([SourceBatch("logs", records=[line, quiet])])
    app = WootwatchApp(demo_db, clock=lambda: demo_now)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.press("7")
        await refreshed(pilot)
        lines = _lines(app.screen.query_one(NewestErrors))
    assert lines[0] == f"11:08:04  web␛[2J[bold red]  boom {SHOWN}"
    assert lines[1].startswith("11:08:03  chatwoot-prod-web  Sidekiq job")
    assert not any("just info" in shown for shown in lines)


async def test_a_click_on_a_sparkline_opens_the_logs_of_that_slot(
    demo_app: WootwatchApp, demo_now: float
) -> None:
    posted: list[tuple[ShowLogs, int, tuple[float, float]]] = []

    def hook(message: object) -> None:
        # The geometry the click was read against: a refresh between measuring and
        # clicking may redraw the row (a wider value, a narrower sparkline).
        if isinstance(message, ShowLogs) and message not in [m for m, _, _ in posted]:
            width = demo_app.screen.query(SparkLine).first().size.width
            posted.append((message, width, demo_app.screen.query_one(ChartsPanel).window))

    async with demo_app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await pilot.press("7")
        await refreshed(pilot)
        await pilot.click(demo_app.screen.query(SparkLine).first(), offset=(1, 0))
        await pilot.pause()
    assert len(posted) == 1
    message, width, (start, end) = posted[0]
    slot = WINDOW / width
    assert end - start == pytest.approx(WINDOW, abs=1e-6)
    assert end - slot <= demo_now < end
    assert message.start == pytest.approx(start + slot, abs=1e-6)
    assert message.end == pytest.approx(start + 2 * slot, abs=1e-6)


@pytest.mark.parametrize(("size", "keys"), [((80, 24), ("7",)), ((120, 40), ("7", "p", "enter"))])
def test_snapshot(
    snap_compare: object,
    snapshot_demo: tuple[Path, float],
    size: tuple[int, int],
    keys: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, now = snapshot_demo
    (tmp_path / path.name).write_bytes(path.read_bytes())  # `p` pins: not in the shared recording
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOGNAME", "amy")  # who pinned, on every machine
    app = WootwatchApp(path, clock=lambda: now)
    assert snap_compare(app, terminal_size=size, run_before=after(*keys))  # type: ignore[operator]

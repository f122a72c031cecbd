"""One vocabulary (issue 15): every severity and state reads with one icon and one word.

Each renderer (widgets, the alert lines of the screens, the `alerts` CLI
table, the markdown export, the console summary) draws every severity and
state it can show; every place a word appears, the icon before it is the
one `widgets.vocab` gives it.
"""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

from textual.app import App, ComposeResult

from collectors.alerts.book import AlertRow
from collectors.alerts.rules import Severity, default_rules
from collectors.alerts.state import AlertState
from collectors.base import SourceState, SourceStatus, no_data_note
from tui.commands.alerts import _alerts
from tui.console import render_summary
from tui.export.write import build_export
from tui.panels.alert_lines import alert_line, alert_title
from widgets.alert_table import AlertTable
from widgets.severity_counts import SeverityCounts
from widgets.state_badge import StateBadge
from widgets.vocab import (
    ALERT_STATE_ICONS,
    SEVERITY_ICONS,
    SOURCE_STATE_ICONS,
    ago,
    format_value,
    updated_ago,
)

SEVERITIES = [str(s) for s in Severity]
ALERT_STATES = ["pending", "firing", "resolved"]
SOURCE_STATES = ["ok", "stale", "down", "no data"]


def _row(severity: str, state: str, number: int) -> AlertRow:
    return AlertRow(
        id=number,
        rule="queue_depth_high",
        labels={"source": "sidekiq"},
        severity=Severity(severity),
        state=AlertState(state),
        value=51.0,
        summary="",
        started_at=1000.0,
        updated_at=1000.0,
        resolved_at=None,
        acknowledged_by=None,
        acknowledged_at=None,
        ack_note=None,
        flapping=False,
    )


ROWS = [
    _row(severity, state, number)
    for number, (severity, state) in enumerate(
        (sev, st) for sev in SEVERITIES for st in ALERT_STATES
    )
]


class _Widgets(App[None]):
    def compose(self) -> ComposeResult:
        yield SeverityCounts(counts={s: 1 for s in SEVERITIES})
        yield AlertTable()
        for state in SOURCE_STATES:
            yield StateBadge(state=state, age=12.0)


async def _widget_text() -> str:
    app = _Widgets()
    async with app.run_test() as pilot:
        table = app.query_one(AlertTable)
        lines = [alert_line(row, [], 1060.0, {}) for row in ROWS]
        table.show_alerts(lines)
        await pilot.pause()
        cells = [str(cell) for line in lines for cell in table._cells(line)]
        counts = str(app.query_one(SeverityCounts).render())
        badges = [str(badge.render()) for badge in app.query(StateBadge)]
    return "\n".join([counts, *cells, *badges])


def _icons_before(text: str, word: str, between: str = "") -> set[str]:
    return set(re.findall(rf"([^\x00-\x7f\s→]) {between}{re.escape(word)}\b", text))


async def test_every_widget_shows_one_icon_and_one_word_for_each_severity_and_state() -> None:
    text = await _widget_text()
    for severity in SEVERITIES:
        assert f"{SEVERITY_ICONS[severity]} 1 {severity}" in text  # the counts
        assert f"{SEVERITY_ICONS[severity]} {severity}" in text  # the table
        assert _icons_before(text, severity) | _icons_before(text, severity, r"1 ") == {
            SEVERITY_ICONS[severity]
        }
    for state in ALERT_STATES:
        assert _icons_before(text, state) | _icons_before(text, state, r"\d+ ") == {
            ALERT_STATE_ICONS[state]
        }
    for state in SOURCE_STATES:
        assert _icons_before(text, state) == {SOURCE_STATE_ICONS[state]}


def test_alert_lines_cli_table_export_and_summary_agree(
    recorded_demo: tuple[Path, float],
) -> None:
    db, now = recorded_demo
    titles = "\n".join(alert_title(row) for row in ROWS)
    cli = io.StringIO()
    asyncio.run(_alerts(db, False, cli, now, lambda: {r.name: r for r in default_rules()}))
    export = asyncio.run(build_export(db, now=now, since=3600.0, user="amy", host="h"))
    statuses = {
        state: SourceStatus(
            state,
            SourceState.OK if state == "no data" else SourceState(state),
            now,
            last_success=now - 5,
            note=no_data_note("nothing to read") if state == "no data" else None,
        )
        for state in SOURCE_STATES
    }
    summary = "\n".join(render_summary(statuses, {}, now, 100))
    outputs = {"alert titles": titles, "cli": cli.getvalue(), "export": export}
    for severity in SEVERITIES:
        assert _icons_before(titles, severity) == {SEVERITY_ICONS[severity]}
    for what, text in outputs.items():
        assert SEVERITY_ICONS["critical"] + " critical" in text, what
        for severity in SEVERITIES:
            found = _icons_before(text, severity) | _icons_before(text, severity, r"\d+ ")
            assert found <= {SEVERITY_ICONS[severity]}, (what, severity, found)
        for state in ("pending", "firing"):
            assert _icons_before(text, state) <= {ALERT_STATE_ICONS[state]}, (what, state)
    for state in SOURCE_STATES:
        assert _icons_before(summary, state) == {SOURCE_STATE_ICONS[state]}
        assert _icons_before(export, state) <= {SOURCE_STATE_ICONS[state]}


def test_the_same_95_seconds_read_alike_on_the_badge_the_summary_and_the_cli() -> None:
    """Issue 15: `updated 1m ago` beside `updated 1m35s ago` for the same 95 s."""
    status = SourceStatus("sidekiq", SourceState.OK, 1095.0, last_success=1000.0)
    (summary,) = render_summary({"sidekiq": status}, {}, 1095.0, 100)
    assert "updated 1m ago" in summary
    assert updated_ago(95.0) == "updated 1m ago" and ago(95.0) == "1m ago"
    assert [ago(s) for s in (0.4, 12.0, 59.9, 3725.0)] == [
        "<10s ago",
        "10s ago",
        "50s ago",
        "1h2m ago",
    ]


def test_one_value_formatter_for_screens_and_exports() -> None:
    """Issue 15: `3.0GB` on a screen and `3,072 MiB` in the export for the same bytes."""
    assert format_value(3 * 1024**3, "bytes") == "3.0GB"
    assert format_value(None) == "–"
    assert [format_value(v) for v in (1204.0, 2.5, 0.125, 51.0)] == ["1204", "2.5", "0.125", "51"]

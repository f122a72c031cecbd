"""Issue 16 item 1: the screen's marked value, the alert's value and the export's figure agree.

All read the recorded demo in the middle of its first incident.
"""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

from _pilot import refreshed
from _written import NOW, write_sla_db

from collectors.alerts.book import AlertBook, AlertRow
from collectors.alerts.rules import default_rules
from collectors.series import CHATWOOT_UP, SIDEKIQ_QUEUE_SIZE
from collectors.store.database import SeriesInfo
from tui.app import WootwatchApp
from tui.commands.alerts import _alerts
from tui.data.source_badge import worst_of_checks
from tui.export.write import build_export
from tui.panels.alert_lines import alert_detail, alert_line, ordered
from widgets.metric_row import MetricRow

RULES = {rule.name: rule for rule in default_rules()}


def _cli(db: Path, now: float, *, as_json: bool) -> str:
    out = io.StringIO()
    asyncio.run(_alerts(db, as_json, out, now, lambda: RULES))
    return out.getvalue()


def _shown(table: str, rule: str) -> str:
    """The VALUE cell of a rule's row in `wootwatch alerts` (`2.6s p95 5m`)."""
    line = next(ln for ln in table.splitlines() if f"  {rule} " in ln)
    return line[line.index("Z  ") + 3 :].split(f"  {rule}")[0].strip()


def _export_row(document: str, first_cell: str) -> list[str]:
    line = next(ln for ln in document.splitlines() if ln.startswith(f"| {first_cell}"))
    return [c.strip().replace("\\", "") for c in line.strip("| ").split(" | ")]


def test_alert_values_have_units_and_since_is_the_first_start(
    recorded_demo: tuple[Path, float],
) -> None:
    """`4.434e+04` and `44,339` were the same 44.3 s; "since" was the re-fire time."""
    db, now = recorded_demo
    table = _cli(db, now, as_json=False)
    assert _shown(table, "api_p95_latency_high") == "2.6s p95 5m"
    assert _shown(table, "webhook_delivery_failed") == "11.1% ratio 1m"
    alerts = {str(a["rule"]): a for a in json.loads(_cli(db, now, as_json=True))}
    critical = alerts["chatwoot_response_time_critical"]  # pending at 11:06:55, firing at 11:07:15
    assert (critical["since"], critical["changed"]) == (
        "2026-11-18T11:06:55Z",
        "2026-11-18T11:07:15Z",
    )
    line = next(ln for ln in table.splitlines() if "chatwoot_response_time_critical" in ln)
    assert "2026-11-18T11:06:55Z" in line and " 8.6s latest  " in line
    document = asyncio.run(build_export(db, now=now, since=900.0, user="amy", host="h"))
    cell = " chatwoot\\_response\\_time\\_critical ("  # the firing alert, not the health score
    summary = document[document.index("## Executive summary") :]  # after the timeline
    row = next(ln for ln in summary.splitlines() if cell in ln)
    assert "2026-11-18 11:06:55" in row and "| 8.6s (latest) |" in row
    exported = json.loads(
        asyncio.run(build_export(db, now=now, since=900.0, user="amy", host="h", fmt="json"))
    )
    (active,) = [a for a in exported["active_alerts"] if a["rule"] == "api_p95_latency_high"]
    assert (active["shown"], active["measure"]) == ("2.6s", "p95 5m")
    since = str(alerts["api_p95_latency_high"]["since"])
    assert active["started_at"].startswith(since.removesuffix("Z"))


def test_export_statuses_agree_with_the_alerts_firing(recorded_demo: tuple[Path, float]) -> None:
    """A figure an alert in force calls critical is not `⚠ warning` or `✅ Normal` in the export."""
    db, now = recorded_demo
    document = asyncio.run(build_export(db, now=now, since=900.0, user="amy", host="h"))
    failing = _export_row(document, "Sidekiq jobs failing")
    shown = _shown(_cli(db, now, as_json=False), "webhook_delivery_failed")
    assert failing[3].startswith("✖ critical") and shown == "11.1% ratio 1m"
    assert "alert firing: webhook_delivery_failed 11.1% (ratio 1m)" in failing[3]
    pending = _export_row(document, "Pending conversations")
    assert pending[1] == "25 to 26"  # a count's normal range has no halves


async def test_a_marked_number_is_the_alerts_own_value_with_its_statistic(
    demo_app: WootwatchApp, recorded_demo: tuple[Path, float]
) -> None:
    """`API p95 ⚠ 1.2s` while the alert read 2.4 s: the mark reads the alert's figure."""
    db, now = recorded_demo
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        readings = {row.reading.label: row.reading for row in demo_app.screen.query(MetricRow)}
    out = io.StringIO()
    await _alerts(db, False, out, now, lambda: RULES)
    table = out.getvalue()
    api = readings["API p95"]  # the most severe alert on the latency: the 5 s one, latest
    assert api.alarm and f"{api.value} {api.note}" == _shown(
        table, "chatwoot_response_time_critical"
    )
    enqueued = readings["enqueued"]
    assert f"{enqueued.value} {enqueued.note}" == _shown(table, "queue_depth_high") == "885 latest"


def _info(name: str, value: float, **labels: str) -> SeriesInfo:
    return SeriesInfo(1, "chatwoot", name, labels, "", 0.0, value)


def test_a_source_badge_is_the_worst_of_its_checks() -> None:
    """`● ok` beside `health ✖ down`: the health check down makes the badge down."""
    series = [
        _info(CHATWOOT_UP, 1.0, check="api"),
        _info(CHATWOOT_UP, 0.0, check="health"),
        _info(SIDEKIQ_QUEUE_SIZE, 0.0),
    ]
    assert worst_of_checks("ok", "", series) == ("down", "health check down")
    assert worst_of_checks("ok", "", series[:1] + series[2:]) == ("ok", "")
    assert worst_of_checks("stale", "timeout", series) == ("stale", "timeout")


def test_no_channel_is_on_target_in_the_export_while_the_sla_is_not(tmp_path: Path) -> None:
    """`✔ on target` on every channel while the SLA was critical."""
    db = write_sla_db(tmp_path / "sla.db")  # compliance 91 %: below the 95 % target
    document = asyncio.run(build_export(db, now=NOW, since=3600.0, user="amy", host="h"))
    assert "| 91.0% | 91.0% | 15m | – | – | – | ⚠ below target |" in document
    web = next(ln for ln in document.splitlines() if "web\\_widget" in ln)
    assert "✔" not in web and "mean within target (SLA warning)" in web


def test_the_alerts_screen_row_and_detail_read_like_the_cli(
    recorded_demo: tuple[Path, float],
) -> None:
    """The alerts screen showed `8629` since 11:07 (the re-fire) where the overview said 11:06."""
    db, now = recorded_demo

    async def visible() -> list[AlertRow]:
        async with await AlertBook.open(db, readonly=True) as book:
            return ordered(await book.visible(now))

    alerts = asyncio.run(visible())
    (critical,) = [a for a in alerts if a.rule == "chatwoot_response_time_critical"]
    line = alert_line(critical, [], now, RULES)
    assert (line.since, line.value) == ("11:06", "8.6s")
    detail = alert_detail(critical, [], now, RULES).plain
    assert "value 8.6s (latest) · ● firing since 11:06:55" in detail
    assert "changed 11:07:15" in detail
    criticals = [a for a in alerts if a.state.value == "firing" and a.severity.value == "critical"]
    starts = [a.started_at for a in criticals]
    assert starts == sorted(starts, reverse=True)  # newest first, by the "since" shown

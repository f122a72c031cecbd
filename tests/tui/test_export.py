"""The export of a recorded demo and of a database full of hostile upstream text."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from _export_db import HOSTILE, SECRET, record_hostile
from _tuned import tuned_rules
from markdown_it import MarkdownIt
from markdown_it.token import Token

from collectors.alerts.annotations import add_annotation
from collectors.alerts.book import AlertBook
from collectors.inert import inert
from collectors.store.log_search import message_shape
from tui.config.models import parse_config
from tui.export.health import METRICS, health
from tui.export.model import Level, MetricRow
from tui.export.write import build_export

USER, HOST = "amy", "bastion-1"


@pytest.fixture(scope="module")
def demo(recorded_demo: tuple[Path, float]) -> tuple[Path, float]:
    """The run's recorded demo (tests/tui/conftest.py): exports only read it."""
    return recorded_demo


@pytest.fixture(scope="module")
def hostile(
    tmp_path_factory: pytest.TempPathFactory, demo: tuple[Path, float]
) -> tuple[Path, float]:
    path = tmp_path_factory.mktemp("hostile") / "hostile.db"
    asyncio.run(record_hostile(path, demo[0], demo[1]))
    return path, demo[1]


@pytest.fixture
def demo_copy(tmp_path: Path, demo: tuple[Path, float]) -> tuple[Path, float]:
    shutil.copy(demo[0], tmp_path / "demo.db")
    return tmp_path / "demo.db", demo[1]


async def export(db: Path, now: float, *, since: float = 900.0, **options: object) -> str:
    return await build_export(db, now=now, since=since, user=USER, host=HOST, **options)  # type: ignore[arg-type]


def section(document: str, title: str) -> str:
    start = document.index(f"## {title}\n")
    end = document.find("\n## ", start + 1)
    return document[start : end if end > 0 else None]


def table_rows(document: str, after: str) -> list[list[str]]:
    """The rows (header first, cells unescaped) of the first table after a heading."""
    lines = document[document.index(after) :].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| "))
    rows = []
    for line in lines[start:]:
        if not line.startswith("| "):
            break
        if not line.startswith("| ---"):
            rows.append([c.strip().replace("\\", "") for c in line.strip("| ").split(" | ")])
    return rows


def keyed(rows: list[list[str]]) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in rows}


def walk(tokens: list[Token]) -> list[Token]:
    found = []
    for token in tokens:
        found.append(token)
        found.extend(walk(token.children or []))
    return found


# ------------------------------------------------------------------- the demo


async def test_the_demo_incident_reads_as_unhealthy_with_the_seed_table(
    demo: tuple[Path, float],
) -> None:
    document = await export(*demo)
    assert document.startswith("# wootwatch snapshot, 2026-11-18 11:08 UTC\n")
    assert "by amy on bastion-1" in document
    assert "the last 15m (`--since`)" in document
    assert "**Overall: ✖ unhealthy**" in document
    metrics = keyed(table_rows(document, "## Metrics"))
    assert metrics["Metric"] == ["Normal range", "Value in window", "Status"]
    assert metrics["Chatwoot API latency (p95)"][2].startswith("✖ critical")
    assert metrics["Chatwoot API availability (mean)"] == ["100.0%", "100.0%", "✔ normal"]
    assert metrics["Pending conversations (peak)"][1] == "31"
    summary = section(document, "Executive summary")
    assert "✖ 6 critical, ◆ 2 error, ⚠ 4 warning firing; 1 pending" in summary
    assert "URGENT: High backlog" in section(document, "Queues")


async def test_the_status_columns_follow_the_rules_in_force(demo: tuple[Path, float]) -> None:
    """Issue 15: the config's backlog, SLA and queue-depth thresholds colour the export."""
    shown = {}
    for name, rules in (("default", []), ("tuned", tuned_rules())):
        document = await export(*demo, rules=rules)
        metrics = keyed(table_rows(document, "## Metrics"))
        shown[name] = (
            keyed(table_rows(document, "## Queues"))["chatwoot"][-1],
            keyed(table_rows(document, "## SLA"))["chatwoot"][-1],
            *(
                metrics[title][2].split("; alert firing")[0]  # the alert beside: tested apart
                for title in (
                    "Pending conversations (peak)",
                    "Sidekiq jobs enqueued (peak total)",
                    "First-response SLA (lowest)",
                )
            ),
        )
    assert shown["default"] == (
        "✖ URGENT: High backlog",  # a peak of 31 pending: more than 20
        "✖ critical",
        "✖ critical, above normal range",
        "✖ critical",  # 885 jobs: more than 100
        "✖ critical, below normal range",
    )
    assert shown["tuned"] == (
        "⚠ CX queue backlog",  # more than 30, not more than 60
        "⚠ below target",  # above the floor of 70 %
        "⚠ warning, above normal range",
        "✔ normal",  # not more than 5,000
        "⚠ warning, below normal range",
    )


LATENCY_AND_UPTIME_YAML = """\
rules:
  - name: chatwoot_response_time_degraded
    condition: {value: 50000}
  - name: chatwoot_response_time_critical
    condition: {value: 60000}
  - name: api_error_rate_high
    condition: {value: 1.5}
    escalate: [{severity: error, value: 0.5}]
"""
"""API p95 fine up to 50 s; an uptime below 150 % (always) a warning."""


async def test_api_latency_and_uptime_are_judged_by_the_rules_in_force(
    demo: tuple[Path, float],
) -> None:
    """Issue 15: the export's API p95 and uptime colours come from the rules, not the seeds."""
    rules = parse_config(LATENCY_AND_UPTIME_YAML, "tuned.yaml").effective_rules
    document = await export(*demo, rules=rules)
    metrics = keyed(table_rows(document, "## Metrics"))
    # The recorded critical alert fired under the old 5 s bound, so it is not cited; the
    # bound shown is the config's.
    assert "chatwoot_response_time_critical" not in metrics["Chatwoot API latency (p95)"][2]
    assert "Chatwoot API latency (p95): \\> 50.0s warning, \\> 60.0s critical" in document
    assert metrics["Chatwoot API availability (mean)"][2].startswith("⚠ warning")
    assert (
        "Uptime of the API checks (< 150.0% warning, < 50.0% critical (rule api_error_rate_high))"
        in document
    )
    uptime = keyed(table_rows(document, "Uptime of the API checks"))
    assert uptime["chatwoot"] == ["⚠ 100.00% over the 1h2m recorded"] * 3


async def test_uptime_says_how_much_of_its_window_was_recorded(demo: tuple[Path, float]) -> None:
    """Issue 13: an hour of checks is never shown as a 30-day uptime."""
    document = await export(*demo)
    uptime = keyed(table_rows(document, "Uptime of the API checks"))
    assert uptime["chatwoot"] == ["✔ 100.00% over the 1h2m recorded"] * 3


async def test_a_window_at_the_start_of_history_has_no_baseline(
    demo: tuple[Path, float],
) -> None:
    document = await export(*demo, since=3600.0)
    metrics = keyed(table_rows(document, "## Metrics"))
    assert metrics["Chatwoot API latency (p95)"][0] == "no baseline"
    assert "the last 1h (`--since`)" in document


async def test_latency_buckets_add_up_and_phases_are_listed(demo: tuple[Path, float]) -> None:
    document = await export(*demo)
    latency = section(document, "Latency")
    buckets = keyed(table_rows(latency, "### Distribution: Messages"))
    assert list(buckets) == ["Bucket", "<1s", "<2s", "<5s", "5-10s", "10-30s", ">30s"]
    total = sum(float(cells[0].replace(",", "")) for cells in list(buckets.values())[1:])
    assert "310 values" in latency and abs(total - 310) <= 3  # sketch edges: within 1 %
    bars = {cells[0]: cells[2] for cells in list(buckets.values())[1:]}
    assert len(bars[max(bars, key=lambda count: float(count.replace(",", "")))]) == max(
        len(bar) for bar in bars.values()
    )
    phases = table_rows(latency, "### Pipeline phases")
    assert [row[1] for row in phases[1:]] == [
        "queue_to_worker", "worker_processing", "worker_to_chatwoot"
    ]  # fmt: skip
    assert table_rows(latency, "## Latency")[1][:2] == ["chatwoot", "conversations"]


async def test_the_timeline_lists_every_change_ack_and_silence_in_order(
    demo_copy: tuple[Path, float],
) -> None:
    db, now = demo_copy
    async with await AlertBook.open(db) as book:
        await book.acknowledge(7, "amy", "scaling web", now - 2)
        await book.add_silence(
            {"rule": "queue_depth_high"},
            starts_at=now - 1,
            ends_at=now + 3600,
            created_by="bob",
            comment="reindex job",
            now=now - 1,
        )
    timeline = section(await export(db, now), "Incident timeline").replace("\\", "")
    rows = [line for line in timeline.splitlines() if line.startswith("| 2026")]
    times = [row.split(" | ")[0] for row in rows]
    assert times == sorted(times) and len(rows) == 23
    assert sum(" error lines in " in row for row in rows) == 3  # the demo's bursts
    alert = "#7 chatwoot_response_time_critical (source=chatwoot)"
    assert f"{alert} | ✖ critical | acknowledged" in rows[-3]
    assert "| amy | scaling web |" in rows[-3]
    assert "rule=queue_depth_high" in rows[-2] and "| bob | reindex job |" in rows[-2]
    assert "ok → firing" in rows[-1]  # webhook_delivery_failed, at the window's end


async def test_a_pinned_incident_start_is_the_window(demo_copy: tuple[Path, float]) -> None:
    """The window starts at the pin; the header, timeline and JSON say who set it and when."""
    db, now = demo_copy
    async with await AlertBook.open(db) as book:
        await book.pin_incident(now - 45, by="amy", now=now - 5)
    document = await export(db, now, since=86400.0)
    assert (
        "- **Window:** 2026-11-18T11:07:20Z to 2026-11-18T11:08:05Z: 45s, from the pinned "
        "incident start (set 2026-11-18T11:08:00Z by amy; `--since` not used"
    ) in document
    timeline = section(document, "Incident timeline")
    assert "11:07:25" in timeline and "11:07:15" not in timeline
    rows = table_rows(document, "## Incident timeline")
    pin = ["2026-11-18 11:07:20", "—", "—", "incident start pinned", "", "amy"]
    assert [*pin, "set 2026-11-18 11:08:00"] in rows
    data = json.loads(await export(db, now, since=86400.0, fmt="json"))
    window = data["header"]["window"]
    assert (window["start_at"], window["pin_set_at"], window["pin_set_by"]) == (
        "2026-11-18T11:07:20Z", "2026-11-18T11:08:00Z", "amy",
    )  # fmt: skip
    (entry,) = [e for e in data["timeline"] if e["kind"] == "pin"]
    assert (entry["at"], entry["set_at"], entry["actor"]) == (
        "2026-11-18T11:07:20Z", "2026-11-18T11:08:00Z", "amy",
    )  # fmt: skip


def test_the_health_score_weighs_components_and_leaves_out_those_without_data() -> None:
    def row(key: str, level: Level) -> MetricRow:
        return MetricRow(key, key, "%", 1.0, "mean", None, None, "none", level, "t")

    everything_ok = [row(spec.key, Level.OK) for spec in METRICS]
    assert (health(everything_ok).score, health(everything_ok).status) == (100.0, "healthy")
    chatwoot_warning = [row("uptime", Level.WARNING), row("sla", Level.OK)]
    result = health(chatwoot_warning)  # only Chatwoot (40) and SLA (25) have data
    assert result.score == pytest.approx((0.40 * 50 + 0.25 * 100) / 0.65, abs=0.1)
    assert result.status == "unhealthy"
    assert [c.score for c in result.components] == [50.0, 100.0, None, None]
    assert health([row("ecs_cpu", Level.WARNING), row("uptime", Level.OK)]).status == "degraded"
    assert health([]).status == "unknown"


def test_a_component_raised_by_a_firing_alert_names_it_not_thresholds_that_would_not() -> None:
    """`critical (> 5% warning, > 10% critical)` beside 5.1 %: another rule's alert raised it."""
    raised = MetricRow(
        "failing", "Sidekiq jobs failing", "%", 5.1, "ratio", None, None, "none",
        Level.CRITICAL, "> 5.0% warning, > 10.0% critical (seed 000)",
        alert="webhook_delivery_failed 11.1% (ratio 1m)",
    )  # fmt: skip
    (_, _, queues, _) = health([raised]).components
    assert queues.reason == (
        "Sidekiq jobs failing 5.1%: critical: alert webhook_delivery_failed 11.1% (ratio 1m) "
        "firing; the window's figure alone is warning (> 5.0% warning, > 10.0% critical "
        "(seed 000))"
    )
    judged = replace(raised, value=12.0)  # past 10 %: the thresholds say critical themselves
    (_, _, queues, _) = health([judged]).components
    assert queues.reason.startswith("Sidekiq jobs failing 12.0%: critical (> 5.0% warning")


async def test_markdown_and_json_say_the_same(demo: tuple[Path, float]) -> None:
    document = await export(*demo)
    data = json.loads(await export(*demo, fmt="json"))
    assert (data["format"], data["version"]) == ("wootwatch-export", 1)
    assert data["header"]["window"]["start_at"] == "2026-11-18T10:53:05Z"
    assert data["health"]["status"] == "unhealthy"
    metrics = table_rows(document, "## Metrics")[1:]
    assert [m["label"] for m in data["metrics"]] == [row[0].rsplit(" (", 1)[0] for row in metrics]
    timeline = section(document, "Incident timeline")
    assert len(data["timeline"]) == timeline.count("\n| 2026")
    assert data["timeline"][0]["at"] == "2026-11-18T10:56:40Z"  # a burst of error lines
    assert data["timeline"][0]["kind"] == "errors" and list(data)[:4] == [
        "format", "version", "header", "timeline"
    ]  # fmt: skip
    assert document.index("## Incident timeline") < document.index("## Executive summary")
    assert len(data["log_lines"]) == 20 and data["error_lines"] > 20


# -------------------------------------------------------------- hostile text


def raw_cells(line: str) -> int:
    """Cells of a table row as GFM splits it: at every `|` not escaped by a backslash."""
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    return len(re.split(r"(?<!\\)\|", body))


async def test_hostile_text_stays_in_its_cell_and_never_becomes_markup(
    hostile: tuple[Path, float],
) -> None:
    document = await export(*hostile, secrets=[SECRET])
    parser = MarkdownIt("gfm-like")
    tokens = parser.parse(document)
    lines = document.splitlines()
    tables = [t for t in tokens if t.type == "table_open"]
    assert len(tables) >= 12
    for table in tables:
        assert table.map is not None
        first, last = table.map
        header = raw_cells(lines[first])
        assert all(raw_cells(line) == header for line in lines[first + 2 : last]), lines[first]
    everything = walk(tokens)
    assert not {t.type for t in everything} & {"html_block", "html_inline", "link_open", "image"}
    full = inert(HOSTILE.replace("\u2028", "\u2424"))
    cells = [
        "".join(c.content for c in t.children or [])
        for t in everything
        if t.type == "inline" and t.content.startswith("evil")
    ]
    assert len(cells) >= 10  # each whole in one cell: cut at 240 characters, the log shapes masked
    forms = (full, message_shape(full))
    assert all(any(f.startswith(c.removesuffix("…")) for f in forms) for c in cells)
    assert sum(len(c) >= 240 for c in cells) >= 10
    assert "\x1b" not in document and "\x07" not in document and "\u202e" not in document
    rendered = parser.render(document)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered  # shown, as text
    assert "␛[2J␛]52;c;ZXZpbA==␇" in rendered
    assert "[x](javascript:alert(1))" in rendered and "<a " not in rendered
    assert "````` five backticks `````" in rendered  # inside the fenced block
    timeline = table_rows(document, "## Incident timeline")
    (note,) = [row for row in timeline if row[3] == "note"]
    assert note[5].startswith("evil|pipe ``` ``` `` ` x␊second line") and "␛[2J" in note[6]


async def test_secrets_never_appear(hostile: tuple[Path, float]) -> None:
    for fmt in ("markdown", "json"):
        text = await export(*hostile, fmt=fmt, secrets=[SECRET])
        assert SECRET not in text
        assert "[redacted]" in text.replace("\\", "")
    without_config = (await export(*hostile)).replace("\\", "")
    assert "api_access_token=[redacted] refused" in section(without_config, "Sources")
    assert "api_access_token: [redacted] evil|pipe" in section(without_config, "Logs")


@pytest.mark.parametrize(
    ("since", "said"),
    [
        (900.0, "15 slots of 1 min over 15 min;"),
        (612.0, "12 slots of about 50 s over 10 min;"),  # was "12 slots of 51s each"
        (6 * 3600.0, "48 slots of 7.5 min over 6 h;"),
    ],
)
async def test_the_sparklines_say_their_slot_and_window_as_a_person_reads_them(
    demo_copy: tuple[Path, float], since: float, said: str
) -> None:
    """Issue 16: "12 slots of 51s each" read as neither the window nor a round slot."""
    assert said in section(await export(*demo_copy, since=since), "Sparklines")


async def test_json_of_hostile_text_is_ascii_and_parses(hostile: tuple[Path, float]) -> None:
    text = await export(*hostile, fmt="json", secrets=[SECRET])
    assert text.isascii()
    data = json.loads(text)
    assert any(HOSTILE.split("\n")[0] in row["summary"] for row in data["active_alerts"])


async def test_an_annotation_leads_the_timeline_and_is_marked_under_the_sparklines(
    demo_copy: tuple[Path, float],
) -> None:
    db, now = demo_copy
    async with await AlertBook.open(db) as book:
        await add_annotation(book, ts=now - 290, author="amy", text="deploy v4.2.1")
    document = await export(db, now)  # 15 min: 15 slots of a minute
    rows = table_rows(document, "## Incident timeline")
    assert ["2026-11-18 11:03:15", "—", "—", "note", "", "amy", "deploy v4.2.1"] in rows
    sparks = section(document, "Sparklines")
    (marks,) = [line for line in sparks.splitlines() if line.startswith("annotations ")]
    first = next(line for line in sparks.splitlines() if "chatwoot" in line)
    start = next(i for i, c in enumerate(first) if c in "▁▂▃▄▅▆▇█")
    assert marks.count("▲") == 1 and marks.index("▲") - start == 10  # the 11th minute of 15

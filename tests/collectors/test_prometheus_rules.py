"""The rule pack as Prometheus alerting rules: valid, shipped, firing as wootwatch's engine does.

`prometheus/tests/wootwatch-rules_test.yml` plays four scenarios through the
exported rules in promtool; the engine tests here play the same polls through
wootwatch's own engine and expect it to fire at the same check.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from collectors.alerts.book import AlertBook
from collectors.alerts.engine import AlertEngine
from collectors.alerts.prometheus import prometheus_rules
from collectors.alerts.rules import Rule, effective_rules
from collectors.alerts.state import AlertState
from collectors.base import Sample, SourceConfig, SourceState, SourceStatus
from collectors.store.database import SourceBatch, Store
from tests._tools import tool

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "prometheus" / "wootwatch-rules.yml"
UNIT_TESTS = ROOT / "prometheus" / "tests"
POLL = 30.0
"""Seconds between polls in every scenario, as in the promtool tests' `interval`."""


def test_the_shipped_rules_file_is_the_export_of_the_default_pack() -> None:
    interval = SourceConfig.model_fields["interval"].default
    assert RULES.read_text(encoding="utf-8") == prometheus_rules(
        effective_rules(), lambda _: interval
    )


def test_every_rule_in_force_is_an_alert_or_a_comment_saying_why() -> None:
    text = prometheus_rules(effective_rules(), lambda _: POLL)
    for rule in effective_rules():
        assert f"alert: {rule.name}\n" in text or f"# {rule.name}: not expressed: " in text


def test_promtool_accepts_the_export(tmp_path: Path) -> None:
    promtool = tool("promtool")
    exported = tmp_path / "rules.yml"
    exported.write_text(prometheus_rules(effective_rules(), lambda _: POLL), encoding="utf-8")
    result = subprocess.run(
        [promtool, "check", "rules", str(exported)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_unit_tests_pass() -> None:
    promtool = tool("promtool")
    result = subprocess.run(
        [promtool, "test", "rules", *sorted(p.name for p in UNIT_TESTS.glob("*.yml"))],
        capture_output=True,
        text=True,
        cwd=UNIT_TESTS,
        timeout=30,
    )
    assert result.returncode == 0, result.stdout + result.stderr


Poll = Sequence[tuple[Mapping[str, str], float] | tuple[Mapping[str, str], float, int]]


async def _states_per_poll(
    tmp_path: Path, rule_name: str, source: str, series: str, polls: Sequence[Poll]
) -> list[AlertState | None]:
    """Play `polls` (label set, value[, repeats]) of one series through the engine."""
    rule = next(r for r in effective_rules() if r.name == rule_name)
    now = [time.time() - 3600.0]
    store = await Store.open(tmp_path / "w.db", clock=lambda: now[0])
    book = await AlertBook.open(store.path)
    engine = AlertEngine([rule], store, book, clock=lambda: now[0])
    states: list[AlertState | None] = []
    try:
        for poll in polls:
            now[0] += POLL
            samples = [
                Sample(series, value, now[0], labels)
                for labels, value, *repeats in poll
                for _ in range(repeats[0] if repeats else 1)
            ]
            status = SourceStatus(source, SourceState.OK, now[0], now[0])
            batch = SourceBatch(source, samples, status)
            await store.write([batch])
            await engine.after_write([batch])
            alerts = [a for a in await book.visible(now[0]) if a.rule == rule_name]
            states.append(alerts[0].state if alerts else None)
    finally:
        await engine.aclose()
        await store.close()
    return states


async def test_the_engine_fires_api_down_at_the_third_failed_check(tmp_path: Path) -> None:
    api = {"check": "api"}
    states = await _states_per_poll(
        tmp_path, "chatwoot_api_down", "chatwoot", "chatwoot.up", [[(api, 0.0)]] * 3
    )
    assert states == [AlertState.PENDING, AlertState.PENDING, AlertState.FIRING]


async def test_the_engine_fires_sla_below_85_percent_at_once(tmp_path: Path) -> None:
    states = await _states_per_poll(
        tmp_path,
        "chatwoot_sla_compliance_low",
        "chatwoot",
        "chatwoot.sla.compliance_pct",
        [[({}, 90.0)], [({}, 84.0)]],
    )
    assert states == [None, AlertState.FIRING]


async def test_the_engine_fires_queue_depth_over_50_summed_over_queues(tmp_path: Path) -> None:
    default, mailers = {"queue": "default"}, {"queue": "mailers"}
    states = await _states_per_poll(
        tmp_path,
        "queue_depth_high",
        "sidekiq",
        "sidekiq.queue.size",
        [[(default, 20.0), (mailers, 20.0)], [(default, 30.0), (mailers, 25.0)]],
    )
    assert states == [None, AlertState.FIRING]


async def test_the_engine_fires_pipeline_p95_over_5_seconds(tmp_path: Path) -> None:
    states = await _states_per_poll(
        tmp_path,
        "pipeline_p95_latency_high",
        "pipeline",
        "pipeline.latency_ms",
        [[({}, 6000.0, 10)]] * 3,
    )
    assert states[-1] is AlertState.FIRING  # promtool: firing at 1m, the third poll


@pytest.mark.parametrize(
    ("hold", "written"),
    [
        ("1 check", "      - alert: up_low\n"),
        ("3 checks", "for: 1m\n"),
        ("2m", "for: 2m\n"),
        ("3 of 5", "# up_low: not expressed: `for: 3 of 5` counts breaching checks"),
    ],
)
def test_a_hold_becomes_prometheus_for(hold: str, written: str) -> None:
    rule = Rule.model_validate(
        {
            "name": "up_low",
            "series": "chatwoot.up",
            "condition": {"op": "<", "value": 1},
            "for": hold,
        }
    )
    text = prometheus_rules([rule], lambda _: POLL)
    assert written in text
    assert ("\n        for: " in text) == (hold in ("3 checks", "2m"))

"""Rules: the models, the default pack, and every condition type against a real store."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from collectors.alerts.evaluate import BatchView, GroupCheck, RuleEvaluator
from collectors.alerts.rules import (
    Hold,
    Rule,
    RuleEntry,
    Severity,
    default_rules,
    default_rules_yaml,
    effective_rules,
    parse_hold,
)
from collectors.base import SOURCE_UP, Sample, SourceState, SourceStatus
from collectors.demo import DemoCollector, demo_sources
from collectors.store.database import SourceBatch, Store

REPO = Path(__file__).resolve().parents[2]
ENTRIES = TypeAdapter(list[RuleEntry])


def rule(**fields: object) -> Rule:
    return Rule.model_validate({"name": "r", "series": "s", **fields})


@pytest.fixture
async def store(tmp_path: Path):
    opened = await Store.open(tmp_path / "rules.db")
    yield opened
    await opened.close()


async def write(
    store: Store,
    source: str,
    samples: Sequence[Sample],
    t: float,
    state: SourceState = SourceState.OK,
) -> SourceBatch:
    failures = 3 if state is SourceState.DOWN else 0
    status = SourceStatus(source, state, t, t if failures == 0 else None, None, failures)
    batch = SourceBatch(source, samples, status)
    await store.write([batch])
    return batch


async def check(store: Store, the_rule: Rule, batch: SourceBatch, t: float) -> list[GroupCheck]:
    return await RuleEvaluator().check(the_rule, BatchView(store, batch), batch.source, t)


# --------------------------------------------------------------------------- models


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 check", Hold(checks=1)),
        ("3 checks", Hold(checks=3)),
        ("3 of 5", Hold(checks=3, of=5)),
        ("2 of 4 checks", Hold(checks=2, of=4)),
        ("5m", Hold(seconds=300.0)),
        ("1h30m", Hold(seconds=5400.0)),
    ],
)
def test_hold_forms(text: str, expected: Hold) -> None:
    assert parse_hold(text) == expected


@pytest.mark.parametrize("text", ["3", "three checks", "5 of 3", "0 checks", "soon"])
def test_bad_hold_is_refused_with_the_forms(text: str) -> None:
    with pytest.raises(ValueError, match=r"checks|duration|M <= N"):
        parse_hold(text)


def test_a_number_for_for_is_refused() -> None:
    with pytest.raises(ValidationError, match="write '3 checks'"):
        rule(**{"for": 3})


def test_window_statistics_need_a_window() -> None:
    with pytest.raises(ValidationError, match="needs a window"):
        rule(condition={"reduce": "mean", "value": 1})


def test_percentile_must_be_one_the_sketch_answers() -> None:
    with pytest.raises(ValidationError, match=r"0\.5, 0\.9, 0\.95 or 0\.99"):
        rule(condition={"type": "percentile", "q": 0.8, "value": 1})


def test_escalation_must_rise_in_severity_and_lie_beyond() -> None:
    with pytest.raises(ValidationError, match="more severe"):
        rule(
            condition={"value": 10},
            severity="error",
            escalate=[{"severity": "warning", "value": 20}],
        )
    with pytest.raises(ValidationError, match="beyond 10"):
        rule(condition={"value": 10}, escalate=[{"severity": "critical", "value": 5}])


def test_escalation_picks_the_highest_crossed_severity() -> None:
    r = rule(
        condition={"op": ">", "value": 10},
        escalate=[{"severity": "error", "value": 20}, {"severity": "critical", "value": 30}],
    )
    assert [r.severity_for(v) for v in (11, 25, 31)] == ["warning", "error", "critical"]


def test_summary_must_be_one_line() -> None:
    with pytest.raises(ValidationError):
        rule(summary="two\nlines")


def test_condition_without_type_is_a_threshold() -> None:
    assert rule(condition={"op": "<", "value": 3}).condition.type == "threshold"


# --------------------------------------------------------------------------- default pack


def test_default_pack_loads_with_unique_names() -> None:
    rules = default_rules()
    names = [r.name for r in rules]
    assert len(names) == len(set(names)) >= 20
    assert {r.severity for r in rules} == set(Severity)
    assert all(r.summary and r.runbook for r in rules)
    assert {r.condition.type for r in rules} == {
        "threshold",
        "percentile",
        "ratio",
        "baseline",
        "absent",
    }


def test_default_pack_covers_the_seed_rules_the_issue_names() -> None:
    by_name = {r.name: r for r in default_rules()}
    # seed 000: every critical, warning and info rule, under its own name
    for name in (
        "chatwoot_api_down",
        "chatwoot_response_time_critical",
        "webhook_delivery_failed",
        "chatwoot_response_time_degraded",
        "worker_high_memory",
        "queue_depth_high",
        "conversation_volume_spike",
        "response_time_improved",
    ):
        assert name in by_name
    api_down = by_name["chatwoot_api_down"]
    assert (api_down.hold, api_down.severity) == (Hold(checks=3), "critical")
    assert by_name["chatwoot_response_time_critical"].hold == Hold(checks=5)
    assert by_name["webhook_delivery_failed"].condition.value == 0.10
    assert by_name["conversation_volume_spike"].condition.value == 2.0
    assert by_name["response_time_improved"].condition.value == 0.8
    # seed 004: service down > 2 min, > 10 and > 20 pending, SLA < 85 %, P90 > 5 s
    assert by_name["chatwoot_service_down"].hold == Hold(seconds=120)
    pending = by_name["chatwoot_pending_backlog"]
    assert pending.condition.value == 10 and pending.severity_for(21) == "critical"
    assert by_name["chatwoot_sla_compliance_low"].condition.value == 85
    p90 = by_name["chatwoot_api_p90_slow"].condition
    assert (p90.type, getattr(p90, "q", None), p90.value) == ("percentile", 0.9, 5000)


def _demo_samples() -> list[Sample]:
    samples: list[Sample] = []
    for config in demo_sources():
        collector = DemoCollector(config, clock=lambda: 1_700_000_000.0)
        for phase in (0.0, 60.0, 200.0):  # calm and incident
            samples += [
                r
                for r in collector.readings_at(1_700_000_010.0 + phase, 5.0)
                if isinstance(r, Sample)
            ]
    return samples


def test_every_default_rule_reads_series_some_source_writes() -> None:
    """The demo writes every series of the README table; each rule must match some."""
    samples = _demo_samples()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for r in default_rules():
        refs = [(r.series, r.labels)]
        denominator = getattr(r.condition, "denominator", None)
        if denominator is not None:
            refs.append((denominator.series or r.series, denominator.labels))
        for series, labels in refs:
            if series == SOURCE_UP:  # the scheduler writes it for every poll of every source
                assert f"`{series}`" in readme
                continue
            matching = [
                s
                for s in samples
                if s.series == series and all(s.labels.get(k) == v for k, v in labels.items())
            ]
            assert matching, f"{r.name}: no source writes {series} {labels}"
            last = series.rsplit(".", 1)[-1]
            assert f"`{series}`" in readme or f"`.{last}`" in readme, f"{series} not in README"
            for key in r.group_by:
                assert key == "source" or all(key in s.labels for s in matching), (r.name, key)


def test_overrides_merge_onto_the_default_by_name() -> None:
    new, tuned, off = ENTRIES.validate_python(
        [
            {
                "name": "reports_slow",
                "series": "chatwoot.api.latency_ms",
                "condition": {"value": 1},
            },
            {"name": "queue_depth_high", "condition": {"value": 80}, "severity": "info"},
            {"name": "conversation_volume_spike", "enabled": False},
        ]
    )
    assert tuned.condition.type == "threshold" and tuned.condition.value == 80
    assert getattr(tuned.condition, "across", None) == "sum"  # kept from the default
    assert tuned.severity == "info" and tuned.escalate  # escalation kept
    rules = effective_rules([new, tuned, off])
    names = [r.name for r in rules]
    assert "conversation_volume_spike" not in names
    assert names[-1] == "reports_slow"
    assert next(r for r in rules if r.name == "queue_depth_high") is tuned
    assert len(rules) == len(default_rules())  # one off, one added


def test_an_override_may_change_the_condition_type() -> None:
    (changed,) = ENTRIES.validate_python(
        [{"name": "queue_depth_high", "condition": {"type": "percentile", "q": 0.99, "value": 9}}]
    )
    assert changed.condition.type == "percentile"


def test_default_pack_yaml_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in re.findall(r"^- name: (\w+)", default_rules_yaml(), flags=re.MULTILINE):
        assert f"`{name}`" in readme, name


# --------------------------------------------------------------------------- conditions


async def test_threshold_on_the_latest_value_combines_series(store: Store) -> None:
    t = time.time()
    samples = [
        Sample("q.size", 30, t - 1, {"queue": "a"}),
        Sample("q.size", 20, t, {"queue": "a"}),  # newest wins
        Sample("q.size", 35, t, {"queue": "b"}),
    ]
    batch = await write(store, "sidekiq", samples, t)
    total = rule(series="q.size", condition={"across": "sum", "value": 50})
    (result,) = await check(store, total, batch, t)
    assert (result.value, result.breach, dict(result.labels)) == (55, True, {"source": "sidekiq"})
    (worst,) = await check(store, rule(series="q.size", condition={"value": 50}), batch, t)
    assert (worst.value, worst.breach) == (35, False)
    per_queue = rule(series="q.size", group_by=["queue"], condition={"value": 30})
    results = await check(store, per_queue, batch, t)
    assert {r.labels["queue"]: r.breach for r in results} == {"a": False, "b": True}


async def test_latest_of_several_samples_at_one_time_is_their_mean(store: Store) -> None:
    t = time.time()
    batch = await write(store, "api", [Sample("lat", v, t) for v in (100, 200, 600)], t)
    (result,) = await check(store, rule(series="lat", condition={"value": 250}), batch, t)
    assert result.value == pytest.approx(300) and result.breach


async def test_a_poll_without_the_series_is_a_check_without_data(store: Store) -> None:
    t = time.time()
    await write(store, "api", [Sample("lat", 5, t - 10)], t - 10)
    failed = await write(store, "api", [], t, SourceState.STALE)
    (result,) = await check(store, rule(series="lat", condition={"value": 1}), failed, t)
    assert (result.value, result.breach) == (None, None)


async def test_threshold_on_window_statistics(store: Store) -> None:
    t = time.time()
    await write(
        store, "api", [Sample("lat", v, t - 200 + i) for i, v in enumerate([1, 2, 3, 10])], t - 190
    )
    batch = await write(store, "api", [Sample("lat", 4, t)], t)
    old = await write(store, "api", [Sample("lat", 1000, t - 900)], t - 900)
    assert old.records
    expected = {"mean": 4.0, "max": 10.0, "min": 1.0, "sum": 20.0, "count": 5.0}
    for reduce, value in expected.items():
        r = rule(series="lat", condition={"reduce": reduce, "window": "5m", "value": 3})
        (result,) = await check(store, r, batch, t)
        assert result.value == pytest.approx(value), reduce


async def test_percentile_over_a_window(store: Store) -> None:
    t = time.time()
    values = [100.0] * 90 + [5000.0] * 10
    await write(
        store, "api", [Sample("lat", v, t - 100 + i * 0.5) for i, v in enumerate(values)], t
    )
    batch = SourceBatch("api", [], SourceStatus("api", SourceState.OK, t, t))
    p90 = rule(
        series="lat", condition={"type": "percentile", "q": 0.9, "window": "5m", "value": 2000}
    )
    p95 = rule(
        series="lat", condition={"type": "percentile", "q": 0.95, "window": "5m", "value": 2000}
    )
    (low,) = await check(store, p90, batch, t)
    (high,) = await check(store, p95, batch, t)
    assert low.value == pytest.approx(100, rel=0.02) and low.breach is False
    assert high.value == pytest.approx(5000, rel=0.02) and high.breach is True


async def test_ratio_is_an_error_rate(store: Store) -> None:
    t = time.time()
    samples = []
    for i in range(6):
        samples += [Sample("jobs.failed", 3, t - 50 + i), Sample("jobs.processed", 20, t - 50 + i)]
    batch = await write(store, "sidekiq", samples, t)
    error_rate = rule(
        series="jobs.failed",
        condition={
            "type": "ratio",
            "window": "1m",
            "denominator": {"series": "jobs.processed"},
            "value": 0.1,
        },
        severity="critical",
    )
    (result,) = await check(store, error_rate, batch, t)
    assert result.value == pytest.approx(0.15) and result.breach and result.severity == "critical"


async def test_ratio_within_one_series_by_label(store: Store) -> None:
    t = time.time()
    samples = [
        Sample("msgs", 8, t, {"kind": "complete"}),
        Sample("msgs", 2, t, {"kind": "partial"}),
    ]
    batch = await write(store, "pipeline", samples, t)
    complete = rule(
        series="msgs",
        labels={"kind": "complete"},
        condition={"type": "ratio", "window": "1m", "op": "<", "value": 0.9},
    )
    (result,) = await check(store, complete, batch, t)
    assert result.value == pytest.approx(0.8) and result.breach


async def test_ratio_without_a_denominator_is_missing_data(store: Store) -> None:
    t = time.time()
    batch = await write(store, "sidekiq", [Sample("jobs.failed", 3, t)], t)
    r = rule(
        series="jobs.failed",
        condition={"type": "ratio", "denominator": {"series": "jobs.processed"}, "value": 0.1},
    )
    (result,) = await check(store, r, batch, t)
    assert (result.value, result.breach) == (None, None)


async def test_baseline_is_the_same_hour_on_previous_days(store: Store) -> None:
    t = time.time()
    day = 86400.0
    history = []
    for days_back, level in ((1, 20.0), (2, 24.0), (3, 22.0)):
        history += [
            Sample("new_per_hour", level, t - days_back * day - 1800 + i * 60) for i in range(20)
        ]
    history += [Sample("new_per_hour", 500.0, t - day - 7200)]  # another hour: not the baseline
    await write(store, "chatwoot", history, t - day)
    batch = await write(
        store,
        "chatwoot",
        [Sample("new_per_hour", v, t - 600 + i * 60) for i, v in enumerate([50.0] * 10)],
        t,
    )
    spike = rule(
        series="new_per_hour",
        condition={"type": "baseline", "reduce": "mean", "window": "1h", "days": 7, "value": 2.0},
    )
    (result,) = await check(store, spike, batch, t)
    assert (
        result.value == pytest.approx(50 / 22, rel=0.01) and result.breach
    )  # median of 20, 22, 24
    improved = rule(
        series="new_per_hour",
        condition={"type": "baseline", "window": "1h", "op": "<", "value": 0.8},
    )
    (same,) = await check(store, improved, batch, t)
    assert same.breach is False


async def test_baseline_without_previous_days_is_missing_data(store: Store) -> None:
    t = time.time()
    batch = await write(store, "chatwoot", [Sample("new_per_hour", 50.0, t)], t)
    r = rule(series="new_per_hour", condition={"type": "baseline", "value": 2.0})
    (result,) = await check(store, r, batch, t)
    assert result.breach is None


async def test_absent_fires_on_old_data_and_on_a_down_source(store: Store) -> None:
    t = time.time()
    await write(store, "chatwoot", [Sample("chatwoot.up", 1, t - 400)], t - 400)
    absent = rule(series="chatwoot.up", condition={"type": "absent", "after": "5m"})
    stale = await write(store, "chatwoot", [], t, SourceState.STALE)
    (old,) = await check(store, absent, stale, t)
    assert old.breach is True and old.value == pytest.approx(400, abs=1)
    fresh = await write(store, "chatwoot", [Sample("chatwoot.up", 1, t)], t)
    (ok,) = await check(store, absent, fresh, t)
    assert ok.breach is False
    down = await write(store, "chatwoot", [], t + 1, SourceState.DOWN)
    (gone,) = await check(store, absent, down, t + 1)
    assert gone.breach is True  # down: absent even though the last sample is recent


async def test_rules_only_check_the_source_that_writes_the_series(store: Store) -> None:
    t = time.time()
    await write(store, "chatwoot", [Sample("chatwoot.up", 0, t)], t)
    other = await write(store, "sidekiq", [Sample("sidekiq.busy", 3, t)], t)
    assert await check(store, rule(series="chatwoot.up", condition={"value": 1}), other, t) == []

from __future__ import annotations

from collections import defaultdict

from collectors.base import LogEvent, Sample
from collectors.demo import DemoCollector, DemoConfig, demo_sources, incident_levels

START = 1_750_000_000.0


def collector(part: str, seed: int = 7) -> DemoCollector:
    config = DemoConfig(name=part, part=part, seed=seed)  # type: ignore[arg-type]
    return DemoCollector(config, clock=lambda: START)


def by_series(records: list) -> dict[tuple[str, str], list[float]]:
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    for r in records:
        if isinstance(r, Sample):
            values[r.series, str(sorted(r.labels.items()))].append(r.value)
    return values


def test_demo_runs_one_source_per_part_of_the_stack() -> None:
    assert [s.part for s in demo_sources()] == ["chatwoot", "sidekiq", "pipeline", "aws", "logs"]
    assert len({s.name for s in demo_sources()}) == 5


async def test_the_same_seed_and_clock_give_the_same_readings() -> None:
    first = await collector("chatwoot").collect()
    again = await collector("chatwoot").collect()
    other = await collector("chatwoot", seed=8).collect()
    assert first == again
    assert first != other


async def test_first_poll_backfills_an_hour_and_later_polls_do_not() -> None:
    demo = collector("sidekiq")
    first = await demo.collect()
    second = await demo.collect()
    oldest = min(r.ts for r in first)
    assert START - oldest == 3600
    assert all(r.ts == START for r in second)


def test_the_scripted_incident_starts_soon_and_recovers() -> None:
    assert incident_levels(-5 % 300) == (0.0, 0.0, 0.0)  # calm before it starts
    spike, backlog, errors = incident_levels(60)
    assert spike == 1.0 and backlog == 1.0 and errors == 1.0
    assert incident_levels(200) == (0.0, 0.0, 0.0)


def test_every_part_shows_the_incident() -> None:
    calm, incident = START + 5, START + 10 + 60  # the incident starts 10 s after start
    expectations = {
        "chatwoot": ("chatwoot.conversations", "[('status', 'pending')]"),
        "sidekiq": ("sidekiq.queue.size", "[('queue', 'default')]"),
        "pipeline": ("pipeline.phase_ms", "[('phase', 'queue_to_worker')]"),
        "aws": ("aws.rds.cpu_pct", "[('db', 'chatwoot-prod')]"),
        "logs": ("logs.lines_per_min", "[('level', 'error')]"),
    }
    for part, key in expectations.items():
        demo = collector(part)
        before = by_series(demo.readings_at(calm, 60))[key]
        during = by_series(demo.readings_at(incident, 60))[key]
        assert max(during) > 3 * max(max(before), 1), part


def test_pending_conversations_cross_seed_004_red_banner_during_the_incident() -> None:
    demo = collector("chatwoot")
    during = by_series(demo.readings_at(START + 10 + 80, 5))
    assert during["chatwoot.conversations", "[('status', 'pending')]"][0] > 20


def test_log_lines_carry_levels_and_unique_ids() -> None:
    demo = collector("logs")
    lines = [r for r in demo.readings_at(START + 10 + 60, 60) if isinstance(r, LogEvent)]
    assert {line.level for line in lines} >= {"info", "error"}
    assert len({line.event_id for line in lines}) == len(lines)

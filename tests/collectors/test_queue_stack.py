"""The demo's queue stack: the real collectors against every fake, through the scheduler."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from collectors.base import SourceState
from collectors.demo import incident_levels
from collectors.demo_stack import demo_collector, queue_sources
from collectors.fakes.queue_stack import QueueStack
from collectors.scheduler import Scheduler
from collectors.store.database import Store


@pytest.fixture(autouse=True)
def no_aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The demo must run with no AWS setup at all."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "w.db")
    yield opened
    await opened.close()  # an open store's thread would keep the test process alive


async def latest(store: Store, series: str, **labels: str) -> float | None:
    found = await store.series(series, labels=labels or None)
    assert found, series
    return found[0].last_value


async def test_every_queue_source_reads_its_fake_and_shows_the_incident(store: Store) -> None:
    async with QueueStack() as stack:
        configs = queue_sources(stack, interval=5.0, prefix="q-")
        scheduler = Scheduler(configs, store, make_collector=demo_collector, rng=random.Random(5))
        try:
            calm = await scheduler.run_once()
            assert {name: s.state for name, s in calm.items()} == {
                "q-sidekiq": SourceState.OK,
                "q-sqs": SourceState.OK,
                "q-pipeline": SourceState.OK,
                "q-widget": SourceState.OK,
            }
            assert all(s.note is None for s in calm.values())
            assert await latest(store, "sidekiq.queue.size", queue="default") == 5
            assert (await latest(store, "pipeline.sla_pct") or 0) >= 95

            stack.apply_levels(*incident_levels(60.0))  # the height of the scripted incident
            incident = await scheduler.run_once()
            assert all(s.state is SourceState.OK for s in incident.values())
            assert await latest(store, "sidekiq.queue.size", queue="default") == 383
            assert (
                await latest(store, "aws.sqs.messages", queue="chatwoot-events", state="visible")
                == 302
            )
            assert (await latest(store, "pipeline.sla_pct") or 100) < 95
            assert (await latest(store, "widget.health") or 100) < 70
        finally:
            await scheduler.aclose()

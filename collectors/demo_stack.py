"""The demo's in-process upstreams, and the sources `wootwatch --demo` runs against them.

Where a fake upstream exists, the demo runs the real collector against it
over a real socket on 127.0.0.1, so a new user sees the real code paths: the
Chatwoot source against `collectors.fakes.chatwoot_api`, the Sidekiq, SQS and
JSON-endpoint sources against `collectors.fakes.queue_stack` (`queue_sources`
points them there; the fakes know nothing of the sources). The pipeline,
AWS and logs parts are simulated by `collectors.demo` (the pipeline's timing
endpoint only gives totals, and the simulation also writes one latency per
message; the AWS fake needs moto, a test-only dependency). One incident clock
drives everything: the fakes' levels follow `incident_levels` with the same
origin (10 s after start) as the simulated parts.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any, Final

from collectors.base import Collector, SourceConfig, collector_class, format_duration
from collectors.chatwoot.config import ChatwootConfig
from collectors.demo import INCIDENT_DELAY, DemoConfig, demo_sources, incident_levels
from collectors.fakes.chatwoot_api import ChatwootState, FakeChatwootServer
from collectors.fakes.pipeline_api import PERFORMANCE_PATH, WIDGET_PATH
from collectors.fakes.queue_stack import QueueStack
from collectors.json_endpoint import JsonEndpointConfig
from collectors.pipeline import PipelineConfig
from collectors.sidekiq import SidekiqConfig
from collectors.sqs import SqsCollector, SqsConfig

__all__ = ["WIDGET_SERIES", "DemoStack", "demo_collector", "queue_sources"]

_DRIVE_EVERY: Final = 1.0
"""Seconds between two updates of the fakes' incident levels."""
_POLL_EVERY: Final = 10.0
"""Seconds between two polls of each demo source: three to six times the real
defaults' pace (Chatwoot 30 s, SQS 60 s), lively enough for a scripted incident
that builds over 20 s and lasts two minutes."""


class DemoStack:
    """Starts the fake upstreams and lists the sources of the demo.

    Use it as an async context manager around the scheduler:

    ```python
    async with DemoStack() as stack:
        run(stack.sources)
    ```

    Args:
        seed: seed of every simulated and fake part.
        clock: wall-clock time.
    """

    def __init__(self, seed: int = 7, *, clock: Callable[[], float] = time.time) -> None:
        self._seed = seed
        self._clock = clock
        self._origin = clock() + INCIDENT_DELAY
        # Quick replies and a short SLA target, so that breaches show within
        # one scripted incident rather than after hours.
        self._chatwoot = ChatwootState(
            seed=seed, simulate=True, reply_median=40.0, arrivals_per_min=3.0
        )
        self._chatwoot.base_latency = 0.12
        self._server = FakeChatwootServer(self._chatwoot)
        self._queues = QueueStack()
        self._driver: asyncio.Task[None] | None = None
        self.sources: list[SourceConfig] = []
        """The demo's source configs, filled once the fakes listen."""

    async def __aenter__(self) -> DemoStack:
        url = await self._server.start()
        await self._queues.start()
        chatwoot = ChatwootConfig.model_validate(
            {
                "name": "chatwoot",
                "base_url": url,
                "account_id": self._chatwoot.account_id,
                "api_token": self._chatwoot.token,
                "interval": format_duration(_POLL_EVERY),
                "reports_interval": "30s",
                "sla_target": "2m",
            }
        )
        faked = [
            c for c in queue_sources(self._queues, interval=_POLL_EVERY) if c.name != "pipeline"
        ]
        simulated = [
            s.model_copy(update={"interval": _POLL_EVERY})
            for s in demo_sources(self._seed)
            if s.part not in ("chatwoot", "sidekiq")
        ]
        self.sources = [chatwoot, *faked, *simulated]
        self._driver = asyncio.create_task(self._drive(), name="demo-incident-clock")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._driver is not None:
            self._driver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._driver
        await self._queues.stop()
        await self._server.stop()

    def make_collector(self, config: SourceConfig) -> Collector:
        """The collector of a demo source (the SQS one talks to its fake with dummy keys)."""
        return demo_collector(config)

    async def _drive(self) -> None:
        incident_every = DemoConfig.model_fields["incident_every"].default
        while True:
            phase = (self._clock() - self._origin) % incident_every
            levels = incident_levels(phase)
            self._chatwoot.apply_levels(*levels)
            self._queues.apply_levels(*levels, elapsed=_DRIVE_EVERY)
            await asyncio.sleep(_DRIVE_EVERY)


WIDGET_SERIES: dict[str, Any] = {
    "widget.health": "health.overall",
    "widget.api.p95_ms": {"path": "performance.api.p95Duration", "unit": "ms"},
    "widget.persistence.success_pct": {"path": "persistence.operations.successRate", "unit": "%"},
    "widget.alerts.unresolved": "alerts.stats.unresolved",
}
"""What the demo's `json_endpoint` source reads from seed 003's widget endpoint."""


def queue_sources(
    stack: QueueStack, *, interval: float = 5.0, prefix: str = ""
) -> list[SourceConfig]:
    """One source per fake of a started `QueueStack`: `prefix` + sidekiq, sqs, pipeline, widget.

    Call after `stack.start()`: the configs hold the ephemeral ports.
    """
    every = format_duration(interval)
    return [
        SidekiqConfig.model_validate(
            {"name": f"{prefix}sidekiq", "redis_url": stack.sidekiq.url, "interval": every}
        ),
        SqsConfig.model_validate(
            {
                "name": f"{prefix}sqs",
                "queues": list(stack.sqs.state.queues),
                "region": "us-east-1",
                "endpoint_url": stack.sqs.url,
                "interval": every,
            }
        ),
        PipelineConfig.model_validate(
            {
                "name": f"{prefix}pipeline",
                "url": stack.pipeline.url + PERFORMANCE_PATH,
                "interval": every,
            }
        ),
        JsonEndpointConfig.model_validate(
            {
                "name": f"{prefix}widget",
                "url": stack.pipeline.url + WIDGET_PATH,
                "series": WIDGET_SERIES,
                "interval": every,
            }
        ),
    ]


def demo_collector(config: SourceConfig) -> Collector:
    """The registered collector for a config; an `sqs` one gets a session with dummy keys.

    The SQS fake checks no signatures, so the demo neither needs AWS
    credentials nor sends a real key id anywhere.
    """
    if isinstance(config, SqsConfig):
        return SqsCollector(config, make_session=_dummy_session)
    return collector_class(config.type)(config)


def _dummy_session(config: SqsConfig) -> Any:
    import boto3

    return boto3.session.Session(
        aws_access_key_id="demo", aws_secret_access_key="demo", region_name="us-east-1"
    )

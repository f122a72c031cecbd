"""Every fake behind the queue sources, started together, with the sources that read them.

For `wootwatch --demo`, which runs the real `sidekiq`, `sqs`, `pipeline` and
`json_endpoint` collectors against local fakes (no network, no credentials):

```python
stack = QueueStack()
await stack.start()                                   # 127.0.0.1, ephemeral ports
configs = stack.source_configs(interval=5.0)          # one source per fake
scheduler = Scheduler(configs, store, make_collector=stack.make_collector)
...
stack.apply_levels(*incident_levels(phase), elapsed=5.0)   # on every tick
...
await stack.stop()
```

`make_collector` builds each source's registered collector, except that an
`sqs` source gets a boto3 session with dummy keys (the fake checks no
signatures), so the demo neither needs AWS credentials nor sends a real key
id anywhere. Other configs fall through to the registry unchanged.
"""

from __future__ import annotations

from typing import Any

from collectors.base import Collector, SourceConfig, collector_class, format_duration
from collectors.fakes.pipeline_api import (
    PERFORMANCE_PATH,
    WIDGET_PATH,
    PipelineApi,
    PipelineApiState,
)
from collectors.fakes.sidekiq_redis import FakeSidekiqRedis, SidekiqState
from collectors.fakes.sqs_api import FakeSqs, SqsState
from collectors.json_endpoint import JsonEndpointConfig
from collectors.pipeline import PipelineConfig
from collectors.sidekiq import SidekiqConfig
from collectors.sqs import SqsCollector, SqsConfig

__all__ = ["WIDGET_SERIES", "QueueStack"]

WIDGET_SERIES: dict[str, Any] = {
    "widget.health": "health.overall",
    "widget.api.p95_ms": {"path": "performance.api.p95Duration", "unit": "ms"},
    "widget.persistence.success_pct": {"path": "persistence.operations.successRate", "unit": "%"},
    "widget.alerts.unresolved": "alerts.stats.unresolved",
}
"""What the demo's `json_endpoint` source reads from seed 003's widget endpoint."""


def _dummy_session(config: SqsConfig) -> Any:
    import boto3

    return boto3.session.Session(
        aws_access_key_id="demo", aws_secret_access_key="demo", region_name="us-east-1"
    )


class QueueStack:
    """The fake Sidekiq Redis, SQS and pipeline endpoints, driven by one set of incident levels.

    Args:
        sidekiq: the Sidekiq keyspace state; a default one when None.
        sqs: the SQS queues state.
        pipeline: the pipeline and widget endpoints' state.
    """

    def __init__(
        self,
        sidekiq: SidekiqState | None = None,
        sqs: SqsState | None = None,
        pipeline: PipelineApiState | None = None,
    ) -> None:
        self.sidekiq = FakeSidekiqRedis(sidekiq)
        self.sqs = FakeSqs(sqs)
        self.pipeline = PipelineApi(pipeline)

    async def start(self) -> None:
        """Start every fake on 127.0.0.1 at an ephemeral port."""
        await self.sidekiq.start()
        await self.sqs.start()
        await self.pipeline.start()

    async def stop(self) -> None:
        """Stop every fake and drop its connections."""
        await self.pipeline.stop()
        await self.sqs.stop()
        await self.sidekiq.stop()

    async def __aenter__(self) -> QueueStack:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def apply_levels(
        self, spike: float, backlog: float, errors: float, *, elapsed: float = 5.0
    ) -> None:
        """Follow `collectors.demo.incident_levels` (each 0..1) over `elapsed` seconds."""
        self.sidekiq.state.apply_levels(spike, backlog, errors, elapsed=elapsed)
        self.sqs.state.apply_levels(spike, backlog, errors)
        self.pipeline.state.apply_levels(spike, backlog, errors)

    def source_configs(self, *, interval: float = 5.0, prefix: str = "") -> list[SourceConfig]:
        """One source per fake, pointing at it; names are `prefix` + sidekiq, sqs, pipeline, widget.

        Call after `start()`: the configs hold the ephemeral ports.
        """
        every = format_duration(interval)
        return [
            SidekiqConfig.model_validate(
                {"name": f"{prefix}sidekiq", "redis_url": self.sidekiq.url, "interval": every}
            ),
            SqsConfig.model_validate(
                {
                    "name": f"{prefix}sqs",
                    "queues": list(self.sqs.state.queues),
                    "region": "us-east-1",
                    "endpoint_url": self.sqs.url,
                    "interval": every,
                }
            ),
            PipelineConfig.model_validate(
                {
                    "name": f"{prefix}pipeline",
                    "url": self.pipeline.url + PERFORMANCE_PATH,
                    "interval": every,
                }
            ),
            JsonEndpointConfig.model_validate(
                {
                    "name": f"{prefix}widget",
                    "url": self.pipeline.url + WIDGET_PATH,
                    "series": WIDGET_SERIES,
                    "interval": every,
                }
            ),
        ]

    def make_collector(self, config: SourceConfig) -> Collector:
        """The collector for a config; `sqs` ones get a session with dummy keys."""
        if isinstance(config, SqsConfig):
            return SqsCollector(config, make_session=_dummy_session)
        return collector_class(config.type)(config)

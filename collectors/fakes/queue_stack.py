"""Every fake behind the queue sources, started together and driven by one set of levels.

For `wootwatch --demo` (`collectors.demo_stack`, which points the real
`sidekiq`, `sqs`, `pipeline` and `json_endpoint` sources at these fakes):

```python
stack = QueueStack()
await stack.start()                                   # 127.0.0.1, ephemeral ports
...
stack.apply_levels(*incident_levels(phase), elapsed=5.0)   # on every tick
...
await stack.stop()
```

Like every fake here it is an upstream: it knows nothing of the sources that
read it (no import of a collector, the scheduler, the store or the alerts),
so data flows one way, from the fakes to the collectors.
"""

from __future__ import annotations

from collectors.fakes.pipeline_api import PipelineApi, PipelineApiState
from collectors.fakes.sidekiq_redis import FakeSidekiqRedis, SidekiqState
from collectors.fakes.sqs_api import FakeSqs, SqsState

__all__ = ["QueueStack"]


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

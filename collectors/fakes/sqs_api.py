"""A fake of the two SQS calls the `sqs` source makes, in SQS's JSON protocol.

It answers `AmazonSQS.GetQueueUrl` and `AmazonSQS.GetQueueAttributes` (the
`X-Amz-Target` header, JSON bodies, as botocore sends them) from an
`SqsState`, on 127.0.0.1 at an ephemeral port. Signatures are not checked:
any credentials do. Two faults a real test server such as moto cannot
produce are switches on the state: `throttle` answers every call with
`ThrottlingException`, `reject_credentials` with `UnrecognizedClientException`.

Driving it from the demo (dummy credentials, no network):

```python
state = SqsState()
async with FakeSqs(state) as sqs:       # sqs.url is the endpoint_url of an `sqs` source
    state.apply_levels(*incident_levels(phase))
```
with the source configured as `{type: sqs, queues: [chatwoot-events],
region: us-east-1, endpoint_url: <sqs.url>}` and `AWS_ACCESS_KEY_ID` /
`AWS_SECRET_ACCESS_KEY` set to any value.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

from collectors.fakes.tiny_http import Request, Response, TinyHttpServer

__all__ = ["ACCOUNT_ID", "FakeSqs", "QueueDepth", "SqsState"]

ACCOUNT_ID = "123456789012"
"""The account id in the fake's queue URLs."""


@dataclass
class QueueDepth:
    """Messages in one queue."""

    visible: int = 0
    not_visible: int = 0
    delayed: int = 0


@dataclass
class SqsState:
    """What the fake SQS answers; change it at any time."""

    queues: dict[str, QueueDepth] = field(
        default_factory=lambda: {
            "chatwoot-events": QueueDepth(3, 1, 0),
            "chatwoot-webhooks": QueueDepth(0, 0, 2),
        }
    )
    throttle: bool = False
    """Answer every call with `ThrottlingException`."""
    reject_credentials: bool = False
    """Answer every call with `UnrecognizedClientException`."""
    latency_s: float = 0.0
    """Seconds each answer takes."""

    def apply_levels(self, spike: float, backlog: float, errors: float) -> None:
        """Follow the demo's incident levels (each 0..1): the backlog fills the queues."""
        for name, depth in self.queues.items():
            heavy = name == "chatwoot-events"
            depth.visible = round(2 + (300 if heavy else 40) * backlog)
            depth.not_visible = round(1 + 20 * max(spike, backlog))
            depth.delayed = round(10 * errors)


def _error(code: str, message: str, query_code: str | None = None) -> Response:
    headers = {"Content-Type": "application/x-amz-json-1.0"}
    if query_code:
        headers["x-amzn-query-error"] = f"{query_code};Sender"
    body = json.dumps({"__type": f"com.amazonaws.sqs#{code}", "message": message}).encode()
    return Response(400, body, headers)


class FakeSqs:
    """Serves GetQueueUrl and GetQueueAttributes from an `SqsState`.

    Args:
        state: what to answer; read on every request.
    """

    def __init__(self, state: SqsState | None = None) -> None:
        self.state = state or SqsState()
        self._server = TinyHttpServer(self._handle)
        self.calls: list[str] = []
        """The operations called, in order."""
        self.in_flight = 0
        """Requests being answered right now."""
        self.max_in_flight = 0
        """The most requests ever answered at the same time."""

    @property
    def url(self) -> str:
        """The endpoint URL, once started."""
        return self._server.url

    async def start(self) -> str:
        """Start on an ephemeral port; returns the endpoint URL."""
        return await self._server.start()

    async def stop(self) -> None:
        """Stop and close every connection."""
        await self._server.stop()

    async def __aenter__(self) -> FakeSqs:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _handle(self, request: Request) -> Response:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.state.latency_s:
                await asyncio.sleep(self.state.latency_s)
            return self._answer(request)
        finally:
            self.in_flight -= 1

    def _answer(self, request: Request) -> Response:
        target = request.headers.get("x-amz-target", "")
        operation = target.removeprefix("AmazonSQS.")
        self.calls.append(operation)
        if self.state.reject_credentials:
            return _error(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )
        if self.state.throttle:
            return _error("ThrottlingException", "Rate exceeded", "RequestThrottled")
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return _error("InvalidParameterValue", "the body is not JSON")
        if operation == "GetQueueUrl":
            name = str(body.get("QueueName", ""))
            if name not in self.state.queues:
                return _missing()
            return Response.json({"QueueUrl": f"{self.url}/{ACCOUNT_ID}/{name}"})
        if operation == "GetQueueAttributes":
            name = str(body.get("QueueUrl", "")).rstrip("/").rsplit("/", 1)[-1]
            depth = self.state.queues.get(name)
            if depth is None:
                return _missing()
            attributes = {
                "ApproximateNumberOfMessages": str(depth.visible),
                "ApproximateNumberOfMessagesNotVisible": str(depth.not_visible),
                "ApproximateNumberOfMessagesDelayed": str(depth.delayed),
            }
            wanted = body.get("AttributeNames") or list(attributes)
            if "All" not in wanted:
                attributes = {k: v for k, v in attributes.items() if k in wanted}
            return Response.json({"Attributes": attributes})
        return _error("InvalidAction", f"the fake does not implement {operation or 'this'}")


def _missing() -> Response:
    return _error(
        "QueueDoesNotExist",
        "The specified queue does not exist.",
        "AWS.SimpleQueueService.NonExistentQueue",
    )

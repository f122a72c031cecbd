"""A local AWS (CloudWatch metrics and Logs) on 127.0.0.1: moto's server plus faults.

moto (with Flask for its server, both in the `test` extra) answers GetMetricData,
PutMetricData, FilterLogEvents, PutLogEvents and DescribeLogGroups with AWS's
own wire formats (CBOR for CloudWatch, JSON for Logs). `FakeAws` serves it
through a thin WSGI layer that records every call and can answer as AWS does
when it throttles or when the credentials have expired, which moto never does.

In an asyncio program::

    async with FakeAws() as aws:
        feed = DemoFeed(aws)
        feed.publish(time.time(), *incident_levels(phase))
        collector = CloudWatchCollector(config_for(aws), session_factory=aws.session)

The server runs on an ephemeral port in a daemon thread; leaving the block
stops it. `aws.faults.throttle = 3` throttles the next three calls,
`aws.faults.expired = True` answers every call with an expired token.
"""

from __future__ import annotations

import asyncio
import io
import json
import math
import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.config

__all__ = ["Call", "DemoFeed", "FakeAws", "Faults"]

DUMMY_KEY = "testing"
"""The access key id and secret the fake accepts (moto checks none)."""

_StartResponse = Callable[..., Any]


@dataclass(slots=True)
class Faults:
    """What the fake does instead of answering; change it while the server runs."""

    throttle: int = 0
    """Answer this many of the next calls with a throttling error."""
    expired: bool = False
    """Answer every call as if the security token had expired."""
    operations: frozenset[str] | None = None
    """Apply the faults only to these operations (e.g. `{"FilterLogEvents"}`); None: all."""


@dataclass(frozen=True, slots=True)
class Call:
    """One request the fake received."""

    service: str
    """`cloudwatch` or `logs` (or `other`)."""
    operation: str
    """E.g. `GetMetricData`, `FilterLogEvents`."""
    params: dict[str, Any]
    """The decoded request body (CBOR or JSON)."""


def _cbor_head(major: int, length: int) -> bytes:
    if length < 24:
        return bytes([major << 5 | length])
    if length < 256:
        return bytes([major << 5 | 24, length])
    return bytes([major << 5 | 25]) + length.to_bytes(2, "big")


def _cbor_map(values: dict[str, str]) -> bytes:
    out = bytearray(_cbor_head(5, len(values)))
    for key, value in values.items():
        for text in (key, value):
            data = text.encode()
            out += _cbor_head(3, len(data)) + data
    return bytes(out)


def _decode_cbor(body: bytes) -> dict[str, Any]:
    from botocore.parsers import RpcV2CBORParser

    parser = RpcV2CBORParser()
    decoded = parser.parse_data_item(parser.get_peekable_stream_from_bytes(body))
    return decoded if isinstance(decoded, dict) else {}


class _FaultLayer:
    """WSGI middleware: records calls, injects faults, otherwise passes to moto."""

    def __init__(self, app: Callable[..., Any], faults: Faults, calls: list[Call]) -> None:
        self._app = app
        self.faults = faults
        self._calls = calls
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: _StartResponse) -> Any:
        if str(environ.get("PATH_INFO", "")).startswith("/moto-api"):
            return self._app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        cbor = environ.get("HTTP_SMITHY_PROTOCOL") == "rpc-v2-cbor"
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        if cbor:
            service = "cloudwatch"
            operation = str(environ.get("PATH_INFO", "")).rsplit("/", 1)[-1]
            params = _decode_cbor(body) if body else {}
        elif target:
            service = "logs" if target.startswith("Logs_") else "other"
            operation = target.rsplit(".", 1)[-1]
            params = json.loads(body or b"{}")
        else:
            service, operation, params = "other", str(environ.get("PATH_INFO", "")), {}
        with self._lock:
            self._calls.append(Call(service, operation, params))
            faults = self.faults
            applies = faults.operations is None or operation in faults.operations
            code = None
            if applies and faults.expired:
                code = "ExpiredToken" if cbor else "ExpiredTokenException"
                message = "The security token included in the request is expired"
            elif applies and faults.throttle > 0:
                faults.throttle -= 1
                code = "Throttling" if cbor else "ThrottlingException"
                message = "Rate exceeded"
        if code is None:
            return self._app(environ, start_response)
        if cbor:
            payload = _cbor_map({"__type": code, "message": message})
            headers = [
                ("Content-Type", "application/cbor"),
                ("smithy-protocol", "rpc-v2-cbor"),
                ("x-amzn-query-error", f"{code};Sender"),
            ]
        else:
            payload = json.dumps({"__type": code, "message": message}).encode()
            headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
        headers.append(("Content-Length", str(len(payload))))
        start_response("400 Bad Request", headers)
        return [payload]


class FakeAws:
    """moto's CloudWatch and Logs on 127.0.0.1, with recorded calls and injectable faults.

    Args:
        region: the region clients of `client()` and `session()` use.
    """

    def __init__(self, *, region: str = "us-east-1") -> None:
        self.region = region
        self.faults = Faults()
        """Faults to inject; replace fields at any time."""
        self.calls: list[Call] = []
        """Every request received, in order."""
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        """`http://127.0.0.1:<port>` of the running server."""
        if self._server is None:
            raise RuntimeError("FakeAws is not started")
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> None:
        """Start serving on an ephemeral port (blocks until it listens)."""
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        class QuietHandler(MotoRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                """Requests are recorded in `FakeAws.calls`, not printed."""

        app = _FaultLayer(DomainDispatcherApplication(create_backend_app), self.faults, self.calls)
        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-aws", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and wait for the server thread."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server, self._thread = None, None

    def set_faults(self, faults: Faults) -> None:
        """Replace the faults in force."""
        self.faults.throttle = faults.throttle
        self.faults.expired = faults.expired
        self.faults.operations = faults.operations

    def reset(self) -> None:
        """Forget every metric, log group and recorded call (moto's state is per process)."""
        import urllib.request

        self.set_faults(Faults())
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass
        self.calls.clear()

    async def __aenter__(self) -> FakeAws:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await asyncio.to_thread(self.stop)

    def session(
        self, profile_name: str | None = None, region_name: str | None = None
    ) -> boto3.session.Session:
        """A boto3 session with the dummy credentials: a collector's `session_factory`."""
        return boto3.session.Session(
            aws_access_key_id=DUMMY_KEY,
            aws_secret_access_key=DUMMY_KEY,
            region_name=region_name or self.region,
        )

    def client(self, service: str) -> Any:
        """A boto3 client of the fake, for seeding data (no retries)."""
        return self.session().client(
            service,
            endpoint_url=self.endpoint_url,
            config=botocore.config.Config(retries={"max_attempts": 1}),
        )

    def calls_of(self, operation: str) -> list[Call]:
        """The recorded calls of one operation."""
        return [c for c in list(self.calls) if c.operation == operation]


@dataclass(slots=True)
class DemoFeed:
    """Publishes the seed-002 stack's metrics and log lines into a `FakeAws`.

    Each `publish` writes one minute's datapoints (ECS, RDS, SQS, ALB) and a
    few log lines whose numbers follow the incident levels of
    `collectors.demo.incident_levels` (spike, backlog, errors in 0..1).
    """

    aws: FakeAws
    cluster: str = "chatscomm-ecs-cluster-prod"
    services: tuple[str, ...] = (
        "chatscomm-chatwoot-prod-web-service",
        "chatscomm-chatwoot-prod-worker",
    )
    db_instance: str = "chatscomm-db-prod"
    queue: str = "chatwoot-events"
    load_balancer: str = "app/chatscomm-prod/0123456789abcdef"
    log_group: str = "/aws/ecs/chatscomm-chatwoot-prod-web"
    seed: int = 7
    _rng: random.Random = field(init=False)
    _prepared: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def _prepare(self, logs: Any) -> None:
        if self._prepared:
            return
        existing = logs.describe_log_groups(logGroupNamePrefix=self.log_group)["logGroups"]
        if not any(g["logGroupName"] == self.log_group for g in existing):
            logs.create_log_group(logGroupName=self.log_group)
            for stream in ("web/a1f3", "web/b7c2"):
                logs.create_log_stream(logGroupName=self.log_group, logStreamName=stream)
        self._prepared = True

    def publish(self, ts: float, spike: float, backlog: float, errors: float) -> None:
        """Write one minute of datapoints at `ts` and that minute's log lines."""
        rng = self._rng

        def noisy(base: float) -> float:
            return max(0.0, base * (1 + rng.gauss(0, 0.05)))

        stamp = datetime.fromtimestamp(ts, UTC)

        def datum(metric: str, value: float, **dims: str) -> dict[str, Any]:
            return {
                "MetricName": metric,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                "Timestamp": stamp,
                "Value": value,
            }

        cloudwatch = self.aws.client("cloudwatch")
        ecs = []
        for service, cpu, memory in zip(self.services, (35.0, 28.0), (58.0, 71.0), strict=False):
            dims = {"ClusterName": self.cluster, "ServiceName": service}
            ecs.append(datum("CPUUtilization", min(100, noisy(cpu + 50 * spike)), **dims))
            ecs.append(datum("MemoryUtilization", min(100, noisy(memory + 15 * backlog)), **dims))
        cloudwatch.put_metric_data(Namespace="AWS/ECS", MetricData=ecs)
        db = {"DBInstanceIdentifier": self.db_instance}
        rds = [
            datum("CPUUtilization", min(100, noisy(24 + 55 * spike)), **db),
            datum("DatabaseConnections", round(noisy(42 + 70 * backlog)), **db),
            datum("ReadLatency", noisy(0.0018 + 0.025 * spike), **db),
            datum("WriteLatency", noisy(0.0026 + 0.018 * spike), **db),
            datum("FreeableMemory", noisy(2.1e9 - 0.9e9 * backlog), **db),
        ]
        cloudwatch.put_metric_data(Namespace="AWS/RDS", MetricData=rds)
        age = datum("ApproximateAgeOfOldestMessage", noisy(2 + 300 * backlog), QueueName=self.queue)
        cloudwatch.put_metric_data(Namespace="AWS/SQS", MetricData=[age])
        lb = {"LoadBalancer": self.load_balancer}
        alb = [
            datum("TargetResponseTime", noisy(0.4 * (1 + 9 * spike)), **lb),
            datum("HTTPCode_Target_5XX_Count", round(noisy(1 + 120 * errors)), **lb),
        ]
        cloudwatch.put_metric_data(Namespace="AWS/ApplicationELB", MetricData=alb)
        self._publish_logs(ts, errors)

    def _publish_logs(self, ts: float, errors: float) -> None:
        logs = self.aws.client("logs")
        self._prepare(logs)
        lines = [(ts - 50 + i * 12, f"INFO Completed 200 OK in {300 + 40 * i}ms") for i in range(4)]
        for i in range(math.ceil(12 * errors)):
            text = (
                "ERROR PG::QueryCanceled: canceling statement due to statement timeout",
                "ERROR Net::ReadTimeout in Webhooks::Trigger",
                "ERROR ActiveStorage::FileNotFoundError",
            )[i % 3]
            lines.append((ts - 55 + i * 4, text))
        self.put_lines(self.log_group, "web/a1f3", lines)

    def put_lines(self, group: str, stream: str, lines: Iterable[tuple[float, str]]) -> None:
        """Append `(unix time, message)` lines to a stream of a group (both must exist)."""
        events = [{"timestamp": int(t * 1000), "message": m} for t, m in sorted(lines)]
        if events:
            self.aws.client("logs").put_log_events(
                logGroupName=group, logStreamName=stream, logEvents=events
            )

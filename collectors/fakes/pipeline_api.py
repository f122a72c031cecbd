"""A fake of the message pipeline's timing endpoint (seed 001) and the widget endpoint (seed 003).

It serves, on 127.0.0.1 at an ephemeral port:

* `GET /api/admin/performance-analysis`: seed 001's response, `{"success": true,
  "data": {totalMessages, completeMessages, partialMessages, distribution,
  stats, phaseBreakdown, systemInfo}}`;
* `GET /api/monitoring/widget`: seed 003's response (health scores,
  persistence, performance, alerts).

The numbers come from a `PipelineApiState` that follows the demo's incident
levels (`collectors.demo.incident_levels`): call `state.apply_levels(spike,
backlog, errors)` whenever the phase changes. Faults are switched on the same
object: `state.fault = "html"` and the next answer is a login page.

Used from an asyncio program:

```python
state = PipelineApiState()
async with PipelineApi(state) as api:          # or: await api.start() ... await api.stop()
    url = api.url + PERFORMANCE_PATH
    state.apply_levels(*incident_levels(phase))
```
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Literal

from collectors.fakes.tiny_http import DropConnection, Request, Response, TinyHttpServer

__all__ = ["PERFORMANCE_PATH", "WIDGET_PATH", "Fault", "PipelineApi", "PipelineApiState"]

PERFORMANCE_PATH = "/api/admin/performance-analysis"
"""Seed 001's endpoint."""
WIDGET_PATH = "/api/monitoring/widget"
"""Seed 003's endpoint."""

Fault = Literal["html", "proxy_502", "not_json", "http_500", "success_false", "drop", "slow"]
"""A way the endpoint can misbehave: a login page, a proxy's HTML error page,
text labelled as JSON, a server error, `success: false`, a dropped
connection, or an answer slower than any sane timeout."""

_BUCKETS = ("under1s", "under2s", "under5s", "over5s", "over10s", "over30s")
_CALM_SHARES = (0.62, 0.25, 0.10, 0.02, 0.01, 0.0)
"""Share of messages per bucket on a calm day: 97 % under 5 s."""
_INCIDENT_SHARES = (0.10, 0.15, 0.25, 0.25, 0.18, 0.07)
"""Share per bucket at the height of an incident: 50 % under 5 s."""

_LOGIN_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Sign in</title></head>"
    "<body><form action='/login'>Please sign in</form></body></html>\n"
)
_PROXY_PAGE = (
    "<html><head><title>502 Bad Gateway</title></head>"
    "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n"
)


@dataclass
class PipelineApiState:
    """What the fake endpoints answer; change it at any time."""

    messages: int = 150
    """Messages in the endpoint's sample window (seed 001: the last hour, at most 100-150)."""
    timing_enabled: bool = True
    """`systemInfo.enabled`: whether the app records end-to-end timing."""
    spike: float = 0.0
    """Latency spike intensity, 0..1."""
    backlog: float = 0.0
    """Queue backlog intensity, 0..1."""
    errors: float = 0.0
    """Error burst intensity, 0..1."""
    fault: Fault | None = None
    """How the next answers misbehave, or None for a healthy endpoint."""
    required_headers: dict[str, str] = field(default_factory=dict)
    """Headers a request must carry (lower-case names), else 401."""
    omit: set[str] = field(default_factory=set)
    """Top-level keys of `data` (seed 001) or of the widget body (seed 003) to leave out."""
    last_updated: str = "2025-01-22T10:30:00.000Z"

    def apply_levels(self, spike: float, backlog: float, errors: float) -> None:
        """Follow the demo's incident levels (each 0..1)."""
        self.spike, self.backlog, self.errors = spike, backlog, errors

    @property
    def _severity(self) -> float:
        return max(self.spike, self.backlog)

    def performance_payload(self) -> dict[str, Any]:
        """Seed 001's `/api/admin/performance-analysis` body."""
        total = self.messages
        shares = [
            calm + (bad - calm) * self._severity
            for calm, bad in zip(_CALM_SHARES, _INCIDENT_SHARES, strict=True)
        ]
        counts = [round(share * total) for share in shares]
        counts[0] += total - sum(counts)  # rounding: the counts add up to the total
        partial = min(total, round(total * (0.02 + 0.3 * self.errors)))
        median = 1250.0 * (1 + 5 * self.spike + 3 * self.backlog)
        data: dict[str, Any] = {
            "totalMessages": total,
            "completeMessages": total - partial,
            "partialMessages": partial,
            "distribution": dict(zip(_BUCKETS, counts, strict=True)),
            "stats": {
                "meanLatency": round(median * 1.3),
                "medianLatency": round(median),
                "p95Latency": round(median * 3.2),
                "p99Latency": round(median * 5.0),
                "minLatency": round(median * 0.3),
                "maxLatency": round(median * 12.0),
            },
            "phaseBreakdown": {
                "queueToWorker": round(250 + 4000 * self.backlog),
                "workerProcessing": round(1200 + 1500 * self.spike),
                "workerToChatwoot": round(400 + 2500 * self.spike),
            },
            "systemInfo": {
                "enabled": self.timing_enabled,
                "lastUpdated": self.last_updated,
                "sampleWindow": "Last hour (TTL: 3600s)",
            },
        }
        for key in self.omit:
            data.pop(key, None)
        return {"success": True, "data": data}

    def widget_payload(self) -> dict[str, Any]:
        """Seed 003's `/api/monitoring/widget` body."""
        trouble = max(self.spike, self.errors)
        scores = {
            "persistence": round(99 - 20 * self.errors),
            "performance": round(92 - 40 * self.spike),
            "memory": round(88 - 10 * self.backlog),
            "api": round(97 - 35 * trouble),
        }
        overall = round(
            0.4 * scores["persistence"]
            + 0.3 * scores["performance"]
            + 0.15 * scores["memory"]
            + 0.15 * scores["api"]
        )
        status = "healthy" if overall >= 90 else "degraded" if overall >= 70 else "unhealthy"
        total = 1250
        failed = round(2 + 60 * self.errors)
        body: dict[str, Any] = {
            "timestamp": "2025-11-03T10:00:00.000Z",
            "timeWindow": 300000,
            "health": {"overall": overall, "scores": scores, "status": status},
            "persistence": {
                "operations": {
                    "total": total,
                    "successful": total - failed,
                    "failed": failed,
                    "successRate": round(100 * (total - failed) / total, 2),
                },
                "performance": {
                    "avgDuration": 45.2,
                    "p50Duration": 38.0,
                    "p95Duration": round(125.0 + 300 * self.spike, 1),
                    "p99Duration": round(180.0 + 500 * self.spike, 1),
                },
                "reliability": {"dataLossIncidents": 0, "errorsByType": {}},
            },
            "performance": {
                "renders": {"count": 452, "avgTime": 8.3, "p95Time": 14.2},
                "scroll": {"avgFps": 58.2, "minFps": 52.1, "jankPercentage": 3.2},
                "api": {
                    "totalCalls": 89,
                    "avgDuration": round(285.4 * (1 + 3 * self.spike), 1),
                    "p95Duration": round(445.2 * (1 + 4 * self.spike), 1),
                    "errorRate": round(8.0 * self.errors, 2),
                    "cacheHitRate": 67.4,
                },
            },
            "alerts": {
                "active": [],
                "stats": {"total": 12, "unresolved": round(4 * trouble), "bySeverity": {}},
            },
        }
        for key in self.omit:
            body.pop(key, None)
        return body


class PipelineApi:
    """Serves both endpoints from a `PipelineApiState` on 127.0.0.1.

    Args:
        state: what to answer; the server reads it on every request.
    """

    def __init__(self, state: PipelineApiState | None = None) -> None:
        self.state = state or PipelineApiState()
        self._server = TinyHttpServer(self._handle)

    @property
    def url(self) -> str:
        """Base URL, once started."""
        return self._server.url

    @property
    def requests(self) -> int:
        """Requests served so far."""
        return self._server.requests

    async def start(self) -> str:
        """Start on an ephemeral port; returns the base URL."""
        return await self._server.start()

    async def stop(self) -> None:
        """Stop and close every connection."""
        await self._server.stop()

    async def __aenter__(self) -> PipelineApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _handle(self, request: Request) -> Response:
        state = self.state
        for name, value in state.required_headers.items():
            if request.headers.get(name) != value:
                return Response.json({"error": "unauthorized"}, 401)
        if request.method != "GET":
            return Response.json({"error": "method not allowed"}, 405)
        if request.path == PERFORMANCE_PATH:
            payload = state.performance_payload()
        elif request.path == WIDGET_PATH:
            payload = state.widget_payload()
        else:
            return Response.json({"error": "not found"}, 404)
        match state.fault:
            case None:
                return Response.json(payload)
            case "html":
                return Response.text(_LOGIN_PAGE, 200, "text/html")
            case "proxy_502":
                return Response.text(_PROXY_PAGE, 502, "text/html")
            case "not_json":
                return Response(
                    200, b"Internal error, see logs", {"Content-Type": "application/json"}
                )
            case "http_500":
                return Response.json({"error": "internal server error"}, 500)
            case "success_false":
                return Response.json({"success": False, "error": "Redis unavailable"})
            case "drop":
                raise DropConnection
            case "slow":
                await asyncio.sleep(3600)
        return Response.json(payload)

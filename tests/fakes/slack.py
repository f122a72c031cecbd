"""A local Slack incoming webhook: records what is posted, fails the way Slack fails.

It answers through `collectors.fakes.tiny_http` on a real socket on 127.0.0.1,
so the `SlackSink` and its retries are tested against a server, not a mock.

Behaviour, like Slack's:

* `POST /services/<token>` with a JSON body holding `text`: `200 ok`, and
  the payload is kept in `messages`;
* another path: `404 no_service`; a body that is not JSON or has no text:
  `400 invalid_payload`;
* on demand: the next `fail_next` posts answer `fail_status` (500 by
  default; 429 adds `Retry-After: retry_after`), each post fails with
  probability `error_rate` (seeded, so a test can follow
  `collectors.demo.incident_levels`' error level), or every answer waits
  `delay` seconds (a slow Slack, for timeouts).

Usage:

```python
async with FakeSlack() as slack:
    config = SlackConfig(webhook_url=slack.url)
    slack.fail_next, slack.fail_status = 2, 503
    ...
    assert slack.messages[0]["text"].startswith(":rotating_light:")
```
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

from collectors.fakes.tiny_http import Request, Response, TinyHttpServer

__all__ = ["FakeSlack"]

_TOKEN = "T0000/B0000/fakefakefakefakefakefake"


class FakeSlack(TinyHttpServer):
    """A Slack incoming-webhook endpoint on 127.0.0.1 and an ephemeral port.

    Args:
        error_rate: probability (0..1) that a post fails with `fail_status`.
        seed: seed of the failure draws.
    """

    def __init__(self, *, error_rate: float = 0.0, seed: int = 7) -> None:
        super().__init__(self._answer_request)
        self.messages: list[dict[str, Any]] = []
        """Accepted payloads, oldest first."""
        self.fail_next = 0
        """Answer this many coming posts with `fail_status`."""
        self.fail_status = 500
        self.retry_after: float = 1.0
        """Seconds sent in `Retry-After` with a 429."""
        self.error_rate = error_rate
        self.delay = 0.0
        """Seconds to wait before each answer."""
        self._rng = random.Random(seed)

    @property
    def url(self) -> str:
        """The webhook URL to configure (valid once started)."""
        return f"http://{self._host}:{self.port}/services/{_TOKEN}"

    async def _answer_request(self, request: Request) -> Response:
        status, text, extra = self._answer(request.method, request.path, request.body)
        if self.delay:
            await asyncio.sleep(self.delay)
        return Response(status, text.encode(), {"Content-Type": "text/plain", **extra})

    def _answer(self, method: str, path: str, body: bytes) -> tuple[int, str, dict[str, str]]:
        if method != "POST" or path != f"/services/{_TOKEN}":
            return 404, "no_service", {}
        if self.fail_next > 0 or (self.error_rate and self._rng.random() < self.error_rate):
            self.fail_next = max(0, self.fail_next - 1)
            extra = {"Retry-After": f"{self.retry_after:g}"} if self.fail_status == 429 else {}
            return self.fail_status, "rate_limited" if self.fail_status == 429 else "error", extra
        try:
            payload = json.loads(body)
        except ValueError:
            return 400, "invalid_payload", {}
        if not isinstance(payload, dict) or not isinstance(payload.get("text"), str):
            return 400, "invalid_payload", {}
        self.messages.append(payload)
        return 200, "ok", {}

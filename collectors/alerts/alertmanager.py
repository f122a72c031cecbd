"""Alertmanager as a notification target, and its silences: the v2 API, nothing else.

Contract:

* **Alerts** (`AlertmanagerSink`) go to `POST /api/v2/alerts` as Prometheus
  sends them: labels `alertname` (the rule), `severity`, the alert's labels
  (`source`, and those of its group) and the rule's own label selectors;
  annotations `summary`, `runbook_url` and `value` (with the series' unit);
  `startsAt`, `endsAt` once resolved, and `generatorURL`.
* **Same labels everywhere.** No label names the process or the host, so the
  two collectors of an HA pair, running one config, send the same alert and
  Alertmanager shows one (the host is only in the default `generatorURL`).
* **Re-sent while firing.** Alertmanager resolves an alert it has not heard
  of for `resolve_timeout` (5 minutes by default), so every `resend_every`
  (1 minute by default) the sink posts the alerts firing in the store, the
  first time as soon as it starts (a restarted collector re-announces what
  fires). A silenced alert is not re-sent: locally silenced stays quiet.
* **Severity changes** re-label the alert; the old severity's copy is sent
  resolved at the same time, so it does not linger until it times out.
* **Failures** are retried by `JsonSink`'s poster (backoff, `Retry-After`), then
  logged as one line and counted: `AlertmanagerSink.failures` (posts given
  up) is what `/metrics` reads. Never raised into the engine.
* **Silences** (`create_silence`): `POST /api/v2/silences` with the matchers
  given; returns the silence id or raises `AlertmanagerError` with one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import socket
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from collectors.alerts.notify import AlertmanagerConfig, JsonSink, Notification
from collectors.alerts.rules import Severity
from collectors.http import BodyError, async_client, read_body
from collectors.inert import inert

if TYPE_CHECKING:
    import httpx

__all__ = [
    "AlertmanagerError",
    "AlertmanagerSink",
    "alert_payload",
    "create_silence",
    "value_text",
]

log = logging.getLogger(__name__)

_LABEL_NAME: Final = re.compile(r"[^A-Za-z0-9_]")
_REPLY_LIMIT: Final = 64 * 1024


class AlertmanagerError(Exception):
    """Alertmanager could not be reached or refused a request (one line, no URL secrets)."""


def _rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def value_text(value: float, unit: str) -> str:
    """A value with its unit as a person reads it, e.g. `5300 ms`, `84.2%`, `0 (down)`."""
    number = f"{value:.4g}"
    if unit == "1/0":
        return f"{number} ({'up' if value >= 1 else 'down'})"
    if unit == "%":
        return f"{number}%"
    if unit in ("", "count"):
        return number
    return f"{number} {unit}"


def _labels(notification: Notification, severity: Severity) -> dict[str, str]:
    labels = {**notification.rule_labels, **notification.labels}
    named = {_LABEL_NAME.sub("_", key): inert(value) for key, value in labels.items() if value}
    return {**named, "alertname": notification.rule, "severity": severity.value}


def alert_payload(
    notification: Notification,
    *,
    generator_url: str,
    severity: Severity | None = None,
    resolved: bool | None = None,
) -> dict[str, object]:
    """One alert of `POST /api/v2/alerts` for a notification.

    Args:
        notification: what the engine decided (or a re-send of a firing alert).
        generator_url: the alert's `generatorURL`.
        severity: the severity label, default the notification's.
        resolved: whether it has ended; default from the notification's kind and state.
    """
    if resolved is None:
        resolved = notification.kind == "resolved" or notification.state != "firing"
    annotations = {"summary": inert(notification.summary)}
    if notification.runbook:
        annotations["runbook_url"] = inert(notification.runbook)
    if notification.value is not None:
        annotations["value"] = value_text(notification.value, notification.unit)
    alert: dict[str, object] = {
        "labels": _labels(notification, severity or notification.severity),
        "annotations": annotations,
        "startsAt": _rfc3339(notification.since),
        "generatorURL": generator_url,
    }
    if resolved:
        alert["endsAt"] = _rfc3339(max(notification.since, notification.ts))
    return alert


class AlertmanagerSink(JsonSink[AlertmanagerConfig]):
    """Sends alerts to Alertmanager's v2 API and re-sends the firing ones on a cadence.

    Args:
        config: the Alertmanager and its options.
        transport: an httpx transport (tests); default the network.
        backoff: seconds before the first retry; doubled each time, jittered.
        sleep: how to wait between attempts (tests record the waits).
    """

    name = "alertmanager"

    def __init__(
        self,
        config: AlertmanagerConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        backoff: float = 1.0,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        super().__init__(config, transport=transport, backoff=backoff, sleep=sleep)
        self._url = config.url.rstrip("/") + "/api/v2/alerts"
        self._generator = config.generator_url
        self._host = socket.gethostname()
        self._resend_every = config.resend_every
        self._severity: dict[int, Severity] = {}
        """The severity label last sent per alert id, to resolve the old one on a change."""
        self._resending: asyncio.Task[None] | None = None

    async def send(self, group: Sequence[Notification]) -> None:
        """Post the group's alerts (firing or resolved) in one request; log a failure."""
        alerts: list[dict[str, object]] = []
        for notification in group:
            generator = self._generator_url(notification.rule)
            previous = self._severity.get(notification.alert_id)
            if previous is not None and previous is not notification.severity:
                alerts.append(
                    alert_payload(
                        notification, generator_url=generator, severity=previous, resolved=True
                    )
                )
            alerts.append(alert_payload(notification, generator_url=generator))
            if notification.kind == "resolved":
                self._severity.pop(notification.alert_id, None)
            else:
                self._severity[notification.alert_id] = notification.severity
        if alerts:
            await self._post(alerts)

    def resend_from(self, firing: Callable[[], Awaitable[Sequence[Notification]]]) -> None:
        """Post what `firing` returns now and every `resend_every`, until `aclose`."""
        if self._resending is None:
            self._resending = asyncio.create_task(self._resend(firing), name="alertmanager-resend")

    async def _resend(self, firing: Callable[[], Awaitable[Sequence[Notification]]]) -> None:
        while True:
            started = time.monotonic()
            try:
                group = [n for n in await firing() if n.severity.rank >= self.min_severity.rank]
            except Exception as exc:  # a locked database must not end the re-sending
                log.warning("alertmanager: cannot read the firing alerts: %s", type(exc).__name__)
            else:
                await self.send(group)
            await asyncio.sleep(max(0.0, self._resend_every - (time.monotonic() - started)))

    def _generator_url(self, rule: str) -> str:
        return self._generator or f"wootwatch://{self._host}/rules/{rule}"

    async def _post(self, alerts: list[dict[str, object]]) -> None:
        await self.deliver(self._url, json.dumps(alerts).encode(), count=len(alerts), what="alerts")

    async def aclose(self) -> None:
        """Stop re-sending and close the HTTP client."""
        if self._resending is not None:
            self._resending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._resending
        await super().aclose()


async def create_silence(
    url: str,
    matchers: Mapping[str, str],
    *,
    starts_at: float,
    ends_at: float,
    created_by: str,
    comment: str,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = 10.0,
) -> str:
    """Create an Alertmanager silence with equality matchers; return its id.

    A `*` value matches any value (a regex matcher `.+`).

    Raises:
        AlertmanagerError: Alertmanager could not be reached or refused the silence.
    """
    import httpx

    body = {
        "matchers": [
            {"name": name, "value": ".+", "isRegex": True, "isEqual": True}
            if value == "*"
            else {"name": name, "value": value, "isRegex": False, "isEqual": True}
            for name, value in matchers.items()
        ],
        "startsAt": _rfc3339(starts_at),
        "endsAt": _rfc3339(ends_at),
        "createdBy": created_by,
        "comment": comment,
    }
    async with async_client(timeout=timeout, transport=transport) as client:
        try:
            async with client.stream(
                "POST", url.rstrip("/") + "/api/v2/silences", json=body
            ) as response:
                reply = await read_body(response, limit=_REPLY_LIMIT)
        except httpx.HTTPError as exc:
            raise AlertmanagerError(f"cannot reach Alertmanager: {type(exc).__name__}") from None
        except BodyError as exc:
            raise AlertmanagerError(f"Alertmanager's answer was not read: {exc}") from None
    text = reply.decode("utf-8", "replace")
    if response.status_code >= 300:
        detail = inert(text.strip().splitlines()[0][:120]) if text.strip() else ""
        raise AlertmanagerError(
            f"Alertmanager refused the silence: HTTP {response.status_code}"
            + (f" ({detail})" if detail else "")
        )
    try:
        silence_id = json.loads(text)["silenceID"]
    except (ValueError, KeyError, TypeError):
        raise AlertmanagerError("Alertmanager's answer has no silenceID") from None
    return inert(str(silence_id))

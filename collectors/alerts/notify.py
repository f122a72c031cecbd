"""Where alert notifications go: Slack, Alertmanager, a command, the terminal bell.

Contract:

* The engine decides *what* to notify (and records each decision as a
  `notify` event, so nothing is sent twice, even across restarts); this
  module *delivers*. `Dispatcher.submit` never blocks the engine: delivery
  runs in a background task.
* **Grouped and de-duplicated.** Notifications submitted within
  `group_wait` of the first one go out together, one message per sink;
  repeats of the same alert and kind in a group collapse into the newest.
* **Slack** (`SlackSink`): one long-lived `httpx.AsyncClient` with explicit
  timeouts and limits (`transport=` for tests); a failed post is retried
  (connection errors, timeouts, HTTP 429 honouring `Retry-After`, HTTP 5xx)
  with exponential backoff. The webhook URL is a secret (`SecretStr`): it
  never appears in a log line or a message.
* **Alertmanager** (`collectors.alerts.alertmanager`): its v2 API, firing
  alerts re-sent every `resend_every`; it posts through the same retrying
  `JsonPoster` as Slack.
* **Command** (`CommandSink`): an argv list run without a shell, the group
  as a JSON array on stdin, killed after its timeout. A string is refused:
  a shell string would let alert text (upstream names) reach a shell. The
  command's environment has `WOOTWATCH_DB` set to the engine's database, so
  a hook that runs `wootwatch annotate ...` notes the page on that database.
* **Bell** (`BellWatcher`): a TUI rings the terminal bell when the engine
  (in this process or in `wootwatch collect`) records a new firing,
  escalated, repeated or lapsed-ack notification at or above its severity.
* Every failure is logged as one line and never raised into the engine.
* Alert text comes partly from upstreams (label values): it goes through
  `inert` and Slack's own escaping before it is sent.

Sample config:

```yaml
notify:
  group_wait: 5s            # gather notifications this long into one message
  repeat_every: 1h          # re-notify a firing, unacknowledged alert this often
  bell: {enabled: true, min_severity: warning}
  slack:
    webhook_url: ${SLACK_WEBHOOK_URL}
    min_severity: warning
    retries: 3
  alertmanager:
    url: http://127.0.0.1:9093   # Alertmanager's own address (not a webhook)
    resend_every: 1m          # well inside Alertmanager's resolve_timeout (5m)
  command:
    argv: [/usr/local/bin/page-oncall, --team, support]
    min_severity: critical
    timeout: 10s
```

One unit over 500 lines: the notify config, the dispatcher and the sinks it
builds from that config change together whenever a sink is added.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    Final,
    Generic,
    Protocol,
    TypeVar,
    runtime_checkable,
)

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, field_validator

from collectors.alerts.rules import Severity
from collectors.base import Duration, format_duration
from collectors.http import BodyError, async_client, read_body, retry_after
from collectors.inert import inert

if TYPE_CHECKING:
    # Imported where used: `import httpx` loads its command line, and with it
    # `rich`, which collectors/ must not load (tests/test_import_hygiene.py).
    import httpx

__all__ = [
    "AlertmanagerConfig",
    "BellConfig",
    "BellWatcher",
    "CommandConfig",
    "CommandSink",
    "Dispatcher",
    "JsonPoster",
    "JsonSink",
    "Notification",
    "NotifyConfig",
    "Resender",
    "Sink",
    "SlackConfig",
    "SlackSink",
]

log = logging.getLogger(__name__)

_RETRY_AFTER_CAP: Final = 30.0
_BACKOFF_CAP: Final = 30.0
_REPLY_LIMIT: Final = 64 * 1024
"""Most bytes of Slack's answer read; its error words are short."""
_MAX_LINES: Final = 40
"""Lines of one Slack message; the rest is summarised as a count."""
BELL_KINDS: Final = frozenset({"firing", "escalated", "repeat", "ack_expired", "flapping_started"})
"""Notification kinds that ring the bell (not resolutions)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BellConfig(_Model):
    """The terminal bell of the TUI."""

    enabled: bool = True
    """Ring the bell in the TUI for new notifications."""
    min_severity: Severity = Severity.WARNING
    """Only alerts at least this severe ring."""


def _webhook_url(value: object) -> object:
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if isinstance(text, str) and not text.startswith(("https://", "http://")):
        raise ValueError("must be an http(s) URL (Slack's incoming webhook URL)")
    return value


class SlackConfig(_Model):
    """A Slack incoming webhook."""

    webhook_url: Annotated[SecretStr, BeforeValidator(_webhook_url)]
    """The webhook URL; a secret: write it as `${SLACK_WEBHOOK_URL}`."""
    min_severity: Severity = Severity.WARNING
    """Only alerts at least this severe are posted."""
    timeout: Duration = 10.0
    """Longest one post may take."""
    retries: int = Field(default=3, ge=0, le=10)
    """Further attempts after a failed post (with backoff)."""


def _argv(value: object) -> object:
    if isinstance(value, str):
        raise ValueError(
            "must be a list of words, like [/usr/local/bin/page, --team, support]; "
            "a shell string is not run"
        )
    return value


class CommandConfig(_Model):
    """A command run for each group of notifications."""

    argv: Annotated[list[Annotated[str, Field(min_length=1)]], BeforeValidator(_argv)] = Field(
        min_length=1
    )
    """The program and its arguments; no shell. The notifications arrive as JSON on stdin."""
    min_severity: Severity = Severity.WARNING
    """Only alerts at least this severe run the command."""
    timeout: Duration = 10.0
    """The command is killed after this long."""


def _http_url(value: object) -> object:
    if isinstance(value, str) and not value.startswith(("https://", "http://")):
        raise ValueError("must be an http(s) URL, like http://127.0.0.1:9093")
    return value


class AlertmanagerConfig(_Model):
    """A Prometheus Alertmanager, spoken to through its v2 API."""

    url: Annotated[str, BeforeValidator(_http_url)]
    """Alertmanager's base URL, e.g. `http://127.0.0.1:9093` (alerts go to `/api/v2/alerts`)."""
    min_severity: Severity = Severity.INFO
    """Only alerts at least this severe are sent; Alertmanager's routes do the rest."""
    resend_every: Duration = 60.0
    """Firing alerts are sent again this often; keep it well inside `resolve_timeout`."""
    timeout: Duration = 10.0
    """Longest one post may take."""
    retries: int = Field(default=3, ge=0, le=10)
    """Further attempts after a failed post (with backoff)."""
    generator_url: str | None = None
    """The alerts' `generatorURL`, e.g. a dashboard; default `wootwatch://HOST/rules/RULE`."""


class NotifyConfig(_Model):
    """Where alerts go besides the screen."""

    group_wait: Duration = 5.0
    """Notifications within this long of the first go out as one message."""
    repeat_every: Duration | None = 3600.0
    """Notify a firing, unacknowledged alert again this often; none for never."""
    bell: BellConfig = Field(default_factory=BellConfig)
    """The terminal bell in the TUI."""
    slack: SlackConfig | None = None
    """A Slack incoming webhook; none by default."""
    alertmanager: AlertmanagerConfig | None = None
    """A Prometheus Alertmanager; none by default."""
    command: CommandConfig | None = None
    """A command hook; none by default."""

    @field_validator("bell", mode="before")
    @classmethod
    def _bell_flag(cls, value: Any) -> Any:
        """`bell: false` is short for `bell: {enabled: false}`."""
        return {"enabled": value} if isinstance(value, bool) else value


# --------------------------------------------------------------------------- notifications


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Notification:
    """One thing worth telling a person about one alert."""

    kind: str
    """`firing`, `repeat`, `escalated`, `ack_expired`, `resolved`, `flapping_started`,
    `flapping_stopped`."""
    alert_id: int
    rule: str
    severity: Severity
    state: str
    value: float | None
    labels: Mapping[str, str]
    summary: str
    runbook: str
    since: float
    """When the alert entered its state."""
    ts: float
    """When the notification was decided."""
    note: str = ""
    """Extra context, e.g. who acknowledged an alert whose ack lapsed."""
    unit: str = ""
    """The unit of `value` (`collectors.series`), empty when it has none (a ratio)."""
    rule_labels: Mapping[str, str] = field(default_factory=dict)
    """The label values the rule selects its series by, e.g. `{check: api}`."""

    def line(self) -> str:
        """One inert line for a person: severity, rule, what happened, labels, value, summary."""
        what = {
            "firing": "firing",
            "repeat": "still firing",
            "escalated": f"escalated to {self.severity}",
            "ack_expired": "still firing after the acknowledgement",
            "resolved": "resolved",
            "flapping_started": "flapping (notifications paused)",
            "flapping_stopped": f"stopped flapping ({self.state})",
        }.get(self.kind, self.kind)
        labels = ", ".join(f"{k}={v}" for k, v in sorted(self.labels.items()))
        value = "" if self.value is None else f" value {self.value:.4g}"
        text = f"[{self.severity.upper()}] #{self.alert_id} {self.rule} {what}"
        text += f" ({labels}){value}"
        if self.summary:
            text += f": {self.summary}"
        if self.note:
            text += f" [{self.note}]"
        return inert(text)

    def to_json(self) -> dict[str, object]:
        """A plain mapping for the command hook's stdin."""
        return {
            "kind": self.kind,
            "id": self.alert_id,
            "rule": self.rule,
            "severity": self.severity.value,
            "state": self.state,
            "value": self.value,
            "labels": dict(self.labels),
            "summary": self.summary,
            "runbook": self.runbook,
            "since": _iso(self.since),
            "at": _iso(self.ts),
            "note": self.note,
        }


class Sink(Protocol):
    """Somewhere a group of notifications is delivered."""

    name: str
    min_severity: Severity

    async def send(self, group: Sequence[Notification]) -> None:
        """Deliver one group; log failures, never raise."""

    async def aclose(self) -> None:
        """Release clients."""


@runtime_checkable
class Resender(Protocol):
    """A sink that re-sends the alerts still firing on its own cadence (Alertmanager)."""

    def resend_from(self, firing: Callable[[], Awaitable[Sequence[Notification]]]) -> None:
        """Re-send what `firing` returns, in a background task, until `aclose`."""


# --------------------------------------------------------------------------- slack


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(group: Sequence[Notification]) -> dict[str, object]:
    """The JSON body of one Slack post for a group of notifications."""
    worst = max(group, key=lambda n: n.severity.rank)
    head = (
        f"wootwatch: {len(group)} alert notifications"
        if len(group) > 1
        else f"wootwatch: {group[0].rule} {group[0].kind}"
    )
    lines = []
    for notification in group[:_MAX_LINES]:
        line = _slack_escape(notification.line())
        runbook = notification.runbook
        if runbook.startswith(("https://", "http://")) and "|" not in runbook:
            line += f" <{_slack_escape(runbook)}|runbook>"
        lines.append(line)
    if len(group) > _MAX_LINES:
        lines.append(f"… and {len(group) - _MAX_LINES} more")
    icon = {"critical": ":rotating_light:", "error": ":red_circle:", "warning": ":warning:"}
    text = f"{icon.get(worst.severity.value, ':information_source:')} {_slack_escape(head)}\n"
    return {"text": text + "\n".join(lines)}


class JsonPoster:
    """POSTs JSON bodies over one long-lived client, retrying transient failures.

    Connection errors, timeouts, HTTP 5xx and HTTP 429 (honouring `Retry-After`)
    are retried with jittered exponential backoff; any other HTTP 4xx is not
    (the URL or the body is wrong). Errors name no URL (it may hold a secret).

    Args:
        timeout: longest one attempt may take.
        retries: further attempts after a failed one.
        transport: an httpx transport (tests); default the network.
        backoff: seconds before the first retry; doubled each time, jittered.
        sleep: how to wait between attempts (tests record the waits).
    """

    def __init__(
        self,
        *,
        timeout: float,
        retries: int,
        transport: httpx.AsyncBaseTransport | None = None,
        backoff: float = 1.0,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._retries = retries
        self._backoff = backoff
        self._sleep = sleep
        self._client = async_client(timeout=timeout, transport=transport)
        self.attempts = 0
        """Attempts the last post took."""
        self.failures = 0
        """Posts given up after every attempt (a counter for status lines and `/metrics`)."""

    async def post(self, url: str, body: bytes) -> str | None:
        """POST `body` as JSON to `url`, retrying; None once accepted, else the last error."""
        import httpx

        error = "not sent"
        for attempt in range(self._retries + 1):
            self.attempts = attempt + 1
            delay = self._backoff * 2**attempt * random.uniform(0.8, 1.2)
            try:
                async with self._client.stream(
                    "POST", url, content=body, headers={"Content-Type": "application/json"}
                ) as response:
                    reply = await _reply(response)
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}"
            else:
                if response.status_code < 300:
                    return None
                lines = reply[:60].strip().splitlines()
                detail = inert(lines[0]) if lines else ""
                error = f"HTTP {response.status_code}" + (f" ({detail})" if detail else "")
                if response.status_code == 429:
                    asked = retry_after(response.headers.get("retry-after"), time.time())
                    delay = min(asked, _RETRY_AFTER_CAP) if asked is not None else delay
                elif response.status_code < 500:
                    break  # the URL or the payload is wrong: retrying will not help
            if attempt < self._retries:
                await self._sleep(min(delay, _BACKOFF_CAP))
        self.failures += 1
        return error

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()


class _PostOptions(Protocol):
    """What a sink that POSTs JSON reads of its config (`SlackConfig`, `AlertmanagerConfig`)."""

    @property
    def min_severity(self) -> Severity: ...
    @property
    def timeout(self) -> float: ...
    @property
    def retries(self) -> int: ...


_Options = TypeVar("_Options", bound=_PostOptions)


class JsonSink(Generic[_Options]):
    """What the sinks that POST JSON share: one `JsonPoster` from their config, the counters.

    A post is delivered or given up after the config's retries; given up, it
    is one log line and `last_error` (named by the sink's `name`, never the URL).

    Args:
        config: the sink's options (`min_severity`, `timeout`, `retries`).
        transport: an httpx transport (tests); default the network.
        backoff: seconds before the first retry; doubled each time, jittered.
        sleep: how to wait between attempts (tests record the waits).
    """

    name = "json"

    def __init__(
        self,
        config: _Options,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        backoff: float = 1.0,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.config = config
        self.min_severity = config.min_severity
        self.poster = JsonPoster(
            timeout=config.timeout,
            retries=config.retries,
            transport=transport,
            backoff=backoff,
            sleep=sleep,
        )
        """Posts and retries; its `failures` counts posts given up."""
        self.delivered = 0
        """Posts the receiver accepted (for status lines and tests)."""
        self.last_error: str | None = None
        """Why the last post failed, one line without the URL; None after a success."""

    @property
    def failures(self) -> int:
        """Posts given up after every retry: the delivery failure counter `/metrics` reads."""
        return self.poster.failures

    async def deliver(self, url: str, body: bytes, *, count: int, what: str) -> None:
        """POST `body` (`count` `what`s, for the log line); count and log the outcome."""
        error = await self.poster.post(url, body)
        if error is None:
            self.delivered += 1
            self.last_error = None
            return
        self.last_error = f"{self.name}: {error}"
        log.error(
            "%s: %d %s not delivered after %d attempts: %s",
            self.name,
            count,
            what,
            self.poster.attempts,
            error,
        )

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self.poster.aclose()


class SlackSink(JsonSink[SlackConfig]):
    """Posts each group to a Slack incoming webhook, retrying transient failures.

    Args:
        config: the webhook and its options.
        transport: an httpx transport (tests); default the network.
        backoff: seconds before the first retry; doubled each time, jittered.
        sleep: how to wait between attempts (tests record the waits).
    """

    name = "slack"

    async def send(self, group: Sequence[Notification]) -> None:
        """Post the group; retry; log the outcome as one line."""
        url = self.config.webhook_url.get_secret_value()
        body = json.dumps(slack_payload(group)).encode()
        await self.deliver(url, body, count=len(group), what="notifications")


async def _reply(response: httpx.Response) -> str:
    """The start of Slack's answer (its error word); a huge or undecodable one is not read."""
    try:
        return (await read_body(response, limit=_REPLY_LIMIT)).decode("utf-8", "replace")
    except BodyError:
        return ""


# --------------------------------------------------------------------------- command


class CommandSink:
    """Runs a command per group, the notifications as a JSON array on stdin.

    Args:
        config: the argv list, severity and timeout.
        database: the database the alerts are in, given to the command as
            `$WOOTWATCH_DB` (None: the environment is passed on unchanged).
    """

    name = "command"

    def __init__(
        self, config: CommandConfig, *, database: str | os.PathLike[str] | None = None
    ) -> None:
        self.min_severity = config.min_severity
        self._argv = list(config.argv)
        self._env = None if database is None else {**os.environ, "WOOTWATCH_DB": str(database)}
        self._timeout = config.timeout
        self.delivered = 0
        """Groups the command accepted (exit status 0)."""
        self.failures = 0
        """Groups the command failed (could not start, timed out, non-zero exit)."""
        self.last_error: str | None = None

    async def send(self, group: Sequence[Notification]) -> None:
        """Run the command once for the group; log a failure as one line."""
        payload = json.dumps([n.to_json() for n in group]).encode()
        program = inert(self._argv[0])
        try:
            process = await asyncio.create_subprocess_exec(
                *self._argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
                start_new_session=True,
                env=self._env,
            )
        except OSError as exc:
            self._fail(f"cannot run {program}: {exc.strerror or type(exc).__name__}")
            return
        try:
            async with asyncio.timeout(self._timeout):
                await process.communicate(payload)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            self._fail(f"{program} did not finish within {format_duration(self._timeout)}")
            return
        except (BrokenPipeError, ConnectionResetError):
            await process.wait()
        if process.returncode != 0:
            self._fail(f"{program} exited with status {process.returncode}")
            return
        self.delivered += 1
        self.last_error = None

    def _fail(self, message: str) -> None:
        self.failures += 1
        self.last_error = f"command: {message}"
        log.error("command hook: %s", message)

    async def aclose(self) -> None:
        """Nothing to release."""


# --------------------------------------------------------------------------- dispatcher


@dataclass
class Dispatcher:
    """Groups submitted notifications for `group_wait`, de-duplicates, delivers per sink.

    Args:
        sinks: where groups go.
        group_wait: seconds to gather notifications after the first of a group.
    """

    sinks: Sequence[Sink]
    group_wait: float = 5.0
    _pending: list[Notification] = field(default_factory=list)
    _timer: asyncio.Task[None] | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    sent_groups: int = 0
    """Groups handed to at least one sink (for tests and status lines)."""

    def submit(self, notifications: Sequence[Notification]) -> None:
        """Queue notifications; they go out after `group_wait` (never blocks)."""
        if not notifications or not self.sinks:
            return
        self._pending.extend(notifications)
        if self._timer is None or self._timer.done():
            self._timer = asyncio.create_task(self._after_wait(), name="notify-group")

    async def _after_wait(self) -> None:
        await asyncio.sleep(self.group_wait)
        await self.flush()

    async def flush(self) -> None:
        """Deliver everything pending now."""
        async with self._lock:
            pending, self._pending = self._pending, []
            if not pending:
                return
            newest: dict[tuple[int, str], Notification] = {}
            for notification in pending:
                newest[notification.alert_id, notification.kind] = notification
            group = sorted(newest.values(), key=lambda n: (-n.severity.rank, n.ts, n.alert_id))
            sends = []
            for sink in self.sinks:
                wanted = [n for n in group if n.severity.rank >= sink.min_severity.rank]
                if wanted:
                    sends.append(self._send(sink, wanted))
            if sends:
                self.sent_groups += 1
                await asyncio.gather(*sends)

    @staticmethod
    async def _send(sink: Sink, group: Sequence[Notification]) -> None:
        try:
            await sink.send(group)
        except Exception:  # a sink must not stop the others
            log.exception("notification sink %s failed", sink.name)

    async def aclose(self) -> None:
        """Deliver what is pending (without waiting out `group_wait`) and close the sinks."""
        if self._timer is not None and not self._timer.done():
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
        await self.flush()
        for sink in self.sinks:
            with contextlib.suppress(Exception):
                await sink.aclose()


# --------------------------------------------------------------------------- bell


class _NotificationSource(Protocol):
    async def last_event_id(self) -> int: ...

    async def notifications_after(self, event_id: int) -> Sequence[Any]: ...


class Terminal(Protocol):
    """Where a bell goes: anything with `write` and `flush` (stdout, or the TUI's bell)."""

    def write(self, text: str, /) -> int:
        """Write text."""
        ...

    def flush(self) -> None:
        """Push written text out."""
        ...


class BellWatcher:
    """Rings a terminal's bell when new notifications are recorded in the database.

    Args:
        book: the alert tables (an `AlertBook`).
        stream: the terminal.
        min_severity: only alerts at least this severe ring.
    """

    def __init__(
        self, book: _NotificationSource, stream: Terminal, *, min_severity: Severity
    ) -> None:
        self._book = book
        self._stream = stream
        self._min = min_severity
        self._last: int | None = None
        self.rings = 0
        """How often it rang."""

    async def poll(self) -> bool:
        """Ring once if anything new deserves it; True when it rang.

        The first poll only notes where the history ends: old alerts do not ring.
        """
        if self._last is None:
            self._last = await self._book.last_event_id()
            return False
        fresh = await self._book.notifications_after(self._last)
        if not fresh:
            return False
        self._last = max(record.event_id for record in fresh)
        if not any(r.kind in BELL_KINDS and r.severity.rank >= self._min.rank for r in fresh):
            return False
        self._stream.write("\a")
        self._stream.flush()
        self.rings += 1
        return True

    async def run(self, every: float) -> None:
        """Poll every `every` seconds until cancelled; a failing poll is logged."""
        while True:
            started = time.monotonic()
            try:
                await self.poll()
            except Exception as exc:  # a locked or vanished file must not end the view
                log.warning("bell: cannot read notifications: %s", type(exc).__name__)
            await asyncio.sleep(max(0.0, every - (time.monotonic() - started)))

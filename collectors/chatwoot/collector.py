"""Chatwoot source: health, API latency, conversations, first-response SLA, channels, agents.

One config entry watches one Chatwoot account through its REST API (checked
against v4.15.1; see `collectors/chatwoot/parse.py` for where the server and
its Swagger spec disagree). Each poll:

* checks `GET /api` (version, `queue_services`, `data_services`) and
  `GET /health`: status code, latency, up or not;
* times every request into `chatwoot.api.latency_ms` by endpoint;
* counts conversations by status, unassigned and unattended, from
  `live_reports/conversation_metrics` where the server has it, else from
  `conversations/meta` plus `reports/conversations` (whose `pending` is
  always 0); snoozed and resolved come from `conversations/meta`;
* keeps the conversations created in `window` in memory, read 25 a page
  (at most `max_pages` pages a poll) and then refreshed with
  `updated_within`, and judges each against the first-response target
  (`sla_target`, counted in `business_hours` when set): compliance, the
  breach list, new conversations per hour, volume and mean first response
  per channel type;
* counts agents online, busy and offline; every `reports_interval` reads the
  account summary (with its `previous` window) and, where the account has
  the `sla` feature, the SLA policies and `applied_slas/metrics`.

Failures: a 401 that rejects the token on a core endpoint makes the poll fail
with "auth failed: <the server's text>" and waits `auth_retry` before trying
again. A 5xx, a timeout, a refused connection or malformed JSON from `/api` or
a conversation endpoint fails the poll with a one-line reason (the scheduler
marks the source stale, then down, and the store keeps the last good values)
and the next poll comes at the usual interval; the same from an optional
endpoint (agents, reports, inboxes, SLA) is a note and the rest still counts.
Only where the server asks does an endpoint wait: a 429 (rack-attack's
`text/plain` "Retry later") for its Retry-After when given, else from a minute
up to ten; a 401 or 403 on an optional endpoint, or a 404, leaves that endpoint
alone for a while and costs nothing else. A 429 on `/api` makes the source
wait. The health checks and request timings of a failed poll travel with its
`SourceError` and are written at once, at the poll's time. The token travels
only in the `api_access_token` header: never in a URL, a message or a sample.

Latency is the server's: from the moment the request goes out on a connection
to the moment the response's head has arrived (httpx's `trace` extension gives
both), so waiting for one of the client's own pooled connections, connecting,
and reading the body on a busy client are not counted.

Sample config:

```yaml
sources:
  - type: chatwoot
    name: chatwoot-prod
    base_url: https://chat.example.com   # no credentials in the URL
    account_id: 1
    api_token: ${CHATWOOT_API_TOKEN}     # an administrator's access token
    interval: 30s
    window: 24h                          # conversations judged for SLA, channels
    sla_target: 15m                      # first-response target
    business_hours:                      # optional: the SLA clock runs only then
      timezone: America/New_York
      days: [mon, tue, wed, thu, fri]
      start: "09:00"
      end: "17:00"
```
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Final, Literal, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import (
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from collectors.base import Duration, Record, Sample, SourceConfig, SourceError, format_duration
from collectors.business_hours import BusinessHours
from collectors.chatwoot.parse import (
    Breach,
    Conversation,
    ConversationPage,
    Inbox,
    ParseError,
    channel_samples,
    error_text,
    new_per_hour,
    parse_account_features,
    parse_agents,
    parse_api_health,
    parse_conversation_metrics,
    parse_conversation_page,
    parse_conversations_meta,
    parse_health,
    parse_inboxes,
    parse_report_conversations,
    parse_sla_metrics,
    parse_sla_policies,
    parse_summary,
    recommended_agents,
    sla_report,
    sla_samples,
)
from collectors.http import (
    ACCEPT_ENCODING,
    BodyError,
    JsonTooDeep,
    loads_json,
    read_body,
    retry_after,
)
from collectors.inert import inert
from collectors.store.database import Store
from collectors.version import USER_AGENT

__all__ = [
    "COLLECTOR",
    "UPTIME_WINDOWS",
    "ChatwootCollector",
    "ChatwootConfig",
    "Uptime",
    "current_breaches",
    "uptime_pct",
]

log = logging.getLogger(__name__)

_MAX_BODY: Final = 2 * 1024 * 1024
"""A response larger than this (on the wire or decoded) is refused rather than read into
memory. Up to four are read at once, so a hostile server costs a poll about 15 MiB; the
largest Chatwoot answers (the agent and inbox lists) are a few hundred KiB."""
_REFRESH_EVERY: Final = 600.0
"""Seconds between reads of the inbox list and the account's features."""
_META_SPACING: Final = 10.0
"""Least seconds between two rounds of `conversations/meta` (30 a minute per user)."""
_RATE_LIMIT_WAIT: Final = (60.0, 600.0)
"""First and longest wait after a 429: its windows are fixed minutes."""
_FORBIDDEN_WAIT: Final = 1800.0
"""How long an endpoint the token's role may not read is left alone."""
_MISSING_WAIT: Final = 3600.0
"""How long an endpoint this server does not have (404) is left alone."""
_DEADLINE_SHARE: Final = 0.95
"""A poll gives up at this share of the scheduler's deadline, so its checks still get written."""
_LATE_LIMIT: Final = 3600.0
"""A first response seen later than this after it happened is counted, not written."""
_NOTE_LENGTH: Final = 300

# --------------------------------------------------------------------------- config


class ChatwootConfig(SourceConfig):
    """One Chatwoot account, read through its REST API with a user's access token."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    series_prefixes: ClassVar[tuple[str, ...]] = ("chatwoot.",)
    type: Literal["chatwoot"] = "chatwoot"
    base_url: str = Field(min_length=1)
    """Where Chatwoot answers, e.g. `https://chat.example.com` (no user or password in it)."""
    account_id: int = Field(default=1, ge=1)
    """The account to watch: the number in the dashboard's URL, `/app/accounts/<id>/`."""
    api_token: SecretStr
    """A user's access token (Profile settings), given as `${ENV}`; reports need an admin."""
    interval: Duration = 30.0
    request_timeout: Duration = 10.0
    """Longest wait for one request (capped below the poll's own timeout)."""
    verify_tls: bool = True
    """Check the server's TLS certificate; turn off only for a self-signed test server."""
    window: Duration = Field(default=86400.0, ge=3600.0, le=31 * 86400.0)
    """Conversations created this far back are judged for the SLA and channel breakdown."""
    sla_target: Duration = 900.0
    """First-response target: a conversation waiting longer breaches."""
    business_hours: BusinessHours | None = None
    """When set, only these hours count toward a wait; unset, the clock always runs."""
    max_pages: int = Field(default=4, ge=1, le=100)
    """Pages of 25 conversations read per poll while filling the window."""
    reports_interval: Duration = 300.0
    """How often to read the reports summary and SLA metrics (reports allow 100 a minute)."""
    auth_retry: Duration = 600.0
    """After the token is refused (401), wait this long before trying again."""

    @field_validator("base_url")
    @classmethod
    def _plain_http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL, like https://chat.example.com")
        if parts.username is not None or parts.password is not None:
            raise ValueError("must not hold a user name or password; the token goes in api_token")
        if parts.query or parts.fragment:
            raise ValueError("must not have a query or fragment")
        return value.strip().rstrip("/")

    @field_validator("api_token")
    @classmethod
    def _token_printable(cls, value: SecretStr) -> SecretStr:
        if any(ord(char) < 0x21 or ord(char) > 0x7E for char in value.get_secret_value()):
            raise ValueError("must be printable ASCII without spaces (check the variable's value)")
        return value

    @model_validator(mode="after")
    def _token_given(self) -> ChatwootConfig:
        # An entry kept with `enabled: false` may leave its variable unset.
        if self.enabled and not self.api_token.get_secret_value():
            raise PydanticCustomError(
                "empty_token",
                "must not be empty; give it from the environment, like $CHATWOOT_API_TOKEN",
                {"at": "api_token"},
            )
        return self


# --------------------------------------------------------------------------- failures


class _Failure(Exception):
    """One request failed; the message is one line, safe to show.

    Args:
        message: the line.
        retry_after: seconds the server asked us to wait (a 429's Retry-After).
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class _AuthFailure(_Failure):
    """The token was refused: every authenticated endpoint will fail the same way."""


class _Forbidden(_Failure):
    """The token is fine but its role may not read this endpoint."""


class _RateLimited(_Failure):
    """HTTP 429 from rack-attack."""


class _Missing(_Failure):
    """HTTP 404: this server has no such endpoint (an older version, or no EE)."""


@dataclass(frozen=True, slots=True)
class _Endpoint:
    """A Chatwoot endpoint: its config-free path and the latency label it reports under."""

    key: str
    path: str
    latency: str | None
    """Label of `chatwoot.api.latency_ms`; None for the bare `/health` check."""
    auth: bool = True
    optional: bool = False
    """A refused token here costs this endpoint only (the role may lack it), not the poll."""


_API = _Endpoint("api", "/api", "health", auth=False)
_HEALTH = _Endpoint("health", "/health", None, auth=False)
_LIVE = _Endpoint(
    "live_metrics", "/api/v2/accounts/{a}/live_reports/conversation_metrics", "reports"
)
_META = _Endpoint(
    "conversations_meta", "/api/v1/accounts/{a}/conversations/meta", "conversations_meta"
)
_REPORT_CONVERSATIONS = _Endpoint(
    "reports_conversations", "/api/v2/accounts/{a}/reports/conversations", "reports"
)
_LIST = _Endpoint("conversations", "/api/v1/accounts/{a}/conversations", "conversations")
_AGENTS = _Endpoint("agents", "/api/v1/accounts/{a}/agents", "agents", optional=True)
_INBOXES = _Endpoint("inboxes", "/api/v1/accounts/{a}/inboxes", "inboxes", optional=True)
_ACCOUNT = _Endpoint("account", "/api/v1/accounts/{a}", "account", optional=True)
_SUMMARY = _Endpoint(
    "reports_summary", "/api/v2/accounts/{a}/reports/summary", "reports", optional=True
)
_SLA_POLICIES = _Endpoint("sla_policies", "/api/v1/accounts/{a}/sla_policies", "sla", optional=True)
_SLA_METRICS = _Endpoint(
    "sla_metrics", "/api/v1/accounts/{a}/applied_slas/metrics", "sla", optional=True
)


@dataclass(frozen=True, slots=True)
class _Reply:
    """One answer: status, content type, body, the server's time and its Retry-After."""

    status: int
    content_type: str
    body: bytes
    latency_ms: float
    """From the request going out on a connection to the response's head (the server's time)."""
    retry_after: float | None


@dataclass(slots=True)
class _Backoff:
    """Why and until when an endpoint is left alone."""

    until: float = 0.0
    strikes: int = 0
    reason: str = ""


@dataclass(slots=True)
class _Poll:
    """What one poll gathers: samples, request counts and notes."""

    ts: float
    samples: list[Sample] = field(default_factory=list)
    measured: list[Sample] = field(default_factory=list)
    """Health checks and request timings: written even when this poll fails."""
    requests: dict[str, list[int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def gauge(self, series: str, value: float, unit: str = "", **labels: str) -> None:
        self.samples.append(Sample(series, value, self.ts, labels, unit))

    def measure(self, series: str, value: float, unit: str = "", **labels: str) -> None:
        self.measured.append(Sample(series, value, self.ts, labels, unit))

    def count(self, label: str, *, error: bool) -> None:
        tally = self.requests.setdefault(label, [0, 0])
        tally[0] += 1
        tally[1] += int(error)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def measurements(self) -> list[Sample]:
        """The checks, timings and request counts: what a poll writes whether it failed or not."""
        samples = list(self.measured)
        for label, (total, errors) in sorted(self.requests.items()):
            labels = {"endpoint": label}
            samples.append(Sample("chatwoot.api.requests", total, self.ts, labels, "count"))
            samples.append(Sample("chatwoot.api.errors", errors, self.ts, labels, "count"))
        return samples


# --------------------------------------------------------------------------- collector


class ChatwootCollector:
    """Polls one Chatwoot account.

    Args:
        config: the source's config entry.
        transport: an httpx transport to use instead of the network (tests).
        clock: wall-clock time, for SLA waits and sample times.
    """

    config_model: ClassVar[type[SourceConfig]] = ChatwootConfig

    def __init__(
        self,
        config: SourceConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        assert isinstance(config, ChatwootConfig)
        self._config = config
        self._clock = clock
        self._hours = config.business_hours.working_hours() if config.business_hours else None
        seconds = min(config.request_timeout, config.poll_timeout * 0.9)
        self._timeout = seconds
        self._client = httpx.AsyncClient(
            base_url=config.base_url,
            timeout=httpx.Timeout(seconds, connect=min(seconds, 5.0)),
            limits=httpx.Limits(
                max_connections=4, max_keepalive_connections=4, keepalive_expiry=30.0
            ),
            transport=transport,
            verify=config.verify_tls,
            follow_redirects=False,  # a redirect must never carry the token elsewhere
            headers={
                "accept": "application/json",
                "accept-encoding": ACCEPT_ENCODING,
                "user-agent": USER_AGENT,
            },
        )
        self._backoff: dict[str, _Backoff] = {}
        self._notes: str | None = None
        # Conversations created in the window, by display id.
        self._conversations: dict[int, Conversation] = {}
        self._backfill_page: int | None = 1
        self._page_size = 0
        self._covered_since: float | None = None
        self._synced_at: float | None = None
        self._responses_written: set[int] = set()
        # Slower-changing things, refreshed now and then.
        self._inboxes: dict[int, Inbox] = {}
        self._inboxes_at = -math.inf
        self._features: frozenset[str] = frozenset()
        self._features_at = -math.inf
        self._reports_at = -math.inf
        self._meta_at = -math.inf
        self._live: bool = True
        self._live_retry_at = 0.0

    @property
    def notes(self) -> str | None:
        """What the last good poll skipped or could not read, one line; None if nothing."""
        return self._notes

    async def aclose(self) -> None:
        """Close the HTTP client and its connections."""
        await self._client.aclose()

    # ------------------------------------------------------------------ poll

    async def collect(self) -> list[Record]:
        """Poll the account once.

        Raises:
            SourceError: the token was refused, or `/api` or a conversation
                endpoint failed (5xx, timeout, refused, malformed JSON), or the
                poll ran out of time; it carries the poll's checks and timings.
        """
        poll = _Poll(self._clock())
        deadline = self._config.poll_timeout * _DEADLINE_SHARE
        try:
            async with asyncio.timeout(deadline):
                await self._gather(poll)
        except _AuthFailure as exc:
            retry = format_duration(self._config.auth_retry)
            raise SourceError(
                f"auth failed: {exc}; next try in {retry}",
                retry_after=self._config.auth_retry,
                records=poll.measurements(),
            ) from None
        except _Failure as exc:
            raise SourceError(
                str(exc), retry_after=exc.retry_after, records=poll.measurements()
            ) from None
        except TimeoutError:
            raise SourceError(
                f"poll not done within {format_duration(deadline)}", records=poll.measurements()
            ) from None
        self._derive(poll)
        records: list[Record] = [*poll.measurements(), *poll.samples]
        note = "; ".join(poll.notes)
        self._notes = (
            inert(note[: _NOTE_LENGTH - 1] + "…" if len(note) > _NOTE_LENGTH else note) or None
        )
        return records

    async def _gather(self, poll: _Poll) -> None:
        """Run the groups of requests concurrently; raise the most telling failure."""
        groups: list[Awaitable[None]] = [
            self._checks(poll),
            self._counts(poll),
            self._conversation_list(poll),
            self._optional(poll, self._agents(poll)),
            self._optional(poll, self._slow_changing(poll)),
            self._optional(poll, self._reports(poll)),
        ]
        outcomes = await asyncio.gather(*groups, return_exceptions=True)
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        for failure in failures:
            if isinstance(failure, _AuthFailure):
                raise failure
        for failure in failures:
            if not isinstance(failure, _Failure):
                raise failure
        if failures:
            first = str(failures[0])
            waits = [f.retry_after for f in failures if isinstance(f, _Failure) and f.retry_after]
            raise _Failure(
                first if len(failures) == 1 else f"{first} (and {len(failures) - 1} more)",
                retry_after=max(waits, default=None),
            )

    async def _optional(self, poll: _Poll, work: Awaitable[None]) -> None:
        """Run a group whose failure is a note, not a failed poll."""
        try:
            await work
        except _Failure as exc:
            poll.note(str(exc))

    # ------------------------------------------------------------------ requests

    def _url(self, endpoint: _Endpoint) -> str:
        return endpoint.path.format(a=self._config.account_id)

    def _blocked(self, endpoint: _Endpoint, poll: _Poll) -> bool:
        backoff = self._backoff.get(endpoint.key)
        if backoff is None or poll.ts >= backoff.until:
            return False
        wait = format_duration(max(1.0, backoff.until - poll.ts))
        poll.note(f"{endpoint.key}: {backoff.reason}; next try in {wait}")
        return True

    def _hold(self, endpoint: _Endpoint, poll: _Poll, exc: _Failure) -> None:
        """Leave an endpoint alone for a while after a 429, a 401/403 for its role or a 404."""
        backoff = self._backoff.setdefault(endpoint.key, _Backoff())
        if isinstance(exc, _RateLimited):
            first, longest = _RATE_LIMIT_WAIT
            wait = exc.retry_after or min(first * 2**backoff.strikes, longest)
            backoff.strikes += 1
            backoff.reason = "rate limited (HTTP 429)"
        elif isinstance(exc, _AuthFailure):
            wait, backoff.reason = self._config.auth_retry, f"token refused here: {exc}"
        elif isinstance(exc, _Forbidden):
            wait, backoff.reason = _FORBIDDEN_WAIT, f"not allowed for this token: {exc}"
        else:
            wait, backoff.reason = _MISSING_WAIT, "not on this server (HTTP 404)"
        backoff.until = poll.ts + wait
        poll.note(f"{endpoint.key}: {backoff.reason}; next try in {format_duration(wait)}")

    async def _get(
        self, endpoint: _Endpoint, poll: _Poll, params: Mapping[str, str | int] | None = None
    ) -> object | None:
        """GET an endpoint and decode its JSON.

        Returns None when the endpoint is being left alone (rate limited, not
        allowed, missing): it has said so in the poll's notes.

        Raises:
            _AuthFailure: the token was refused.
            _Failure: anything else that went wrong, as one line.
        """
        if self._blocked(endpoint, poll):
            return None
        try:
            reply = await self._send(endpoint, params)
        except _Failure:
            poll.count(endpoint.latency or endpoint.key, error=True)
            raise
        label = endpoint.latency or endpoint.key
        poll.count(label, error=not 200 <= reply.status < 300)
        if endpoint.latency is not None:
            poll.measure(
                "chatwoot.api.latency_ms", round(reply.latency_ms, 3), "ms", endpoint=label
            )
        try:
            self._check_status(endpoint, reply)
        except (_RateLimited, _Forbidden, _Missing, _AuthFailure) as exc:
            if isinstance(exc, _Missing) and endpoint is _LIVE:
                raise
            if isinstance(exc, _AuthFailure) and not endpoint.optional:
                raise
            self._hold(endpoint, poll, exc)
            return None
        if endpoint.key in self._backoff:
            self._backoff[endpoint.key].strikes = 0
        return _decode(endpoint, reply)

    async def _send(self, endpoint: _Endpoint, params: Mapping[str, str | int] | None) -> _Reply:
        """One request and its answer; transport faults as _Failure."""
        headers = (
            {"api_access_token": self._config.api_token.get_secret_value()}
            if endpoint.auth
            else None
        )
        phases = {"sent": time.perf_counter()}

        async def trace(event: str, info: Mapping[str, object]) -> None:
            # httpcore's phases (the latest wins: a retry goes out on another connection).
            # Waiting for a pooled connection and connecting are the client's own time.
            if event.endswith(".send_request_headers.started"):
                phases["sent"] = time.perf_counter()
            elif event.endswith(".receive_response_headers.complete"):
                phases["answered"] = time.perf_counter()

        try:
            async with self._client.stream(
                "GET",
                self._url(endpoint),
                params=params,
                headers=headers,
                extensions={"trace": trace},
            ) as response:
                answered = phases.get("answered", time.perf_counter())
                body = await read_body(response, limit=_MAX_BODY)
                reply = _Reply(
                    response.status_code,
                    response.headers.get("content-type", ""),
                    body,
                    (answered - phases["sent"]) * 1000,
                    retry_after(response.headers.get("retry-after"), self._clock()),
                )
        except BodyError as exc:
            raise _Failure(f"{endpoint.key}: response {exc}") from None
        except httpx.TimeoutException:
            raise _Failure(
                f"{endpoint.key}: no answer within {format_duration(self._timeout)}"
            ) from None
        except httpx.ConnectError as exc:
            raise _Failure(f"{endpoint.key}: cannot connect ({_reason(exc)})") from None
        except httpx.RemoteProtocolError as exc:
            raise _Failure(
                f"{endpoint.key}: connection broken mid-response ({_reason(exc)})"
            ) from None
        except httpx.HTTPError as exc:
            raise _Failure(f"{endpoint.key}: {type(exc).__name__} ({_reason(exc)})") from None
        return reply

    def _check_status(self, endpoint: _Endpoint, reply: _Reply) -> None:
        status = reply.status
        if 200 <= status < 300:
            return
        text = inert(error_text(_maybe_json(reply.body)))
        if status == 401:
            # "You are not authorized to do this action": a role too low for this
            # endpoint (the spec says 403). Anything else means the token is refused.
            if "this action" in text:
                raise _Forbidden(f"{text} (HTTP 401)")
            raise _AuthFailure(f"{text or 'token refused'} (HTTP 401)")
        if status == 403:
            raise _Forbidden(f"{text or 'forbidden'} (HTTP 403)")
        if status == 404:
            raise _Missing(f"{endpoint.key}: not found (HTTP 404)")
        if status == 429:
            raise _RateLimited(
                f"{endpoint.key}: rate limited (HTTP 429)", retry_after=reply.retry_after
            )
        if 300 <= status < 400:
            raise _Failure(f"{endpoint.key}: unexpected redirect (HTTP {status}); check base_url")
        detail = f": {text}" if text and status < 500 else ""
        raise _Failure(f"{endpoint.key}: HTTP {status}{detail}")

    # ------------------------------------------------------------------ groups

    async def _checks(self, poll: _Poll) -> None:
        """`GET /api` and `GET /health`: up, status code, latency; /api failing fails the poll."""
        api, health = await asyncio.gather(
            self._check(poll, _API), self._check(poll, _HEALTH), return_exceptions=True
        )
        if isinstance(health, BaseException):
            if not isinstance(health, _Failure):
                raise health
            poll.note(str(health))
        if isinstance(api, BaseException):
            raise api

    async def _check(self, poll: _Poll, endpoint: _Endpoint) -> None:
        """One health check: `chatwoot.up`, its status code and latency, whatever happens."""
        check, label = endpoint.key, endpoint.latency or endpoint.key
        up, status = 0.0, 0
        try:
            reply = await self._send(endpoint, None)
            status = reply.status
            latency_ms = round(reply.latency_ms, 3)
            poll.count(label, error=not 200 <= status < 300)
            poll.measure("chatwoot.check.latency_ms", latency_ms, "ms", check=check)
            if endpoint.latency is not None:
                poll.measure("chatwoot.api.latency_ms", latency_ms, "ms", endpoint=endpoint.latency)
            self._check_status(endpoint, reply)
            payload = _decode(endpoint, reply)
            if endpoint is _HEALTH:
                up = float(_parse(endpoint, parse_health, payload))
                return
            health = _parse(endpoint, parse_api_health, payload)
            up = float(health.ok)
            poll.measure("chatwoot.service.up", float(health.queue_ok), service="queue")
            poll.measure("chatwoot.service.up", float(health.data_ok), service="data")
            if health.version:
                poll.gauge("chatwoot.version", 1.0, version=health.version)
            failing = [
                name
                for name, ok in (("queue", health.queue_ok), ("data", health.data_ok))
                if not ok
            ]
            if failing:
                poll.note(f"/api says {' and '.join(failing)} services failing")
        except (_AuthFailure, _Forbidden) as exc:
            # These checks send no token: a 401 or 403 here is a proxy's, not Chatwoot's.
            raise _Failure(f"{check}: {exc}") from None
        except _Failure:
            if status == 0:
                poll.count(label, error=True)
            raise
        finally:
            poll.measure("chatwoot.up", up, check=check)
            poll.measure("chatwoot.check.status_code", float(status), check=check)

    async def _counts(self, poll: _Poll) -> None:
        """Conversations by status, unassigned and unattended.

        `live_reports/conversation_metrics` gives open, pending, unassigned and
        unattended in one request. Where it is missing (404) or not allowed, open
        and pending come from `conversations/meta`, unattended from
        `reports/conversations`. Snoozed and resolved always come from the meta.
        """
        counts = None
        if self._live or poll.ts >= self._live_retry_at:
            try:
                payload = await self._get(_LIVE, poll)
            except _Missing:
                self._live, self._live_retry_at = False, poll.ts + _MISSING_WAIT
                poll.note("live_reports not on this server: counting with conversations/meta")
            else:
                if payload is not None:
                    counts = _parse(
                        _LIVE, lambda p: parse_conversation_metrics(p, poll.notes), payload
                    )
                    self._live = True
                    self._emit_counts(
                        poll, counts.open, counts.pending, counts.unassigned, counts.unattended
                    )
        if poll.ts - self._meta_at < _META_SPACING:
            return
        self._meta_at = poll.ts
        statuses = ("snoozed", "resolved") if counts else ("open", "pending", "snoozed", "resolved")
        metas = {}
        for status in statuses:
            payload = await self._get(_META, poll, {"status": status})
            if payload is None:
                break
            notes: list[str] = []
            metas[status] = _parse(
                _META, functools.partial(parse_conversations_meta, notes=notes), payload
            )
            for note in notes:
                poll.note(f"{note} (status={status})")
        for status in ("snoozed", "resolved"):
            count = metas[status].all if status in metas else None
            if count is not None:
                poll.gauge("chatwoot.conversations", count, "count", status=status)
        if "open" in metas:
            unattended = None
            payload = await self._get(_REPORT_CONVERSATIONS, poll, {"type": "account"})
            if payload is not None:
                report = _parse(
                    _REPORT_CONVERSATIONS,
                    lambda p: parse_report_conversations(p, poll.notes),
                    payload,
                )
                unattended = report.unattended
            pending = metas["pending"].all if "pending" in metas else None
            self._emit_counts(
                poll, metas["open"].all, pending, metas["open"].unassigned, unattended
            )

    def _emit_counts(
        self,
        poll: _Poll,
        open_: int | None,
        pending: int | None,
        unassigned: int | None,
        unattended: int | None,
    ) -> None:
        """Write the counts the answers gave; a figure dropped as out of range writes nothing."""
        if open_ is not None:
            poll.gauge("chatwoot.conversations", open_, "count", status="open")
            poll.gauge("chatwoot.capacity.agents_recommended", recommended_agents(open_), "count")
        if pending is not None:
            poll.gauge("chatwoot.conversations", pending, "count", status="pending")
        if unassigned is not None:
            poll.gauge("chatwoot.conversations.unassigned", unassigned, "count")
        if unattended is not None:
            poll.gauge("chatwoot.conversations.unattended", unattended, "count")

    async def _conversation_list(self, poll: _Poll) -> None:
        """Refresh the window's conversations: what changed since the last poll, then old pages."""
        window_start = poll.ts - self._config.window
        if self._synced_at is not None and poll.ts - self._synced_at > self._config.window:
            self._restart_backfill()
        if self._synced_at is not None:
            # Everything updated since the last read, unpaged; a margin covers clock steps.
            gap = poll.ts - self._synced_at
            within = math.ceil(gap) + max(10, math.ceil(self._config.interval))
            payload = await self._get(_LIST, poll, {"status": "all", "updated_within": within})
            if payload is None:
                return
            page = _parse(_LIST, lambda p: parse_conversation_page(p, poll.ts), payload)
            self._merge(page.conversations, window_start)
            self._skipped(poll, page)
        self._synced_at = poll.ts
        for _ in range(self._config.max_pages):
            if self._backfill_page is None:
                break
            params: dict[str, str | int] = {
                "status": "all",
                "sort_by": "created_at_desc",
                "page": self._backfill_page,
            }
            payload = await self._get(_LIST, poll, params)
            if payload is None:
                return
            page = _parse(_LIST, lambda p: parse_conversation_page(p, poll.ts), payload)
            self._skipped(poll, page)
            self._merge(page.conversations, window_start)
            self._page_size = max(self._page_size, page.items)
            oldest = min((c.created_at for c in page.conversations), default=None)
            if oldest is not None:
                self._covered_since = min(self._covered_since or oldest, oldest)
            if (
                page.items == 0
                or page.items < self._page_size
                or (oldest is not None and oldest < window_start)
            ):
                self._backfill_page = None
                self._covered_since = window_start
            else:
                self._backfill_page += 1
        if self._backfill_page is not None:
            read = format_duration(max(1.0, poll.ts - (self._covered_since or poll.ts)))
            poll.note(
                f"conversations: {read} of the {format_duration(self._config.window)} window read "
                f"({len(self._conversations)} so far), more next poll"
            )
        for display_id in [
            d for d, c in self._conversations.items() if c.created_at < window_start
        ]:
            del self._conversations[display_id]
            self._responses_written.discard(display_id)

    def _restart_backfill(self) -> None:
        self._backfill_page, self._covered_since, self._synced_at = 1, None, None

    def _merge(self, conversations: list[Conversation], window_start: float) -> None:
        for conv in conversations:
            if conv.created_at < window_start:
                continue
            known = self._conversations.get(conv.display_id)
            if known is None or conv.updated_at >= known.updated_at:
                self._conversations[conv.display_id] = conv

    @staticmethod
    def _skipped(poll: _Poll, page: ConversationPage) -> None:
        if page.skipped:
            poll.note(f"conversations: {page.skipped} malformed items skipped ({page.reason})")

    async def _agents(self, poll: _Poll) -> None:
        payload = await self._get(_AGENTS, poll)
        if payload is None:
            return
        for status, count in _parse(_AGENTS, parse_agents, payload).items():
            poll.gauge("chatwoot.agents", count, "count", status=status)

    async def _slow_changing(self, poll: _Poll) -> None:
        """The inbox list (names and channel types), every 10 minutes or on an unknown inbox."""
        unknown = any(c.inbox_id not in self._inboxes for c in self._conversations.values())
        if poll.ts - self._inboxes_at >= _REFRESH_EVERY or (
            unknown and poll.ts - self._inboxes_at >= 60
        ):
            self._inboxes_at = poll.ts
            payload = await self._get(_INBOXES, poll)
            if payload is not None:
                self._inboxes = _parse(_INBOXES, parse_inboxes, payload)

    async def _reports(self, poll: _Poll) -> None:
        """The account summary and, with the `sla` feature, SLA policies and metrics."""
        if poll.ts - self._reports_at < self._config.reports_interval:
            return
        self._reports_at = poll.ts
        until = int(poll.ts)
        since = until - int(self._config.window)
        window = {"since": since, "until": until}
        payload = await self._get(_SUMMARY, poll, {"type": "account", **window})
        if payload is not None:
            poll.samples.extend(
                _parse(_SUMMARY, lambda p: parse_summary(p, poll.ts, poll.notes), payload)
            )
        if poll.ts - self._features_at >= _REFRESH_EVERY:
            self._features_at = poll.ts
            payload = await self._get(_ACCOUNT, poll)
            if payload is not None:
                self._features = _parse(_ACCOUNT, parse_account_features, payload)
        if "sla" not in self._features:
            return
        payload = await self._get(_SLA_POLICIES, poll)
        if payload is not None:
            policies = _parse(_SLA_POLICIES, lambda p: parse_sla_policies(p, poll.notes), payload)
            poll.gauge("chatwoot.sla.policies", len(policies), "count")
            for policy in policies:
                if policy.first_response_s is not None:
                    poll.gauge(
                        "chatwoot.sla.policy_first_response_s",
                        policy.first_response_s,
                        "s",
                        policy=policy.name,
                    )
        payload = await self._get(_SLA_METRICS, poll, window)
        if payload is not None:
            poll.samples.extend(
                _parse(_SLA_METRICS, lambda p: parse_sla_metrics(p, poll.ts, poll.notes), payload)
            )

    # ------------------------------------------------------------------ derived

    def _derive(self, poll: _Poll) -> None:
        """SLA, channel breakdown and new conversations per hour from the window's conversations."""
        config, now = self._config, poll.ts
        conversations = list(self._conversations.values())
        report = sla_report(
            conversations,
            now=now,
            window=config.window,
            target=config.sla_target,
            hours=self._hours,
            inbox_names={i: inbox.name for i, inbox in self._inboxes.items()},
        )
        poll.samples.extend(sla_samples(report, now))
        poll.samples.extend(
            channel_samples(
                conversations,
                report,
                now=now,
                window=config.window,
                inbox_channels={i: inbox.channel for i, inbox in self._inboxes.items()},
            )
        )
        if self._covered_since is not None and self._covered_since <= now - 3600:
            poll.gauge(
                "chatwoot.conversations.new_per_hour", new_per_hour(conversations, now), "count"
            )
        for display_id, waited in report.first_responses.items():
            if display_id in self._responses_written:
                continue
            self._responses_written.add(display_id)
            replied_at = self._conversations[display_id].first_reply_at or now
            if replied_at >= now - _LATE_LIMIT:
                poll.samples.append(
                    Sample(
                        "chatwoot.first_response_s", round(waited, 3), min(replied_at, now), {}, "s"
                    )
                )


# --------------------------------------------------------------------------- helpers


def _reason(exc: BaseException) -> str:
    """The first line of an exception's text, or its type: no URL, no headers."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    return inert(text[:120])


def _maybe_json(body: bytes) -> object:
    try:
        return loads_json(body)
    except ValueError:
        return None


def _decode(endpoint: _Endpoint, reply: _Reply) -> object:
    try:
        return loads_json(reply.body)
    except JsonTooDeep as exc:
        raise _Failure(f"{endpoint.key}: JSON {exc} (HTTP {reply.status}); not read") from None
    except ValueError:
        kind = reply.content_type.split(";")[0].strip() or "no content type"
        raise _Failure(
            f"{endpoint.key}: malformed JSON (HTTP {reply.status}, {kind}, {len(reply.body)} bytes)"
        ) from None


_T = TypeVar("_T")


def _parse(endpoint: _Endpoint, parse: Callable[[object], _T], payload: object) -> _T:
    try:
        return parse(payload)
    except ParseError as exc:
        raise _Failure(f"{endpoint.key}: unexpected response ({exc})") from None


# --------------------------------------------------------------------------- reading back

UPTIME_WINDOWS: Final = {"24h": 86400.0, "7d": 7 * 86400.0, "30d": 30 * 86400.0}
"""The uptime windows of seed 004."""


@dataclass(frozen=True, slots=True)
class Uptime:
    """The share of checks that were up over a window, and how much of it was recorded."""

    percent: float
    recorded_s: float
    """Seconds from the first recorded check in the window to its end (at most `window_s`)."""
    window_s: float

    @property
    def partial(self) -> bool:
        """Whether the checks cover less than the window (ten minutes of a 30-day one)."""
        return self.recorded_s < self.window_s - 60.0


async def uptime_pct(store: Store, source: str, now: float, window: float) -> Uptime | None:
    """Share of `/api` checks in `[now - window, now)` that were up, from the stored checks.

    The mean of `chatwoot.up{check=api}` over the window (every poll writes
    one, failed or not): a merge of minute rollups, so 30 days cost the same
    as one. It says how much of the window the checks cover. None without any
    check.
    """
    series = await store.series("chatwoot.up", labels={"check": "api"}, source=source)
    start = now - window
    stats = await store.window_stats(series, start, now)
    first = await store.earliest(series, start, now)
    if stats.mean is None or first is None:
        return None
    return Uptime(100.0 * stats.mean, now - first, window)


async def current_breaches(store: Store, source: str) -> list[Breach]:
    """The breach list of the latest poll, longest wait first, as the SLA screen shows it.

    Names are returned as stored (untrusted): draw them through `inert` and
    never as markup.
    """
    compliance = await store.series("chatwoot.sla.compliance_pct", source=source)
    if not compliance or compliance[0].last_ts is None:
        return []
    latest = compliance[0].last_ts
    rows = [
        Breach(
            display_id=int(s.labels.get("conversation", "0") or 0),
            inbox=s.labels.get("inbox", ""),
            customer=s.labels.get("customer", ""),
            waited_s=s.last_value or 0.0,
            replied=s.labels.get("replied") == "yes",
        )
        for s in await store.series("chatwoot.sla.breach_wait_s", source=source)
        if s.last_ts == latest
    ]
    rows.sort(key=lambda b: (-b.waited_s, b.display_id))
    return rows


COLLECTOR = ChatwootCollector
"""The registry entry of this source."""

"""The HTTP side of the Chatwoot source: requests, their failures and per-endpoint waits.

One `ChatwootClient` per source holds one `collectors.http` client (the token only
in the `api_access_token` header, never followed through a redirect), reads every
body through `collectors.http`'s caps and times each request from the moment
it goes out on a connection to the response's head (the server's latency).
`get` records counts and timings in the `Poll`, and leaves an endpoint alone
for a while after a 429 (its Retry-After, else a minute up to ten), a 401 or
403 for the token's role, or a 404. Failures are `Failure`s, one line each,
safe to show.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, TypeVar

import httpx

from collectors.base import Sample, format_duration
from collectors.chatwoot.config import ChatwootConfig
from collectors.chatwoot.parse import ParseError, error_text
from collectors.http import (
    BodyError,
    JsonTooDeep,
    async_client,
    loads_json,
    read_body,
    retry_after,
)
from collectors.inert import inert

_MAX_BODY: Final = 2 * 1024 * 1024
"""A response larger than this (on the wire or decoded) is refused rather than read into
memory. Up to four are read at once, so a hostile server costs a poll about 15 MiB; the
largest Chatwoot answers (the agent and inbox lists) are a few hundred KiB."""
_RATE_LIMIT_WAIT: Final = (60.0, 600.0)
"""First and longest wait after a 429: its windows are fixed minutes."""
_FORBIDDEN_WAIT: Final = 1800.0
"""How long an endpoint the token's role may not read is left alone."""
MISSING_WAIT: Final = 3600.0
"""How long an endpoint this server does not have (404) is left alone."""


class Failure(Exception):
    """One request failed; the message is one line, safe to show.

    Args:
        message: the line.
        retry_after: seconds the server asked us to wait (a 429's Retry-After).
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthFailure(Failure):
    """The token was refused: every authenticated endpoint will fail the same way."""


class Forbidden(Failure):
    """The token is fine but its role may not read this endpoint."""


class RateLimited(Failure):
    """HTTP 429 from rack-attack."""


class Missing(Failure):
    """HTTP 404: this server has no such endpoint (an older version, or no EE)."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A Chatwoot endpoint: its config-free path and the latency label it reports under."""

    key: str
    path: str
    latency: str | None
    """Label of `chatwoot.api.latency_ms`; None for the bare `/health` check."""
    auth: bool = True
    optional: bool = False
    """A refused token here costs this endpoint only (the role may lack it), not the poll."""


API = Endpoint("api", "/api", "health", auth=False)
HEALTH = Endpoint("health", "/health", None, auth=False)
LIVE = Endpoint("live_metrics", "/api/v2/accounts/{a}/live_reports/conversation_metrics", "reports")
META = Endpoint(
    "conversations_meta", "/api/v1/accounts/{a}/conversations/meta", "conversations_meta"
)
REPORT_CONVERSATIONS = Endpoint(
    "reports_conversations", "/api/v2/accounts/{a}/reports/conversations", "reports"
)
LIST = Endpoint("conversations", "/api/v1/accounts/{a}/conversations", "conversations")
AGENTS = Endpoint("agents", "/api/v1/accounts/{a}/agents", "agents", optional=True)
INBOXES = Endpoint("inboxes", "/api/v1/accounts/{a}/inboxes", "inboxes", optional=True)
ACCOUNT = Endpoint("account", "/api/v1/accounts/{a}", "account", optional=True)
SUMMARY = Endpoint(
    "reports_summary", "/api/v2/accounts/{a}/reports/summary", "reports", optional=True
)
SLA_POLICIES = Endpoint("sla_policies", "/api/v1/accounts/{a}/sla_policies", "sla", optional=True)
SLA_METRICS = Endpoint(
    "sla_metrics", "/api/v1/accounts/{a}/applied_slas/metrics", "sla", optional=True
)


@dataclass(frozen=True, slots=True)
class Reply:
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
class Poll:
    """What one poll gathers: samples, request counts and notes."""

    ts: float
    samples: list[Sample] = field(default_factory=list)
    measured: list[Sample] = field(default_factory=list)
    """Health checks and request timings: written even when this poll fails."""
    requests: dict[str, list[int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def gauge(self, series: str, value: float, unit: str = "", **labels: str) -> None:
        """Add a sample that is written only when the poll succeeds."""
        self.samples.append(Sample(series, value, self.ts, labels, unit))

    def measure(self, series: str, value: float, unit: str = "", **labels: str) -> None:
        """Add a check or timing: written whether the poll succeeds or not."""
        self.measured.append(Sample(series, value, self.ts, labels, unit))

    def count(self, label: str, *, error: bool) -> None:
        """Count one request of an endpoint, and whether it failed."""
        tally = self.requests.setdefault(label, [0, 0])
        tally[0] += 1
        tally[1] += int(error)

    def note(self, text: str) -> None:
        """Add a note for the source's status line (once per text)."""
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


class ChatwootClient:
    """Requests to one Chatwoot account: the token, timeouts, body caps and per-endpoint waits.

    Args:
        config: the source's config entry.
        transport: an httpx transport to use instead of the network (tests).
        clock: wall-clock time, for Retry-After dates and waits.
    """

    def __init__(
        self,
        config: ChatwootConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._clock = clock
        seconds = min(config.request_timeout, config.poll_timeout * 0.9)
        self._timeout = seconds
        self._client = async_client(
            timeout=seconds,
            connections=4,
            keepalive_expiry=30.0,
            base_url=config.base_url,
            transport=transport,
            verify=config.verify_tls,
        )
        self._backoff: dict[str, _Backoff] = {}

    async def aclose(self) -> None:
        """Close the HTTP client and its connections."""
        await self._client.aclose()

    def _url(self, endpoint: Endpoint) -> str:
        return endpoint.path.format(a=self._config.account_id)

    def _blocked(self, endpoint: Endpoint, poll: Poll) -> bool:
        backoff = self._backoff.get(endpoint.key)
        if backoff is None or poll.ts >= backoff.until:
            return False
        wait = format_duration(max(1.0, backoff.until - poll.ts))
        poll.note(f"{endpoint.key}: {backoff.reason}; next try in {wait}")
        return True

    def _hold(self, endpoint: Endpoint, poll: Poll, exc: Failure) -> None:
        """Leave an endpoint alone for a while after a 429, a 401/403 for its role or a 404."""
        backoff = self._backoff.setdefault(endpoint.key, _Backoff())
        if isinstance(exc, RateLimited):
            first, longest = _RATE_LIMIT_WAIT
            wait = exc.retry_after or min(first * 2**backoff.strikes, longest)
            backoff.strikes += 1
            backoff.reason = "rate limited (HTTP 429)"
        elif isinstance(exc, AuthFailure):
            wait, backoff.reason = self._config.auth_retry, f"token refused here: {exc}"
        elif isinstance(exc, Forbidden):
            wait, backoff.reason = _FORBIDDEN_WAIT, f"not allowed for this token: {exc}"
        else:
            wait, backoff.reason = MISSING_WAIT, "not on this server (HTTP 404)"
        backoff.until = poll.ts + wait
        poll.note(f"{endpoint.key}: {backoff.reason}; next try in {format_duration(wait)}")

    async def get(
        self, endpoint: Endpoint, poll: Poll, params: Mapping[str, str | int] | None = None
    ) -> object | None:
        """GET an endpoint and decode its JSON.

        Returns None when the endpoint is being left alone (rate limited, not
        allowed, missing): it has said so in the poll's notes.

        Raises:
            AuthFailure: the token was refused.
            Failure: anything else that went wrong, as one line.
        """
        if self._blocked(endpoint, poll):
            return None
        try:
            reply = await self.send(endpoint, params)
        except Failure:
            poll.count(endpoint.latency or endpoint.key, error=True)
            raise
        label = endpoint.latency or endpoint.key
        poll.count(label, error=not 200 <= reply.status < 300)
        if endpoint.latency is not None:
            poll.measure(
                "chatwoot.api.latency_ms", round(reply.latency_ms, 3), "ms", endpoint=label
            )
        try:
            self.check_status(endpoint, reply)
        except (RateLimited, Forbidden, Missing, AuthFailure) as exc:
            if isinstance(exc, Missing) and endpoint is LIVE:
                raise
            if isinstance(exc, AuthFailure) and not endpoint.optional:
                raise
            self._hold(endpoint, poll, exc)
            return None
        if endpoint.key in self._backoff:
            self._backoff[endpoint.key].strikes = 0
        return decode(endpoint, reply)

    async def send(self, endpoint: Endpoint, params: Mapping[str, str | int] | None) -> Reply:
        """One request and its answer; transport faults as Failure."""
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
                reply = Reply(
                    response.status_code,
                    response.headers.get("content-type", ""),
                    body,
                    (answered - phases["sent"]) * 1000,
                    retry_after(response.headers.get("retry-after"), self._clock()),
                )
        except BodyError as exc:
            raise Failure(f"{endpoint.key}: response {exc}") from None
        except httpx.TimeoutException:
            raise Failure(
                f"{endpoint.key}: no answer within {format_duration(self._timeout)}"
            ) from None
        except httpx.ConnectError as exc:
            raise Failure(f"{endpoint.key}: cannot connect ({_reason(exc)})") from None
        except httpx.RemoteProtocolError as exc:
            raise Failure(
                f"{endpoint.key}: connection broken mid-response ({_reason(exc)})"
            ) from None
        except httpx.HTTPError as exc:
            raise Failure(f"{endpoint.key}: {type(exc).__name__} ({_reason(exc)})") from None
        return reply

    def check_status(self, endpoint: Endpoint, reply: Reply) -> None:
        """Raise the `Failure` an answer's status means; return for a 2xx."""
        status = reply.status
        if 200 <= status < 300:
            return
        text = inert(error_text(_maybe_json(reply.body)))
        if status == 401:
            # "You are not authorized to do this action": a role too low for this
            # endpoint (the spec says 403). Anything else means the token is refused.
            if "this action" in text:
                raise Forbidden(f"{text} (HTTP 401)")
            raise AuthFailure(f"{text or 'token refused'} (HTTP 401)")
        if status == 403:
            raise Forbidden(f"{text or 'forbidden'} (HTTP 403)")
        if status == 404:
            raise Missing(f"{endpoint.key}: not found (HTTP 404)")
        if status == 429:
            raise RateLimited(
                f"{endpoint.key}: rate limited (HTTP 429)", retry_after=reply.retry_after
            )
        if 300 <= status < 400:
            raise Failure(f"{endpoint.key}: unexpected redirect (HTTP {status}); check base_url")
        detail = f": {text}" if text and status < 500 else ""
        raise Failure(f"{endpoint.key}: HTTP {status}{detail}")

    # ------------------------------------------------------------------ groups


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


def decode(endpoint: Endpoint, reply: Reply) -> object:
    """An answer's JSON; a malformed or too deep body as a `Failure`."""
    try:
        return loads_json(reply.body)
    except JsonTooDeep as exc:
        raise Failure(f"{endpoint.key}: JSON {exc} (HTTP {reply.status}); not read") from None
    except ValueError:
        kind = reply.content_type.split(";")[0].strip() or "no content type"
        raise Failure(
            f"{endpoint.key}: malformed JSON (HTTP {reply.status}, {kind}, {len(reply.body)} bytes)"
        ) from None


_T = TypeVar("_T")


def parse_reply(endpoint: Endpoint, parse: Callable[[object], _T], payload: object) -> _T:
    """`parse(payload)`, with a shape it does not know as a `Failure` naming the endpoint."""
    try:
        return parse(payload)
    except ParseError as exc:
        raise Failure(f"{endpoint.key}: unexpected response ({exc})") from None

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

One unit over 500 lines: the poll's request groups share the conversation
cache and the endpoints' waits; the HTTP side is in `client`, the maths in `sla`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import ClassVar, Final

import httpx

from collectors.base import Record, Sample, SourceConfig, SourceError, format_duration
from collectors.chatwoot import client as api
from collectors.chatwoot.client import (
    AuthFailure,
    ChatwootClient,
    Endpoint,
    Failure,
    Forbidden,
    Missing,
    Poll,
    parse_reply,
)
from collectors.chatwoot.config import ChatwootConfig
from collectors.chatwoot.parse import (
    Conversation,
    ConversationPage,
    Inbox,
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
)
from collectors.chatwoot.sla import (
    channel_samples,
    new_per_hour,
    recommended_agents,
    sla_report,
    sla_samples,
)
from collectors.inert import inert

__all__ = ["COLLECTOR", "ChatwootCollector"]

log = logging.getLogger(__name__)

_REFRESH_EVERY: Final = 600.0
"""Seconds between reads of the inbox list and the account's features."""
_META_SPACING: Final = 10.0
"""Least seconds between two rounds of `conversations/meta` (30 a minute per user)."""
_DEADLINE_SHARE: Final = 0.95
"""A poll gives up at this share of the scheduler's deadline, so its checks still get written."""
_LATE_LIMIT: Final = 3600.0
"""A first response seen later than this after it happened is counted, not written."""
_NOTE_LENGTH: Final = 300


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
        self._client = ChatwootClient(config, transport=transport, clock=clock)
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
        poll = Poll(self._clock())
        deadline = self._config.poll_timeout * _DEADLINE_SHARE
        try:
            async with asyncio.timeout(deadline):
                await self._gather(poll)
        except AuthFailure as exc:
            retry = format_duration(self._config.auth_retry)
            raise SourceError(
                f"auth failed: {exc}; next try in {retry}",
                retry_after=self._config.auth_retry,
                records=poll.measurements(),
            ) from None
        except Failure as exc:
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

    async def _gather(self, poll: Poll) -> None:
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
            if isinstance(failure, AuthFailure):
                raise failure
        for failure in failures:
            if not isinstance(failure, Failure):
                raise failure
        if failures:
            first = str(failures[0])
            waits = [f.retry_after for f in failures if isinstance(f, Failure) and f.retry_after]
            raise Failure(
                first if len(failures) == 1 else f"{first} (and {len(failures) - 1} more)",
                retry_after=max(waits, default=None),
            )

    async def _optional(self, poll: Poll, work: Awaitable[None]) -> None:
        """Run a group whose failure is a note, not a failed poll."""
        try:
            await work
        except Failure as exc:
            poll.note(str(exc))

    # ------------------------------------------------------------------ groups

    async def _checks(self, poll: Poll) -> None:
        """`GET /api` and `GET /health`: up, status code, latency; /api failing fails the poll."""
        checked, health = await asyncio.gather(
            self._check(poll, api.API), self._check(poll, api.HEALTH), return_exceptions=True
        )
        if isinstance(health, BaseException):
            if not isinstance(health, Failure):
                raise health
            poll.note(str(health))
        if isinstance(checked, BaseException):
            raise checked

    async def _check(self, poll: Poll, endpoint: Endpoint) -> None:
        """One health check: `chatwoot.up`, its status code and latency, whatever happens."""
        check, label = endpoint.key, endpoint.latency or endpoint.key
        up, status = 0.0, 0
        try:
            reply = await self._client.send(endpoint, None)
            status = reply.status
            latency_ms = round(reply.latency_ms, 3)
            poll.count(label, error=not 200 <= status < 300)
            poll.measure("chatwoot.check.latency_ms", latency_ms, "ms", check=check)
            if endpoint.latency is not None:
                poll.measure("chatwoot.api.latency_ms", latency_ms, "ms", endpoint=endpoint.latency)
            self._client.check_status(endpoint, reply)
            payload = api.decode(endpoint, reply)
            if endpoint is api.HEALTH:
                up = float(parse_reply(endpoint, parse_health, payload))
                return
            health = parse_reply(endpoint, parse_api_health, payload)
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
        except (AuthFailure, Forbidden) as exc:
            # These checks send no token: a 401 or 403 here is a proxy's, not Chatwoot's.
            raise Failure(f"{check}: {exc}") from None
        except Failure:
            if status == 0:
                poll.count(label, error=True)
            raise
        finally:
            poll.measure("chatwoot.up", up, check=check)
            poll.measure("chatwoot.check.status_code", float(status), check=check)

    async def _counts(self, poll: Poll) -> None:
        """Conversations by status, unassigned and unattended.

        `live_reports/conversation_metrics` gives open, pending, unassigned and
        unattended in one request. Where it is missing (404) or not allowed, open
        and pending come from `conversations/meta`, unattended from
        `reports/conversations`. Snoozed and resolved always come from the meta.
        """
        counts = None
        if self._live or poll.ts >= self._live_retry_at:
            try:
                payload = await self._client.get(api.LIVE, poll)
            except Missing:
                self._live, self._live_retry_at = False, poll.ts + api.MISSING_WAIT
                poll.note("live_reports not on this server: counting with conversations/meta")
            else:
                if payload is not None:
                    counts = parse_reply(
                        api.LIVE, lambda p: parse_conversation_metrics(p, poll.notes), payload
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
            payload = await self._client.get(api.META, poll, {"status": status})
            if payload is None:
                break
            notes: list[str] = []
            metas[status] = parse_reply(
                api.META, functools.partial(parse_conversations_meta, notes=notes), payload
            )
            for note in notes:
                poll.note(f"{note} (status={status})")
        for status in ("snoozed", "resolved"):
            count = metas[status].all if status in metas else None
            if count is not None:
                poll.gauge("chatwoot.conversations", count, "count", status=status)
        if "open" in metas:
            unattended = None
            payload = await self._client.get(api.REPORT_CONVERSATIONS, poll, {"type": "account"})
            if payload is not None:
                report = parse_reply(
                    api.REPORT_CONVERSATIONS,
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
        poll: Poll,
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

    async def _conversation_list(self, poll: Poll) -> None:
        """Refresh the window's conversations: what changed since the last poll, then old pages."""
        window_start = poll.ts - self._config.window
        if self._synced_at is not None and poll.ts - self._synced_at > self._config.window:
            self._restart_backfill()
        if self._synced_at is not None:
            # Everything updated since the last read, unpaged; a margin covers clock steps.
            gap = poll.ts - self._synced_at
            within = math.ceil(gap) + max(10, math.ceil(self._config.interval))
            payload = await self._client.get(
                api.LIST, poll, {"status": "all", "updated_within": within}
            )
            if payload is None:
                return
            page = parse_reply(api.LIST, lambda p: parse_conversation_page(p, poll.ts), payload)
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
            payload = await self._client.get(api.LIST, poll, params)
            if payload is None:
                return
            page = parse_reply(api.LIST, lambda p: parse_conversation_page(p, poll.ts), payload)
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
    def _skipped(poll: Poll, page: ConversationPage) -> None:
        if page.skipped:
            poll.note(f"conversations: {page.skipped} malformed items skipped ({page.reason})")

    async def _agents(self, poll: Poll) -> None:
        payload = await self._client.get(api.AGENTS, poll)
        if payload is None:
            return
        for status, count in parse_reply(api.AGENTS, parse_agents, payload).items():
            poll.gauge("chatwoot.agents", count, "count", status=status)

    async def _slow_changing(self, poll: Poll) -> None:
        """The inbox list (names and channel types), every 10 minutes or on an unknown inbox."""
        unknown = any(c.inbox_id not in self._inboxes for c in self._conversations.values())
        if poll.ts - self._inboxes_at >= _REFRESH_EVERY or (
            unknown and poll.ts - self._inboxes_at >= 60
        ):
            self._inboxes_at = poll.ts
            payload = await self._client.get(api.INBOXES, poll)
            if payload is not None:
                self._inboxes = parse_reply(api.INBOXES, parse_inboxes, payload)

    async def _reports(self, poll: Poll) -> None:
        """The account summary and, with the `sla` feature, SLA policies and metrics."""
        if poll.ts - self._reports_at < self._config.reports_interval:
            return
        self._reports_at = poll.ts
        until = int(poll.ts)
        since = until - int(self._config.window)
        window = {"since": since, "until": until}
        payload = await self._client.get(api.SUMMARY, poll, {"type": "account", **window})
        if payload is not None:
            poll.samples.extend(
                parse_reply(api.SUMMARY, lambda p: parse_summary(p, poll.ts, poll.notes), payload)
            )
        if poll.ts - self._features_at >= _REFRESH_EVERY:
            self._features_at = poll.ts
            payload = await self._client.get(api.ACCOUNT, poll)
            if payload is not None:
                self._features = parse_reply(api.ACCOUNT, parse_account_features, payload)
        if "sla" not in self._features:
            return
        payload = await self._client.get(api.SLA_POLICIES, poll)
        if payload is not None:
            policies = parse_reply(
                api.SLA_POLICIES, lambda p: parse_sla_policies(p, poll.notes), payload
            )
            poll.gauge("chatwoot.sla.policies", len(policies), "count")
            for policy in policies:
                if policy.first_response_s is not None:
                    poll.gauge(
                        "chatwoot.sla.policy_first_response_s",
                        policy.first_response_s,
                        "s",
                        policy=policy.name,
                    )
        payload = await self._client.get(api.SLA_METRICS, poll, window)
        if payload is not None:
            poll.samples.extend(
                parse_reply(
                    api.SLA_METRICS, lambda p: parse_sla_metrics(p, poll.ts, poll.notes), payload
                )
            )

    # ------------------------------------------------------------------ derived

    def _derive(self, poll: Poll) -> None:
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


COLLECTOR = ChatwootCollector
"""The registry entry of this source."""

"""A Chatwoot-shaped HTTP server on 127.0.0.1, with the real server's quirks and faults.

It speaks the endpoints the `chatwoot` source reads, the way Chatwoot v4.15.1
answers them (not the way its Swagger spec says):

* `GET /api`, `GET /health` without auth; `/api` is HTTP 200 even when its
  `queue_services` or `data_services` say "failing";
* conversation items with `0` (not null) in `first_reply_created_at` and
  `waiting_since`, a float `updated_at`, an ISO `snoozed_until`; 25 a page
  and no page count; `updated_within=<s>` answers unpaged;
* `conversations/meta` without a `data` wrapper; `reports/conversations` with
  `pending` always 0; live reports, reports summary with `previous`, agents
  (a plain array), inboxes, the account's `features`, SLA policies and
  `applied_slas/metrics` (`hit_rate` as text) for accounts with `sla`;
* 401 bodies as the server words them (a bad token, no token, another
  account, a role too low), 404 `{"error": "Resource could not be found"}`,
  rack-attack's 429 (`text/plain` "Retry later", no Retry-After unless
  `ChatwootState.retry_after` is set) with fixed one-minute windows: 30 a
  minute for the meta, 100 for `reports*`.

Faults are set per route with `ChatwootState.fail`: a 500 page, a 502 from a
proxy, a redirect elsewhere, a 429, a hang, a body cut short, malformed JSON,
a reset connection or a 401. Latency per route is `ChatwootState.latency`.

Driving it from an asyncio program (the demo does the same):

```python
state = ChatwootState(seed=7, simulate=True)
async with FakeChatwootServer(state) as server:   # 127.0.0.1, an ephemeral port
    config = {"type": "chatwoot", "name": "chatwoot", "base_url": server.url,
              "account_id": state.account_id, "api_token": state.token}
    ...
    state.apply_levels(spike, backlog, errors)     # e.g. from collectors.demo.incident_levels
```

Nothing here imports Textual; it ships with the package so `wootwatch --demo`
can run the real collector against it.

One unit over 500 lines: the state is one simulated Chatwoot account and every
endpoint answers from it; split, each part would reach into the others.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from collectors.fakes.loopback import LoopbackServer
from collectors.fakes.tiny_http import read_request

__all__ = [
    "ChatwootState",
    "FakeAgent",
    "FakeChatwootServer",
    "FakeConversation",
    "FakeInbox",
    "Fault",
    "RecordedRequest",
]

Fault = Literal[
    "error_500",
    "bad_gateway",
    "redirect",
    "rate_limit",
    "hang",
    "truncate",
    "malformed",
    "reset",
    "unauthorized",
]
"""What a route can be made to do instead of answering."""

_PAGE_SIZE: Final = 25
_NOT_FOUND: Final = {"error": "Resource could not be found"}
_NO_TOKEN: Final = {"errors": ["You need to sign in or sign up before continuing."]}
_BAD_TOKEN: Final = {"error": "Invalid Access Token"}
_OTHER_ACCOUNT: Final = {"error": "You are not authorized to access this account"}
_ROLE_TOO_LOW: Final = {"error": "You are not authorized to do this action"}
_ADMIN_ONLY: Final = frozenset(
    {"live_reports", "reports_conversations", "reports_summary", "sla_metrics"}
)
_REASONS: Final = {
    200: "OK",
    301: "Moved Permanently",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
_CHANNELS: Final = (
    ("Website chat", "Channel::WebWidget"),
    ("Support email", "Channel::Email"),
    ("SMS", "Channel::TwilioSms"),
    ("WhatsApp", "Channel::Whatsapp"),
)
_FIRST_NAMES: Final = ("Ana", "Ben", "Chloé", "Dmitri", "Emeka", "Fatima", "Grace", "Hiro", "Ines")
_LAST_NAMES: Final = ("Silva", "Okafor", "Müller", "Tanaka", "Novak", "Haddad", "Jones", "Kim")


@dataclass(slots=True)
class FakeInbox:
    """An inbox: its id, name (may be hostile in tests) and `Channel::` type."""

    id: int
    name: str
    channel_type: str


@dataclass(slots=True)
class FakeAgent:
    """A user of the account."""

    id: int
    name: str
    availability_status: str = "online"
    role: str = "agent"


@dataclass(slots=True)
class FakeConversation:
    """A conversation as the server stores it; `to_json` writes it as the API does."""

    display_id: int
    inbox_id: int
    customer: str
    created_at: int
    status: str = "open"
    first_reply_created_at: int = 0
    """0 until an agent replies: the server's way of writing null."""
    waiting_since: int = 0
    updated_at: float = 0.0
    last_activity_at: int = 0
    assignee_id: int | None = None
    snoozed_until: str | None = None
    resolved_at: int | None = None
    priority: str | None = None

    def to_json(
        self, account_id: int, inbox: FakeInbox | None, agent: FakeAgent | None
    ) -> dict[str, object]:
        """The list item, with the real server's field types."""
        meta: dict[str, object] = {
            "sender": {
                "id": 1000 + self.display_id,
                "name": self.customer,
                "email": f"customer{self.display_id}@example.com",
                "phone_number": None,
                "identifier": None,
                "thumbnail": "",
                "additional_attributes": {},
                "custom_attributes": {},
                "type": "contact",
            },
            "channel": inbox.channel_type if inbox else "Channel::Api",
            "hmac_verified": False,
        }
        if agent is not None:
            meta["assignee"] = {
                "id": agent.id,
                "name": agent.name,
                "available_name": agent.name,
                "email": f"agent{agent.id}@example.com",
                "role": agent.role,
                "availability_status": agent.availability_status,
                "auto_offline": True,
                "thumbnail": "",
            }
            meta["assignee_type"] = "User"
        return {
            "id": self.display_id,
            "account_id": account_id,
            "uuid": f"00000000-0000-4000-8000-{self.display_id:012d}",
            "inbox_id": self.inbox_id,
            "status": self.status,
            "priority": self.priority,
            "labels": [],
            "muted": False,
            "can_reply": True,
            "unread_count": 0 if self.first_reply_created_at else 1,
            "custom_attributes": {},
            "additional_attributes": {},
            "created_at": self.created_at,
            "last_activity_at": self.last_activity_at or self.created_at,
            "timestamp": self.last_activity_at or self.created_at,
            "first_reply_created_at": self.first_reply_created_at,
            "waiting_since": self.waiting_since,
            "agent_last_seen_at": self.first_reply_created_at,
            "assignee_last_seen_at": 0,
            "contact_last_seen_at": self.created_at,
            "updated_at": self.updated_at or float(self.created_at),
            "snoozed_until": self.snoozed_until,
            "sla_policy_id": None,
            "messages": [
                {
                    "id": self.display_id * 10,
                    "content": "Hello, I need help with my order",
                    "message_type": 1 if self.first_reply_created_at else 0,
                    "created_at": self.last_activity_at or self.created_at,
                    "private": False,
                    "conversation_id": self.display_id,
                }
            ],
            "meta": meta,
        }


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """A request the server saw: route, target (path and query) and header names."""

    route: str
    target: str
    query: Mapping[str, str]
    header_names: frozenset[str]
    token: str | None
    """The `api_access_token` header's value, if any."""


@dataclass(slots=True)
class _Window:
    minute: int = -1
    used: int = 0


class ChatwootState:
    """Everything the fake server answers from; change it while the server runs.

    Args:
        seed: seed of the generated conversations, names and the simulation.
        clock: the server's "now" (fixed in tests).
        conversations: how many conversations to generate over the last `span`.
        span: seconds back the generated conversations reach.
        simulate: let time move the data: new conversations arrive, agents
            reply and resolve, at rates `apply_levels` changes (for the demo).
        reply_median: median seconds to a first reply, for the generated
            history and the simulation (lower it, with a short `sla_target`,
            to see the SLA dip within a short scripted incident).
        arrivals_per_min: new conversations a minute while simulating, calm.
    """

    def __init__(
        self,
        *,
        seed: int = 7,
        clock: Callable[[], float] = time.time,
        conversations: int = 120,
        span: float = 86400.0,
        simulate: bool = False,
        reply_median: float = 240.0,
        arrivals_per_min: float = 0.5,
    ) -> None:
        self.clock = clock
        self.reply_median = reply_median
        self.arrivals_per_min = arrivals_per_min
        self.account_id = 1
        self.token = "fake-chatwoot-token-" + "".join(
            random.Random(seed).choices("abcdef0123456789", k=24)
        )
        """The access token the server accepts."""
        self.version = "4.15.1"
        self.queue_services = "ok"
        self.data_services = "ok"
        self.role = "administrator"
        """The token's role: `agent` makes reports answer 401 "not authorized to do this action"."""
        self.features: dict[str, bool] = {"sla": True, "channel_email": True}
        self.live_reports = True
        """False answers 404 for live reports, like a server older than them."""
        self.page_size = _PAGE_SIZE
        self.rate_limits: dict[str, int] = {"conversations_meta": 30, "reports": 100}
        """Requests per fixed minute, by bucket (`conversations_meta`, `reports`)."""
        self.retry_after: int | None = None
        """Seconds a 429 asks for in `Retry-After`; None sends none, as rack-attack does."""
        self.latency: dict[str, float] = {}
        """Seconds added to each answer of a route (`"*"` for every route)."""
        self.faults: dict[str, tuple[Fault, int | None]] = {}
        self.unauthorized_body: dict[str, object] = dict(_BAD_TOKEN)
        """What the `unauthorized` fault answers (a proxy's 401 may say anything)."""
        self.bodies: dict[str, object] = {}
        """A body an authorised request of a route gets with HTTP 200 instead of the usual."""
        self.requests: list[RecordedRequest] = []
        self.served_ms: list[tuple[str, float]] = []
        """Route and milliseconds from reading each request to writing its answer (no faults)."""
        self.inboxes = {
            i + 1: FakeInbox(i + 1, name, kind) for i, (name, kind) in enumerate(_CHANNELS)
        }
        self.agents = [
            FakeAgent(1, "Alex Admin", "online", "administrator"),
            FakeAgent(2, "Bea Agent", "online"),
            FakeAgent(3, "Cai Agent", "busy"),
            FakeAgent(4, "Dana Agent", "offline"),
            FakeAgent(5, "Eli Agent", "offline"),
        ]
        self.sla_policies = [
            {
                "id": 1,
                "name": "Standard",
                "description": "First reply within 15 minutes",
                "first_response_time_threshold": 900.0,
                "next_response_time_threshold": 3600.0,
                "resolution_time_threshold": None,
                "only_during_business_hours": False,
            }
        ]
        self.conversations: dict[int, FakeConversation] = {}
        self._rng = random.Random(seed)
        self._windows: dict[tuple[str, str], _Window] = {}
        self._next_id = 1
        self.simulate = simulate
        """Whether requests move the simulation forward (`advance`)."""
        self._sim_at: float | None = None
        self._arrival_debt = 0.0
        self._planned: dict[int, tuple[float, float]] = {}
        self._levels = (0.0, 0.0, 0.0)
        self.base_latency = 0.0
        """Seconds every answer takes before `apply_levels` stretches it (the demo sets ~0.1)."""
        self.populate(conversations, span)

    # ------------------------------------------------------------------ data

    def customer_name(self) -> str:
        """A plausible customer name."""
        return f"{self._rng.choice(_FIRST_NAMES)} {self._rng.choice(_LAST_NAMES)}"

    def add_conversation(
        self,
        *,
        created_at: float,
        inbox_id: int = 1,
        customer: str | None = None,
        status: str = "open",
        first_reply_after: float | None = None,
        assignee_id: int | None = None,
    ) -> FakeConversation:
        """Add a conversation; `first_reply_after` seconds after creation an agent replied."""
        created = int(created_at)
        conv = FakeConversation(
            display_id=self._next_id,
            inbox_id=inbox_id,
            customer=customer if customer is not None else self.customer_name(),
            created_at=created,
            status=status,
            assignee_id=assignee_id,
            updated_at=created + 0.123456,
            last_activity_at=created,
        )
        self._next_id += 1
        if first_reply_after is not None:
            conv.first_reply_created_at = int(created + first_reply_after)
            conv.last_activity_at = conv.first_reply_created_at
            conv.updated_at = conv.first_reply_created_at + 0.654321
        elif status != "resolved":
            conv.waiting_since = created
        if status == "snoozed":
            until = dt.datetime.fromtimestamp(created + 7200, dt.UTC)
            conv.snoozed_until = until.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        if status == "resolved":
            conv.resolved_at = int(max(conv.last_activity_at, created) + 600)
            conv.updated_at = conv.resolved_at + 0.5
        self.conversations[conv.display_id] = conv
        return conv

    def reply(self, display_id: int, at: float | None = None) -> None:
        """An agent replies: the first reply is set (once), waiting stops, `updated_at` moves."""
        conv = self.conversations[display_id]
        now = self.clock() if at is None else at
        if not conv.first_reply_created_at:
            conv.first_reply_created_at = int(now)
        conv.waiting_since = 0
        conv.last_activity_at = int(now)
        conv.updated_at = now

    def resolve(self, display_id: int, at: float | None = None) -> None:
        """Resolve a conversation."""
        conv = self.conversations[display_id]
        now = self.clock() if at is None else at
        conv.status, conv.waiting_since, conv.resolved_at = "resolved", 0, int(now)
        conv.updated_at = now

    def populate(self, count: int, span: float) -> None:
        """Generate `count` conversations created over the last `span` seconds."""
        now = self.clock()
        rng = self._rng
        for _ in range(count):
            created = now - rng.uniform(0, span)
            age = now - created
            reply_after = math.exp(rng.gauss(math.log(self.reply_median), 0.9))
            replied = rng.random() < 0.9 and reply_after < age
            status = "open"
            if replied and age > 4 * 3600 and rng.random() < 0.8:
                status = "resolved"
            elif rng.random() < 0.06:
                status = "snoozed"
            elif rng.random() < 0.08:
                status = "pending"
            self.add_conversation(
                created_at=created,
                inbox_id=rng.choice(list(self.inboxes)),
                status=status,
                first_reply_after=reply_after if replied else None,
                assignee_id=rng.choice([None, 2, 3, 4]) if status != "resolved" else 2,
            )

    def fail(self, route: str, fault: Fault, times: int | None = None) -> None:
        """Make `route` answer with `fault`, `times` times or until `heal`."""
        self.faults[route] = (fault, times)

    def heal(self, route: str | None = None) -> None:
        """Remove the fault of one route, or of all."""
        if route is None:
            self.faults.clear()
        else:
            self.faults.pop(route, None)

    def apply_levels(self, spike: float, backlog: float, errors: float) -> None:
        """Follow a scripted incident (each level 0..1, as `collectors.demo.incident_levels`).

        `spike` stretches every answer up to ten times, `backlog` quadruples
        the arrivals and slows the replies eightfold (pending and unattended climb,
        the SLA drops) and sends agents to busy, `errors` above one half makes
        `/api` report its queue services failing and the reports answer 500.
        """
        self._levels = (spike, backlog, errors)
        self.latency["*"] = self.base_latency * (1 + 9 * spike)
        for agent, busy_at in zip(self.agents[1:], (0.8, 0.5, 0.3), strict=False):
            if agent.availability_status != "offline":
                agent.availability_status = "busy" if backlog >= busy_at else "online"
        self.queue_services = "failing" if errors > 0.5 else "ok"
        if errors > 0.5:
            self.faults.setdefault("reports_summary", ("error_500", None))
        elif self.faults.get("reports_summary") == ("error_500", None):
            del self.faults["reports_summary"]

    def advance(self, now: float) -> None:
        """Move the simulation to `now`: arrivals, replies and resolutions since the last call."""
        if self._sim_at is None or now <= self._sim_at:
            self._sim_at = now if self._sim_at is None else self._sim_at
            return
        _, backlog, _ = self._levels
        elapsed = now - self._sim_at
        rate = self.arrivals_per_min * (1 + 3 * backlog)
        expected = rate * elapsed / 60 + self._arrival_debt
        arrivals = int(expected)
        self._arrival_debt = expected - arrivals
        for _ in range(min(arrivals, 500)):
            created = now - self._rng.uniform(0, elapsed)
            new = self.add_conversation(
                created_at=created,
                inbox_id=self._rng.choice(list(self.inboxes)),
                status="pending" if self._rng.random() < 0.2 * (1 + backlog) else "open",
            )
            median = self.reply_median * (1 + 7 * backlog)
            reply = math.exp(self._rng.gauss(math.log(median), 0.6))
            self._planned[new.display_id] = (created + reply, created + reply + 1800)
        for display_id, (reply_at, resolve_at) in list(self._planned.items()):
            known = self.conversations.get(display_id)
            if known is None:
                del self._planned[display_id]
                continue
            if not known.first_reply_created_at and reply_at <= now:
                self.reply(display_id, reply_at)
                known.status = "open"
            if known.first_reply_created_at and resolve_at <= now:
                self.resolve(display_id, resolve_at)
                del self._planned[display_id]
        self._sim_at = now

    # ------------------------------------------------------------------ answers

    def _in_account(self, status: str | None) -> list[FakeConversation]:
        if status == "all":
            return list(self.conversations.values())
        return [c for c in self.conversations.values() if c.status == (status or "open")]

    @staticmethod
    def _counts(conversations: list[FakeConversation], me: int) -> dict[str, int]:
        unassigned = sum(1 for c in conversations if c.assignee_id is None)
        mine = sum(1 for c in conversations if c.assignee_id == me)
        return {
            "mine_count": mine,
            "assigned_count": len(conversations) - unassigned,
            "unassigned_count": unassigned,
            "all_count": len(conversations),
        }

    def conversation_list(self, query: Mapping[str, str]) -> dict[str, object]:
        """`GET conversations`: filters, sorting, 25 a page or unpaged with `updated_within`."""
        now = self.clock()
        found = self._in_account(query.get("status"))
        if "inbox_id" in query:
            found = [c for c in found if str(c.inbox_id) == query["inbox_id"]]
        counts = self._counts(found, me=1)
        assignee = query.get("assignee_type", "all")
        if assignee == "me":
            found = [c for c in found if c.assignee_id == 1]
        elif assignee == "unassigned":
            found = [c for c in found if c.assignee_id is None]
        elif assignee == "assigned":
            found = [c for c in found if c.assignee_id is not None]
        sort = query.get("sort_by", "last_activity_at_desc")
        key, _, order = sort.rpartition("_")
        field_name = {"created_at": "created_at"}.get(key, "last_activity_at")
        found.sort(key=lambda c: (getattr(c, field_name), c.display_id), reverse=order != "asc")
        if query.get("updated_within", "").strip():
            within = int(query["updated_within"]) if query["updated_within"].isdigit() else 0
            found = [c for c in found if c.updated_at > now - within]
        else:
            page = max(1, int(query["page"])) if query.get("page", "").isdigit() else 1
            found = found[(page - 1) * self.page_size : page * self.page_size]
        payload = [
            c.to_json(
                self.account_id,
                self.inboxes.get(c.inbox_id),
                next((a for a in self.agents if a.id == c.assignee_id), None),
            )
            for c in found
        ]
        return {"data": {"meta": counts, "payload": payload}}

    def conversation_metrics(self) -> dict[str, int]:
        """`live_reports/conversation_metrics`: live counts, `pending` included."""
        open_ = self._in_account("open")
        return {
            "open": len(open_),
            "unattended": sum(1 for c in open_ if not c.first_reply_created_at or c.waiting_since),
            "unassigned": sum(1 for c in open_ if c.assignee_id is None),
            "pending": len(self._in_account("pending")),
        }

    def summary(self, since: int, until: int) -> dict[str, object]:
        """`reports/summary` over `[since, until)` and the equally long window before it."""

        def window(start: int, end: int) -> dict[str, object]:
            created = [c for c in self.conversations.values() if start <= c.created_at < end]
            replied = [
                c.first_reply_created_at - c.created_at for c in created if c.first_reply_created_at
            ]
            resolved = [
                c
                for c in self.conversations.values()
                if c.resolved_at and start <= c.resolved_at < end
            ]
            spans = [c.resolved_at - c.created_at for c in resolved if c.resolved_at]
            return {
                "conversations_count": len(created),
                "incoming_messages_count": 3 * len(created),
                "outgoing_messages_count": 2 * len(replied),
                "avg_first_response_time": sum(replied) / len(replied) if replied else None,
                "avg_resolution_time": sum(spans) / len(spans) if spans else None,
                "resolutions_count": len(resolved),
                "reply_time": sum(replied) / len(replied) if replied else None,
            }

        current = window(since, until)
        current["previous"] = window(since - (until - since), since)
        return current

    # ------------------------------------------------------------------ routing

    def route(self, path: str) -> str | None:
        """The route name of a path, or None for an unknown one."""
        parts = path.rstrip("/").split("/")
        if path == "/api" or path == "/api/":
            return "api"
        if path == "/health":
            return "health"
        if path == "/api/v1/profile":
            return "profile"
        prefix = {"v1": "api/v1", "v2": "api/v2"}
        if len(parts) < 5 or parts[1] != "api" or parts[3] != "accounts":
            return None
        version, rest = parts[2], "/".join(parts[5:])
        if version not in prefix:
            return None
        table = {
            ("v1", ""): "account",
            ("v1", "conversations"): "conversations",
            ("v1", "conversations/meta"): "conversations_meta",
            ("v1", "agents"): "agents",
            ("v1", "inboxes"): "inboxes",
            ("v1", "sla_policies"): "sla_policies",
            ("v1", "applied_slas/metrics"): "sla_metrics",
            ("v2", "live_reports/conversation_metrics"): "live_reports",
            ("v2", "reports/conversations"): "reports_conversations",
            ("v2", "reports/summary"): "reports_summary",
        }
        return table.get((version, rest))

    def account_of(self, path: str) -> str:
        """The account id written in an account path."""
        parts = path.split("/")
        return parts[4] if len(parts) > 4 else ""

    def take_fault(self, route: str) -> Fault | None:
        """The fault this request of `route` gets, counting down limited ones."""
        entry = self.faults.get(route)
        if entry is None:
            return None
        fault, times = entry
        if times is not None:
            if times <= 1:
                del self.faults[route]
            else:
                self.faults[route] = (fault, times - 1)
        return fault

    def over_limit(self, route: str, token: str) -> bool:
        """Rack-attack's fixed one-minute windows for the meta and `reports*` (not live)."""
        bucket = {"conversations_meta": "conversations_meta"}.get(route)
        if route in ("reports_conversations", "reports_summary"):
            bucket = "reports"
        limit = self.rate_limits.get(bucket or "")
        if bucket is None or limit is None:
            return False
        minute = int(self.clock() // 60)
        window = self._windows.setdefault((bucket, token), _Window())
        if window.minute != minute:
            window.minute, window.used = minute, 0
        window.used += 1
        return window.used > limit

    def answer(
        self, route: str, path: str, query: Mapping[str, str], token: str | None
    ) -> tuple[int, object]:
        """Status and JSON body for a request that passed faults and rate limits."""
        now = self.clock()
        if route == "api":
            stamp = dt.datetime.fromtimestamp(now, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
            return 200, {
                "version": self.version,
                "timestamp": stamp,
                "queue_services": self.queue_services,
                "data_services": self.data_services,
            }
        if route == "health":
            return 200, {"status": "woot"}
        if token is None:
            return 401, _NO_TOKEN
        if token != self.token:
            return 401, _BAD_TOKEN
        if route != "profile" and self.account_of(path) != str(self.account_id):
            return 401, _OTHER_ACCOUNT
        if route in _ADMIN_ONLY and self.role != "administrator":
            return 401, _ROLE_TOO_LOW
        if route in self.bodies:
            return 200, self.bodies[route]
        if route == "live_reports" and not self.live_reports:
            return 404, _NOT_FOUND
        if route in ("sla_policies", "sla_metrics") and not self.features.get("sla"):
            return 404, _NOT_FOUND
        if route == "conversations":
            return 200, self.conversation_list(query)
        if route == "conversations_meta":
            return 200, {"meta": self._counts(self._in_account(query.get("status")), me=1)}
        if route == "live_reports":
            return 200, self.conversation_metrics()
        if route == "reports_conversations":
            if query.get("type") != "account":
                return 500, {"status": 500, "error": "Internal Server Error"}
            metrics = self.conversation_metrics()
            return 200, {**metrics, "pending": 0}
        if route == "reports_summary":
            if "type" not in query:
                return 500, {"status": 500, "error": "Internal Server Error"}
            until = int(query.get("until") or now)
            since = int(query.get("since") or until - 86400)
            return 200, self.summary(since, until)
        if route == "agents":
            return 200, [
                {
                    "id": a.id,
                    "account_id": self.account_id,
                    "name": a.name,
                    "available_name": a.name,
                    "email": f"agent{a.id}@example.com",
                    "role": a.role,
                    "availability_status": a.availability_status,
                    "auto_offline": True,
                    "confirmed": True,
                    "thumbnail": "",
                    "custom_role_id": None,
                }
                for a in self.agents
            ]
        if route == "inboxes":
            return 200, {
                "payload": [
                    {
                        "id": i.id,
                        "name": i.name,
                        "channel_type": i.channel_type,
                        "channel_id": i.id,
                        "working_hours_enabled": False,
                        "timezone": "UTC",
                        "enable_auto_assignment": True,
                    }
                    for i in self.inboxes.values()
                ]
            }
        if route == "account":
            return 200, {
                "id": self.account_id,
                "name": "Acme Support",
                "locale": "en",
                "status": "active",
                "features": self.features,
                "latest_chatwoot_version": self.version,
            }
        if route == "sla_policies":
            return 200, {"payload": self.sla_policies}
        if route == "sla_metrics":
            window = [c for c in self.conversations.values() if c.created_at >= now - 86400]
            misses = sum(
                1
                for c in window
                if (c.first_reply_created_at or now) - c.created_at > 900 and c.status != "resolved"
            )
            total = len(window)
            rate = 100.0 * (total - misses) / total if total else 100.0
            return 200, {
                "total_applied_slas": total,
                "number_of_sla_misses": misses,
                "hit_rate": f"{rate:.1f}%",
            }
        if route == "profile":
            return 200, {"id": 1, "name": "Alex Admin", "access_token": self.token, "accounts": []}
        return 404, _NOT_FOUND


# --------------------------------------------------------------------------- HTTP


class FakeChatwootServer(LoopbackServer):
    """The HTTP/1.1 server (keep-alive, GET only) over a `ChatwootState`.

    Args:
        state: what to answer; a fresh `ChatwootState()` when not given.
        host: the address to listen on (loopback).
        port: 0 for an ephemeral port.
    """

    def __init__(
        self, state: ChatwootState | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        super().__init__(host=host, port=port)
        self.state = state or ChatwootState()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer one client's requests over a keep-alive connection until it ends."""
        while await self._one_request(reader, writer):
            pass

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Read and answer one request; False when the connection should close."""
        request = await read_request(reader)
        if request is None:
            return False
        method, headers = request.method, request.headers
        keep_alive = headers.get("connection", "").lower() != "close"
        query = {k: v[-1] for k, v in request.query.items()}
        state = self.state
        route = state.route(request.path)
        token = headers.get("api_access_token")
        state.requests.append(
            RecordedRequest(route or "", request.target, query, frozenset(headers), token)
        )
        if state.simulate:
            state.advance(state.clock())
        received = time.perf_counter()
        if method != "GET":
            await self._send(writer, 405, {"error": "method not allowed"}, keep_alive)
            return keep_alive
        if route is None:
            await self._send(writer, 404, _NOT_FOUND, keep_alive)
            return keep_alive
        delay = state.latency.get(route, state.latency.get("*", 0.0))
        if delay > 0:
            await asyncio.sleep(delay)
        fault = state.take_fault(route)
        if fault is not None:
            return await self._fault(writer, fault, keep_alive)
        if state.over_limit(route, token or ""):
            await self._send_raw(writer, 429, "text/plain", b"Retry later\n", keep_alive)
            return keep_alive
        status, body = state.answer(route, request.path, query, token)
        await self._send(writer, status, body, keep_alive)
        state.served_ms.append((route, (time.perf_counter() - received) * 1000))
        return keep_alive

    async def _fault(self, writer: asyncio.StreamWriter, fault: Fault, keep_alive: bool) -> bool:
        if fault == "hang":
            await asyncio.Event().wait()  # until the client gives up or the server stops
        if fault == "reset":
            transport = writer.transport
            if hasattr(transport, "abort"):
                transport.abort()
            return False
        if fault == "error_500":
            page = b"<html><body><h1>We're sorry, but something went wrong.</h1></body></html>"
            await self._send_raw(writer, 500, "text/html; charset=utf-8", page, keep_alive)
        elif fault == "bad_gateway":
            page = b"<html><head><title>502 Bad Gateway</title></head></html>"
            await self._send_raw(writer, 502, "text/html", page, keep_alive)
        elif fault == "redirect":
            writer.write(
                self._head(
                    301, "text/html", 0, keep_alive=keep_alive, location="http://elsewhere.invalid/"
                )
            )
            await writer.drain()
        elif fault == "rate_limit":
            await self._send_raw(writer, 429, "text/plain", b"Retry later\n", keep_alive)
        elif fault == "unauthorized":
            await self._send(writer, 401, self.state.unauthorized_body, keep_alive)
        elif fault == "malformed":
            body = b'{"data": {"meta": {"all_count": 3}, "payload": [{"id": 1, "inbox_'
            await self._send_raw(writer, 200, "application/json; charset=utf-8", body, keep_alive)
        elif fault == "truncate":
            body = json.dumps({"data": {"meta": {}, "payload": []}, "pad": "x" * 4000}).encode()
            head = self._head(200, "application/json; charset=utf-8", len(body), keep_alive=False)
            writer.write(head + body[: len(body) // 2])
            await writer.drain()
            return False
        return keep_alive

    @staticmethod
    def _head(
        status: int,
        content_type: str,
        length: int,
        *,
        keep_alive: bool,
        location: str = "",
        retry_after: int | None = None,
    ) -> bytes:
        reason = _REASONS.get(status, "Unknown")
        lines = [
            f"HTTP/1.1 {status} {reason}",
            *([f"Location: {location}"] if location else []),
            *([f"Retry-After: {retry_after}"] if retry_after is not None else []),
            f"Content-Type: {content_type}",
            f"Content-Length: {length}",
            f"Connection: {'keep-alive' if keep_alive else 'close'}",
            "Cache-Control: no-cache",
            "X-Request-Id: 00000000-fake-0000-0000-000000000000",
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def _send(
        self, writer: asyncio.StreamWriter, status: int, body: object, keep_alive: bool
    ) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        await self._send_raw(writer, status, "application/json; charset=utf-8", data, keep_alive)

    async def _send_raw(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        content_type: str,
        body: bytes,
        keep_alive: bool,
    ) -> None:
        wait = self.state.retry_after if status == 429 else None
        head = self._head(status, content_type, len(body), keep_alive=keep_alive, retry_after=wait)
        writer.write(head + body)
        await writer.drain()

"""Pure functions of the Chatwoot source: payloads in, typed values and samples out.

Nothing here does I/O, so every function is tested on payloads saved from the
real server's shapes (`tests/collectors/fixtures/chatwoot/`). Where the Swagger
spec and the real server (v4.15.1) disagree, these follow the server:

* `first_reply_created_at` and `waiting_since` are `0`, not null, when unset;
* `updated_at` is a float, `snoozed_until` an ISO string or null;
* report averages are numbers (the spec says strings), and may be null;
* `applied_slas/metrics` gives `hit_rate` as a string like `"92.5%"`;
* `reports/conversations` always says `pending: 0` (a server bug): it is dropped.

A payload that does not have the expected shape raises `ParseError` with a
one-line reason naming the field, never the payload itself (it may hold names).
A figure out of its range (a negative or fractional count, a percentage over
100, a reply dated before its conversation or in the future, a huge integer)
is dropped through `collectors.fields` with a note naming the field and the
value; the rest of the answer is kept. A conversation whose times cannot be
believed is skipped, with the first such reason in the page's notes.
Names (customers, inboxes, agents, policies) are returned as given: they are
untrusted, and whoever draws them makes them inert.

One unit over 500 lines: one parser per Chatwoot endpoint, sharing the shape
helpers and the range checks at its top; the SLA maths is in `sla`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from collectors import fields
from collectors.base import Sample

__all__ = [
    "AGENT_STATUSES",
    "ApiHealth",
    "Conversation",
    "ConversationCounts",
    "ConversationPage",
    "Inbox",
    "MetaCounts",
    "ParseError",
    "SlaPolicy",
    "channel_label",
    "error_text",
    "parse_account_features",
    "parse_agents",
    "parse_api_health",
    "parse_conversation_metrics",
    "parse_conversation_page",
    "parse_conversations_meta",
    "parse_health",
    "parse_inboxes",
    "parse_report_conversations",
    "parse_sla_metrics",
    "parse_sla_policies",
    "parse_summary",
]

AGENT_STATUSES: Final = ("online", "busy", "offline")
"""Agent availability values, in the order screens list them."""
_ERROR_TEXT_LIMIT: Final = 160


class ParseError(ValueError):
    """A payload without the expected shape; the message is one line and names the field."""


# --------------------------------------------------------------------------- helpers


def _mapping(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise ParseError(f"{what}: expected an object, got {_kind(value)}")
    return value


def _list(value: object, what: str) -> list[object]:
    if not isinstance(value, list):
        raise ParseError(f"{what}: expected a list, got {_kind(value)}")
    return value


def _ident(value: object, what: str) -> int:
    """An id: a non-negative whole number, or ParseError naming the field and value."""
    notes: list[str] = []
    ident = fields.count(value, what, notes)
    if ident is None:
        raise ParseError(notes[0] if notes else f"{what}: missing")
    return ident


def _count(data: Mapping[str, object], key: str, what: str, notes: list[str]) -> int | None:
    """A count the endpoint always sends: None, with a note, when absent or out of range."""
    value = data.get(key)
    if value is None:
        notes.append(f"{what}.{key}: missing")
        return None
    return fields.count(value, f"{what}.{key}", notes)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


def _unset(value: object) -> bool:
    """The server writes `0` (or null) for a time that has not happened yet."""
    return value is None or (value == 0 and not isinstance(value, bool))


def error_text(payload: object) -> str:
    """The reason in a Chatwoot error body, one line and bounded; empty if there is none.

    401s come as `{"error": "Invalid Access Token"}` or, without a token,
    `{"errors": ["You need to sign in or sign up before continuing."]}`. The
    text is the server's, so it is untrusted: control characters and newlines
    are left for the caller to neutralise, but it is cut to one bounded line.
    """
    text = ""
    if isinstance(payload, Mapping):
        error, errors = payload.get("error"), payload.get("errors")
        if isinstance(error, str):
            text = error
        elif isinstance(errors, list):
            text = "; ".join(e for e in errors if isinstance(e, str))
        elif isinstance(errors, str):
            text = errors
        message = payload.get("message")
        if not text and isinstance(message, str):
            text = message
    text = " ".join(text.split())
    return text if len(text) <= _ERROR_TEXT_LIMIT else text[: _ERROR_TEXT_LIMIT - 1] + "…"


# --------------------------------------------------------------------------- health


@dataclass(frozen=True, slots=True)
class ApiHealth:
    """What `GET /api` says: the version and whether Redis and the database answer."""

    version: str
    queue_ok: bool
    """`queue_services` is "ok" (Redis answers a ping)."""
    data_ok: bool
    """`data_services` is "ok" (the database connection is active)."""

    @property
    def ok(self) -> bool:
        """Both backing services are up."""
        return self.queue_ok and self.data_ok


def parse_api_health(payload: object) -> ApiHealth:
    """Parse `GET /api`: HTTP 200 even when a service is "failing"."""
    data = _mapping(payload, "/api")
    queue, data_services = data.get("queue_services"), data.get("data_services")
    if not isinstance(queue, str) or not isinstance(data_services, str):
        raise ParseError("/api: queue_services and data_services missing")
    return ApiHealth(
        version=_text(data.get("version")),
        queue_ok=queue == "ok",
        data_ok=data_services == "ok",
    )


def parse_health(payload: object) -> bool:
    """Parse `GET /health` (`{"status": "woot"}`): True when it says anything at all."""
    data = _mapping(payload, "/health")
    return bool(data.get("status"))


# --------------------------------------------------------------------------- counts


@dataclass(frozen=True, slots=True)
class ConversationCounts:
    """Conversation counts from a live or account report."""

    open: int | None
    """None (here and below) when the answer's figure was missing or out of range."""
    unattended: int | None
    unassigned: int | None
    pending: int | None
    """Also None where the endpoint cannot be trusted for it (`reports/conversations`)."""


def parse_conversation_metrics(
    payload: object, notes: list[str] | None = None
) -> ConversationCounts:
    """Parse `live_reports/conversation_metrics`: `{open, unattended, unassigned, pending}`.

    Args:
        payload: the decoded answer.
        notes: where a dropped figure's reason goes.
    """
    data = _mapping(payload, "conversation_metrics")
    what, notes = "conversation_metrics", notes if notes is not None else []
    return ConversationCounts(
        open=_count(data, "open", what, notes),
        unattended=_count(data, "unattended", what, notes),
        unassigned=_count(data, "unassigned", what, notes),
        pending=_count(data, "pending", what, notes),
    )


def parse_report_conversations(
    payload: object, notes: list[str] | None = None
) -> ConversationCounts:
    """Parse `reports/conversations?type=account`; its `pending` is always 0, so it is dropped.

    Args:
        payload: the decoded answer.
        notes: where a dropped figure's reason goes.
    """
    data = _mapping(payload, "reports/conversations")
    what, notes = "reports/conversations", notes if notes is not None else []
    return ConversationCounts(
        open=_count(data, "open", what, notes),
        unattended=_count(data, "unattended", what, notes),
        unassigned=_count(data, "unassigned", what, notes),
        pending=None,
    )


@dataclass(frozen=True, slots=True)
class MetaCounts:
    """`conversations/meta` for one status: counts by assignment."""

    all: int | None
    """None (here and below) when the answer's figure was missing or out of range."""
    assigned: int | None
    unassigned: int | None


def parse_conversations_meta(payload: object, notes: list[str] | None = None) -> MetaCounts:
    """Parse `conversations/meta`: `{"meta": {mine_count, assigned_count, ...}}`, no `data`.

    Args:
        payload: the decoded answer.
        notes: where a dropped figure's reason goes.
    """
    data = _mapping(payload, "conversations/meta")
    meta = _mapping(data.get("meta"), "conversations/meta.meta")
    what, notes = "conversations/meta.meta", notes if notes is not None else []
    return MetaCounts(
        all=_count(meta, "all_count", what, notes),
        assigned=_count(meta, "assigned_count", what, notes),
        unassigned=_count(meta, "unassigned_count", what, notes),
    )


# --------------------------------------------------------------------------- conversations

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def channel_label(channel_type: str) -> str:
    """`Channel::WebWidget` -> `web_widget`, `Channel::TwilioSms` -> `twilio_sms`; else unknown."""
    name = channel_type.removeprefix("Channel::").strip()
    if not name or not name.isascii() or not name.replace("_", "").isalnum():
        return "unknown"
    return _CAMEL.sub("_", name).lower()


@dataclass(frozen=True, slots=True)
class Conversation:
    """The fields of a conversation list item the source needs."""

    display_id: int
    """The per-account id shown in the dashboard and used in URLs."""
    inbox_id: int
    status: str
    created_at: float
    first_reply_at: float | None
    """None while nobody has replied (the server sends 0)."""
    waiting_since: float | None
    updated_at: float
    channel: str
    """`channel_label` of `meta.channel`, or empty when the item does not say."""
    customer: str
    """`meta.sender.name`, untrusted and as given."""


@dataclass(frozen=True, slots=True)
class ConversationPage:
    """One page (or the unpaged `updated_within` answer) of the conversation list."""

    conversations: list[Conversation]
    items: int
    """Items in the payload, including those skipped as malformed."""
    skipped: int = 0
    """Items without the fields needed (an id, an inbox, a status, believable times)."""
    reason: str = ""
    """Why the first skipped item was skipped, naming the field and value."""


def _conversation(item: object, now: float) -> Conversation:
    data = _mapping(item, "conversation")
    ident = _ident(data.get("id"), "conversation.id")
    what = f"conversation {ident}"
    meta = data.get("meta")
    meta = meta if isinstance(meta, Mapping) else {}
    sender = meta.get("sender")
    sender = sender if isinstance(sender, Mapping) else {}
    notes: list[str] = []

    def moment(key: str, after: float | None = None, *, vital: bool = True) -> float | None:
        """A time the item may leave unset; one that is set but unbelievable skips a vital one."""
        value = data.get(key)
        if _unset(value):
            return None
        stamp = fields.timestamp(
            value, f"{what}.{key}", notes, now=now, not_before=after, not_before_what="created_at"
        )
        if stamp is None and vital:
            raise ParseError(notes[-1])
        return stamp

    created = moment("created_at")
    if created is None:
        raise ParseError(f"{what}.created_at: missing")
    status = data.get("status")
    if not isinstance(status, str):
        raise ParseError(f"{what}.status: missing")
    updated = fields.number(data.get("updated_at"), f"{what}.updated_at", notes)
    channel = meta.get("channel")
    return Conversation(
        display_id=ident,
        inbox_id=_ident(data.get("inbox_id"), f"{what}.inbox_id"),
        status=status,
        created_at=created,
        first_reply_at=moment("first_reply_created_at", after=created),
        waiting_since=moment("waiting_since", vital=False),
        updated_at=updated if updated is not None else created,
        channel=channel_label(channel) if isinstance(channel, str) else "",
        customer=_text(sender.get("name")),
    )


def parse_conversation_page(payload: object, now: float = math.inf) -> ConversationPage:
    """Parse `GET conversations`: `{"data": {"meta": {...}, "payload": [...]}}`.

    An item missing what the source needs, or whose times cannot be believed
    (created or replied to more than `fields.CLOCK_SKEW` after `now`, a reply
    before the conversation), is skipped and counted, so one odd conversation
    cannot hide all the others nor be judged on made-up times.

    Args:
        payload: the decoded answer.
        now: our clock, for times in the future.
    """
    data = _mapping(_mapping(payload, "conversations").get("data"), "conversations.data")
    items = _list(data.get("payload"), "conversations.data.payload")
    conversations, skipped, reason = [], 0, ""
    for item in items:
        try:
            conversations.append(_conversation(item, now))
        except ParseError as exc:
            skipped += 1
            reason = reason or str(exc)
    return ConversationPage(conversations, len(items), skipped, reason)


# --------------------------------------------------------------------------- agents, inboxes


def parse_agents(payload: object) -> dict[str, int]:
    """Parse `GET agents` (a plain array): how many agents are online, busy and offline.

    There is no count endpoint, so this counts the list. An unknown status
    counts as offline. With `auto_offline`, an agent is only online while their
    dashboard is open: API polling is not presence.
    """
    counts = dict.fromkeys(AGENT_STATUSES, 0)
    for index, item in enumerate(_list(payload, "agents")):
        agent = _mapping(item, f"agents[{index}]")
        status = agent.get("availability_status")
        counts[status if isinstance(status, str) and status in counts else "offline"] += 1
    return counts


@dataclass(frozen=True, slots=True)
class Inbox:
    """An inbox: its name (untrusted) and channel label."""

    name: str
    channel: str


def parse_inboxes(payload: object) -> dict[int, Inbox]:
    """Parse `GET inboxes` (`{"payload": [...]}`, unpaged) into id -> inbox."""
    inboxes = {}
    for index, item in enumerate(_list(_mapping(payload, "inboxes").get("payload"), "inboxes")):
        inbox = _mapping(item, f"inboxes[{index}]")
        inbox_id = _ident(inbox.get("id"), f"inboxes[{index}].id")
        inboxes[inbox_id] = Inbox(
            name=_text(inbox.get("name")),
            channel=channel_label(_text(inbox.get("channel_type"))),
        )
    return inboxes


def parse_account_features(payload: object) -> frozenset[str]:
    """Parse `GET accounts/{id}`: the names of the enabled `features` (e.g. `sla`)."""
    features = _mapping(payload, "account").get("features")
    if isinstance(features, Mapping):
        return frozenset(name for name, on in features.items() if on is True)
    if isinstance(features, list):
        return frozenset(name for name in features if isinstance(name, str))
    return frozenset()


# --------------------------------------------------------------------------- reports

_SUMMARY_FIELDS: Final = (
    ("avg_first_response_time", "chatwoot.report.avg_first_response_s", "s"),
    ("avg_resolution_time", "chatwoot.report.avg_resolution_s", "s"),
    ("conversations_count", "chatwoot.report.conversations", "count"),
    ("resolutions_count", "chatwoot.report.resolutions", "count"),
)


def _summary_values(
    data: Mapping[str, object], what: str, notes: list[str]
) -> dict[str, float | None]:
    values: dict[str, float | None] = {}
    for key, _, unit in _SUMMARY_FIELDS:
        raw = data.get(key)
        if isinstance(raw, str):  # what the spec claims; accept it if a proxy re-typed it
            try:
                raw = float(raw)
            except ValueError:
                notes.append(f"{what}.{key}: {fields.shown(raw)} is not a number")
                raw = None
        check = fields.count if unit == "count" else fields.non_negative
        values[key] = check(raw, f"{what}.{key}", notes)
    return values


def parse_summary(payload: object, ts: float, notes: list[str] | None = None) -> list[Sample]:
    """Parse `reports/summary`: averages (seconds, may be null) and counts, now and `previous`.

    Each series has `period: current` and, from the `previous` object (the
    equally long window before), `period: previous`, so screens can show trends.

    Args:
        payload: the decoded answer.
        ts: the poll's time.
        notes: where a dropped figure's reason goes.
    """
    data = _mapping(payload, "reports/summary")
    notes = notes if notes is not None else []
    samples = []
    periods: list[tuple[str, Mapping[str, object]]] = [("current", data)]
    previous = data.get("previous")
    if previous is not None:
        periods.append(("previous", _mapping(previous, "reports/summary.previous")))
    for period, values in periods:
        where = "reports/summary" if period == "current" else "reports/summary.previous"
        parsed = _summary_values(values, where, notes)
        for key, series, unit in _SUMMARY_FIELDS:
            value = parsed[key]
            if value is not None:
                samples.append(Sample(series, value, ts, {"period": period}, unit))
    return samples


# --------------------------------------------------------------------------- SLA (EE)


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """An SLA policy of the account (EE `sla` feature)."""

    name: str
    first_response_s: float | None


def parse_sla_policies(payload: object, notes: list[str] | None = None) -> list[SlaPolicy]:
    """Parse `GET sla_policies` (`{"payload": [...]}`); thresholds are float seconds or null.

    Args:
        payload: the decoded answer.
        notes: where a dropped threshold's reason goes.
    """
    notes = notes if notes is not None else []
    policies = []
    for index, item in enumerate(
        _list(_mapping(payload, "sla_policies").get("payload"), "sla_policies")
    ):
        policy = _mapping(item, f"sla_policies[{index}]")
        policies.append(
            SlaPolicy(
                name=_text(policy.get("name")),
                first_response_s=fields.non_negative(
                    policy.get("first_response_time_threshold"),
                    f"sla_policies[{index}].first_response_time_threshold",
                    notes,
                ),
            )
        )
    return policies


_PERCENT = re.compile(r"\s*(\d{1,20}(?:\.\d{1,20})?)\s*%?\s*")


def parse_sla_metrics(payload: object, ts: float, notes: list[str] | None = None) -> list[Sample]:
    """Parse `applied_slas/metrics`: totals and `hit_rate`, a string like `"92.5%"`.

    Args:
        payload: the decoded answer.
        ts: the poll's time.
        notes: where a dropped figure's reason goes.
    """
    data = _mapping(payload, "applied_slas/metrics")
    what, notes = "applied_slas/metrics", notes if notes is not None else []
    samples = []
    for key, series in (
        ("total_applied_slas", "chatwoot.sla.applied"),
        ("number_of_sla_misses", "chatwoot.sla.misses"),
    ):
        value = _count(data, key, what, notes)
        if value is not None:
            samples.append(Sample(series, value, ts, {}, "count"))
    rate: object = data.get("hit_rate")
    if isinstance(rate, str) and (match := _PERCENT.fullmatch(rate)):
        rate = float(match[1])
    elif isinstance(rate, str):
        notes.append(f"{what}.hit_rate: {fields.shown(rate)} is not text like '92.5%'")
        rate = None
    hit_rate = fields.percent(rate, f"{what}.hit_rate", notes)
    if hit_rate is not None:
        samples.append(Sample("chatwoot.sla.hit_rate_pct", hit_rate, ts, {}, "%"))
    return samples

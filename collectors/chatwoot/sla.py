"""The first-response SLA and the figures derived from the window's conversations.

Pure functions, no I/O: `sla_report` judges every conversation created in the
window against the target (counted in working time when `WorkingHours` are
given), `sla_samples` and `channel_samples` turn the judgement into samples,
`new_per_hour` and `recommended_agents` are seed 000's capacity figures.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from collectors.base import Sample
from collectors.business_hours import WorkingHours
from collectors.chatwoot.parse import Conversation

__all__ = [
    "Breach",
    "SlaReport",
    "channel_samples",
    "new_per_hour",
    "recommended_agents",
    "sla_report",
    "sla_samples",
]

_BREACH_ROWS: Final = 50
"""Longest-waiting breaches kept per poll: the SLA screen's list, bounded."""


@dataclass(frozen=True, slots=True)
class Breach:
    """A conversation of the window that missed the first-response target."""

    display_id: int
    inbox: str
    """Inbox name, untrusted; the inbox id when the name is not known."""
    customer: str
    """Customer (contact) name, untrusted."""
    waited_s: float
    """Time to the first reply, or waited so far; working time when hours are set."""
    replied: bool


@dataclass(frozen=True, slots=True)
class SlaReport:
    """First-response SLA over the conversations created in a window."""

    target_s: float
    met: int = 0
    """Replied within the target."""
    breached: int = 0
    """Replied late, or still waiting past the target."""
    waiting: int = 0
    """Not replied yet and still within the target: not judged yet."""
    unreplied_resolved: int = 0
    """Resolved without any reply (spam, duplicates): not counted."""
    breaches: list[Breach] = field(default_factory=list)
    """The longest waits first, at most 50."""
    first_responses: dict[int, float] = field(default_factory=dict)
    """Display id to first-response time for the replied conversations."""

    @property
    def compliance_pct(self) -> float:
        """Share of judged conversations that met the target; 100 when none was judged."""
        judged = self.met + self.breached
        return 100.0 * self.met / judged if judged else 100.0


def sla_report(
    conversations: Iterable[Conversation],
    *,
    now: float,
    window: float,
    target: float,
    hours: WorkingHours | None,
    inbox_names: Mapping[int, str],
) -> SlaReport:
    """Judge every conversation created in `[now - window, now]` against the target.

    The wait runs from `created_at` to `first_reply_created_at`; a conversation
    nobody replied to yet (the server sends 0) is still waiting and breaches once
    its wait passes the target. With `hours`, only working time counts.
    """
    met = breached = waiting = unreplied_resolved = 0
    breaches: list[Breach] = []
    first_responses: dict[int, float] = {}
    since = now - window

    def elapsed(start: float, end: float) -> float:
        if hours is not None:
            return hours.seconds_between(start, end)
        return max(0.0, end - start)

    for conv in conversations:
        if conv.created_at < since or conv.created_at > now:
            continue
        if conv.first_reply_at is not None:
            waited = elapsed(conv.created_at, conv.first_reply_at)
            first_responses[conv.display_id] = waited
            if waited <= target:
                met += 1
                continue
            breached += 1
            replied = True
        elif conv.status == "resolved":
            unreplied_resolved += 1
            continue
        else:
            waited = elapsed(conv.created_at, now)
            if waited <= target:
                waiting += 1
                continue
            breached += 1
            replied = False
        inbox = inbox_names.get(conv.inbox_id, f"inbox {conv.inbox_id}")
        breaches.append(Breach(conv.display_id, inbox, conv.customer, waited, replied))
    breaches.sort(key=lambda b: (-b.waited_s, b.display_id))
    return SlaReport(
        target_s=target,
        met=met,
        breached=breached,
        waiting=waiting,
        unreplied_resolved=unreplied_resolved,
        breaches=breaches[:_BREACH_ROWS],
        first_responses=first_responses,
    )


def sla_samples(report: SlaReport, ts: float) -> list[Sample]:
    """The SLA report as samples: compliance, the counts and one row per listed breach.

    A breach row is `chatwoot.sla.breach_wait_s` labelled with the conversation's
    display id, inbox and customer names and whether it was replied to; every
    poll writes the current list, so the rows whose series were updated by the
    latest poll are the current breach list.
    """
    samples = [
        Sample("chatwoot.sla.compliance_pct", round(report.compliance_pct, 3), ts, {}, "%"),
        Sample("chatwoot.sla.target_s", report.target_s, ts, {}, "s"),
        Sample("chatwoot.sla.met", report.met, ts, {}, "count"),
        Sample("chatwoot.sla.breached", report.breached, ts, {}, "count"),
        Sample("chatwoot.sla.waiting", report.waiting, ts, {}, "count"),
    ]
    for breach in report.breaches:
        labels = {
            "conversation": str(breach.display_id),
            "inbox": breach.inbox,
            "customer": breach.customer,
            "replied": "yes" if breach.replied else "no",
        }
        samples.append(
            Sample("chatwoot.sla.breach_wait_s", round(breach.waited_s, 3), ts, labels, "s")
        )
    return samples


def channel_samples(
    conversations: Sequence[Conversation],
    report: SlaReport,
    *,
    now: float,
    window: float,
    inbox_channels: Mapping[int, str],
) -> list[Sample]:
    """Per channel type: conversations created in the window and their mean first response."""
    volume: dict[str, int] = {}
    responses: dict[str, list[float]] = {}
    for conv in conversations:
        if not now - window <= conv.created_at <= now:
            continue
        channel = inbox_channels.get(conv.inbox_id) or conv.channel or "unknown"
        volume[channel] = volume.get(channel, 0) + 1
        waited = report.first_responses.get(conv.display_id)
        if waited is not None:
            responses.setdefault(channel, []).append(waited)
    samples = []
    for channel in sorted(volume):
        labels = {"channel": channel}
        samples.append(
            Sample("chatwoot.channel.conversations", volume[channel], now, labels, "count")
        )
        waits = responses.get(channel)
        if waits:
            mean = math.fsum(waits) / len(waits)
            samples.append(
                Sample("chatwoot.channel.first_response_s", round(mean, 3), now, labels, "s")
            )
    return samples


def new_per_hour(conversations: Iterable[Conversation], now: float) -> int:
    """Conversations created in the last hour."""
    return sum(1 for conv in conversations if now - 3600 <= conv.created_at <= now)


def recommended_agents(open_conversations: int) -> int:
    """Seed 000's capacity bands: agents recommended for this many open conversations.

    Under 50: 1; 50-100: 3 (the band says 2-3); 100-200: 5 (4-5 plus senior
    support); beyond 200 the seed says "scale workers, add agents": one agent
    per 40 open conversations, rounded up.
    """
    if open_conversations < 50:
        return 1
    if open_conversations <= 100:
        return 3
    if open_conversations <= 200:
        return 5
    return math.ceil(open_conversations / 40)

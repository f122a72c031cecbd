"""The alert engine: rules checked after each store write, alerts moved, notifications decided.

Whichever process runs the collectors (`wootwatch collect`, or a TUI with its
collectors in-process) hands every committed write to `AlertEngine.after_write`
(the scheduler's `after_write` hook), so both behave the same.

Contract:

* **What is a check.** A rule is checked once for every poll of a source
  that writes its series (a failed poll too: that check has no data). Each
  alert group of the rule (`group_by`) gets one `Tracker` observation. The
  sources the config names count even before any of their series is stored:
  a rule over a series a configured source should write, but never has, is
  checked as missing data for that source (`missing_data` decides), so a
  source that never answered fires its down and absence rules like one that
  stopped answering.
* **Where the state lives.** Alerts, transitions, severity and flapping
  changes, lapsed acks and notification decisions are written through an
  `AlertBook` in one durable transaction per write (see
  `collectors.alerts.book` for why that is a separate connection). The
  trackers (recent checks, flap history) live in memory and are rebuilt
  from the alert rows after a restart.
* **Rows first, memory after.** A round moves copies of the trackers it
  touches and keeps them only once its transaction has committed. When the
  commit fails (a full disk), memory stays as it was, the round's checks
  are kept (the newest `MAX_UNAPPLIED`) and fed again, before the new
  ones, at the next round; `after_write` logs the failure in one line.
  So a tracker never says `firing` without its row, and a notification
  goes out only for a committed change.
* **Notifications.** Decided inside the same transaction, from the rows
  (so an ack committed by another process counts at once):
  - `firing` once per firing episode, unless silenced or acknowledged;
  - `repeat` every `repeat_every` while firing and not acknowledged;
  - `ack_expired` when an ack is older than the rule's `ack_timeout` and the
    alert still fires: the ack lapses (as in PagerDuty), the alert notifies;
  - `escalated` when the severity rises above the last notified one, even
    when acknowledged (the ack lapses: a person acked a lesser alert);
  - `resolved` when a notified episode ends;
  - while flapping only `flapping_started` and `flapping_stopped`;
  - silences mute all of these (they never change states); a firing alert
    whose silence ends is notified then.
  Each decision is a `notify` event; the `Dispatcher` delivers them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

from collectors.alerts.alertmanager import AlertmanagerSink
from collectors.alerts.book import (
    AlertBook,
    AlertBookError,
    AlertRow,
    AlertWriter,
    NotifyRecord,
    Silence,
)
from collectors.alerts.evaluate import BatchView, GroupCheck, RuleEvaluator
from collectors.alerts.notify import (
    CommandSink,
    Dispatcher,
    Notification,
    NotifyConfig,
    Resender,
    Sink,
    SlackSink,
)
from collectors.alerts.rules import Rule
from collectors.alerts.state import AlertState, Change, Tracker
from collectors.base import SourceConfig
from collectors.series import by_name
from collectors.store.database import SourceBatch, Store
from collectors.store.schema import labels_key

if TYPE_CHECKING:
    import httpx

__all__ = ["AlertEngine", "RuleCheck", "build_sinks"]

log = logging.getLogger(__name__)

MAX_UNAPPLIED: Final = 100_000
"""Checks kept for the next round while alert writes fail; the oldest go beyond it."""
HISTORY: Final = 35 * 86400.0
"""Alerts that ended, their events and ended silences are kept this long."""
_PRUNE_EVERY: Final = 3600.0

_AlertKey = tuple[str, str]
"""Rule name and canonical labels: one alert identity."""


@dataclass(frozen=True, slots=True)
class RuleCheck:
    """One check of one group of one rule, at a time."""

    rule: Rule
    group: GroupCheck
    t: float


@dataclass(slots=True)
class _Round:
    """What one evaluation round changed, for the notification pass."""

    resolved: list[tuple[AlertRow, float, str]]
    """Alerts that resolved now, the start of the firing episode that ended, and why."""
    flapping: list[tuple[AlertRow, bool]]


class AlertEngine:
    """Checks rules after writes, keeps the alert rows, decides and dispatches notifications.

    Args:
        rules: the effective rules (defaults with the config applied).
        store: the store the collectors write to (read for values).
        book: the alert tables, opened read-write.
        dispatcher: where notifications go; None records decisions only.
        repeat_every: seconds between repeats of a firing, unacknowledged alert.
        clock: wall-clock time.
        sources: the configured sources, whose rules are checked before any of
            their series is stored.
    """

    def __init__(
        self,
        rules: Sequence[Rule],
        store: Store,
        book: AlertBook,
        *,
        dispatcher: Dispatcher | None = None,
        repeat_every: float | None = 3600.0,
        clock: Callable[[], float] = time.time,
        sources: Sequence[SourceConfig] = (),
    ) -> None:
        self.rules = [rule for rule in rules if rule.enabled]
        self._sources = {source.name: source for source in sources}
        self._watched_since: dict[str, float] = {}
        self._by_name = {rule.name: rule for rule in self.rules}
        self._store = store
        self.book = book
        """The alert tables this engine writes."""
        self.dispatcher = dispatcher
        self._repeat_every = repeat_every
        self._clock = clock
        self._trackers: dict[_AlertKey, Tracker] = {}
        self._unapplied: list[RuleCheck] = []
        """Checks of rounds whose transaction failed: fed again at the next round."""
        self._evaluator = RuleEvaluator()
        self._pruned_at = 0.0

    @classmethod
    async def open(
        cls,
        rules: Sequence[Rule],
        store: Store,
        notify: NotifyConfig | None = None,
        *,
        sinks: Sequence[Sink] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        sources: Sequence[SourceConfig] = (),
    ) -> AlertEngine:
        """An engine on the store's database, with the sinks `notify` asks for.

        Raises:
            AlertBookError: the alert tables cannot be opened.
        """
        notify = notify or NotifyConfig()
        book = await AlertBook.open(Path(store.path))
        chosen = (
            list(sinks)
            if sinks is not None
            else build_sinks(notify, transport=transport, database=Path(store.path))
        )
        dispatcher = Dispatcher(chosen, group_wait=notify.group_wait)
        engine = cls(
            rules,
            store,
            book,
            dispatcher=dispatcher,
            repeat_every=notify.repeat_every,
            clock=clock,
            sources=sources,
        )
        for sink in chosen:
            if isinstance(sink, Resender):
                sink.resend_from(engine.firing)
        return engine

    async def aclose(self) -> None:
        """Deliver pending notifications, then close the sinks and the alert connection."""
        if self.dispatcher is not None:
            await self.dispatcher.aclose()
        await self.book.close()

    # ------------------------------------------------------------------ checks

    async def after_write(self, batches: Sequence[SourceBatch]) -> list[Notification]:
        """Check the rules the written polls concern; apply and notify. The scheduler hook.

        A failed alert write is logged in one line (no traceback) and retried
        at the next call: see `apply`.
        """
        checks: list[RuleCheck] = []
        for batch in batches:
            view = BatchView(self._store, batch)
            t = batch.status.checked_at if batch.status is not None else self._clock()
            config = self._sources.get(batch.source)
            since = self._watched_since.setdefault(batch.source, t)
            for rule in self.rules:
                expected = config is not None and config.writes(rule.series)
                groups = await self._evaluator.check(
                    rule, view, batch.source, t, watched_since=since if expected else None
                )
                checks.extend(RuleCheck(rule, group, t) for group in groups)
        try:
            return await self.apply(checks)
        except AlertBookError as exc:
            log.error("%s (alert states kept as they were; retrying at the next write)", exc)
            return []

    async def apply(self, checks: Sequence[RuleCheck]) -> list[Notification]:
        """Feed checks to the trackers, write what changed, decide and dispatch notifications.

        One durable transaction; the notifications are returned (and submitted
        to the dispatcher) after it commits, and only then do the trackers
        move. The checks of an earlier round that failed go first.

        Raises:
            AlertBookError: the transaction failed; nothing in memory moved,
                and these checks are kept for the next call.
        """
        now = self._clock()
        checks = [*self._unapplied, *checks]
        staged: dict[_AlertKey, Tracker] = {}
        prune = now - self._pruned_at >= _PRUNE_EVERY
        try:
            async with self.book.transaction() as writer:
                alerts = {(a.rule, labels_key(a.labels)): a for a in await writer.visible(now)}
                changed = _Round([], [])
                for check in checks:
                    await self._observe(writer, alerts, check, changed, staged)
                notifications = await self._decide(writer, now, changed)
                pruned = await writer.prune(now - HISTORY) if prune else 0
        except AlertBookError:
            self._unapplied = checks[-MAX_UNAPPLIED:]
            raise
        self._unapplied = []
        self._trackers.update(staged)
        if prune:
            self._pruned_at = now
            if pruned:
                log.info("pruned %d alerts that ended over 35 days ago", pruned)
        if notifications and self.dispatcher is not None:
            self.dispatcher.submit(notifications)
        return notifications

    async def _observe(
        self,
        writer: AlertWriter,
        alerts: dict[_AlertKey, AlertRow],
        check: RuleCheck,
        changed: _Round,
        staged: dict[_AlertKey, Tracker],
    ) -> None:
        rule, group, t = check.rule, check.group, check.t
        key = (rule.name, labels_key(group.labels))
        alert = alerts.get(key)
        tracker = staged.get(key)
        if tracker is None:
            kept = self._trackers.get(key)
            tracker = kept.copy() if kept is not None else self._tracker_for(rule, alert)
            staged[key] = tracker
        for change in tracker.observe(t, group.breach):
            if change.kind == "flapping":
                if alert is not None and alert.flapping != change.flapping:
                    await writer.set_flapping(
                        alert.id,
                        flapping=change.flapping,
                        t=t,
                        state=alert.state,
                        percent=tracker.flap_percent,
                    )
                    alert = await self._reread(writer, alert.id)
                    changed.flapping.append((alert, change.flapping))
                continue
            alert = await self._transition(writer, alert, rule, group, change, tracker, changed)
            if alert.state is AlertState.OK:
                alerts.pop(key, None)
                alert = None
            else:
                alerts[key] = alert
        if alert is None or alert.state not in (AlertState.PENDING, AlertState.FIRING):
            return
        if group.value is not None and group.value != alert.value:
            await writer.set_value(alert.id, group.value)
        if group.breach and group.severity is not alert.severity:
            await writer.set_severity(
                alert.id, old=alert.severity, new=group.severity, t=t, value=group.value
            )
        if group.value != alert.value or group.severity is not alert.severity:
            alerts[key] = await self._reread(writer, alert.id)

    @staticmethod
    def _tracker_for(rule: Rule, alert: AlertRow | None) -> Tracker:
        if alert is None:
            return Tracker(rule.hold, rule.missing_data)
        return Tracker(
            rule.hold,
            rule.missing_data,
            state=alert.state,
            since=alert.updated_at,
            resolved_at=alert.resolved_at,
            flapping=alert.flapping,
        )

    async def _transition(
        self,
        writer: AlertWriter,
        alert: AlertRow | None,
        rule: Rule,
        group: GroupCheck,
        change: Change,
        tracker: Tracker,
        changed: _Round,
    ) -> AlertRow:
        if alert is None or change.from_state is AlertState.OK:
            alert_id = await writer.create(
                rule=rule.name,
                labels=group.labels,
                severity=group.severity,
                state=change.to_state,
                value=group.value,
                summary=rule.summary,
                t=change.t,
                flapping=tracker.flapping,
                reason=change.reason,
            )
            return await self._reread(writer, alert_id)
        episode_start = alert.updated_at
        await writer.transition(
            alert.id,
            from_state=change.from_state,
            to_state=change.to_state,
            t=change.t,
            value=group.value if group.value is not None else alert.value,
            resolved_at=tracker.resolved_at if change.to_state is AlertState.RESOLVED else None,
            reason=change.reason,
        )
        updated = await self._reread(writer, alert.id)
        if change.from_state is AlertState.FIRING and change.to_state is AlertState.RESOLVED:
            changed.resolved.append((updated, episode_start, change.reason))
        return updated

    @staticmethod
    async def _reread(writer: AlertWriter, alert_id: int) -> AlertRow:
        alert = await writer.get(alert_id)
        assert alert is not None  # written in this transaction
        return alert

    # ------------------------------------------------------------------ notifications

    async def _decide(self, writer: AlertWriter, now: float, changed: _Round) -> list[Notification]:
        visible = await writer.visible(now)
        silences = [s for s in await self.book.silences(now) if s.active_at(now)]
        ids = {a.id for a in visible} | {a.id for a, _, _ in changed.resolved}
        ids |= {a.id for a, _ in changed.flapping}
        notices = _Notices(self, writer, now, await self.book.last_notifications(ids))
        for alert, started in changed.flapping:
            if not _silenced(silences, alert):
                await notices.add(alert, "flapping_started" if started else "flapping_stopped")
        for alert, episode_start, reason in changed.resolved:
            previous = notices.last.get(alert.id)
            notified = previous is not None and previous.ts >= episode_start
            if notified and not alert.flapping and not _silenced(silences, alert):
                await notices.add(alert, "resolved", reason)
        for alert in visible:
            firing = alert.state is AlertState.FIRING and not alert.flapping
            if firing and not _silenced(silences, alert):
                await self._decide_firing(alert, notices)
        return notices.out

    async def _decide_firing(self, alert: AlertRow, notices: _Notices) -> None:
        rule = self._by_name.get(alert.rule)
        ack_timeout = rule.ack_timeout if rule is not None else 1800.0
        previous = notices.last.get(alert.id)
        in_episode = previous is not None and previous.ts >= alert.updated_at
        acked_at, now = alert.acknowledged_at, notices.now
        if acked_at is not None and now - acked_at >= ack_timeout:
            if await notices.writer.lapse_ack(alert, now, "still firing after the ack timeout"):
                who = alert.acknowledged_by or "someone"
                await notices.add(alert, "ack_expired", f"acknowledged by {who}; the ack lapsed")
            return
        if previous is None or not in_episode:
            if acked_at is None:
                await notices.add(alert, "firing")
            return
        if alert.severity.rank > previous.severity.rank:
            if acked_at is not None:
                await notices.writer.lapse_ack(alert, now, f"escalated to {alert.severity}")
            await notices.add(alert, "escalated")
            return
        if (
            acked_at is None
            and self._repeat_every is not None
            and now - previous.ts >= self._repeat_every
        ):
            await notices.add(alert, "repeat")

    def notification(self, alert: AlertRow, kind: str, now: float, note: str) -> Notification:
        """The notification of one alert, with its rule's runbook."""
        rule = self._by_name.get(alert.rule)
        return Notification(
            kind=kind,
            alert_id=alert.id,
            rule=alert.rule,
            severity=alert.severity,
            state=alert.state.value,
            value=alert.value,
            labels=dict(alert.labels),
            summary=alert.summary,
            runbook=rule.runbook if rule is not None else "",
            since=alert.updated_at,
            ts=now,
            note=note,
            unit=_value_unit(rule),
            rule_labels=dict(rule.labels) if rule is not None else {},
        )

    async def firing(self) -> list[Notification]:
        """The alerts firing now and not silenced, as `firing` notifications (for re-sending).

        Read inside the book's transaction, so a round's uncommitted rows are never seen.
        """
        now = self._clock()
        async with self.book.transaction() as writer:
            silences = [s for s in await self.book.silences(now) if s.active_at(now)]
            visible = await writer.visible(now)
        return [
            self.notification(alert, "firing", now, "")
            for alert in visible
            if alert.state is AlertState.FIRING and not _silenced(silences, alert)
        ]


@dataclass(slots=True)
class _Notices:
    """The notifications of one round, recorded as they are decided."""

    engine: AlertEngine
    writer: AlertWriter
    now: float
    last: dict[int, NotifyRecord]
    out: list[Notification] = field(default_factory=list)

    async def add(self, alert: AlertRow, kind: str, note: str = "") -> None:
        self.last[alert.id] = await self.writer.notified(
            alert, t=self.now, kind=kind, severity=alert.severity
        )
        self.out.append(self.engine.notification(alert, kind, self.now, note))


def _silenced(silences: Sequence[Silence], alert: AlertRow) -> bool:
    return any(s.matches(alert.rule, alert.labels) for s in silences)


def _value_unit(rule: Rule | None) -> str:
    """The unit of a rule's alert value: its series' unit, none for a ratio or an absence."""
    if rule is None or rule.condition.type in ("ratio", "absent"):
        return ""
    spec = by_name().get(rule.series)
    return spec.unit if spec is not None else ""


def build_sinks(
    config: NotifyConfig,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    database: Path | None = None,
) -> list[Sink]:
    """The Slack, Alertmanager and command sinks a config asks for (the bell is a `BellWatcher`).

    A command hook is told the `database` in `$WOOTWATCH_DB`.
    """
    sinks: list[Sink] = []
    if config.slack is not None:
        sinks.append(SlackSink(config.slack, transport=transport))
    if config.alertmanager is not None:
        sinks.append(AlertmanagerSink(config.alertmanager, transport=transport))
    if config.command is not None:
        sinks.append(CommandSink(config.command, database=database))
    return sinks

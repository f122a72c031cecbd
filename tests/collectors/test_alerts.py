"""The alert state machine, and the engine on a real database: transitions, acks,
silences, flapping, notifications, and other processes seeing (and surviving) acks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from collectors.alerts.book import AlertBook, AlertBookError
from collectors.alerts.engine import AlertEngine
from collectors.alerts.notify import Notification
from collectors.alerts.rules import Hold, MissingData, Rule, effective_rules
from collectors.alerts.state import REOPEN_WINDOW, AlertState, Tracker, flap_percent
from collectors.alerts.terms import Severity
from collectors.base import Sample, SourceConfig, SourceState, SourceStatus
from collectors.chatwoot.config import ChatwootConfig
from collectors.scheduler import Scheduler
from collectors.sidekiq import SidekiqConfig
from collectors.store.database import SourceBatch, Store

OK, PENDING, FIRING, RESOLVED = (
    AlertState.OK,
    AlertState.PENDING,
    AlertState.FIRING,
    AlertState.RESOLVED,
)


def states(
    tracker: Tracker, checks: list[bool | None], start: float = 0.0, step: float = 10.0
) -> list[AlertState]:
    seen = []
    for index, breach in enumerate(checks):
        tracker.observe(start + index * step, breach)
        seen.append(tracker.state)
    return seen


# --------------------------------------------------------------------------- the tracker


def test_ok_pending_firing_resolved() -> None:
    tracker = Tracker(Hold(checks=3), MissingData.MISSING)
    changes = []
    for t, breach in enumerate([True, True, True, True, False]):
        changes += tracker.observe(t * 10.0, breach)
    assert [(c.from_state, c.to_state) for c in changes] == [
        (OK, PENDING),
        (PENDING, FIRING),
        (FIRING, RESOLVED),
    ]
    assert tracker.resolved_at == 40.0


def test_one_check_fires_at_once_and_pending_falls_back_to_ok() -> None:
    assert states(Tracker(Hold(), MissingData.MISSING), [True, False]) == [FIRING, RESOLVED]
    assert states(Tracker(Hold(checks=3), MissingData.MISSING), [True, True, False]) == [
        PENDING,
        PENDING,
        OK,
    ]


def test_m_of_n_checks() -> None:
    tracker = Tracker(Hold(checks=3, of=5), MissingData.MISSING)
    seen = states(tracker, [True, False, True, False, True, True, False, False, False])
    assert seen == [PENDING] * 4 + [FIRING] * 3 + [RESOLVED] * 2  # resolves below 3 of 5


def test_duration_hold() -> None:
    tracker = Tracker(Hold(seconds=120), MissingData.MISSING)
    seen = states(tracker, [True] * 14, step=10.0)
    assert seen[:12] == [PENDING] * 12 and seen[12] is FIRING  # 120 s after the first breach
    assert states(Tracker(Hold(seconds=120), MissingData.MISSING), [True] * 5 + [False]) == [
        PENDING
    ] * 5 + [OK]


def test_resolved_reopens_within_15_minutes_and_is_new_after() -> None:
    tracker = Tracker(Hold(), MissingData.MISSING)
    tracker.observe(0, True)
    tracker.observe(10, False)
    (reopen,) = tracker.observe(10 + REOPEN_WINDOW - 1, True)
    assert (reopen.from_state, reopen.to_state) == (RESOLVED, FIRING)  # the same alert
    tracker.observe(REOPEN_WINDOW + 20, False)
    (new,) = tracker.observe(2 * REOPEN_WINDOW + 30, True)
    assert (new.from_state, new.to_state) == (OK, FIRING)  # closed: a new alert


def test_pending_after_resolved_falls_back_to_resolved() -> None:
    tracker = Tracker(Hold(checks=2), MissingData.MISSING)
    states(tracker, [True, True, False])
    assert states(tracker, [True, False], start=100) == [PENDING, RESOLVED]
    assert tracker.resolved_at == 20.0  # kept from the first resolution


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (MissingData.OK, [FIRING, RESOLVED, RESOLVED, RESOLVED, RESOLVED]),
        (MissingData.BREACHING, [FIRING, FIRING, FIRING, FIRING, FIRING]),
        (MissingData.KEEP, [FIRING, FIRING, FIRING, FIRING, FIRING]),
        (MissingData.MISSING, [FIRING, FIRING, FIRING, RESOLVED, RESOLVED]),
    ],
)
def test_missing_data_treatments(policy: MissingData, expected: list[AlertState]) -> None:
    tracker = Tracker(Hold(checks=1), policy)
    assert states(tracker, [True, None, None, None, None]) == expected


def test_missing_data_keeps_pending_counting_only_real_checks() -> None:
    tracker = Tracker(Hold(checks=3), MissingData.MISSING)
    assert states(tracker, [True, None, True, None, True]) == [PENDING] * 4 + [FIRING]


def test_missing_data_ends_an_alert_after_the_hold_and_three_checks() -> None:
    tracker = Tracker(Hold(checks=5), MissingData.MISSING)
    states(tracker, [True] * 5)
    changes = []
    for t in range(5):
        changes += tracker.observe(100.0 + t, None)
    assert [(c.to_state, c.reason) for c in changes] == [(RESOLVED, "no data")]


def test_keep_never_changes_anything() -> None:
    tracker = Tracker(Hold(checks=2), MissingData.KEEP)
    states(tracker, [True])
    assert states(tracker, [None] * 50, start=100) == [PENDING] * 50


def test_flapping_starts_at_50_and_stops_below_25_percent() -> None:
    tracker = Tracker(Hold(), MissingData.MISSING)
    flaps = []
    for t in range(30):
        flaps += [c for c in tracker.observe(float(t), t % 2 == 0) if c.kind == "flapping"]
        if tracker.flapping:
            break
    assert [c.flapping for c in flaps] == [True]
    assert tracker.flap_percent >= 50
    stopped_at = None
    for t in range(30, 80):
        for change in tracker.observe(float(t), False):
            if change.kind == "flapping":
                stopped_at = t
                assert change.flapping is False
        if stopped_at:
            break
    assert stopped_at is not None and tracker.flap_percent < 25


def test_flap_percent_weights_recent_changes_more() -> None:
    old_change = [True] + [False] * 20
    new_change = [False] * 20 + [True]
    assert flap_percent(old_change) < flap_percent(new_change)
    assert flap_percent([True, False] * 11) == pytest.approx(100)
    assert flap_percent([True] * 21) == 0


# --------------------------------------------------------------------------- the engine


class Clock:
    def __init__(self) -> None:
        self.now = time.time() - 3 * 3600

    def __call__(self) -> float:
        return self.now


class Harness:
    """A store, an engine and a clock: `poll(value)` is one poll of source `api`."""

    def __init__(self, store: Store, engine: AlertEngine, clock: Clock) -> None:
        self.store, self.engine, self.clock = store, engine, clock
        self.sent: list[Notification] = []

    async def poll(
        self, value: float | None, *, step: float = 10.0, labels: dict[str, str] | None = None
    ) -> list[Notification]:
        self.clock.now += step
        t = self.clock.now
        samples = [] if value is None else [Sample("api.latency", value, t, labels or {})]
        state = SourceState.OK if value is not None else SourceState.STALE
        status = SourceStatus("api", state, t, t if value is not None else None)
        batch = SourceBatch("api", samples, status)
        await self.store.write([batch])
        notes = await self.engine.after_write([batch])
        self.sent += notes
        return notes

    def kinds(self) -> list[str]:
        return [n.kind for n in self.sent]


def make_rule(**fields: object) -> Rule:
    base = {
        "name": "api_slow",
        "series": "api.latency",
        "condition": {"value": 100},
        "summary": "API slow",
        "runbook": "https://runbooks.example.com/api",
    }
    return Rule.model_validate({**base, **fields})


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "alerts.db")
    yield opened
    await opened.close()


async def harness_for(store: Store, rule: Rule, *, repeat_every: float | None = 3600.0) -> Harness:
    clock = Clock()
    book = await AlertBook.open(store.path)
    engine = AlertEngine([rule], store, book, repeat_every=repeat_every, clock=clock)
    return Harness(store, engine, clock)


@pytest.fixture
async def h(store: Store):
    harness = await harness_for(store, make_rule(**{"for": "2 checks"}))
    yield harness
    await harness.engine.aclose()


async def test_transitions_are_rows_and_firing_notifies_once(h: Harness) -> None:
    assert await h.poll(150) == []  # pending
    (fired,) = await h.poll(160)
    assert (fired.kind, fired.severity, fired.state, fired.value) == (
        "firing",
        "warning",
        "firing",
        160,
    )
    assert fired.runbook == "https://runbooks.example.com/api" and fired.labels == {"source": "api"}
    assert await h.poll(170) == [] and await h.poll(180) == []
    (resolved,) = await h.poll(50)
    assert resolved.kind == "resolved"
    events = await h.engine.book.events(fired.alert_id)
    transitions = [(e.from_state, e.to_state) for e in events if e.kind == "transition"]
    assert transitions == [("ok", "pending"), ("pending", "firing"), ("firing", "resolved")]
    assert [e.kind for e in events].count("notify") == 2
    (alert,) = await h.engine.book.visible(h.clock.now)
    assert (alert.state, alert.value, alert.resolved_at) == (RESOLVED, 50, h.clock.now)


async def test_a_pending_alert_that_never_fires_is_not_notified(h: Harness) -> None:
    await h.poll(150)
    await h.poll(50)
    assert h.sent == []
    assert await h.engine.book.visible(h.clock.now) == []  # back to ok: not shown


async def test_resolved_stays_the_same_alert_for_15_minutes(h: Harness) -> None:
    await h.poll(150)
    (first,) = await h.poll(150)
    await h.poll(50)
    await h.poll(150, step=300)
    (again,) = await h.poll(150)
    assert again.alert_id == first.alert_id and again.kind == "firing"
    await h.poll(50)
    await h.poll(150, step=REOPEN_WINDOW + 60)
    (new,) = await h.poll(150)
    assert new.alert_id != first.alert_id


async def test_repeats_while_firing_and_unacknowledged(h: Harness) -> None:
    await h.poll(150)
    await h.poll(150)
    await h.poll(150, step=1800)
    assert h.kinds() == ["firing"]
    await h.poll(150, step=1801)
    assert h.kinds() == ["firing", "repeat"]


async def test_ack_mutes_repeats_and_lapses_after_the_ack_timeout(h: Harness) -> None:
    await h.poll(150)
    (fired,) = await h.poll(150)
    async with await AlertBook.open(
        h.store.path
    ) as other:  # another connection, like `wootwatch ack`
        acked = await other.acknowledge(fired.alert_id, "alice", "looking", h.clock.now)
    assert (acked.acknowledged_by, acked.ack_note) == ("alice", "looking")
    await h.poll(150, step=1700)  # 28 min after the ack: still muted
    assert h.kinds() == ["firing"]
    (lapsed,) = await h.poll(150, step=200)  # 31 min: the ack lapses, the alert notifies
    assert lapsed.kind == "ack_expired" and "alice" in lapsed.note
    alert = await h.engine.book.get(fired.alert_id)
    assert alert is not None and alert.acknowledged_by is None
    kinds = [e.kind for e in await h.engine.book.events(fired.alert_id)]
    assert kinds.count("ack") == 1 and kinds.count("ack_expired") == 1


async def test_escalation_notifies_even_when_acknowledged(store: Store) -> None:
    h = await harness_for(store, make_rule(escalate=[{"severity": "critical", "value": 500}]))
    try:
        (fired,) = await h.poll(150)
        await h.engine.book.acknowledge(fired.alert_id, "bob", None, h.clock.now)
        assert await h.poll(200) == []
        (escalated,) = await h.poll(900)
        assert (escalated.kind, escalated.severity) == ("escalated", "critical")
        alert = await h.engine.book.get(fired.alert_id)
        assert alert is not None and alert.severity == "critical" and alert.acknowledged_by is None
        assert await h.poll(300) == []  # back to warning: a change, but not one to page for
        alert = await h.engine.book.get(fired.alert_id)
        assert alert is not None and alert.severity == "warning"
    finally:
        await h.engine.aclose()


async def test_silence_mutes_notifications_only_and_its_end_notifies(h: Harness) -> None:
    await h.engine.book.add_silence(
        {"rule": "api_slow"},
        starts_at=h.clock.now,
        ends_at=h.clock.now + 60,
        created_by="carol",
        comment="deploy",
        now=h.clock.now,
    )
    await h.poll(150)
    await h.poll(150)
    (alert,) = await h.engine.book.visible(h.clock.now)
    assert alert.state is FIRING and h.sent == []  # states move; nobody is told
    (late,) = await h.poll(150, step=50)  # the silence has ended
    assert late.kind == "firing"


async def test_silence_matches_labels(store: Store) -> None:
    h = await harness_for(store, make_rule(group_by=["endpoint"]))
    try:
        await h.engine.book.add_silence(
            {"endpoint": "reports"},
            starts_at=h.clock.now,
            ends_at=h.clock.now + 3600,
            created_by="dan",
            comment="known slow",
            now=h.clock.now,
        )
        await h.poll(900, labels={"endpoint": "reports"})
        await h.poll(900, labels={"endpoint": "health"})
        assert [n.labels["endpoint"] for n in h.sent] == ["health"]
    finally:
        await h.engine.aclose()


async def test_flapping_notifies_only_its_start_and_end(store: Store) -> None:
    h = await harness_for(store, make_rule())
    try:
        for index in range(24):
            await h.poll(150 if index % 2 == 0 else 50)
        started = h.kinds().index("flapping_started")
        assert set(h.kinds()[:started]) == {"firing", "resolved"}
        assert h.kinds()[started + 1 :] == []  # toggling on, quietly
        (alert,) = await h.engine.book.visible(h.clock.now)
        assert alert.flapping
        for _ in range(30):
            await h.poll(50)
        assert h.kinds()[started + 1 :] == ["flapping_stopped"]
        events = await h.engine.book.events(alert.id)
        assert [e.kind for e in events].count("flapping") == 2
    finally:
        await h.engine.aclose()


async def test_a_restarted_engine_does_not_notify_again(store: Store) -> None:
    h = await harness_for(store, make_rule())
    (fired,) = await h.poll(150)
    await h.engine.aclose()
    again = await harness_for(store, make_rule())
    again.clock.now = h.clock.now
    try:
        assert await again.poll(150) == []
        (resolved,) = await again.poll(50)
        assert resolved.alert_id == fired.alert_id and resolved.kind == "resolved"
    finally:
        await again.engine.aclose()


async def test_a_failed_poll_is_missing_data(store: Store) -> None:
    h = await harness_for(store, make_rule(missing_data="breaching", **{"for": "3 checks"}))
    try:
        await h.poll(50)
        await h.poll(None)
        await h.poll(None)
        (fired,) = await h.poll(None)
        assert fired.kind == "firing" and fired.value is None  # no data: no value
    finally:
        await h.engine.aclose()


async def test_ack_only_while_firing(h: Harness) -> None:
    await h.poll(150)
    (pending,) = await h.engine.book.visible(h.clock.now)
    with pytest.raises(AlertBookError, match="is pending, not firing"):
        await h.engine.book.acknowledge(pending.id, "erin", None, h.clock.now)
    with pytest.raises(AlertBookError, match="no alert 999"):
        await h.engine.book.acknowledge(999, "erin", None, h.clock.now)


async def test_silence_needs_a_comment_and_a_future_end(h: Harness) -> None:
    with pytest.raises(AlertBookError, match="comment"):
        await h.engine.book.add_silence(
            {"rule": "x"}, starts_at=0, ends_at=1e12, created_by="f", comment=" ", now=1
        )
    with pytest.raises(AlertBookError, match="end after"):
        await h.engine.book.add_silence(
            {"rule": "x"}, starts_at=5, ends_at=4, created_by="f", comment="c", now=1
        )


# --------------------------------------------------------------------------- other processes

ACK_AND_WAIT = textwrap.dedent(
    """
    import asyncio, sys, time
    from collectors.alerts.book import AlertBook

    async def main() -> None:
        book = await AlertBook.open(sys.argv[1])
        await book.acknowledge(int(sys.argv[2]), "grace", "on it", time.time())
        print("acked", flush=True)
        await asyncio.sleep(3600)  # killed here, connection still open

    asyncio.run(main())
    """
)


async def _firing_alert(store: Store) -> int:
    """A firing alert written by a writer that keeps the store's writer lock."""
    h = await harness_for(store, make_rule())
    (fired,) = await h.poll(150)
    await h.engine.book.close()
    return fired.alert_id


async def test_an_ack_in_one_process_is_seen_by_another_at_its_next_read(store: Store) -> None:
    alert_id = await _firing_alert(store)
    async with await AlertBook.open(store.path, readonly=True) as viewer:  # a second TUI
        before = await viewer.get(alert_id)
        assert before is not None and before.acknowledged_by is None
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                ACK_AND_WAIT.replace("await asyncio.sleep(3600)", "pass"),
                str(store.path),
                str(alert_id),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.stdout.strip() == "acked", result.stderr
        after = await viewer.get(alert_id)
        assert after is not None and (after.acknowledged_by, after.ack_note) == ("grace", "on it")


async def test_kill_9_right_after_an_ack_loses_nothing(store: Store) -> None:
    """The writer (this process) keeps the store open, as `wootwatch collect` would."""
    alert_id = await _firing_alert(store)
    process = subprocess.Popen(
        [sys.executable, "-c", ACK_AND_WAIT, str(store.path), str(alert_id)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "acked"
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    async with await AlertBook.open(store.path, readonly=True) as fresh:
        alert = await fresh.get(alert_id)
        assert alert is not None and alert.acknowledged_by == "grace"
        events = await fresh.events(alert_id)
        assert [(e.kind, e.actor, e.note) for e in events if e.kind == "ack"] == [
            ("ack", "grace", "on it")
        ]


async def test_an_alert_that_loses_its_data_resolves_saying_so(store: Store) -> None:
    h = await harness_for(store, make_rule())
    try:
        await h.poll(150)
        for _ in range(3):
            await h.poll(None)
        assert [(n.kind, n.note) for n in h.sent] == [("firing", ""), ("resolved", "no data")]
    finally:
        await h.engine.aclose()


async def test_alerts_that_ended_long_ago_are_pruned(store: Store) -> None:
    h = await harness_for(store, make_rule())
    try:
        (fired,) = await h.poll(150)
        await h.poll(50)
        await h.poll(50, step=36 * 86400)
        assert await h.engine.book.get(fired.alert_id) is None
        assert await h.engine.book.events(fired.alert_id) == []
    finally:
        await h.engine.aclose()


# --------------------------------------------------------------------------- configured sources


def refused_port() -> int:
    """A port on 127.0.0.1 nothing listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def poll_rounds(
    store: Store, sources: list[SourceConfig], rules: list[Rule], rounds: int, *, step: float = 30
) -> list[list[tuple[str, str, str]]]:
    """Poll the real collectors `rounds` times; after each, the visible alerts."""
    clock = Clock()
    engine = await AlertEngine.open(rules, store, sinks=[], clock=clock, sources=sources)
    scheduler = Scheduler(sources, store, clock=clock, after_write=engine.after_write)
    seen = []
    try:
        for _ in range(rounds):
            await scheduler.run_once()
            rows = await engine.book.visible(clock.now)
            seen.append(sorted((a.rule, a.state.value, a.severity.value) for a in rows))
            clock.now += step
    finally:
        await scheduler.aclose()
        await engine.aclose()
    return seen


async def test_a_chatwoot_refusing_from_the_first_poll_fires_api_down_at_the_third(
    store: Store,
) -> None:
    """Issue 13: a wrong URL, or started mid-outage: it pages like an outage that began later."""
    chatwoot = ChatwootConfig(
        name="chatwoot", base_url=f"http://127.0.0.1:{refused_port()}", api_token="t0k"
    )
    seen = await poll_rounds(store, [chatwoot], effective_rules(), 3)
    assert ("chatwoot_api_down", "pending", "critical") in seen[1]
    assert ("chatwoot_api_down", "firing", "critical") in seen[2]
    assert ("source_down", "firing", "error") in seen[2]
    assert ("chatwoot_data_missing", "firing", "error") in seen[2]  # the source is down


async def test_rules_over_series_a_source_never_wrote_follow_their_missing_data(
    store: Store,
) -> None:
    """Issue 13: a configured source's rules run before any of its series is stored."""
    sidekiq = SidekiqConfig(name="jobs", redis_url=f"redis://127.0.0.1:{refused_port()}/0")
    rules = [
        *[r for r in effective_rules() if r.name == "source_down"],
        make_rule(name="busy_unknown", series="sidekiq.busy", missing_data="breaching"),
        make_rule(name="queue_big", series="sidekiq.queue.size", missing_data="missing"),
        make_rule(name="queue_quiet", series="sidekiq.queue.size", condition={"type": "absent"}),
        make_rule(name="api_slow", series="chatwoot.api.latency_ms", missing_data="breaching"),
    ]
    seen = await poll_rounds(store, [sidekiq], rules, 3)
    assert seen[0] == [  # breaching: one check fires
        ("busy_unknown", "firing", "warning"),
        ("source_down", "pending", "error"),
    ]
    assert seen[2] == [
        ("busy_unknown", "firing", "warning"),
        ("queue_quiet", "firing", "warning"),  # absent: the source is down
        ("source_down", "firing", "error"),
    ]  # no alert for a missing-data rule, nor for a Chatwoot series this source never writes


async def test_the_book_and_the_engines_writer_list_visible_alerts_alike(tmp_path: Path) -> None:
    """Issue 15: the two readers of visible alerts had drifted to two sort orders."""
    db = tmp_path / "book.db"
    async with await Store.open(db):
        pass
    t = 1_800_000_000.0
    alerts = [
        ("a", Severity.WARNING, AlertState.FIRING, t),
        ("b", Severity.CRITICAL, AlertState.PENDING, t + 1),
        ("c", Severity.ERROR, AlertState.FIRING, t + 2),
        ("d", Severity.CRITICAL, AlertState.FIRING, t + 3),
    ]
    async with await AlertBook.open(db) as book:
        async with book.transaction() as writer:
            for rule, severity, state, at in alerts:
                await writer.create(
                    rule=rule,
                    labels={},
                    severity=severity,
                    state=state,
                    value=1.0,
                    summary=rule,
                    t=at,
                    flapping=False,
                )
            in_transaction = await writer.visible(t + 10)
            one = await writer.get(2)
        read = await book.visible(t + 10)
        assert [a.rule for a in read] == ["d", "c", "a", "b"]  # firing, most severe first
        assert in_transaction == read
        assert one == await book.get(2)

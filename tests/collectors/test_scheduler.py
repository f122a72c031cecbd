from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import ClassVar, Literal

import pytest
from _fake_time import FakeTime

from collectors.base import SOURCE_UP, Record, Sample, SourceConfig, SourceError, SourceState
from collectors.poll_failure import describe_failure
from collectors.scheduler import BackoffPolicy, Scheduler
from collectors.store.database import SourceBatch, Store
from collectors.store.query import scalar


class FakeConfig(SourceConfig):
    type: Literal["fake"] = "fake"


class FakeCollector:
    """A source whose behaviour each test scripts: values, failures or a hang."""

    config_model: ClassVar[type[SourceConfig]] = FakeConfig

    def __init__(self, name: str, behave: Callable[[int], object]) -> None:
        self.name = name
        self.behave = behave
        self.calls: list[float] = []
        self.closed = False

    @property
    def notes(self) -> str | None:
        return None

    async def collect(self) -> list[Record]:
        self.calls.append(time.monotonic())
        outcome = self.behave(len(self.calls))
        if isinstance(outcome, BaseException):
            raise outcome
        if outcome == "hang":
            await asyncio.sleep(3600)
        if isinstance(outcome, list):
            return outcome
        return [Sample(f"{self.name}.value", float(len(self.calls)), time.time())]

    async def aclose(self) -> None:
        self.closed = True


def config(name: str, interval: str = "50ms", timeout: str | None = None) -> FakeConfig:
    return FakeConfig.model_validate({"name": name, "interval": interval, "timeout": timeout})


@pytest.fixture
async def store(tmp_path: Path):
    opened = await Store.open(tmp_path / "s.db")
    yield opened
    await opened.close()


def scheduler_for(
    store: Store, collectors: dict[str, FakeCollector], *configs: FakeConfig
) -> Scheduler:
    return Scheduler(
        configs,
        store,
        make_collector=lambda c: collectors[c.name],
        rng=random.Random(3),
    )


async def test_a_hanging_source_does_not_delay_the_others(store: Store) -> None:
    hanging = FakeCollector("hang", lambda n: "hang")
    fast = FakeCollector("fast", lambda n: None)
    scheduler = scheduler_for(
        store,
        {"hang": hanging, "fast": fast},
        config("hang", interval="10s", timeout="600ms"),
        config("fast", interval="50ms"),
    )
    task = asyncio.create_task(scheduler.run())
    await asyncio.sleep(0.5)
    polls_while_hanging = len(fast.calls)
    await asyncio.sleep(0.5)
    scheduler.stop()
    await task
    # The fast source kept its cadence while the other poll hung, then timed out.
    assert polls_while_hanging >= 5
    assert len(hanging.calls) == 1
    statuses = await store.source_statuses()
    assert statuses["hang"].state is SourceState.STALE
    assert statuses["hang"].last_error == "no answer within 600ms"
    assert statuses["fast"].state is SourceState.OK
    assert hanging.closed and fast.closed


async def test_states_go_stale_then_down_then_recover(store: Store) -> None:
    script = {
        1: SourceError("HTTP 503 from /api"),
        2: SourceError("HTTP 503 from /api"),
        3: SourceError("connection refused"),
    }
    flaky = FakeCollector("api", lambda n: script.get(n))
    scheduler = scheduler_for(store, {"api": flaky}, config("api"))
    seen = []
    for _ in range(4):
        statuses = await scheduler.run_once()
        status = statuses["api"]
        seen.append((status.state, status.consecutive_failures, status.last_error))
    assert seen == [
        (SourceState.STALE, 1, "HTTP 503 from /api"),
        (SourceState.STALE, 2, "HTTP 503 from /api"),
        (SourceState.DOWN, 3, "connection refused"),
        (SourceState.OK, 0, None),
    ]
    stored = (await store.source_statuses())["api"]
    assert stored.state is SourceState.OK and stored.last_success is not None
    # History keeps changes of state or error, not every poll.
    history = await store.status_history("api", 0)
    assert [(h.state, h.last_error) for h in history] == [
        (SourceState.STALE, "HTTP 503 from /api"),
        (SourceState.DOWN, "connection refused"),
        (SourceState.OK, None),
    ]


async def test_last_values_survive_a_failing_poll(store: Store) -> None:
    source = FakeCollector("api", lambda n: SourceError("timeout") if n == 2 else None)
    scheduler = scheduler_for(store, {"api": source}, config("api"))
    await scheduler.run_once()
    await scheduler.run_once()
    (series,) = await store.series("api.value")
    assert series.last_value == 1.0


async def test_a_failing_source_keeps_its_interval(store: Store) -> None:
    """Issue 13: a failing upstream is polled as often as a healthy one, not 4, 8, 16 s apart."""
    clock = FakeTime(1_700_000_000.0)
    failing = FakeCollector("down", lambda n: SourceError("HTTP 500 from /api"))
    healthy = FakeCollector("up", lambda n: None)
    polled: dict[str, list[float]] = {"down": [], "up": []}

    async def record(batches: Sequence[SourceBatch]) -> None:
        for batch in batches:
            polled[batch.source] += [
                r.ts for r in batch.records if isinstance(r, Sample) and r.series == SOURCE_UP
            ]

    scheduler = Scheduler(
        [config("down", interval="30s"), config("up", interval="30s")],
        store,
        make_collector=lambda c: {"down": failing, "up": healthy}[c.name],
        policy=BackoffPolicy(jitter=0.0),
        rng=random.Random(3),
        after_write=record,
        **clock.for_scheduler(),
    )
    await clock.run(scheduler, 600, sleepers=2)
    gaps = {
        name: {round(b - a, 6) for a, b in itertools.pairwise(ts)} for name, ts in polled.items()
    }
    assert gaps == {"down": {30.0}, "up": {30.0}}
    assert len(polled["down"]) == len(polled["up"]) == 20
    assert scheduler.statuses["down"].consecutive_failures == 20


def test_the_next_poll_waits_longer_only_when_the_upstream_asks() -> None:
    """A 429's Retry-After or a refused token's wait is the hint; otherwise the interval."""
    policy = BackoffPolicy(jitter=0.0)
    rng = random.Random(0)
    source = config("api", interval="30s")
    assert policy.next_delay(source, rng, hint=None) == 30.0
    assert policy.next_delay(source, rng, hint=900.0) == 900.0


async def test_every_poll_writes_its_outcome_at_once(store: Store) -> None:
    """Issue 13: a failed poll's up=0 and its own checks are stored by that poll, at its time."""
    t = time.time() // 3600 * 3600  # recent: the ring keeps it
    clock = FakeTime(t)

    def behave(n: int) -> object:
        if n == 1:
            return [Sample("api.value", 5.0, clock.now)]
        return SourceError(
            "api: cannot connect", records=[Sample("api.status_code", 0.0, clock.now)]
        )

    source = FakeCollector("api", behave)
    scheduler = Scheduler(
        [config("api", interval="30s")], store, make_collector=lambda c: source, clock=clock
    )
    for _ in range(4):
        await scheduler.run_once()
        clock.now += 30
    (up,) = await store.series(SOURCE_UP, source="api")
    (code,) = await store.series("api.status_code", source="api")
    assert (up.last_ts, up.last_value) == (t + 90, 0.0)
    assert (code.last_ts, code.last_value) == (t + 90, 0.0)
    stats = await store.window_stats([up], t, t + 120)
    assert (stats.count, stats.mean) == (4, 0.25)
    status = (await store.source_statuses())["api"]
    assert status.last_error == "api: cannot connect"


def test_jitter_stays_within_its_fraction() -> None:
    policy = BackoffPolicy(jitter=0.1)
    rng = random.Random(5)
    source = config("api", interval="10s")
    delays = [policy.next_delay(source, rng, hint=None) for _ in range(200)]
    assert all(9.0 <= d <= 11.0 for d in delays)
    assert max(delays) - min(delays) > 1.0  # it does spread the polls


def scheduler_status(name: str):
    from collectors.base import SourceStatus

    return SourceStatus(name, SourceState.OK, 0.0, last_success=0.0)


async def test_an_auth_failure_can_ask_for_a_long_wait(store: Store) -> None:
    locked = FakeCollector(
        "api", lambda n: SourceError("auth failed: Invalid Access Token", retry_after=600)
    )
    scheduler = scheduler_for(store, {"api": locked}, config("api"))
    task = asyncio.create_task(scheduler.run())
    await asyncio.sleep(0.4)
    scheduler.stop()
    await task
    assert len(locked.calls) == 1
    assert (await store.source_statuses())["api"].last_error == "auth failed: Invalid Access Token"


def test_failures_are_described_in_one_safe_line() -> None:
    assert describe_failure(SourceError("HTTP 401: Invalid Access Token"), 10) == (
        "HTTP 401: Invalid Access Token"
    )
    assert describe_failure(TimeoutError(), 90) == "no answer within 1m30s"
    assert describe_failure(ValueError("bad\n  File x.py, line 3"), 10) == "ValueError: bad"
    assert describe_failure(KeyError(), 10) == "KeyError"
    long = describe_failure(SourceError("x" * 500), 10)
    assert len(long) == 200 and long.endswith("…")


async def test_stopping_flushes_what_was_collected(store: Store) -> None:
    source = FakeCollector("api", lambda n: None)
    scheduler = scheduler_for(store, {"api": source}, config("api", interval="10s"))
    task = asyncio.create_task(scheduler.run())
    while not source.calls:
        await asyncio.sleep(0.01)
    scheduler.stop()
    await task
    assert [s.last_value for s in await store.series("api.value")] == [1.0]
    assert source.closed


async def test_a_stop_during_a_long_backlog_waits_for_the_flush_timeout_not_the_backlog(
    store: Store,
) -> None:
    """Ctrl-C while the first polls' backfill is queued: the writer stops between chunks
    and the final flush, bounded by its timeout (none here), decides what is written."""
    names = [f"part{i}" for i in range(10)]
    sources = {
        name: FakeCollector(
            name, lambda n, name=name: [Sample(f"{name}.value", 1.0, time.time())] * 500
        )
        for name in names
    }
    chunks: list[list[str]] = []

    async def stop_after_the_first_chunk(batches: Sequence[SourceBatch]) -> None:
        chunks.append([batch.source for batch in batches])
        scheduler.stop()

    async def start_at_once(seconds: float) -> None:
        await asyncio.sleep(0 if seconds < 1 else seconds)  # the start's spread, not the hour

    scheduler = Scheduler(
        [config(name, interval="1h") for name in names],
        store,
        make_collector=lambda c: sources[c.name],
        sleep=start_at_once,
        after_write=stop_after_the_first_chunk,
        write_chunk=500,
        flush_timeout=0.0,
    )
    lost = await scheduler.run()
    assert len(chunks) == 1 and len(chunks[0]) == 1
    assert lost == 9 * 501  # each poll's 500 samples and its status; said on stderr
    written = [s for name in names for s in await store.series(f"{name}.value")]
    assert len(written) == 1


async def test_writes_refused_by_a_full_disk_are_kept_and_retried(store: Store) -> None:
    def many(n: int) -> list[Record]:
        return [Sample("api.value", float(i), time.time()) for i in range(3000)]

    source = FakeCollector("api", many)
    scheduler = scheduler_for(store, {"api": source}, config("api"))
    await scheduler.run_once()
    pages = await scalar(store._conn, "PRAGMA page_count")
    await store._conn.execute(f"PRAGMA max_page_count = {pages}")
    for _ in range(3):
        await scheduler.run_once()
    assert scheduler.write_error is not None and "full" in scheduler.write_error
    await store._conn.execute("PRAGMA max_page_count = 1073741823")
    await scheduler.run_once()
    assert scheduler.write_error is None
    series = await store.series("api.value")
    stats = await store.window_stats(series, time.time() - 60, time.time() + 1)
    assert stats.count == 5 * 3000  # nothing collected while the disk was full was lost


async def test_a_batch_the_store_rejects_does_not_block_other_sources(store: Store) -> None:
    """Review finding: a non-SQLite error ended the writer task; nothing was written after."""
    broken = FakeCollector("broken", lambda n: [Sample("broken.value", "nope", time.time())])  # type: ignore[arg-type]
    healthy = FakeCollector("healthy", lambda n: None)
    scheduler = scheduler_for(
        store, {"broken": broken, "healthy": healthy}, config("broken"), config("healthy")
    )
    task = asyncio.create_task(scheduler.run())
    while len(healthy.calls) < 5:
        await asyncio.sleep(0.02)
    # Written while running, not only at the final flush.
    (series,) = await store.series("healthy.value")
    assert series.last_value is not None and series.last_value >= 2
    scheduler.stop()
    await task
    assert await store.series("broken.value") == []


async def test_a_write_watcher_hears_of_each_write_once_the_rules_have_run(store: Store) -> None:
    """Issue 16: a live view in this process reads a write when told, with its alerts already in."""
    heard: list[str] = []

    async def rules(batches: Sequence[SourceBatch]) -> None:
        heard.append("rules")

    def written() -> None:
        heard.append("written")

    scheduler = Scheduler(
        [config("a"), config("b")],
        store,
        make_collector=lambda c: FakeCollector(c.name, lambda n: None),
        after_write=rules,
    )
    scheduler.watch_writes(written)
    await scheduler.run_once()
    await scheduler.run_once()
    assert heard == ["rules", "written", "rules", "written"]


class SlowCollector(FakeCollector):
    """A source whose every poll takes `took` seconds of the fake clock (the demo's Chatwoot)."""

    def __init__(self, name: str, clock: FakeTime, took: float) -> None:
        super().__init__(name, lambda n: None)
        self._clock, self._took = clock, took

    async def collect(self) -> list[Record]:
        await self._clock.sleep(self._took)
        return await super().collect()


@pytest.mark.parametrize("in_step", [True, False])
async def test_polls_timed_to_end_in_step_write_together(store: Store, in_step: bool) -> None:
    """Issue 16: the demo's Chatwoot poll takes seconds, so its write landed after the others
    had been read and drawn, and the screen read and drew the round a second time. Timed to
    end in step, each round's writes land together, and each source still polls every 10 s."""
    clock = FakeTime(1_700_000_000.0)
    quick = FakeCollector("quick", lambda n: None)
    sources = {"slow": SlowCollector("slow", clock, 3.5), "quick": quick}
    written: dict[str, list[float]] = {"slow": [], "quick": []}
    """When each poll ended and was handed to the writer (its status's time)."""

    async def record(batches: Sequence[SourceBatch]) -> None:
        for batch in batches:
            assert batch.status is not None
            written[batch.source].append(batch.status.checked_at)

    scheduler = Scheduler(
        [config("slow", interval="10s"), config("quick", interval="10s")],
        store,
        make_collector=lambda c: sources[c.name],
        policy=BackoffPolicy(jitter=0.0, end_in_step=in_step),
        rng=random.Random(3),
        after_write=record,
        **clock.for_scheduler(),
    )
    await clock.run(scheduler, 120, sleepers=2)
    rounds = list(zip(written["slow"][2:], written["quick"][2:], strict=False))
    assert len(rounds) >= 9
    apart = [abs(slow - quick) for slow, quick in rounds]
    if in_step:
        assert max(apart) < 1e-6
    else:  # started together (up to the first poll's stagger), the slow one ends 3.5 s later
        assert min(apart) > 3.0
    for times in written.values():
        assert {round(b - a, 6) for a, b in itertools.pairwise(times[2:])} == {10.0}

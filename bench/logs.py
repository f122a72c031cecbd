"""The log cache: lines into the FTS5 table, and searches over a million cached lines.

Data: Rails/Sidekiq/PostgreSQL-style lines of a Chatwoot web service, built
from a seeded vocabulary; about 1 % carry `timeout`, 0.1 % `ActiveStorage`,
the rest are requests and job logs. Timestamps are one per 3.6 ms over the
last hour for 1M lines (the search window is `--since 1h`).

* Ingest: `Store.write` of `LogEvent` batches (10k lines each) into
  `log_lines` with its FTS5 triggers, de-duplication by event id and the
  ring bound. Baseline: plain sqlite3 `executemany` of the same rows into a
  `log_lines` table without the FTS5 index. Target: >= 30k lines/s.
* Search: `collectors.store.log_search.search` (the 200 newest matches, with
  highlights) over 1M cached lines for a rare word, a common word, a phrase,
  a prefix and a word inside a longer one (`canceled` in `QueryCanceled`).
  Baseline: the same question as a `LIKE '%word%'` scan ordered by time.
  Target: <= 50 ms for the slowest query.
"""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path

from _common import FULL, Result, Sizes, median_time, ms, ratio

from collectors.base import LogEvent
from collectors.store.database import SourceBatch, Store
from collectors.store.log_search import open_readonly, search
from collectors.store.retention import Retention
from collectors.store.schema import MIGRATIONS

BATCH = 10_000
RETENTION = Retention(log_max_rows=5_000_000, log_max_age="2d")
GROUP = "/aws/ecs/chatscomm-chatwoot-prod-web"
QUERIES = ("activestorage", "timeout", '"statement timeout"', "webhook*", "canceled")
SEARCH_RUNS = 9
BASELINE_RUNS = 3
_LIKE = {
    "activestorage": "%activestorage%",
    "timeout": "%timeout%",
    '"statement timeout"': "%statement timeout%",
    "webhook*": "%webhook%",
    "canceled": "%canceled%",  # inside `PG::QueryCanceled`: found by the trigram index only
}


def _line(rng: random.Random, i: int) -> tuple[str, str]:
    roll = rng.random()
    if roll < 0.001:
        return "error", f"ActiveStorage::FileNotFoundError in resize_to_fill blob {i}"
    if roll < 0.011:
        return (
            "error",
            f"ERROR PG::QueryCanceled: canceling statement due to statement timeout pid {i}",
        )
    if roll < 0.05:
        return "warning", f"WARN Webhooks::WebhookJob retry {i % 7} for inbox {i % 40}"
    account = i % 97
    took = rng.randint(20, 900)
    if roll < 0.5:
        return (
            "info",
            f'Started GET "/api/v1/accounts/{account}/conversations" for 10.0.3.{i % 250}',
        )
    return "info", f"Completed 200 OK in {took}ms (Views: 0.4ms | ActiveRecord: {took // 9}.1ms)"


def make_lines(count: int, end: float, span: float) -> list[LogEvent]:
    rng = random.Random(5)
    step = span / count
    lines = []
    for i in range(count):
        level, message = _line(rng, i)
        lines.append(LogEvent(end - span + i * step, message, GROUP, f"web/{i % 4}", level, str(i)))
    return lines


async def _ingest(path: Path, lines: list[LogEvent]) -> float:
    async with await Store.open(path, retention=RETENTION) as store:
        began = time.perf_counter()
        for first in range(0, len(lines), BATCH):
            await store.write([SourceBatch("web-logs", lines[first : first + BATCH])])
        return time.perf_counter() - began


def _baseline_ingest(path: Path, lines: list[LogEvent]) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(
        "CREATE TABLE log_lines (id INTEGER PRIMARY KEY, ts REAL NOT NULL, source TEXT NOT NULL,"
        " log_group TEXT, stream TEXT, level TEXT, event_id TEXT, message TEXT NOT NULL)"
    )
    rows = [(e.ts, "web-logs", e.group, e.stream, e.level, e.event_id, e.message) for e in lines]
    began = time.perf_counter()
    for first in range(0, len(rows), BATCH):
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO log_lines (ts, source, log_group, stream, level, event_id, message)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows[first : first + BATCH],
        )
        conn.execute("COMMIT")
    seconds = time.perf_counter() - began
    conn.close()
    return seconds


def _build_cache(path: Path, lines: list[LogEvent]) -> None:
    """A store-schema database holding `lines`, filled through the schema's own triggers."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    for index, script in enumerate(MIGRATIONS, start=1):
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {index};\nCOMMIT;")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO log_lines (ts, source, log_group, stream, level, event_id, message)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(e.ts, "web-logs", e.group, e.stream, e.level, e.event_id, e.message) for e in lines],
    )
    conn.execute("COMMIT")
    conn.execute("INSERT INTO log_fts (log_fts) VALUES ('optimize')")
    conn.close()


async def run(sizes: Sizes, workdir: Path) -> list[Result]:
    """Ingest and search figures, each beside its baseline."""
    count = 1_000_000 if sizes is FULL else 100_000
    ingest_count = 200_000 if sizes is FULL else 50_000
    end = time.time()
    ingest_lines = make_lines(ingest_count, end, 3600.0)
    seconds = await _ingest(workdir / "log-ingest.db", ingest_lines)
    base = _baseline_ingest(workdir / "log-baseline.db", ingest_lines)
    rate, base_rate = ingest_count / seconds, ingest_count / base
    results = [
        Result(
            f"log ingest (Store.write, FTS5, {ingest_count // 1000}k lines)",
            f"{rate / 1000:.0f}k lines/s",
            ">= 30k/s",
            f"plain insert, no FTS5: {base_rate / 1000:.0f}k/s",
            ratio(rate, base_rate),
            rate >= 30_000,
        )
    ]
    cache = workdir / "log-cache.db"
    _build_cache(cache, make_lines(count, end, 3600.0))
    conn = open_readonly(cache)
    since = end - 3600.0
    label = f"{count // 1_000_000}M" if count >= 1_000_000 else f"{count // 1000}k"
    for query in QUERIES:
        found = search(conn, query, start=since)
        assert found, query
        took = median_time(lambda q=query: search(conn, q, start=since), SEARCH_RUNS)
        like = median_time(
            lambda q=query: conn.execute(
                "SELECT id, ts, message FROM log_lines WHERE message LIKE ? AND ts >= ?"
                " ORDER BY ts DESC LIMIT 200",
                (_LIKE[q], since),
            ).fetchall(),
            BASELINE_RUNS,
        )
        results.append(
            Result(
                f"log search {query}, {label} cached lines, 200 newest",
                ms(took),
                "<= 50 ms",
                f"LIKE scan: {ms(like)}",
                ratio(took, like),
                took <= 0.050,
            )
        )
    conn.close()
    return results

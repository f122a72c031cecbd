"""The hostile database of the export tests: the recorded demo plus hostile upstream text."""

from __future__ import annotations

import shutil
from pathlib import Path

from collectors.alerts.annotations import add_annotation
from collectors.alerts.book import AlertBook
from collectors.alerts.rules import Severity
from collectors.alerts.state import AlertState
from collectors.base import LogEvent, Sample, SourceState, SourceStatus
from collectors.store.database import SourceBatch, Store

SECRET = "sk_live_FAKE0123456789abcdef"
"""A token that must never appear in an export."""

HOSTILE = (
    "evil|pipe ``` ``` `` ` x\nsecond line <script>alert(1)</script> "
    "[x](javascript:alert(1)) ![i](https://evil.example/i.png) \x1b[2J\x1b]52;c;ZXZpbA==\x07 "
    "[bold red]red[/] https://evil.example/a www.evil.com amy@evil.example #12 @team "
    "*em* _u_ ~~s~~ $x$ &lt; <!-- c --> \u202etxt.exe\u2028- item | end"
)
"""Everything an upstream might send to break out of a markdown cell, a fence or a terminal."""


async def record_hostile(path: Path, demo: Path, now: float) -> None:
    """Copy the demo database to `path`; add hostile names, labels, alerts, acks, notes and logs."""
    shutil.copy(demo, path)
    bad = HOSTILE
    async with await Store.open(path, clock=lambda: now) as store:
        samples = [
            Sample("chatwoot.conversations", 25.0, now - 30, {"status": "pending"}, "count"),
            Sample("chatwoot.sla.compliance_pct", 80.0, now - 10, {}, "%"),
            Sample(
                "chatwoot.sla.breach_wait_s",
                2400.0,
                now - 10,
                {"conversation": "42", "inbox": bad, "customer": bad, "replied": "no"},
                "s",
            ),
            Sample("chatwoot.channel.conversations", 5.0, now - 10, {"channel": bad}, "count"),
            Sample("chatwoot.channel.first_response_s", 2000.0, now - 10, {"channel": bad}, "s"),
            Sample("sidekiq.queue.size", 70.0, now - 20, {"queue": bad}, "count"),
            Sample("sidekiq.queue.latency_s", 9.0, now - 20, {"queue": bad}, "s"),
            Sample("aws.custom.metric", 1.0, now - 20, {bad: bad}, "count"),
            Sample("chatwoot.api.latency_ms", 900.0, now - 20, {"endpoint": bad}, "ms"),
            Sample("pipeline.phase_ms", 300.0, now - 20, {"phase": bad}, "ms"),
        ]
        logs = [
            LogEvent(now - 1, f"api_access_token: {SECRET} {bad}", bad, bad, "error", "h1"),
            LogEvent(now - 35, f"leaked {SECRET} in a stack trace", "g", "s", "error", "h2"),
            LogEvent(now - 30, "````` five backticks `````", "g", "s", "error", "h3"),
        ]
        error = f"auth failed: api_access_token={SECRET} refused {bad}"
        status = SourceStatus(bad, SourceState.DOWN, now, now - 60, error, 3)
        await store.write([SourceBatch(bad, [*samples, *logs], status)])
    async with await AlertBook.open(path) as book:
        async with book.transaction() as writer:
            alert_id = await writer.create(
                rule="queue_depth_high",
                labels={"source": bad},
                severity=Severity.ERROR,
                state=AlertState.FIRING,
                value=70.0,
                summary=bad,
                t=now - 50,
                flapping=False,
            )
        await book.acknowledge(alert_id, bad[:150], f"{bad} {SECRET}", now - 45)
        await book.add_silence(
            {"rule": bad, "source": bad},
            starts_at=now - 44,
            ends_at=now + 3600,
            created_by="amy",
            comment=bad,
            now=now - 44,
        )
        await add_annotation(
            book, ts=now - 40, author=bad[:150], text=f"{bad} {SECRET}", source=bad[:150]
        )

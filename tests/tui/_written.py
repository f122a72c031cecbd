"""Small databases written for a test: the series a screen reads, with chosen values.

The recorded demo has no breach list, no channels and no hostile names; these
helpers write a database that has them, on a fixed clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path

from fakes.demo_history import DEMO_EPOCH, ManualClock

from collectors.base import Sample
from collectors.store.database import SourceBatch, Store

NOW = DEMO_EPOCH + 7200.0
"""The "now" of every written database."""

HOSTILE = "\x1b[2J\x1b]52;c;aGk=\x07[link=https://evil]x[/link][bold red]Mallory"
"""A name that would clear the screen, write the clipboard and inject markup if not inert."""


async def write(path: Path, samples: Mapping[str, Sequence[Sample]]) -> None:
    """Write the samples of each source (by name), in time order, on a clock at their times."""
    clock = ManualClock(DEMO_EPOCH)
    async with await Store.open(path, clock=clock) as store:
        for ts in sorted({sample.ts for batch in samples.values() for sample in batch}):
            clock.now = ts
            await store.write(
                [
                    SourceBatch(source, [s for s in batch if s.ts == ts])
                    for source, batch in samples.items()
                ]
            )


def every_minute(
    series: str, value: float, unit: str, *, hours: float = 2.0, **labels: str
) -> list[Sample]:
    """One sample a minute up to NOW, over the last `hours`."""
    count = int(hours * 60)
    return [Sample(series, value, NOW - 60 * k, labels, unit) for k in range(count, -1, -1)]


def sla_samples() -> dict[str, list[Sample]]:
    """A Chatwoot source at 97 % last hour and 91 % this hour, with breaches and channels."""
    compliance = [
        Sample("chatwoot.sla.compliance_pct", 97.0 if ts < NOW - 3600 else 91.0, ts, {}, "%")
        for ts in (NOW - 60 * k for k in range(120, -1, -1))
    ]
    replies = [
        Sample("chatwoot.first_response_s", 300.0 + (k * 97) % 1200, NOW - 60 * k, {}, "s")
        for k in range(120, -1, -1)
    ]
    latest = [
        Sample("chatwoot.sla.target_s", 900.0, NOW, {}, "s"),
        _breach("42", "Support [b]", HOSTILE, 2400.0, replied=False),
        _breach("7", "Email", "Ada Lovelace", 1200.0, replied=True),
        _breach("19", "Web", "Chloé Müller", 1900.0, replied=False),
    ]
    for channel, volume, reply in (
        ("email", 28, 1080.0),
        ("web_widget", 21, 480.0),
        ("twilio_sms", 13, 2000.0),
    ):
        labels = {"channel": channel}
        latest.append(Sample("chatwoot.channel.conversations", volume, NOW, labels, "count"))
        latest.append(Sample("chatwoot.channel.first_response_s", reply, NOW, labels, "s"))
    return {"support": compliance + replies + latest}


def _breach(
    conversation: str, inbox: str, customer: str, waited: float, *, replied: bool
) -> Sample:
    labels = {
        "conversation": conversation,
        "inbox": inbox,
        "customer": customer,
        "replied": "yes" if replied else "no",
    }
    return Sample("chatwoot.sla.breach_wait_s", waited, NOW, labels, "s")


def write_sla_db(path: Path) -> Path:
    """The SLA database of `sla_samples` at `path` (for sync snapshot fixtures)."""
    asyncio.run(write(path, sla_samples()))
    return path

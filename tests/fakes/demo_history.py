"""A demo database recorded on a fixed clock: the same bytes of data on every run.

Snapshot tests, export tests and the export benchmark need a database whose
screens look the same on every machine. `record_demo` runs the simulated stack
of `collectors.demo` (every part simulated, no sockets) through the real
scheduler, store and alert engine, on a clock that only moves when told to:
the hour of backfill, then `rounds` polls five seconds apart into the first
scripted incident.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Final

from collectors.alerts.engine import AlertEngine
from collectors.alerts.notify import NotifyConfig
from collectors.alerts.rules import default_rules
from collectors.demo import DemoCollector, demo_sources
from collectors.scheduler import Scheduler
from collectors.store.database import Store

__all__ = ["DEMO_EPOCH", "INCIDENT_ROUNDS", "POLL_EVERY", "ManualClock", "record_demo"]

DEMO_EPOCH: Final = 1_795_000_000.0
"""The fixed start time of recorded demos (2026-11-18 11:06:40 UTC)."""
INCIDENT_ROUNDS: Final = 18
"""Polls that reach the middle of the first incident: latency spike, backlog and errors."""
POLL_EVERY: Final = 5.0
"""Seconds between two polls of the recording."""


class ManualClock:
    """A clock that stands still until `advance` moves it.

    Args:
        now: the time it shows first.
    """

    def __init__(self, now: float) -> None:
        self.now = now
        """The time it shows."""

    def __call__(self) -> float:
        """The time it shows."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds


async def record_demo(
    path: str | Path,
    *,
    start: float = DEMO_EPOCH,
    rounds: int = INCIDENT_ROUNDS,
    seed: int = 7,
) -> float:
    """Write a deterministic demo history into a new database at `path`.

    Returns:
        The time of the last poll: the "now" at which to look at the data.
    """
    clock = ManualClock(start)
    sources = demo_sources(seed)
    async with await Store.open(path, clock=clock) as store:
        engine = await AlertEngine.open(
            default_rules(), store, NotifyConfig(), clock=clock, sources=sources
        )
        async with contextlib.aclosing(engine):
            scheduler = Scheduler(
                sources,
                store,
                make_collector=lambda config: DemoCollector(config, clock=clock),
                clock=clock,
                after_write=engine.after_write,
            )
            try:
                for _ in range(rounds):
                    await scheduler.run_once()
                    clock.advance(POLL_EVERY)
            finally:
                await scheduler.aclose()
    return clock.now - POLL_EVERY

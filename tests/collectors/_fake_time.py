"""A fake clock for the scheduler: time moves only when every poller is asleep.

`FakeTime` is the scheduler's `clock`, `monotonic` and `sleep` at once. Polls
still talk to real local servers over real sockets, but however long that
takes in wall time, it takes none on this clock: so the times the scheduler
stamps and the gaps between its polls are exact, on a loaded machine too.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from typing import Any

from collectors.scheduler import Scheduler


class FakeTime:
    """Sleeps wait for the clock; `run_until` moves it to the next wake-up.

    Args:
        start: the Unix time the clock starts at.
    """

    def __init__(self, start: float) -> None:
        self.now = start
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    def for_scheduler(self) -> dict[str, Any]:
        """The scheduler's `clock`, `monotonic` and `sleep`: all of them this clock."""
        return {"clock": self, "monotonic": self, "sleep": self.sleep}

    async def run(self, scheduler: Scheduler, seconds: float, *, sleepers: int) -> None:
        """Run `scheduler` for `seconds` of this clock, then stop it (flushing its writes)."""
        running = asyncio.create_task(scheduler.run())
        await self.run_until(self.now + seconds, sleepers=sleepers)
        scheduler.stop()
        await running

    async def sleep(self, seconds: float) -> None:
        """Wait until the clock has been moved `seconds` on."""
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.now + max(0.0, seconds), next(self._order), wake))
        await wake

    async def run_until(self, end: float, *, sleepers: int) -> None:
        """Move the clock from wake-up to wake-up up to `end`.

        Args:
            end: the time to stop at (a wake-up after it is left pending).
            sleepers: how many tasks sleep on this clock; the clock moves only
                when all of them are asleep, so a poll in flight never sees
                time pass.
        """
        while True:
            while len(self._timers) < sleepers:
                await asyncio.sleep(0.001)  # a poll is still talking to its server
            when, _, wake = self._timers[0]
            if when > end:
                self.now = end
                return
            heapq.heappop(self._timers)
            self.now = when
            wake.set_result(None)
            await asyncio.sleep(0)

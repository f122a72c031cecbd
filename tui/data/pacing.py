"""When the screen on view reads the store next: on the clock, and once a burst of writes settles.

Contract:

* Without writes heard of, the screen is read `every` seconds after its last
  read started, so what moves with time (ages, staleness, windows ending
  now) moves as it always did.
* A write committed by the collectors of this process (`wrote`) is read once
  the burst it belongs to settles: `settle` seconds after the burst's last
  write, and never later than `every` seconds after its first, so a write is
  on screen within one refresh interval, as with the clock alone.
* While a burst is settling, the clock's read waits for it: a read in the
  middle of a burst would see some of its writes and draw a frame, and the
  settled read would draw another for the rest. The demo's sources write
  over about a second every ten; read on the clock alone, a burst that
  straddled a tick was drawn twice. So while writes come, two reads may be
  up to two intervals apart (each write is still read within one).

`Pacing` sleeps on nothing: it tells its owner, through `read_in`, how long
to wait before the next read whenever that moves (the app arms a timer).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

__all__ = ["Pacing"]


class Pacing:
    """The next read of the screen on view, from the last read and the writes heard of since.

    Args:
        every: seconds between two reads when nothing is written (the refresh interval).
        settle: seconds without a write after which a burst of writes is read.
        read_in: called with the seconds to wait before the next read, whenever
            that moves (it replaces the wait asked for before).
        clock: a clock that never steps.
    """

    def __init__(
        self,
        every: float,
        settle: float,
        read_in: Callable[[float], object],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.every = every
        """Seconds between two reads when nothing is written."""
        self.settle = min(settle, every)
        """Seconds without a write after which a burst is read (at most `every`)."""
        self._read_in = read_in
        self._clock = clock
        self._last_read = -math.inf
        self._burst: tuple[float, float] | None = None

    def read(self) -> None:
        """A read of the store starts now: it sees every write heard of so far."""
        self._last_read = self._clock()
        self._burst = None
        self._ask()

    def wrote(self) -> None:
        """The collectors of this process committed a write just now."""
        now = self._clock()
        first = now if self._burst is None else self._burst[0]
        self._burst = (first, now)
        self._ask()

    def next_read(self) -> float:
        """When to read next: when the burst settles, else `every` after the last read."""
        if self._burst is None:
            return self._last_read + self.every
        first, last = self._burst
        return min(last + self.settle, first + self.every)

    def _ask(self) -> None:
        self._read_in(max(0.0, self.next_read() - self._clock()))

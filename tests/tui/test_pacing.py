"""A burst of writes is read once, when it settles; time-driven reads keep their pace (issue 16)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from tui.data.pacing import Pacing

EVERY, SETTLE = 2.0, 0.5
BURST = (0.0, 0.01, 0.2, 0.46, 0.85)
"""When the demo's sources wrote in one round, in seconds after its first write."""


def _reads(writes: Iterable[float], until: float) -> list[float]:
    """When the screen reads, given the collectors' write times (an event loop in miniature)."""
    clock = [0.0]
    due: list[float] = []
    pacing = Pacing(EVERY, SETTLE, lambda delay: due.append(clock[0] + delay), lambda: clock[0])
    pending = sorted(writes)
    reads = []
    pacing.read()  # the first read, at mount
    reads.append(0.0)
    while True:
        next_read = due[-1]
        if pending and pending[0] < next_read:
            clock[0] = pending.pop(0)
            pacing.wrote()
            continue
        if next_read > until:
            return reads
        clock[0] = next_read
        reads.append(next_read)
        pacing.read()


def _seeing_writes(reads: list[float], writes: Iterable[float]) -> int:
    """Reads that see a write the read before did not."""
    times = sorted(writes)
    return sum(any(a < t <= b for t in times) for a, b in itertools.pairwise(reads))


def test_each_round_of_the_demos_writes_is_read_once_wherever_the_clock_stands() -> None:
    """A round that straddles a 2 s tick was read twice (two frames); now once, settled."""
    for offset in (0.1, 0.5, 0.9, 1.3, 1.7, 1.95):
        rounds = [10.0 * n + offset for n in range(1, 7)]
        writes = [start + delay for start in rounds for delay in BURST]
        reads = _reads(writes, 70.0)
        assert _seeing_writes(reads, writes) == len(rounds)
        for start in rounds:  # read once its last write has settled, within one interval
            assert any(abs(r - (start + BURST[-1] + SETTLE)) < 1e-9 for r in reads)


def test_with_nothing_written_the_screen_is_read_every_interval() -> None:
    """Ages and staleness move with time as before: a read every 2 s."""
    assert _reads([], 10.0) == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]


def test_a_write_is_read_within_one_interval_even_when_writes_keep_coming() -> None:
    """A write every 0.3 s never settles: each is still read within 2 s of being written.

    The clock's read waits for the burst, so two reads are at most two intervals apart.
    """
    writes = [0.5 + 0.3 * n for n in range(40)]
    reads = _reads(writes, 13.0)
    for t in writes:
        assert min(r for r in reads if r >= t) - t <= EVERY + 1e-9
    assert max(b - a for a, b in itertools.pairwise(reads)) <= 2 * EVERY

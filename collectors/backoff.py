"""When a source is polled next and when it counts as down: `BackoffPolicy`.

The scheduler (`collectors.scheduler`) asks it after every poll: the next
poll starts one interval (with jitter) after the last one started, failed or
not, unless the upstream asked for a pause; or, with `end_in_step` (the
demo), so that the polls of sources of one interval end together. A failed
poll makes a source `stale`, then `down` after `down_after` in a row.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from collectors.base import SourceConfig, SourceState, SourceStatus

__all__ = ["BackoffPolicy"]


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """When to poll a source next (one interval on, failed or not) and when it is down."""

    jitter: float = 0.1
    """Each wait is stretched or shrunk by up to this fraction, so sources drift apart."""
    down_after: int = 3
    """Consecutive failures after which a source is `down` rather than `stale`."""
    end_in_step: bool = False
    """Start each poll so that it ends on a multiple of its interval from the scheduler's
    start, given how long its last polls took (the mean of three; no jitter): sources of
    one interval whose polls take different times end, and write, together. A live view in
    the process then reads and draws a round once, not once more for a slow source (the
    demo's Chatwoot fake answers in 0.1-1.2 s a request, so its poll ends seconds later)."""

    def next_delay(self, config: SourceConfig, rng: random.Random, *, hint: float | None) -> float:
        """Seconds from the start of the last poll to the start of the next one.

        The interval, failed or not; `hint` (the upstream asked for a pause) when given.
        """
        if hint is not None:
            return hint
        return config.interval * (1 + rng.uniform(-self.jitter, self.jitter))

    def wait_in_step(self, interval: float, *, ended: float, expected: float) -> float:
        """With `end_in_step`: seconds from the end of a poll to the start of the next one.

        Args:
            interval: the source's interval.
            ended: when the poll ended, in seconds since the scheduler started.
            expected: how long the next poll is expected to take.

        Returns:
            The wait that makes the next poll end on the multiple of `interval`
            nearest one interval after this one ended (0 when that is too soon).
        """
        target = round((ended + interval) / interval) * interval
        return max(0.0, target - expected - ended)

    def after_failure(self, previous: SourceStatus, error: str, now: float) -> SourceStatus:
        """The status a failed poll leads to."""
        failures = previous.consecutive_failures + 1
        state = SourceState.DOWN if failures >= self.down_after else SourceState.STALE
        return replace(
            previous,
            state=state,
            checked_at=now,
            last_error=error,
            consecutive_failures=failures,
            note=None,
        )

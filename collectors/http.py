"""What the HTTP sources share about talking to an upstream.

Contract: `retry_after` reads a `Retry-After` header (seconds or an HTTP
date) into the seconds to wait, bounded to an hour, or None when the header
is absent or unreadable. Nothing here imports Textual.
"""

from __future__ import annotations

import email.utils
from typing import Final

__all__ = ["MAX_RETRY_AFTER", "retry_after"]

MAX_RETRY_AFTER: Final = 3600.0
"""The longest wait a Retry-After may ask for; a longer one is cut to this."""


def retry_after(header: str | None, now: float) -> float | None:
    """Seconds to wait from a `Retry-After` header, between 1 s and `MAX_RETRY_AFTER`.

    Args:
        header: the header's value (`120` or `Wed, 21 Oct 2015 07:28:00 GMT`), or None.
        now: the current Unix time, for a date.
    """
    if not header:
        return None
    try:
        seconds = float(header)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - now
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 1.0), MAX_RETRY_AFTER)

"""Why a poll failed: one line for the status bar, one word for `/metrics`.

Contract:

* `describe_failure(exc, timeout)` is the source's `last_error`: one line of
  at most 200 characters, no traceback (a `SourceError`'s own message, a
  timeout in words, else the exception's type and first line).
* `poll_reason(exc)` maps a failed poll's exception to one of `REASONS`:
  `timeout` (no answer in time), `refused` (no connection), `throttled`
  (HTTP 429, rate limited), `http_4xx`, `http_5xx`, `parse` (an answer that
  could not be read: not JSON, an HTML page, an empty or oversized body, a
  missing object) or `other`.
* Sources raise `SourceError` with a one-line message and no chained cause
  (`from None`, so no secret travels in a traceback); the reason is therefore
  read from that message's wording, which every source shares (`cannot
  connect`, `no answer`, `HTTP 503`, ...). A message none of the patterns
  knows is `other`, never an error.
"""

from __future__ import annotations

import re
from typing import Final

from collectors.base import SourceError, format_duration

__all__ = ["REASONS", "describe_failure", "poll_reason"]

REASONS: Final = ("timeout", "refused", "http_4xx", "http_5xx", "throttled", "parse", "other")
"""Every reason, so the set of label values stays small and fixed."""

_PATTERNS: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    ("throttled", re.compile(r"HTTP 429|rate limit|too many requests|throttl", re.I)),
    ("http_5xx", re.compile(r"HTTP 5\d\d")),
    (
        "http_4xx",
        re.compile(r"HTTP 4\d\d|access denied|rejected the credentials|not found \(", re.I),
    ),
    ("timeout", re.compile(r"timeout|timed out|no answer|did not answer|not done within", re.I)),
    ("refused", re.compile(r"cannot (connect|reach)|connection refused|unreachable", re.I)),
    ("parse", re.compile(r"JSON|HTML|empty response|no '\w+' object|response .*is ", re.I)),
)
"""First match wins: an HTTP status outranks words in the server's own error text.
AWS's refusals (access denied, rejected credentials, not found) are its 4xx answers."""

_ERROR_LENGTH: Final = 200


def describe_failure(exc: BaseException, timeout: float) -> str:
    """One line about why a poll failed, fit for a status bar (no traceback)."""
    if isinstance(exc, SourceError):
        text = str(exc)
    elif isinstance(exc, TimeoutError):
        text = f"no answer within {format_duration(timeout)}"
    else:
        detail = str(exc).strip().splitlines()
        text = f"{type(exc).__name__}: {detail[0]}" if detail else type(exc).__name__
    text = " ".join(text.split())
    return text if len(text) <= _ERROR_LENGTH else text[: _ERROR_LENGTH - 1] + "…"


def poll_reason(exc: BaseException) -> str:
    """The reason (one of `REASONS`) a poll that raised `exc` failed."""
    if isinstance(exc, TimeoutError):  # the scheduler's own poll timeout
        return "timeout"
    text = str(exc)
    for reason, pattern in _PATTERNS:
        if pattern.search(text):
            return reason
    return "other"

"""What the screens read: the store, the alert book and the log cache of one database.

The TUI never calls an upstream and never shares the collectors' writer
connection: it opens its own read-only connections to the database file, so
a long screen query never waits behind a batch write, and several TUIs (or
`--attach` sessions) can read one database that a single collector fills.
Acknowledgements, silences and the incident pin go through the alert book's
own short transactions, which is what lets an attached TUI write them.
Cached log lines and the sources' errors and notes come back with the
config's secrets masked (`tui.export.redaction`): an upstream line or error page that
echoes a token never shows it on a screen.

A refresh (`StoreReader.refreshing`) answers the reads it repeats from
memory while nothing was written (`collectors.store.read_memo`).

Rewinding (`StoreReader.rewind`) sets one moment on the store, the alert book
and the reader: every screen then reads with the same code as live, `now()`
is that moment (so each window ends there) and no log line after it is
returned. What a screen caches across reads must be keyed by the span it
read (as `ReadCache` is), so a rewound read and a live one never mix.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import getpass
import math
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from collectors.alerts.book import AlertBook, AlertBookError
from collectors.alerts.recheck import recheck
from collectors.alerts.rules import Rule, default_rules
from collectors.base import SourceStatus
from collectors.store.database import Store
from collectors.store.log_search import LogMatch, newest, open_readonly, search
from tui.data.thresholds import Thresholds, thresholds
from tui.export.redaction import Redactor

__all__ = ["StoreReader", "current_user"]

_T = TypeVar("_T")


class StoreReader:
    """Read-only views of one database, plus the alert book for what a person sets.

    Open it with `StoreReader.open` and close it with `aclose`.

    Args:
        store: a read-only store connection.
        book: the alert book (read-write where the file allows it).
        logs: a read-only connection for log searches.
        clock: wall-clock time (fixed in snapshot tests).
        rules: the alert rules in force (default: the default pack).
        redact: masks secrets in the log lines read (default: the usual shapes only).
    """

    def __init__(
        self,
        store: Store,
        book: AlertBook,
        logs: sqlite3.Connection,
        *,
        clock: Callable[[], float] = time.time,
        rules: Iterable[Rule] = (),
        redact: Redactor | None = None,
    ) -> None:
        self.store = store
        """The store, read-only."""
        self.book = book
        """Alerts, acks, silences and the incident pin."""
        self._logs = logs
        # One sqlite3 connection, used and closed by one thread: a read cancelled by
        # its screen goes on in its thread, and closing under it crashed the process.
        self._logs_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wootwatch-logs")
        self._clock = clock
        self._as_of: float | None = None
        self.rules: Mapping[str, Rule] = {rule.name: rule for rule in rules or default_rules()}
        """The alert rules by name (which series an alert is about, how to show its value)."""
        self.thresholds: Thresholds = thresholds(self.rules.values())
        """What the screens colour figures against, from the same rules."""
        book.rechecker = functools.partial(recheck, rules=self.rules, store=store)
        self._memo = store.memoize()
        book.memoize(self._memo)
        self.user = current_user()
        """Who acknowledges and silences from this TUI (`$USER`)."""
        self.redact = redact or Redactor()
        """Masks secrets in upstream text (the config's, when it was given one)."""

    @classmethod
    async def open(
        cls,
        path: str | Path,
        *,
        clock: Callable[[], float] = time.time,
        rules: Iterable[Rule] = (),
        redact: Redactor | None = None,
    ) -> StoreReader:
        """Open the read connections of the database at `path`.

        Raises:
            StoreError, AlertBookError, LogQueryError: the database cannot be read.
        """
        store = await Store.open(path, readonly=True)
        try:
            try:
                book = await AlertBook.open(path)
            except AlertBookError:  # a file this user may not write: read-only alerts
                book = await AlertBook.open(path, readonly=True)
            logs = open_readonly(path)
        except BaseException:
            await store.close()
            raise
        return cls(store, book, logs, clock=clock, rules=rules, redact=redact)

    async def aclose(self) -> None:
        """Close every connection."""
        with contextlib.suppress(sqlite3.Error):
            await self._in_logs_thread(self._logs.close)
        self._logs_thread.shutdown(wait=False)
        await self.book.close()
        await self.store.close()

    def refreshing(self) -> contextlib.AbstractAsyncContextManager[None]:
        """A refresh: reads repeated since the database last changed are answered from memory.

        A refresh with nothing written since the last reads nothing that it read
        then with the same parameters; what moves with time (ages, windows that
        end now, slots that slide) is read or computed again (`ReadMemo`).
        """
        return self._memo.reading()

    @property
    def reads(self) -> int:
        """Reads of the store and the alert book that went to the database during refreshes."""
        return self._memo.reads

    @property
    def path(self) -> Path:
        """The database file."""
        return self.store.path

    def now(self) -> float:
        """The current time, as the screens should see it: the as-of moment while rewound."""
        return self._clock() if self._as_of is None else self._as_of

    @property
    def as_of(self) -> float | None:
        """The moment every read is rewound to, or None for live."""
        return self._as_of

    def rewind(self, moment: float | None) -> None:
        """Read the store and the alert book as they stood at `moment` (None: live again)."""
        self._as_of = moment
        self.store.as_of = moment
        self.book.as_of = moment

    def _log_end(self, end: float | None) -> float | None:
        """`end` capped so that no line after the as-of moment is read (lines at it are)."""
        if self._as_of is None:
            return end
        cap = math.nextafter(self._as_of, math.inf)  # `end` is exclusive
        return cap if end is None else min(end, cap)

    async def source_statuses(self) -> dict[str, SourceStatus]:
        """Every source's status by name, its error and note with secrets masked."""
        statuses = await self.store.source_statuses()
        return {name: self.redact.status(status) for name, status in statuses.items()}

    async def search_logs(
        self,
        query: str,
        *,
        start: float | None = None,
        end: float | None = None,
        after_id: int | None = None,
        limit: int = 200,
    ) -> list[LogMatch]:
        """Cached log lines matching an FTS5 query, newest first (in a thread), none after `as_of`.

        Raises:
            LogQueryError: the query is empty or cannot be parsed.
        """
        return await self._in_logs_thread(
            functools.partial(
                self._redacted,
                search,
                query=query,
                start=start,
                end=self._log_end(end),
                after_id=after_id,
                limit=limit,
            )
        )

    async def newest_logs(
        self,
        *,
        start: float | None = None,
        end: float | None = None,
        after_id: int | None = None,
        level: str | None = None,
        limit: int = 200,
    ) -> list[LogMatch]:
        """The newest cached log lines of a range, newest first (in a thread), none after `as_of`.

        Not a search: with a `level` (e.g. `error`), every line of that level
        counts, whatever its words.
        """
        return await self._in_logs_thread(
            functools.partial(
                self._redacted,
                newest,
                start=start,
                end=self._log_end(end),
                after_id=after_id,
                level=level,
                limit=limit,
            )
        )

    async def _in_logs_thread(self, call: Callable[[], _T]) -> _T:
        """Run `call` in the log connection's own thread, after what is queued there."""
        return await asyncio.get_running_loop().run_in_executor(self._logs_thread, call)

    def _redacted(self, read: Callable[..., list[LogMatch]], **kwargs: Any) -> list[LogMatch]:
        """`read(logs, **kwargs)` with the secrets masked, in the reading thread, off the loop."""
        return [self.redact.log_match(match) for match in read(self._logs, **kwargs)]


def current_user() -> str:
    """Who runs this process (`$USER`, else the account name), or `unknown`."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"

"""One export from database to text or file: the code path `wootwatch export` and the `e` key share.

Contract:

* `build_snapshot` opens its own read-only connections to the database (so it
  works while a collector writes it, and on a file no collector has open) and
  gathers a `Snapshot` (`tui.export.gather`); `render` draws it as the full
  markdown report, JSON or the brief (`tui.export.brief`); `build_export` is
  both. Any problem reading the database is an `ExportError` with one line.
* `write_atomically` writes a file through a temporary file beside it and a
  rename: the file is either the whole new export or untouched, whatever
  happens meanwhile (a full disk, Ctrl-C, a crash). A failure is an
  `ExportError` with one line, and the temporary file is removed.
* `default_filename` is `wootwatch-YYYYMMDD-HHMM.md` (`.json`) in local time.
"""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Final, Literal

from collectors.alerts.book import AlertBook, AlertBookError
from collectors.alerts.recheck import recheck
from collectors.alerts.rules import Rule, default_rules
from collectors.errors import ActionableError
from collectors.inert import inert
from collectors.store.database import Store, StoreError
from collectors.store.log_search import LogQueryError, open_readonly
from tui.data.thresholds import thresholds
from tui.export.brief import render_brief
from tui.export.gather import gather
from tui.export.json import render_json
from tui.export.markdown import render_markdown
from tui.export.model import Snapshot
from tui.export.redaction import Redactor

__all__ = [
    "FORMATS",
    "ExportError",
    "ExportFormat",
    "build_export",
    "build_snapshot",
    "current_host",
    "default_filename",
    "render",
    "write_atomically",
]

ExportFormat = Literal["markdown", "json", "brief"]
FORMATS: Final[tuple[ExportFormat, ...]] = ("markdown", "json", "brief")
_SUFFIX: Final = {"markdown": ".md", "json": ".json", "brief": "-brief.md"}


class ExportError(ActionableError):
    """An export that could not be made or written, with a one-line reason."""


async def build_export(
    db: str | os.PathLike[str],
    *,
    now: float,
    since: float,
    user: str,
    host: str,
    fmt: ExportFormat = "markdown",
    secrets: Iterable[str] = (),
    rules: Iterable[Rule] = (),
    at: float | None = None,
) -> str:
    """The export of the database `db` for the window ending at `now`, as text.

    Args:
        db: the database file.
        now: the end of the window and the export's time.
        since: the window's length when no incident start is pinned.
        user: who exports (shown in the header).
        host: where (shown in the header).
        fmt: `markdown`, `json` or `brief`.
        secrets: values to mask wherever they appear (the config's secrets).
        rules: the rules in force, whose thresholds colour the figures
            (`config.effective_rules`; empty for the default pack).
        at: a past moment to export as of (`--at`): the window ends there, the
            store and alerts are read as they stood then, the header says so.

    Raises:
        ExportError: the database cannot be read.
    """
    snapshot = await build_snapshot(
        db, now=now, since=since, user=user, host=host, secrets=secrets, rules=rules, at=at
    )
    return render(snapshot, fmt)


async def build_snapshot(
    db: str | os.PathLike[str],
    *,
    now: float,
    since: float,
    user: str,
    host: str,
    secrets: Iterable[str] = (),
    rules: Iterable[Rule] = (),
    at: float | None = None,
) -> Snapshot:
    """What an export of `db` shows for the window ending at `now` (arguments as `build_export`).

    Raises:
        ExportError: the database cannot be read.
    """
    path = Path(db).expanduser()
    in_force = tuple(rules)
    try:
        async with (
            await Store.open(path, readonly=True) as store,
            await AlertBook.open(path, readonly=True) as book,
        ):
            store.as_of = book.as_of = at
            by_name = {rule.name: rule for rule in in_force or default_rules()}
            book.rechecker = functools.partial(recheck, rules=by_name, store=store)
            with contextlib.closing(open_readonly(path)) as logs:
                snapshot = await gather(
                    store,
                    book,
                    logs,
                    now=now,
                    since=since,
                    user=user,
                    host=host,
                    redact=Redactor(secrets),
                    limits=thresholds(in_force),
                    rules={rule.name: rule for rule in in_force} or None,
                )
    except (StoreError, AlertBookError, LogQueryError) as exc:
        raise ExportError(inert(str(exc))) from exc
    except sqlite3.Error as exc:
        raise ExportError(f"{path}: cannot read: {inert(str(exc))}") from exc
    return snapshot


def render(snapshot: Snapshot, fmt: ExportFormat) -> str:
    """The snapshot as the full markdown report, JSON, or the brief for a chat channel."""
    if fmt == "brief":
        return render_brief(snapshot)
    return render_markdown(snapshot) if fmt == "markdown" else render_json(snapshot)


def write_atomically(path: str | os.PathLike[str], text: str) -> Path:
    """Write `text` to `path` whole or not at all; return the absolute path written.

    Raises:
        ExportError: the file cannot be written (no such directory, no
            permission, a full disk); nothing is left behind.
    """
    target = Path(path).expanduser().absolute()
    temporary = target.with_name(f".{target.name}.{os.urandom(4).hex()}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise ExportError(f"cannot write {inert(str(target))}: {exc.strerror}") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except OSError as exc:
        raise ExportError(f"cannot write {inert(str(target))}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    return target


def default_filename(now: float, fmt: ExportFormat = "markdown") -> str:
    """`wootwatch-20261122-0310.md`: the export's local time, to the minute."""
    return time.strftime("wootwatch-%Y%m%d-%H%M", time.localtime(now)) + _SUFFIX[fmt]


def current_host() -> str:
    """This machine's host name, for the export's header."""
    return socket.gethostname() or "unknown"

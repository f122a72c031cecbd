"""`wootwatch export`: a markdown (JSON, brief) snapshot of the incident, to stdout or a file.

When an incident start is pinned, the window runs from it and `--since` is
not used: stderr says so in one line, so the snapshot is never silently
about another window than the one asked for.

`--at TIME` gives the export as if taken then (from the recording): the
window ends at TIME, the pin counts only if it is before TIME, and the header
says "as of". A TIME that names no past moment is one line, exit 2.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from collectors.alerts.book import AlertBook, AlertBookError
from collectors.alerts.rules import Rule
from collectors.base import format_duration
from collectors.inert import inert
from tui.commands.common import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    book_moment,
    database_and_config,
)
from tui.data.reader import current_user
from tui.export.model import Window
from tui.export.redaction import config_secrets
from tui.export.write import (
    FORMATS,
    ExportError,
    build_snapshot,
    current_host,
    render,
    write_atomically,
)

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """Build the export over the pinned incident or `--since`, and write it."""
    since: float = args.since
    if args.format not in FORMATS:
        raise UsageError(f"--format {args.format!r}: use one of {', '.join(FORMATS)}")
    db, config = database_and_config(args)
    secrets = config_secrets(config) if config else []
    rules: list[Rule] = config.effective_rules if config else []  # []: the default pack
    now = time.time()
    try:
        at = None if args.at is None else asyncio.run(_moment(db, args.at, now))
        snapshot = asyncio.run(
            build_snapshot(
                db,
                now=now,
                since=since,
                user=current_user(),
                host=current_host(),
                secrets=secrets,
                rules=rules,
                at=at,
            )
        )
        if snapshot.header.window.pinned:
            print(_pinned(snapshot.header.window), file=sys.stderr)
        text = render(snapshot, args.format)
        if args.output in (None, "-"):
            sys.stdout.write(text)
            return EXIT_OK
        written = write_atomically(args.output, text)
    except ExportError as exc:
        print(f"wootwatch: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"wootwatch: wrote {inert(str(written))}", file=sys.stderr)
    return EXIT_OK


async def _moment(db: Path, text: str, now: float) -> float:
    """`--at TEXT` as unix time (`pin` reads the pinned start).

    Raises:
        UsageError: TEXT names no past moment.
        ExportError: the database cannot be read.
    """
    try:
        async with await AlertBook.open(db, readonly=True) as book:
            return await book_moment(book, text, now=now)
    except AlertBookError as exc:
        raise ExportError(inert(str(exc))) from exc


def _pinned(window: Window) -> str:
    start = datetime.fromtimestamp(window.start_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if window.pin_set_at is not None:
        start += datetime.fromtimestamp(window.pin_set_at, UTC).strftime(" (set %Y-%m-%d %H:%M:%S")
        start += f" by {inert(window.pin_set_by)})" if window.pin_set_by else ")"
    return (
        f"wootwatch: the window starts at the pinned incident start, {start}; "
        f"--since {format_duration(window.since)} is not used (P in the TUI unpins)"
    )

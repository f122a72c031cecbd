"""`wootwatch annotate TEXT`: put a note on the incident timeline, from a shell or a hook.

Contract:

* `wootwatch annotate "deploy v4.2.1" [--at TIME] [--source NAME] [--db F]`
  records one annotation: the text as given (at most 500 characters and 5
  lines), the author `$USER`, the time `--at` names (`tui.data.moment`:
  `03:12`, `-25m`, a date and time, `pin`; default now) and the source it is
  about, if any. It prints one line once the row is committed to
  disk, the text inert.
* The database is `--db`, else `$WOOTWATCH_DB` (which the notify command hook
  is given, so a hook that runs `wootwatch annotate` writes to the database
  whose alert it reports), else the config's `database`.
* Empty or over-long text, or a time that cannot be read, is one line and
  exit 2; a database that cannot be written is one line and exit 1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from collectors.alerts.annotations import AnnotationError, add_annotation, check_text
from collectors.alerts.book import AlertBook
from collectors.inert import inert
from tui.commands.common import EXIT_OK, UsageError, book_moment, database_and_config
from tui.data.reader import current_user

__all__ = ["DB_ENV", "run"]

DB_ENV = "WOOTWATCH_DB"
"""The environment variable naming the database when `--db` is not given."""


def _database(args: argparse.Namespace) -> Path:
    if getattr(args, "db", None) is None and os.environ.get(DB_ENV):
        return Path(os.environ[DB_ENV]).expanduser()
    return database_and_config(args)[0]


async def _annotate(
    db: Path, *, at: str | None, now: float, text: str, source: str | None, out: TextIO
) -> int:
    async with await AlertBook.open(db) as book:
        ts = now
        if at is not None:
            ts = await book_moment(book, at, now=now)
        note = await add_annotation(book, ts=ts, author=current_user(), text=text, source=source)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(note.ts))
    about = f" on {note.source}" if note.source else ""
    out.write(inert(f"annotation {note.id} at {stamp}{about} by {note.author}: {note.text}") + "\n")
    return EXIT_OK


def run(
    args: argparse.Namespace,
    out: TextIO | None = None,
    *,
    clock: Callable[[], float] = time.time,
) -> int:
    """Record the annotation `args` describe; return the exit code.

    Raises:
        UsageError: empty or over-long text, an unreadable `--at` (exit 2).
        AlertBookError: the database cannot be written (exit 1).
    """
    try:
        text = check_text(args.text)
    except AnnotationError as exc:
        raise UsageError(f"annotate: {exc}") from None
    if args.source is not None and not args.source.strip():
        raise UsageError("annotate: --source must not be empty")
    db = _database(args)
    return asyncio.run(
        _annotate(db, at=args.at, now=clock(), text=text, source=args.source, out=out or sys.stdout)
    )

"""`wootwatch logs QUERY`: search the cached log lines; plain, inert text, newest first."""

from __future__ import annotations

import argparse
import sys
import time

from collectors.durations import format_duration
from collectors.inert import inert
from collectors.store.log_search import LogQueryError, format_line, open_readonly, search
from tui.commands.common import EXIT_FAILURE, EXIT_OK, UsageError, database_and_config
from tui.export.redaction import Redactor, config_secrets

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """Print the lines matching `args.query` within `--since`, at most `--limit`."""
    since: float = args.since
    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    db, config = database_and_config(args)
    redact = Redactor(config_secrets(config) if config else [])
    try:
        conn = open_readonly(db)
    except LogQueryError as exc:
        print(f"wootwatch: {inert(str(exc))}", file=sys.stderr)
        return EXIT_FAILURE
    try:
        matches = search(conn, args.query, start=time.time() - since, limit=args.limit)
    except LogQueryError as exc:
        raise UsageError(str(exc)) from None
    finally:
        conn.close()
    for match in matches:  # newest first
        print(format_line(redact.log_match(match)))
    if not matches:
        print(
            f"wootwatch: no cached line matches in the last {format_duration(since)}",
            file=sys.stderr,
        )
    return EXIT_OK

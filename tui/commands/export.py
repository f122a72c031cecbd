"""`wootwatch export`: a markdown (or JSON) snapshot of the incident, to stdout or a file."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from collectors.alerts.rules import Rule
from collectors.inert import inert
from tui.commands.common import EXIT_FAILURE, EXIT_OK, UsageError, database_and_config
from tui.data.reader import current_user
from tui.export.redaction import config_secrets
from tui.export.write import FORMATS, ExportError, build_export, current_host, write_atomically

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """Build the export over the pinned incident or `--since`, and write it."""
    since: float = args.since
    if args.format not in FORMATS:
        raise UsageError(f"--format {args.format!r}: use one of {', '.join(FORMATS)}")
    db, config = database_and_config(args)
    secrets = config_secrets(config) if config else []
    rules: list[Rule] = config.effective_rules if config else []  # []: the default pack
    try:
        text = asyncio.run(
            build_export(
                db,
                now=time.time(),
                since=since,
                user=current_user(),
                host=current_host(),
                fmt=args.format,
                secrets=secrets,
                rules=rules,
            )
        )
        if args.output in (None, "-"):
            sys.stdout.write(text)
            return EXIT_OK
        written = write_atomically(args.output, text)
    except ExportError as exc:
        print(f"wootwatch: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"wootwatch: wrote {inert(str(written))}", file=sys.stderr)
    return EXIT_OK

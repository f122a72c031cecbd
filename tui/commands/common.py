"""What every command shares: exit codes, usage errors, finding the config, log places."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collectors.alerts.book import AlertBook
    from tui.config.models import WootwatchConfig

__all__ = [
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "UsageError",
    "book_moment",
    "config_or_default",
    "crash_report",
    "database",
    "database_and_config",
    "load_config",
    "log_to_file",
    "log_to_stderr",
]

EXIT_OK: Final = 0
EXIT_FAILURE: Final = 1
EXIT_USAGE: Final = 2
EXIT_INTERRUPTED: Final = 130


class UsageError(Exception):
    """A mistake on the command line or in the config: exit 2."""


async def book_moment(book: AlertBook, text: str, *, now: float) -> float:
    """`--at TIME` as unix time, read against an open alert book so that `pin` is its pinned start.

    `tui.data.moment` says what TIME may be.

    Raises:
        UsageError: TIME names no past moment (one line, exit 2).
    """
    from tui.data.moment import MomentError, parse_moment

    try:
        return parse_moment(text, now=now, pinned=await book.pinned_incident())
    except MomentError as exc:
        raise UsageError(f"--at {exc}") from None


def _state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "wootwatch"


def crash_report() -> Path:
    """Where an unexpected error's traceback goes (never the terminal)."""
    return _state_dir() / "crash.log"


def log_to_file() -> Path:
    """Send logs to a file: the screen belongs to the live view."""
    path = _state_dir() / "wootwatch.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    return path


def log_to_stderr() -> None:
    """Send logs to stderr, as headless commands do."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("wootwatch: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


def load_config(args: argparse.Namespace) -> tuple[Path, WootwatchConfig]:
    """The config `--config` names, else the first of the default places.

    Raises:
        UsageError: no config file anywhere.
        ConfigError: the file has problems (each with FILE:LINE:COL).
    """
    from tui.config.models import default_config_paths, find_config
    from tui.config.models import load_config as read_config

    path = find_config(getattr(args, "config", None))
    if path is None:
        looked = ", ".join(str(p) for p in default_config_paths())
        raise UsageError(
            f"no config file found (looked for {looked}); pass --config FILE, "
            "or try `wootwatch --demo`"
        )
    return path, read_config(path)


def config_or_default(args: argparse.Namespace) -> WootwatchConfig:
    """The config if there is one, else the defaults (for commands that can do without)."""
    from tui.config.models import WootwatchConfig, find_config
    from tui.config.models import load_config as read_config

    path = find_config(getattr(args, "config", None))
    return read_config(path) if path is not None else WootwatchConfig()


def database_and_config(args: argparse.Namespace) -> tuple[Path, WootwatchConfig | None]:
    """`--db` (else the config's database) and the config, read when it is needed or named.

    A reading command given only `--db` reads no config; given `--config` too,
    it takes the config's secrets and rules along.
    """
    needed = getattr(args, "db", None) is None or getattr(args, "config", None) is not None
    config = load_config(args)[1] if needed else None
    return database(args, config), config


def database(args: argparse.Namespace, config: WootwatchConfig | None) -> Path:
    """`--db` if given, else the config's database."""
    given = getattr(args, "db", None)
    if given is None:
        if config is None:
            raise UsageError("no database: pass --db FILE or --config FILE")
        return config.database
    return Path(given).expanduser()

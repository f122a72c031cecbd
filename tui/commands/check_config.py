"""`wootwatch check-config`: validate the config; problems as FILE:LINE:COL (exit 2)."""

from __future__ import annotations

import argparse

from tui.commands.common import EXIT_OK, load_config

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """Load the config (ConfigError reports each problem) and say what it holds."""
    path, config = load_config(args)
    names = ", ".join(f"{s.name} ({s.type})" for s in config.sources) or "none"
    print(f"{path}: ok; database {config.database}; sources: {names}")
    return EXIT_OK

"""Helpers of the fault suite: wootwatch run in-process or as a real process, database fixtures."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from collectors.alerts.book import AlertBook
from collectors.alerts.state import AlertState
from collectors.alerts.terms import Severity
from collectors.store.database import Store
from tui.cli import main

WOOTWATCH = str(Path(sys.executable).with_name("wootwatch"))
CONFIG = """\
database: {database}
sources:
  - {{type: demo, name: sidekiq, part: sidekiq, interval: 1s}}
"""


def environment(home: Path) -> dict[str, str]:
    """The environment of a wootwatch process: its own HOME and state directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WOOTWATCH")}
    env.update(HOME=str(home), XDG_STATE_HOME=str(home / "state"), NO_COLOR="1", USER="amy")
    return env


def run_in_process(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, home: Path
) -> tuple[int, str, str]:
    """`wootwatch ARGV` in this process: exit code, stdout, stderr."""
    for key, value in environment(home).items():
        monkeypatch.setenv(key, value)
    # `collect` and the live views point the root logger at stderr or a file:
    # put it back, or later tests log into this test's closed capture.
    handlers, level = logging.root.handlers[:], logging.root.level
    try:
        code = main(argv)
    finally:
        for handler in logging.root.handlers:
            if handler not in handlers:
                handler.close()
        logging.root.handlers[:], logging.root.level = handlers, level
    out, err = capsys.readouterr()
    return code, out, err


def run_wootwatch(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`wootwatch ARGS` as a real process with `home` as $HOME, plus the variables `env`."""
    return subprocess.run(
        [WOOTWATCH, *args],
        capture_output=True,
        text=True,
        cwd=home,
        env=environment(home) | env,
        timeout=60,
    )


def run_process(home: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`wootwatch ARGS` as a real process (stdin closed)."""
    return subprocess.run(
        [WOOTWATCH, *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=home,
        env=environment(home),
        timeout=timeout,
    )


def write_config(home: Path, database: Path) -> Path:
    """A config with one demo source writing `database`."""
    path = home / "wootwatch.yaml"
    path.write_text(CONFIG.format(database=database))
    return path


def firing_alert(path: Path, rule: str = "workers_running") -> int:
    """Create a wootwatch database at `path` holding one firing alert; return its id."""

    async def create() -> int:
        path.parent.mkdir(parents=True, exist_ok=True)
        async with await Store.open(path):
            pass
        async with await AlertBook.open(path) as book, book.transaction() as writer:
            return await writer.create(
                rule=rule,
                labels={"source": "sidekiq"},
                severity=Severity.CRITICAL,
                state=AlertState.FIRING,
                value=1.0,
                summary="",
                t=1000.0,
                flapping=False,
            )

    return asyncio.run(create())


def fingerprint(directory: Path) -> dict[str, str]:
    """Every file under a directory and a hash of its bytes: what "nothing was written" means."""
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }

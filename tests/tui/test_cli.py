"""The command line as a user runs it: real processes, real signals, exit codes."""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

WOOTWATCH = str(Path(sys.executable).with_name("wootwatch"))
DEMO_CONFIG = """\
database: demo.db
sources:
  - {type: demo, name: chatwoot, part: chatwoot, interval: 1s}
  - {type: demo, name: sidekiq, part: sidekiq, interval: 1s}
"""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "work").mkdir()
    return tmp_path


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WOOTWATCH")}
    env.update(HOME=str(home), XDG_STATE_HOME=str(home / "state"), NO_COLOR="1")
    return env


def run(home: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [WOOTWATCH, *args],
        capture_output=True,
        text=True,
        cwd=home / "work",
        env=environment(home),
        timeout=timeout,
    )


def start(home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [WOOTWATCH, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=home / "work",
        env=environment(home),
    )


def read_until(
    proc: subprocess.Popen[str], done: Callable[[str], bool], timeout: float = 30
) -> str:
    """Read stdout until `done(everything so far)` or the timeout; return what was read."""
    assert proc.stdout is not None
    seen = ""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while not done(seen) and time.monotonic() < deadline:
            if selector.select(timeout=0.2):
                line = proc.stdout.readline()
                if not line:
                    break
                seen += line
    return seen


def stop(proc: subprocess.Popen[str], sig: int = signal.SIGINT) -> tuple[int, str]:
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    return proc.returncode, err


def wait_for_sources(db: Path, count: int, timeout: float = 60) -> None:
    """Wait until a collector has recorded `count` sources (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if db.exists():
            with contextlib.suppress(sqlite3.Error), sqlite3.connect(db) as reader:
                if reader.execute("SELECT count(*) FROM sources").fetchone()[0] >= count:
                    return
        time.sleep(0.1)
    raise AssertionError(f"no {count} sources in {db} after {timeout} s")


def write_config(home: Path, text: str = DEMO_CONFIG) -> Path:
    path = home / "work" / "wootwatch.yaml"
    path.write_text(text)
    return path


def test_check_config_accepts_a_good_file(home: Path) -> None:
    write_config(home)
    result = run(home, "check-config")
    assert result.returncode == 0
    assert "ok" in result.stdout and "chatwoot (demo)" in result.stdout


def test_check_config_reports_file_line_col_and_exits_2(home: Path) -> None:
    path = write_config(home, "sources:\n  - type: demo\n    name: api\n    interval: 5 minutes\n")
    result = run(home, "check-config", "--config", str(path))
    assert result.returncode == 2
    assert f"{path}:4:15: " in result.stderr
    assert "invalid duration" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_config_file_is_exit_2_without_traceback(home: Path) -> None:
    result = run(home, "check-config", "--config", "nope.yaml")
    assert result.returncode == 2
    assert "nope.yaml" in result.stderr and "Traceback" not in result.stderr


def test_no_config_anywhere_points_at_the_demo(home: Path) -> None:
    result = run(home, "collect", "--once")
    assert result.returncode == 2
    assert "no config file found" in result.stderr and "--demo" in result.stderr


def test_bad_usage_exits_2_with_one_line_that_points_at_help(home: Path) -> None:
    for args in (("frobnicate",), ("--demo", "--attach", "x.db"), ("logs", "x", "--since", "0s")):
        result = run(home, *args)
        assert result.returncode == 2
        (line,) = result.stderr.splitlines()
        assert line.startswith("wootwatch") and line.endswith("--help`)"), line


def test_version_comes_from_the_package_metadata(home: Path) -> None:
    from importlib.metadata import version

    result = run(home, "--version")
    assert result.returncode == 0
    assert result.stdout == f"wootwatch {version('wootwatch')}\n"


def test_collect_once_polls_every_source_and_writes(home: Path) -> None:
    write_config(home)
    result = run(home, "collect", "--once", "--db", str(home / "once.db"))
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(home / "once.db") as db:
        sources = db.execute("SELECT name, state FROM sources ORDER BY name").fetchall()
        samples = db.execute("SELECT count(*) FROM samples").fetchone()[0]
    assert sources == [("chatwoot", "ok"), ("sidekiq", "ok")]
    assert samples > 1000  # the demo's hour of backfill


def test_collect_uses_the_config_database_by_default(home: Path) -> None:
    write_config(home)
    assert run(home, "collect", "--once").returncode == 0
    assert (home / "work" / "demo.db").exists()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["kill", "ssh-dropped"])
def test_collect_stops_cleanly_on_sigterm_or_a_hangup_and_flushes(
    home: Path, sig: signal.Signals
) -> None:
    write_config(home)
    proc = start(home, "collect")
    wait_for_sources(home / "work" / "demo.db", 2)
    code, err = stop(proc, sig)
    assert code == 0, err
    assert "stopped; pending writes flushed" in err
    assert "Traceback" not in err
    with sqlite3.connect(home / "work" / "demo.db") as db:
        assert db.execute("SELECT count(*) FROM sources").fetchone() == (2,)


def test_a_second_writer_is_refused_with_a_hint_to_attach(home: Path) -> None:
    write_config(home)
    proc = start(home, "collect")
    try:
        deadline = time.monotonic() + 20
        while not (home / "work" / "demo.db").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        second = run(home, "collect", "--once")
    finally:
        stop(proc, signal.SIGTERM)
    assert second.returncode == 1
    assert "--attach" in second.stderr and "Traceback" not in second.stderr


def test_demo_shows_every_part_of_the_stack_and_quits_on_ctrl_c(home: Path) -> None:
    proc = start(home, "--demo")
    # Real collectors against in-process fakes, and simulated parts.
    parts = ("chatwoot", "sidekiq", "sqs", "widget", "pipeline", "aws", "logs")

    def all_ok(text: str) -> bool:
        block = text.split("wootwatch ")[-1]
        ok_lines = [line for line in block.splitlines() if "● ok" in line]
        return sorted(line.split()[0] for line in ok_lines) == sorted(parts)

    output = read_until(proc, all_ok)
    code, err = stop(proc)
    assert all_ok(output), output
    assert "API p95" in output and "enqueued" in output and "SQS visible" in output
    assert code == 0 and "Traceback" not in err


def test_attach_reads_what_a_collector_wrote(home: Path) -> None:
    write_config(home)
    assert run(home, "collect", "--once", "--db", str(home / "filled.db")).returncode == 0
    proc = start(home, "--attach", str(home / "filled.db"))
    output = read_until(proc, lambda text: "sidekiq" in text and "chatwoot" in text)
    code, _ = stop(proc)
    assert "chatwoot" in output and "sidekiq" in output
    # collect --once has exited: nothing keeps these states fresh, and the view says so.
    assert "no collector is writing this database" in output
    assert code == 0


def test_attach_to_a_missing_database_is_one_line(home: Path) -> None:
    result = run(home, "--attach", str(home / "absent.db"))
    assert result.returncode == 1
    assert result.stderr.strip() == f"wootwatch: {home / 'absent.db'}: no such database"


def test_a_killed_collector_loses_nothing_committed_and_restarts(home: Path) -> None:
    write_config(home)
    db = home / "work" / "demo.db"
    proc = start(home, "collect")
    deadline = time.monotonic() + 30
    committed = 0
    while committed == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
        if db.exists():
            with sqlite3.connect(db) as reader:
                try:
                    committed = reader.execute("SELECT count(*) FROM samples").fetchone()[0]
                except sqlite3.OperationalError:
                    committed = 0  # the schema is not there yet
    proc.kill()  # kill -9: no flush, no close, the lock file is left behind
    proc.wait(timeout=10)
    assert committed > 0
    again = run(home, "collect", "--once")
    assert again.returncode == 0, again.stderr
    with sqlite3.connect(db) as reader:
        assert reader.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert reader.execute("SELECT count(*) FROM samples").fetchone()[0] > committed

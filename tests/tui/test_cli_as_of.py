"""`--at TIME`: `wootwatch alerts` and `wootwatch export` as they would have been then."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fakes.demo_history import INCIDENT_ROUNDS, record_demo

from collectors.alerts.book import AlertBook
from collectors.alerts.state import AlertState
from collectors.alerts.terms import Severity
from collectors.store.database import Store
from tui.export.write import FORMATS, build_export

WOOTWATCH = str(Path(sys.executable).with_name("wootwatch"))
FIRED = 1_795_000_000.0
RESOLVED = FIRED + 300


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WOOTWATCH")}
    env.update(HOME=str(home), XDG_STATE_HOME=str(home / "state"))
    return subprocess.run(
        [WOOTWATCH, *args], capture_output=True, text=True, cwd=home, env=env, timeout=60
    )


@pytest.fixture
def resolved_db(tmp_path: Path) -> Path:
    """An alert that fired at FIRED and resolved five minutes later, long ago."""

    async def record(path: Path) -> None:
        async with await Store.open(path):
            pass  # the schema
        async with await AlertBook.open(path) as book, book.transaction() as w:
            alert_id = await w.create(
                rule="queue_depth_high", labels={"source": "sidekiq"},
                severity=Severity.ERROR, state=AlertState.FIRING, value=885.0,
                summary="More than 50 Sidekiq jobs enqueued", t=FIRED, flapping=False,
            )  # fmt: skip
            await w.transition(
                alert_id, from_state=AlertState.FIRING, to_state=AlertState.RESOLVED,
                t=RESOLVED, value=16.0, resolved_at=RESOLVED,
            )  # fmt: skip

    path = tmp_path / "w.db"
    asyncio.run(record(path))
    return path


def test_alerts_at_shows_an_alert_resolved_later_as_firing(resolved_db: Path) -> None:
    home = resolved_db.parent
    live = run(home, "alerts", "--db", str(resolved_db))
    assert live.returncode == 0, live.stderr
    assert live.stdout == "no alerts\n"  # resolved long ago

    then = run(home, "alerts", "--db", str(resolved_db), "--at", _iso(FIRED + 60))
    assert then.returncode == 0, then.stderr
    [header, row] = then.stdout.splitlines()
    assert "STATE" in header
    assert "firing" in row and "queue_depth_high" in row and "885" in row

    as_json = run(home, "alerts", "--db", str(resolved_db), "--json", "--at", _iso(FIRED + 60))
    assert '"state": "firing"' in as_json.stdout
    after = run(home, "alerts", "--db", str(resolved_db), "--json", "--at", _iso(RESOLVED + 1))
    assert '"state": "resolved"' in after.stdout


def test_a_time_before_now_is_a_value_not_an_option(resolved_db: Path) -> None:
    done = run(resolved_db.parent, "alerts", "--db", str(resolved_db), "--at", "-1h30m")
    assert (done.returncode, done.stdout, done.stderr) == (0, "no alerts\n", "")


@pytest.mark.parametrize(
    ("command", "typed", "said"),
    [
        ("alerts", "yesterday", "wootwatch: --at 'yesterday' is not a time: type 03:12"),
        ("alerts", "pin", "wootwatch: --at 'pin': no incident is pinned"),
        ("export", "25:00", "wootwatch: --at '25:00' is not a time of day or date"),
        ("export", "2999-01-01 00:00", "wootwatch: --at '2999-01-01 00:00' is still to come"),
    ],
)
def test_a_bad_at_is_one_line_and_exit_2(
    resolved_db: Path, command: str, typed: str, said: str
) -> None:
    done = run(resolved_db.parent, command, "--db", str(resolved_db), "--at", typed)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(said)
    assert done.stderr.count("\n") == 1


@pytest.mark.parametrize("command", [("alerts",), ("export",), ("annotate", "deploy v4.2.1")])
def test_every_command_says_a_bad_at_in_the_same_words(
    resolved_db: Path, command: tuple[str, ...]
) -> None:
    """`--at` is read in one place for `alerts`, `export` and `annotate`."""
    done = run(resolved_db.parent, *command, "--db", str(resolved_db), "--at", "25:00")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("wootwatch: --at '25:00' is not a time of day or date")


def test_export_at_says_as_of_on_the_command_line(resolved_db: Path) -> None:
    done = run(resolved_db.parent, "export", "--db", str(resolved_db), "--at", _iso(FIRED + 60))
    assert done.returncode == 0, done.stderr
    assert f"- **As of:** {_iso(FIRED + 60)}" in done.stdout
    assert "queue\\_depth\\_high" in done.stdout


# Lines that must differ between a live export and one `--at` the same moment:
# the title and the as-of line, when it was exported, and the database file.
_HEADER = ("# wootwatch snapshot", "- **As of:**", "- **Exported:**", "- **Database:**")
_JSON_HEADER = ('"exported_at":', '"database":', '"as_of_at":')


def _comparable(text: str, fmt: str) -> list[str]:
    lines = text.splitlines()
    if fmt == "brief":
        return [line.replace("wootwatch as of ", "wootwatch ", 1) for line in lines]
    skip = _JSON_HEADER if fmt == "json" else _HEADER
    return [line for line in lines if not line.strip().startswith(skip)]


async def test_export_at_a_moment_matches_the_live_export_taken_then(tmp_path: Path) -> None:
    """Issue 18: an export `--at` during the incident equals the live export at that moment."""
    short, longer = tmp_path / "short.db", tmp_path / "longer.db"
    moment = await record_demo(short, rounds=INCIDENT_ROUNDS)
    later = await record_demo(longer, rounds=INCIDENT_ROUNDS + 24)  # same seed, 2 min more
    exports = {}
    for fmt in FORMATS:
        live = await build_export(short, now=moment, since=3600.0, user="a", host="h", fmt=fmt)
        then = await build_export(
            longer, now=later, at=moment, since=3600.0, user="a", host="h", fmt=fmt
        )
        assert _comparable(then, fmt) == _comparable(live, fmt), fmt
        exports[fmt] = live
    # The longer recording, exported live at its own end, is not the same.
    later_live = await build_export(longer, now=later, since=3600.0, user="a", host="h")
    assert _comparable(later_live, "markdown") != _comparable(exports["markdown"], "markdown")

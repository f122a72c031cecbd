"""`wootwatch export` as a user runs it: a real process over a real database; exit codes."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _export_db import SECRET, record_hostile
from _tuned import TUNED_YAML
from fakes.demo_history import INCIDENT_ROUNDS, POLL_EVERY, record_demo

from collectors.alerts.book import AlertBook
from collectors.base import Sample
from collectors.store.database import SourceBatch, Store

WOOTWATCH = str(Path(sys.executable).with_name("wootwatch"))


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """The demo recorded up to a moment ago, and that moment.

    `wootwatch export` runs in its own process on the real clock, so the
    recording ends now rather than on its fixed date, which ages out of any window.
    """
    path = tmp_path_factory.mktemp("recorded") / "demo.db"
    start = time.time() - INCIDENT_ROUNDS * POLL_EVERY
    return path, asyncio.run(record_demo(path, start=start))


@pytest.fixture
def db(tmp_path: Path, recorded: tuple[Path, float]) -> Path:
    shutil.copy(recorded[0], tmp_path / "demo.db")
    return tmp_path / "demo.db"


def run(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("WOOTWATCH")}
    environment.update(HOME=str(cwd), XDG_STATE_HOME=str(cwd / "state"), **(env or {}))
    return subprocess.run(
        [WOOTWATCH, "export", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=60,
    )


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_prints_markdown_to_stdout_and_leaves_the_database_as_it_was(
    tmp_path: Path, db: Path
) -> None:
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    result = run(tmp_path, "--db", str(db), "--since", "30d")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# wootwatch snapshot, ")
    assert "no collector is writing it" in result.stdout
    assert "## Executive summary" in result.stdout and "**Overall: ✖ unhealthy**" in result.stdout
    assert result.stderr == ""
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_writes_the_file_whole_and_says_where(tmp_path: Path, db: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "snapshot.md").write_text("an older export\n")
    result = run(tmp_path, "--db", str(db), "-o", "out/snapshot.md")
    assert result.returncode == 0, result.stderr
    target = tmp_path / "out" / "snapshot.md"
    assert result.stdout == ""
    assert one_line(result.stderr) == f"wootwatch: wrote {target}"
    assert target.read_text().startswith("# wootwatch snapshot, ")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["snapshot.md"]


def test_json_for_scripts(tmp_path: Path, db: Path) -> None:
    result = run(tmp_path, "--db", str(db), "--since", "30d", "--format", "json", "-o", "-")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["format"] == "wootwatch-export"
    assert data["health"]["status"] == "unhealthy"
    assert {"metrics", "timeline", "log_groups", "sparks", "sources"} <= set(data)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--since", "1 hour"), "--since: invalid duration"),
        (("--since", "0s"), "--since: must be longer than 0s"),
    ],
)
def test_a_bad_since_is_one_line_and_exit_2(
    tmp_path: Path, db: Path, args: tuple[str, ...], words: str
) -> None:
    result = run(tmp_path, "--db", str(db), *args)
    assert result.returncode == 2
    assert words in one_line(result.stderr)


def test_a_missing_database_is_one_line_and_exit_1(tmp_path: Path) -> None:
    result = run(tmp_path, "--db", str(tmp_path / "nope.db"))
    assert result.returncode == 1
    assert one_line(result.stderr) == f"wootwatch: {tmp_path / 'nope.db'}: no such database"
    assert not (tmp_path / "nope.db").exists()


def test_a_file_that_cannot_be_written_is_one_line_and_leaves_nothing(
    tmp_path: Path, db: Path
) -> None:
    result = run(tmp_path, "--db", str(db), "-o", "missing/dir/x.md")
    assert result.returncode == 1
    assert one_line(result.stderr).startswith(
        f"wootwatch: cannot write {tmp_path}/missing/dir/x.md"
    )
    (tmp_path / "taken").mkdir()
    result = run(tmp_path, "--db", str(db), "-o", "taken")
    assert result.returncode == 1
    assert "cannot write" in one_line(result.stderr)
    assert list((tmp_path / "taken").iterdir()) == []
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


async def test_works_while_a_collector_writes_the_database(tmp_path: Path, db: Path) -> None:
    async with await Store.open(db):  # holds the writer lock, as `wootwatch collect` does
        process = await asyncio.create_subprocess_exec(
            WOOTWATCH, "export", "--db", str(db),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert "(a collector is writing it)" in out.decode()


def test_the_config_secrets_never_reach_the_export(
    tmp_path: Path, recorded: tuple[Path, float]
) -> None:
    hostile = tmp_path / "hostile.db"
    asyncio.run(record_hostile(hostile, *recorded))
    config = tmp_path / "wootwatch.yaml"
    config.write_text(
        "sources:\n"
        "  - type: chatwoot\n"
        "    name: chatwoot\n"
        "    base_url: https://chat.example.com\n"
        "    api_token: ${CHATWOOT_API_TOKEN}\n"
    )
    env = {"CHATWOOT_API_TOKEN": SECRET}
    for fmt in ("markdown", "json"):
        result = run(
            tmp_path, "--config", str(config), "--db", str(hostile), "--since", "30d",
            "--format", fmt, env=env,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert SECRET not in result.stdout
        assert "leaked \\[redacted\\] in a stack trace" in result.stdout or (
            "leaked [redacted] in a stack trace" in result.stdout
        )


def test_the_configs_rules_colour_the_export(tmp_path: Path) -> None:
    """Issue 15: `--config` thresholds reach the status columns; no config, the default pack."""
    db = tmp_path / "pending.db"
    pending = Sample("chatwoot.conversations", 25.0, time.time() - 5, {"status": "pending"})

    async def write() -> None:
        async with await Store.open(db) as store:
            await store.write([SourceBatch("chatwoot", records=[pending])])

    asyncio.run(write())
    config = tmp_path / "wootwatch.yaml"
    config.write_text(TUNED_YAML)
    tuned = run(tmp_path, "--config", str(config), "--db", str(db), "--since", "1h")
    plain = run(tmp_path, "--db", str(db), "--since", "1h")
    assert tuned.returncode == plain.returncode == 0, tuned.stderr + plain.stderr
    assert "✔ no backlog" in tuned.stdout  # 25 pending: not more than 30
    assert "✖ URGENT: High backlog" in plain.stdout  # more than 20


def test_brief_for_a_chat_channel_and_a_pin_overriding_since_said_on_stderr(
    tmp_path: Path, db: Path, recorded: tuple[Path, float]
) -> None:
    """Issue 16: `--brief` is short and table-free; `--since 15m` under a pin is not silent."""
    result = run(tmp_path, "--db", str(db), "--brief")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("*wootwatch ") and "Firing (" in result.stdout
    assert len(result.stdout.splitlines()) < 40 and "\\" not in result.stdout
    assert result.stderr == ""

    async def pin() -> None:
        async with await AlertBook.open(db) as book:
            await book.pin_incident(recorded[1] - 600, by="amy", now=recorded[1] - 60)

    asyncio.run(pin())
    result = run(tmp_path, "--db", str(db), "--brief", "--since", "15m")
    assert result.returncode == 0, result.stderr
    set_at = time.strftime("%H:%M", time.gmtime(recorded[1] - 60))
    assert f"window from the pinned incident start (set {set_at} by amy), " in result.stdout
    line = one_line(result.stderr)
    assert line.startswith("wootwatch: the window starts at the pinned incident start, ")
    assert (
        f" (set {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(recorded[1] - 60))} by amy); "
        in line
    )
    assert line.endswith("--since 15m is not used (P in the TUI unpins)")

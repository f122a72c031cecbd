"""`wootwatch logs QUERY`: a real process over a real database; plain inert text, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from collectors.base import LogEvent
from collectors.store.database import SourceBatch, Store

WOOTWATCH = str(Path(sys.executable).with_name("wootwatch"))
WEB = "/aws/ecs/chatscomm-chatwoot-prod-web"


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WOOTWATCH")}
    env.update(HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path / "state"))
    return subprocess.run(
        [WOOTWATCH, "logs", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    now = time.time()
    lines = [
        LogEvent(now - 7200, "ERROR old statement timeout", WEB, "web/a1", "error", "1"),
        LogEvent(
            now - 60, "ERROR PG::QueryCanceled: statement timeout", WEB, "web/a1", "error", "2"
        ),
        LogEvent(now - 30, "timeout \x1b[2J\x1b[31mred\nnext", WEB, "web/b7", "", "3"),
        LogEvent(now - 20, "INFO Completed 200 OK", WEB, "web/b7", "info", "4"),
    ]
    async with await Store.open(tmp_path / "w.db") as store:
        await store.write([SourceBatch("web-logs", lines)])
    return tmp_path / "w.db"


def test_prints_matching_lines_newest_first_as_inert_text(tmp_path: Path, db: Path) -> None:
    result = run(tmp_path, "timeout", "--db", str(db))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2  # the one from two hours ago is outside the default --since 1h
    assert "␛[2J␛[31mred␊next" in lines[0] and "\x1b" not in result.stdout
    assert "PG::QueryCanceled" in lines[1] and "ERROR" in lines[1] and "web-logs" in lines[1]
    wider = run(tmp_path, "timeout", "--db", str(db), "--since", "3h")
    assert len(wider.stdout.splitlines()) == 3


def test_no_match_is_not_an_error(tmp_path: Path, db: Path) -> None:
    result = run(tmp_path, "nothinglikethis", "--db", str(db))
    assert (result.returncode, result.stdout) == (0, "")
    assert "no cached line matches" in result.stderr


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (('"unclosed',), 2, "bad search query"),
        (("timeout", "--since", "1 hour"), 2, "--since"),
        (("timeout", "--limit", "0"), 2, "--limit"),
    ],
)
def test_usage_errors_are_one_line_exit_2(
    tmp_path: Path, db: Path, args: tuple[str, ...], code: int, words: str
) -> None:
    result = run(tmp_path, *args, "--db", str(db))
    assert result.returncode == code
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_a_missing_database_exits_1_and_no_config_exits_2(tmp_path: Path) -> None:
    missing = run(tmp_path, "timeout", "--db", str(tmp_path / "none.db"))
    assert missing.returncode == 1 and "no such database" in missing.stderr
    no_config = run(tmp_path, "timeout")
    assert no_config.returncode == 2 and "no config file found" in no_config.stderr


def test_collect_from_a_local_aws_then_search_it(tmp_path: Path) -> None:
    """End to end as a user runs it: `collect --once` against moto, then `logs`."""
    from fakes.aws import DemoFeed, FakeAws

    aws = FakeAws()
    aws.start()
    try:
        aws.reset()
        feed = DemoFeed(aws)
        now = time.time()
        for back in range(5, 0, -1):
            feed.publish(now - back * 60, 0.2, 0.1, 1.0)
        (tmp_path / "wootwatch.yaml").write_text(
            f"""\
database: w.db
sources:
  - type: cloudwatch
    name: aws-prod
    endpoint_url: {aws.endpoint_url}
    metrics:
      - {{preset: rds, db_instance: {feed.db_instance}}}
  - type: cloudwatch_logs
    name: web-logs
    endpoint_url: {aws.endpoint_url}
    log_groups: [{feed.log_group}]
    filter_pattern: ERROR
"""
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WOOTWATCH", "AWS_"))}
        env.update(
            HOME=str(tmp_path),
            XDG_STATE_HOME=str(tmp_path / "state"),
            AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
            AWS_SECRET_ACCESS_KEY="example-secret",
            AWS_EC2_METADATA_DISABLED="true",
        )
        collect = subprocess.run(
            [WOOTWATCH, "collect", "--once"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=120,
        )
        assert collect.returncode == 0, collect.stderr
    finally:
        aws.stop()
    found = run(tmp_path, "timeout")
    assert found.returncode == 0, found.stderr
    assert "statement timeout" in found.stdout and "web-logs" in found.stdout
    assert "example-secret" not in found.stdout + collect.stderr

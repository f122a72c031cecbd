"""The alert commands as a user runs them: real processes on one database, exit codes, JSON."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

WOOTWATCH = str(Path(sys.executable).with_name("wootwatch"))
CONFIG = """\
database: w.db
sources:
  - {type: demo, name: sidekiq, part: sidekiq, interval: 1s}
rules:
  - name: workers_running
    summary: Sidekiq has worker processes (always true in the demo)
    series: sidekiq.processes
    condition: {op: ">=", value: 1}
    severity: critical
  - name: queue_depth_high
    enabled: false
notify:
  group_wait: 100ms
"""
JSON_KEYS = {
    "id",
    "rule",
    "severity",
    "state",
    "value",
    "since",
    "changed",
    "acknowledged_by",
    "acknowledged_at",
    "note",
    "silenced_until",
}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    (work / "wootwatch.yaml").write_text(CONFIG)
    return tmp_path


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WOOTWATCH")}
    env.update(HOME=str(home), XDG_STATE_HOME=str(home / "state"), USER="oncall-amy")
    return env


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [WOOTWATCH, *args],
        capture_output=True,
        text=True,
        cwd=home / "work",
        env=environment(home),
        timeout=120,
    )


def alerts(home: Path) -> list[dict[str, object]]:
    result = run(home, "alerts", "--json")
    assert result.returncode == 0, result.stderr
    parsed: list[dict[str, object]] = json.loads(result.stdout)
    return parsed


@pytest.fixture
def fired(home: Path) -> int:
    """`collect --once` has run and the always-true rule fires: its alert id."""
    result = run(home, "collect", "--once")
    assert result.returncode == 0, result.stderr
    (alert,) = [a for a in alerts(home) if a["rule"] == "workers_running"]
    assert alert["state"] == "firing"
    assert isinstance(alert["id"], int)
    return alert["id"]


def test_collect_once_evaluates_rules_and_alerts_prints_them(home: Path, fired: int) -> None:
    listed = alerts(home)
    assert all(set(a) == JSON_KEYS for a in listed)
    (alert,) = [a for a in listed if a["id"] == fired]
    assert alert["severity"] == "critical" and alert["value"] == 2.0
    assert isinstance(alert["since"], str) and alert["since"].endswith("Z")
    assert alert["acknowledged_by"] is None and alert["silenced_until"] is None
    text = run(home, "alerts")
    assert text.returncode == 0
    assert f"{fired:>5}  ✖ critical  ● firing" in text.stdout and "(source=sidekiq)" in text.stdout


def test_ack_records_who_when_and_the_note(home: Path, fired: int) -> None:
    result = run(home, "ack", str(fired), "--note", "scaling workers")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"acknowledged alert {fired} (workers_running) as oncall-amy\n"
    (alert,) = [a for a in alerts(home) if a["id"] == fired]
    assert (alert["acknowledged_by"], alert["note"]) == ("oncall-amy", "scaling workers")
    assert isinstance(alert["acknowledged_at"], str)
    again = run(home, "ack", str(fired), "--user", "bo")
    assert again.returncode == 0
    (alert,) = [a for a in alerts(home) if a["id"] == fired]
    assert (alert["acknowledged_by"], alert["note"]) == ("bo", None)


def test_ack_errors_and_exit_codes(home: Path, fired: int) -> None:
    unknown = run(home, "ack", "9999")
    assert unknown.returncode == 1
    assert unknown.stderr == "wootwatch: no alert 9999 (see `wootwatch alerts`)\n"
    malformed = run(home, "ack", "nine")
    assert malformed.returncode == 2 and "not an alert id" in malformed.stderr
    no_db = run(home, "ack", "1", "--db", "missing.db")
    assert no_db.returncode == 1 and "no such database" in no_db.stderr
    for result in (unknown, malformed, no_db):
        assert "Traceback" not in result.stderr


def test_silence_a_rule_and_list_and_end_it(home: Path, fired: int) -> None:
    made = run(home, "silence", "workers_running", "--for", "1h", "--comment", "known: demo")
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("silence 1: rule=workers_running until ")
    assert "by oncall-amy: known: demo" in made.stdout
    (alert,) = [a for a in alerts(home) if a["id"] == fired]
    assert isinstance(alert["silenced_until"], str)
    listed = run(home, "silence", "--list")
    assert listed.returncode == 0 and "rule=workers_running" in listed.stdout
    ended = run(home, "silence", "--end", "1")
    assert ended.returncode == 0
    (alert,) = [a for a in alerts(home) if a["id"] == fired]
    assert alert["silenced_until"] is None


def test_silence_needs_a_duration_and_a_comment(home: Path, fired: int) -> None:
    no_comment = run(home, "silence", "workers_running", "--for", "1h")
    assert no_comment.returncode == 2 and "--comment is required" in no_comment.stderr
    no_duration = run(home, "silence", "workers_running", "--comment", "x")
    assert no_duration.returncode == 2 and "--for is required" in no_duration.stderr
    bad = run(home, "silence", "workers_running", "--for", "soon", "--comment", "x")
    assert bad.returncode == 2 and "invalid duration" in bad.stderr


def test_silence_by_label(home: Path, fired: int) -> None:
    made = run(
        home, "silence", "*", "--match", "source=sidekiq", "--for", "10m", "--comment", "maint"
    )
    assert made.returncode == 0 and "source=sidekiq until" in made.stdout
    (alert,) = [a for a in alerts(home) if a["id"] == fired]
    assert isinstance(alert["silenced_until"], str)


def test_rules_test_replays_history(home: Path, fired: int) -> None:
    result = run(home, "rules", "test", "--since", "2h")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["RULE", "SEVERITY", "FIRED", "CHECKS", "NO", "DATA"]
    row = next(line for line in lines if line.startswith("workers_running "))
    assert int(row.split()[3]) >= 1  # the severity is an icon and a word
    assert not any(line.startswith("queue_depth_high ") for line in lines)  # disabled
    assert "replayed 2h of history" in lines[-1]


def test_rules_list_shows_the_effective_rules(home: Path) -> None:
    result = run(home, "rules", "list")
    assert result.returncode == 0
    assert "workers_running  ✖ critical  sidekiq.processes" in result.stdout
    assert (
        "chatwoot_api_down  ✖ critical  chatwoot.up{check=api}  threshold  for 3 checks"
        in result.stdout
    )
    assert "queue_depth_high" not in result.stdout


def test_check_config_reports_a_bad_rule_where_it_is(home: Path) -> None:
    path = home / "work" / "bad.yaml"
    path.write_text(
        "rules:\n  - name: x\n    series: s\n    condition: {type: percentile, q: 0.8}\n"
    )
    result = run(home, "check-config", "--config", str(path))
    assert result.returncode == 2
    assert result.stderr == (
        f"{path}:4:38: rules[0].condition.q: must be 0.5, 0.9, 0.95 or 0.99, not 0.8\n"
    )


def test_ack_while_collect_holds_the_writer_then_kill_9_loses_nothing(home: Path) -> None:
    collect = subprocess.Popen(
        [WOOTWATCH, "collect"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=home / "work",
        env=environment(home),
    )
    try:
        deadline = time.monotonic() + 90
        firing: list[dict[str, object]] = []
        while not firing and time.monotonic() < deadline:
            time.sleep(0.3)
            if (home / "work" / "w.db").exists():
                result = run(home, "alerts", "--json")
                if result.returncode == 0:
                    firing = [a for a in json.loads(result.stdout) if a["state"] == "firing"]
        assert firing, "collect never fired the always-true rule"
        alert_id = str(firing[0]["id"])
        acked = run(home, "ack", alert_id, "--note", "during collect")
        assert acked.returncode == 0, acked.stderr
        assert collect.poll() is None  # the collector kept running
        os.kill(collect.pid, signal.SIGKILL)
        collect.wait(timeout=30)
    finally:
        if collect.poll() is None:
            collect.kill()
            collect.wait()
    (alert,) = [a for a in alerts(home) if str(a["id"]) == alert_id]
    assert (alert["acknowledged_by"], alert["note"]) == ("oncall-amy", "during collect")
    # A collector started again on the same database keeps the ack (it fires on).
    again = run(home, "collect", "--once")
    assert again.returncode == 0, again.stderr
    (alert,) = [a for a in alerts(home) if str(a["id"]) == alert_id]
    assert alert["state"] == "firing" and alert["acknowledged_by"] == "oncall-amy"


def test_ack_with_db_needs_no_config(home: Path, fired: int) -> None:
    (home / "work" / "wootwatch.yaml").write_text("sources: [oops\n")  # broken mid-edit
    result = run(home, "ack", str(fired), "--db", "w.db")
    assert result.returncode == 0, result.stderr
    assert run(home, "alerts").returncode == 2  # without --db the config is needed


def test_silencing_an_unknown_rule_is_a_usage_error(home: Path, fired: int) -> None:
    result = run(home, "silence", "workers_runing", "--for", "1h", "--comment", "typo")
    assert result.returncode == 2
    assert result.stderr == (
        "wootwatch: silence: no rule 'workers_runing'; did you mean 'workers_running'? "
        "(see `wootwatch rules list`)\n"
    )

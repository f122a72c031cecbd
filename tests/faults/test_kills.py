"""SIGKILL at random points of ingest: the database stays intact and no committed row is lost.

Issue 14 ("30 SIGKILLs of `collect` lost 0 committed samples and 0 acks":
the basics must keep holding). A writer process commits numbered batches and
reports each commit; it is killed at a random moment (often inside a
transaction), restarted on the same file (its lock file left behind), and
killed again. After every kill: `PRAGMA integrity_check` is ok, every batch
reported committed is there in full, and the batch in flight is all or nothing.
A kill right after an ack is `tests/collectors/test_alerts.py::
test_kill_9_right_after_an_ack_loses_nothing`.
"""

from __future__ import annotations

import contextlib
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _ingest_child import SAMPLES

CHILD = str(Path(__file__).with_name("_ingest_child.py"))
KILLS = 20
pytestmark = pytest.mark.long


def start(db: Path, first: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, CHILD, str(db), str(first)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "open\n", proc.stderr.read() if proc.stderr else ""
    return proc


def committed_before_kill(proc: subprocess.Popen[str], rng: random.Random) -> list[int]:
    """Let it write for a random while, kill -9 it, return the batches it reported committed."""
    time.sleep(rng.uniform(0.02, 0.3))
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return [int(line.split()[1]) for line in out.splitlines() if line.startswith("committed ")]


def on_disk(db: Path) -> tuple[dict[int, int], set[int]]:
    """Samples per batch number and the batches with their log line, read by a fresh reader."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        samples = dict(
            conn.execute("SELECT CAST(value AS INTEGER), count(*) FROM samples GROUP BY 1")
        )
        logs = {int(e) for (e,) in conn.execute("SELECT event_id FROM log_lines")}
    return samples, logs


def test_kill_9_at_random_points_of_ingest_loses_nothing_committed(tmp_path: Path) -> None:
    rng = random.Random(14)
    db = tmp_path / "killed.db"
    reported: set[int] = set()
    first = 0
    rows_checked = 0
    for _ in range(KILLS):
        proc = start(db, first)
        reported.update(committed_before_kill(proc, rng))
        samples, logs = on_disk(db)
        missing = sorted(n for n in reported if samples.get(n) != SAMPLES or n not in logs)
        assert missing == [], f"committed batches lost or torn: {missing}"
        torn = {n: c for n, c in samples.items() if c != SAMPLES}
        assert torn == {}, f"a transaction was half written: {torn}"
        rows_checked += sum(samples.values()) + len(logs)
        first = max(samples, default=-1) + 1
    assert len(reported) >= KILLS  # the kills landed while it was writing
    print(
        f"\n{KILLS} kills survived, {len(reported)} committed batches, {rows_checked} rows checked"
    )

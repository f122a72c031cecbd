"""Output into a closed pipe (`wootwatch alerts | head -1`, `… | true`) ends quietly.

Issue 14: it printed `internal error: BrokenPipeError`, exited 1 and overwrote
crash.log. Now: no word on stderr, status 141 (what a shell shows for a
command SIGPIPE ended), crash.log untouched.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from _wootwatch import WOOTWATCH, environment, firing_alert


@pytest.mark.parametrize(
    "command",
    [["alerts"], ["alerts", "--json"], ["export"]],
    ids=["alerts", "alerts-json", "export"],
)
def test_a_closed_pipe_ends_the_command_quietly(command: list[str], tmp_path: Path) -> None:
    db = tmp_path / "ww.db"
    firing_alert(db)
    crash_log = tmp_path / "state" / "wootwatch" / "crash.log"
    crash_log.parent.mkdir(parents=True)
    crash_log.write_text("an earlier crash\n")
    proc = subprocess.Popen(
        [WOOTWATCH, *command, "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=environment(tmp_path),
        cwd=tmp_path,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line is written
    err = proc.stderr.read()
    code = proc.wait(timeout=60)
    assert (code, err) == (141, "")
    assert crash_log.read_text() == "an earlier crash\n"

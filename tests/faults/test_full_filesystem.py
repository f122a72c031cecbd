"""`wootwatch collect` on a real, small filesystem that fills up (a tmpfs, where tests run as root).

Issue 14: on a full disk the after-write hook printed a 25-line traceback, an
attached reader kept showing every source `ok`, the whole backlog was retried
as one transaction that freed space could not hold, and SIGTERM dropped the
backlog while printing `stopped; pending writes flushed` and exiting 0.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _wootwatch import WOOTWATCH, environment, run_process, write_config

pytestmark = pytest.mark.long


@pytest.fixture
def volume(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs, unmounted afterwards."""
    place = tmp_path / "vol"
    place.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root (the other full-disk tests do not)")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(place)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield place
    finally:
        subprocess.run(["umount", "-l", str(place)], check=False)


def fill(place: Path) -> Path:
    """Take every free byte of the filesystem with one file."""
    filler = place / "filler"
    with contextlib.suppress(OSError), filler.open("ab") as out:
        while True:
            out.write(b"\0" * 65536)
            out.flush()
    return filler


class Stderr:
    """What a running process has written to stderr so far, read without blocking."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        self.proc, self.text, self._read_up_to = proc, "", 0
        self._selector = selectors.DefaultSelector()
        self._selector.register(proc.stderr, selectors.EVENT_READ)

    def wait_for(self, words: str, timeout: float = 30.0) -> None:
        """Wait until `words` appear after what earlier waits found."""
        assert self.proc.stderr is not None
        deadline = time.monotonic() + timeout
        while words not in self.text[self._read_up_to :]:
            assert time.monotonic() < deadline, f"no {words!r} in:\n{self.text}"
            if self._selector.select(timeout=0.2):
                line = self.proc.stderr.readline()
                assert line, f"stderr closed before {words!r}:\n{self.text}"
                self.text += line
        self._read_up_to = self.text.index(words, self._read_up_to) + len(words)


def attached_view_says(home: Path, db: Path, words: str) -> bool:
    """Whether `wootwatch --attach DB` (its plain view: stdout is not a terminal) shows `words`."""
    view = subprocess.Popen(
        [WOOTWATCH, "--attach", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=home,
        env=environment(home),
    )
    assert view.stdout is not None
    seen = ""
    deadline = time.monotonic() + 20
    with selectors.DefaultSelector() as selector:
        selector.register(view.stdout, selectors.EVENT_READ)
        while words not in seen and time.monotonic() < deadline:
            if selector.select(timeout=0.2):
                line = view.stdout.readline()
                if not line:
                    break
                seen += line
    view.send_signal(signal.SIGINT)
    view.communicate(timeout=30)
    return words in seen


def samples(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        (count,) = conn.execute("SELECT count(*) FROM samples").fetchone()
        return int(count)


def test_collect_on_a_full_filesystem(volume: Path, tmp_path: Path) -> None:
    db = volume / "ww.db"
    config = write_config(tmp_path, db)
    proc = subprocess.Popen(
        [WOOTWATCH, "collect", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,
        env=environment(tmp_path),
    )
    err = Stderr(proc)
    try:
        err.wait_for("checking")
        while not db.exists() or samples(db) == 0:
            time.sleep(0.2)
        filler = fill(volume)
        err.wait_for("database or disk is full")

        # A reader is told, in one line, that nothing it shows is being updated.
        listed = run_process(tmp_path, "alerts", "--db", str(db))
        assert listed.returncode == 0, listed.stderr
        assert "cannot write this database" in listed.stderr
        assert "records waiting" in listed.stderr
        assert attached_view_says(tmp_path, db, "cannot write this database")

        # Space returns: the backlog goes in, in chunks, and the writer says so.
        before = samples(db)
        filler.unlink()
        err.wait_for("store writes again")
        assert samples(db) > before

        # Full again, then SIGTERM (twice): the last line counts what was lost.
        filler = fill(volume)
        err.wait_for("keeping the data and retrying", timeout=30)
        time.sleep(1.5)  # a poll or two into the backlog
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        err.wait_for("could not be written")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    rest = proc.stderr.read() if proc.stderr else ""
    text = err.text + rest
    assert code == 1
    assert "still flushing pending writes (at most 10s)" in text
    last = text.strip().splitlines()[-1]
    assert last.startswith("wootwatch: stopped; ") and last.endswith("records could not be written")
    assert "pending writes flushed" not in text
    assert "Traceback" not in text

"""No test depends on today's date: the `dated` tests pass a year from now too.

`conftest.py` marks `dated` every test where fixed-time data meets something
that may read the real clock. This reruns them in a child pytest under
`faketime -f +365d` (Debian's package `faketime`): every clock of that process
tree, `wootwatch` and redis-server included, runs a year ahead, so a test whose
data ages out of a retention bound or a `--since` window fails today, not on
the day it would have.

The child collects only the files that hold this run's `dated` tests (all of
`tests/` when this run selected none of them, e.g. this file alone): reading
the whole suite again costs more than rerunning what it selects.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AHEAD = "+365d"
pytestmark = pytest.mark.long


@pytest.mark.timeout(300)  # a child pytest: longer than one test's default bound
def test_the_dated_tests_pass_a_year_from_now(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    faketime = shutil.which("faketime")
    if faketime is None:
        message = "faketime is not installed (apt-get install faketime): dated tests not rerun"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    command = [faketime, "-f", AHEAD, sys.executable, "-m", "pytest", "-m", "dated", "-q"]
    # Its own --basetemp: a year ahead, pytest's cleanup of /tmp/pytest-of-<user> would
    # take the folders of every other pytest running on the machine for stale ones.
    options = ["-p", "no:cacheprovider", "-o", "addopts=", "--basetemp", str(tmp_path / "ahead")]
    result = subprocess.run(
        [*command, *options, *_dated_files(request.session)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=280,
    )
    failures = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
    assert result.returncode == 0, (
        f"a year from now ({AHEAD}) these tests fail: give their store, engine, scheduler "
        "or app the data's clock, or record the data up to now\n"
        + "\n".join(failures or result.stdout.splitlines()[-30:])
    )


def _dated_files(session: pytest.Session) -> list[str]:
    """The test files, relative to the root, holding the `dated` tests this run selected."""
    files = {
        str(item.path.relative_to(ROOT))
        for item in session.items
        if item.get_closest_marker("dated") is not None
    }
    return sorted(files) or ["tests"]

"""What a user installs: the wheel, in a fresh virtual environment, without `-e`.

The rest of the suite imports the source tree; this file builds the wheel
once, installs it (and its dependencies from the index) into a new venv
outside the repository, and runs the installed `wootwatch` the way README
tells a new user to. A package missing from the wheel, package data left
behind or a dependency left out of pyproject fails here (issue 12: a
non-editable install could not even print `--help`).
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.long

DEMO_CONFIG = """\
database: {db}
sources:
  - {{type: demo, name: chatwoot, part: chatwoot, interval: 5s}}
  - {{type: demo, name: sidekiq, part: sidekiq, interval: 5s}}
  - {{type: demo, name: pipeline, part: pipeline, interval: 5s}}
"""


@dataclass(frozen=True)
class Installed:
    """The installed command and a clean environment to run it in."""

    wootwatch: Path
    env: dict[str, str]
    home: Path

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run the installed `wootwatch ARGS` from a folder outside the repository."""
        return subprocess.run(
            [str(self.wootwatch), *args],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.home,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (built,) = out.glob("wootwatch-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    base = tmp_path_factory.mktemp("installed")
    venv = base / "venv"
    # The venv gets no pip of its own and nothing is byte-compiled: this pip installs
    # into it, resolving the wheel's dependencies from the index as a user's would
    # (ensurepip and compiling every dependency were two thirds of this file's time).
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")),
            *("install", "--quiet", "--no-compile", str(wheel)),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    home = base / "home"
    home.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "VIRTUAL_ENV", "WOOTWATCH_CONFIG"}
    }
    env |= {"HOME": str(home), "XDG_STATE_HOME": str(home / "state"), "NO_COLOR": "1"}
    yield Installed(venv / "bin" / "wootwatch", env, home)


def test_the_wheel_holds_every_package_and_its_data_and_no_tests(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    packages = {name.rsplit("/", 1)[0] for name in names if name.endswith("/__init__.py")}
    on_disk = {
        str(init.parent.relative_to(ROOT))
        for top in ("collectors", "tui", "widgets", "themes")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert packages == on_disk
    shipped_data = {"themes/wootwatch.tcss", "collectors/alerts/default_pack.yaml", "tui/py.typed"}
    assert shipped_data <= set(names)
    assert not [name for name in names if name.startswith(("tests/", "bench/"))]


def test_the_installed_command_answers_help_and_version(installed: Installed) -> None:
    helped = installed.run("--help")
    assert helped.returncode == 0, helped.stderr
    assert "collect" in helped.stdout and "export" in helped.stdout
    version = installed.run("--version")
    assert version.returncode == 0
    assert version.stdout.startswith("wootwatch 0.")


def test_check_config_accepts_the_shipped_example(installed: Installed) -> None:
    checked = installed.run("check-config", "--config", str(ROOT / "wootwatch.example.yaml"))
    assert checked.returncode == 0, checked.stderr
    assert ": ok; database" in checked.stdout


def test_collect_alerts_and_export_work_from_the_wheel(installed: Installed) -> None:
    db = installed.home / "ww.db"
    config = installed.home / "demo.yaml"
    config.write_text(DEMO_CONFIG.format(db=db))

    collected = installed.run("collect", "--once", "--config", str(config))
    assert collected.returncode == 0, collected.stderr
    assert db.exists()

    alerts = installed.run("alerts", "--db", str(db), "--json")
    assert alerts.returncode == 0, alerts.stderr
    assert alerts.stdout.lstrip().startswith("[")

    exported = installed.run("export", "--db", str(db))
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith("# ")
    assert "chatwoot" in exported.stdout


def test_the_demo_runs_piped_and_stops_cleanly_on_sigterm(installed: Installed) -> None:
    demo = subprocess.Popen(
        [str(installed.wootwatch), "--demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=installed.env,
        cwd=installed.home,
    )
    assert demo.stdout is not None
    try:
        lines = _lines_until(demo.stdout, "chatwoot", deadline=time.monotonic() + 90)
        demo.send_signal(signal.SIGTERM)
        _, err = demo.communicate(timeout=60)
    finally:
        demo.kill()
    assert lines[0].startswith("wootwatch demo: simulated stack, database "), lines
    assert "chatwoot" in lines[-1]  # the plain summary's line for the demo's Chatwoot
    assert demo.returncode == 0, err
    assert "Traceback" not in err


def _lines_until(stream: IO[str], word: str, *, deadline: float) -> list[str]:
    """Lines read from `stream` up to the first holding `word` (all of them on a timeout)."""
    lines: list[str] = []
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        while time.monotonic() < deadline and selector.select(deadline - time.monotonic()):
            line = stream.readline()
            if not line:
                break
            lines.append(line)
            if word in line:
                break
    return lines

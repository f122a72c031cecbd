"""End to end: the real `wootwatch` command in tmux, driven by keys and read with capture-pane.

Each test gets a private tmux server (`tmux -L <unique>`) with one 120x40
pane (TERM=xterm-256color) running a plain shell, and HOME/XDG_STATE_HOME in
`tmp_path`, so the logs and crash report land there. A command runs as
`<command>; echo EXITED:$?` in that shell: once `EXITED:<code>` shows, the
process has ended, the shell has the terminal back, and tmux's pane flags
tell whether the terminal was restored (main screen, cursor shown, mouse
reporting off). Waits poll the pane against a generous deadline; a wait for a
process to end polls its /proc entry against a longer one (`wait_for_end`), since a
shutdown under load is slow before the shell can say anything.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fakes.demo_history import INCIDENT_ROUNDS, POLL_EVERY, record_demo

# Skipped on a developer's machine without tmux; in CI (CI=true) `make test` has
# installed it, so a missing tmux fails these tests instead of hiding them.
pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None and not os.environ.get("CI"),
    reason="tmux is not installed: apt-get install tmux",
)

WOOTWATCH = Path(sys.executable).parent / "wootwatch"
DEADLINE = 30.0
"""Seconds any one wait for the screen may take: generous, for a loaded 2-core machine."""
EXIT_DEADLINE = 120.0
"""Seconds a process may take to end once it is asked to: its shutdown (the final flush,
the alerts evaluated on it, the store closed) takes 2-3 s here and has taken over 30 s under
a loaded full run; only a hang takes this long."""
TITLES = {"2": "Latency", "3": "SLA", "4": "Queues", "5": "Alerts", "6": "Logs", "7": "Incident"}
TABS = ("[1 Overview]", *(f" {key} {title} " for key, title in TITLES.items()))
"""The tab bar on the overview: its tab marked, the others plain."""
NO_WRITER = "no collector is writing this database"
TMUX_CONF = """\
set -g default-terminal xterm-256color
set -g status off
set -g history-limit 100
"""
EXITED = r"EXITED:(\d+)"
"""What the shell prints once a command has ended (the typed line has `$?`, not digits)."""
RESTORED = {"alternate_on": "0", "cursor_flag": "1", "mouse_any_flag": "0", "mouse_sgr_flag": "0"}
"""tmux's pane flags once a full-screen program has given the terminal back."""


class Tmux:
    """A private tmux server with one 120x40 shell pane to start with."""

    def __init__(self, home: Path) -> None:
        self.socket = f"wootwatch-e2e-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        conf = home / "tmux.conf"
        conf.write_text(TMUX_CONF)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WOOTWATCH", "TMUX"))}
        env.update(HOME=str(home), XDG_STATE_HOME=str(home / "state"))
        self._env = env
        self.cwd = home
        self.pane = self.run(
            *("-f", str(conf), "new-session", "-d", "-x", "120", "-y", "40"),
            *("-P", "-F", "#{pane_id}", "bash --norc --noprofile"),
        ).strip()
        """The first pane."""
        self._socket_path = Path(self.run("display-message", "-p", "#{socket_path}").strip())

    def run(self, *args: str) -> str:
        """A tmux command on this server; its stdout."""
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            env=self._env,
            check=True,
            timeout=10,
        )
        return done.stdout

    def split(self) -> str:
        """A second shell pane below the first; its id."""
        return self.run(
            "split-window", "-v", "-d", "-P", "-F", "#{pane_id}", "-t", self.pane
        ).strip()

    def command(self, line: str, pane: str | None = None) -> None:
        """Type `line; echo EXITED:$?` into a pane's shell."""
        self.keys(f"cd {shlex.quote(str(self.cwd))}; {line}; echo EXITED:$?", "Enter", pane=pane)

    def keys(self, *keys: str, pane: str | None = None) -> None:
        """Send keys (tmux key names, or literal text) to a pane (the first by default)."""
        self.run("send-keys", "-t", pane or self.pane, *keys)

    def screen(self, pane: str | None = None) -> str:
        """What the pane shows now."""
        return self.run("capture-pane", "-p", "-J", "-t", pane or self.pane)

    def flag(self, name: str, pane: str | None = None) -> str:
        """One of tmux's pane or window flags (`#{name}`)."""
        return self.run("display-message", "-p", "-t", pane or self.pane, f"#{{{name}}}").strip()

    def flags(self, pane: str | None = None) -> dict[str, str]:
        """The pane's terminal mode flags that a full-screen program changes."""
        return {name: self.flag(name, pane) for name in RESTORED}

    def wait_for(self, found: Callable[[str], bool], pane: str | None = None) -> str:
        """Poll the pane until `found(screen)`; the screen, or fail with it."""
        deadline = time.monotonic() + DEADLINE
        while True:
            shown = self.screen(pane)
            if found(shown):
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"not found within {DEADLINE} s; the pane shows:\n{shown}{self._log_tail()}"
                )
            time.sleep(0.1)

    def _log_tail(self) -> str:
        """The end of wootwatch's log file in this home, to tell a hang from a slow start."""
        log = Path(self._env["XDG_STATE_HOME"]) / "wootwatch" / "wootwatch.log"
        if not log.exists():
            return ""
        return "\nwootwatch.log ends:\n" + "\n".join(log.read_text().splitlines()[-15:])

    def wait_for_title(self, title: str, pane: str | None = None) -> str:
        """Wait for the tab bar to mark the screen called `title` as the one on view."""
        return self.wait_for(lambda shown: f" {title}]" in top_bar(shown), pane)

    def wait_for_exit(self, pane: str | None = None) -> int:
        """Wait for the command typed by `command` to end; its exit code."""
        shown = self.wait_for(lambda text: re.search(EXITED, text) is not None, pane)
        match = re.search(EXITED, shown)
        assert match is not None
        return int(match.group(1))

    def kill(self) -> None:
        """Stop the server and everything running in its panes; remove its socket."""
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10)
        self._socket_path.unlink(missing_ok=True)


def top_bar(shown: str) -> str:
    """The first line of a screen."""
    return shown.splitlines()[0] if shown else ""


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    server = Tmux(tmp_path)
    try:
        yield server
    finally:
        server.kill()


def test_demo_switches_screens_with_keys_and_quits_restoring_the_terminal(tmux: Tmux) -> None:
    assert tmux.flag("pane_width") == "120" and tmux.flag("pane_height") == "40"
    tmux.command(f"{WOOTWATCH} --demo")
    shown = tmux.wait_for_title("Overview")
    assert all(label in top_bar(shown) for label in TABS), shown
    assert tmux.flags()["alternate_on"] == "1"
    for key, title in TITLES.items():
        tmux.keys(key)
        tmux.wait_for_title(title)
    tmux.keys("1")
    tmux.wait_for_title("Overview")
    tmux.keys("q")
    assert tmux.wait_for_exit() == 0
    assert tmux.flags() == RESTORED
    shown = tmux.screen()
    assert "Traceback" not in shown
    assert "wootwatch demo:" not in shown  # the piped summary's banner: not before the TUI


def test_without_a_keyboard_the_demo_prints_the_summary_and_stops_on_ctrl_c(tmux: Tmux) -> None:
    tmux.command(f"{WOOTWATCH} --demo < /dev/null")
    shown = tmux.wait_for(lambda shown: "(Ctrl-C to quit)" in shown)
    assert "wootwatch demo: simulated stack" in shown
    assert tmux.flags()["alternate_on"] == "0"
    tmux.keys("C-c")
    assert tmux.wait_for_exit() == 0


def test_with_a_config_the_tui_runs_the_collectors_and_rings_the_bell_on_an_alert(
    tmux: Tmux, tmp_path: Path
) -> None:
    config = tmp_path / "wootwatch.yaml"
    config.write_text(
        "database: own.db\n"
        "notify: {group_wait: 1s}\n"
        "sources: [{type: demo, name: chatwoot, part: chatwoot, interval: 1s}]\n"
        "rules:\n"
        "  - {name: always, series: chatwoot.up, condition: {op: '>=', value: 0},\n"
        "     for: 3 checks, severity: critical}\n"
    )
    tmux.command(f"{WOOTWATCH} --config {config}")
    shown = tmux.wait_for_title("Overview")
    assert NO_WRITER not in shown  # this process is the writer
    # The rule fires on the third poll; the bell must reach the terminal while Textual owns it.
    tmux.wait_for(lambda _: tmux.flag("window_bell_flag") == "1")
    tmux.keys("q")
    assert tmux.wait_for_exit() == 0
    with sqlite3.connect(tmp_path / "own.db") as db:
        assert db.execute("SELECT name, state FROM sources").fetchall() == [("chatwoot", "ok")]


def test_several_tuis_attach_to_one_collector_and_see_it_stop(tmux: Tmux, tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    config = tmp_path / "wootwatch.yaml"
    config.write_text(
        f"database: {db}\nsources:\n"
        "  - {type: demo, name: chatwoot, part: chatwoot, interval: 1s}\n"
        "  - {type: demo, name: sidekiq, part: sidekiq, interval: 1s}\n"
    )
    collector = subprocess.Popen(
        [WOOTWATCH, "collect", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")},
    )
    try:
        wait_for_sources(db, 2)
        second = tmux.split()
        for pane in (tmux.pane, second):
            tmux.command(f"{WOOTWATCH} --attach {db}", pane)
        for pane in (tmux.pane, second):
            assert NO_WRITER not in tmux.wait_for_title("Overview", pane)
    finally:
        collector.kill()  # kill -9: no goodbye; the writer's lock goes with the process
        collector.wait(timeout=10)
    for pane in (tmux.pane, second):
        tmux.wait_for(lambda shown: NO_WRITER in shown, pane)
    tmux.keys("q")
    tmux.keys("C-c", pane=second)
    assert tmux.wait_for_exit() == 0
    assert tmux.wait_for_exit(second) == 0


def test_sigterm_restores_the_terminal_and_exits_0(tmux: Tmux, tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    tmux.command(f"sh -c 'echo $$ > {pidfile}; exec {WOOTWATCH} --demo'")
    tmux.wait_for_title("Overview")
    os.kill(int(pidfile.read_text()), signal.SIGTERM)
    assert tmux.wait_for_exit() == 0
    assert tmux.flags() == RESTORED
    assert "Traceback" not in tmux.screen()


def test_a_dropped_terminal_stops_the_tui_and_flushes_its_collectors(
    tmux: Tmux, tmp_path: Path
) -> None:
    # What a dropped SSH session does: the terminal closes under the TUI (writes to it
    # fail) and the process gets SIGHUP. tmux's kill-server does both.
    config = tmp_path / "wootwatch.yaml"
    config.write_text(
        "database: own.db\nsources: [{type: demo, name: chatwoot, part: chatwoot, interval: 1s}]\n"
    )
    pidfile = tmp_path / "pid"
    tmux.command(f"sh -c 'echo $$ > {pidfile}; exec {WOOTWATCH} --config {config}'")
    tmux.wait_for_title("Overview")
    pid = int(pidfile.read_text())
    tmux.kill()
    wait_for_end(pid)
    with sqlite3.connect(tmp_path / "own.db") as db:
        assert db.execute("SELECT name FROM sources").fetchall() == [("chatwoot",)]


def wait_for_end(pid: int) -> None:
    """Poll until process `pid` has ended; kill it and fail after `EXIT_DEADLINE`."""
    deadline = time.monotonic() + EXIT_DEADLINE
    while Path(f"/proc/{pid}").exists() and _state(pid) != "Z":
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            raise AssertionError(
                f"wootwatch still running {EXIT_DEADLINE} s after it was asked to end"
            )
        time.sleep(0.1)


def _state(pid: int) -> str:
    """A process's state letter from /proc (`Z` once it has ended, unreaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return "Z"


@pytest.mark.parametrize(
    "content", [None, b"not a database, just text\n" * 100], ids=["missing", "not-sqlite"]
)
def test_an_unreadable_database_is_one_line_and_exit_1(
    tmux: Tmux, tmp_path: Path, content: bytes | None
) -> None:
    db = tmp_path / "broken.db"
    if content is not None:
        db.write_bytes(content)
    tmux.command(f"{WOOTWATCH} --attach {db}")
    assert tmux.wait_for_exit() == 1
    shown = tmux.screen()
    problems = [line for line in shown.splitlines() if line.startswith("wootwatch: ")]
    assert len(problems) == 1 and str(db) in problems[0], shown
    assert "Traceback" not in shown
    assert tmux.flags() == RESTORED


def test_a_crash_in_the_app_is_one_line_with_the_traceback_in_the_crash_report(
    tmux: Tmux, tmp_path: Path
) -> None:
    # Python imports sitecustomize from PYTHONPATH at start: make the pin key fail.
    (tmp_path / "inject").mkdir()
    (tmp_path / "inject" / "sitecustomize.py").write_text(
        "from tui.app import WootwatchApp\n\n"
        "def fail(self):\n"
        "    raise RuntimeError('injected failure')\n\n"
        "WootwatchApp.action_pin_incident = fail\n"
    )
    pidfile = tmp_path / "pid"
    inject = f"PYTHONPATH={tmp_path / 'inject'}"
    tmux.command(f"{inject} sh -c 'echo $$ > {pidfile}; exec {WOOTWATCH} --demo'")
    tmux.wait_for_title("Overview")
    tmux.keys("p")
    wait_for_end(int(pidfile.read_text()))  # the process, not the screen: it may end slowly
    assert tmux.wait_for_exit() == 1
    shown = tmux.screen()
    report = tmp_path / "state" / "wootwatch" / "crash.log"
    assert f"wootwatch: internal error: the live view stopped; traceback in {report}" in shown
    assert "Traceback" not in shown and "injected failure" not in shown
    assert "RuntimeError: injected failure" in report.read_text()
    assert tmux.flags() == RESTORED


def wait_for_sources(db: Path, count: int) -> None:
    """Wait until the collector has recorded `count` sources."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if db.exists():
            try:
                with sqlite3.connect(db) as reader:
                    if reader.execute("SELECT count(*) FROM sources").fetchone()[0] >= count:
                        return
            except sqlite3.Error:
                pass  # the schema is not there yet
        time.sleep(0.1)
    raise AssertionError(f"no {count} sources in {db} after {DEADLINE} s")


def test_the_demo_names_its_database_and_a_second_terminal_follows_readme(tmux: Tmux) -> None:
    """Issue 16: README's second-terminal flow works for the demo, from the path it shows."""
    tmux.command(f"{WOOTWATCH} --demo")
    shown = tmux.wait_for(lambda shown: "demo.db" in shown and "Demo database" in shown)
    match = re.search(r"(/\S*wootwatch-demo-\S*/demo\.db)", shown)
    assert match is not None, shown
    db = match.group(1)
    second = tmux.split()
    tmux.command(f"{WOOTWATCH} alerts --db {db}", second)
    assert tmux.wait_for_exit(second) == 0
    assert "Traceback" not in tmux.screen(second)
    tmux.keys("clear", "Enter", pane=second)
    tmux.command(f"{WOOTWATCH} --attach {db}", second)
    assert NO_WRITER not in tmux.wait_for_title("Overview", second)  # the demo is the writer
    tmux.keys("q", pane=second)
    assert tmux.wait_for_exit(second) == 0
    tmux.keys("q")
    assert tmux.wait_for_exit() == 0


def test_at_80x24_the_alerts_rows_show_severity_rule_value_and_ack(
    tmux: Tmux, tmp_path: Path
) -> None:
    """Issue 16: 80x24 is a first-class size; the alerts screen keeps its key columns."""
    db = tmp_path / "demo.db"
    asyncio.run(record_demo(db, start=time.time() - INCIDENT_ROUNDS * POLL_EVERY))
    subprocess.run(
        [
            WOOTWATCH,
            "ack",
            "--db",
            str(db),
            _firing_id(db, "queue_depth_high"),
            "--note",
            "scaling",
            "--user",
            "ana",
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")},
    )
    tmux.run("resize-window", "-t", tmux.pane, "-x", "80", "-y", "24")
    assert tmux.flag("pane_width") == "80" and tmux.flag("pane_height") == "24"
    tmux.command(f"{WOOTWATCH} --attach {db}")
    tmux.wait_for_title("Overview")
    tmux.keys("5")
    shown = tmux.wait_for(lambda shown: "queue_depth_high" in shown)
    row = next(line for line in shown.splitlines() if "queue_depth_high " in line)
    assert re.search(r"◆ error\s+queue_depth_high\s+\d+\S*\s+✓ ana: scal…", row), shown
    header = next(line for line in shown.splitlines() if "severity" in line)
    assert re.search(r"severity\s+rule\s+value\s+ack", header), shown
    assert all(len(line) <= 80 for line in shown.splitlines())
    tmux.keys("q")
    assert tmux.wait_for_exit() == 0


def _firing_id(db: Path, rule: str) -> str:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT id FROM alerts WHERE rule = ? AND state = 'firing'", (rule,)
        ).fetchone()
    assert row is not None
    return str(row[0])

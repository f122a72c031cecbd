"""collectors/ runs without a screen: it never imports Textual, tui or widgets."""

from __future__ import annotations

import ast
import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_collectors_import_no_textual_module() -> None:
    modules = sorted(p.stem for p in (ROOT / "collectors").glob("*.py") if p.stem != "__init__")
    # As installed without the test extras: no click. (Flask, for moto's server, brings click
    # in, and with click present `import httpx` also imports httpx's command line and rich.)
    code = (
        "import importlib, json, sys\n"
        "sys.modules['click'] = None\n"
        f"for name in {modules!r}: importlib.import_module('collectors.' + name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    assert "collectors.store.database" in loaded
    leaked = [m for m in loaded if m.split(".")[0] in {"textual", "tui", "widgets", "rich"}]
    assert leaked == []


def test_the_fakes_load_no_source() -> None:
    """The fakes are upstreams: the demo points the sources at them (`collectors.demo_stack`)."""
    fakes = sorted(p.stem for p in (ROOT / "collectors" / "fakes").glob("*.py"))
    code = (
        "import importlib, json, sys\n"
        f"for name in {fakes!r}: importlib.import_module('collectors.fakes.' + name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {m for m in json.loads(out.stdout) if m.startswith("collectors.")}
    assert {m for m in loaded if not m.startswith("collectors.fakes")} == set()


def test_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


HEAVY = ("textual", "boto3", "botocore", "collectors.demo_stack")
"""What a headless command must not pay for at start (issue 12: 0.95 s for `alerts --help`)."""

DEMO_CONFIG = """\
database: {db}
sources:
  - {{type: demo, name: chatwoot, part: chatwoot, interval: 5s}}
  - {{type: demo, name: sidekiq, part: sidekiq, interval: 5s}}
"""


def _modules_after(argv: list[str], tmp_path: Path) -> tuple[int, list[str]]:
    """Run `wootwatch ARGV` in a fresh interpreter; its exit code and the modules it loaded."""
    dump = tmp_path / "modules.json"
    code = (
        "import json, sys\n"
        "from tui.cli import main\n"
        "try:\n"
        f"    rc = main({argv!r})\n"
        "except SystemExit as exit:\n"
        "    rc = exit.code or 0\n"
        "loaded = sorted(name for name, module in sys.modules.items() if module is not None)\n"
        f"open({str(dump)!r}, 'w').write(json.dumps(loaded))\n"
        "sys.exit(rc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    return result.returncode, json.loads(dump.read_text())


def test_headless_commands_import_neither_textual_nor_boto3(tmp_path: Path) -> None:
    db = tmp_path / "ww.db"
    config = tmp_path / "ww.yaml"
    config.write_text(DEMO_CONFIG.format(db=db))
    runs = {
        "collect --once": ["collect", "--once", "--config", str(config)],
        "--help": ["--help"],
        "alerts --json": ["alerts", "--db", str(db), "--json"],
        "ack": ["ack", "999", "--db", str(db)],
        "silence --list": ["silence", "--list", "--db", str(db)],
        "check-config": ["check-config", "--config", str(config)],
        "alerts with a config": ["alerts", "--config", str(config)],
    }
    loaded: dict[str, list[str]] = {}
    for name, argv in runs.items():  # collect first: the others read what it wrote
        code, modules = _modules_after(argv, tmp_path)
        assert code in (0, 1), (name, code)  # ack 999: no such alert, exit 1
        loaded[name] = [m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY]
    assert loaded == {name: [] for name in runs}


def test_alerts_on_a_small_database_reads_no_config_models(tmp_path: Path) -> None:
    """`alerts --db` is what cron jobs call: no pydantic, no rule pack, no source modules."""
    db = tmp_path / "ww.db"
    config = tmp_path / "ww.yaml"
    config.write_text(DEMO_CONFIG.format(db=db))
    assert _modules_after(["collect", "--once", "--config", str(config)], tmp_path)[0] == 0
    code, modules = _modules_after(["alerts", "--db", str(db), "--json"], tmp_path)
    assert code == 0
    assert "collectors.alerts.book" in modules
    assert [m for m in modules if m.split(".")[0] in {"pydantic", "httpx", "redis", "yaml"}] == []


def _modules_at_first_frame(argv: list[str], tmp_path: Path) -> list[str]:
    """Run `wootwatch ARGV` in a 120x40 pseudo-terminal; the modules loaded at its first frame.

    The process leaves as the frame holding the overview's tab is handed to the terminal.
    """
    dump = tmp_path / "modules.json"
    code = (
        "import json, os, sys\n"
        "from textual.drivers.linux_driver import LinuxDriver\n"
        "write = LinuxDriver.write\n"
        "def first_frame(self, data):\n"
        "    write(self, data)\n"
        "    if '1 Overview' in data:\n"
        f"        open({str(dump)!r}, 'w').write(json.dumps(sorted(sys.modules)))\n"
        "        os._exit(0)\n"
        "LinuxDriver.write = first_frame\n"
        "from tui.cli import main\n"
        f"main({argv!r})\n"
    )
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "HOME": str(tmp_path)}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    with subprocess.Popen(
        [sys.executable, "-c", code], stdin=slave, stdout=slave, stderr=slave, env=env
    ) as proc:
        os.close(slave)
        shown: list[bytes] = []
        reader = threading.Thread(target=_drain, args=(master, shown), daemon=True)
        reader.start()
        proc.wait(timeout=60)
        reader.join(5)
    os.close(master)
    assert dump.exists(), b"".join(shown)[-2000:].decode(errors="replace")
    loaded: list[str] = json.loads(dump.read_text())
    return loaded


def _drain(fd: int, into: list[bytes]) -> None:
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the process has gone
            return
        if not chunk:
            return
        into.append(chunk)


def test_the_demo_draws_the_overview_before_loading_other_screens_or_collectors(
    tmp_path: Path,
) -> None:
    """The first frame waits for no other screen, collector or exporter: they load after it.

    The other screens are built by warming once it is on view (`tui.warming`), the
    collectors with their clients (redis-py for Sidekiq, httpx's transport) by the live
    view once it is drawn (`tui.monitor`), the exporters on the first `e`.
    """
    loaded = set(_modules_at_first_frame(["--demo"], tmp_path))
    assert "tui.screens.overview" in loaded
    later = {"tui.screens." + s for s in ("latency", "sla", "queues", "alerts", "logs", "incident")}
    later |= {"tui.dialogs.export", "tui.export.gather", "tui.export.markdown"}
    assert later & loaded == set()
    assert [m for m in loaded if m.split(".")[0] in {"redis", "httpcore", "plotext"}] == []


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The project modules a file imports anywhere in it (function bodies too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found & modules


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            part = []
            while (top := stack.pop()) != node:
                part.append(top)
            if part:
                found.append(sorted([node, *part]))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _module_files() -> dict[str, Path]:
    files = {}
    for package in ("collectors", "tui", "widgets"):
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return files


def test_no_two_modules_import_each_other() -> None:
    """Issue 15: no import cycle, not even through an import inside a function."""
    files = _module_files()
    graph = {name: _imports(path, set(files)) - {name} for name, path in files.items()}
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]

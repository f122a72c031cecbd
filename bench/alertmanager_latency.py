"""Alertmanager delivery latency: from an alert firing in wootwatch to visible in `amtool`.

Usage: `python bench/alertmanager_latency.py [--runs 3]` (needs Debian's
`prometheus-alertmanager`, which brings `amtool`; not part of `make bench`'s table).

Setup: one real Alertmanager on a free local port; for each run a `wootwatch
collect` whose Chatwoot is a closed port (connections refused) at a 1 s
interval, so `chatwoot_api_down` fires after its 3 checks; each run names its
source apart, so each is a new alert in Alertmanager.

Measured, per `notify.group_wait` (0.1 s, and the default 5 s): the time from
the firing transition recorded in the collector's database (the check's time)
to the first `amtool alert query` that lists the alert, polled back to back
(one `amtool` run takes tens of milliseconds, which bounds the resolution).
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

WOOTWATCH = str(Path(sys.executable).with_name("wootwatch"))
AM_CONFIG = """\
route: {receiver: "null", group_by: [alertname], group_wait: 100ms, group_interval: 1s}
receivers: [{name: "null"}]
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_alertmanager(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    server = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if server is None or shutil.which("amtool") is None:
        sys.exit("needs apt-get install prometheus-alertmanager")
    port = _free_port()
    (workdir / "am.yml").write_text(AM_CONFIG)
    process = subprocess.Popen(
        [
            server,
            f"--config.file={workdir / 'am.yml'}",
            f"--storage.path={workdir / 'am'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=1):
                return process, url
        except OSError:
            time.sleep(0.05)
    sys.exit("alertmanager did not start")


def _fired_at(db: Path) -> float | None:
    if not db.exists():
        return None
    try:
        with sqlite3.connect(db) as reader:
            row = reader.execute(
                "SELECT e.ts FROM alert_events e JOIN alerts a ON a.id = e.alert_id"
                " WHERE a.rule = 'chatwoot_api_down' AND e.to_state = 'firing'"
            ).fetchone()
    except sqlite3.Error:
        return None
    return float(row[0]) if row else None


def _shown(url: str, source: str) -> bool:
    query = ["alert", "query", "alertname=chatwoot_api_down", f"source={source}"]
    result = subprocess.run(
        ["amtool", f"--alertmanager.url={url}", "-o", "json", *query],
        capture_output=True,
        text=True,
        check=True,
    )
    return bool(json.loads(result.stdout))


def _one_run(workdir: Path, url: str, group_wait: str, name: str) -> float:
    config = workdir / f"{name}.yaml"
    db = workdir / f"{name}.db"
    config.write_text(
        f"database: {db}\n"
        "sources:\n"
        f"  - {{type: chatwoot, name: {name}, interval: 1s, account_id: 1, api_token: t,"
        f" base_url: 'http://127.0.0.1:{_free_port()}'}}\n"
        f"notify: {{group_wait: {group_wait}, bell: false, alertmanager: {{url: '{url}'}}}}\n"
    )
    collector = subprocess.Popen(
        [WOOTWATCH, "collect", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if _shown(url, name):
                seen = time.time()
                fired = _fired_at(db)
                assert fired is not None, "visible in Alertmanager before firing in wootwatch?"
                return seen - fired
        raise SystemExit(f"{name}: not visible in amtool within 60 s")
    finally:
        collector.terminate()
        collector.wait(timeout=30)


def main() -> None:
    """Measure and print the latency per group_wait."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wootwatch-am-bench-") as tmp:
        workdir = Path(tmp)
        process, url = _start_alertmanager(workdir)
        try:
            for group_wait in ("0.1s", "5s"):
                figures = [
                    _one_run(workdir, url, group_wait, f"cw-{group_wait.replace('.', '_')}-{i}")
                    for i in range(args.runs)
                ]
                print(
                    f"group_wait {group_wait}: firing -> visible in amtool, median "
                    f"{statistics.median(figures):.2f} s, max {max(figures):.2f} s "
                    f"over {args.runs} runs"
                )
        finally:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()

"""A real Alertmanager (Debian's `prometheus-alertmanager`) on free local ports, and `amtool`.

Skipped with one line saying how to install it when the command is missing,
except under CI=true, where it must run (`make test` installs it).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

INSTALL = "apt-get install prometheus-alertmanager"

CONFIG = """\
global:
  resolve_timeout: {resolve_timeout}
route:
  receiver: "null"
  group_by: [alertname]
  group_wait: 100ms
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: "null"
"""


def free_port() -> int:
    """A port nothing listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tools() -> tuple[str, str]:
    """The alertmanager and amtool commands, or a skip (a failure under CI)."""
    server = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    amtool = shutil.which("amtool")
    if server is None or amtool is None:
        message = f"Alertmanager is not installed ({INSTALL}): Alertmanager tests skipped"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return server, amtool


class Alertmanager:
    """One Alertmanager process with its own config, storage and ports."""

    def __init__(self, workdir: Path, *, resolve_timeout: str = "5m") -> None:
        self.server, self.amtool_path = tools()
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        (workdir / "alertmanager.yml").write_text(CONFIG.format(resolve_timeout=resolve_timeout))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it and wait until it answers."""
        self.process = subprocess.Popen(
            [
                self.server,
                f"--config.file={self.workdir / 'alertmanager.yml'}",
                f"--storage.path={self.workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"alertmanager did not start on port {self.port}")

    def stop(self) -> None:
        """Stop the process."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def amtool(self, *args: str) -> Any:
        """Run `amtool ... -o json` against this Alertmanager; its decoded output."""
        result = subprocess.run(
            [self.amtool_path, f"--alertmanager.url={self.url}", "-o", "json", *args],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        )
        return json.loads(result.stdout)

    def alerts(self, name: str) -> list[dict[str, Any]]:
        """The active alerts named `name`, as `amtool alert query` shows them."""
        return list(self.amtool("alert", "query", f"alertname={name}"))

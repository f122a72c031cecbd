"""The external programs some tests drive (promtool, amtool): found, or skipped with how to install.

Under CI (`CI` set, as `.ci/run` and `make test` do) a missing program fails
the test instead: `make test-tools` installs them there, so a skip would hide
tests that must run.
"""

from __future__ import annotations

import os
import shutil

import pytest

PACKAGES = {
    "promtool": "prometheus",
    "prometheus": "prometheus",
    "amtool": "prometheus-alertmanager",
}
"""Command to the Debian package that provides it (the Makefile's test-tools map)."""


def tool(command: str) -> str:
    """The path of `command`; skips the test (fails it under CI) when it is not installed."""
    path = shutil.which(command)
    if path is None:
        message = f"{command} is not installed (apt-get install {PACKAGES.get(command, command)})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path

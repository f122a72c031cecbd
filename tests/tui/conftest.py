"""Fixtures of the TUI tests: a deterministic demo database and the app on it.

Every screen test reads the same recorded demo (`record_demo`: a fixed clock,
a fixed seed, the middle of the first scripted incident), in UTC, so SVG
snapshots are identical on every machine.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.demo_history import record_demo

from tui.app import WootwatchApp

os.environ["TZ"] = "UTC"
time.tzset()


@pytest.fixture(scope="session")
def recorded_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """The recorded demo (built once per run) and the time it was recorded up to."""
    path = tmp_path_factory.mktemp("recorded") / "demo.db"
    now = asyncio.run(record_demo(path))
    return path, now


@pytest.fixture
def demo_db(recorded_demo: tuple[Path, float], tmp_path: Path) -> Iterator[Path]:
    """A private copy of the recorded demo, for a test that acknowledges or pins."""
    source, _ = recorded_demo
    copy = tmp_path / "demo.db"
    shutil.copy(source, copy)
    yield copy


@pytest.fixture
def demo_now(recorded_demo: tuple[Path, float]) -> float:
    """The "now" of the recorded demo."""
    return recorded_demo[1]


@pytest.fixture
def demo_app(demo_db: Path, demo_now: float) -> WootwatchApp:
    """The TUI on a copy of the recorded demo, its clock stopped at the demo's now."""
    return WootwatchApp(demo_db, clock=lambda: demo_now)


@pytest.fixture
def snapshot_demo(demo_db: Path, demo_now: float) -> tuple[Path, float]:
    """A private copy of the recorded demo, and its now, for a snapshot.

    The tab bar shows the database's file name, `demo.db` on every machine. A
    copy, because a snapshot may pin the incident start or acknowledge.
    """
    return demo_db, demo_now

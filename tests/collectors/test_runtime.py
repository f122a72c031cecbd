"""collectors.runtime: the store, alert engine and scheduler collect, the TUI and the demo share."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.alerts.book import AlertBook
from collectors.alerts.rules import effective_rules
from collectors.base import Collector, SourceConfig
from collectors.demo import DemoCollector, DemoConfig
from collectors.errors import StoreError
from collectors.runtime import Runtime
from collectors.store.database import Store


async def test_a_collecting_runtime_polls_writes_evaluates_and_then_frees_the_database(
    tmp_path: Path,
) -> None:
    db = tmp_path / "wootwatch.db"
    sources = [DemoConfig(name="sidekiq", part="sidekiq")]
    async with await Runtime.open(db, sources=sources, rules=effective_rules()) as runtime:
        assert runtime.scheduler is not None and runtime.engine is not None
        with pytest.raises(StoreError):  # one writer per database, and this is it
            await Store.open(db)
        statuses = await runtime.scheduler.run_once()
        assert statuses["sidekiq"].state.value == "ok"
        assert await runtime.store.series(source="sidekiq")
    async with await Store.open(db) as writer:  # closed: another writer may open it
        assert await writer.series(source="sidekiq")
    async with await AlertBook.open(db, readonly=True):  # the engine made its tables
        pass


async def test_an_attached_runtime_only_reads(tmp_path: Path) -> None:
    db = tmp_path / "wootwatch.db"
    async with await Runtime.open(db, sources=[], rules=[]):
        pass
    async with await Runtime.attach(db) as runtime:
        assert (runtime.engine, runtime.scheduler) == (None, None)
        assert runtime.store.readonly
        async with await Store.open(db) as writer:  # a reader holds no writer lock
            assert writer.path == db


async def test_collectors_later_builds_no_collector_until_the_scheduler_is_asked_for(
    tmp_path: Path,
) -> None:
    """The live view draws its first frame before any collector (client, import) is made."""
    built: list[str] = []

    def make(config: SourceConfig) -> Collector:
        built.append(config.name)
        return DemoCollector(config)

    sources = [DemoConfig(name="sidekiq", part="sidekiq")]
    async with await Runtime.open(
        tmp_path / "wootwatch.db",
        sources=sources,
        rules=[],
        make_collector=make,
        collectors_later=True,
    ) as runtime:
        assert (runtime.scheduler, built) == (None, [])
        scheduler = runtime.build_scheduler()
        assert built == ["sidekiq"] and runtime.scheduler is scheduler
        assert runtime.build_scheduler() is scheduler and built == ["sidekiq"]
    async with await Runtime.attach(tmp_path / "wootwatch.db") as attached:
        with pytest.raises(RuntimeError):
            attached.build_scheduler()

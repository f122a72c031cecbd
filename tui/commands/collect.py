"""`wootwatch collect`: the collectors headless, until a signal (or one round with --once)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import MappingProxyType

from collectors.base import Collector, SourceConfig, SourceState
from collectors.inert import inert
from collectors.runtime import Runtime
from collectors.scheduler import BackoffPolicy
from tui.commands.common import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    database,
    load_config,
    log_to_stderr,
)
from tui.commands.shutdown import Shutdown
from tui.config.models import WootwatchConfig

__all__ = ["open_runtime", "run"]

log = logging.getLogger("wootwatch")


async def open_runtime(
    config: WootwatchConfig,
    db: Path,
    *,
    make_collector: Callable[[SourceConfig], Collector] | None = None,
    policy: BackoffPolicy | None = None,
    collectors_later: bool = False,
) -> Runtime:
    """The store, alert engine and scheduler the config asks for, writing `db`.

    With `collectors_later`, the scheduler is built by `Runtime.build_scheduler`.
    """
    return await Runtime.open(
        db,
        sources=config.enabled_sources,
        rules=config.effective_rules,
        notify=config.notify,
        retention=config.retention,
        make_collector=make_collector,
        policy=policy,
        collectors_later=collectors_later,
    )


def run(args: argparse.Namespace) -> int:
    """Collect into `--db` (else the config's database) until stopped, or once."""
    log_to_stderr()
    _, config = load_config(args)
    listen = getattr(args, "metrics_listen", None) or config.metrics_listen
    return asyncio.run(
        _collect(config, database(args, config), once=args.once, metrics_listen=listen)
    )


@contextlib.asynccontextmanager
async def _metrics(listen: str | None, runtime: Runtime, db: Path) -> AsyncIterator[None]:
    """`/metrics` on `listen` while the collectors run (nothing when it is None)."""
    if listen is None:
        yield
        return
    from collectors.metrics import CountedSink, ProcessCounts
    from collectors.metrics_http import MetricsEndpoint  # prometheus-client only when asked

    dispatcher = runtime.engine.dispatcher if runtime.engine is not None else None
    counted = dispatcher.sinks if dispatcher is not None else ()
    sinks = [sink for sink in counted if isinstance(sink, CountedSink)]
    scheduler = runtime.scheduler
    failures = MappingProxyType(scheduler.poll_failures if scheduler is not None else {})
    process = ProcessCounts(sinks, failures)
    endpoint = await MetricsEndpoint.start(listen, db, process=process)
    log.info("serving /metrics on %s:%d", *endpoint.address)
    try:
        yield
    finally:
        await endpoint.aclose()


async def _collect(
    config: WootwatchConfig, db: Path, *, once: bool, metrics_listen: str | None = None
) -> int:
    sources = config.enabled_sources
    if not sources:
        raise UsageError("the config has no enabled sources: nothing to collect")
    async with (
        await open_runtime(config, db) as runtime,
        _metrics(None if once else metrics_listen, runtime, db),
    ):
        scheduler = runtime.scheduler
        assert scheduler is not None  # a collecting runtime has one
        if once:
            statuses = await scheduler.run_once()
            failed = [s for s in statuses.values() if s.state is not SourceState.OK]
            for status in failed:
                print(
                    f"wootwatch: {status.source}: {inert(status.last_error or '')}", file=sys.stderr
                )
            if scheduler.write_error:
                print(f"wootwatch: {scheduler.write_error}", file=sys.stderr)
                return EXIT_FAILURE
            return EXIT_FAILURE if failed else EXIT_OK

        log.info("collecting %d sources into %s", len(sources), db)
        with Shutdown() as shutdown:
            collecting = asyncio.create_task(scheduler.run())
            try:
                await shutdown.wait(collecting)
            finally:
                scheduler.stop()
                lost = await collecting
        if lost:
            log.error("stopped; %d records could not be written", lost)
            return EXIT_FAILURE
        log.info("stopped; pending writes flushed")
    return EXIT_OK

"""Running the live view: `wootwatch`, `wootwatch --demo` and `wootwatch --attach DB`.

The collectors (unless attached) run in this process beside the live view;
the first stop signal ends the view, gives the terminal back, then flushes
the collectors' pending writes before the store closes.

The view is drawn first: the collectors (their clients, the libraries those
import, their first polls and the demo's hour of backfill) are built and
started once its first frame is on the terminal, and cyclic garbage
collection, off since the command line started the live view (`tui.cli`),
is turned on then.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from collectors.alerts.book import AlertBook
from collectors.alerts.notify import BellWatcher, Terminal
from collectors.base import Collector, SourceConfig, format_duration
from collectors.demo_stack import DemoStack
from collectors.runtime import Runtime
from collectors.scheduler import BackoffPolicy
from tui.commands.collect import open_runtime
from tui.commands.common import (
    EXIT_FAILURE,
    EXIT_OK,
    crash_report,
    load_config,
    log_to_file,
)
from tui.commands.shutdown import Shutdown
from tui.config.models import WootwatchConfig
from tui.export.redaction import config_secrets
from tui.live_view import LiveView, ViewCrashed, can_run_tui

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """The live view in the mode the command line asked for."""
    log_to_file()
    try:
        if args.demo:
            with tempfile.TemporaryDirectory(prefix="wootwatch-demo-") as tmp:
                return asyncio.run(_demo(Path(tmp) / "demo.db"))
        if args.attach:
            config = load_config(args)[1] if getattr(args, "config", None) else WootwatchConfig()
            return asyncio.run(_monitor(config, Path(args.attach).expanduser(), attach=True))
        _, config = load_config(args)
        return asyncio.run(_monitor(config, config.database, attach=False))
    except ViewCrashed as exc:  # Textual's traceback is in the crash report already
        print(f"wootwatch: internal error: {exc}", file=sys.stderr)
        return EXIT_FAILURE


async def _ring_bell(config: WootwatchConfig, db: Path, terminal: Terminal) -> None:
    """Ring the terminal bell for new notifications, whoever runs the engine."""
    if not config.notify.bell.enabled or not sys.stdout.isatty():
        return
    async with await AlertBook.open(db, readonly=True) as book:
        bell = BellWatcher(book, terminal, min_severity=config.notify.bell.min_severity)
        await bell.run(config.refresh)


async def _monitor(
    config: WootwatchConfig,
    db: Path,
    *,
    attach: bool,
    make_collector: Callable[[SourceConfig], Collector] | None = None,
    policy: BackoffPolicy | None = None,
    greeting: str | None = None,
) -> int:
    """Collectors (unless attached) plus the live view, until it ends or a signal stops it."""
    lost = 0
    async with (
        await Runtime.attach(db)
        if attach
        else await open_runtime(
            config, db, make_collector=make_collector, policy=policy, collectors_later=True
        )
    ) as runtime:
        store = runtime.store
        with Shutdown() as shutdown:
            collecting: list[asyncio.Task[int]] = []
            view = LiveView(
                store,
                refresh=config.refresh,
                theme=config.theme,
                crash_report=crash_report(),
                secrets=config_secrets(config),
                sources=config.sources,
                rules=config.effective_rules,
                greeting=greeting,
            )
            showing = view.start()
            bell = asyncio.create_task(_ring_bell(config, store.path, view.terminal))
            try:
                if await _drawn(view, showing, shutdown) and not attach:
                    scheduler = runtime.build_scheduler()
                    scheduler.watch_writes(view.written)
                    collecting.append(asyncio.create_task(scheduler.run()))
                await shutdown.wait(showing, *collecting)
                view.raise_for_failure()
            finally:
                await view.stop()  # on a signal, the TUI restores the terminal first
                shutdown.flushing()
                bell.cancel()
                await asyncio.gather(bell, return_exceptions=True)
                # Whatever ended the wait, the collectors flush before the store closes.
                if runtime.scheduler is not None:
                    runtime.scheduler.stop()
                    lost = sum(await asyncio.gather(*collecting))
    if lost:
        print(f"wootwatch: stopped; {lost} records could not be written", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


async def _drawn(view: LiveView, showing: asyncio.Task[None], shutdown: Shutdown) -> bool:
    """Wait for the view's first frame; False if the view ended or a signal came first.

    Garbage collection is on again from here, whichever came first.
    """
    drawn = asyncio.create_task(view.drawn())
    try:
        await shutdown.wait(showing, drawn)
    finally:
        drawn.cancel()
        gc.enable()
    return drawn.done() and not drawn.cancelled() and not showing.done()


_IN_STEP = BackoffPolicy(jitter=0.0, end_in_step=True)
"""The demo's sources poll in step (one interval, no jitter, polls timed to end together):
their writes land together, in one refresh of the screen, which then draws one frame for
all of them, not one per source (nor one more for Chatwoot's slower polls). Real sources
keep the jitter that spreads them apart."""


async def _demo(database: Path) -> int:
    """The live view on the demo stack: fakes and simulated parts in this process."""
    async with DemoStack() as stack:
        config = WootwatchConfig(database=database, sources=stack.sources)
        if not can_run_tui(sys.stdout):  # the TUI's first notice says it; no flash before it
            print(
                f"wootwatch demo: simulated stack, database {database}, "
                f"incident every {format_duration(300)}",
                flush=True,
            )
        return await _monitor(
            config,
            database,
            attach=False,
            make_collector=stack.make_collector,
            policy=_IN_STEP,
            greeting=_greeting(database),
        )


def _greeting(database: Path) -> str:
    """The demo's first notice: its temporary database, for a second terminal (README)."""
    return (
        f"Demo database, for a second terminal:\n{database}\n"
        "(wootwatch alerts --db PATH, wootwatch --attach PATH)"
    )

"""The collecting side of one process, wired once: store, alert engine and scheduler.

`wootwatch collect`, the TUI (`wootwatch`, `--demo`) and `--attach` all open a
database the same way; `Runtime.open` is that way. A collecting runtime opens
the store as its one writer, the alert engine on it (with the notify sinks the
config asks for) and a scheduler whose writes the engine evaluates; an attached
runtime opens the store read-only and nothing else. A live view opens it with
`collectors_later`: the scheduler, with every collector (their clients and the
libraries those import), is built by `build_scheduler` once the view has drawn
its first frame. `aclose` closes the engine and then the store, so the
engine's last rows commit first.

Nothing here is built per caller, and nothing here imports Textual, the
demo's fakes or boto3 (a source's module loads when its collector is made).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from collectors.alerts.engine import AlertEngine
from collectors.alerts.notify import NotifyConfig
from collectors.alerts.rules import Rule
from collectors.base import Collector, SourceConfig
from collectors.scheduler import BackoffPolicy, Scheduler
from collectors.store.database import Store
from collectors.store.retention import Retention

__all__ = ["Runtime"]

log = logging.getLogger("wootwatch")


class Runtime:
    """An open store, and for a collecting process its alert engine and scheduler.

    Open it with `Runtime.open` (collecting) or `Runtime.attach` (reading only);
    use it as an async context manager.
    """

    def __init__(
        self,
        store: Store,
        engine: AlertEngine | None = None,
        scheduler: Scheduler | None = None,
    ) -> None:
        self.store = store
        """The database: the writer when collecting, a reader when attached."""
        self.engine = engine
        """The rules evaluated after each write; None when attached."""
        self.scheduler = scheduler
        """The sources' polls; None when attached, or until `build_scheduler` when opened
        with `collectors_later`."""
        self._make_scheduler: Callable[[], Scheduler] | None = None

    @classmethod
    async def open(
        cls,
        database: Path,
        *,
        sources: Sequence[SourceConfig],
        rules: Sequence[Rule],
        notify: NotifyConfig | None = None,
        retention: Retention | None = None,
        make_collector: Callable[[SourceConfig], Collector] | None = None,
        policy: BackoffPolicy | None = None,
        collectors_later: bool = False,
    ) -> Runtime:
        """The writer of `database`, the alert engine on it and the scheduler of `sources`.

        Args:
            database: the database file (created if missing).
            sources: the enabled sources to poll (and to check rules for).
            rules: the rules in force (the default pack merged with the config's).
            notify: where notifications go; default none but the alert book.
            retention: the ring bounds.
            make_collector: builds a source's collector (the demo's fakes); default
                the registry's class.
            policy: when to poll next and when a source is down; default the scheduler's.
            collectors_later: build no collector yet: `build_scheduler` does.

        Raises:
            StoreError: the database cannot be opened for writing.
            AlertBookError: the alert tables cannot be opened.
        """
        async with contextlib.AsyncExitStack() as stack:
            store = await stack.enter_async_context(await Store.open(database, retention=retention))
            engine = await AlertEngine.open(rules, store, notify, sources=sources)
            stack.push_async_callback(engine.aclose)
            log.info("checking %d alert rules after each write", len(rules))
            runtime = cls(store, engine)
            runtime._make_scheduler = partial(
                Scheduler,
                sources,
                store,
                after_write=engine.after_write,
                make_collector=make_collector,
                policy=policy,
            )
            if not collectors_later:
                runtime.build_scheduler()
            stack.pop_all()
        return runtime

    def build_scheduler(self) -> Scheduler:
        """The scheduler and its collectors: built on the first call, then the same one.

        Raises:
            RuntimeError: the runtime is attached: it collects nothing.
        """
        if self.scheduler is None:
            if self._make_scheduler is None:
                raise RuntimeError("an attached runtime has no collectors")
            self.scheduler = self._make_scheduler()
        return self.scheduler

    @classmethod
    async def attach(cls, database: Path) -> Runtime:
        """A reader of a database that another process collects into.

        Raises:
            StoreError: the file cannot be read as a wootwatch database.
        """
        return cls(await Store.open(database, readonly=True))

    async def aclose(self) -> None:
        """Close the scheduler's collectors, the engine, then the store."""
        try:
            if self.scheduler is not None:
                await self.scheduler.aclose()
            if self.engine is not None:
                await self.engine.aclose()
        finally:
            await self.store.close()

    async def __aenter__(self) -> Runtime:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

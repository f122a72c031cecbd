"""Serve `/metrics` beside the collectors: prometheus-client's HTTP server over the store.

Contract:

* `MetricsEndpoint.start(listen, db)` opens its own read-only handles on the
  database (a store and an alert book, so a scrape reads committed rows and
  never waits inside the writer's transaction) and serves prometheus-client's
  exposition on `HOST:PORT` from a thread of that library.
* The collect process may pass a `ProcessCounts` view (its sinks' and
  scheduler's in-process counters); the endpoint only reads it.
* A scrape runs `collectors.metrics.read_families` on the collector's event
  loop (where the handles live) and waits for it at most `SCRAPE_TIMEOUT`;
  a failed read is a failed scrape (HTTP 500), which Prometheus records as
  `up == 0`, never a page of made-up values.
* The address is `HOST:PORT` (`collectors.listen`); one that cannot be
  listened on (a port taken) raises `ActionableError` with one line.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from collectors.alerts.book import AlertBook
from collectors.errors import ActionableError
from collectors.listen import parse_listen
from collectors.metrics import ProcessCounts, read_families
from collectors.store.database import Store

__all__ = ["SCRAPE_TIMEOUT", "MetricsEndpoint"]

SCRAPE_TIMEOUT: Final = 10.0
"""Seconds a scrape waits for the store (Prometheus's default scrape timeout)."""


class _StoreCollector(Collector):
    """The registry's one collector: reads the families on the event loop at each scrape."""

    def __init__(
        self,
        store: Store,
        book: AlertBook,
        loop: asyncio.AbstractEventLoop,
        origin: float,
        clock: Callable[[], float],
        process: ProcessCounts | None,
    ) -> None:
        self._store, self._book, self._loop = store, book, loop
        self._origin, self._clock, self._process = origin, clock, process

    def collect(self) -> Iterator[Metric]:
        """The families as the store holds them now (called from the server's thread)."""
        read = read_families(
            self._store, self._book, origin=self._origin, now=self._clock(), process=self._process
        )
        yield from asyncio.run_coroutine_threadsafe(read, self._loop).result(SCRAPE_TIMEOUT)


class MetricsEndpoint:
    """`/metrics` of one database on one address, until `aclose`."""

    def __init__(self, store: Store, book: AlertBook, address: tuple[str, int]) -> None:
        self._store, self._book = store, book
        self._server: WSGIServer | None = None
        self.address = address
        """The host and port it listens on (the port the system gave when 0 was asked)."""

    @classmethod
    async def start(
        cls,
        listen: str,
        db: Path,
        *,
        clock: Callable[[], float] = time.time,
        process: ProcessCounts | None = None,
    ) -> MetricsEndpoint:
        """Listen on `listen` (`HOST:PORT`) and serve the families of the database `db`.

        Counters and histograms count from now (`clock()`); `process` adds the
        collect process's own counters (notifications, poll failures by reason).

        Raises:
            ActionableError: the address cannot be listened on.
        """
        host, port = parse_listen(listen)
        store = await Store.open(db, readonly=True)
        try:
            book = await AlertBook.open(db, readonly=True)
        except BaseException:
            await store.close()
            raise
        registry = CollectorRegistry(auto_describe=False)
        loop = asyncio.get_running_loop()
        registry.register(_StoreCollector(store, book, loop, clock(), clock, process))
        try:
            server, _ = start_http_server(port, addr=host, registry=registry)
        except OSError as exc:
            await store.close()
            await book.close()
            raise ActionableError(f"/metrics cannot listen on {listen}: {exc.strerror}") from None
        endpoint = cls(store, book, (host, int(server.server_port)))
        endpoint._server = server
        return endpoint

    async def aclose(self) -> None:
        """Stop serving and close the database handles."""
        server = self._server
        if server is not None:
            self._server = None
            await asyncio.to_thread(server.shutdown)
            server.server_close()
        await self._store.close()
        await self._book.close()

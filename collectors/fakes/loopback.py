"""The lifecycle every fake server shares: listen on 127.0.0.1, track clients, drop them on stop.

A fake subclasses `LoopbackServer` and implements `_handle`, which talks to
one client until it is done. Start and stop, the async context manager, and
ending connections quietly (a client that hangs up, or `stop()` cancelling a
handler) are here once.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Self

__all__ = ["LoopbackServer"]


class LoopbackServer:
    """A TCP server on a loopback address at an ephemeral port.

    Args:
        host: the address to listen on.
        port: 0 for an ephemeral port.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._bind_port = port
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0
        """The port, once started."""

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:43121`."""
        return f"http://{self._host}:{self.port}"

    async def start(self) -> str:
        """Start listening; returns `url`."""
        self._server = await asyncio.start_server(self._serve, self._host, self._bind_port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.url

    async def stop(self) -> None:
        """Stop listening and drop every client, like a server that went away."""
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._handle(reader, writer)
        except (
            ConnectionError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ValueError,
        ):
            pass  # the client hung up or sent garbage: drop it
        except asyncio.CancelledError:
            # stop() cancels handlers; ending normally keeps Python 3.11's
            # client_connected_cb callback from logging the cancellation as an error.
            pass
        finally:
            self._writers.discard(writer)
            if task is not None:
                self._tasks.discard(task)
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Talk to one client until it is done; errors of a broken connection may escape."""
        raise NotImplementedError

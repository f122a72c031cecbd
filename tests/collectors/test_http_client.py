"""The one httpx client factory: a poll's requests cost no more than the request."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

from collectors.fakes.tiny_http import Response, TinyHttpServer
from collectors.http import async_client


class _Lookups:
    """A finder that finds nothing and notes every module searched for."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        self.names.append(name)
        return None


async def test_a_request_searches_no_module_on_the_import_path() -> None:
    """httpcore asks for `sniffio` on every request: without it installed, each
    request searched every directory of sys.path for it (the demo's largest
    collector cost, issue 16's idle budget)."""
    server = TinyHttpServer(lambda request: Response.json({"ok": True}))
    await server.start()
    lookups = _Lookups()
    try:
        async with async_client(timeout=5.0, base_url=server.url) as client:
            assert (await client.get("/health")).json() == {"ok": True}  # imports done once
            sys.meta_path.insert(0, lookups)
            try:
                for _ in range(3):
                    assert (await client.get("/health")).status_code == 200
            finally:
                sys.meta_path.remove(lookups)
    finally:
        await server.stop()
    assert lookups.names == []

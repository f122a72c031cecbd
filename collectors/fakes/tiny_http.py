"""A small HTTP/1.1 server on asyncio streams, for the fake upstreams in this package.

Contract:

* `TinyHttpServer(handler)` listens on 127.0.0.1 with an ephemeral port once
  `start()` is awaited (or on `async with`); `url` is then its base address.
  `stop()` closes the listener and every open connection.
* `read_request` and `encode_response` are the parser and the writer, for a
  fake that must also misbehave below HTTP (reset, truncate, hang).
* Requests are read with their headers and a `Content-Length` body (no
  chunked uploads: the clients of these fakes never send them). Connections
  are kept alive, as httpx and botocore expect, until the client closes them
  or sends `Connection: close`.
* The handler gets a `Request` and returns a `Response`; it may be a coroutine
  (to be slow on purpose) and may raise `DropConnection` to close the socket
  without an answer, the way a crashing upstream does. Any other exception
  becomes a plain 500.

Only what the fakes need; not a general web server.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from collectors.fakes.loopback import LoopbackServer

__all__ = [
    "DropConnection",
    "Handler",
    "Request",
    "Response",
    "TinyHttpServer",
    "encode_response",
    "read_request",
]

_MAX_HEAD = 64 * 1024
_MAX_BODY = 8 * 1024 * 1024


class DropConnection(Exception):
    """Raised by a handler to close the connection without answering."""


@dataclass(frozen=True, slots=True)
class Request:
    """One request as the handler sees it; header names are lower-case."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes = b""
    target: str = ""
    """The request line's target as sent: path and query."""


@dataclass(frozen=True, slots=True)
class Response:
    """What the handler answers."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def json(
        cls, payload: object, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> Response:
        """A JSON response."""
        merged = {"Content-Type": "application/json", **(headers or {})}
        return cls(status, json.dumps(payload).encode(), merged)

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = "text/plain") -> Response:
        """A text (or HTML) response."""
        return cls(status, text.encode(), {"Content-Type": f"{content_type}; charset=utf-8"})


Handler = Callable[[Request], Response | Awaitable[Response]]
"""Turns a request into a response; sync or async."""


class TinyHttpServer(LoopbackServer):
    """Serves `handler` on 127.0.0.1 at an ephemeral port.

    Args:
        handler: answers each request.
        host: the address to listen on.
    """

    def __init__(self, handler: Handler, *, host: str = "127.0.0.1") -> None:
        super().__init__(host=host)
        self._handler = handler
        self.requests = 0
        """How many requests were answered (or dropped) so far."""

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer one client's requests until it closes or asks to."""
        while True:
            request = await read_request(reader)
            if request is None:
                break
            self.requests += 1
            try:
                outcome = self._handler(request)
                response = await outcome if inspect.isawaitable(outcome) else outcome
            except DropConnection:
                break
            except Exception as exc:  # a fake's bug: answer like a crashing app
                response = Response.text(f"fake server error: {type(exc).__name__}", 500)
            keep_alive = request.headers.get("connection", "").lower() != "close"
            writer.write(encode_response(response, keep_alive=keep_alive))
            await writer.drain()
            if not keep_alive:
                break


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """The next request on a connection (its body read); None when the client is gone.

    Query values keep blanks (`?q=` is `{"q": [""]}`), as Rails reads them.
    """
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    if len(head) > _MAX_HEAD:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    length = min(int(headers.get("content-length", "0") or 0), _MAX_BODY)
    body = await reader.readexactly(length) if length else b""
    parts = urlsplit(target)
    query = parse_qs(parts.query, keep_blank_values=True)
    return Request(method, parts.path, query, headers, body, target)


def encode_response(response: Response, *, keep_alive: bool) -> bytes:
    """The bytes of a response: status line, headers with its length, body."""
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = "Unknown"
    head = [f"HTTP/1.1 {response.status} {reason}"]
    headers = {"Content-Type": "application/octet-stream", **response.headers}
    headers["Content-Length"] = str(len(response.body))
    headers["Connection"] = "keep-alive" if keep_alive else "close"
    head.extend(f"{name}: {value}" for name, value in headers.items())
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + response.body

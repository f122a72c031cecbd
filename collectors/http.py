"""What every HTTP client shares: one client factory, a capped body reader, a capped JSON decoder.

An upstream can answer with anything: a gzip bomb (1 MiB on the wire, 1 GiB
decoded), an endless body, a document nested 200,000 levels deep. None of it
may cost a source more than a few MiB, nor end in a traceback.

Contract:

* `async_client` builds every httpx client wootwatch uses (sources, notify
  sinks, the fakes' clients): explicit connect and read timeouts, a small
  connection pool, redirects never followed (a token must not travel
  elsewhere), and the User-Agent `collectors.version` names, so an upstream's
  logs show one name for every request.
* `read_body` reads a streamed response (`client.stream(...)`) and returns
  its decoded body, counting the bytes on the wire and the decoded bytes
  separately and stopping as soon as either passes `limit`: a `BodyError`
  says which, and the rest is never read. Decoding (gzip, deflate) is done
  here, in steps that never produce more than the bytes still allowed, so a
  bomb is refused after `limit` decoded bytes, not after decoding a whole
  chunk. An encoding it cannot bound (anything but gzip, deflate and
  identity) is refused; `ACCEPT_ENCODING` is what a client should ask for.
* `loads_json` parses a body as JSON after a cheap scan of its nesting
  (`too_deep`: brackets outside strings, in C, stopping at the limit):
  deeper than `max_depth` is a `JsonTooDeep` before the parser's recursion
  can fail. Anything else that is not JSON is the `ValueError` of
  `json.loads`.
* `retry_after` reads a `Retry-After` header (seconds or an HTTP date) into
  the seconds to wait, bounded to an hour, or None when the header is absent
  or unreadable.
* Messages are one line and name no URL: the source adds where.
"""

from __future__ import annotations

import email.utils
import json
import zlib
from array import array
from collections.abc import Iterator, Mapping
from itertools import accumulate
from typing import Any, Final

import httpx

from collectors.version import USER_AGENT

__all__ = [
    "ACCEPT_ENCODING",
    "MAX_BODY_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_RETRY_AFTER",
    "BodyError",
    "JsonTooDeep",
    "async_client",
    "loads_json",
    "read_body",
    "retry_after",
    "too_deep",
]

MAX_BODY_BYTES: Final = 8 * 1024 * 1024
"""The default cap, on the wire and decoded, of one response body."""
MAX_JSON_DEPTH: Final = 100
"""The deepest nesting of arrays and objects a JSON body may have."""
ACCEPT_ENCODING: Final = "gzip, deflate"
"""The encodings `read_body` decodes within its cap: what a client asks for."""
MAX_RETRY_AFTER: Final = 3600.0
"""The longest wait a Retry-After may ask for; a longer one is cut to this."""

_GZIP: Final = frozenset({"gzip", "x-gzip"})
_PIECE: Final = 64 * 1024
"""The most bytes decoded in one step: a bomb never gets to decode a whole chunk at once."""
_NOT_STRUCTURE: Final = bytes(sorted(set(range(256)) - set(b'[]{}"')))
_STEP: Final = bytes.maketrans(b"[]{}", b"\x01\xff\x01\xff")
"""An opening bracket as +1, a closing one as -1 (as signed bytes)."""


def async_client(
    *,
    timeout: float,
    connections: int = 2,
    base_url: str = "",
    headers: Mapping[str, str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    verify: bool = True,
    keepalive_expiry: float = 5.0,
) -> httpx.AsyncClient:
    """An httpx client with wootwatch's timeouts, pool, redirects policy and User-Agent.

    Args:
        timeout: seconds for each phase of a request; connecting gets at most 5 s of it.
        connections: the most connections open at once, all of them kept alive.
        base_url: the URL requests are relative to, if any.
        headers: more headers (they may replace `accept`, never the User-Agent).
        transport: an httpx transport instead of the network (tests).
        verify: check the server's TLS certificate.
        keepalive_expiry: seconds an idle connection is kept.
    """
    sent = {"accept": "application/json", "accept-encoding": ACCEPT_ENCODING}
    sent.update({name.lower(): value for name, value in (headers or {}).items()})
    sent["user-agent"] = USER_AGENT
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        limits=httpx.Limits(
            max_connections=connections,
            max_keepalive_connections=connections,
            keepalive_expiry=keepalive_expiry,
        ),
        transport=transport,
        verify=verify,
        follow_redirects=False,
        headers=sent,
    )


class BodyError(Exception):
    """A response body that was not read whole: too large, or in an encoding we cannot bound."""


class JsonTooDeep(ValueError):
    """A JSON document nested deeper than allowed; it was not parsed."""


class _Inflater:
    """Decodes gzip or deflate in pieces of at most `_PIECE` bytes, stopping past a cap."""

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding in _GZIP
        self._first = True
        wbits = zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS
        self._zlib = zlib.decompressobj(wbits)

    def decode(self, data: bytes, room: int) -> Iterator[bytes]:
        """The decoded pieces of `data`, ending once more than `room` bytes came out."""
        while data:
            want = room + 1 if room < _PIECE else _PIECE
            piece = self._decompress(data, want)
            yield piece
            room -= len(piece)
            if room < 0:
                return
            data = self._zlib.unconsumed_tail

    def _decompress(self, data: bytes, most: int) -> bytes:
        first, self._first = self._first, False
        try:
            return self._zlib.decompress(data, most)
        except zlib.error:
            if first and not self._gzip:  # deflate without its zlib header, as some servers send
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                return self._zlib.decompress(data, most)
            raise BodyError("the compressed body is corrupt") from None


async def read_body(response: httpx.Response, *, limit: int = MAX_BODY_BYTES) -> bytes:
    """The decoded body of a streamed response, read up to `limit` bytes.

    The body is kept as the pieces read (never a buffer grown by copying),
    and joined once it is whole.

    Args:
        response: a response from `client.stream(...)`, its body not read yet.
        limit: the most bytes allowed on the wire, and decoded.

    Raises:
        BodyError: the body passed `limit` (on the wire or decoded), is in an
            encoding other than gzip or deflate, or is corrupt.
        httpx.HTTPError: the transfer itself failed.
    """
    size = _mib(limit)
    encodings = [
        part.strip().lower()
        for part in response.headers.get("content-encoding", "").split(",")
        if part.strip().lower() not in ("", "identity")
    ]
    if len(encodings) > 1 or (encodings and encodings[0] not in {*_GZIP, "deflate"}):
        raise BodyError(f"unsupported Content-Encoding {', '.join(encodings)!r}")
    inflater = _Inflater(encodings[0]) if encodings else None
    pieces: list[bytes] = []
    wire = decoded = 0
    async for chunk in response.aiter_raw():
        wire += len(chunk)
        if wire > limit:
            raise BodyError(f"larger than {size}" + (" on the wire" if inflater else ""))
        for piece in inflater.decode(chunk, limit - decoded) if inflater else (chunk,):
            pieces.append(piece)
            decoded += len(piece)
        if decoded > limit:
            raise BodyError(f"larger than {size} decoded")
    return b"".join(pieces)


def too_deep(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """Whether the arrays and objects of a JSON text nest deeper than `max_depth`.

    Linear and in C: escapes are dropped, then everything but brackets and
    quotes; a pair of adjacent quotes (a string without brackets in it) goes
    next, which keeps every bracket inside or outside a string as it was.
    Brackets inside the strings left are dropped, and the depth is the running
    sum of the brackets, read until it first passes `max_depth`.
    """
    structure = (
        body.replace(b"\\\\", b"")
        .replace(b'\\"', b"")
        .translate(None, _NOT_STRUCTURE)
        .replace(b'""', b"")
    )
    if b'"' in structure:
        structure = b"".join(structure.split(b'"')[::2])
    depths = accumulate(array("b", structure.translate(_STEP)))
    return next(filter(max_depth.__lt__, depths), None) is not None


def loads_json(body: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse a JSON body whose nesting is at most `max_depth` levels.

    Raises:
        JsonTooDeep: nested deeper; not parsed.
        ValueError: not JSON (`json.JSONDecodeError`, `UnicodeDecodeError`).
    """
    if too_deep(body, max_depth):
        raise JsonTooDeep(f"nested deeper than {max_depth} levels")
    return json.loads(body)


def _mib(size: int) -> str:
    return f"{size / 1048576:g} MiB" if size >= 1048576 else f"{size:,} bytes"


def retry_after(header: str | None, now: float) -> float | None:
    """Seconds to wait from a `Retry-After` header, between 1 s and `MAX_RETRY_AFTER`.

    Args:
        header: the header's value (`120` or `Wed, 21 Oct 2015 07:28:00 GMT`), or None.
        now: the current Unix time, for a date.
    """
    if not header:
        return None
    try:
        seconds = float(header)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - now
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 1.0), MAX_RETRY_AFTER)

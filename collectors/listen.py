"""`HOST:PORT` addresses a wootwatch process listens on (`metrics_listen`, `--metrics-listen`).

Pure text handling, so the config loader and the argument parser check an
address without importing the HTTP server.
"""

from __future__ import annotations

from typing import Final

__all__ = ["DEFAULT_METRICS_PORT", "parse_listen"]

DEFAULT_METRICS_PORT: Final = 9817
"""The port the README's scrape config uses for `/metrics`."""


def parse_listen(text: str) -> tuple[str, int]:
    """`HOST:PORT` (or `[IPV6]:PORT`) as a host and a port.

    Raises:
        ValueError: not in that form, or the port is not 1-65535.
    """
    host, sep, port = text.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"use HOST:PORT, like 127.0.0.1:{DEFAULT_METRICS_PORT}, not {text!r}")
    return host, int(port)

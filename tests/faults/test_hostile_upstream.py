"""Hostile HTTP upstreams: gzip bombs, endless bodies, documents nested 200,000 levels deep.

Issue 14: body limits were checked after decompression (a 1 MiB gzip bomb
drove a Chatwoot source to 404 MB RSS, a `json_endpoint` to 207 MB; a plain
10 MB body a Chatwoot source to 175 MB), and `json_endpoint` printed a
`RecursionError` traceback on every poll of a deeply nested document.

Each RSS test runs one source in a child process against a local server: one
poll of a normal body (the baseline), then one of the hostile body, and
compares the child's peak RSS (`VmHWM`) after each. The figures are printed
(`pytest -s`).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from _wootwatch import run_wootwatch

from collectors.alerts.notify import Notification, SlackConfig, SlackSink
from collectors.alerts.rules import Severity
from collectors.base import SourceError
from collectors.json_endpoint import JsonEndpointCollector, JsonEndpointConfig

FIXTURES = Path(__file__).resolve().parent.parent / "collectors" / "fixtures" / "chatwoot"
MIB = 1 << 20
BUDGET = 32 * MIB
"""How much more than its baseline a source may take under a hostile body."""
DEEP = b"[" * 200_000 + b"]" * 200_000


def _bomb() -> bytes:
    """1 MiB of gzip that decodes to 1 GiB of zeros (one compressed block, repeated)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MIB)
    head = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    return head + block * (MIB // len(block))


BOMB = _bomb()
ITEM = b'{"id": 1234567, "name": "agent", "email": "a@example.com", "role": "agent"},'


class _Upstream(BaseHTTPRequestHandler):
    """`/<kind>/...`: the same body for every path under a kind."""

    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        kind = self.path.split("/")[1]
        try:
            if kind == "normal":
                self._send(self._normal())
            elif kind == "bomb":
                self._send(BOMB, encoding="gzip")
            elif kind == "gzipped":
                self._send(gzip.compress(self._normal()), encoding="gzip")
            elif kind == "brotli":
                self._send(b"\x0b\x02\x80{}\x03", encoding="br")
            elif kind == "deep":
                self._send(DEEP)
            elif kind in ("json10mb", "json100mb"):
                self._stream_json((10 if kind == "json10mb" else 100) * 1_000_000)
            else:
                self.send_error(404)
        except (BrokenPipeError, ConnectionResetError):  # the client stopped reading: good
            pass

    def do_POST(self) -> None:
        """A webhook that fails with a blank page, or with a gzip bomb."""
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body, encoding = (BOMB, "gzip") if self.path == "/bomb500" else (b"\n \n", None)
        self.send_response(500)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def _normal(self) -> bytes:
        if self.path.endswith("/api"):
            return (FIXTURES / "api_ok.json").read_bytes()
        if self.path.endswith("/health"):
            return (FIXTURES / "health.json").read_bytes()
        return b'{"x": 42, "payload": []}'

    def _send(self, body: bytes, *, encoding: str | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _stream_json(self, size: int) -> None:
        """A valid JSON array of `size` bytes, written as it is made."""
        count = (size - 4) // len(ITEM)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(2 + count * len(ITEM) + 2))
        self.end_headers()
        self.wfile.write(b"[\n")
        chunk = ITEM * (64 * 1024 // len(ITEM))
        left = count
        while left:
            step = min(left, 64 * 1024 // len(ITEM))
            self.wfile.write(chunk if step * len(ITEM) == len(chunk) else ITEM * step)
            left -= step
        self.wfile.write(b"{}]")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


CHILD = """
import asyncio, json, sys
from collectors.chatwoot.collector import ChatwootCollector
from collectors.chatwoot.config import ChatwootConfig
from collectors.json_endpoint import JsonEndpointCollector, JsonEndpointConfig

source, base, kind = sys.argv[1:4]

def peak():
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024

def collector(where):
    if source == "chatwoot":
        config = ChatwootConfig(
            name="c", base_url=f"{base}/{where}", account_id=1, api_token="t0k3n"
        )
        return ChatwootCollector(config)
    config = JsonEndpointConfig(name="j", url=f"{base}/{where}/doc", series={"x": "x"})
    return JsonEndpointCollector(config)

async def poll(where):
    polled = collector(where)
    try:
        await polled.collect()
        return "ok"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        await polled.aclose()

async def main():
    normal = await poll("normal")
    baseline = peak()
    hostile = await poll(kind)
    print(json.dumps({"normal": normal, "baseline": baseline, "hostile": hostile, "peak": peak()}))

asyncio.run(main())
"""


def _poll_in_a_child(source: str, base: str, kind: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, source, base, kind],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert result.returncode == 0, result.stderr
    figures: dict[str, object] = json.loads(result.stdout)
    return figures


@pytest.mark.parametrize(
    ("source", "kind", "refusal"),
    [
        ("chatwoot", "bomb", "larger than 2 MiB decoded"),
        ("chatwoot", "json10mb", "larger than 2 MiB"),
        ("chatwoot", "json100mb", "larger than 2 MiB"),
        ("chatwoot", "deep", "nested deeper than 100 levels"),
        ("json_endpoint", "bomb", "larger than 8 MiB decoded"),
        ("json_endpoint", "json100mb", "larger than 8 MiB"),
        ("json_endpoint", "deep", "nested deeper than 100 levels"),
    ],
)
def test_a_hostile_body_costs_a_source_less_than_32_mb_and_is_refused_in_one_line(
    upstream: str, source: str, kind: str, refusal: str
) -> None:
    figures = _poll_in_a_child(source, upstream, kind)
    baseline, peak = int(str(figures["baseline"])), int(str(figures["peak"]))
    print(
        f"\n{source} {kind}: baseline {baseline / MIB:.1f} MiB, peak {peak / MIB:.1f} MiB "
        f"(+{(peak - baseline) / MIB:.1f}); {figures['hostile']}"
    )
    assert str(figures["hostile"]).startswith("SourceError: ")
    assert refusal in str(figures["hostile"])
    assert peak - baseline < BUDGET


# ------------------------------------------------------------------ what still works


def _endpoint(url: str) -> JsonEndpointCollector:
    return JsonEndpointCollector(JsonEndpointConfig(name="j", url=url, series={"x": "x"}))


async def test_a_gzipped_body_within_the_cap_is_read(upstream: str) -> None:
    collector = _endpoint(f"{upstream}/gzipped/doc")
    try:
        [sample] = await collector.collect()
    finally:
        await collector.aclose()
    assert getattr(sample, "value", None) == 42.0


async def test_an_encoding_that_cannot_be_bounded_is_refused_in_one_line(upstream: str) -> None:
    collector = _endpoint(f"{upstream}/brotli/doc")
    try:
        with pytest.raises(SourceError, match="unsupported Content-Encoding 'br'"):
            await collector.collect()
    finally:
        await collector.aclose()


def test_a_deep_document_is_one_status_line_not_a_traceback(upstream: str, tmp_path: Path) -> None:
    """`wootwatch collect` printed a RecursionError traceback on every poll of it."""
    config = tmp_path / "wootwatch.yaml"
    config.write_text(
        f"database: {tmp_path / 'w.db'}\n"
        "sources:\n"
        "  - type: json_endpoint\n"
        "    name: widget\n"
        f"    url: {upstream}/deep/doc\n"
        "    series: {x: x}\n",
        encoding="utf-8",
    )
    result = run_wootwatch(tmp_path, "collect", "--once", "--config", str(config))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr
    assert f"widget: response from {upstream}/deep/doc is JSON nested deeper than 100" in (
        result.stderr
    )


@pytest.mark.parametrize("answer", ["blank500", "bomb500"])
async def test_a_webhook_failing_with_a_blank_page_or_a_bomb_is_one_line(
    upstream: str, answer: str
) -> None:
    """A blank error page raised IndexError out of the Slack sink; a bomb was decoded whole."""
    sink = SlackSink(
        SlackConfig.model_validate({"webhook_url": f"{upstream}/{answer}", "retries": 0})
    )
    alert = Notification(
        kind="firing",
        alert_id=1,
        rule="chatwoot_api_down",
        severity=Severity.CRITICAL,
        state="firing",
        value=0.0,
        labels={"source": "chatwoot"},
        summary="Chatwoot API check failing",
        runbook="",
        since=1_700_000_000.0,
        ts=1_700_000_000.0,
    )
    try:
        await sink.send([alert])
    finally:
        await sink.aclose()
    assert sink.last_error == "slack: HTTP 500"

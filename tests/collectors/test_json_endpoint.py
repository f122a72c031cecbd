"""The generic JSON source: dotted paths on seed 003's saved response, then real local servers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from collectors.base import Sample, SourceError
from collectors.fakes.pipeline_api import WIDGET_PATH, PipelineApi, PipelineApiState
from collectors.fakes.tiny_http import Request, Response, TinyHttpServer
from collectors.json_endpoint import (
    JsonEndpointCollector,
    JsonEndpointConfig,
    parse_paths,
    resolve_path,
    safe_url,
)
from tui.config.models import parse_config

FIXTURES = Path(__file__).parent / "fixtures"
SEED_003 = json.loads((FIXTURES / "widget_seed003.json").read_text())
TS = 1_750_000_000.0
TOKEN = "widget-t0ken-1a2b"

WIDGET_SERIES = {
    "widget.health": "health.overall",
    "widget.api.p95_ms": {"path": "performance.api.p95Duration", "unit": "ms"},
    "widget.score": {"path": "health.scores.api", "labels": {"category": "api"}},
    "widget.persistence.success_pct": {"path": "persistence.operations.successRate", "unit": "%"},
}


def config(url: str, series: dict[str, Any] | None = None, **options: Any) -> JsonEndpointConfig:
    return JsonEndpointConfig.model_validate(
        {"name": "widget", "url": url, "series": series or WIDGET_SERIES, **options}
    )


def by_name(samples: list[Any]) -> dict[str, float]:
    return {s.series: s.value for s in samples if isinstance(s, Sample)}


def test_dotted_paths_on_the_seed_003_widget_response() -> None:
    samples, problems = parse_paths(SEED_003, config("http://x/").series, TS)
    assert problems == []
    assert by_name(samples) == {
        "widget.health": 95,
        "widget.api.p95_ms": 445.2,
        "widget.score": 97,
        "widget.persistence.success_pct": 99.84,
    }
    units = {s.series: (s.unit, dict(s.labels)) for s in samples}
    assert units["widget.api.p95_ms"] == ("ms", {})
    assert units["widget.score"] == ("", {"category": "api"})


def test_a_value_out_of_its_units_range_is_dropped_with_a_note() -> None:
    payload = {"open": -3, "ratio": 150, "p95": -1, "big": 10**400, "fine": 7}
    series = config(
        "http://x/",
        {
            "a.open": {"path": "open", "unit": "count"},
            "a.ratio": {"path": "ratio", "unit": "%"},
            "a.p95": {"path": "p95", "unit": "ms"},
            "a.big": "big",
            "a.fine": {"path": "fine", "unit": "count"},
        },
    ).series
    samples, problems = parse_paths(payload, series, TS)
    assert [(s.series, s.value) for s in samples] == [("a.fine", 7)]
    assert problems == [
        "a.open: -3 is not a count (negative)",
        "a.ratio: 150 is not a percentage (0-100)",
        "a.p95: -1 is negative",
        "a.big: a 401-digit integer is too large",
    ]


def test_values_that_are_not_numbers_and_paths_that_go_nowhere() -> None:
    payload = {
        "ok": True,
        "ratio": "0.75",
        "items": [{"v": 1}, {"v": 2}],
        "none": None,
        "status": "healthy",
        "nested": {"list": [1]},
    }
    series = config(
        "http://x/",
        {
            "a.ok": "ok",
            "a.ratio": "ratio",
            "a.last": "items.-1.v",
            "a.null": "none",
            "a.status": "status",
            "a.missing": "nested.deeper.value",
            "a.index": "items.5.v",
            "a.word": "items.first",
            "a.through_text": "status.length",
            "a.mapping": "nested",
        },
    ).series
    samples, problems = parse_paths(payload, series, TS)
    assert by_name(samples) == {"a.ok": 1.0, "a.ratio": 0.75, "a.last": 2.0}
    assert problems == [
        "a.null: none is null, not a number",
        "a.status: status is text, not a number",
        "a.missing: no key 'deeper' under nested",
        "a.index: items has 2 items, no index 5",
        "a.word: items is a list; 'first' is not an index",
        "a.through_text: status is text, not a mapping",
        "a.mapping: nested is a mapping, not a number",
    ]
    assert resolve_path({"a": {"b": [10, 20]}}, "a.b.0") == 10


def test_config_shapes_and_secrets() -> None:
    text = (
        "sources:\n"
        "  - type: json_endpoint\n"
        "    name: widget\n"
        "    url: https://app.example.com/api/monitoring/widget\n"
        "    headers:\n"
        "      Authorization: Bearer ${WIDGET_TOKEN}\n"
        "    series:\n"
        "      widget.health: health.overall\n"
        "      widget.api.p95_ms: {path: performance.api.p95Duration, unit: ms}\n"
    )
    loaded = parse_config(text, "w.yaml", env={"WIDGET_TOKEN": TOKEN})
    (source,) = loaded.sources
    assert isinstance(source, JsonEndpointConfig)
    assert source.headers["Authorization"].get_secret_value() == f"Bearer {TOKEN}"
    assert TOKEN not in repr(loaded)
    assert source.series["widget.health"].path == "health.overall"
    for bad, words in [
        ({"url": "ftp://x/"}, "http:// or https://"),
        ({"series": {}}, "at least 1"),
        ({"series": {"x": "a..b"}}, "empty step"),
        ({"series": {"bad name": "a"}}, "invalid series name"),
        ({"headers": {"Bad Header": "x"}}, "invalid header name"),
        ({"series": {"x": {"path": "a", "unit": "parsecs"}}}, "unit"),
    ]:
        entry = {"name": "w", "url": "http://x/", "series": {"a": "a"}, **bad}
        with pytest.raises(ValidationError, match=words):
            JsonEndpointConfig.model_validate(entry)


def test_safe_url_drops_credentials_and_query() -> None:
    assert safe_url("https://ops:pw@app.example.com:8443/api/x?token=abc#f") == (
        "https://app.example.com:8443/api/x"
    )


# --------------------------------------------------------------------------- real servers


@pytest.fixture
async def api() -> AsyncIterator[PipelineApi]:
    state = PipelineApiState(required_headers={"authorization": f"Bearer {TOKEN}"})
    async with PipelineApi(state) as running:
        yield running


def widget_collector(
    api: PipelineApi, series: dict[str, Any] | None = None, **options: Any
) -> JsonEndpointCollector:
    options.setdefault("headers", {"Authorization": f"Bearer {TOKEN}"})
    return JsonEndpointCollector(config(api.url + WIDGET_PATH, series, **options), clock=lambda: TS)


async def test_reads_the_widget_endpoint_with_secret_headers(api: PipelineApi) -> None:
    collector = widget_collector(api)
    try:
        calm = by_name(await collector.collect())
        api.state.apply_levels(1.0, 1.0, 1.0)
        incident = by_name(await collector.collect())
    finally:
        await collector.aclose()
    assert calm["widget.health"] >= 90 and incident["widget.health"] < 70
    assert incident["widget.api.p95_ms"] > calm["widget.api.p95_ms"]
    assert collector.notes is None


async def test_a_missing_path_is_a_note_and_the_other_series_are_stored(api: PipelineApi) -> None:
    api.state.omit = {"alerts"}
    series = {**WIDGET_SERIES, "widget.alerts.unresolved": "alerts.stats.unresolved"}
    collector = widget_collector(api, series)
    try:
        found = by_name(await collector.collect())
    finally:
        await collector.aclose()
    assert set(found) == set(WIDGET_SERIES)
    assert collector.notes == "widget.alerts.unresolved: no key 'alerts' under the top level"


async def test_no_path_found_is_a_source_error(api: PipelineApi) -> None:
    collector = widget_collector(api, {"a": "nothing.here", "b": "health.nope"})
    try:
        with pytest.raises(
            SourceError, match=r"none of the 2 paths found .* \(a: no key 'nothing'"
        ):
            await collector.collect()
    finally:
        await collector.aclose()


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("html", "got an HTML page from http://127.0.0.1:"),
        ("proxy_502", "HTTP 502 Bad Gateway"),
        ("not_json", "is not JSON (application/json)"),
        ("drop", "closed the connection without a full answer"),
    ],
)
async def test_html_and_non_json_bodies_are_clear_source_errors(
    api: PipelineApi, fault: str, words: str
) -> None:
    collector = widget_collector(api)
    try:
        api.state.fault = fault  # type: ignore[assignment]
        with pytest.raises(SourceError) as failed:
            await collector.collect()
        assert words in str(failed.value)
        assert TOKEN not in str(failed.value)
        api.state.fault = None
        assert await collector.collect()
    finally:
        await collector.aclose()


async def serve(handler: Callable[[Request], Response]) -> TinyHttpServer:
    server = TinyHttpServer(handler)
    await server.start()
    return server


async def test_redirects_are_not_followed_so_headers_stay_home() -> None:
    elsewhere_hits: list[Request] = []
    elsewhere = await serve(lambda r: (elsewhere_hits.append(r), Response.json({"x": 1}))[1])
    target = f"http://ops:pw@127.0.0.1:{elsewhere.port}/login?next=/api&token=abc"
    redirecting = await serve(lambda r: Response(302, b"", {"Location": target}))
    collector = JsonEndpointCollector(
        config(redirecting.url + "/api", {"x": "x"}, headers={"X-Api-Key": TOKEN}), clock=lambda: TS
    )
    try:
        with pytest.raises(SourceError) as failed:
            await collector.collect()
    finally:
        await collector.aclose()
        await redirecting.stop()
        await elsewhere.stop()
    message = str(failed.value)
    assert (
        f"HTTP 302 redirect from {redirecting.url}/api to http://127.0.0.1:{elsewhere.port}/login"
        in message
    )
    assert "token=abc" not in message and "pw" not in message and TOKEN not in message
    assert elsewhere_hits == []


async def test_too_many_requests_waits_as_long_as_retry_after_says() -> None:
    server = await serve(lambda r: Response(429, b"slow down", {"Retry-After": "120"}))
    collector = JsonEndpointCollector(config(server.url + "/", {"x": "x"}), clock=lambda: TS)
    try:
        with pytest.raises(SourceError, match="HTTP 429") as failed:
            await collector.collect()
        assert failed.value.retry_after == 120
    finally:
        await collector.aclose()
        await server.stop()


async def test_a_huge_body_is_refused_and_an_empty_one_explained() -> None:
    bodies = iter([b'{"x": "' + b"a" * (9 * 1024 * 1024) + b'"}', b""])
    server = await serve(
        lambda r: Response(200, next(bodies), {"Content-Type": "application/json"})
    )
    collector = JsonEndpointCollector(config(server.url + "/", {"x": "x"}), clock=lambda: TS)
    try:
        with pytest.raises(SourceError, match="larger than 8 MiB"):
            await collector.collect()
        with pytest.raises(SourceError, match="empty response"):
            await collector.collect()
    finally:
        await collector.aclose()
        await server.stop()


async def test_nothing_listening_is_a_connect_error() -> None:
    server = await serve(lambda r: Response.json({}))
    url = server.url + "/gone?token=abc"
    await server.stop()  # the port is closed now
    collector = JsonEndpointCollector(config(url, {"x": "x"}), clock=lambda: TS)
    try:
        with pytest.raises(
            SourceError, match=r"cannot connect to http://127\.0\.0\.1:\d+/gone"
        ) as failed:
            await collector.collect()
        assert "token" not in str(failed.value)
    finally:
        await collector.aclose()


async def test_transport_can_be_swapped_for_a_mock() -> None:
    """A fault no local server produces on demand: the connect phase itself timing out."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    collector = JsonEndpointCollector(
        config("https://app.example.com/api", {"x": "x"}),
        transport=httpx.MockTransport(handler),
        clock=lambda: TS,
    )
    try:
        with pytest.raises(
            SourceError, match=r"no answer from https://app\.example\.com/api \(connect timeout\)"
        ):
            await collector.collect()
    finally:
        await collector.aclose()

"""`/metrics` counts what the collect process did: notifications per sink, poll failures."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from types import MappingProxyType

import httpx
import pytest
from _alertmanager import Alertmanager, free_port

from collectors.alerts.alertmanager import AlertmanagerSink
from collectors.alerts.book import AlertBook, AlertBookError
from collectors.alerts.notify import AlertmanagerConfig, Notification
from collectors.alerts.rules import Severity
from collectors.base import SourceError
from collectors.metrics import ProcessCounts, read_families
from collectors.metrics_http import MetricsEndpoint
from collectors.pipeline import PipelineConfig
from collectors.poll_failure import REASONS, poll_reason
from collectors.scheduler import Scheduler
from collectors.store.database import Store


def _firing() -> Notification:
    return Notification(
        kind="firing",
        alert_id=1,
        rule="chatwoot_api_down",
        severity=Severity.CRITICAL,
        state="firing",
        value=0.0,
        labels={"source": "chatwoot"},
        summary="Chatwoot API check failing",
        runbook="RUNBOOK.md#chatwoot-api-down",
        since=time.time() - 5,
        ts=time.time(),
        unit="1/0",
    )


async def _scrape(endpoint: MetricsEndpoint) -> str:
    host, port = endpoint.address
    async with httpx.AsyncClient() as client:
        page = await client.get(f"http://{host}:{port}/metrics")
    page.raise_for_status()
    return page.text


async def test_notification_failures_rise_while_alertmanager_is_down(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    await (await Store.open(db)).close()
    await (await AlertBook.open(db)).close()
    workdir = tmp_path / "alertmanager"
    workdir.mkdir()
    am = Alertmanager(workdir)  # not started yet: its port refuses connections
    config = AlertmanagerConfig.model_validate({"url": am.url, "retries": 1})
    sink = AlertmanagerSink(config, backoff=0.01)
    endpoint = await MetricsEndpoint.start(
        f"127.0.0.1:{free_port()}", db, process=ProcessCounts([sink])
    )
    try:
        await sink.send([_firing()])
        page = await _scrape(endpoint)
        assert 'wootwatch_notification_failures_total{sink="alertmanager"} 1.0' in page
        assert 'wootwatch_notifications_total{sink="alertmanager"} 0.0' in page

        am.start()
        try:
            await sink.send([_firing()])
        finally:
            am.stop()
        page = await _scrape(endpoint)
        assert 'wootwatch_notifications_total{sink="alertmanager"} 1.0' in page
        assert 'wootwatch_notification_failures_total{sink="alertmanager"} 1.0' in page
    finally:
        await endpoint.aclose()
        await sink.aclose()


async def test_poll_failures_are_counted_by_reason(tmp_path: Path) -> None:
    port = free_port()
    config = PipelineConfig.model_validate(
        {"name": "pipeline", "url": f"http://127.0.0.1:{port}/perf", "timeout": "300ms"}
    )
    store = await Store.open(tmp_path / "w.db")
    started = time.time()
    scheduler = Scheduler([config], store, clock=lambda: started)
    try:
        await scheduler.run_once()  # nothing listens: refused
        with socket.socket() as silent:  # accepts connections, never answers: a timeout
            silent.bind(("127.0.0.1", port))
            silent.listen()
            await scheduler.run_once()
            await scheduler.run_once()
        process = ProcessCounts(poll_failures=MappingProxyType(scheduler.poll_failures))
        families = await read_families(store, None, origin=started, now=started, process=process)
    finally:
        await scheduler.aclose()
        await store.close()
    (family,) = [f for f in families if f.name == "wootwatch_poll_failures"]
    assert family.type == "counter"
    counted = {(s.labels["source"], s.labels["reason"]): s.value for s in family.samples}
    assert counted == {("pipeline", "refused"): 1.0, ("pipeline", "timeout"): 2.0}


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (TimeoutError(), "timeout"),
        (SourceError("no answer from http://x/api (read timeout)"), "timeout"),
        (SourceError("Redis at x did not answer in time (Timeout)"), "timeout"),
        (SourceError("poll not done within 12s"), "timeout"),
        (SourceError("cannot connect to http://x/api: [Errno 111] Connection refused"), "refused"),
        (SourceError("cannot reach Redis at x: Error 111"), "refused"),
        (SourceError("HTTP 429 Too Many Requests from http://x: slowing down"), "throttled"),
        (SourceError("api: rate limited (HTTP 429)"), "throttled"),
        (SourceError("throttled by AWS (Throttling) on sqs.GetQueueAttributes"), "throttled"),
        (SourceError("access denied to sqs.GetQueueAttributes (AccessDenied, x)"), "http_4xx"),
        (SourceError("token refused (HTTP 401)"), "http_4xx"),
        (SourceError("HTTP 503 Service Unavailable from http://x"), "http_5xx"),
        (SourceError("got an HTML page from http://x instead of JSON"), "parse"),
        (SourceError("no 'data' object in the response"), "parse"),
        (SourceError("the endpoint answered success: false (boom)"), "other"),
        (SourceError("Redis at x refused the login (WRONGPASS): check the password"), "other"),
    ],
)
def test_a_failure_message_names_one_reason(error: Exception, reason: str) -> None:
    assert poll_reason(error) == reason
    assert reason in REASONS


async def test_an_alert_book_that_fails_to_open_leaves_no_store_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "w.db"
    await (await Store.open(db)).close()
    closed: list[Store] = []
    close = Store.close

    async def counted(self: Store) -> None:
        closed.append(self)
        await close(self)

    async def refused(*args: object, **kwargs: object) -> AlertBook:
        raise AlertBookError("refused")

    monkeypatch.setattr(Store, "close", counted)
    monkeypatch.setattr(AlertBook, "open", refused)
    with pytest.raises(AlertBookError):
        await MetricsEndpoint.start(f"127.0.0.1:{free_port()}", db)
    assert len(closed) == 1

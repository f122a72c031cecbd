"""Alertmanager as a notification target, against a real Alertmanager and `amtool`.

A `wootwatch collect` whose Chatwoot refuses connections fires
`chatwoot_api_down` there, resolves it when the fake comes back, two collectors
make one alert, firing alerts are re-sent, `wootwatch silence --alertmanager`
creates a silence `amtool silence query` shows.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from _alertmanager import Alertmanager, free_port

from collectors.alerts.alertmanager import AlertmanagerSink, alert_payload, value_text
from collectors.alerts.engine import AlertEngine
from collectors.alerts.notify import AlertmanagerConfig, Notification, NotifyConfig
from collectors.alerts.rules import Rule, Severity
from collectors.base import Sample, SourceState, SourceStatus
from collectors.fakes.chatwoot_api import ChatwootState, FakeChatwootServer
from collectors.store.database import SourceBatch, Store

WOOTWATCH = str(Path(sys.executable).with_name("wootwatch"))
RULE = "chatwoot_api_down"


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[Alertmanager]:
    workdir = tmp_path / "alertmanager"
    workdir.mkdir()
    server = Alertmanager(workdir)
    server.start()
    yield server
    server.stop()


def note(
    kind: str = "firing", severity: Severity = Severity.CRITICAL, **fields: Any
) -> Notification:
    base: dict[str, Any] = {
        "kind": kind,
        "alert_id": 7,
        "rule": RULE,
        "severity": severity,
        "state": "resolved" if kind == "resolved" else "firing",
        "value": 0.0,
        "labels": {"source": "chatwoot"},
        "summary": "Chatwoot API check failing for 3 consecutive checks",
        "runbook": "RUNBOOK.md#chatwoot-api-down",
        "since": time.time() - 5,
        "ts": time.time(),
        "unit": "1/0",
        "rule_labels": {"check": "api"},
    }
    base.update(fields)
    return Notification(**base)


def sink(url: str, **fields: Any) -> AlertmanagerSink:
    config = AlertmanagerConfig.model_validate({"url": url, **fields})
    return AlertmanagerSink(config, backoff=0.01)


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout: float = 20.0, step: float = 0.1
) -> float:
    """Seconds until `check()` holds; fails after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if await check():
            return time.monotonic() - started
        await asyncio.sleep(step)
    raise AssertionError(f"not within {timeout} s")


async def alerts(am: Alertmanager, name: str = RULE) -> list[dict[str, Any]]:
    return await asyncio.to_thread(am.alerts, name)


# --------------------------------------------------------------------------- payload


def test_payload_has_prometheus_labels_and_no_process_label() -> None:
    alert = alert_payload(note(), generator_url="wootwatch://bastion-a/rules/x")
    assert alert["labels"] == {
        "alertname": RULE,
        "severity": "critical",
        "source": "chatwoot",
        "check": "api",
    }
    assert alert["annotations"] == {
        "summary": "Chatwoot API check failing for 3 consecutive checks",
        "runbook_url": "RUNBOOK.md#chatwoot-api-down",
        "value": "0 (down)",
    }
    assert "endsAt" not in alert
    assert "endsAt" in alert_payload(note("resolved"), generator_url="x://y")


def test_values_carry_their_units() -> None:
    assert value_text(5300.0, "ms") == "5300 ms"
    assert value_text(84.25, "%") == "84.25%"
    assert value_text(1.0, "1/0") == "1 (up)"
    assert value_text(12.0, "count") == "12"


def test_config_takes_an_alertmanager_with_a_resend_cadence() -> None:
    notify = NotifyConfig.model_validate(
        {"alertmanager": {"url": "http://127.0.0.1:9093", "resend_every": "30s"}}
    )
    assert notify.alertmanager is not None
    assert notify.alertmanager.resend_every == 30.0
    with pytest.raises(ValueError, match="http"):
        AlertmanagerConfig.model_validate({"url": "127.0.0.1:9093"})


# --------------------------------------------------------------------------- the sink


async def test_firing_then_resolved_in_a_real_alertmanager(alertmanager: Alertmanager) -> None:
    target = sink(alertmanager.url)
    await target.send([note()])
    (shown,) = await alerts(alertmanager)
    assert shown["labels"] == {
        "alertname": RULE,
        "severity": "critical",
        "source": "chatwoot",
        "check": "api",
    }
    assert shown["annotations"]["value"] == "0 (down)"
    assert shown["generatorURL"].startswith("wootwatch://")
    await target.send([note("resolved")])
    assert await alerts(alertmanager) == []
    await target.aclose()
    assert target.delivered == 2 and target.failures == 0


async def test_an_escalation_replaces_the_lesser_alert(alertmanager: Alertmanager) -> None:
    target = sink(alertmanager.url)
    await target.send([note(severity=Severity.WARNING)])
    await target.send([note("escalated", severity=Severity.CRITICAL)])
    shown = await alerts(alertmanager)
    await target.aclose()
    assert [a["labels"]["severity"] for a in shown] == ["critical"]


async def test_firing_alerts_are_resent_so_alertmanager_keeps_them(tmp_path: Path) -> None:
    am = Alertmanager(tmp_path, resolve_timeout="1s")
    am.start()
    try:
        resending = sink(am.url, resend_every="0.3s")
        silent = sink(am.url)

        async def firing() -> Sequence[Notification]:
            return [note()]

        resending.resend_from(firing)
        await silent.send([note(rule="sla_breach")])
        await asyncio.sleep(2.5)  # past resolve_timeout
        kept = await alerts(am)
        dropped = await alerts(am, "sla_breach")
        await resending.aclose()
        await silent.aclose()
    finally:
        am.stop()
    assert len(kept) == 1
    assert dropped == []  # sent once, never again: Alertmanager resolved it


async def test_unreachable_alertmanager_is_retried_counted_and_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    target = sink(f"http://127.0.0.1:{free_port()}", retries=2)
    with caplog.at_level(logging.ERROR):
        await target.send([note()])
    await target.aclose()
    assert target.failures == 1 and target.delivered == 0
    (record,) = caplog.records
    assert record.getMessage() == (
        "alertmanager: 1 alerts not delivered after 3 attempts: ConnectError"
    )


async def test_a_restarted_engine_reannounces_what_fires_but_not_what_is_silenced(
    tmp_path: Path, alertmanager: Alertmanager
) -> None:
    rules = [
        Rule.model_validate(
            {"name": name, "series": "q", "condition": {"value": 10}, "severity": "critical"}
        )
        for name in ("q_high", "q_too_high")
    ]
    async with await Store.open(tmp_path / "restart.db") as store:
        first = await AlertEngine.open(rules, store, sinks=[])
        t = time.time()
        batch = SourceBatch(
            "sidekiq", [Sample("q", 30, t)], SourceStatus("sidekiq", SourceState.OK, t, t)
        )
        await store.write([batch])
        await first.after_write([batch])
        await first.book.add_silence(
            {"rule": "q_too_high"},
            starts_at=t,
            ends_at=t + 3600,
            created_by="amy",
            comment="known",
            now=t,
        )
        await first.aclose()
        notify = NotifyConfig.model_validate(
            {"alertmanager": {"url": alertmanager.url, "resend_every": "0.2s"}}
        )
        second = await AlertEngine.open(rules, store, notify)
        try:

            async def announced() -> bool:
                return len(await alerts(alertmanager, "q_high")) == 1

            await eventually(announced, timeout=10)
            await asyncio.sleep(0.5)  # a few more re-sends
            silenced = await alerts(alertmanager, "q_too_high")
        finally:
            await second.aclose()
    assert silenced == []


# --------------------------------------------------------------------------- wootwatch collect


def _config(path: Path, chatwoot_port: int, am_url: str, state: ChatwootState) -> Path:
    path.write_text(
        f"""\
database: {path.with_suffix(".db")}
sources:
  - type: chatwoot
    name: chatwoot
    interval: 1s
    base_url: http://127.0.0.1:{chatwoot_port}
    account_id: {state.account_id}
    api_token: {state.token}
notify:
  group_wait: 0.1s
  bell: false
  alertmanager: {{url: "{am_url}", resend_every: 1s}}
"""
    )
    return path


def _collect(config: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WOOTWATCH")}
    return subprocess.Popen(
        [WOOTWATCH, "collect", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )


def _stop(*processes: subprocess.Popen[bytes]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)


@pytest.mark.timeout(90)
async def test_collect_fires_api_down_and_resolves_it_when_chatwoot_returns(
    tmp_path: Path, alertmanager: Alertmanager
) -> None:
    state = ChatwootState(seed=7)
    port = free_port()
    collector = _collect(_config(tmp_path / "a.yaml", port, alertmanager.url, state))
    try:

        async def shown() -> bool:
            return len(await alerts(alertmanager)) == 1

        await eventually(shown, timeout=40)
        (alert,) = await alerts(alertmanager)
        assert alert["labels"]["source"] == "chatwoot"
        assert alert["labels"]["severity"] == "critical"

        async with FakeChatwootServer(state, port=port):

            async def gone() -> bool:
                return await alerts(alertmanager) == []

            await eventually(gone, timeout=40)
    finally:
        _stop(collector)


@pytest.mark.timeout(90)
async def test_two_collectors_make_one_alert(tmp_path: Path, alertmanager: Alertmanager) -> None:
    state = ChatwootState(seed=7)
    port = free_port()
    pair = [
        _collect(_config(tmp_path / f"{name}.yaml", port, alertmanager.url, state))
        for name in ("a", "b")
    ]
    try:
        databases = [tmp_path / "a.db", tmp_path / "b.db"]

        async def both_fired() -> bool:
            return all([await asyncio.to_thread(_fired, db) for db in databases])

        await eventually(both_fired, timeout=40)
        await asyncio.sleep(1.5)  # a resend of each has reached Alertmanager
        shown = await alerts(alertmanager)
    finally:
        _stop(*pair)
    assert len(shown) == 1


def _fired(db: Path) -> bool:
    import sqlite3

    if not db.exists():
        return False
    try:
        with sqlite3.connect(db) as reader:
            row = reader.execute(
                "SELECT count(*) FROM alerts WHERE rule = ? AND state = 'firing'", (RULE,)
            ).fetchone()
    except sqlite3.Error:
        return False
    return bool(row[0])


# --------------------------------------------------------------------------- silences


async def _database(path: Path) -> None:
    async with await Store.open(path):
        pass


def _silence(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    asyncio.run(_database(tmp_path / "s.db"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("WOOTWATCH")}
    env["USER"] = "alice"
    return subprocess.run(
        [WOOTWATCH, "silence", RULE, "--for", "1h", "--comment", "planned upgrade",
         "--db", str(tmp_path / "s.db"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )  # fmt: skip


def test_silence_command_creates_an_alertmanager_silence(
    tmp_path: Path, alertmanager: Alertmanager
) -> None:
    done = _silence(tmp_path, "--alertmanager", alertmanager.url)
    assert done.returncode == 0, done.stderr
    (silence,) = alertmanager.amtool("silence", "query")
    assert done.stdout.splitlines()[-1] == f"alertmanager silence {silence['id']}"
    assert silence["createdBy"] == "alice"
    assert silence["comment"] == "planned upgrade"
    assert silence["matchers"] == [
        {"name": "alertname", "value": RULE, "isRegex": False, "isEqual": True}
    ]


def test_silence_takes_the_alertmanager_from_the_config(
    tmp_path: Path, alertmanager: Alertmanager
) -> None:
    config = tmp_path / "wootwatch.yaml"
    config.write_text(
        f"database: {tmp_path / 's.db'}\nnotify: {{alertmanager: {{url: '{alertmanager.url}'}}}}\n"
    )
    asyncio.run(_database(tmp_path / "s.db"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("WOOTWATCH")}
    done = subprocess.run(
        [WOOTWATCH, "silence", RULE, "--for", "1h", "--comment", "upgrade",
         "--config", str(config), "--alertmanager"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (silence,) = alertmanager.amtool("silence", "query")
    assert done.stdout.splitlines()[-1] == f"alertmanager silence {silence['id']}"


def test_silence_keeps_the_local_one_when_alertmanager_is_down(tmp_path: Path) -> None:
    done = _silence(tmp_path, "--alertmanager", f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 1
    assert done.stdout.startswith("silence 1:")
    assert done.stderr == (
        "wootwatch: cannot reach Alertmanager: ConnectError; the local silence 1 is kept\n"
    )

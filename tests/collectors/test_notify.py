"""Notifications: Slack against a real local webhook server, the command hook as a real
process, grouping and de-duplication, the bell, and the webhook URL kept secret."""

from __future__ import annotations

import io
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from fakes.slack import FakeSlack
from pydantic import ValidationError

from collectors.alerts.alertmanager import AlertmanagerSink
from collectors.alerts.book import AlertBook
from collectors.alerts.engine import AlertEngine
from collectors.alerts.notify import (
    AlertmanagerConfig,
    BellWatcher,
    CommandConfig,
    CommandSink,
    Dispatcher,
    JsonSink,
    Notification,
    NotifyConfig,
    SlackConfig,
    SlackSink,
    slack_payload,
)
from collectors.alerts.rules import Rule, Severity
from collectors.base import Sample, SourceState, SourceStatus
from collectors.store.database import SourceBatch, Store


def note(
    alert_id: int = 1,
    kind: str = "firing",
    severity: Severity = Severity.CRITICAL,
    **fields: object,
) -> Notification:
    base: dict[str, object] = {
        "kind": kind,
        "alert_id": alert_id,
        "rule": "chatwoot_api_down",
        "severity": severity,
        "state": "firing",
        "value": 0.0,
        "labels": {"source": "chatwoot"},
        "summary": "Chatwoot API check failing",
        "runbook": "https://runbooks.example.com/api",
        "since": 1_700_000_000.0,
        "ts": 1_700_000_000.0,
    }
    base.update(fields)
    return Notification(**base)  # type: ignore[arg-type]


def slack(url: str, **fields: object) -> SlackSink:
    return SlackSink(SlackConfig.model_validate({"webhook_url": url, **fields}), backoff=0.01)


# --------------------------------------------------------------------------- slack


async def test_slack_posts_one_message_per_group() -> None:
    async with FakeSlack() as server:
        sink = slack(server.url)
        await sink.send([note(1), note(2, severity=Severity.WARNING, rule="queue_depth_high")])
        await sink.aclose()
    (message,) = server.messages
    text = message["text"]
    assert text.startswith(":rotating_light: wootwatch: 2 alert notifications")
    assert "[CRITICAL] #1 chatwoot_api_down firing (source=chatwoot) value 0" in text
    assert "#2 queue_depth_high" in text
    assert "<https://runbooks.example.com/api|runbook>" in text
    assert sink.delivered == 1 and sink.last_error is None


@pytest.mark.parametrize("status", [500, 503])
async def test_slack_retries_server_errors(status: int) -> None:
    async with FakeSlack() as server:
        server.fail_next, server.fail_status = 2, status
        sink = slack(server.url, retries=3)
        await sink.send([note()])
        await sink.aclose()
    assert server.requests == 3 and len(server.messages) == 1


async def test_slack_honours_retry_after_on_429() -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    async with FakeSlack() as server:
        server.fail_next, server.fail_status, server.retry_after = 1, 429, 7
        sink = SlackSink(
            SlackConfig.model_validate({"webhook_url": server.url, "retries": 1}),
            backoff=0.01,
            sleep=record,
        )
        await sink.send([note()])
        await sink.aclose()
    assert len(server.messages) == 1
    assert waits == [7.0]  # what Slack asked, not the 0.01 s backoff


async def test_slack_does_not_retry_a_wrong_url(caplog: pytest.LogCaptureFixture) -> None:
    async with FakeSlack() as server:
        wrong = server.url.replace("/services/", "/services/x")
        sink = slack(wrong, retries=3)
        with caplog.at_level(logging.ERROR):
            await sink.send([note()])
        await sink.aclose()
    assert server.requests == 1 and server.messages == []
    assert sink.last_error == "slack: HTTP 404 (no_service)"
    assert wrong not in caplog.text and "/services/" not in caplog.text


async def test_slack_gives_up_after_its_retries_without_showing_the_url(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with FakeSlack() as server:
        server.fail_next = 10
        sink = slack(server.url, retries=2)
        with caplog.at_level(logging.ERROR):
            await sink.send([note()])
        await sink.aclose()
    assert server.requests == 3
    assert "after 3 attempts: HTTP 500" in caplog.text
    assert server.url not in caplog.text and "fakefake" not in caplog.text
    assert sink.last_error is not None and "fakefake" not in sink.last_error


@pytest.mark.parametrize("kind", ["slack", "alertmanager"])
async def test_both_json_sinks_give_up_a_refused_post_the_same_way(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack and Alertmanager post through one `JsonSink`: one poster, one failure line."""
    assert issubclass(SlackSink, JsonSink) and issubclass(AlertmanagerSink, JsonSink)
    async with FakeSlack() as server:  # an Alertmanager there gets 404 for /api/v2/alerts
        wrong = server.url.replace("/services/", "/services/x")
        sink: SlackSink | AlertmanagerSink = (
            slack(wrong, retries=3)
            if kind == "slack"
            else AlertmanagerSink(
                AlertmanagerConfig.model_validate({"url": server.url, "retries": 3}), backoff=0.01
            )
        )
        with caplog.at_level(logging.ERROR):
            await sink.send([note()])
        await sink.aclose()
    assert server.requests == 1 and sink.poster.attempts == 1  # a 4xx is not retried
    assert (sink.failures, sink.delivered) == (1, 0)
    assert sink.last_error == f"{kind}: HTTP 404 (no_service)"
    assert f"{kind}: 1 " in caplog.text and "not delivered after 1 attempts" in caplog.text


async def test_slack_times_out_and_retries_a_slow_server() -> None:
    async with FakeSlack() as server:
        server.delay = 2.0
        sink = slack(server.url, retries=1, timeout="200ms")
        await sink.send([note()])
        await sink.aclose()
    assert server.requests == 2 and sink.last_error == "slack: ReadTimeout"


async def test_slack_unreachable_is_one_line() -> None:
    server = FakeSlack()
    await server.start()
    url = server.url
    await server.stop()  # nothing listens there any more
    sink = slack(url, retries=1)
    await sink.send([note()])
    await sink.aclose()
    assert sink.last_error == "slack: ConnectError"


async def test_fake_slack_error_rate_follows_a_level() -> None:
    async with FakeSlack(error_rate=1.0) as server:
        sink = slack(server.url, retries=0)
        await sink.send([note()])
        server.error_rate = 0.0
        await sink.send([note()])
        await sink.aclose()
    assert server.requests == 2 and len(server.messages) == 1


def test_slack_text_is_escaped_and_inert() -> None:
    evil = note(labels={"queue": "<!channel> \x1b[2J&"}, summary="a <b> c")
    text = str(slack_payload([evil])["text"])
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert "\x1b" not in text and "␛[2J" in text and "&amp;" in text


def test_webhook_url_is_a_secret_and_must_be_http() -> None:
    config = SlackConfig.model_validate(
        {"webhook_url": "https://hooks.slack.com/services/T/B/sekrit"}
    )
    assert "sekrit" not in repr(config) and "sekrit" not in str(config.model_dump())
    with pytest.raises(ValidationError, match="http"):
        SlackConfig.model_validate({"webhook_url": "hooks.slack.com/services/T/B/x"})


# --------------------------------------------------------------------------- command


def _script(tmp_path: Path, body: str, name: str = "hook") -> list[str]:
    path = tmp_path / f"{name}.py"
    path.write_text(body)
    return [sys.executable, str(path), str(tmp_path / "out.json")]


async def test_command_gets_the_group_as_json_on_stdin(tmp_path: Path) -> None:
    argv = _script(tmp_path, "import sys\nopen(sys.argv[1], 'w').write(sys.stdin.read())\n")
    argv.append("$(touch pwned) ; rm -rf /")  # an argument, never a shell string
    sink = CommandSink(CommandConfig(argv=argv))
    await sink.send([note(1), note(2, kind="resolved")])
    received = json.loads((tmp_path / "out.json").read_text())
    assert [(n["id"], n["kind"]) for n in received] == [(1, "firing"), (2, "resolved")]
    assert received[0]["since"] == "2023-11-14T22:13:20Z" and received[0]["labels"] == {
        "source": "chatwoot"
    }
    assert sink.delivered == 1 and not (tmp_path / "pwned").exists()


async def test_command_failures_are_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    failing = CommandSink(
        CommandConfig(argv=_script(tmp_path, "import sys\nsys.exit(3)\n", "fail"))
    )
    missing = CommandSink(CommandConfig(argv=[str(tmp_path / "no-such-program")]))
    slow = CommandSink(
        CommandConfig(
            argv=_script(tmp_path, "import time\ntime.sleep(30)\n", "slow"), timeout="300ms"
        )
    )
    with caplog.at_level(logging.ERROR):
        for sink in (failing, missing, slow):
            await sink.send([note()])
    assert failing.last_error is not None and failing.last_error.endswith("exited with status 3")
    assert missing.last_error is not None and "cannot run" in missing.last_error
    assert slow.last_error is not None and "did not finish within 300ms" in slow.last_error
    assert all("\n" not in r.getMessage() for r in caplog.records)


def test_command_refuses_a_shell_string() -> None:
    with pytest.raises(ValidationError, match="shell string is not run"):
        CommandConfig.model_validate({"argv": "notify-send alert"})
    with pytest.raises(ValidationError):
        CommandConfig.model_validate({"argv": []})


# --------------------------------------------------------------------------- dispatcher


class Recorder:
    def __init__(self, name: str, min_severity: Severity = Severity.INFO) -> None:
        self.name, self.min_severity = name, min_severity
        self.groups: list[list[Notification]] = []

    async def send(self, group: Sequence[Notification]) -> None:
        self.groups.append(list(group))

    async def aclose(self) -> None:
        pass


async def test_dispatcher_groups_within_group_wait_and_deduplicates() -> None:
    sink = Recorder("all")
    dispatcher = Dispatcher([sink], group_wait=0.2)
    dispatcher.submit([note(1, severity=Severity.WARNING)])
    dispatcher.submit([note(2), note(1, severity=Severity.WARNING, value=5.0)])
    assert sink.groups == []  # nothing before group_wait
    await dispatcher.aclose()  # closing delivers what is pending at once
    (group,) = sink.groups
    assert [(n.alert_id, n.value) for n in group] == [
        (2, 0.0),
        (1, 5.0),
    ]  # worst first, newest kept


async def test_dispatcher_filters_by_each_sinks_severity() -> None:
    pager, chat = Recorder("pager", Severity.CRITICAL), Recorder("chat", Severity.WARNING)
    dispatcher = Dispatcher([pager, chat], group_wait=0.0)
    dispatcher.submit([note(1, severity=Severity.WARNING), note(2, severity=Severity.INFO)])
    await dispatcher.flush()
    assert pager.groups == [] and [[n.alert_id for n in g] for g in chat.groups] == [[1]]


async def test_engine_to_slack_end_to_end(tmp_path: Path) -> None:
    """One poll fires two rules: one Slack message, none for what was already said."""
    rules = [
        Rule.model_validate(
            {"name": n, "series": "q", "condition": {"value": v}, "severity": "critical"}
        )
        for n, v in (("q_high", 10), ("q_very_high", 20))
    ]
    async with FakeSlack() as server, await Store.open(tmp_path / "e2e.db") as store:
        notify = NotifyConfig.model_validate(
            {"group_wait": "50ms", "slack": {"webhook_url": server.url}}
        )
        engine = await AlertEngine.open(rules, store, notify)
        try:
            for _ in range(3):
                t = time.time()
                batch = SourceBatch(
                    "sidekiq", [Sample("q", 30, t)], SourceStatus("sidekiq", SourceState.OK, t, t)
                )
                await store.write([batch])
                await engine.after_write([batch])
        finally:
            await engine.aclose()
    (message,) = server.messages
    assert "q_high" in message["text"] and "q_very_high" in message["text"]


# --------------------------------------------------------------------------- bell


async def test_bell_rings_for_new_firing_notifications_only(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "bell.db") as store:
        rule = Rule.model_validate(
            {"name": "up", "series": "up", "condition": {"op": "<", "value": 1}}
        )
        engine = AlertEngine([rule], store, await AlertBook.open(store.path))
        terminal = io.StringIO()
        async with await AlertBook.open(store.path, readonly=True) as book:
            bell = BellWatcher(book, terminal, min_severity=Severity.WARNING)
            assert await bell.poll() is False  # the first poll only notes where history ends

            async def poll(value: float) -> None:
                t = time.time()
                batch = SourceBatch(
                    "api", [Sample("up", value, t)], SourceStatus("api", SourceState.OK, t, t)
                )
                await store.write([batch])
                await engine.after_write([batch])

            await poll(0)
            assert await bell.poll() is True and terminal.getvalue() == "\a"
            await poll(0)
            assert await bell.poll() is False  # nothing new
            await poll(1)
            assert await bell.poll() is False  # a resolution does not ring
        await engine.aclose()
    assert bell.rings == 1

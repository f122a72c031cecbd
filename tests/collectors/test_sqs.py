"""The SQS source against moto's real server on 127.0.0.1, and the package's fake for throttling.

Credentials are dummies from the environment; `~/.aws` and the instance
metadata service are switched off so nothing outside the test is read.
"""

from __future__ import annotations

import asyncio
import logging
import random
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from collectors.base import Sample, SourceError, SourceState
from collectors.fakes.sqs_api import ACCOUNT_ID, FakeSqs, QueueDepth, SqsState
from collectors.scheduler import Scheduler
from collectors.sqs import SqsCollector, SqsConfig, classify_error, parse_attributes, region_of
from collectors.store.database import Store

KEY_ID = "AKIAWOOTWATCHTEST0001"
SECRET = "wJalrXUtnFEMI-test-secret-never-shown"
TS = 1_750_000_000.0


@pytest.fixture(autouse=True)
def dummy_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "w.db")
    yield opened
    await opened.close()  # an open store's thread would keep the test process alive


def moto_api(endpoint: str, path: str, body: bytes = b"") -> None:
    request = urllib.request.Request(
        endpoint + path, data=body, method="POST", headers={"Content-Type": "text/plain"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()


@pytest.fixture
def moto(moto_endpoint: str) -> Iterator[str]:
    moto_api(moto_endpoint, "/moto-api/reset")
    yield moto_endpoint
    moto_api(moto_endpoint, "/moto-api/reset-auth", b"inf")  # auth off again for the next test


def collector(queues: list[str], endpoint: str | None, **options: Any) -> SqsCollector:
    config = SqsConfig.model_validate(
        {"name": "sqs", "queues": queues, "endpoint_url": endpoint, **options}
    )
    return SqsCollector(config, clock=lambda: TS)


def by_queue(records: list[Any]) -> dict[tuple[str, str], float]:
    return {
        (r.labels["queue"], r.labels["state"]): r.value for r in records if isinstance(r, Sample)
    }


def fill_moto(endpoint: str) -> str:
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=endpoint)
    events = sqs.create_queue(QueueName="chatwoot-events")["QueueUrl"]
    sqs.create_queue(QueueName="chatwoot-webhooks")
    for index in range(5):
        sqs.send_message(QueueUrl=events, MessageBody=f"event {index}")
    sqs.send_message(QueueUrl=events, MessageBody="later", DelaySeconds=120)
    received = sqs.receive_message(QueueUrl=events, MaxNumberOfMessages=2, VisibilityTimeout=300)
    assert len(received["Messages"]) == 2
    return str(events)


# --------------------------------------------------------------------------- pure parts


def test_parse_attributes_and_a_missing_one() -> None:
    answer = {
        "Attributes": {
            "ApproximateNumberOfMessages": "12",
            "ApproximateNumberOfMessagesNotVisible": "3",
        }
    }
    samples, problem = parse_attributes("events", answer, TS)
    assert by_queue(samples) == {("events", "visible"): 12, ("events", "not_visible"): 3}
    assert {(s.series, s.unit, s.ts) for s in samples} == {("aws.sqs.messages", "count", TS)}
    assert problem == "queue events: no ApproximateNumberOfMessagesDelayed"


def test_error_messages_are_built_from_codes_never_from_keys() -> None:
    leaky = ClientError(
        {"Error": {"Code": "KMS.Oops", "Message": f"key {KEY_ID} said no\nsecond line"}},
        "GetQueueAttributes",
    )
    failure = classify_error(leaky, "events")
    assert failure.kind == "other" and KEY_ID not in failure.message
    assert "\n" not in failure.message
    throttled = ClientError({"Error": {"Code": "RequestThrottled"}}, "GetQueueUrl")
    assert classify_error(throttled, "events").kind == "throttled"


def test_region_comes_from_an_aws_queue_url() -> None:
    assert region_of("https://sqs.eu-west-1.amazonaws.com/123456789012/events") == "eu-west-1"
    assert region_of("events") is None


def test_config_checks_queue_names() -> None:
    with pytest.raises(ValueError, match="invalid queue name"):
        SqsConfig(name="sqs", queues=["bad name!"])
    with pytest.raises(ValueError, match="listed twice"):
        SqsConfig(name="sqs", queues=["a", "a"])
    with pytest.raises(ValueError, match="at least 1"):
        SqsConfig(name="sqs")


# --------------------------------------------------------------------------- moto's server


async def test_reads_visible_in_flight_and_delayed_messages(moto: str) -> None:
    events_url = fill_moto(moto)
    by_name = collector(["chatwoot-events", "chatwoot-webhooks"], moto, region="us-east-1")
    by_url = collector([events_url], moto, region="us-east-1")
    try:
        found = by_queue(await by_name.collect())
        again = by_queue(await by_url.collect())
    finally:
        await by_name.aclose()
        await by_url.aclose()
    assert found == {
        ("chatwoot-events", "visible"): 3,
        ("chatwoot-events", "not_visible"): 2,
        ("chatwoot-events", "delayed"): 1,
        ("chatwoot-webhooks", "visible"): 0,
        ("chatwoot-webhooks", "not_visible"): 0,
        ("chatwoot-webhooks", "delayed"): 0,
    }
    assert again == {k: v for k, v in found.items() if k[0] == "chatwoot-events"}
    assert by_name.notes is None


async def test_a_missing_queue_is_a_note_and_all_missing_an_error(moto: str) -> None:
    fill_moto(moto)
    some = collector(["chatwoot-events", "no-such-queue"], moto, region="us-east-1")
    none = collector(["no-such-queue"], moto, region="us-east-1")
    try:
        found = by_queue(await some.collect())
        assert ("chatwoot-events", "visible") in found
        assert not [key for key in found if key[0] == "no-such-queue"]  # no data, never 0
        assert some.notes == "queue no-such-queue: does not exist"
        with pytest.raises(SourceError, match="queue no-such-queue: does not exist"):
            await none.collect()
    finally:
        await some.aclose()
        await none.aclose()


async def test_rejected_credentials_are_the_source_error(moto: str) -> None:
    fill_moto(moto)
    moto_api(moto, "/moto-api/reset-auth", b"0")  # moto checks keys from now on
    sqs = collector(["chatwoot-events"], moto, region="us-east-1")
    try:
        with pytest.raises(SourceError) as rejected:
            await sqs.collect()
    finally:
        await sqs.aclose()
    message = str(rejected.value)
    assert message == "AWS rejected the credentials (InvalidClientTokenId)"
    assert rejected.value.retry_after is not None and rejected.value.retry_after >= 300
    assert KEY_ID not in message and SECRET not in message


async def test_no_credentials_and_an_unknown_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    bare = collector(["events"], "http://127.0.0.1:9", region="us-east-1")
    profiled = collector(["events"], None, region="us-east-1", profile="on-call")
    try:
        with pytest.raises(SourceError, match="no AWS credentials found") as missing:
            await bare.collect()
        assert missing.value.retry_after == 300
        with pytest.raises(SourceError, match="AWS profile 'on-call' not found"):
            await profiled.collect()
    finally:
        await bare.aclose()
        await profiled.aclose()


async def test_an_unreachable_endpoint_is_the_source_error() -> None:
    sqs = collector(["events"], "http://127.0.0.1:9", region="us-east-1")
    try:
        with pytest.raises(SourceError, match="cannot reach SQS: EndpointConnectionError"):
            await sqs.collect()
    finally:
        await sqs.aclose()


# --------------------------------------------------------------------------- the package's fake


async def test_throttling_shows_as_the_source_state_then_recovers(store: Store) -> None:
    state = SqsState(throttle=True)
    async with FakeSqs(state) as fake:
        config = SqsConfig.model_validate(
            {
                "name": "sqs",
                "queues": ["chatwoot-events"],
                "region": "us-east-1",
                "endpoint_url": fake.url,
            }
        )
        scheduler = Scheduler([config], store, rng=random.Random(2))
        try:
            status = (await scheduler.run_once())["sqs"]
            assert status.state is SourceState.STALE
            assert status.last_error == (
                "SQS is throttling the requests (RequestThrottled); backing off"
            )
            assert fake.calls == ["GetQueueUrl"]  # botocore does not retry behind our back
            state.throttle = False
            assert (await scheduler.run_once())["sqs"].state is SourceState.OK
            (visible,) = await store.series(
                "aws.sqs.messages", labels={"queue": "chatwoot-events", "state": "visible"}
            )
            assert visible.last_value == 3
        finally:
            await scheduler.aclose()


async def test_queues_are_read_in_parallel_within_the_bound_off_the_loop() -> None:
    names = [f"queue-{index}" for index in range(8)]
    state = SqsState(queues={name: QueueDepth(index) for index, name in enumerate(names)})
    state.latency_s = 0.05
    async with FakeSqs(state) as fake:
        urls = [f"{fake.url}/{ACCOUNT_ID}/{name}" for name in names]
        sqs = collector(urls, fake.url, region="us-east-1", max_concurrency=3)
        ticks = 0
        reading = asyncio.ensure_future(sqs.collect())
        while not reading.done():
            ticks += 1
            await asyncio.sleep(0.005)
        try:
            found = by_queue(reading.result())
        finally:
            await sqs.aclose()
    assert {found[name, "visible"] for name in names} == set(range(8))
    assert 2 <= fake.max_in_flight <= 3
    assert ticks >= 5  # the event loop kept running while boto3 waited

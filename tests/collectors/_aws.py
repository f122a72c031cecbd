"""Shared by the CloudWatch tests: one local AWS (moto) per module, emptied per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.aws import FakeAws


@pytest.fixture(scope="module", name="aws_server")
def aws_server_fixture() -> Iterator[FakeAws]:
    server = FakeAws()
    server.start()
    yield server
    server.stop()


@pytest.fixture(name="aws")
def aws_fixture(aws_server: FakeAws) -> FakeAws:
    aws_server.reset()
    return aws_server


@pytest.fixture(name="aws_env")
def aws_env_fixture(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The default credential chain, isolated: dummy keys in the environment only."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTESTSECRETKEYID")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t-test-value")

"""Store.write with `Revision` records: re-read points replace, never duplicate."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.base import Revision, Sample
from collectors.store.database import SourceBatch, Store

T0 = 1_800_000_000.0  # a minute boundary


@pytest.fixture
async def store(tmp_path: Path):
    opened = await Store.open(tmp_path / "r.db", clock=lambda: T0)
    yield opened
    await opened.close()


async def test_a_revision_replaces_the_point_at_its_time_and_rebuilds_the_minute(
    store: Store,
) -> None:
    labels = {"db": "prod"}
    await store.write([SourceBatch("aws", [Revision("aws.rds.connections", 40.0, T0, labels)])])
    await store.write([SourceBatch("aws", [Revision("aws.rds.connections", 60.0, T0, labels)])])
    series = await store.series("aws.rds.connections")
    assert await store.count_rows("samples") == 1
    stats = await store.window_stats(series, T0, T0 + 60)
    assert (stats.count, stats.mean, stats.max) == (1, 60.0, 60.0)
    assert await store.points(series, T0, T0 + 60, 1) == [60.0]  # the rollup too
    assert series[0].last_value == 60.0


async def test_revisions_leave_other_points_and_series_alone(store: Store) -> None:
    await store.write(
        [
            SourceBatch(
                "aws",
                [
                    Sample("pipeline.latency_ms", 5.0, T0 + 1),
                    Sample("pipeline.latency_ms", 7.0, T0 + 1),  # plain samples may share a time
                    Revision("aws.rds.cpu_pct", 10.0, T0),
                    Revision("aws.rds.cpu_pct", 20.0, T0 + 60),
                ],
            )
        ]
    )
    await store.write(
        [
            SourceBatch(
                "aws",
                [
                    Revision("aws.rds.cpu_pct", 30.0, T0 + 60),
                    Revision("aws.rds.cpu_pct", 40.0, T0 + 120),
                ],
            )
        ]
    )
    cpu = await store.series("aws.rds.cpu_pct")
    assert await store.points(cpu, T0, T0 + 180, 3) == [10.0, 30.0, 40.0]
    latency = await store.series("pipeline.latency_ms")
    assert (await store.window_stats(latency, T0, T0 + 60)).count == 2
    assert cpu[0].last_value == 40.0


async def test_an_older_revision_does_not_move_the_latest_value_back(store: Store) -> None:
    await store.write([SourceBatch("aws", [Revision("aws.sqs.oldest_age_s", 5.0, T0 + 120)])])
    await store.write([SourceBatch("aws", [Revision("aws.sqs.oldest_age_s", 9.0, T0)])])
    (series,) = await store.series("aws.sqs.oldest_age_s")
    assert (series.last_ts, series.last_value) == (T0 + 120, 5.0)
    assert await store.points([series], T0, T0 + 180, 3) == [9.0, None, 5.0]

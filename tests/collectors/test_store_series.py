"""Store.write: which series a sample lands in, and its minutes and latest value.

The writer caches series ids by label pairs in the sample's order, and within one
slice of a write by the identity of the label mapping; these tests pin what the
caches must never change.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest

from collectors.base import Sample
from collectors.store.database import SourceBatch, Store

NAME = "chatwoot.api.latency_ms"


@pytest.fixture
async def store(tmp_path: Path):
    opened = await Store.open(tmp_path / "s.db")
    yield opened
    await opened.close()


def minute_start() -> float:
    """The start of a whole minute well inside the retention windows."""
    return (math.floor(time.time() / 60) - 30) * 60.0


async def per_minute_counts(store: Store, base: float, minutes: int) -> list[int]:
    (series,) = await store.series(NAME)
    return [
        (await store.window_stats([series], base + m * 60, base + (m + 1) * 60)).count
        for m in range(minutes)
    ]


async def test_labels_in_another_order_are_the_same_series(store: Store) -> None:
    now = time.time()
    forward = {"endpoint": "reports", "instance": "web-1"}
    backward = {"instance": "web-1", "endpoint": "reports"}
    await store.write([SourceBatch("api", [Sample(NAME, 1.0, now, forward)])])
    await store.write(
        [
            SourceBatch(
                "api", [Sample(NAME, 2.0, now + 1, backward), Sample(NAME, 3.0, now + 2, forward)]
            )
        ]
    )
    (series,) = await store.series(NAME)
    assert series.labels == forward
    assert series.last_value == 3.0
    assert (await store.window_stats([series], now, now + 3)).count == 3


async def test_a_label_mapping_changed_between_writes_starts_a_new_series(store: Store) -> None:
    now = time.time()
    labels = {"endpoint": "reports"}
    await store.write([SourceBatch("api", [Sample(NAME, 1.0, now, labels)] * 3)])
    labels["endpoint"] = "health"  # the same mapping object, new content
    await store.write([SourceBatch("api", [Sample(NAME, 2.0, now + 1, labels)] * 2)])
    found = {s.labels["endpoint"]: s for s in await store.series(NAME)}
    assert sorted(found) == ["health", "reports"]
    assert (found["reports"].last_value, found["health"].last_value) == (1.0, 2.0)
    assert await store.count_rows("samples") == 5


async def test_one_label_mapping_shared_by_two_series_names_keeps_them_apart(store: Store) -> None:
    now = time.time()
    labels = {"queue": "default"}
    records = [
        Sample("sidekiq.queue.size", 7.0, now, labels),
        Sample("sidekiq.queue.latency_s", 0.5, now, labels),
    ]
    await store.write([SourceBatch("sidekiq", records)])
    (size,) = await store.series("sidekiq.queue.size")
    (lag,) = await store.series("sidekiq.queue.latency_s")
    assert (size.last_value, lag.last_value) == (7.0, 0.5)


async def test_separate_but_equal_label_mappings_share_one_series_and_its_minutes(
    store: Store,
) -> None:
    base = minute_start()
    await store.write(
        [
            SourceBatch(
                "api", [Sample(NAME, float(i), base + i, {"endpoint": "x"}) for i in range(120)]
            )
        ]
    )
    (series,) = await store.series(NAME)
    assert series.last_value == 119.0
    assert await per_minute_counts(store, base, 2) == [60, 60]


async def test_samples_out_of_time_order_go_to_their_own_minutes(store: Store) -> None:
    base = minute_start()
    labels = {"endpoint": "x"}
    times = [base + 130, base + 5, base + 65, base + 170, base + 10, base + 170]
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    await store.write(
        [
            SourceBatch(
                "api", [Sample(NAME, v, t, labels) for t, v in zip(times, values, strict=True)]
            )
        ]
    )
    assert await per_minute_counts(store, base, 3) == [2, 1, 3]
    (series,) = await store.series(NAME)
    # The newest time wins; of two at that time, the later in the batch.
    assert (series.last_ts, series.last_value) == (base + 170, 6.0)


async def test_ordered_samples_split_at_minute_boundaries_across_slices(store: Store) -> None:
    base = minute_start()
    labels = {"endpoint": "x"}
    # 3000 samples, 0.1 s apart: five minutes, more than one preparation slice,
    # with a second series in between.
    samples = [Sample(NAME, float(i % 7), base + i / 10, labels) for i in range(3000)]
    samples[1500:1500] = [Sample("other", 1.0, base + i, labels) for i in range(100)]
    await store.write([SourceBatch("api", samples)])
    assert await store.count_rows("samples") == 3100
    assert await per_minute_counts(store, base, 5) == [600] * 5
    (series,) = await store.series(NAME)
    stats = await store.window_stats([series], base, base + 300)
    assert stats.count == 3000
    assert stats.mean == pytest.approx(sum(i % 7 for i in range(3000)) / 3000)


async def test_surrogates_in_labels_are_replaced_whatever_their_order(store: Store) -> None:
    now = time.time()
    await store.write(
        [
            SourceBatch(
                "api",
                [
                    Sample(NAME, 1.0, now, {"customer": "bad \udc80", "zone": "eu"}),
                    Sample(NAME, 2.0, now + 1, {"zone": "eu", "customer": "bad \udc80"}),
                ],
            )
        ]
    )
    (series,) = await store.series(NAME)
    assert series.labels == {"customer": "bad \ufffd", "zone": "eu"}
    assert series.last_value == 2.0


async def test_nan_and_infinite_samples_are_dropped_from_a_known_series(store: Store) -> None:
    base = minute_start()
    labels = {"endpoint": "x"}
    await store.write([SourceBatch("api", [Sample(NAME, 1.0, base, labels)])])
    records = [
        Sample(NAME, math.nan, base + 1, labels),
        Sample(NAME, 2.0, base + 2, labels),
        Sample(NAME, 3.0, math.inf, labels),
        Sample(NAME, -math.inf, base + 3, labels),
        Sample(NAME, 4.0, base + 4, labels),
    ]
    await store.write([SourceBatch("api", records)])
    await store.write([SourceBatch("api", [Sample(NAME, math.nan, base + 5, labels)])])
    (series,) = await store.series(NAME)
    assert (series.last_ts, series.last_value) == (base + 4, 4.0)
    stats = await store.window_stats([series], base, base + 60)
    assert (stats.count, stats.min, stats.max) == (3, 1.0, 4.0)
    assert await store.count_rows("samples") == 3


async def test_a_series_with_only_nan_samples_is_not_created(store: Store) -> None:
    now = time.time()
    await store.write([SourceBatch("api", [Sample(NAME, math.nan, now, {"endpoint": "x"})])])
    assert await store.series(NAME) == []

"""`KeptHours`: whole hours a reader keeps between steps, bounded, dropped by a write."""

from __future__ import annotations

from collections.abc import Sequence

from collectors.store.kept_hours import KeptHours


class Hours:
    """A file's hourly rows: every series has a row for every even hour."""

    def __init__(self, ids: Sequence[int]) -> None:
        self.ids = ids
        self.asked: list[tuple[int, int]] = []

    async def __call__(self, runs: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        self.asked += runs
        return [
            (i, h) for first, end in runs for h in range(first, end) if not h % 2 for i in self.ids
        ]


async def test_only_hours_not_kept_are_read_and_a_new_version_drops_them() -> None:
    kept, fetch = KeptHours(), Hours([1, 2])
    kept.seen(7)
    assert await kept.read(7, [1, 2], (10, 14), fetch) == [(1, 10), (2, 10), (1, 12), (2, 12)]
    assert sorted(await kept.read(7, [1, 2], (8, 13), fetch)) == [
        (1, 8),
        (1, 10),
        (1, 12),
        (2, 8),
        (2, 10),
        (2, 12),
    ]
    assert fetch.asked == [(10, 14), (8, 10)]
    kept.seen(8)  # another connection wrote
    await kept.read(8, [1, 2], (10, 12), fetch)
    assert fetch.asked[2:] == [(10, 12)]


async def test_rows_read_under_an_older_version_are_not_kept() -> None:
    kept, fetch = KeptHours(), Hours([1])
    kept.seen(7)
    await kept.read(6, [1], (0, 4), fetch)  # the window read its version before a write
    await kept.read(7, [1], (0, 4), fetch)
    assert fetch.asked == [(0, 4), (0, 4)]


async def test_the_hours_kept_are_bounded() -> None:
    kept, fetch = KeptHours(keep=10), Hours([1, 2])
    kept.seen(1)
    await kept.read(1, [1, 2], (0, 4), fetch)
    await kept.read(1, [1, 2], (4, 8), fetch)
    assert len(kept) == 8
    await kept.read(1, [1, 2], (8, 10), fetch)  # past the bound: the others are dropped
    assert len(kept) == 4
    await kept.read(1, [1, 2], (20, 26), fetch)  # more than the bound: read, not kept
    assert len(kept) == 4

"""Count the sorts of a sketch's bins (`collectors.sketch._running`) a test's code makes."""

from __future__ import annotations

import pytest

from collectors import sketch


def count_sorts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """From now on, the size of each bin map the sketch sorts, in order, into the list returned."""
    sorts: list[int] = []
    running = sketch._running

    def counted(bins: dict[int, int]) -> tuple[list[int], list[int]]:
        sorts.append(len(bins))
        return running(bins)

    monkeypatch.setattr(sketch, "_running", counted)
    return sorts

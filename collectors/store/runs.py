"""Ascending whole numbers (slots, minutes, hours) cut into runs of consecutive ones."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["consecutive_runs"]


def consecutive_runs(ascending: Iterable[int]) -> list[tuple[int, int]]:
    """The runs of consecutive numbers in `ascending`, each as `(first, end)`, end excluded."""
    found: list[tuple[int, int]] = []
    for number in ascending:
        if found and found[-1][1] == number:
            found[-1] = (found[-1][0], number + 1)
        else:
            found.append((number, number + 1))
    return found

"""Marks the date-sensitive tests `dated`, and hands the long files out first.

Dated tests:

A test can depend on today's date only where fixed-time data (an epoch literal,
the recorded demo) meets something that may read the real clock: a store
(its retention), the alert engine, the scheduler or the app made without
`clock=`, a `wootwatch` process, `time.time()`. A test
is `dated` when its module holds fixed-time data and its own code, the
helpers of its module it calls or the fixtures it uses reach such a thing.
New tests are marked by the same reading of their source: nobody has to
remember to.

Order: `make test` runs whole files on two workers in the order collected
(`--dist loadfile --no-loadscope-reorder`). A file marked `long` holds few
tests that take long (the year-ahead rerun alone takes a minute); handed out
last, it would leave the other worker idle until it ends, so long files come
first, then the rest by their number of tests, most first.

Stylesheets: each is parsed once per test process (`_stylesheets.py`), not
once per app a test starts.

Garbage collection: a test process holds every module of the product, its
tests and their libraries, and Python's default (a young-generation pass
every 700 allocations, promoting into full passes over all of it) spent about
a sixth of a pilot test's CPU. Passes come a hundred times less often here;
objects are still freed by their counts at once, only cycles wait.
"""

from __future__ import annotations

import collections
import functools
import gc
import inspect
import re
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _stylesheets import share_parsed_stylesheets

TESTS = Path(__file__).resolve().parent

FIXED_TIME = re.compile(
    r"\b1_?[5-9]\d\d_?\d{3}_?\d{3}(?:\.\d+)?\b"  # a unix time of 2017..2033
    r"|\bdatetime\(\d{4},"  # a date written out
    r"|\b(?:DEMO_EPOCH|record_demo|recorded_demo|record_hostile|demo_now|from _written)\b"
)
"""Fixed-time data: an epoch or date literal, or the recorded demo."""
REAL_CLOCK = re.compile(
    r"\b(?:Store\.open|AlertEngine(?:\.open)?|Scheduler|WootwatchApp|DemoCollector|ExportDialog)"
    r"\((?!(?:[^()]|\([^()]*\))*\b(?:clock|readonly)=)"  # no clock given: the real one
    r"|\bsubprocess\b|\btime\.time\(|\bdatetime\.now\("
)
"""What may read the real clock: a part made without `clock=` (a store not read-only), a
process, the clock itself."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "dated: fixed-time data meets the real clock (rerun a year ahead)"
    )
    config.addinivalue_line("markers", "long: a file of few long tests, handed out first")
    share_parsed_stylesheets()
    gc.set_threshold(70_000, 10, 10)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if isinstance(item, pytest.Function) and _dated(item):
            item.add_marker(pytest.mark.dated)
    _long_files_first(items)


def _long_files_first(items: list[pytest.Item]) -> None:
    """Sort whole files: `long` ones first, then by their number of tests, most first."""
    tests_in = collections.Counter(item.path for item in items)
    long_files = {item.path for item in items if item.get_closest_marker("long") is not None}
    items.sort(key=lambda item: (item.path not in long_files, -tests_in[item.path], str(item.path)))


def _dated(item: pytest.Function) -> bool:
    if item.module is None or not FIXED_TIME.search(_source(item.module)):
        return False
    return any(REAL_CLOCK.search(_source(func)) for func in _reached(item))


def _reached(item: pytest.Function) -> Iterator[Callable[..., Any]]:
    """The test, the fixtures it uses (from tests/), and the module helpers they call."""
    roots: list[Callable[..., Any]] = [item.function]
    for defs in item._fixtureinfo.name2fixturedefs.values():
        roots += [d.func for d in defs if _in_tests(d.func)]
    seen: set[int] = set()
    while roots:
        func = roots.pop()
        if id(func) in seen:
            continue
        seen.add(id(func))
        yield func
        namespace = vars(inspect.getmodule(func) or item.module)
        for name in _names(inspect.unwrap(func).__code__):
            helper = namespace.get(name)
            if inspect.isfunction(helper) and _in_tests(helper):
                roots.append(helper)


def _names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def _in_tests(func: Callable[..., Any]) -> bool:
    path = inspect.getsourcefile(inspect.unwrap(func))
    return path is not None and Path(path).resolve().is_relative_to(TESTS)


@functools.cache
def _source(code: Callable[..., Any] | types.ModuleType) -> str:
    try:
        return inspect.getsource(code if inspect.ismodule(code) else inspect.unwrap(code))
    except (OSError, TypeError):
        return ""

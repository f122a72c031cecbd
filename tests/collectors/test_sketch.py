"""LatencySketch against the `ddsketch` package and against exact answers from sorting."""

from __future__ import annotations

import math
import random
import struct
import sys
from collections.abc import Callable

import pytest
from _sketch_sorts import count_sorts
from ddsketch import DDSketch

from collectors.sketch import LatencySketch, Packing

QUANTILES = (0.0, 0.5, 0.9, 0.95, 0.99, 1.0)
ACCURACY = LatencySketch.RELATIVE_ACCURACY
LOG_GAMMA = math.log((1 + ACCURACY) / (1 - ACCURACY))


def representative(value: float) -> float:
    """The value ddsketch's LogarithmicMapping answers with for the bin of a positive `value`."""
    key = math.ceil(math.log(value) / LOG_GAMMA)
    return 2 * math.exp(key * LOG_GAMMA) / (1 + math.exp(LOG_GAMMA))


def sketch_of(values: list[float]) -> LatencySketch:
    sketch = LatencySketch()
    sketch.add_many(values)
    return sketch


def exact_quantile(values: list[float], q: float) -> float:
    """The lower quantile as ddsketch defines it: the value at rank q * (n - 1), rounded down."""
    return sorted(values)[math.floor(q * (len(values) - 1))]


def lognormal(rng: random.Random) -> list[float]:
    return [rng.lognormvariate(5, 1) for _ in range(5000)]


def uniform(rng: random.Random) -> list[float]:
    return [rng.uniform(0, 2000) for _ in range(3000)]


def integers(rng: random.Random) -> list[float]:
    return [rng.randint(0, 5000) for _ in range(3000)]


def with_zeros(rng: random.Random) -> list[float]:
    return [0.0 if rng.random() < 0.3 else rng.lognormvariate(3, 2) for _ in range(3000)]


def with_negatives(rng: random.Random) -> list[float]:
    return [rng.gauss(20, 100) for _ in range(3000)] + [0.0] * 50


def all_negative(rng: random.Random) -> list[float]:
    return [-rng.lognormvariate(2, 1.5) for _ in range(2000)]


def single(rng: random.Random) -> list[float]:
    return [42.0]


def heavy_tail(rng: random.Random) -> list[float]:
    return [min(60000.0, 20 * rng.paretovariate(1.1)) for _ in range(5000)]


DISTRIBUTIONS: list[Callable[[random.Random], list[float]]] = [
    lognormal,
    uniform,
    integers,
    with_zeros,
    with_negatives,
    all_negative,
    single,
    heavy_tail,
]


@pytest.mark.parametrize("make", DISTRIBUTIONS, ids=lambda make: make.__name__)
def test_quantiles_match_ddsketch_and_exact(make: Callable[[random.Random], list[float]]) -> None:
    values = make(random.Random(7))
    sketch = sketch_of(values)
    oracle = DDSketch(relative_accuracy=ACCURACY)
    for value in values:
        oracle.add(value)
    assert sketch.count == len(values)
    for q in QUANTILES:
        got = sketch.quantile(q)
        assert got is not None
        assert got == pytest.approx(oracle.get_quantile_value(q), rel=1e-9, abs=1e-12), q
        exact = exact_quantile(values, q)
        assert abs(got - exact) <= ACCURACY * abs(exact) * (1 + 1e-9) + 1e-9, (q, got, exact)


def test_add_one_by_one_equals_add_many() -> None:
    values = with_negatives(random.Random(3))
    one_by_one = LatencySketch()
    for value in values:
        one_by_one.add(value)
    assert one_by_one == sketch_of(values)


def test_merge_equals_sketch_of_union() -> None:
    rng = random.Random(11)
    values = lognormal(rng) + with_negatives(rng) + [0.0] * 30
    rng.shuffle(values)
    cut1, cut2 = sorted(rng.sample(range(1, len(values)), 2))
    chunks = [values[:cut1], values[cut1:cut2], values[cut2:]]
    parts = [sketch_of(chunk) for chunk in chunks]
    whole = sketch_of(values)

    by_merge = LatencySketch()
    for part in parts:
        by_merge.merge(part)
    by_blobs = LatencySketch.merged(part.to_bytes() for part in parts)

    for combined in (by_merge, by_blobs):
        assert combined == whole
        assert combined.count == len(values)
        assert combined.to_bytes() == whole.to_bytes()
        for q in QUANTILES:
            assert combined.quantile(q) == whole.quantile(q)
    assert parts[0] == sketch_of(chunks[0])  # merge() left its argument alone


@pytest.mark.parametrize(
    "values",
    [
        [],
        [0.0, 0.0],
        [1e-12, -1e-12],
        [-3.5, 0.0, 7.25, 7.25, 1e6],
        [5.0] * 300,  # counts need 2 bytes
        [5.0] * 70000,  # counts need 4 bytes
        [1e300, 1e-9, -1e300],  # keys need 4 bytes
    ],
    ids=["empty", "zeros", "tiny", "mixed", "count16", "count32", "key32"],
)
def test_round_trip(values: list[float]) -> None:
    sketch = sketch_of(values)
    blob = sketch.to_bytes()
    back = LatencySketch.from_bytes(blob)
    assert back == sketch
    assert back.to_bytes() == blob
    assert back.count == len(values)
    assert [back.quantile(q) for q in QUANTILES] == [sketch.quantile(q) for q in QUANTILES]


def test_blob_is_compact() -> None:
    rng = random.Random(5)
    sketch = sketch_of([rng.lognormvariate(5, 1) for _ in range(500)])
    bins = len(sketch._pos)
    assert len(sketch.to_bytes()) == 15 + 3 * bins


def test_blob_layout_is_the_documented_one() -> None:
    """Stored rollups hold these bytes: a change of layout must be a new version."""
    big = math.ceil(math.log(1e300) / LOG_GAMMA)  # beyond int16: 4-byte keys
    sketch = sketch_of([1.0, 0.0, -1.0, -1.0, 1e300] + [1.02] * 300)  # 300: 2-byte counts
    header = struct.pack("<BBBQHH", 1, 4, 2, 1, 3, 1)
    keys = struct.pack("<4i", 0, 1, big, 0)  # positive keys ascending, then negative ones
    assert sketch.to_bytes() == header + keys + struct.pack("<4H", 1, 300, 1, 2)
    assert sketch_of([]).to_bytes() == struct.pack("<BBBQHH", 1, 2, 1, 0, 0, 0)


def _bad_blobs() -> list[bytes]:
    good = sketch_of(with_negatives(random.Random(2))).to_bytes()
    header = struct.Struct("<BBBQHH")
    bad = [good[:cut] for cut in range(len(good))]  # every truncation, including b""
    bad += [good + b"\x00", b"garbage", b"\xff" * 40, bytes(range(256))]
    bad.append(b"\x02" + good[1:])  # unknown version
    bad.append(good[:1] + b"\x03" + good[2:])  # key width 3
    bad.append(good[:2] + b"\x05" + good[3:])  # count width 5
    bad.append(header.pack(1, 4, 1, 0, 1, 0) + struct.pack("<iB", 10**6, 1))  # key out of range
    bad.append(header.pack(1, 2, 1, 0, 1, 0) + struct.pack("<hB", 100, 0))  # empty bin
    return bad


def test_from_bytes_rejects_garbage() -> None:
    for blob in _bad_blobs():
        with pytest.raises(ValueError, match=r"^corrupt sketch"):
            LatencySketch.from_bytes(blob)
    for not_bytes in (None, "text", 42):
        with pytest.raises(ValueError, match=r"^corrupt sketch"):
            LatencySketch.from_bytes(not_bytes)  # type: ignore[arg-type]


def test_merged_rejects_a_corrupt_blob_among_good_ones() -> None:
    good = sketch_of([1.0, 2.0]).to_bytes()
    with pytest.raises(ValueError, match=r"^corrupt sketch"):
        LatencySketch.merged([good, good[:-1], good])


def test_count_below_against_exact_counts() -> None:
    rng = random.Random(23)
    values = [rng.lognormvariate(7, 1.2) for _ in range(20000)]
    sketch = sketch_of(values)
    n = len(values)
    for bound in (1000.0, 2000.0, 5000.0, 10000.0, 30000.0):
        exact = sum(1 for v in values if v < bound)
        boundary_key = math.ceil(math.log(bound) / LOG_GAMMA)
        in_boundary_bin = sum(
            1 for v in values if math.ceil(math.log(v) / LOG_GAMMA) == boundary_key
        )
        got = sketch.count_below(bound)
        error = abs(got - exact)
        assert error <= in_boundary_bin, bound
        assert error <= 0.01 * n, bound
        by_representative = sum(1 for v in values if representative(v) < bound)
        assert got == by_representative, bound


def test_count_below_with_zeros_and_negatives() -> None:
    sketch = sketch_of([-5.0, 0.0, 0.0, 3.0])
    assert sketch.count_below(-10) == 0
    assert sketch.count_below(0) == 1
    assert sketch.count_below(1) == 3
    assert sketch.count_below(100) == 4


def test_values_below_1e_9_count_as_zero() -> None:
    sketch = sketch_of([-1e-9, 0.99e-9, -0.99e-9, 1e-9])
    assert sketch.quantile(0) == pytest.approx(-1e-9, rel=ACCURACY)
    assert sketch.quantile(0.5) == 0.0
    assert sketch.quantile(1) == pytest.approx(1e-9, rel=ACCURACY)


def test_empty_sketch() -> None:
    for empty in (LatencySketch(), LatencySketch.merged([])):
        assert empty.count == 0
        assert all(empty.quantile(q) is None for q in QUANTILES)
        assert empty.count_below(1000) == 0


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_values_are_refused(bad: float) -> None:
    sketch = LatencySketch()
    with pytest.raises(ValueError, match="non-finite"):
        sketch.add(bad)
    with pytest.raises(ValueError, match="non-finite"):
        sketch.add_many([1.0, 0.0, bad, 2.0])
    assert sketch.count == 2  # what came before the bad value stays


@pytest.mark.parametrize("q", [-0.1, 1.5, math.nan])
def test_quantile_outside_unit_interval(q: float) -> None:
    with pytest.raises(ValueError, match="quantile"):
        sketch_of([1.0]).quantile(q)


def test_counts_below_equals_count_below_for_every_bound() -> None:
    """The window statistics' buckets come from one pass: the same counts as one call each."""
    rng = random.Random(5)
    sketch = LatencySketch()
    sketch.add_many([rng.lognormvariate(6.0, 1.5) for _ in range(2000)])
    sketch.add_many([0.0] * 7 + [-rng.uniform(1, 100) for _ in range(50)])
    bounds = [-50.0, -1.0, 0.0, 1e-12, 1.0, 250.0, 1000.0, 5000.0, 1e6, math.inf]
    assert sketch.counts_below(bounds) == [sketch.count_below(b) for b in bounds]


def test_dense_blobs_merge_to_the_same_sketch_as_compact_ones() -> None:
    """Hourly rollups are stored dense: any mix of layouts merges to the same bins."""
    rng = random.Random(11)
    for _ in range(60):
        parts = []
        for _ in range(rng.randint(1, 5)):
            sketch = LatencySketch()
            n = rng.randint(0, 300)
            sketch.add_many(
                [rng.choice((1, -1)) * rng.lognormvariate(rng.uniform(-3, 9), 2) for _ in range(n)]
            )
            sketch.add_many([0.0] * rng.randint(0, 2) + [70_000.0] * rng.randint(0, 300))
            parts.append(sketch)
        compact = LatencySketch.merged([p.to_bytes() for p in parts])
        mixed = [p.to_dense_bytes() if rng.random() < 0.5 else p.to_bytes() for p in parts]
        assert LatencySketch.merged(mixed) == compact
        assert LatencySketch.merged([p.to_dense_bytes() for p in parts]) == compact


@pytest.mark.parametrize("cut", [1, 5, 20, -1])
def test_a_truncated_dense_blob_is_refused(cut: int) -> None:
    sketch = LatencySketch()
    sketch.add_many([1.0, 2.0, 300.0, -4.0])
    blob = sketch.to_dense_bytes()
    with pytest.raises(ValueError, match="corrupt sketch"):
        LatencySketch.merged([blob[:cut]])


def test_packed_minutes_add_up_to_the_merge_of_their_blobs() -> None:
    """An hour's dense blob packs each of its minutes; any run of them sums to their merge."""
    rng = random.Random(8)
    minutes = []
    for _ in range(60):
        values = [rng.lognormvariate(6.4, 0.8) for _ in range(rng.randint(0, 20))]
        values += [0.0] * rng.randint(0, 2) + [
            -rng.uniform(1, 50) for _ in range(rng.randint(0, 2))
        ]
        minutes.append(sketch_of(values).to_bytes())
    packing = Packing.of_dense(LatencySketch.merged(minutes).to_dense_bytes())
    assert packing is not None
    packed = [packing.pack(blob) for blob in minutes]
    for first, end in ((0, 60), (13, 14), (7, 41), (59, 60)):
        run = [p for p in packed[first:end] if p is not None]
        assert len(run) == end - first
        total = packing.blob(*(sum(column) for column in zip(*run, strict=True)))
        assert LatencySketch.from_bytes(total) == LatencySketch.merged(minutes[first:end])


def test_a_blob_that_does_not_fit_a_packing_is_refused() -> None:
    low = sketch_of([1.0, 2.0]).to_bytes()
    assert Packing.of_dense(low) is None  # a compact blob has no packing
    packing = Packing.of_dense(sketch_of([5.0, 9.0]).to_dense_bytes())
    assert packing is not None
    assert packing.pack(low) is None  # keys below its first
    assert packing.pack(sketch_of([5.0] * 300).to_bytes()) is None  # a count wider than a byte


def test_a_week_of_dense_hours_and_a_minute_look_up_only_the_minutes_bins() -> None:
    """Issue 16's 7-day read: the hours' bins go in at once, then the edge minutes' are added.

    A week of dense hourly sketches holds hundreds of bins; merged with the
    compact sketch of one minute at the window's edge, the merge looks up (in
    Python) the minute's three bins, not every bin of the week.
    """
    rng = random.Random(7)
    hours = []
    for _ in range(168):
        hour = LatencySketch()
        hour.add_many([rng.lognormvariate(6.4, 1.5) for _ in range(200)])
        hours.append(hour.to_dense_bytes())
    minute = sketch_of([5.0, 600.0, 600.0, 90_000.0, -3.0]).to_bytes()
    lookups = 0

    def profile(frame: object, event: str, arg: object) -> None:
        nonlocal lookups
        if event == "c_call" and getattr(arg, "__name__", "") == "get":
            lookups += 1

    sys.setprofile(profile)
    try:
        merged = LatencySketch.merged([*hours, minute])
    finally:
        sys.setprofile(None)
    assert lookups == 4  # the minute's four bins (three positive, one negative)
    assert merged == LatencySketch.merged(
        [*(LatencySketch.from_bytes(h).to_bytes() for h in hours), minute]
    )


def test_a_blob_with_a_key_twice_is_not_packed() -> None:
    """Packing sets each count in its key's lane: a key given twice (never written by
    `to_bytes`) would keep one count, so the blob is refused (read without packing, where
    a merge adds both)."""
    header = struct.pack("<BBBQHH", 1, 2, 1, 0, 2, 0)
    twice = header + struct.pack("<hh", 100, 100) + bytes([3, 4])
    once = header + struct.pack("<hh", 100, 101) + bytes([3, 4])
    packing = Packing(1, 90, 0)
    assert packing.pack(twice) is None
    assert packing.pack(once) == (0, (3 << 80) + (4 << 88), 0)


def test_summary_is_the_quantiles_and_the_counts_below_from_one_sort_of_the_bins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 18: the distribution's window statistics sorted a sketch's bins twice, once for
    the percentiles and once for the buckets; `summary` gives the same figures from one sort."""
    rng = random.Random(6)
    sketch = LatencySketch()
    sketch.add_many([rng.lognormvariate(6.0, 1.5) for _ in range(2000)])
    sketch.add_many([0.0] * 7 + [-rng.uniform(1, 100) for _ in range(50)])
    bounds = [-50.0, 0.0, 1.0, 1000.0, 5000.0, math.inf]
    qs = (0.0, 0.01, 0.5, 0.95, 1.0)
    apart = (sketch.quantiles(qs), sketch.counts_below(bounds))
    sorts = count_sorts(monkeypatch)
    assert sketch.summary(qs, bounds) == apart
    assert len(sorts) == 2  # the positive bins and the negative bins, once each
    assert LatencySketch().summary(qs, bounds) == ([None] * len(qs), [0.0] * len(bounds))

"""Relative error of `LatencySketch` quantiles against the exact sorted percentiles.

Data: 1M latencies, lognormal around 600 ms with a 3 % Pareto tail (alpha 1.3,
capped at 120 s), fixed seed. Measured: the largest relative error of the
sketch's p50/p90/p95/p99 against the exact lower quantile of the sorted values
(rank `q * (n - 1)`, the sketch's own definition). Target: <= 1 %.

The baseline is exact by definition, so the ratio column compares cost instead:
sketch build plus the four quantiles, against sorting plus the four look-ups.
"""

from __future__ import annotations

import random
import time

from _common import Result, Sizes, exact_quantile, latency_ms, ms, ratio

from collectors.sketch import QUANTILES, LatencySketch

TARGET = LatencySketch.RELATIVE_ACCURACY


def run(sizes: Sizes) -> Result:
    rng = random.Random(3)
    values = [latency_ms(rng) for _ in range(sizes.sketch_values)]

    began = time.perf_counter()
    sketch = LatencySketch()
    sketch.add_many(values)
    estimates = {q: sketch.quantile(q) for q in QUANTILES}
    sketch_seconds = time.perf_counter() - began

    began = time.perf_counter()
    ordered = sorted(values)
    exact = {q: exact_quantile(ordered, q) for q in QUANTILES}
    sort_seconds = time.perf_counter() - began

    errors = {}
    for q, value in exact.items():
        estimate = estimates[q]
        if estimate is None:
            raise RuntimeError("the sketch is empty")
        errors[q] = abs(estimate / value - 1)
    worst = max(errors, key=errors.__getitem__)
    detail = " ".join(f"p{round(q * 100)} {e * 100:.3f}" for q, e in errors.items())
    return Result(
        f"sketch rel. error ({sizes.sketch_values // 1000}k values)",
        f"max {errors[worst] * 100:.3f} % at p{round(worst * 100)} ({detail})",
        f"<= {TARGET * 100:.0f} %",
        f"exact sort: 0 %, {ms(sort_seconds)}",
        f"time {ratio(sketch_seconds, sort_seconds)}",
        errors[worst] <= TARGET,
    )

"""The sketches of hourly rollups decoded, kept between reads: a stepped window merges them again.

A window's whole hours come from `rollups_hourly` (`hourly`); a rewound view
stepping a 24-hour window by its slot (15 minutes) reads the same 23 or 24
hours of every series on each step, and decoding their dense blobs was most of
a step's merge. `HourBins` keeps each series-hour's sketch decoded
(`collectors.sketch.DenseBins`) with the blob it was decoded from: a row read
again with the same blob reuses it, any other blob (a late write sealed the
hour again with more values) is decoded anew. The decoded bins are a function
of the blob alone, so the figures are the ones the blob gives; the row's count,
sum, minimum and maximum are always the ones just read.

Memory: at most `_KEEP` series-hours, least recently used dropped first. A
decoded hour of latencies holds a lane of 8 bytes per key between its lowest
and highest (about 150 keys, 1.2 kB) besides the blob it keeps: about 2 kB
(`bench/memory.py --kept` measures 1.8 kB), 16 MB at most. A read of more
hours than half the bound (a 7-day window of 150 series whose days have no
daily rows yet) is passed through undecoded, so it neither pays for keeping
them nor pushes out the hours of shorter windows; with daily rows, a week is
about 23 hours a series (the part-days at its edges) and they are kept.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Final

from collectors.sketch import DenseBins

__all__ = ["HourBins"]

_KEEP: Final = 8192
"""Series-hours kept: 24-hour windows of 150 series, both the live and a rewound one, and more."""

_Row = Sequence[Any]
"""An hourly rollup row: series id, hour, count, sum, min, max, sketch (as the driver reads it)."""


class HourBins:
    """Decoded sketches of hourly rollups, per series and hour, checked against the blob read.

    One per store connection; used from the event loop only.
    """

    def __init__(self, keep: int = _KEEP) -> None:
        self._keep = keep
        self._kept: OrderedDict[tuple[int, int], tuple[bytes, DenseBins]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._kept)

    def decoded(self, rows: Sequence[_Row]) -> Sequence[_Row]:
        """The rows with each dense sketch replaced by its `DenseBins` (kept or decoded now).

        Rows of a compact sketch are left as read; so are all of them when
        there are more than half as many as are kept.

        Raises:
            ValueError: "corrupt sketch ..." if a dense blob is not valid.
        """
        if len(rows) > self._keep // 2:
            return rows
        kept = self._kept
        found: list[_Row] = []
        for row in rows:
            blob = row[6]
            if not isinstance(blob, bytes) or blob[:1] != b"\x02":
                found.append(row)
                continue
            key = (int(row[0]), int(row[1]))
            hit = kept.get(key)
            if hit is not None and hit[0] == blob:
                kept.move_to_end(key)
                bins = hit[1]
            else:
                bins = DenseBins.of(blob)
                kept[key] = (blob, bins)
                kept.move_to_end(key)
            found.append((*row[:6], bins))
        while len(kept) > self._keep:
            kept.popitem(last=False)
        return found

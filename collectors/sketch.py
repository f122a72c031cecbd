"""A mergeable quantile sketch with 1 % relative accuracy, stored per series per minute.

`LatencySketch` follows DDSketch (Masson et al., VLDB 2019) with its logarithmic
mapping: a value `v` with `abs(v) >= 1e-9` lands in bin `ceil(log(abs(v)) / log(gamma))`
of the positive or negative store, where `gamma = (1 + a) / (1 - a)` and `a = 0.01`;
anything closer to zero goes into a zero count. A bin answers with its representative
value `2 * gamma**key / (gamma + 1)`, which is within `a` relative error of every
value in the bin, so `quantile()` is within 1 % of the exact lower quantile (rank
`q * (n - 1)`, the definition `ddsketch` uses), whatever the distribution.

Counts are integers, so merging is exact: the merge of the sketches of some chunks
is equal, bin for bin and byte for byte, to the sketch of all their values. The
store writes one `to_bytes()` blob per series per minute and window queries fold
them with `LatencySketch.merged(blobs)`.

Blob layout, version 1, little-endian: a `<BBBQHH` header holding the version, the
byte width of a key (2 or 4) and of a count (1, 2, 4 or 8), the zero count and the
numbers of positive and of negative bins; then the signed keys of the positive bins
and of the negative bins, each ascending; then their counts in the same order. A
minute of 500 lognormal latencies takes about 190 bins, 3 bytes each.

Dense layout, version 2 (`to_dense_bytes`, the hourly rollups): a `<BBQiIiI`
header holding the version, the byte width of a count, the zero count, the
first positive key and how many keys follow it, the first negative key and how
many follow it; then one count per key of each span, zeros included. `merged`
adds a dense blob as one big integer with a 64-bit lane per key, so its cost
hardly grows with its bins: a week of hourly sketches merges in C, not bin by bin.
A reader keeps dense blobs decoded that way (`DenseBins`) and minutes packed
into integers of a dense blob's own layout (`Packing`) between reads.

One unit over 500 lines: the sketch, its two blob layouts and the integer
forms readers keep of them (`Packing`, `DenseBins`) are one format; apart,
each would have to know the others' byte layouts.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import struct
import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Final

__all__ = ["QUANTILES", "DenseBins", "LatencySketch", "Packing"]

QUANTILES: Final = (0.5, 0.9, 0.95, 0.99)
"""The quantiles window statistics report and rules may ask for."""

_ACCURACY = 0.01
_GAMMA = 1 + 2 * _ACCURACY / (1 - _ACCURACY)
_LOG_GAMMA = math.log1p(2 * _ACCURACY / (1 - _ACCURACY))
_MULTIPLIER = 1 / _LOG_GAMMA
_MIN_VALUE = 1e-9
_MIN_KEY = math.ceil(math.log(_MIN_VALUE) * _MULTIPLIER)
_LOG_MAX = math.log(sys.float_info.max)
_LOG_HALF_SPAN = math.log(2 / (_GAMMA + 1))
_MAX_KEY = math.ceil(_LOG_MAX * _MULTIPLIER)
_HEADER = struct.Struct("<BBBQHH")
_VERSION = 1
_DENSE_HEADER = struct.Struct("<BBQiIiI")
_DENSE_VERSION = 2
_LANE = 64
"""Bits per key in the big integers dense blobs are added as."""
_KEY_CODES = {2: "h", 4: "i"}
_COUNT_CODES = {1: "B", 2: "H", 4: "I", 8: "Q"}
_SWAP = sys.byteorder == "big"


def _value(key: int) -> float:
    """Return the value bin `key` stands for, 2 * gamma**key / (gamma + 1), capped at float max."""
    return math.exp(min(key * _LOG_GAMMA + _LOG_HALF_SPAN, _LOG_MAX))


def _running(bins: dict[int, int]) -> tuple[list[int], list[int]]:
    """The keys in ascending order and the running count of their bins."""
    keys = sorted(bins)
    return keys, list(itertools.accumulate(map(bins.__getitem__, keys)))


@functools.lru_cache(maxsize=256)
def _first_key(bound: float, *, strict: bool) -> int:
    """The lowest key whose representative value is at least `bound` (above it, if `strict`).

    `bound` is positive; beyond every value (infinity) this is past the highest key.
    """
    if bound >= sys.float_info.max if strict else bound > sys.float_info.max:
        return _MAX_KEY + 1
    key = max(
        _MIN_KEY, min(_MAX_KEY + 1, math.ceil((math.log(bound) - _LOG_HALF_SPAN) / _LOG_GAMMA))
    )

    def reached(k: int) -> bool:
        return _value(k) > bound if strict else _value(k) >= bound

    while key > _MIN_KEY and reached(key - 1):
        key -= 1
    while key <= _MAX_KEY and not reached(key):
        key += 1
    return key


class LatencySketch:
    """Counts of values per logarithmic bin, mergeable and serializable.

    Not thread-safe. Non-finite values are refused by `add` and `add_many`.
    """

    RELATIVE_ACCURACY: ClassVar[float] = _ACCURACY

    def __init__(self) -> None:
        self._pos: dict[int, int] = {}
        self._neg: dict[int, int] = {}
        self._zero = 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LatencySketch):
            return NotImplemented
        return (self._zero, self._pos, self._neg) == (other._zero, other._pos, other._neg)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"LatencySketch(count={self.count}, bins={len(self._pos) + len(self._neg)})"

    def add(self, value: float) -> None:
        """Add one value.

        Raises:
            ValueError: if `value` is NaN or infinite.

        """
        self.add_many((value,))

    def add_many(self, values: Iterable[float]) -> None:
        """Add many values; the fast path of ingest.

        Raises:
            ValueError: at the first NaN or infinite value; the values before it stay added.

        """
        pos, neg, pget, nget = self._pos, self._neg, self._pos.get, self._neg.get
        log, ceil, mult, lo = math.log, math.ceil, _MULTIPLIER, _MIN_VALUE
        zero, v = 0, 0.0
        try:
            for v in values:
                if v >= lo:
                    k = ceil(log(v) * mult)
                    pos[k] = pget(k, 0) + 1
                elif v > -lo:
                    zero += 1
                else:  # NaN lands here too and makes ceil() raise
                    k = ceil(log(-v) * mult)
                    neg[k] = nget(k, 0) + 1
        except (OverflowError, ValueError):
            raise ValueError(f"cannot add non-finite value {v!r} to a sketch") from None
        finally:
            self._zero += zero

    def merge(self, other: LatencySketch) -> None:
        """Add every value of `other` to this sketch; `other` is left unchanged."""
        for mine, theirs in ((self._pos, other._pos), (self._neg, other._neg)):
            get = mine.get
            for k, c in theirs.items():
                mine[k] = get(k, 0) + c
        self._zero += other._zero

    @property
    def count(self) -> int:
        """Return how many values were added."""
        return self._zero + sum(self._pos.values()) + sum(self._neg.values())

    def quantile(self, q: float) -> float | None:
        """Return the value at quantile `q` (0 to 1) within 1 % relative error, None when empty.

        Raises:
            ValueError: if `q` is outside [0, 1].

        """
        return self.quantiles((q,))[0]

    def quantiles(self, qs: Sequence[float]) -> list[float | None]:
        """`quantile` of each of `qs`, from one sorted pass over the bins.

        Raises:
            ValueError: if a quantile is outside [0, 1].

        """
        return self.summary(qs, ())[0]

    def count_below(self, bound: float) -> float:
        """Count the values below `bound`, judging each bin by its representative value."""
        below = sum(c for k, c in self._pos.items() if _value(k) < bound)
        below += sum(c for k, c in self._neg.items() if -_value(k) < bound)
        return float(below + (self._zero if bound > 0 else 0))

    def counts_below(self, bounds: Sequence[float]) -> list[float]:
        """`count_below` of each bound, from one sorted pass over the bins."""
        return self.summary((), bounds)[1]

    def summary(
        self, qs: Sequence[float], bounds: Sequence[float]
    ) -> tuple[list[float | None], list[float]]:
        """`quantiles(qs)` and `counts_below(bounds)` together, from one sorted pass over the bins.

        A window's statistics want both (its percentiles and its distribution's
        buckets): the bins are sorted once for them. A bin's representative
        value grows with its key, so each bound is a key to search for, not a
        comparison with every bin.

        Raises:
            ValueError: if a quantile is outside [0, 1].

        """
        for q in qs:
            if not 0 <= q <= 1:
                raise ValueError(f"quantile must be between 0 and 1, got {q!r}")
        neg_keys, neg_run = _running(self._neg)
        pos_keys, pos_run = _running(self._pos)
        neg_count = neg_run[-1] if neg_run else 0
        count = neg_count + self._zero + (pos_run[-1] if pos_run else 0)
        found: list[float | None] = []
        for q in qs:
            if not count:
                found.append(None)
                continue
            rank = q * (count - 1)
            if rank < neg_count:
                # The bin holding the rank counted from the most negative value down.
                at = bisect.bisect_left(neg_run, neg_count - rank)
                found.append(-_value(neg_keys[min(at, len(neg_keys) - 1)]))
            elif rank < neg_count + self._zero:
                found.append(0.0)
            else:
                at = bisect.bisect_right(pos_run, rank - neg_count - self._zero)
                found.append(_value(pos_keys[min(at, len(pos_keys) - 1)]))
        below = []
        for bound in bounds:
            if bound > 0:  # every negative and zero, and the positive bins worth less
                under = bisect.bisect_left(pos_keys, _first_key(bound, strict=False))
                below.append(float(neg_count + self._zero + (pos_run[under - 1] if under else 0)))
            elif bound == 0:
                below.append(float(neg_count))
            else:  # the negative bins worth more than -bound
                above = bisect.bisect_left(neg_keys, _first_key(-bound, strict=True))
                below.append(float(neg_count - (neg_run[above - 1] if above else 0)))
        return found, below

    def to_bytes(self) -> bytes:
        """Serialize to the compact, canonical blob described in the module docstring."""
        pos, neg = self._pos, self._neg
        keys = sorted(pos)
        counts = list(map(pos.__getitem__, keys))
        if neg:
            neg_keys = sorted(neg)
            keys += neg_keys
            counts += map(neg.__getitem__, neg_keys)
        key_width = 2 if max(keys, default=0) < 32768 else 4  # keys >= _MIN_KEY
        most = max(counts, default=0)
        count_width = 1 if most < 256 else 2 if most < 65536 else 4 if most < 2**32 else 8
        key_array = array(_KEY_CODES[key_width], keys)
        count_array = array(_COUNT_CODES[count_width], counts)
        if _SWAP:
            key_array.byteswap()
            count_array.byteswap()
        header = _HEADER.pack(_VERSION, key_width, count_width, self._zero, len(pos), len(neg))
        return header + key_array.tobytes() + count_array.tobytes()

    def to_dense_bytes(self) -> bytes:
        """Serialize to the dense blob (version 2) of the module docstring, quick to merge."""
        spans = []
        for bins in (self._pos, self._neg):
            first = min(bins, default=0)
            size = max(bins, default=-1) - first + 1
            dense = [0] * size
            for key, count in bins.items():
                dense[key - first] = count
            spans.append((first, dense))
        most = max((max(d, default=0) for _, d in spans), default=0)
        width = 1 if most < 256 else 2 if most < 65536 else 4 if most < 2**32 else 8
        (pos_first, pos), (neg_first, neg) = spans
        lanes = array(_COUNT_CODES[width], pos + neg)
        if _SWAP:
            lanes.byteswap()  # little-endian, as `_Lanes.add` reads it
        header = _DENSE_HEADER.pack(
            _DENSE_VERSION, width, self._zero, pos_first, len(pos), neg_first, len(neg)
        )
        return header + lanes.tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> LatencySketch:
        """Read a blob written by `to_bytes`.

        Raises:
            ValueError: "corrupt sketch ..." for anything that is not a valid blob.

        """
        return cls.merged((data,))

    @classmethod
    def merged(cls, blobs: Iterable[bytes | DenseBins]) -> LatencySketch:
        """Build one sketch holding the values of all the serialized sketches in `blobs`.

        Blobs of either layout (version 1 or dense version 2) may be mixed, and
        dense blobs decoded already (`DenseBins`, kept between reads).

        Raises:
            ValueError: "corrupt sketch ..." if any blob is not valid.

        """
        acc = cls()
        dense = (_Lanes(), _Lanes())
        compact: list[tuple[int, array[int], array[int]]] = []
        zero = 0
        for data in blobs:
            if isinstance(data, DenseBins):
                zero += data.add_to(dense)
                continue
            if isinstance(data, bytes) and data[:1] == b"\x02":
                zero += DenseBins.of(data).add_to(dense)
                continue
            zc, npos, keys, counts = _compact(data)
            if 0 in counts:
                raise ValueError("corrupt sketch: empty bin")
            compact.append((npos, keys, counts))
            zero += zc
        # The dense lanes' bins at once (in C), then the compact blobs' added to them: a week
        # of hours and the minutes at its edge look up the minutes' bins, not every bin.
        pos, neg = acc._pos, acc._neg
        pos.update(dense[0].counts())
        neg.update(dense[1].counts())
        pget, nget = pos.get, neg.get
        for npos, keys, counts in compact:
            if len(keys) > npos:
                for k, c in zip(keys[npos:], counts[npos:], strict=True):
                    neg[k] = nget(k, 0) + c
                del keys[npos:]
            for k, c in zip(keys, counts, strict=False):
                pos[k] = pget(k, 0) + c
        acc._zero = zero
        return acc


def _compact(data: bytes) -> tuple[int, int, array[int], array[int]]:
    """A compact blob's zero count, number of positive bins, keys and counts (checked).

    Raises:
        ValueError: "corrupt sketch ..." if `data` is not a valid compact blob.
    """
    size = _HEADER.size
    try:
        version, key_width, count_width, zero, npos, nneg = _HEADER.unpack_from(data)
        keys, counts = array(_KEY_CODES[key_width]), array(_COUNT_CODES[count_width])
        split = size + key_width * (npos + nneg)
        keys.frombytes(data[size:split])
        counts.frombytes(data[split:])
    except (struct.error, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"corrupt sketch: {exc!r}") from None
    if _SWAP:
        keys.byteswap()
        counts.byteswap()
    if version != _VERSION or len(keys) != npos + nneg or len(counts) != npos + nneg:
        raise ValueError("corrupt sketch: bad version or length")
    if key_width == 4 and keys and (min(keys) < _MIN_KEY or max(keys) > _MAX_KEY):
        raise ValueError("corrupt sketch: key out of range")  # int16 keys are all safe
    return int(zero), int(npos), keys, counts


@dataclass(frozen=True, slots=True)
class Packing:
    """Bins packed into big integers: `width` bytes per key, counted from fixed first keys.

    Sketches packed alike add up as plain integers (`sum`, in C, exactly) as
    long as no key's total reaches `2 ** (8 * width)`; `blob` turns such a
    total into a dense blob that `LatencySketch.merged` reads. A dense blob's
    own packing (`of_dense`) fits every sketch merged into it: the hourly
    rollup's fits each minute of its hour, and any sum of them.
    """

    width: int
    """Bytes per key."""
    pos_first: int
    """The key of the lowest lane of the positive bins."""
    neg_first: int
    """The key of the lowest lane of the negative bins."""

    @classmethod
    def of_dense(cls, data: bytes) -> Packing | None:
        """The packing of a dense blob (version 2); None for a compact or corrupt one."""
        if data[:1] != b"\x02" or len(data) < _DENSE_HEADER.size:
            return None
        _, width, _, pos_first, _, neg_first, _ = _DENSE_HEADER.unpack_from(data)
        return cls(width, pos_first, neg_first) if width in _COUNT_CODES else None

    def own(self, data: bytes) -> tuple[int, int, int]:
        """A dense blob's zero count and bins packed in its own packing (`of_dense(data)`).

        Its lanes are packed bins already: no work per bin.
        """
        _, width, zero, _, npos, _, _ = _DENSE_HEADER.unpack_from(data)
        split = _DENSE_HEADER.size + npos * width
        return (
            int(zero),
            int.from_bytes(data[_DENSE_HEADER.size : split], "little"),
            int.from_bytes(data[split:], "little"),
        )

    def pack(self, data: bytes) -> tuple[int, int, int] | None:
        """A blob's zero count, positive and negative bins packed; None where they do not fit.

        They do not fit when a key lies below the first keys or a count needs
        more than `width` bytes.

        Raises:
            ValueError: "corrupt sketch ..." if `data` is not a valid blob.
        """
        if data[:1] == b"\x02":  # minutes are stored compact; a dense one is read as one
            data = LatencySketch.from_bytes(data).to_bytes()
        zero, npos, keys, counts = _compact(data)  # keys ascending, the positive ones first
        if not keys:
            return zero, 0, 0
        if max(counts) >> (8 * self.width):
            return None
        whole = npos == len(keys)  # no negative bins (latencies): no copies
        pos = self._lanes(
            keys if whole else keys[:npos], counts if whole else counts[:npos], self.pos_first
        )
        neg = 0 if whole else self._lanes(keys[npos:], counts[npos:], self.neg_first)
        if pos is None or neg is None:
            return None
        return zero, pos, neg

    def _lanes(self, keys: array[int], counts: array[int], first: int) -> int | None:
        """The counts each in its key's lane from `first` up, as one integer (0 for no keys).

        Each count is set in an array of lanes (not shifted into a growing
        integer, a new integer per bin). None where a key lies below `first`
        or is given twice (a merge would add their counts: the blob is then
        read without packing).
        """
        if not keys:
            return 0
        if min(keys) < first:
            return None
        lanes = array(_COUNT_CODES[self.width], bytes((max(keys) - first + 1) * self.width))
        for key, count in zip(keys, counts, strict=True):
            lanes[key - first] = count
        if sum(lanes) != sum(counts):
            return None
        if _SWAP:
            lanes.byteswap()
        return int.from_bytes(lanes, "little")

    def blob(self, zero: int, pos: int, neg: int) -> bytes:
        """The dense blob of packed bins (a sum of `pack` results that fits the width)."""
        bits = 8 * self.width
        npos, nneg = -(-pos.bit_length() // bits), -(-neg.bit_length() // bits)
        header = _DENSE_HEADER.pack(
            _DENSE_VERSION, self.width, zero, self.pos_first, npos, self.neg_first, nneg
        )
        return (
            header
            + pos.to_bytes(npos * self.width, "little")
            + neg.to_bytes(nneg * self.width, "little")
        )


class _Lanes:
    """Counts per key as one big integer, a 64-bit lane per key from `first` up."""

    def __init__(self) -> None:
        self.total = 0
        self.first: int | None = None

    def add(self, first: int, wide: int) -> None:
        """Add counts in 64-bit lanes (`_widened`) of the keys `first`, `first + 1`, ..."""
        if not wide:
            return
        if self.first is None:
            self.first = first
        elif first < self.first:
            self.total <<= (self.first - first) * _LANE
            self.first = first
        self.total += wide << ((first - self.first) * _LANE)

    def counts(self) -> Iterable[tuple[int, int]]:
        """The keys with a count, and their counts."""
        if self.first is None or not self.total:
            return ()
        wide = array("Q")
        wide.frombytes(self.total.to_bytes(-(-self.total.bit_length() // _LANE) * 8, "little"))
        if _SWAP:
            wide.byteswap()
        keys = range(self.first, self.first + len(wide))
        return zip(itertools.compress(keys, wide), itertools.compress(wide, wide), strict=True)


def _widened(counts: bytes, width: int) -> int:
    """Little-endian counts `width` bytes each as one integer with a 64-bit lane per count."""
    if not counts:
        return 0
    if width == 8:
        wide: bytes | bytearray = counts
    elif width == 1:  # the usual hour: one byte column
        wide = bytearray(len(counts) * 8)
        wide[::8] = counts
    else:  # each count into a 64-bit lane, a byte column at a time (in C)
        wide = bytearray(len(counts) // width * 8)
        for byte in range(width):
            wide[byte::8] = counts[byte::width]
    return int.from_bytes(wide, "little")


@dataclass(frozen=True, slots=True)
class DenseBins:
    """A dense blob decoded: its bins in 64-bit lanes, added to a merge without decoding again.

    What a reader keeps of an hourly rollup between reads (a window stepped a
    slot merges the same hours again).
    """

    zero: int
    pos_first: int
    """The key of the lowest lane of `pos`."""
    pos: int
    """The positive bins' counts, a 64-bit lane per key."""
    neg_first: int
    """The key of the lowest lane of `neg`."""
    neg: int
    """The negative bins' counts, a 64-bit lane per key."""

    @classmethod
    def of(cls, data: bytes) -> DenseBins:
        """Decode a dense blob (version 2).

        Raises:
            ValueError: "corrupt sketch ..." if `data` is not a valid dense blob.
        """
        try:
            version, width, zero, pos_first, npos, neg_first, nneg = _DENSE_HEADER.unpack_from(data)
        except struct.error as exc:
            raise ValueError(f"corrupt sketch: {exc!r}") from None
        start, split = _DENSE_HEADER.size, _DENSE_HEADER.size + npos * width
        if (
            version != _DENSE_VERSION
            or width not in _COUNT_CODES
            or len(data) != split + nneg * width
        ):
            raise ValueError("corrupt sketch: bad version or length")
        for first, size in ((pos_first, npos), (neg_first, nneg)):
            if size and (first < _MIN_KEY or first + size - 1 > _MAX_KEY):
                raise ValueError("corrupt sketch: key out of range")
        pos, neg = _widened(data[start:split], width), _widened(data[split:], width)
        return cls(int(zero), pos_first, pos, neg_first, neg)

    def add_to(self, lanes: tuple[_Lanes, _Lanes]) -> int:
        """Add the bins to the lanes (positive, negative); return the zero count."""
        lanes[0].add(self.pos_first, self.pos)
        lanes[1].add(self.neg_first, self.neg)
        return self.zero

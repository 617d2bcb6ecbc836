"""Deterministic bucketing: GrowthBook's published hashing (FNV-1a 32-bit, versions 1 and 2).

The same (seed, value) always gives the same number in [0, 1), on every device and process,
so a customer keeps a percentage rollout or an experiment variant wherever they log in, and
raising a rollout from 10 % to 20 % keeps the first 10 % in. Version 2 hashes twice, which
spreads sequential ids (user 1, 2, 3 …) evenly. Test vectors: GrowthBook's SDK test cases
(``tests/flags/test_hashing.py``).
"""

from collections.abc import Sequence
from functools import lru_cache

FNV32_OFFSET_BASIS = 0x811C9DC5
FNV32_PRIME = 0x01000193
MASK_32 = 0xFFFFFFFF


def _code_units(text: str):
    """The string as JavaScript's charCodeAt sees it: UTF-16 code units."""
    if text.isascii():
        return map(ord, text)
    data = text.encode("utf-16-le")
    return (data[i] | data[i + 1] << 8 for i in range(0, len(data), 2))


def fnv1a_32(text: str) -> int:
    """FNV-1a, 32 bits, over the string's UTF-16 code units (as GrowthBook's SDKs hash)."""
    value = FNV32_OFFSET_BASIS
    for code in _code_units(text):
        value = ((value ^ code) * FNV32_PRIME) & MASK_32
    return value


@lru_cache(maxsize=1 << 17)
def bucket(*, seed: str, value: str, version: int = 2) -> float | None:
    """A number in [0, 1) for ``value`` under ``seed``; None for an unknown hash version.

    Memoised per process (the same customer checks the same flags on every page): a repeat
    is a dictionary lookup instead of two FNV passes in Python.
    """
    if version == 2:
        return (fnv1a_32(str(fnv1a_32(seed + value))) % 10000) / 10000
    if version == 1:
        return (fnv1a_32(value + seed) % 1000) / 1000
    return None


def bucket_ranges(
    *, variations: int, coverage: float = 1.0, weights: Sequence[float] | None = None
) -> list[tuple[float, float]]:
    """Each variation's [start, end) of the unit interval (GrowthBook's getBucketRanges).

    Coverage (the share of units in the experiment) is clamped to [0, 1]; weights that don't
    match the variations or don't sum to 1 (±0.01) are replaced by equal weights. Each range
    starts where its full weight would, so changing coverage never moves a unit between
    variations.
    """
    coverage = min(max(coverage, 0.0), 1.0)
    equal = [1.0 / variations] * variations
    if weights is None or len(weights) != variations or not 0.99 <= sum(weights) <= 1.01:
        weights = equal
    ranges, start = [], 0.0
    for weight in weights:
        ranges.append((start, start + coverage * weight))
        start += weight
    return ranges


def choose_variation(n: float, ranges: Sequence[tuple[float, float]]) -> int:
    """The index of the range holding ``n``, or -1 when it falls in none (not in the test)."""
    for index, (start, end) in enumerate(ranges):
        if start <= n < end:
            return index
    return -1

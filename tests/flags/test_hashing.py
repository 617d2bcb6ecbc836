"""Bucketing matches GrowthBook's published SDK test cases (cases.json: hash, getBucketRange)."""

import pytest

from flags.hashing import bucket, bucket_ranges, choose_variation, fnv1a_32

# (seed, value, hash version, expected bucket), from GrowthBook's SDK specification cases.
HASH_CASES = [
    ("", "a", 1, 0.22),
    ("", "b", 1, 0.077),
    ("b", "a", 1, 0.946),
    ("ef", "d", 1, 0.652),
    ("asdf", "8952klfjas09ujk", 1, 0.549),
    ("", "123", 1, 0.011),
    ("", '___)((*":&', 1, 0.563),
    ("seed", "a", 2, 0.0505),
    ("seed", "b", 2, 0.2696),
    ("foo", "ab", 2, 0.2575),
    ("foo", "def", 2, 0.2019),
    ("89123klj", "8952klfjas09ujkasdf", 2, 0.124),
    ("90850943850283058242805", "123", 2, 0.7516),
    ("()**(%$##$%#$#", '___)((*":&', 2, 0.0128),
    ("abc", "def", 99, None),
]

# (variations, coverage, weights, expected ranges)
RANGE_CASES = [
    (2, 1, None, [(0, 0.5), (0.5, 1)]),
    (2, 0.5, None, [(0, 0.25), (0.5, 0.75)]),
    (2, 0, None, [(0, 0), (0.5, 0.5)]),
    (4, 1, None, [(0, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1)]),
    (2, 1, [0.4, 0.6], [(0, 0.4), (0.4, 1)]),
    (3, 1, [0.2, 0.3, 0.5], [(0, 0.2), (0.2, 0.5), (0.5, 1)]),
    (3, 0.2, [0.2, 0.3, 0.5], [(0, 0.04), (0.2, 0.26), (0.5, 0.6)]),
    (2, -0.2, None, [(0, 0), (0.5, 0.5)]),
    (2, 1.5, None, [(0, 0.5), (0.5, 1)]),
    (2, 1, [0.4, 0.1], [(0, 0.5), (0.5, 1)]),
    (2, 1, [0.7, 0.6], [(0, 0.5), (0.5, 1)]),
    (4, 1, [0.4, 0.4, 0.2], [(0, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1)]),
    (2, 1, [0.4, 0.5999], [(0, 0.4), (0.4, 0.9999)]),
]


@pytest.mark.parametrize(("seed", "value", "version", "expected"), HASH_CASES)
def test_growthbook_hash_cases(seed, value, version, expected):
    assert bucket(seed=seed, value=value, version=version) == expected


@pytest.mark.parametrize(("variations", "coverage", "weights", "expected"), RANGE_CASES)
def test_growthbook_bucket_range_cases(variations, coverage, weights, expected):
    ranges = bucket_ranges(variations=variations, coverage=coverage, weights=weights)
    flat = [edge for pair in ranges for edge in pair]
    assert flat == pytest.approx([edge for pair in expected for edge in pair])


def test_fnv1a_reference_values():
    # The FNV-1a 32-bit reference values (Fowler/Noll/Vo test suite).
    assert fnv1a_32("") == 0x811C9DC5
    assert fnv1a_32("a") == 0xE40C292C
    assert fnv1a_32("foobar") == 0xBF9CF968


def test_a_unit_keeps_its_variation_when_coverage_grows():
    small = bucket_ranges(variations=2, coverage=0.1)
    large = bucket_ranges(variations=2, coverage=0.2)
    units = [bucket(seed="framing", value=str(user_id)) for user_id in range(5000)]
    for n in units:
        before = choose_variation(n, small)
        if before != -1:
            assert choose_variation(n, large) == before


def test_non_ascii_values_hash_like_javascript_utf16():
    # "省" is one UTF-16 code unit; an emoji is two (a surrogate pair), as charCodeAt sees it.
    assert fnv1a_32("省") == ((0x811C9DC5 ^ 0x7701) * 0x01000193) & 0xFFFFFFFF
    assert bucket(seed="s", value="😀") == bucket(seed="s", value="\U0001f600")

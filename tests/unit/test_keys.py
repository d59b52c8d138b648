"""DynamoDB keys as store bytes: memcmp order of the encodings is DynamoDB's order of the values."""

from __future__ import annotations

import base64
import random
import zlib
from collections import Counter
from decimal import Decimal
from itertools import pairwise

import pytest

from moatdb.services.dynamodb.keys import (
    partition_bytes,
    prefix_upper_bound,
    segment_bounds,
    sort_bytes,
)
from moatdb.services.dynamodb.numbers import normalize

RANDOM = random.Random(20240601)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def random_text() -> str:
    # ASCII, two- and three-byte UTF-8, surrogate-pair territory of UTF-16 (U+E000..U+FFFF sort
    # after U+10000.. in UTF-16 but before them in UTF-8), and astral characters.
    alphabet = "aZ0 ~\x7f\x80é\u07ff\u0800中\ud7ff\ue000\uffef\uffff\U00010000😀\U0010ffff"
    return "".join(RANDOM.choice(alphabet) for _ in range(RANDOM.randint(1, 6)))


def test_strings_sort_by_utf8_bytes():
    values = list({random_text() for _ in range(3000)})
    by_encoding = sorted(values, key=lambda text: sort_bytes({"S": text}))
    assert by_encoding == sorted(values, key=lambda text: text.encode("utf-8"))
    # Where UTF-16 code units disagree with UTF-8 (and with code points), DynamoDB follows UTF-8.
    assert "\uffff".encode("utf-16-be") > "😀".encode("utf-16-be")
    assert sort_bytes({"S": "\uffff"}) < sort_bytes({"S": "😀"})
    assert sort_bytes({"S": "a"}) < sort_bytes({"S": "a\x00"}) < sort_bytes({"S": "ab"})


def test_binary_sorts_by_bytes():
    values = [bytes(RANDOM.randrange(256) for _ in range(RANDOM.randint(1, 5))) for _ in range(2000)]
    values += [b"\x00", b"\x00\x00", b"\x7f", b"\x80", b"\xff"]
    for value in values:
        assert sort_bytes({"B": b64(value)}) == value
    assert sorted(values, key=lambda v: sort_bytes({"B": b64(v)})) == sorted(values)


def random_number() -> str:
    digits = "".join(RANDOM.choice("0123456789") for _ in range(RANDOM.randint(1, 38)))
    point = RANDOM.randint(0, len(digits))
    text = f"{digits[:point]}.{digits[point:]}E{RANDOM.randint(-85, 85)}"
    return ("-" if RANDOM.random() < 0.5 else "") + text


EDGE_NUMBERS = [
    "0", "-0", "1", "-1", "10", "-10", "1.5", "-1.5", "0.01", "-0.01", "0.1", "0.12", "0.121", "-0.12",
    "-0.121", "1E-130", "-1E-130", "9.9999999999999999999999999999999999999E+125",
    "-9.9999999999999999999999999999999999999E+125", "12345678901234567890123456789012345678",
    "99999999999999999999999999999999999999", "100000000000000000000000000000000000000",
]


def test_numbers_sort_numerically():
    # Key values reach keys.py validated, so in canonical spelling.
    values = [normalize(text) for text in EDGE_NUMBERS + [random_number() for _ in range(5000)]]
    by_encoding = sorted(values, key=lambda text: sort_bytes({"N": text}))
    assert [Decimal(v) for v in by_encoding] == sorted(Decimal(v) for v in values)
    for a, b in pairwise(by_encoding):
        assert (sort_bytes({"N": a}) == sort_bytes({"N": b})) == (Decimal(a) == Decimal(b)), (a, b)


def test_partition_bytes():
    key = partition_bytes({"S": "user-1"})
    assert key == partition_bytes({"S": "user-1"})  # stable: no per-process hash seed
    assert key[4:] == b"Suser-1"
    assert key[:4] == zlib.crc32(b"Suser-1").to_bytes(4, "big")
    # The same text as different types is a different partition.
    assert len({partition_bytes({"S": "1"}), partition_bytes({"N": "1"}), partition_bytes({"B": b64(b"1")})}) == 3
    assert partition_bytes({"B": b64(b"\x00\xff")})[4:] == b"B\x00\xff"
    assert partition_bytes({"N": "-1.5"})[4:] == b"N-1.5"


def test_sequential_partitions_spread_evenly():
    segments = Counter(partition_bytes({"S": f"user{i}"})[0] >> 4 for i in range(64_000))
    assert len(segments) == 16 and max(segments.values()) < 4000 * 1.1 and min(segments.values()) > 4000 * 0.9


def contains(bounds: tuple[bytes | None, bytes | None], key: bytes) -> bool:
    start, end = bounds
    return (start is None or key >= start) and (end is None or key < end)


@pytest.mark.parametrize("total", [1, 2, 3, 7, 16, 1000])
def test_segments_cover_the_hash_space_once(total):
    bounds = [segment_bounds(segment, total) for segment in range(total)]
    assert bounds[0][0] is None and bounds[-1][1] is None
    for (_, end), (start, next_end) in pairwise(bounds):
        assert start == end and len(start) == 4 and (next_end is None or start < next_end)
    keys = [partition_bytes({"S": random_text()}) for _ in range(300)]
    keys += [h.to_bytes(4, "big") + b"S" for h in (0, 1, 2**31, 2**32 - 1)]
    for key in keys:
        assert sum(contains(segment, key) for segment in bounds) == 1


@pytest.mark.parametrize("total", [999_999, 1_000_000])  # TotalSegments' maximum
def test_many_segments_are_contiguous(total):
    assert segment_bounds(0, total)[0] is None and segment_bounds(total - 1, total)[1] is None
    for segment in [0, total - 2] + [RANDOM.randrange(total - 1) for _ in range(300)]:
        start, end = segment_bounds(segment, total)
        assert segment_bounds(segment + 1, total)[0] == end and (start is None or start < end)
    for _ in range(300):
        key = partition_bytes({"S": random_text()})
        guess = int.from_bytes(key[:4], "big") * total >> 32
        neighbours = [s for s in (guess - 1, guess, guess + 1) if 0 <= s < total]
        assert sum(contains(segment_bounds(s, total), key) for s in neighbours) == 1


def test_segment_bounds_reject_bad_segments():
    for segment, total in ((1, 1), (-1, 4), (4, 4)):
        with pytest.raises(ValueError):
            segment_bounds(segment, total)


def test_prefix_upper_bound():
    assert prefix_upper_bound(b"ab") == b"ac"
    assert prefix_upper_bound(b"a\xff\xff") == b"b"
    assert prefix_upper_bound(b"\x00") == b"\x01"
    assert prefix_upper_bound(b"\xff\xff") is None
    assert prefix_upper_bound(b"") is None
    samples = [bytes(RANDOM.choice(b"\x00\x01ab\xfe\xff") for _ in range(RANDOM.randint(0, 4))) for _ in range(300)]
    for prefix in samples[:60]:
        if not prefix:
            continue
        bound = prefix_upper_bound(prefix)
        for value in samples:
            in_range = value >= prefix and (bound is None or value < bound)
            assert in_range == value.startswith(prefix), (prefix, value)
    # begins_with on strings is the UTF-8 prefix range.
    prefix = "中".encode()
    assert prefix <= sort_bytes({"S": "中文"}) < prefix_upper_bound(prefix)
    assert not prefix <= sort_bytes({"S": "丮"}) < prefix_upper_bound(prefix)

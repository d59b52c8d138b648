"""DynamoDB's primary keys as the store's byte keys, whose memcmp order is the order DynamoDB wants.

- Partition: ``crc32 (4 bytes, big-endian) | type tag | value bytes``. Rows of a table are stored in
  partition-byte order, so the hash prefix gives a Scan DynamoDB's kind of order (by hash, not by
  key), and a parallel-scan segment is a contiguous range of hash prefixes. CRC-32 is the fastest
  hash in the standard library (C, one call, no object) and spreads sequential keys evenly; it needs
  no secrecy, since a partition is only a place in a b-tree.
- Sort: an order-preserving encoding, so that a key condition is a byte range: S as UTF-8 (DynamoDB
  orders strings by their UTF-8 bytes), B as its bytes, N as ``numbers.sort_key_bytes``.

Both functions take a key attribute value in wire form (``{"S": ...}``, ``{"N": ...}``,
``{"B": <base64>}``), already validated by ``values`` and so canonical: a number has one spelling,
which is what lets a partition use a number's text as it is.
"""

from __future__ import annotations

import binascii
import zlib

from moatdb.services.dynamodb.numbers import sort_key_bytes

_HASH_SPACE = 1 << 32
# crc32(data, crc32(tag)) == crc32(tag + data): the tag is hashed without building a new string.
_S_SEED, _N_SEED, _B_SEED = zlib.crc32(b"S"), zlib.crc32(b"N"), zlib.crc32(b"B")


def partition_bytes(value: dict) -> bytes:
    """The stored partition key: hash prefix, type tag, value bytes."""
    text = value.get("S")
    if text is not None:
        data = text.encode()
        return zlib.crc32(data, _S_SEED).to_bytes(4, "big") + b"S" + data
    text = value.get("N")
    if text is not None:
        data = text.encode()
        return zlib.crc32(data, _N_SEED).to_bytes(4, "big") + b"N" + data
    data = binascii.a2b_base64(value["B"])
    return zlib.crc32(data, _B_SEED).to_bytes(4, "big") + b"B" + data


def sort_bytes(value: dict) -> bytes:
    """The stored sort key: bytes whose memcmp order is DynamoDB's order of the values."""
    text = value.get("S")
    if text is not None:
        return text.encode()
    text = value.get("N")
    if text is not None:
        return sort_key_bytes(text)
    return binascii.a2b_base64(value["B"])


def prefix_upper_bound(prefix: bytes) -> bytes | None:
    """The smallest byte string above every string that starts with ``prefix`` (the exclusive end
    of ``begins_with``'s range), or None when there is none (the prefix is empty or all 0xFF)."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes((stripped[-1] + 1,))


def segment_bounds(segment: int, total: int) -> tuple[bytes | None, bytes | None]:
    """The partition range ``[start, end)`` of a parallel Scan's ``Segment`` of ``TotalSegments``:
    the hash space cut into ``total`` contiguous slices (None: unbounded on that side)."""
    if not 0 <= segment < total:
        raise ValueError(f"segment {segment} is not in [0, {total})")
    # A partition with hash prefix h is >= the 4-byte string h and < h + 1, so 4-byte bounds cut
    # the rows exactly between hash values.
    start = None if segment == 0 else (segment * _HASH_SPACE // total).to_bytes(4, "big")
    end = None if segment == total - 1 else ((segment + 1) * _HASH_SPACE // total).to_bytes(4, "big")
    return start, end

"""The storage keys of secondary index entries (indexes.py, index_reads.py): components that keep
DynamoDB's order when the table's key follows them, and key-condition ranges over them that select
exactly the entries DynamoDB's comparison selects."""

from __future__ import annotations

import base64
import itertools
from decimal import Decimal

import pytest

from moatdb.services.dynamodb import keys
from moatdb.services.dynamodb.catalog import Table
from moatdb.services.dynamodb.expressions.key_condition import KeyCondition
from moatdb.services.dynamodb.index_reads import IndexSource
from moatdb.services.dynamodb.index_schema import indexes_of
from moatdb.services.dynamodb.indexes import component, entry_key, sort_component

# Byte strings that are prefixes of one another and hold the bytes the escaping is about.
RAW = [b"", b"\x00", b"\x00\x00", b"\x00\xff", b"\x01", b"a", b"a\x00", b"a\x00b", b"a\xff", b"ab", b"b", b"\xff",
       b"\xff\x00", b"\xff\xff"]
SUFFIXES = [b"", b"\x00", b"\xff", b"zz", b"\x00\x00\x00"]

VALUES = {
    "S": ["a", "ab", "a\x00", "a\x00b", "b", "\x00", "é", "Z", "aa", "a b", "\U0001f600", "\U0001f600a"],
    "N": ["-10", "-2.5", "0", "0.5", "3", "10", "100", "1000", "-1000", "99.99", "-0.001"],
    "B": [b"\x00", b"\x00\x00", b"\x00\xff", b"\x01", b"\xff", b"\xff\x00", b"a", b"ab", b"a\x00"],
}


def wire(kind: str, value) -> dict:
    return {"B": base64.b64encode(value).decode()} if kind == "B" else {kind: value}


def natural(kind: str, value) -> object:
    """DynamoDB's order: S by UTF-8 bytes, N numerically, B by bytes."""
    return {"S": str.encode, "N": Decimal, "B": bytes}[kind](value)


def test_components_followed_by_anything_keep_the_order_of_their_values():
    for (a, suffix_a), (b, suffix_b) in itertools.product(itertools.product(RAW, SUFFIXES), repeat=2):
        if a != b:
            assert (component(a) + suffix_a < component(b) + suffix_b) == (a < b), (a, b, suffix_a, suffix_b)


def test_entries_of_one_index_key_are_unique_and_ordered_by_the_table_key():
    index = indexes_of(_description("S"), {"byV": 7})[0]
    table_keys = [(keys.partition_bytes({"S": p}), keys.sort_bytes({"S": s}))
                  for p in ("a", "ab", "a\x00") for s in ("", "x", "x\x00")]

    entries = [entry_key(index, {"S": "G"}, {"S": "v"}, partition, sort) for partition, sort in table_keys]

    assert len(set(entries)) == len(entries)
    assert sorted(entries) == [entries[table_keys.index(key)] for key in sorted(table_keys)]


@pytest.mark.parametrize("kind", ["S", "N", "B"])
@pytest.mark.parametrize("operator", ["=", "<", "<=", ">", ">=", "BETWEEN", "begins_with"])
def test_key_condition_ranges_select_exactly_the_matching_entries(kind, operator):
    if operator == "begins_with" and kind == "N":
        return  # begins_with takes no number
    description = _description(kind)
    table = Table.from_description(1, description)
    source = IndexSource(table, indexes_of(description, {"byV": 2})[0])
    values = VALUES[kind]
    # Every value under two table keys whose bytes the escaping touches.
    entries = [(value, entry_key(source.index, {"S": "G"}, wire(kind, value), partition, b"\x00"))
               for value in values for partition in (keys.partition_bytes({"S": "\x00"}),
                                                     keys.partition_bytes({"S": "p"}))]
    for operands in itertools.product(values, repeat=2 if operator == "BETWEEN" else 1):
        if operator == "BETWEEN" and natural(kind, operands[0]) > natural(kind, operands[1]):
            continue
        condition = KeyCondition("g", {"S": "G"}, "v", operator, tuple(wire(kind, o) for o in operands))
        low, high, low_inclusive, high_inclusive = source.sort_bounds(condition)
        selected = {(value, key) for value, key in entries
                    if (low is None or key[1] > low or (low_inclusive and key[1] == low))
                    and (high is None or key[1] < high or (high_inclusive and key[1] == high))}
        expected = {(value, key) for value, key in entries if _matches(kind, operator, value, operands)}
        assert selected == expected, (operator, operands)


def test_an_index_sort_component_is_the_escaped_sort_bytes():
    assert sort_component({"S": "a\x00"}) == b"a\x00\xff\x00\x00"


def _matches(kind: str, operator: str, value, operands) -> bool:
    v, first = natural(kind, value), natural(kind, operands[0])
    if operator == "begins_with":
        return v.startswith(first)  # type: ignore[union-attr]
    if operator == "BETWEEN":
        return first <= v <= natural(kind, operands[1])  # type: ignore[operator]
    return {"=": v == first, "<": v < first, "<=": v <= first, ">": v > first, ">=": v >= first}[operator]  # type: ignore[operator]


def _description(kind: str) -> dict:
    return {
        "TableName": "t", "TableArn": "arn:aws:dynamodb:us-east-1:000000000000:table/t",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "S"},
                                 {"AttributeName": "g", "AttributeType": "S"},
                                 {"AttributeName": "v", "AttributeType": kind}],
        "GlobalSecondaryIndexes": [{"IndexName": "byV", "KeySchema": [
            {"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "v", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"}}],
    }

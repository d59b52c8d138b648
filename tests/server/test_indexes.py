"""Secondary indexes over the wire: CreateTable's index rules, DescribeTable's index descriptions,
UpdateTable's GlobalSecondaryIndexUpdates, index maintenance on every write, and Query and Scan with
IndexName, through boto3 against a real server.

Sources for wording and shapes: dynalite's suite recorded against the live service (validations/
createTable.js, its query/scan/putItem/updateItem/batchWriteItem tests); moto's tests verified against
AWS; the ack-api-quirks catalogue of live AWS responses (table-indexes.md, 2026), cited by finding id
(DDB-TABLE-nnn); AWS answers quoted in localstack#478 and dynamodb-onetable#377.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import Server, aws_cli_env, client_for, free_port
from tests.helpers import (
    ACCOUNT,
    INVALID,
    REGION,
    B,
    N,
    S,
    all_pages,
    allow,
    error,
    invalid,
    new_user,
    policy,
    put_items,
    signed,
)
from tests.server.test_durability import crash

ON_DEMAND = {"BillingMode": "PAY_PER_REQUEST"}
ALL = {"ProjectionType": "ALL"}
KEYS_ONLY = {"ProjectionType": "KEYS_ONLY"}


def include(*names: str) -> dict:
    return {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(names)}


def hash_key(name: str) -> list[dict]:
    return [{"AttributeName": name, "KeyType": "HASH"}]


def keys_of(partition: str, sort: str | None = None) -> list[dict]:
    return hash_key(partition) + ([{"AttributeName": sort, "KeyType": "RANGE"}] if sort else [])


def defined(**types: str) -> list[dict]:
    return [{"AttributeName": name, "AttributeType": kind} for name, kind in types.items()]


def gsi(name: str, partition: str, sort: str | None = None, projection: dict = ALL, **extra) -> dict:
    return {"IndexName": name, "KeySchema": keys_of(partition, sort), "Projection": projection, **extra}


def lsi(name: str, sort: str, projection: dict = ALL) -> dict:
    return {"IndexName": name, "KeySchema": keys_of("pk", sort), "Projection": projection}


def capacity(read: int, write: int) -> dict:
    return {"ReadCapacityUnits": read, "WriteCapacityUnits": write}


def arn_of(table: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"


@pytest.fixture
def make(ddb) -> Iterator[Callable[..., str]]:
    """Creates a table keyed by ``pk`` (S) and ``sk`` (S) (or as ``KeySchema`` says) with the given
    attribute definitions and indexes, on demand unless told otherwise; deleted at the end."""
    created: list[str] = []

    def create(definitions: dict | None = None, **params) -> str:
        name = f"ix-{uuid.uuid4().hex[:12]}"
        params.setdefault("KeySchema", keys_of("pk", "sk"))
        if "ProvisionedThroughput" not in params:
            params.setdefault("BillingMode", "PAY_PER_REQUEST")
        ddb.create_table(TableName=name, AttributeDefinitions=defined(**(definitions or {"pk": "S", "sk": "S"})),
                         **params)
        created.append(name)
        return name

    yield create
    for name in created:
        ddb.delete_table(TableName=name)


def query(ddb, table: str, index: str, condition: str, values: dict, **params) -> list[dict]:
    """Every item a query on an index returns, over all its pages."""
    pages = all_pages(ddb.query, TableName=table, IndexName=index, KeyConditionExpression=condition,
                      ExpressionAttributeValues=values, **params)
    return [item for page in pages for item in page["Items"]]


# --- CreateTable and DescribeTable ---------------------------------------------------------------------


def test_describe_table_shows_each_index_as_dynamodb_does(ddb, make):
    table = make({"pk": "S", "sk": "S", "g": "S", "l": "N"},
                 GlobalSecondaryIndexes=[gsi("byG", "g", "sk", include("zz", "aa"))],
                 LocalSecondaryIndexes=[lsi("byL", "l", KEYS_ONLY)])
    ddb.put_item(TableName=table, Item={"pk": S("p"), "sk": S("s"), "g": S("x"), "l": N("1")})
    ddb.put_item(TableName=table, Item={"pk": S("p"), "sk": S("t")})  # in neither index

    described = ddb.describe_table(TableName=table)["Table"]

    [global_] = described["GlobalSecondaryIndexes"]
    assert global_["IndexName"] == "byG"
    assert global_["KeySchema"] == keys_of("g", "sk")
    # NonKeyAttributes come back sorted by name (DDB-TABLE-125).
    assert global_["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["aa", "zz"]}
    assert global_["IndexStatus"] == "ACTIVE"
    assert "Backfilling" not in global_  # only while an index added by UpdateTable is created (DDB-TABLE-138)
    # An on-demand table's global indexes report zero provisioned capacity (DDB-TABLE-133).
    assert global_["ProvisionedThroughput"] == {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0,
                                                "WriteCapacityUnits": 0}
    assert global_["ItemCount"] == 1 and global_["IndexSizeBytes"] > 0
    assert global_["IndexArn"] == arn_of(table) + "/index/byG"
    [local] = described["LocalSecondaryIndexes"]
    # A local index has neither status nor throughput (DDB-TABLE-133, DDB-TABLE-137).
    assert set(local) == {"IndexName", "KeySchema", "Projection", "IndexSizeBytes", "ItemCount", "IndexArn"}
    assert local["KeySchema"] == keys_of("pk", "l")
    assert local["ItemCount"] == 1
    assert local["IndexArn"] == arn_of(table) + "/index/byL"


def test_create_table_answers_its_global_indexes_creating(ddb):
    name = f"ix-{uuid.uuid4().hex[:12]}"
    reply = ddb.create_table(TableName=name, KeySchema=keys_of("pk"), AttributeDefinitions=defined(pk="S", g="N"),
                             ProvisionedThroughput=capacity(5, 5),
                             GlobalSecondaryIndexes=[gsi("byG", "g", ProvisionedThroughput=capacity(3, 4))])
    try:
        [index] = reply["TableDescription"]["GlobalSecondaryIndexes"]
        assert index["IndexStatus"] == "CREATING"
        assert index["ProvisionedThroughput"] == {"NumberOfDecreasesToday": 0, **capacity(3, 4)}
        assert ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE"
    finally:
        ddb.delete_table(TableName=name)


HASH_AND_G = {"KeySchema": keys_of("pk"), "AttributeDefinitions": defined(pk="S", g="S")}
RANGE_TABLE = {"KeySchema": keys_of("pk", "sk"), "AttributeDefinitions": defined(pk="S", sk="S", l="S")}


@pytest.mark.parametrize(("params", "message"), [
    pytest.param({**HASH_AND_G, "GlobalSecondaryIndexes": [gsi("byX", "x")]},
                 INVALID + "Some index key attributes are not defined in AttributeDefinitions. Keys: [x],"
                 " AttributeDefinitions: [pk, g]", id="undefined-key"),
    # DDB-TABLE-127: checked before the other index rules.
    pytest.param({"KeySchema": keys_of("pk"), "AttributeDefinitions": defined(pk="S", g="S", extra="S"),
                  "GlobalSecondaryIndexes": [gsi("byG", "g", projection={})]},
                 INVALID + "Some AttributeDefinitions are not used. AttributeDefinitions: [pk, g, extra], keys"
                 " used: [pk, g]", id="unused-definition"),
    pytest.param({**HASH_AND_G, "GlobalSecondaryIndexes": []},
                 INVALID + "List of GlobalSecondaryIndexes is empty", id="empty-global-list"),
    pytest.param({**RANGE_TABLE, "LocalSecondaryIndexes": []},
                 INVALID + "List of LocalSecondaryIndexes is empty", id="empty-local-list"),
    pytest.param({**HASH_AND_G, "GlobalSecondaryIndexes": [gsi("byG", "g"), gsi("byG", "g")]},
                 INVALID + "Duplicate index name: byG", id="duplicate-name"),
    pytest.param({**RANGE_TABLE, "LocalSecondaryIndexes": [lsi("same", "l")],
                  "GlobalSecondaryIndexes": [gsi("same", "l")]},
                 INVALID + "Duplicate index name: same", id="duplicate-name-across-kinds"),
    pytest.param({"KeySchema": keys_of("pk"), "AttributeDefinitions": defined(pk="S", l="S"),
                  "LocalSecondaryIndexes": [lsi("byL", "l")]},
                 INVALID + "Table KeySchema does not have a range key, which is required when specifying a"
                 " LocalSecondaryIndex", id="local-without-table-sort-key"),
    pytest.param({**RANGE_TABLE, "LocalSecondaryIndexes": [
        {"IndexName": "byL", "KeySchema": keys_of("l", "sk"), "Projection": ALL}]},
                 INVALID + "Index KeySchema does not have the same leading hash key as table KeySchema for index:"
                 " byL. index hash key: l, table hash key: pk", id="local-other-partition-key"),
    pytest.param({**RANGE_TABLE, "AttributeDefinitions": defined(pk="S", sk="S"), "LocalSecondaryIndexes": [
        {"IndexName": "byL", "KeySchema": keys_of("pk"), "Projection": ALL}]},
                 INVALID + "Index KeySchema does not have a range key for index: byL", id="local-without-sort-key"),
    pytest.param({**HASH_AND_G, "GlobalSecondaryIndexes": [gsi("byG", "g", projection={})]},
                 INVALID + "Unknown ProjectionType: null", id="projection-type-null"),
    pytest.param({**HASH_AND_G, "GlobalSecondaryIndexes": [
        gsi("byG", "g", projection={"ProjectionType": "INCLUDE"})]},
                 INVALID + "ProjectionType is INCLUDE, but NonKeyAttributes is not specified", id="include-no-list"),
    pytest.param({**HASH_AND_G, "GlobalSecondaryIndexes": [
        gsi("byG", "g", projection={"ProjectionType": "KEYS_ONLY", "NonKeyAttributes": ["a"]})]},
                 INVALID + "ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified", id="keys-only-list"),
    pytest.param({**HASH_AND_G, "GlobalSecondaryIndexes": [gsi("byG", "g", projection=include("a", "b", "a"))]},
                 INVALID + "Duplicate element in NonKeyAttributes: a", id="duplicate-non-key"),
    # DDB-TABLE-128.
    pytest.param({**HASH_AND_G, "GlobalSecondaryIndexes": [gsi("byG", "g", ProvisionedThroughput=capacity(1, 1))]},
                 INVALID + "ProvisionedThroughput should not be specified for index: byG when BillingMode is"
                 " PAY_PER_REQUEST", id="on-demand-index-throughput"),
    pytest.param({**HASH_AND_G, "BillingMode": "PROVISIONED", "ProvisionedThroughput": capacity(1, 1),
                  "GlobalSecondaryIndexes": [gsi("byG", "g")]},
                 INVALID + "ProvisionedThroughput is not specified for index: byG", id="provisioned-index-without"),
    # DDB-TABLE-129, DDB-TABLE-169.
    pytest.param({**HASH_AND_G, "GlobalSecondaryIndexes": [gsi(f"g{i:02}", "g") for i in range(21)]},
                 INVALID + "GlobalSecondaryIndex count exceeds the per-table limit of 20", id="21-globals"),
    pytest.param({**RANGE_TABLE, "LocalSecondaryIndexes": [lsi(f"l{i:02}", "l") for i in range(6)]},
                 INVALID + "Number of LocalSecondaryIndexes exceeds per-table limit of 5", id="6-locals"),
    # API Reference, Projection: at most 100 over all indexes, an attribute in two indexes counting twice.
    pytest.param({**HASH_AND_G, "GlobalSecondaryIndexes": [
        gsi(f"byG{i}", "g", projection=include(*(f"a{j}" for j in range(20)))) for i in range(5)] + [
        gsi("byG5", "g", projection=include("one"))]},
                 INVALID + "Number of projected attributes in all indexes exceeds limit of 100", id="101-projected"),
    pytest.param({"KeySchema": keys_of("pk"), "AttributeDefinitions": defined(pk="S", g="S", h="S"),
                  "GlobalSecondaryIndexes": [{"IndexName": "byGH", "KeySchema": hash_key("g") + hash_key("h"),
                                              "Projection": ALL}]},
                 INVALID + "Multi-attribute keys of global secondary indexes are not supported by this moatdb"
                 " version", id="multi-attribute-key"),
])
def test_create_table_refuses_malformed_indexes_with_dynamodbs_wording(ddb, params, message):
    params = {"BillingMode": "PAY_PER_REQUEST", **params}
    name = f"ix-{uuid.uuid4().hex[:12]}"

    assert error(ddb.create_table, TableName=name, **params) == invalid(message)
    assert error(ddb.describe_table, TableName=name)[0] == "ResourceNotFoundException"


def test_twenty_global_and_five_local_indexes_are_accepted(ddb, make):
    table = make({"pk": "S", "sk": "S", "g": "S"},
                 GlobalSecondaryIndexes=[gsi(f"g{i:02}", "g") for i in range(20)],
                 LocalSecondaryIndexes=[lsi(f"l{i:02}", "g") for i in range(5)])

    described = ddb.describe_table(TableName=table)["Table"]
    assert len(described["GlobalSecondaryIndexes"]) == 20 and len(described["LocalSecondaryIndexes"]) == 5


# --- maintenance on every write ------------------------------------------------------------------------


@pytest.fixture
def people(make) -> str:
    """Items keyed by ``pk``/``sk``, with a global index on ``city`` (S) sorted by ``age`` (N)."""
    return make({"pk": "S", "sk": "S", "city": "S", "age": "N"},
                GlobalSecondaryIndexes=[gsi("byCity", "city", "age")])


def test_an_index_is_sparse_and_follows_puts_updates_and_deletes(ddb, people):
    put_items(ddb, people, [
        {"pk": S("ann"), "sk": S("1"), "city": S("Oslo"), "age": N("30")},
        {"pk": S("bob"), "sk": S("1"), "city": S("Oslo")},  # no sort key: not in the index
        {"pk": S("cid"), "sk": S("1"), "age": N("40")},  # no partition key: not in the index
    ])
    in_oslo = lambda: query(ddb, people, "byCity", "city = :c", {":c": S("Oslo")})  # noqa: E731

    assert [item["pk"] for item in in_oslo()] == [S("ann")]
    ddb.update_item(TableName=people, Key={"pk": S("bob"), "sk": S("1")}, UpdateExpression="SET age = :a",
                    ExpressionAttributeValues={":a": N("20")})
    assert [item["pk"] for item in in_oslo()] == [S("bob"), S("ann")]
    # Changing the index key moves the entry: the old one is gone.
    ddb.update_item(TableName=people, Key={"pk": S("ann"), "sk": S("1")}, UpdateExpression="SET city = :c",
                    ExpressionAttributeValues={":c": S("Rome")})
    assert [item["pk"] for item in in_oslo()] == [S("bob")]
    ddb.update_item(TableName=people, Key={"pk": S("bob"), "sk": S("1")}, UpdateExpression="REMOVE age")
    assert in_oslo() == []
    ddb.delete_item(TableName=people, Key={"pk": S("ann"), "sk": S("1")})
    assert query(ddb, people, "byCity", "city = :c", {":c": S("Rome")}) == []
    assert ddb.describe_table(TableName=people)["Table"]["GlobalSecondaryIndexes"][0]["ItemCount"] == 0


def test_items_with_the_same_index_key_are_all_kept_ordered_by_the_table_key(ddb, people):
    items = [{"pk": S(f"p{i % 7}"), "sk": S(f"s{i}"), "city": S("Oslo"), "age": N("33")} for i in range(30)]
    put_items(ddb, people, items)

    found = query(ddb, people, "byCity", "city = :c AND age = :a", {":c": S("Oslo"), ":a": N("33")})

    assert sorted((i["pk"]["S"], i["sk"]["S"]) for i in found) == sorted((i["pk"]["S"], i["sk"]["S"]) for i in items)
    again = query(ddb, people, "byCity", "city = :c AND age = :a", {":c": S("Oslo"), ":a": N("33")})
    assert again == found  # the order of equal index keys is stable
    backwards = query(ddb, people, "byCity", "city = :c", {":c": S("Oslo")}, ScanIndexForward=False)
    assert backwards == found[::-1]


@pytest.mark.parametrize("write", ["put", "update", "batch"])
def test_a_write_whose_index_key_has_the_wrong_type_is_refused(ddb, people, write):
    key = {"pk": S("ann"), "sk": S("1")}
    if write == "put":
        outcome = error(ddb.put_item, TableName=people, Item={**key, "age": S("thirty")})
    elif write == "update":
        outcome = error(ddb.update_item, TableName=people, Key=key, UpdateExpression="SET age = :a",
                        ExpressionAttributeValues={":a": S("thirty")})
    else:
        outcome = error(ddb.batch_write_item, RequestItems={people: [{"PutRequest": {"Item": {**key, "age": S("x")}}}]})

    assert outcome == invalid(INVALID + "Type mismatch for Index Key age Expected: N Actual: S IndexName: byCity")
    assert "Item" not in ddb.get_item(TableName=people, Key=key)


def test_an_index_key_value_over_dynamodbs_key_size_limits_is_refused(ddb, make):
    # AWS's answer as quoted in wellcomecollection/platform#2285 (a GSI partition key of 2175 bytes) and
    # dynalite#35; the limits are the Developer Guide's ("Quotas": 2048 bytes partition, 1024 sort).
    table = make({"pk": "S", "sk": "S", "g": "S", "r": "B"}, GlobalSecondaryIndexes=[gsi("byG", "g", "r")])
    key = {"pk": S("a"), "sk": S("b")}

    assert error(ddb.put_item, TableName=table, Item={**key, "g": S("é" * 1025)}) == invalid(
        INVALID + "Size limit exceeded for Index Key g Actual Size: 2050 bytes Max Size: 2048 bytes IndexName: byG")
    assert error(ddb.put_item, TableName=table, Item={**key, "g": S("x"), "r": B(b"\0" * 1025)}) == invalid(
        INVALID + "Size limit exceeded for Index Key r Actual Size: 1025 bytes Max Size: 1024 bytes IndexName: byG")
    ddb.put_item(TableName=table, Item={**key, "g": S("x" * 2048), "r": B(b"\0" * 1024)})
    assert query(ddb, table, "byG", "g = :g", {":g": S("x" * 2048)})[0]["pk"] == S("a")


def test_a_put_whose_index_key_is_wrong_is_refused_before_its_condition_is_evaluated(ddb, people):
    # The index key is part of the item's validation: a condition that would fail does not turn the
    # ValidationException into a ConditionalCheckFailedException (wording as above).
    outcome = error(ddb.put_item, TableName=people, Item={"pk": S("ann"), "sk": S("1"), "age": S("thirty")},
                    ConditionExpression="attribute_exists(pk)")

    assert outcome == invalid(INVALID + "Type mismatch for Index Key age Expected: N Actual: S IndexName: byCity")


@pytest.mark.parametrize(("value", "kind"), [(S(""), "string"), (B(b""), "binary")])
def test_an_empty_index_key_value_is_refused(ddb, make, value, kind):
    table = make({"pk": "S", "sk": "S", "g": next(iter(value))}, GlobalSecondaryIndexes=[gsi("byG", "g")])

    assert error(ddb.put_item, TableName=table, Item={"pk": S("a"), "sk": S("b"), "g": value}) == invalid(
        "One or more parameter values are not valid. A value specified for a secondary index key is not supported."
        f" The AttributeValue for a key attribute cannot contain an empty {kind} value. IndexName: byG, IndexKey: g")


def test_an_attribute_of_another_type_than_any_index_key_is_refused_even_as_a_list(ddb, people):
    assert error(ddb.put_item, TableName=people, Item={"pk": S("a"), "sk": S("b"), "city": {"L": []}}) == invalid(
        INVALID + "Type mismatch for Index Key city Expected: S Actual: L IndexName: byCity")


def test_deleting_a_table_drops_its_index_entries(ddb):
    name = f"ix-{uuid.uuid4().hex[:12]}"
    params = {"TableName": name, "KeySchema": keys_of("pk"), "AttributeDefinitions": defined(pk="S", g="S"),
              "GlobalSecondaryIndexes": [gsi("byG", "g")], **ON_DEMAND}
    ddb.create_table(**params)
    ddb.put_item(TableName=name, Item={"pk": S("a"), "g": S("x")})
    ddb.delete_table(TableName=name)
    ddb.create_table(**params)
    try:
        assert query(ddb, name, "byG", "g = :g", {":g": S("x")}) == []
        assert ddb.scan(TableName=name, IndexName="byG")["Count"] == 0
    finally:
        ddb.delete_table(TableName=name)


# --- Query on an index ---------------------------------------------------------------------------------

# Values whose UTF-8, numeric or byte order is easy to get wrong, including prefixes of one another and
# values holding the bytes the entry encoding escapes.
SORT_VALUES = {
    "S": ["a", "ab", "a\x00", "a\x00b", "b", "", "\x00", "é", "Z", "aa", "a b", "\U0001f600"],
    "N": ["-10", "-2.5", "0", "0.5", "3", "10", "100", "1e3", "-1e3", "99.99"],
    "B": [b"\x00", b"\x00\x00", b"\x00\xff", b"\x01", b"\xff", b"\xff\x00", b"a", b"ab", b""],
}


def order(kind: str, value) -> object:
    return {"S": lambda v: v.encode(), "N": Decimal, "B": bytes}[kind](value)


def wire(kind: str, value) -> dict:
    return {kind: value}


@pytest.fixture(params=["S", "N", "B"])
def sorted_index(request, make, ddb) -> tuple[str, str, list]:
    """A table with a global index on ``g`` (S) sorted by ``v`` of each type, holding every value of that
    type twice (under two table keys) in one index partition, and a few in another."""
    kind = request.param
    table = make({"pk": "S", "sk": "S", "g": "S", "v": kind}, GlobalSecondaryIndexes=[gsi("byV", "g", "v")])
    values = [v for v in SORT_VALUES[kind] if v not in ("", b"")]
    items = [{"pk": S(f"p{n}"), "sk": S(f"s{i}"), "g": S("G"), "v": wire(kind, v)}
             for i, v in enumerate(values) for n in range(2)]
    items += [{"pk": S(f"o{i}"), "sk": S("s"), "g": S("other"), "v": wire(kind, v)} for i, v in enumerate(values)]
    put_items(ddb, table, items)
    return table, kind, values


def returned(kind: str, item: dict) -> object:
    value = item["v"][kind]
    return order(kind, value)


@pytest.mark.parametrize(("condition", "test"), [
    ("v = :a", lambda v, a, b: v == a),
    ("v < :a", lambda v, a, b: v < a),
    ("v <= :a", lambda v, a, b: v <= a),
    ("v > :a", lambda v, a, b: v > a),
    ("v >= :a", lambda v, a, b: v >= a),
    ("v BETWEEN :a AND :b", lambda v, a, b: a <= v <= b),
])
def test_key_conditions_on_the_index_sort_key_select_exactly_dynamodbs_range(ddb, sorted_index, condition, test):
    table, kind, values = sorted_index
    ordered = sorted(values, key=lambda v: order(kind, v))
    low, high = ordered[2], ordered[-3]
    expected = sorted([order(kind, v) for v in values if test(order(kind, v), order(kind, low), order(kind, high))]
                      * 2)
    names = {":g": S("G"), ":a": wire(kind, low)}
    if ":b" in condition:
        names[":b"] = wire(kind, high)

    for forward in (True, False):
        found = query(ddb, table, "byV", f"g = :g AND {condition}", names, ScanIndexForward=forward, Limit=3)
        assert [returned(kind, item) for item in found] == (expected if forward else expected[::-1])


def test_begins_with_on_an_index_sort_key_matches_prefixes_only(ddb, make):
    table = make({"pk": "S", "sk": "S", "g": "S", "v": "S"}, GlobalSecondaryIndexes=[gsi("byV", "g", "v")])
    values = [v for v in SORT_VALUES["S"] if v]
    put_items(ddb, table, [{"pk": S(f"p{i}"), "sk": S("s"), "g": S("G"), "v": S(v)} for i, v in enumerate(values)])

    for prefix in ("a", "a\x00", "ab", "\x00", "é"):
        found = query(ddb, table, "byV", "g = :g AND begins_with(v, :p)", {":g": S("G"), ":p": S(prefix)})
        assert [item["v"]["S"] for item in found] == sorted((v for v in values if v.startswith(prefix)),
                                                            key=str.encode)


def test_a_query_on_an_index_pages_with_keys_of_the_index_and_the_table(ddb, people):
    put_items(ddb, people, [{"pk": S(f"p{i}"), "sk": S("s"), "city": S("Oslo"), "age": N(str(i % 4))}
                            for i in range(12)])

    page = ddb.query(TableName=people, IndexName="byCity", KeyConditionExpression="city = :c",
                     ExpressionAttributeValues={":c": S("Oslo")}, Limit=5)

    assert page["Count"] == 5
    assert set(page["LastEvaluatedKey"]) == {"city", "age", "pk", "sk"}
    pages = all_pages(ddb.query, TableName=people, IndexName="byCity", KeyConditionExpression="city = :c",
                      ExpressionAttributeValues={":c": S("Oslo")}, Limit=5)
    assert [len(p["Items"]) for p in pages] == [5, 5, 2]
    assert len({(i["pk"]["S"]) for p in pages for i in p["Items"]}) == 12


def test_a_filter_on_an_index_query_may_read_the_table_key_but_not_the_index_key(ddb, people):
    put_items(ddb, people, [{"pk": S(f"p{i}"), "sk": S("s"), "city": S("Oslo"), "age": N(str(i))}
                            for i in range(6)])

    found = query(ddb, people, "byCity", "city = :c", {":c": S("Oslo"), ":p": S("p3")}, FilterExpression="pk = :p")
    assert [item["pk"] for item in found] == [S("p3")]
    # dynalite's query tests (AWS): the key condition's keys may not be filtered.
    assert error(ddb.query, TableName=people, IndexName="byCity", KeyConditionExpression="city = :c",
                 FilterExpression="age > :a", ExpressionAttributeValues={":c": S("Oslo"), ":a": N("1")}) == invalid(
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: age")


def test_a_query_on_an_index_names_the_index_keys_in_its_key_condition(ddb, people):
    assert error(ddb.query, TableName=people, IndexName="byCity", KeyConditionExpression="pk = :p",
                 ExpressionAttributeValues={":p": S("ann")}) == invalid(
        "Query condition missed key schema element: city")
    assert error(ddb.query, TableName=people, IndexName="byCity", KeyConditionExpression="city = :c",
                 ExpressionAttributeValues={":c": N("1")}) == invalid(
        INVALID + "Condition parameter type does not match schema type")


def test_an_unknown_index_is_refused(ddb, people):
    params = {"TableName": people, "IndexName": "nope", "KeyConditionExpression": "city = :c",
              "ExpressionAttributeValues": {":c": S("Oslo")}}

    # dynalite's query and scan tests, recorded against AWS.
    assert error(ddb.query, **params) == invalid("The table does not have the specified index: nope")
    assert error(ddb.scan, TableName=people, IndexName="nope") == invalid(
        "The table does not have the specified index: nope")


def test_a_consistent_read_of_a_global_index_is_refused_and_of_a_local_one_allowed(ddb, make):
    table = make({"pk": "S", "sk": "S", "g": "S"}, GlobalSecondaryIndexes=[gsi("byG", "g")],
                 LocalSecondaryIndexes=[lsi("byL", "g")])
    ddb.put_item(TableName=table, Item={"pk": S("a"), "sk": S("b"), "g": S("x")})

    assert error(ddb.query, TableName=table, IndexName="byG", KeyConditionExpression="g = :g",
                 ExpressionAttributeValues={":g": S("x")}, ConsistentRead=True) == invalid(
        "Consistent reads are not supported on global secondary indexes")
    assert error(ddb.scan, TableName=table, IndexName="byG", ConsistentRead=True) == invalid(
        "Consistent reads are not supported on global secondary indexes")
    assert ddb.query(TableName=table, IndexName="byL", KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": S("a")}, ConsistentRead=True)["Count"] == 1


# --- what an index returns: projections and Select ------------------------------------------------------


@pytest.fixture
def projected(ddb, make) -> str:
    """One item, with a KEYS_ONLY and an INCLUDE global index and a KEYS_ONLY and an ALL local index."""
    table = make({"pk": "S", "sk": "S", "g": "S", "l": "S"},
                 GlobalSecondaryIndexes=[gsi("gKeys", "g", projection=KEYS_ONLY),
                                         gsi("gSome", "g", projection=include("a"))],
                 LocalSecondaryIndexes=[lsi("lKeys", "l", KEYS_ONLY), lsi("lAll", "l", ALL)])
    ddb.put_item(TableName=table, Item={"pk": S("p"), "sk": S("s"), "g": S("G"), "l": S("L"), "a": S("A"),
                                        "b": S("B")})
    return table


def read(ddb, table: str, index: str, **params) -> dict:
    condition = ("g = :k", {":k": S("G")}) if index.startswith("g") else ("pk = :k", {":k": S("p")})
    params.setdefault("ExpressionAttributeValues", {}).update(condition[1])
    return ddb.query(TableName=table, IndexName=index, KeyConditionExpression=condition[0], **params)


def test_an_index_returns_what_it_projects_by_default(ddb, projected):
    keys = {"pk": S("p"), "sk": S("s")}

    assert read(ddb, projected, "gKeys")["Items"] == [{**keys, "g": S("G")}]
    assert read(ddb, projected, "gSome")["Items"] == [{**keys, "g": S("G"), "a": S("A")}]
    assert read(ddb, projected, "lKeys", Select="ALL_PROJECTED_ATTRIBUTES")["Items"] == [{**keys, "l": S("L")}]
    assert read(ddb, projected, "lAll")["Items"][0]["b"] == S("B")
    assert ddb.scan(TableName=projected, IndexName="gSome")["Items"] == [{**keys, "g": S("G"), "a": S("A")}]


def test_a_global_index_refuses_to_return_what_it_does_not_project(ddb, projected):
    # moto's tests verified against AWS.
    assert error(read, ddb, projected, "gSome", Select="ALL_ATTRIBUTES") == invalid(
        INVALID + "Select type ALL_ATTRIBUTES is not supported for global secondary index gSome because its"
        " projection type is not ALL")
    assert error(ddb.scan, TableName=projected, IndexName="gKeys", Select="ALL_ATTRIBUTES") == invalid(
        INVALID + "Select type ALL_ATTRIBUTES is not supported for global secondary index gKeys because its"
        " projection type is not ALL")
    # AWS's answer quoted in localstack#478.
    assert error(read, ddb, projected, "gSome", ProjectionExpression="a, b") == invalid(
        INVALID + "Global secondary index gSome does not project [b]")
    # AWS's answer quoted in dynamodb-onetable#377.
    assert error(read, ddb, projected, "gKeys", FilterExpression="b = :b",
                 ExpressionAttributeValues={":b": S("B")}) == invalid(
        INVALID + "Secondary index gKeys does not project one or more filter attributes: [b]")
    assert read(ddb, projected, "gSome", ProjectionExpression="a, pk")["Items"] == [{"a": S("A"), "pk": S("p")}]


def test_a_local_index_fetches_what_it_does_not_project_from_the_table(ddb, projected):
    whole = ddb.get_item(TableName=projected, Key={"pk": S("p"), "sk": S("s")})["Item"]

    assert read(ddb, projected, "lKeys", Select="ALL_ATTRIBUTES")["Items"] == [whole]
    assert read(ddb, projected, "lKeys", ProjectionExpression="b, l")["Items"] == [{"b": S("B"), "l": S("L")}]
    # A filter on an attribute it does not hold reads the table, but the index's projection is returned.
    found = read(ddb, projected, "lKeys", FilterExpression="b = :b", ExpressionAttributeValues={":b": S("B")})
    assert found["Items"] == [{"pk": S("p"), "sk": S("s"), "l": S("L")}]
    assert read(ddb, projected, "lKeys", FilterExpression="b = :b",
                ExpressionAttributeValues={":b": S("other")})["Count"] == 0


def test_select_count_and_all_projected_attributes_on_an_index(ddb, projected):
    counted = read(ddb, projected, "gKeys", Select="COUNT")
    assert counted["Count"] == 1 and "Items" not in counted
    assert read(ddb, projected, "gSome", Select="ALL_PROJECTED_ATTRIBUTES")["Items"][0]["a"] == S("A")
    # moto's tests verified against AWS: a table has no projected attributes of its own.
    assert error(ddb.scan, TableName=projected, Select="ALL_PROJECTED_ATTRIBUTES") == invalid(
        "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")


# --- Scan on an index ----------------------------------------------------------------------------------


def test_a_scan_of_an_index_reads_its_entries_in_pages_and_in_parallel_segments(ddb, people):
    items = [{"pk": S(f"p{i}"), "sk": S("s"), "city": S(f"c{i % 9}"), "age": N(str(i))} for i in range(40)]
    put_items(ddb, people, items + [{"pk": S("nocity"), "sk": S("s")}])

    pages = all_pages(ddb.scan, TableName=people, IndexName="byCity", Limit=7)
    scanned = [item for page in pages for item in page["Items"]]
    assert sorted(i["pk"]["S"] for i in scanned) == sorted(i["pk"]["S"] for i in items)
    assert all(set(p["LastEvaluatedKey"]) == {"city", "age", "pk", "sk"} for p in pages[:-1])
    segments = [item for segment in range(3) for page in all_pages(
        ddb.scan, TableName=people, IndexName="byCity", Segment=segment, TotalSegments=3, Limit=4)
        for item in page["Items"]]
    assert sorted(i["pk"]["S"] for i in segments) == sorted(i["pk"]["S"] for i in items)


# --- UpdateTable: GlobalSecondaryIndexUpdates ------------------------------------------------------------


def test_an_index_created_by_update_table_is_backfilled(ddb, make):
    table = make()
    put_items(ddb, table, [
        {"pk": S("a"), "sk": S("1"), "tag": S("red")},
        {"pk": S("b"), "sk": S("1"), "tag": S("red")},
        {"pk": S("c"), "sk": S("1"), "tag": N("7")},  # of another type: left out of the index
        {"pk": S("d"), "sk": S("1")},
    ])

    reply = ddb.update_table(TableName=table, AttributeDefinitions=defined(tag="S"),
                             GlobalSecondaryIndexUpdates=[{"Create": gsi("byTag", "tag")}])["TableDescription"]

    # DDB-TABLE-148, DDB-TABLE-165: the reply shows the new index CREATING, not yet backfilling.
    assert reply["TableStatus"] == "UPDATING"
    [index] = reply["GlobalSecondaryIndexes"]
    assert (index["IndexStatus"], index["Backfilling"]) == ("CREATING", False)
    assert {"AttributeName": "tag", "AttributeType": "S"} in reply["AttributeDefinitions"]
    described = ddb.describe_table(TableName=table)["Table"]
    assert described["TableStatus"] == "ACTIVE"
    assert described["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE"
    assert described["GlobalSecondaryIndexes"][0]["ItemCount"] == 2
    assert sorted(i["pk"]["S"] for i in query(ddb, table, "byTag", "tag = :t", {":t": S("red")})) == ["a", "b"]
    # From now on the index's key types hold for every write.
    assert error(ddb.put_item, TableName=table, Item={"pk": S("e"), "sk": S("1"), "tag": N("1")}) == invalid(
        INVALID + "Type mismatch for Index Key tag Expected: S Actual: N IndexName: byTag")


def test_a_backfill_enters_every_item_of_a_large_table(ddb, make):
    table = make()
    # More items than the backfill copies per batch (indexes.py), so it resumes across batches.
    put_items(ddb, table, [{"pk": S(f"p{i:04}"), "sk": S("s"), "tag": S(f"t{i % 2}")} for i in range(2100)])

    ddb.update_table(TableName=table, AttributeDefinitions=defined(tag="S"),
                     GlobalSecondaryIndexUpdates=[{"Create": gsi("byTag", "tag", projection=KEYS_ONLY)}])

    assert ddb.describe_table(TableName=table)["Table"]["GlobalSecondaryIndexes"][0]["ItemCount"] == 2100
    odd = query(ddb, table, "byTag", "tag = :t", {":t": S("t1")})
    assert sorted(i["pk"]["S"] for i in odd) == [f"p{i:04}" for i in range(1, 2100, 2)]


def test_an_index_deleted_by_update_table_is_answered_deleting_then_gone(ddb, make):
    table = make({"pk": "S", "sk": "S", "g": "S", "h": "S"},
                 GlobalSecondaryIndexes=[gsi("byG", "g"), gsi("byH", "h")])
    ddb.put_item(TableName=table, Item={"pk": S("a"), "sk": S("1"), "g": S("x")})

    reply = ddb.update_table(TableName=table, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "byG"}}])

    statuses = {i["IndexName"]: i["IndexStatus"] for i in reply["TableDescription"]["GlobalSecondaryIndexes"]}
    assert statuses == {"byH": "ACTIVE", "byG": "DELETING"}
    described = ddb.describe_table(TableName=table)["Table"]
    assert [i["IndexName"] for i in described["GlobalSecondaryIndexes"]] == ["byH"]
    # The attribute only the deleted index used leaves AttributeDefinitions (DDB-TABLE-151).
    assert sorted(d["AttributeName"] for d in described["AttributeDefinitions"]) == ["h", "pk", "sk"]
    assert error(ddb.scan, TableName=table, IndexName="byG") == invalid(
        "The table does not have the specified index: byG")
    # Its key attribute is an ordinary attribute again.
    ddb.put_item(TableName=table, Item={"pk": S("b"), "sk": S("1"), "g": N("1")})


def test_an_index_deleted_and_created_again_starts_empty(ddb, make):
    table = make({"pk": "S", "sk": "S", "g": "S"}, GlobalSecondaryIndexes=[gsi("byG", "g")])
    ddb.put_item(TableName=table, Item={"pk": S("a"), "sk": S("1"), "g": S("x")})
    ddb.update_table(TableName=table, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "byG"}}])
    ddb.delete_item(TableName=table, Key={"pk": S("a"), "sk": S("1")})

    ddb.update_table(TableName=table, AttributeDefinitions=defined(g="S"),
                     GlobalSecondaryIndexUpdates=[{"Create": gsi("byG", "g")}])

    assert query(ddb, table, "byG", "g = :g", {":g": S("x")}) == []


def test_update_table_changes_an_index_throughput_and_answers_the_old_figures(ddb, make):
    table = make({"pk": "S", "sk": "S", "g": "S"}, ProvisionedThroughput=capacity(1, 1),
                 GlobalSecondaryIndexes=[gsi("byG", "g", ProvisionedThroughput=capacity(2, 2))])
    update = {"Update": {"IndexName": "byG", "ProvisionedThroughput": capacity(3, 2)}}

    reply = ddb.update_table(TableName=table, GlobalSecondaryIndexUpdates=[update])["TableDescription"]

    # DDB-TABLE-165: IndexStatus UPDATING with the old figures, the table ACTIVE.
    assert reply["TableStatus"] == "ACTIVE"
    [index] = reply["GlobalSecondaryIndexes"]
    assert index["IndexStatus"] == "UPDATING"
    assert (index["ProvisionedThroughput"]["ReadCapacityUnits"], index["ProvisionedThroughput"]["WriteCapacityUnits"]) \
        == (2, 2)
    described = ddb.describe_table(TableName=table)["Table"]["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]
    assert (described["ReadCapacityUnits"], described["WriteCapacityUnits"]) == (3, 2)
    assert "LastIncreaseDateTime" in described
    # DDB-TABLE-164: the same figures again change nothing.
    code, message, status = error(ddb.update_table, TableName=table, GlobalSecondaryIndexUpdates=[update])
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("The provisioned throughput for the index byG will not change. The requested value"
                              " equals the current value. Current ReadCapacityUnits provisioned for index byG: 3.")


def test_on_demand_indexes_take_no_throughput_and_a_switch_to_provisioned_needs_theirs(ddb, make):
    table = make({"pk": "S", "sk": "S", "g": "S"}, GlobalSecondaryIndexes=[gsi("byG", "g")])
    update = {"Update": {"IndexName": "byG", "ProvisionedThroughput": capacity(1, 1)}}

    # DDB-TABLE-152.
    assert error(ddb.update_table, TableName=table, GlobalSecondaryIndexUpdates=[update]) == invalid(
        INVALID + "The only Updates for index: byG when TableThroughputMode is PAY_PER_REQUEST can be to"
        " OnDemandThroughput, WarmThroughput")
    assert error(ddb.update_table, TableName=table, BillingMode="PROVISIONED",
                 ProvisionedThroughput=capacity(5, 5)) == invalid(
        INVALID + "ProvisionedThroughput must be specified for index: byG")
    ddb.update_table(TableName=table, BillingMode="PROVISIONED", ProvisionedThroughput=capacity(5, 5),
                     GlobalSecondaryIndexUpdates=[update])
    index = ddb.describe_table(TableName=table)["Table"]["GlobalSecondaryIndexes"][0]
    assert (index["ProvisionedThroughput"]["ReadCapacityUnits"], index["ProvisionedThroughput"]["WriteCapacityUnits"]) \
        == (1, 1)
    ddb.update_table(TableName=table, BillingMode="PAY_PER_REQUEST")
    index = ddb.describe_table(TableName=table)["Table"]["GlobalSecondaryIndexes"][0]
    assert (index["ProvisionedThroughput"]["ReadCapacityUnits"], index["ProvisionedThroughput"]["WriteCapacityUnits"]) \
        == (0, 0)


CREATE_T = {"Create": gsi("byT", "t")}


@pytest.mark.parametrize(("params", "expected"), [
    # DDB-TABLE-160.
    pytest.param({"GlobalSecondaryIndexUpdates": [{}]}, invalid(
        INVALID + "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create,"
        " GlobalSecondaryIndexUpdate.Delete must not be null"), id="empty-update"),
    pytest.param({"GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "byG"}, "Update": {"IndexName": "byG"}}]},
                 invalid(INVALID + "Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate"
                         " object"), id="two-actions"),
    pytest.param({"GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "byG"}}, {"Update": {"IndexName": "byG"}}]},
                 invalid(INVALID + "Only one global secondary index update per index is allowed simultaneously."
                         " Index: byG"), id="same-index-twice"),
    pytest.param({"DeletionProtectionEnabled": True, "GlobalSecondaryIndexUpdates": []},
                 invalid(INVALID + "List of GlobalSecondaryIndexUpdates is empty"), id="empty-list"),
    # DDB-TABLE-159.
    pytest.param({"AttributeDefinitions": defined(t="S"),
                  "GlobalSecondaryIndexUpdates": [CREATE_T, {"Delete": {"IndexName": "byG"}}]},
                 ("LimitExceededException", "Subscriber limit exceeded: Only 1 online index can be created or deleted"
                  " simultaneously per table", 400), id="create-and-delete"),
    # DDB-TABLE-174.
    pytest.param({"AttributeDefinitions": defined(t="S"), "GlobalSecondaryIndexUpdates": [CREATE_T],
                  "DeletionProtectionEnabled": True},
                 invalid(INVALID + "DeletionProtection modification must be the only operation in the request"),
                 id="create-with-deletion-protection"),
    # DDB-TABLE-162.
    pytest.param({"GlobalSecondaryIndexUpdates": [CREATE_T]},
                 invalid(INVALID + "AttributeDefinitions is not specified for index: byT"), id="undefined-key"),
    pytest.param({"AttributeDefinitions": defined(g="S"), "GlobalSecondaryIndexUpdates": [{"Create": gsi("byG", "g")}]},
                 invalid("Attempting to create an index which already exists"), id="create-existing"),
    pytest.param({"AttributeDefinitions": defined(l="S"), "GlobalSecondaryIndexUpdates": [{"Create": gsi("byL", "l")}]},
                 invalid("Attempting to create an index which already exists"), id="create-existing-local"),
    # DDB-TABLE-137.
    pytest.param({"GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "byL"}}]},
                 invalid("Cannot delete an index that is not a GlobalSecondaryIndex: byL"), id="delete-local"),
    pytest.param({"GlobalSecondaryIndexUpdates": [{"Update": {"IndexName": "byL"}}]},
                 invalid("Cannot update an index that is not a GlobalSecondaryIndex: byL"), id="update-local"),
    pytest.param({"AttributeDefinitions": defined(t="S"), "GlobalSecondaryIndexUpdates": [
        {"Create": gsi("byT", "t", projection={"ProjectionType": "INCLUDE"})}]},
                 invalid(INVALID + "ProjectionType is INCLUDE, but NonKeyAttributes is not specified"),
                 id="create-bad-projection"),
    pytest.param({"AttributeDefinitions": defined(t="S"), "GlobalSecondaryIndexUpdates": [
        {"Create": gsi("byT", "t", ProvisionedThroughput=capacity(1, 1))}]},
                 invalid(INVALID + "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: byT"
                         " when BillingMode is PAY_PER_REQUEST"), id="create-on-demand-with-throughput"),
])
def test_update_table_refuses_malformed_index_updates(ddb, make, params, expected):
    table = make({"pk": "S", "sk": "S", "g": "S", "l": "S"}, GlobalSecondaryIndexes=[gsi("byG", "g")],
                 LocalSecondaryIndexes=[lsi("byL", "l")])
    before = ddb.describe_table(TableName=table)["Table"]

    assert error(ddb.update_table, TableName=table, **params) == expected
    after = ddb.describe_table(TableName=table)["Table"]
    assert after["GlobalSecondaryIndexes"] == before["GlobalSecondaryIndexes"]
    assert after["DeletionProtectionEnabled"] is False


def test_update_table_of_an_unknown_index_is_not_found(ddb, make):
    table = make()

    # DDB-TABLE-375, DDB-TABLE-380.
    assert error(ddb.update_table, TableName=table, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "ghost"}}]) \
        == ("ResourceNotFoundException", f"Requested resource not found: Index ghost for table {table}", 400)


def test_update_table_refuses_a_twenty_first_global_index(ddb, make):
    table = make({"pk": "S", "sk": "S", "g": "S"}, GlobalSecondaryIndexes=[gsi(f"g{i:02}", "g") for i in range(20)])

    # DDB-TABLE-169: ValidationException at CreateTable, LimitExceededException through UpdateTable.
    assert error(ddb.update_table, TableName=table, AttributeDefinitions=defined(t="S"),
                 GlobalSecondaryIndexUpdates=[CREATE_T]) == (
        "LimitExceededException", "Subscriber limit exceeded: Number of global secondary indexes exceeds per-table"
        " limit of 20", 400)


def test_an_empty_index_update_list_alone_asks_for_nothing(ddb, make):
    table = make()

    # DDB-TABLE-359.
    code, message, _ = error(ddb.update_table, TableName=table, GlobalSecondaryIndexUpdates=[])
    assert code == "ValidationException" and message.startswith("At least one of ProvisionedThroughput")


# --- authorization ---------------------------------------------------------------------------------------


def test_a_query_on_an_index_is_authorized_on_the_index_arn(server, ddb, people):
    # Service Authorization Reference: Query and Scan act on the "index" resource type
    # (arn:...:table/T/index/I) when IndexName is given; the table's ARN does not cover its indexes.
    ddb.put_item(TableName=people, Item={"pk": S("a"), "sk": S("1"), "city": S("Oslo"), "age": N("1")})
    index_only = new_user(server, policy(allow("dynamodb:Query", arn_of(people) + "/index/*")))
    table_only = new_user(server, policy(allow("dynamodb:Query", arn_of(people))))
    on_index = {"TableName": people, "IndexName": "byCity", "KeyConditionExpression": "city = :c",
                "ExpressionAttributeValues": {":c": S("Oslo")}}
    on_table = {"TableName": people, "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": S("a")}}

    reader = client_for(server.endpoint, credentials=index_only.credentials)
    assert reader.query(**on_index)["Count"] == 1
    assert error(reader.query, **on_table) == (
        "AccessDeniedException", f"User: {index_only.arn} is not authorized to perform: dynamodb:Query on resource:"
        f" {arn_of(people)} because no identity-based policy allows the dynamodb:Query action", 400)
    reader = client_for(server.endpoint, credentials=table_only.credentials)
    assert reader.query(**on_table)["Count"] == 1
    assert error(reader.query, **on_index) == (
        "AccessDeniedException", f"User: {table_only.arn} is not authorized to perform: dynamodb:Query on resource:"
        f" {arn_of(people)}/index/byCity because no identity-based policy allows the dynamodb:Query action", 400)


def test_binary_index_keys_round_trip(ddb, make):
    table = make({"pk": "S", "sk": "S", "g": "B"}, GlobalSecondaryIndexes=[gsi("byG", "g")])
    ddb.put_item(TableName=table, Item={"pk": S("a"), "sk": S("1"), "g": B(b"\x00\xff")})

    [item] = query(ddb, table, "byG", "g = :g", {":g": B(b"\x00\xff")})

    assert item["g"] == B(b"\x00\xff")


def test_on_a_provisioned_table_a_new_index_needs_its_throughput(ddb, make):
    table = make({"pk": "S", "sk": "S"}, ProvisionedThroughput=capacity(1, 1))
    create = gsi("byT", "t")

    # DDB-TABLE-152.
    assert error(ddb.update_table, TableName=table, AttributeDefinitions=defined(t="N"),
                 GlobalSecondaryIndexUpdates=[{"Create": create}]) == invalid(
        INVALID + "Both ReadCapacityUnits and WriteCapacityUnits must be specified for index: byT")
    ddb.update_table(TableName=table, AttributeDefinitions=defined(t="N"),
                     GlobalSecondaryIndexUpdates=[{"Create": {**create, "ProvisionedThroughput": capacity(4, 5)}}])
    [index] = ddb.describe_table(TableName=table)["Table"]["GlobalSecondaryIndexes"]
    assert index["ProvisionedThroughput"] == {"NumberOfDecreasesToday": 0, **capacity(4, 5)}
    # DDB-TABLE-174: not beside a change of the table's own throughput.
    assert error(ddb.update_table, TableName=table, ProvisionedThroughput=capacity(2, 2),
                 GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "byT"}}]) == invalid(
        INVALID + "You cannot create or delete index while updating table IOPS")


def test_an_index_start_key_needs_the_keys_of_the_index_and_of_the_table(ddb, people):
    put_items(ddb, people, [{"pk": S(f"p{i}"), "sk": S("s"), "city": S("Oslo"), "age": N("5")} for i in range(4)])
    params = {"TableName": people, "IndexName": "byCity", "KeyConditionExpression": "city = :c",
              "ExpressionAttributeValues": {":c": S("Oslo")}}
    first = ddb.query(**params, Limit=2)

    rest = ddb.query(**params, ExclusiveStartKey=first["LastEvaluatedKey"])
    assert [i["pk"] for i in first["Items"] + rest["Items"]] == [i["pk"] for i in ddb.query(**params)["Items"]]
    # dynalite's query tests (AWS): a start key without the table's keys is no key of the index.
    assert error(ddb.query, **params, ExclusiveStartKey={"city": S("Oslo"), "age": N("5")}) == invalid(
        "The provided starting key is invalid")
    assert error(ddb.query, **params, ExclusiveStartKey={**first["LastEvaluatedKey"], "city": S("Rome")}) == invalid(
        "The provided starting key is outside query boundaries based on provided conditions")


def test_the_aws_cli_creates_and_queries_indexes_as_docs_indexes_md_shows(server, ddb):
    table = f"games-{uuid.uuid4().hex[:8]}"
    cli(server, "create-table", "--table-name", table, "--billing-mode", "PAY_PER_REQUEST",
        "--attribute-definitions", "AttributeName=UserId,AttributeType=S", "AttributeName=GameTitle,AttributeType=S",
        "AttributeName=TopScore,AttributeType=N",
        "--key-schema", "AttributeName=UserId,KeyType=HASH", "AttributeName=GameTitle,KeyType=RANGE",
        "--global-secondary-indexes", json.dumps([gsi("ByTitle", "GameTitle", "TopScore", include("Wins"))]),
        "--local-secondary-indexes", json.dumps([{"IndexName": "ByScore", "KeySchema": keys_of("UserId", "TopScore"),
                                                  "Projection": KEYS_ONLY}]))
    try:
        ddb.put_item(TableName=table, Item={"UserId": S("u1"), "GameTitle": S("Galaxy Invaders"),
                                            "TopScore": N("150"), "Wins": N("3"), "Losses": N("1")})
        found = cli(server, "query", "--table-name", table, "--index-name", "ByTitle",
                    "--key-condition-expression", "GameTitle = :t AND TopScore > :s",
                    "--expression-attribute-values", '{":t": {"S": "Galaxy Invaders"}, ":s": {"N": "100"}}')
        assert found["Items"] == [{"UserId": S("u1"), "GameTitle": S("Galaxy Invaders"), "TopScore": N("150"),
                                   "Wins": N("3")}]
    finally:
        ddb.delete_table(TableName=table)


def cli(server, *args: str) -> dict:
    done = subprocess.run([str(Path(sys.executable).parent / "aws"), "dynamodb", *args, "--output", "json"],
                          env=aws_cli_env(server.endpoint), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# --- bad input is answered, never a 500 ------------------------------------------------------------------

ODD_VALUES = [None, [], {}, "", "x", 0, -1, True, [{}], {"S": "x"}]


def mutations(value, path=()) -> Iterator[tuple[tuple, object]]:
    """Every path of a JSON value, each with every odd value in its place."""
    for odd in ODD_VALUES:
        yield path, odd
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from mutations(child, (*path, key))


def replaced(value, path: tuple, odd):
    if not path:
        return odd
    copied = dict(value) if isinstance(value, dict) else list(value)
    copied[path[0]] = replaced(value[path[0]], path[1:], odd)
    return copied


def assert_answered(server, operation: str, params: dict) -> None:
    reply = signed(server, operation, params)
    assert reply.status in (200, 400), (operation, params, reply.status, reply.body[:300])
    if reply.status == 400:
        assert "__type" in reply.json()


def test_malformed_index_requests_are_answered_with_aws_errors(server, ddb, make):
    table = make({"pk": "S", "sk": "S", "g": "S", "l": "N"}, GlobalSecondaryIndexes=[gsi("byG", "g", "sk")],
                 LocalSecondaryIndexes=[lsi("byL", "l", include("a"))])
    ddb.put_item(TableName=table, Item={"pk": S("p"), "sk": S("s"), "g": S("G"), "l": N("1"), "a": S("A")})
    create = {"TableName": "fuzz-created", "BillingMode": "PAY_PER_REQUEST",
              "AttributeDefinitions": defined(pk="S", sk="S", g="S", l="N"), "KeySchema": keys_of("pk", "sk"),
              "GlobalSecondaryIndexes": [gsi("byG", "g", "sk", include("x"))],
              "LocalSecondaryIndexes": [lsi("byL", "l", KEYS_ONLY)]}
    update = {"TableName": table, "AttributeDefinitions": defined(t="S"),
              "GlobalSecondaryIndexUpdates": [{"Create": gsi("byT", "t", "sk", include("y"))},
                                              {"Update": {"IndexName": "byG", "ProvisionedThroughput": capacity(1, 1)}}]}
    query_ = {"TableName": table, "IndexName": "byG", "KeyConditionExpression": "g = :g AND sk > :s",
              "ExpressionAttributeValues": {":g": S("G"), ":s": S("a")}, "Select": "ALL_PROJECTED_ATTRIBUTES",
              "ExclusiveStartKey": {"g": S("G"), "sk": S("a"), "pk": S("p")}, "Limit": 1}
    scan = {"TableName": table, "IndexName": "byL", "ProjectionExpression": "a, b", "Segment": 0, "TotalSegments": 2,
            "ExclusiveStartKey": {"pk": S("p"), "sk": S("s"), "l": N("0")}}
    for operation, params in (("CreateTable", create), ("UpdateTable", update), ("Query", query_), ("Scan", scan)):
        for path, odd in mutations(params):
            if path[:1] == ("TableName",):
                continue
            mutated = replaced(params, path, odd)
            assert_answered(server, operation, mutated)
            if operation == "CreateTable":
                try:
                    ddb.delete_table(TableName="fuzz-created")
                except ddb.exceptions.ResourceNotFoundException:
                    pass
    assert ddb.get_item(TableName=table, Key={"pk": S("p"), "sk": S("s")})["Item"]["a"] == S("A")


# --- durability ------------------------------------------------------------------------------------------


def test_acknowledged_index_entries_survive_kill_9(tmp_path):
    server = Server(tmp_path, free_port()).start()
    try:
        ddb = client_for(server.endpoint)
        ddb.create_table(TableName="crash", KeySchema=keys_of("pk"), AttributeDefinitions=defined(pk="S", g="S"),
                         GlobalSecondaryIndexes=[gsi("byG", "g")], **ON_DEMAND)
        put_items(ddb, "crash", [{"pk": S(f"p{i}"), "g": S(f"g{i % 3}")} for i in range(30)])
        ddb.update_table(TableName="crash", AttributeDefinitions=defined(h="S"),
                         GlobalSecondaryIndexUpdates=[{"Create": gsi("byH", "h")}])
        ddb.put_item(TableName="crash", Item={"pk": S("late"), "g": S("g0"), "h": S("H")})
        crash(server)
        server = Server(tmp_path, free_port()).start()
        ddb = client_for(server.endpoint)

        assert len(query(ddb, "crash", "byG", "g = :g", {":g": S("g0")})) == 11
        assert [i["pk"] for i in query(ddb, "crash", "byH", "h = :h", {":h": S("H")})] == [S("late")]
    finally:
        server.stop()

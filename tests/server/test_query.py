"""Query over the wire: key conditions, DynamoDB's sort order, paging, filters, projections,
Select, the 1 MB page, consumed capacity and AWS's errors, through boto3 against a real server."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest

from tests.helpers import all_pages, create_table, expect_error, put_items

MiB = 1024 * 1024
RCU_BYTES = 4096

# Sort-key values of each type, in no particular order.
S_VALUES = [
    "a",
    "B",
    "b",
    "Z",
    "aa",
    "a b",
    "ab",
    "0",
    "~",
    "é",
    "\ue000",
    "\uffff",
    "\U0001f600",
    "\U0001f600a",
]
N_VALUES = ["100", "-10", "3", "0", "-2.5", "10", "0.5", "-0.001", "1000", "2e1", "99.99", "-1e3"]
B_VALUES = [
    b"\x00",
    b"\x00\x00",
    b"\x01",
    b"\x7f",
    b"\x80",
    b"\xff",
    b"\xff\x00",
    b"\xff\xff",
    b"a",
    b"ab",
    b"\x01\xff",
]
VALUES = {"S": S_VALUES, "N": N_VALUES, "B": B_VALUES}


def order_key(kind: str) -> Callable:
    """DynamoDB's order of sort keys (API Reference, Query, ScanIndexForward): N numerically, S by
    the bytes of its UTF-8 encoding, B as unsigned bytes."""
    return {"S": lambda value: value.encode(), "N": Decimal, "B": bytes}[kind]


def returned(kind: str, value: object) -> object:
    """A returned sort-key value, comparable with the values we stored."""
    return Decimal(value) if kind == "N" else value


# Not tests.helpers.stored (an item read back): a sort-key value we stored, comparable as returned() is.
def stored(kind: str, value: object) -> object:
    return Decimal(value) if kind == "N" else value


def filled(ddb, make_table, kind: str) -> str:
    """A table whose partition "p" holds one item per sort-key value of ``kind``, plus an item in
    another partition that no query on "p" may return."""
    table = make_table(kind)
    put_items(
        ddb,
        table,
        [{"pk": {"S": "p"}, "sk": {kind: value}, "n": {"N": str(i)}} for i, value in enumerate(VALUES[kind])],
    )
    put_items(ddb, table, [{"pk": {"S": "other"}, "sk": {kind: VALUES[kind][0]}}])
    return table


# --- sort order ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["S", "N", "B"])
@pytest.mark.parametrize("forward", [True, False])
def test_query_returns_a_partition_in_dynamodb_sort_key_order(ddb, make_table, kind, forward):
    table = filled(ddb, make_table, kind)
    reply = ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}},
        ScanIndexForward=forward,
    )
    got = [returned(kind, item["sk"][kind]) for item in reply["Items"]]
    expected = sorted(VALUES[kind], key=order_key(kind), reverse=not forward)
    assert got == [stored(kind, value) for value in expected]
    assert reply["Count"] == reply["ScannedCount"] == len(VALUES[kind])


def test_string_sort_keys_order_by_utf8_bytes_not_utf16_code_units(ddb, make_table):
    # U+FFFF is EF BF BF in UTF-8 and U+1F600 is F0 9F 98 80: UTF-8 puts U+FFFF first, while
    # UTF-16 (D83D DE00 for U+1F600) would put the emoji first. Upper case sorts before lower case.
    table = make_table("S")
    values = ["\U0001f600", "\uffff", "\ue000", "a", "B"]
    put_items(ddb, table, [{"pk": {"S": "p"}, "sk": {"S": value}} for value in values])
    reply = ddb.query(
        TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}}
    )
    assert [item["sk"]["S"] for item in reply["Items"]] == ["B", "a", "\ue000", "\uffff", "\U0001f600"]


def test_number_sort_keys_order_numerically_not_as_text(ddb, make_table):
    table = make_table("N")
    put_items(
        ddb,
        table,
        [{"pk": {"S": "p"}, "sk": {"N": value}} for value in ["10", "-2.5", "100", "0", "-10", "3"]],
    )
    reply = ddb.query(
        TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}}
    )
    assert [item["sk"]["N"] for item in reply["Items"]] == ["-10", "-2.5", "0", "3", "10", "100"]


def test_binary_sort_keys_order_as_unsigned_bytes(ddb, make_table):
    table = make_table("B")
    put_items(
        ddb, table, [{"pk": {"S": "p"}, "sk": {"B": value}} for value in [b"\xff", b"\x80", b"\x7f", b"\x00"]]
    )
    reply = ddb.query(
        TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}}
    )
    assert [item["sk"]["B"] for item in reply["Items"]] == [b"\x00", b"\x7f", b"\x80", b"\xff"]


# --- sort-key operators --------------------------------------------------------------------------

# (kind, condition on sk, operand values, the test a stored value must pass)
OPERATOR_CASES = []
for _kind, _low, _high in (("S", "a", "é"), ("N", "-2.5", "100"), ("B", b"\x01", b"\xff")):
    _key = order_key(_kind)
    OPERATOR_CASES += [
        (_kind, "sk = :a", (_low,), lambda v, k=_key, a=_low: k(v) == k(a)),
        (_kind, "sk < :a", (_low,), lambda v, k=_key, a=_low: k(v) < k(a)),
        (_kind, "sk <= :a", (_low,), lambda v, k=_key, a=_low: k(v) <= k(a)),
        (_kind, "sk > :a", (_low,), lambda v, k=_key, a=_low: k(v) > k(a)),
        (_kind, "sk >= :a", (_low,), lambda v, k=_key, a=_low: k(v) >= k(a)),
        (_kind, ":a < sk", (_low,), lambda v, k=_key, a=_low: k(v) > k(a)),
        (
            _kind,
            "sk BETWEEN :a AND :b",
            (_low, _high),
            lambda v, k=_key, a=_low, b=_high: k(a) <= k(v) <= k(b),
        ),
    ]
OPERATOR_CASES += [
    ("S", "begins_with(sk, :a)", ("a",), lambda v: v.startswith("a")),
    ("S", "begins_with(sk, :a)", ("\U0001f600",), lambda v: v.startswith("\U0001f600")),
    ("S", "begins_with(sk, :a)", ("\uffff",), lambda v: v.startswith("\uffff")),
    ("B", "begins_with(sk, :a)", (b"\x00",), lambda v: v.startswith(b"\x00")),
    # An all-0xFF prefix has no byte string just above it: the range runs to the end.
    ("B", "begins_with(sk, :a)", (b"\xff",), lambda v: v.startswith(b"\xff")),
    (
        "N",
        "sk BETWEEN :a AND :b",
        ("-1e3", "-0.001"),
        lambda v: Decimal("-1000") <= Decimal(v) <= Decimal("-0.001"),
    ),
    ("N", "sk = :a", ("20",), lambda v: Decimal(v) == 20),  # stored as "2e1"
]


@pytest.mark.parametrize(
    ("kind", "condition", "operands", "passes"),
    OPERATOR_CASES,
    ids=[f"{c[0]}: {c[1]} {c[2]!r}" for c in OPERATOR_CASES],
)
@pytest.mark.parametrize("forward", [True, False])
def test_query_sort_key_condition_selects_exactly_the_matching_items(
    ddb, make_table, kind, condition, operands, passes, forward
):
    table = filled(ddb, make_table, kind)
    names = (":a", ":b")
    reply = ddb.query(
        TableName=table,
        KeyConditionExpression=f"pk = :p AND {condition}",
        ScanIndexForward=forward,
        ExpressionAttributeValues={
            ":p": {"S": "p"},
            **{names[i]: {kind: operand} for i, operand in enumerate(operands)},
        },
    )
    expected = sorted(
        (value for value in VALUES[kind] if passes(value)), key=order_key(kind), reverse=not forward
    )
    assert expected, "a case should select something"
    assert [returned(kind, item["sk"][kind]) for item in reply["Items"]] == [
        stored(kind, v) for v in expected
    ]
    assert reply["Count"] == reply["ScannedCount"] == len(expected)


def test_key_condition_uses_expression_attribute_names(ddb, make_table):
    table = filled(ddb, make_table, "S")
    reply = ddb.query(
        TableName=table,
        KeyConditionExpression="#p = :p AND #s BETWEEN :a AND :b",
        ExpressionAttributeNames={"#p": "pk", "#s": "sk"},
        ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"S": "a"}, ":b": {"S": "ab"}},
    )
    assert [item["sk"]["S"] for item in reply["Items"]] == ["a", "a b", "aa", "ab"]


def test_query_of_a_partition_without_items_is_empty(ddb, table):
    reply = ddb.query(
        TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "x"}}
    )
    assert (reply["Items"], reply["Count"], reply["ScannedCount"]) == ([], 0, 0)
    assert "LastEvaluatedKey" not in reply


def test_query_on_a_table_without_sort_key_returns_the_one_item(ddb, make_table):
    table = make_table(None, partition="N")
    put_items(ddb, table, [{"pk": {"N": str(i)}, "v": {"S": f"v{i}"}} for i in range(5)])
    reply = ddb.query(
        TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"N": "3.0"}}
    )
    assert reply["Items"] == [{"pk": {"N": "3"}, "v": {"S": "v3"}}]


# --- paging --------------------------------------------------------------------------------------


@pytest.mark.parametrize("forward", [True, False])
def test_limit_pages_through_a_partition_exactly_once_in_both_directions(ddb, make_table, forward):
    table = make_table("N")
    put_items(ddb, table, [{"pk": {"S": "p"}, "sk": {"N": str(i)}} for i in range(10)])
    put_items(ddb, table, [{"pk": {"S": "q"}, "sk": {"N": str(i)}} for i in range(3)])
    pages = all_pages(
        ddb.query,
        TableName=table,
        KeyConditionExpression="pk = :p",
        Limit=3,
        ScanIndexForward=forward,
        ExpressionAttributeValues={":p": {"S": "p"}},
    )
    assert [page["Count"] for page in pages] == [3, 3, 3, 1]
    for page in pages[:-1]:
        # LastEvaluatedKey is the full primary key of the last item read.
        assert page["LastEvaluatedKey"] == {"pk": page["Items"][-1]["pk"], "sk": page["Items"][-1]["sk"]}
    got = [int(item["sk"]["N"]) for page in pages for item in page["Items"]]
    assert got == (list(range(10)) if forward else list(range(9, -1, -1)))


@pytest.mark.parametrize("forward", [True, False])
def test_paging_stays_within_the_sort_key_condition(ddb, make_table, forward):
    table = make_table("N")
    put_items(ddb, table, [{"pk": {"S": "p"}, "sk": {"N": str(i)}} for i in range(20)])
    pages = all_pages(
        ddb.query,
        TableName=table,
        KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
        Limit=4,
        ScanIndexForward=forward,
        ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"N": "5"}, ":b": {"N": "14"}},
    )
    got = [int(item["sk"]["N"]) for page in pages for item in page["Items"]]
    assert got == (list(range(5, 15)) if forward else list(range(14, 4, -1)))


def test_boto3_paginator_returns_every_item_once(ddb, make_table):
    table = make_table("S")
    put_items(ddb, table, [{"pk": {"S": "p"}, "sk": {"S": f"{i:03d}"}} for i in range(57)])
    pages = list(
        ddb.get_paginator("query").paginate(
            TableName=table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "p"}},
            PaginationConfig={"PageSize": 10},
        )
    )
    assert len(pages) >= 6
    assert [item["sk"]["S"] for page in pages for item in page["Items"]] == [f"{i:03d}" for i in range(57)]


def test_last_evaluated_key_is_the_key_even_when_the_projection_leaves_it_out(ddb, make_table):
    table = make_table("S")
    put_items(ddb, table, [{"pk": {"S": "p"}, "sk": {"S": s}, "v": {"S": s.upper()}} for s in "abc"])
    reply = ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}},
        ProjectionExpression="v",
        Limit=2,
    )
    assert reply["Items"] == [{"v": {"S": "A"}}, {"v": {"S": "B"}}]
    assert reply["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"S": "b"}}


# --- ExclusiveStartKey errors (dynalite's query tests, recorded against AWS) -----------------------


@pytest.mark.parametrize(
    ("condition", "values", "start", "message"),
    [
        (
            "pk = :p",
            {":p": {"S": "p"}},
            {"pk": {"S": "other"}, "sk": {"S": "a"}},
            "The provided starting key is outside query boundaries based on provided conditions",
        ),
        (
            "pk = :p AND sk > :a",
            {":p": {"S": "p"}, ":a": {"S": "m"}},
            {"pk": {"S": "p"}, "sk": {"S": "b"}},
            "The provided starting key does not match the range key predicate",
        ),
        (
            "pk = :p AND sk BETWEEN :a AND :b",
            {":p": {"S": "p"}, ":a": {"S": "b"}, ":b": {"S": "d"}},
            {"pk": {"S": "p"}, "sk": {"S": "e"}},
            "The provided starting key does not match the range key predicate",
        ),
        (
            "pk = :p AND begins_with(sk, :a)",
            {":p": {"S": "p"}, ":a": {"S": "b"}},
            {"pk": {"S": "p"}, "sk": {"S": "c"}},
            "The provided starting key does not match the range key predicate",
        ),
        # The start key's sort key matches, its partition key does not.
        (
            "pk = :p AND sk < :a",
            {":p": {"S": "p"}, ":a": {"S": "m"}},
            {"pk": {"S": "other"}, "sk": {"S": "b"}},
            "The query can return at most one row and cannot be restarted",
        ),
        ("pk = :p", {":p": {"S": "p"}}, {"pk": {"S": "p"}}, "The provided starting key is invalid"),
        (
            "pk = :p",
            {":p": {"S": "p"}},
            {"pk": {"S": "p"}, "x": {"S": "a"}},
            "The provided starting key is invalid",
        ),
        (
            "pk = :p",
            {":p": {"S": "p"}},
            {"pk": {"S": "p"}, "sk": {"S": "a"}, "x": {"S": "a"}},
            "The provided starting key is invalid",
        ),
    ],
)
def test_query_refuses_an_exclusive_start_key_outside_its_conditions(
    ddb, table, condition, values, start, message
):
    expect_error(
        ddb.query,
        "ValidationException",
        message,
        TableName=table,
        KeyConditionExpression=condition,
        ExpressionAttributeValues=values,
        ExclusiveStartKey=start,
    )


def test_query_resumes_after_an_exclusive_start_key_that_is_not_an_item(ddb, make_table):
    table = make_table("N")
    put_items(ddb, table, [{"pk": {"S": "p"}, "sk": {"N": str(i)}} for i in range(0, 10, 2)])
    reply = ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}},
        ExclusiveStartKey={"pk": {"S": "p"}, "sk": {"N": "3"}},
    )
    assert [item["sk"]["N"] for item in reply["Items"]] == ["4", "6", "8"]
    reply = ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}},
        ExclusiveStartKey={"pk": {"S": "p"}, "sk": {"N": "3"}},
        ScanIndexForward=False,
    )
    assert [item["sk"]["N"] for item in reply["Items"]] == ["2", "0"]


# --- filters, projections, Select ----------------------------------------------------------------


@pytest.fixture
def colours(ddb, make_table) -> str:
    table = make_table("N")
    put_items(
        ddb,
        table,
        [
            {
                "pk": {"S": "p"},
                "sk": {"N": str(i)},
                "colour": {"S": "red" if i % 2 else "blue"},
                "info": {"M": {"w": {"N": str(i * 10)}, "tags": {"L": [{"S": "x"}, {"S": f"t{i}"}]}}},
            }
            for i in range(10)
        ],
    )
    return table


def test_filter_expression_count_is_items_returned_and_scanned_count_items_read(ddb, colours):
    reply = ddb.query(
        TableName=colours,
        KeyConditionExpression="pk = :p",
        FilterExpression="colour = :c",
        ExpressionAttributeValues={":p": {"S": "p"}, ":c": {"S": "red"}},
    )
    assert [item["sk"]["N"] for item in reply["Items"]] == ["1", "3", "5", "7", "9"]
    assert (reply["Count"], reply["ScannedCount"]) == (5, 10)


def test_limit_counts_items_read_before_the_filter(ddb, colours):
    # Developer Guide, "Query.Limit": with a filter, DynamoDB reads up to Limit items, then returns
    # those that match.
    reply = ddb.query(
        TableName=colours,
        KeyConditionExpression="pk = :p",
        FilterExpression="colour = :c",
        Limit=4,
        ExpressionAttributeValues={":p": {"S": "p"}, ":c": {"S": "red"}},
    )
    assert [item["sk"]["N"] for item in reply["Items"]] == ["1", "3"]
    assert (reply["Count"], reply["ScannedCount"]) == (2, 4)
    assert reply["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "3"}}


def test_a_page_may_return_no_items_yet_a_last_evaluated_key(ddb, colours):
    reply = ddb.query(
        TableName=colours,
        KeyConditionExpression="pk = :p",
        FilterExpression="colour = :c",
        Limit=1,
        ExpressionAttributeValues={":p": {"S": "p"}, ":c": {"S": "red"}},
    )
    assert (reply["Items"], reply["Count"], reply["ScannedCount"]) == ([], 0, 1)
    assert reply["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "0"}}


def test_filtered_paging_returns_every_match_once(ddb, colours):
    pages = all_pages(
        ddb.query,
        TableName=colours,
        KeyConditionExpression="pk = :p",
        FilterExpression="info.w >= :s",
        Limit=3,
        ExpressionAttributeValues={":p": {"S": "p"}, ":s": {"N": "45"}},
    )
    assert [item["sk"]["N"] for page in pages for item in page["Items"]] == ["5", "6", "7", "8", "9"]
    assert sum(page["ScannedCount"] for page in pages) == 10


def test_projection_expression_returns_only_the_named_paths(ddb, colours):
    reply = ddb.query(
        TableName=colours,
        KeyConditionExpression="pk = :p AND sk = :s",
        ProjectionExpression="#c, info.tags[1], nothere",
        ExpressionAttributeNames={"#c": "colour"},
        ExpressionAttributeValues={":p": {"S": "p"}, ":s": {"N": "3"}},
    )
    assert reply["Items"] == [{"colour": {"S": "red"}, "info": {"M": {"tags": {"L": [{"S": "t3"}]}}}}]


def test_filter_and_projection_together(ddb, colours):
    reply = ddb.query(
        TableName=colours,
        KeyConditionExpression="pk = :p",
        FilterExpression="colour = :c",
        ProjectionExpression="sk",
        ScanIndexForward=False,
        ExpressionAttributeValues={":p": {"S": "p"}, ":c": {"S": "blue"}},
    )
    assert reply["Items"] == [{"sk": {"N": str(i)}} for i in (8, 6, 4, 2, 0)]


def test_select_count_returns_counts_and_no_items(ddb, colours):
    reply = ddb.query(
        TableName=colours,
        KeyConditionExpression="pk = :p",
        Select="COUNT",
        FilterExpression="colour = :c",
        ExpressionAttributeValues={":p": {"S": "p"}, ":c": {"S": "red"}},
    )
    assert "Items" not in reply
    assert (reply["Count"], reply["ScannedCount"]) == (5, 10)


def test_select_count_with_limit_keeps_the_last_evaluated_key(ddb, colours):
    reply = ddb.query(
        TableName=colours,
        KeyConditionExpression="pk = :p",
        Select="COUNT",
        Limit=4,
        ExpressionAttributeValues={":p": {"S": "p"}},
    )
    assert "Items" not in reply
    assert (reply["Count"], reply["ScannedCount"]) == (4, 4)
    assert reply["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "3"}}


def test_select_all_attributes_and_specific_attributes(ddb, colours):
    everything = ddb.query(
        TableName=colours,
        KeyConditionExpression="pk = :p AND sk = :s",
        Select="ALL_ATTRIBUTES",
        ExpressionAttributeValues={":p": {"S": "p"}, ":s": {"N": "2"}},
    )
    assert everything["Items"] == [
        {
            "pk": {"S": "p"},
            "sk": {"N": "2"},
            "colour": {"S": "blue"},
            "info": {"M": {"w": {"N": "20"}, "tags": {"L": [{"S": "x"}, {"S": "t2"}]}}},
        }
    ]
    specific = ddb.query(
        TableName=colours,
        KeyConditionExpression="pk = :p AND sk = :s",
        Select="SPECIFIC_ATTRIBUTES",
        ProjectionExpression="colour",
        ExpressionAttributeValues={":p": {"S": "p"}, ":s": {"N": "2"}},
    )
    assert specific["Items"] == [{"colour": {"S": "blue"}}]


# Wording: moto's tests verified against AWS (test_dynamodb_select.py) and the dynamodb-conformance
# captures: a Query's come inside "1 validation error detected: ", a Scan's bare.
@pytest.mark.parametrize(
    ("select", "projection", "message"),
    [
        (
            "SPECIFIC_ATTRIBUTES",
            None,
            "1 validation error detected: Must specify the AttributesToGet or ProjectionExpression when"
            " choosing to get"
            " SPECIFIC_ATTRIBUTES",
        ),
        (
            "ALL_ATTRIBUTES",
            "colour",
            "1 validation error detected: Cannot specify the ProjectionExpression when choosing to get"
            " ALL_ATTRIBUTES",
        ),
        (
            "COUNT",
            "colour",
            "1 validation error detected: Cannot specify the ProjectionExpression when choosing to get"
            " only the Count",
        ),
        (
            "ALL_PROJECTED_ATTRIBUTES",
            None,
            "1 validation error detected: ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an"
            " IndexName",
        ),
        (
            "ALL_PROJECTED_ATTRIBUTES",
            "colour",
            "1 validation error detected: Cannot specify the ProjectionExpression when choosing to get"
            " ALL_PROJECTED_ATTRIBUTES",
        ),
        (
            "count",
            None,
            "1 validation error detected: Value 'count' at 'select' failed to satisfy constraint: Member"
            " must satisfy enum"
            " value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]",
        ),
    ],
)
def test_select_errors(raw_ddb, table, select, projection, message):
    params = {
        "TableName": table,
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "p"}},
        "Select": select,
    }
    if projection is not None:
        params["ProjectionExpression"] = projection
    expect_error(raw_ddb.query, "ValidationException", message, **params)


@pytest.mark.parametrize(
    "filter_expression", ["sk = :v", "pk = :v", "attribute_exists(sk) AND colour = :v", "size(pk) > :n"]
)
def test_filter_expression_on_a_key_attribute_is_refused(ddb, table, filter_expression):
    # dynalite's query tests, recorded against AWS: the keys belong in the key condition.
    name = "sk" if "sk" in filter_expression else "pk"
    values = {":p": {"S": "p"}}
    values.update({":v": {"S": "a"}} if ":v" in filter_expression else {":n": {"N": "1"}})
    expect_error(
        ddb.query,
        "ValidationException",
        f"Filter Expression can only contain non-primary key attributes: Primary key attribute: {name}",
        TableName=table,
        KeyConditionExpression="pk = :p",
        FilterExpression=filter_expression,
        ExpressionAttributeValues=values,
    )


@pytest.mark.parametrize("projection", ["pk.a", "sk[0]", "colour, #s.b"])
def test_projection_into_a_key_attribute_is_refused(ddb, table, projection):
    name = "pk" if "pk" in projection else "sk"
    params = {"ExpressionAttributeNames": {"#s": "sk"}} if "#s" in projection else {}
    expect_error(
        ddb.query,
        "ValidationException",
        "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed:"
        f" Key: {name}",
        TableName=table,
        KeyConditionExpression="pk = :p",
        ProjectionExpression=projection,
        ExpressionAttributeValues={":p": {"S": "p"}},
        **params,
    )


# --- key condition errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "values", "message"),
    [
        ("sk = :s", {":s": {"S": "a"}}, "Query condition missed key schema element: pk"),
        ("pk > :p", {":p": {"S": "a"}}, "Query key condition not supported"),
        ("begins_with(pk, :p)", {":p": {"S": "a"}}, "Query key condition not supported"),
        (
            "pk = :p AND colour = :c",
            {":p": {"S": "a"}, ":c": {"S": "red"}},
            "Query condition missed key schema element: sk",
        ),
        (
            "pk = :p AND sk = :s AND colour = :c",
            {":p": {"S": "a"}, ":s": {"S": "a"}, ":c": {"S": "red"}},
            "The number of query conditions (3) exceeds the number of key attributes defined in the"
            " schema (2)",
        ),
        (
            "pk = :p",
            {":p": {"N": "1"}},
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        ),
        (
            "pk = :p AND sk > :s",
            {":p": {"S": "a"}, ":s": {"N": "1"}},
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        ),
        (
            "pk = :p AND sk BETWEEN :a AND :b",
            {":p": {"S": "a"}, ":a": {"S": "b"}, ":b": {"S": "a"}},
            "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or"
            " equal to lower"
            " bound; lower bound operand: AttributeValue: {S:b}, upper bound operand: AttributeValue: {S:a}",
        ),
        (
            "pk = :p OR sk = :s",
            {":p": {"S": "a"}, ":s": {"S": "a"}},
            "Invalid operator used in KeyConditionExpression: OR",
        ),
        (
            "pk = :p AND sk <> :s",
            {":p": {"S": "a"}, ":s": {"S": "a"}},
            "Invalid operator used in KeyConditionExpression: <>",
        ),
        (
            "pk = :p AND contains(sk, :s)",
            {":p": {"S": "a"}, ":s": {"S": "a"}},
            "Invalid operator used in KeyConditionExpression: contains",
        ),
    ],
)
def test_key_condition_errors_carry_aws_messages(ddb, table, condition, values, message):
    expect_error(
        ddb.query,
        "ValidationException",
        message,
        TableName=table,
        KeyConditionExpression=condition,
        ExpressionAttributeValues=values,
    )


def test_between_on_the_partition_key_is_not_supported(ddb, table):
    expect_error(
        ddb.query,
        "ValidationException",
        "Query key condition not supported",
        TableName=table,
        KeyConditionExpression="pk BETWEEN :p AND :q",
        ExpressionAttributeValues={":p": {"S": "a"}, ":q": {"S": "b"}},
    )


def test_between_bounds_on_a_number_sort_key_compare_numerically(ddb, make_table):
    # "10" > "9" as numbers though not as text: the bounds are reversed.
    table = make_table("N")
    expect_error(
        ddb.query,
        "ValidationException",
        "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or"
        " equal to lower bound; lower bound operand: AttributeValue: {N:10}, upper bound operand:"
        " AttributeValue: {N:9}",
        TableName=table,
        KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"N": "10"}, ":b": {"N": "9"}},
    )


def test_begins_with_on_a_number_sort_key_is_refused(ddb, make_table):
    table = make_table("N")
    expect_error(
        ddb.query,
        "ValidationException",
        "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or"
        " function: begins_with, operand type: N",
        TableName=table,
        KeyConditionExpression="pk = :p AND begins_with(sk, :a)",
        ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"N": "1"}},
    )


def test_second_condition_on_a_table_without_sort_key_is_not_supported(ddb, hash_table):
    expect_error(
        ddb.query,
        "ValidationException",
        "Query key condition not supported",
        TableName=hash_table,
        KeyConditionExpression="pk = :p AND colour = :c",
        ExpressionAttributeValues={":p": {"S": "a"}, ":c": {"S": "red"}},
    )


def test_query_without_key_condition_is_refused(ddb, table):
    expect_error(
        ddb.query,
        "ValidationException",
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
        TableName=table,
    )


def test_query_on_a_missing_table_is_resource_not_found(ddb):
    expect_error(
        ddb.query,
        "ResourceNotFoundException",
        "Requested resource not found",
        TableName=f"missing-{uuid.uuid4().hex[:8]}",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}},
    )


# --- the 1 MB page -------------------------------------------------------------------------------

BIG_ITEMS = 40
BIG_DATA = 64 * 1024


def item_size(item: dict) -> int:
    """DynamoDB's size of an item of S attributes: names plus UTF-8 values."""
    return sum(len(name.encode()) + len(value["S"].encode()) for name, value in item.items())


@pytest.fixture(scope="module")
def big_partition(ddb, server) -> Iterator[tuple[str, int]]:
    """~2.6 MB in one partition: 40 items of 64 KB."""
    name = create_table(ddb)
    items = [
        {"pk": {"S": "big"}, "sk": {"S": f"{i:03d}"}, "data": {"S": "x" * BIG_DATA}} for i in range(BIG_ITEMS)
    ]
    put_items(ddb, name, items)
    yield name, item_size(items[0])
    ddb.delete_table(TableName=name)


def test_a_query_page_holds_at_most_about_one_megabyte(ddb, big_partition):
    # API Reference, Query: "A single Query operation will read up to the maximum number of items
    # set (if using the Limit parameter) or a maximum of 1 MB of data".
    table, size = big_partition
    reply = ddb.query(
        TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "big"}}
    )
    assert 0 < reply["Count"] < BIG_ITEMS
    page_bytes = reply["Count"] * size
    assert MiB - 2 * size <= page_bytes <= MiB + size
    assert reply["LastEvaluatedKey"] == {"pk": {"S": "big"}, "sk": reply["Items"][-1]["sk"]}


@pytest.mark.parametrize("forward", [True, False])
def test_paging_a_large_partition_returns_every_item_exactly_once(ddb, big_partition, forward):
    table, _ = big_partition
    pages = all_pages(
        ddb.query,
        TableName=table,
        KeyConditionExpression="pk = :p",
        ScanIndexForward=forward,
        ExpressionAttributeValues={":p": {"S": "big"}},
        ProjectionExpression="sk",
    )
    assert len(pages) >= 3
    keys = [item["sk"]["S"] for page in pages for item in page["Items"]]
    assert keys == sorted((f"{i:03d}" for i in range(BIG_ITEMS)), reverse=not forward)


def test_one_megabyte_is_counted_before_the_filter_and_for_select_count(ddb, big_partition):
    # The limit applies to the data read, not returned: a filter that matches nothing, or COUNT,
    # still ends the page at 1 MB.
    table, _ = big_partition
    filtered = ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        FilterExpression="attribute_exists(nope)",
        ExpressionAttributeValues={":p": {"S": "big"}},
    )
    assert filtered["Count"] == 0 and 0 < filtered["ScannedCount"] < BIG_ITEMS
    assert "LastEvaluatedKey" in filtered
    counted = ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        Select="COUNT",
        Limit=1000,
        ExpressionAttributeValues={":p": {"S": "big"}},
    )
    assert counted["Count"] == counted["ScannedCount"] == filtered["ScannedCount"]
    assert "LastEvaluatedKey" in counted


# --- consumed capacity ---------------------------------------------------------------------------


@pytest.fixture
def three_one_and_a_half_kb_items(ddb, make_table) -> str:
    table = make_table("S")
    # Each item is 1536 bytes: "pk"+"cap" (5) + "sk"+"1" (3) + "data" (4) + 1524 characters.
    items = [{"pk": {"S": "cap"}, "sk": {"S": str(i)}, "data": {"S": "x" * 1524}} for i in range(3)]
    assert {item_size(item) for item in items} == {1536}
    put_items(ddb, table, items)
    return table


@pytest.mark.parametrize(("consistent", "units"), [(True, 2.0), (False, 1.0)])
def test_query_consumed_capacity_rounds_the_summed_size_up_to_4kb(
    ddb, three_one_and_a_half_kb_items, consistent, units
):
    # Developer Guide, "DynamoDB read and write operations" (read-write-operations.html): a Query's
    # items are treated as a single read; their total size (3 x 1.5 KB = 4.5 KB) rounds up to 8 KB,
    # 2 units strongly consistent and half that eventually consistent (per-item rounding would be 3).
    table = three_one_and_a_half_kb_items
    reply = ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        ConsistentRead=consistent,
        ExpressionAttributeValues={":p": {"S": "cap"}},
        ReturnConsumedCapacity="TOTAL",
    )
    assert reply["ConsumedCapacity"] == {"TableName": table, "CapacityUnits": units}


def test_query_capacity_counts_items_read_not_items_returned(ddb, three_one_and_a_half_kb_items):
    table = three_one_and_a_half_kb_items
    reply = ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        FilterExpression="attribute_exists(nope)",
        ProjectionExpression="sk",
        ConsistentRead=True,
        ExpressionAttributeValues={":p": {"S": "cap"}},
        ReturnConsumedCapacity="INDEXES",
    )
    assert reply["Count"] == 0
    assert reply["ConsumedCapacity"] == {
        "TableName": table,
        "CapacityUnits": 2.0,
        "Table": {"CapacityUnits": 2.0},
    }


def test_query_reports_no_capacity_unless_asked(ddb, three_one_and_a_half_kb_items):
    for mode in (None, "NONE"):
        params = {} if mode is None else {"ReturnConsumedCapacity": mode}
        reply = ddb.query(
            TableName=three_one_and_a_half_kb_items,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "cap"}},
            **params,
        )
        assert "ConsumedCapacity" not in reply
        assert reply["Count"] == 3


@pytest.mark.parametrize(("value", "message"), [
    ("", "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an "
         "empty string value. Key: pk"),
    ("x" * 2049, "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit "
                 "of2048 bytes"),
], ids=["empty", "over-2048-bytes"])
def test_a_partition_key_value_in_a_key_condition_obeys_the_key_rules_getitem_applies(ddb, table, value, message):
    # GetItem refuses the same value with these words (test_items.py). No capture of DynamoDB's answer to
    # such a Query was found: the words are assumed to be GetItem's, as the rule is the same key rule.
    expect_error(ddb.query, "ValidationException", message, TableName=table,
                 KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": value}})

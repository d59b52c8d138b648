"""Scan over the wire: every item exactly once across pages, parallel segments, filters,
projections, Select, the 1 MB page, consumed capacity and AWS's errors, through boto3."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.helpers import all_pages, create_table, expect_error, put_items

MiB = 1024 * 1024
ITEMS = 500


def keys_of(pages: list[dict]) -> list[str]:
    return [item["pk"]["S"] for page in pages for item in page["Items"]]


@pytest.fixture(scope="module")
def many(ddb) -> Iterator[str]:
    """500 small items, one per partition, half of them red."""
    table = create_table(ddb, None)
    put_items(
        ddb,
        table,
        [
            {"pk": {"S": f"k{i:03d}"}, "n": {"N": str(i)}, "colour": {"S": "red" if i % 2 else "blue"}}
            for i in range(ITEMS)
        ],
    )
    yield table
    ddb.delete_table(TableName=table)


ALL_KEYS = sorted(f"k{i:03d}" for i in range(ITEMS))


# --- every item exactly once ---------------------------------------------------------------------


def test_scan_returns_every_item_once_in_a_single_page(ddb, many):
    reply = ddb.scan(TableName=many)
    assert sorted(item["pk"]["S"] for item in reply["Items"]) == ALL_KEYS
    assert reply["Count"] == reply["ScannedCount"] == ITEMS
    assert "LastEvaluatedKey" not in reply


@pytest.mark.parametrize("limit", [1, 37, 499, 500])
def test_limit_pages_return_every_item_exactly_once(ddb, many, limit):
    pages = all_pages(ddb.scan, TableName=many, Limit=limit)
    got = keys_of(pages)
    assert sorted(got) == ALL_KEYS  # nothing twice, nothing missing
    assert all(page["Count"] == page["ScannedCount"] <= limit for page in pages)
    for page in pages:
        if "LastEvaluatedKey" in page:
            assert page["Count"] == limit
            assert page["LastEvaluatedKey"] == {"pk": page["Items"][-1]["pk"]}


def test_scan_order_is_stable_between_pages_and_a_full_scan(ddb, many):
    whole = [item["pk"]["S"] for item in ddb.scan(TableName=many)["Items"]]
    assert keys_of(all_pages(ddb.scan, TableName=many, Limit=64)) == whole


def test_boto3_paginator_returns_every_item_once(ddb, many):
    pages = list(ddb.get_paginator("scan").paginate(TableName=many, PaginationConfig={"PageSize": 90}))
    assert len(pages) == 6
    assert sorted(keys_of(pages)) == ALL_KEYS


def test_scan_of_a_table_with_sort_keys_returns_each_partition_in_sort_key_order(ddb):
    table = create_table(ddb, "N")
    try:
        put_items(
            ddb,
            table,
            [{"pk": {"S": f"p{p}"}, "sk": {"N": str(s)}} for p in range(5) for s in (10, -3, 2.5, 100, 0)],
        )
        pages = all_pages(ddb.scan, TableName=table, Limit=3)
        items = [(item["pk"]["S"], float(item["sk"]["N"])) for page in pages for item in page["Items"]]
        assert Counter(items) == Counter((f"p{p}", float(s)) for p in range(5) for s in (10, -3, 2.5, 100, 0))
        for p in range(5):
            assert [s for key, s in items if key == f"p{p}"] == [-3, 0, 2.5, 10, 100]
        assert pages[0]["LastEvaluatedKey"] == {
            "pk": pages[0]["Items"][-1]["pk"],
            "sk": pages[0]["Items"][-1]["sk"],
        }
    finally:
        ddb.delete_table(TableName=table)


def test_scan_of_an_empty_table(ddb, table):
    reply = ddb.scan(TableName=table)
    assert (reply["Items"], reply["Count"], reply["ScannedCount"]) == ([], 0, 0)
    assert "LastEvaluatedKey" not in reply


# --- parallel scan -------------------------------------------------------------------------------


@pytest.mark.parametrize("total", [1, 2, 4, 7])
def test_parallel_scan_segments_are_disjoint_and_cover_the_table(ddb, many, total):
    segments = [
        keys_of(all_pages(ddb.scan, TableName=many, Segment=segment, TotalSegments=total, Limit=50))
        for segment in range(total)
    ]
    union = [key for keys in segments for key in keys]
    assert sorted(union) == ALL_KEYS  # disjoint (no key twice) and complete
    assert all(keys for keys in segments), "every segment of 500 hashed keys holds some"


def test_each_segment_pages_within_itself(ddb, many):
    whole = ddb.scan(TableName=many, Segment=2, TotalSegments=4)["Items"]
    paged = keys_of(all_pages(ddb.scan, TableName=many, Segment=2, TotalSegments=4, Limit=7))
    assert paged == [item["pk"]["S"] for item in whole]


def test_exclusive_start_key_from_another_segment_is_refused(ddb, many):
    # dynalite's scan tests, recorded against AWS.
    first = ddb.scan(TableName=many, Segment=1, TotalSegments=2, Limit=1)["Items"][0]
    expect_error(
        ddb.scan,
        "ValidationException",
        "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with"
        " correct Segment. TotalSegments: 2 Segment: 0",
        TableName=many,
        Segment=0,
        TotalSegments=2,
        ExclusiveStartKey={"pk": first["pk"]},
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"Segment": 1},
            "The TotalSegments parameter is required but was not present in the request when Segment"
            " parameter is present",
        ),
        (
            {"TotalSegments": 4},
            "The Segment parameter is required but was not present in the request when parameter"
            " TotalSegments is present",
        ),
        (
            {"Segment": 4, "TotalSegments": 4},
            "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 4 is"
            " not less than TotalSegments: 4",
        ),
        (
            {"Segment": 9, "TotalSegments": 2},
            "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 9 is"
            " not less than TotalSegments: 2",
        ),
        (
            {"Segment": -1, "TotalSegments": 2},
            "1 validation error detected: Value '-1' at 'segment' failed to satisfy constraint: Member must"
            " have value greater than or equal to 0",
        ),
        (
            {"Segment": 0, "TotalSegments": 0},
            "1 validation error detected: Value '0' at 'totalSegments' failed to satisfy constraint: Member"
            " must have value greater than or equal to 1",
        ),
        (
            {"Segment": 0, "TotalSegments": 1000001},
            "1 validation error detected: Value '1000001' at 'totalSegments' failed to satisfy constraint:"
            " Member must have value less than or equal to 1000000",
        ),
    ],
)
def test_segment_errors_carry_aws_messages(raw_ddb, many, params, message):
    # Wording: dynalite's scan tests (recorded against AWS) for the first three; the model's
    # constraints (Segment 0..999999, TotalSegments 1..1000000) in Coral's words for the others.
    expect_error(raw_ddb.scan, "ValidationException", message, TableName=many, **params)


# --- filters, projections, Select ----------------------------------------------------------------


def test_filter_expression_count_and_scanned_count(ddb, many):
    reply = ddb.scan(
        TableName=many,
        FilterExpression="colour = :c AND n < :n",
        ExpressionAttributeValues={":c": {"S": "red"}, ":n": {"N": "100"}},
    )
    assert sorted(int(item["n"]["N"]) for item in reply["Items"]) == list(range(1, 100, 2))
    assert (reply["Count"], reply["ScannedCount"]) == (50, ITEMS)


def test_scan_filter_may_read_key_attributes(ddb, many):
    reply = ddb.scan(
        TableName=many,
        FilterExpression="begins_with(pk, :p) OR pk = :q",
        ExpressionAttributeValues={":p": {"S": "k01"}, ":q": {"S": "k499"}},
    )
    assert sorted(item["pk"]["S"] for item in reply["Items"]) == [f"k{i:03d}" for i in range(10, 20)] + [
        "k499"
    ]


def test_limit_counts_items_read_before_the_filter(ddb, many):
    pages = all_pages(
        ddb.scan,
        TableName=many,
        Limit=40,
        FilterExpression="n >= :n",
        ExpressionAttributeValues={":n": {"N": "490"}},
    )
    assert all(page["ScannedCount"] <= 40 for page in pages)
    assert sum(page["ScannedCount"] for page in pages) == ITEMS
    assert sorted(keys_of(pages)) == [f"k{i}" for i in range(490, 500)]
    assert any(page["Count"] == 0 and "LastEvaluatedKey" in page for page in pages)


def test_projection_expression_returns_only_the_named_attributes(ddb, many):
    reply = ddb.scan(TableName=many, ProjectionExpression="#n", ExpressionAttributeNames={"#n": "n"}, Limit=5)
    assert len(reply["Items"]) == 5
    assert all(set(item) == {"n"} for item in reply["Items"])
    assert set(reply["LastEvaluatedKey"]) == {"pk"}


def test_select_count_returns_counts_only(ddb, many):
    reply = ddb.scan(
        TableName=many,
        Select="COUNT",
        FilterExpression="colour = :c",
        ExpressionAttributeValues={":c": {"S": "blue"}},
    )
    assert "Items" not in reply
    assert (reply["Count"], reply["ScannedCount"]) == (250, ITEMS)
    limited = ddb.scan(TableName=many, Select="COUNT", Limit=3)
    assert "Items" not in limited
    assert (limited["Count"], limited["ScannedCount"]) == (3, 3)
    assert "LastEvaluatedKey" in limited


@pytest.mark.parametrize(
    ("select", "projection", "message"),
    [
        (
            "SPECIFIC_ATTRIBUTES",
            None,
            "Must specify the AttributesToGet or ProjectionExpression when choosing to get"
            " SPECIFIC_ATTRIBUTES",
        ),
        (
            "ALL_ATTRIBUTES",
            "n",
            "Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES",
        ),
        ("COUNT", "n", "Cannot specify the ProjectionExpression when choosing to get only the Count"),
        (
            "ALL_PROJECTED_ATTRIBUTES",
            None,
            "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
        ),
    ],
)
def test_select_errors_come_bare_from_scan(ddb, many, select, projection, message):
    # moto's tests verified against AWS (test_dynamodb_select.py): unlike Query's, a Scan's come
    # without the "1 validation error detected: " envelope.
    params = {"ProjectionExpression": projection} if projection is not None else {}
    expect_error(ddb.scan, "ValidationException", message, TableName=many, Select=select, **params)


@pytest.mark.parametrize(
    "params",
    [
        {"FilterExpression": "attribute_exists(pk.b)"},
        {
            "FilterExpression": "#k[0] = :v",
            "ExpressionAttributeNames": {"#k": "pk"},
            "ExpressionAttributeValues": {":v": {"S": "a"}},
        },
        {"ProjectionExpression": "n, pk.x"},
    ],
)
def test_paths_into_a_key_attribute_are_refused(ddb, many, params):
    # dynalite's scan tests, recorded against AWS.
    expect_error(
        ddb.scan,
        "ValidationException",
        "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: pk",
        TableName=many,
        **params,
    )


@pytest.mark.parametrize(
    "start", [{}, {"pk": {"N": "1"}}, {"pk": {"S": "a"}, "sk": {"S": "a"}}, {"x": {"S": "a"}}]
)
def test_an_exclusive_start_key_that_does_not_match_the_schema_is_refused(ddb, many, start):
    expect_error(
        ddb.scan,
        "ValidationException",
        "The provided starting key is invalid: The provided key element does not match the schema",
        TableName=many,
        ExclusiveStartKey=start,
    )


def test_scan_on_a_missing_table_is_resource_not_found(ddb):
    expect_error(
        ddb.scan,
        "ResourceNotFoundException",
        "Requested resource not found",
        TableName=f"missing-{uuid.uuid4().hex[:8]}",
    )


# --- the 1 MB page and capacity ------------------------------------------------------------------

BIG_ITEMS = 40
BIG_DATA = 64 * 1024


@pytest.fixture(scope="module")
def big(ddb) -> Iterator[tuple[str, int]]:
    """~2.6 MB: 40 items of 64 KB, each in its own partition."""
    table = create_table(ddb, None)
    put_items(
        ddb, table, [{"pk": {"S": f"b{i:02d}"}, "data": {"S": "x" * BIG_DATA}} for i in range(BIG_ITEMS)]
    )
    yield table, len("pk") + len("b00") + len("data") + BIG_DATA
    ddb.delete_table(TableName=table)


def test_a_scan_page_holds_at_most_about_one_megabyte(ddb, big):
    # API Reference, Scan: "If the total size of scanned items exceeds the maximum dataset size limit
    # of 1 MB, the scan completes and results are returned to the user."
    table, size = big
    reply = ddb.scan(TableName=table, Limit=1000)
    assert 0 < reply["Count"] < BIG_ITEMS
    assert MiB - 2 * size <= reply["Count"] * size <= MiB + size
    assert reply["LastEvaluatedKey"] == {"pk": reply["Items"][-1]["pk"]}


def test_paging_past_one_megabyte_returns_every_item_exactly_once(ddb, big):
    table, _ = big
    pages = all_pages(ddb.scan, TableName=table, ProjectionExpression="pk")
    assert len(pages) >= 3
    assert sorted(keys_of(pages)) == [f"b{i:02d}" for i in range(BIG_ITEMS)]


def test_one_megabyte_ends_a_page_of_select_count_too(ddb, big):
    table, _ = big
    reply = ddb.scan(TableName=table, Select="COUNT")
    assert 0 < reply["ScannedCount"] < BIG_ITEMS
    assert "LastEvaluatedKey" in reply


@pytest.mark.parametrize(("consistent", "units"), [(True, 2.0), (False, 1.0)])
def test_scan_consumed_capacity_rounds_the_summed_size_up_to_4kb(ddb, table, consistent, units):
    # Developer Guide, "DynamoDB read and write operations": Scan, like Query, sums the sizes of the
    # items read and rounds up to 4 KB: 3 x 1.5 KB = 4.5 KB -> 8 KB -> 2 units, half when eventually
    # consistent. The filter does not lower the charge.
    put_items(
        ddb, table, [{"pk": {"S": "cap"}, "sk": {"S": str(i)}, "data": {"S": "x" * 1524}} for i in range(3)]
    )
    reply = ddb.scan(
        TableName=table,
        ConsistentRead=consistent,
        ReturnConsumedCapacity="TOTAL",
        FilterExpression="attribute_exists(nope)",
    )
    assert (reply["Count"], reply["ScannedCount"]) == (0, 3)
    assert reply["ConsumedCapacity"] == {"TableName": table, "CapacityUnits": units}

"""Time to live: UpdateTimeToLive, DescribeTimeToLive, and the sweeper that deletes expired items, on
servers started with `moatdb serve --ttl-interval`.

Sources, cited by each test:
- [guide]: Developer Guide, "Time to Live (TTL)": the attribute is a Number of epoch seconds; an
  attribute of another type is ignored; "Items with an expiration time older than five years in the
  past are not deleted"; "Items that have expired, but haven't yet been deleted by TTL, still appear
  in reads, queries, and scans".
- [api]: API Reference, UpdateTimeToLive and DescribeTimeToLive (the answer echoes the
  TimeToLiveSpecification; the TimeToLiveDescription's members).
- [sdk]: aws-sdk-java-v2's enhanced client integration tests, run against AWS: "TimeToLive is already
  enabled" when enabling twice, "TimeToLive is already disabled" when disabling what is off.
moatdb applies a change at once: its status is ENABLED or DISABLED, never ENABLING or DISABLING.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.conftest import Server, client_for, free_port
from tests.helpers import ACCOUNT, REGION, N, S, create_table, error, put_items, stored

SWEEP_SECONDS = "0.2"
FIVE_YEARS = 5 * 365 * 24 * 3600


@pytest.fixture(scope="module")
def sweeping(tmp_path_factory) -> Iterator[Server]:
    """A server whose sweeper passes every 0.2 s, with two workers sweeping side by side."""
    server = Server(tmp_path_factory.mktemp("ttl"), free_port(), workers=2,
                    options=("--ttl-interval", SWEEP_SECONDS)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def idle(tmp_path_factory) -> Iterator[Server]:
    """A server whose sweeper waits an hour between passes: nothing expires under a test's eyes."""
    server = Server(tmp_path_factory.mktemp("ttl-idle"), free_port(), options=("--ttl-interval", "3600")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def fast(sweeping):
    return client_for(sweeping.endpoint)


@pytest.fixture(scope="module")
def slow(idle):
    return client_for(idle.endpoint)


def enable(ddb, table: str, attribute: str = "expires") -> dict:
    return ddb.update_time_to_live(TableName=table,
                                   TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute})


def wait_until_gone(ddb, table: str, key: dict, deadline: float = 30) -> None:
    """Poll until the item under ``key`` is deleted; fails if it is still there after ``deadline`` s."""
    end = time.monotonic() + deadline
    while stored(ddb, table, key) is not None:
        assert time.monotonic() < end, f"{key} was not deleted by the sweeper within {deadline} s"
        time.sleep(0.1)


def test_a_new_table_has_time_to_live_disabled(slow):
    table = create_table(slow)

    assert slow.describe_time_to_live(TableName=table)["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}


def test_enabling_answers_the_specification_and_describe_reports_it(slow):
    # [api]
    table = create_table(slow)

    reply = enable(slow, table)

    assert reply["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expires"}
    assert slow.describe_time_to_live(TableName=table)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}


def test_enabling_twice_or_disabling_what_is_off_is_refused(slow):
    # [sdk]
    table = create_table(slow)
    off = {"Enabled": False, "AttributeName": "expires"}
    assert error(slow.update_time_to_live, TableName=table, TimeToLiveSpecification=off) == (
        "ValidationException", "TimeToLive is already disabled", 400)
    enable(slow, table)

    assert error(enable, slow, table) == ("ValidationException", "TimeToLive is already enabled", 400)
    # Wording assumed for another attribute (as DynamoDB emulators word it).
    assert error(enable, slow, table, "other") == (
        "ValidationException",
        "TimeToLive is active on a different AttributeName: current value of AttributeName is expires", 400)
    slow.update_time_to_live(TableName=table, TimeToLiveSpecification=off)
    assert slow.describe_time_to_live(TableName=table)["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}
    enable(slow, table, "other")  # disabled, it may be enabled on another attribute


def test_time_to_live_on_a_table_that_does_not_exist_is_not_found(slow):
    assert error(slow.describe_time_to_live, TableName="nothing-here") == (
        "ResourceNotFoundException", "Requested resource not found: Table: nothing-here not found", 400)
    assert error(enable, slow, "nothing-here")[0] == "ResourceNotFoundException"


def test_an_attribute_name_out_of_the_models_bounds_is_refused(slow):
    table = create_table(slow)

    assert error(enable, slow, table, "a" * 256) == (
        "ValidationException", "1 validation error detected: Value '" + "a" * 256 + "' at"
        " 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length less"
        " than or equal to 255", 400)


def test_expired_items_not_yet_swept_are_still_read(slow):
    # [guide]: expired, not yet deleted, still in reads, queries and scans.
    table = create_table(slow)
    enable(slow, table)
    key = {"pk": S("gone"), "sk": S("soon")}
    slow.put_item(TableName=table, Item={**key, "expires": N(str(int(time.time()) - 60))})

    assert stored(slow, table, key) is not None
    assert slow.query(TableName=table, KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": S("gone")})["Count"] == 1
    assert slow.scan(TableName=table)["Count"] == 1


def test_the_sweeper_deletes_expired_items_and_only_those(fast):
    # [guide]: a Number of epoch seconds in the past, not more than five years in the past.
    table = create_table(fast)
    enable(fast, table)
    now = int(time.time())
    expired = {"pk": S("expired"), "sk": S("1")}
    kept = {
        "future": N(str(now + 3600)),
        "ancient": N(str(now - FIVE_YEARS - 86400)),  # older than five years: never deleted
        "string": S(str(now - 60)),  # not a Number: ignored
        "set": {"NS": [str(now - 60)]},
    }
    put_items(fast, table, [{**expired, "expires": N(f"{now - 60}.5")},
                            *({"pk": S(name), "sk": S("1"), "expires": value} for name, value in kept.items()),
                            {"pk": S("no-attribute"), "sk": S("1")}])

    wait_until_gone(fast, table, expired)

    assert sorted(item["pk"]["S"] for item in fast.scan(TableName=table, ConsistentRead=True)["Items"]) == sorted(
        [*kept, "no-attribute"])


def test_two_workers_sweep_many_items_side_by_side(fast):
    table = create_table(fast)
    enable(fast, table, "ttl")
    past = str(int(time.time()) - 10)
    put_items(fast, table, [{"pk": S(f"p{i % 7}"), "sk": S(f"s{i}"), "ttl": N(past)} for i in range(300)])
    put_items(fast, table, [{"pk": S("stays"), "sk": S("s")}])

    wait_until_gone(fast, table, {"pk": S("p6"), "sk": S("s299")})
    end = time.monotonic() + 30
    while fast.scan(TableName=table, Select="COUNT")["Count"] > 1:
        assert time.monotonic() < end, "the sweepers did not delete every expired item within 30 s"
        time.sleep(0.1)

    assert fast.scan(TableName=table)["Items"] == [{"pk": S("stays"), "sk": S("s")}]


def test_a_table_whose_time_to_live_is_disabled_keeps_its_expired_items(fast):
    table = create_table(fast)
    enable(fast, table)
    fast.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": False, "AttributeName": "expires"})
    key = {"pk": S("old"), "sk": S("1")}
    fast.put_item(TableName=table, Item={**key, "expires": N(str(int(time.time()) - 60))})
    # Two items expired in a table that sweeps: once the second is gone, a whole pass began after the
    # first item was written, and so has been through the disabled table too.
    sentinel = create_table(fast)
    enable(fast, sentinel)
    for mark in ("first", "second"):
        fast.put_item(TableName=sentinel, Item={"pk": S(mark), "sk": S("1"), "expires": N(str(int(time.time()) - 60))})
        wait_until_gone(fast, sentinel, {"pk": S(mark), "sk": S("1")})

    assert stored(fast, table, key) is not None


def test_deleting_a_table_with_time_to_live_leaves_the_sweeper_working(fast):
    doomed = create_table(fast)
    enable(fast, doomed)
    fast.put_item(TableName=doomed, Item={"pk": S("x"), "sk": S("1"), "expires": N(str(int(time.time()) - 60))})
    fast.delete_table(TableName=doomed)
    table = create_table(fast)
    enable(fast, table)
    key = {"pk": S("y"), "sk": S("1")}
    fast.put_item(TableName=table, Item={**key, "expires": N(str(int(time.time()) - 60))})

    wait_until_gone(fast, table, key)


def test_the_table_arn_names_the_table_for_time_to_live(slow):
    table = create_table(slow)
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"

    enable(slow, arn)

    assert slow.describe_time_to_live(TableName=table)["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"

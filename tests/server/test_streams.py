"""DynamoDB Streams: StreamSpecification on CreateTable and UpdateTable, the record of every change,
and the Streams API (ListStreams, DescribeStream, GetShardIterator, GetRecords) through boto3's
``dynamodbstreams`` client, authorized with DynamoDB's actions and the stream's resource policy.

Sources, cited by each test:
- [api]: DynamoDB Streams API Reference (ListStreams, DescribeStream, GetShardIterator, GetRecords,
  Record, StreamRecord; the error types and GetRecords' documented messages).
- [guide]: Developer Guide, "Change data capture for DynamoDB Streams" (24-hour retention, a disabled
  stream readable for 24 hours, a re-enabled stream is a new one with a new label).
- [quirks DDB-TABLE-442]: ack-api-quirks, services/dynamodb, ValidationException catalogue verified
  against live AWS in 2026 (StreamSpecification messages).
- [alternator]: scylladb/scylladb test/alternator/test_streams.py, whose tests run against AWS
  (no record for a write that changes nothing, no NextShardIterator at the end of a closed shard,
  Limit 1001 refused, the images of each view type).
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from moatdb.auth.directory import USER
from moatdb.services.dynamodb import streams as records
from moatdb.services.dynamodb.catalog import Catalog
from moatdb.storage.sqlite import SqliteStore
from tests import helpers
from tests.conftest import Server, aws_cli_env, client_for, free_port
from tests.helpers import ACCOUNT, INVALID, REGION, S, allow, create_table, error, invalid, new_user, policy

HASH = {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST"}
OTHER_ACCOUNT = "444455556666"


@pytest.fixture(scope="module")
def streams(server):
    return client_for(server.endpoint, "dynamodbstreams")


@pytest.fixture
def make_streamed(ddb) -> Iterator:
    """Creates hash-keyed tables with a stream of the view type given; deletes them at the end."""
    created: list[str] = []

    def make(view_type: str = "NEW_AND_OLD_IMAGES") -> tuple[str, str]:
        name = f"st-{uuid.uuid4().hex[:10]}"
        reply = ddb.create_table(TableName=name, **HASH,
                                 StreamSpecification={"StreamEnabled": True, "StreamViewType": view_type})
        created.append(name)
        return name, reply["TableDescription"]["LatestStreamArn"]

    yield make
    for name in created:
        ddb.delete_table(TableName=name)


def shard_of(streams, arn: str) -> str:
    return streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]


def iterator(streams, arn: str, kind: str = "TRIM_HORIZON", **extra) -> str:
    return streams.get_shard_iterator(StreamArn=arn, ShardId=shard_of(streams, arn), ShardIteratorType=kind,
                                      **extra)["ShardIterator"]


def read_all(streams, arn: str, kind: str = "TRIM_HORIZON", **extra) -> list[dict]:
    return streams.get_records(ShardIterator=iterator(streams, arn, kind, **extra))["Records"]


def changes(streams, arn: str) -> list[tuple]:
    """(eventName, Keys, OldImage, NewImage) of every record of the stream, oldest first."""
    return [(r["eventName"], r["dynamodb"]["Keys"], r["dynamodb"].get("OldImage"), r["dynamodb"].get("NewImage"))
            for r in read_all(streams, arn)]


# --- StreamSpecification --------------------------------------------------------------------------------


def test_a_table_created_with_a_stream_describes_it_and_lists_it(ddb, streams, make_streamed):
    # [alternator] test_latest_stream_arn / _label / test_stream_specification: CreateTable and
    # DescribeTable show StreamSpecification, LatestStreamArn and LatestStreamLabel, as ListStreams does.
    name, arn = make_streamed("KEYS_ONLY")
    table = ddb.describe_table(TableName=name)["Table"]
    label = table["LatestStreamLabel"]

    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    assert table["LatestStreamArn"] == arn == f"{table['TableArn']}/stream/{label}"
    assert streams.list_streams(TableName=name)["Streams"] == [
        {"StreamArn": arn, "TableName": name, "StreamLabel": label}]
    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert {key: description[key] for key in ("StreamArn", "StreamLabel", "StreamStatus", "StreamViewType",
                                               "TableName", "KeySchema")} == {
        "StreamArn": arn, "StreamLabel": label, "StreamStatus": "ENABLED", "StreamViewType": "KEYS_ONLY",
        "TableName": name, "KeySchema": HASH["KeySchema"]}
    assert "CreationRequestDateTime" in description
    (shard,) = description["Shards"]
    # [api] SequenceNumber: 21 to 40 characters; [alternator] test_describe_stream: numeric only.
    assert shard["SequenceNumberRange"]["StartingSequenceNumber"].isdecimal()
    assert "EndingSequenceNumber" not in shard["SequenceNumberRange"]


@pytest.mark.parametrize(("specification", "message"), [
    ({"StreamEnabled": True}, "Table is being created with a stream enabled, UpdateViewType is required"),
    ({"StreamEnabled": False, "StreamViewType": "KEYS_ONLY"},
     "Table is being created with a stream disabled, UpdateViewType should not be specified"),
])
def test_create_table_refuses_a_stream_specification_dynamodb_refuses(ddb, table_name, specification, message):
    # [quirks DDB-TABLE-442]
    assert error(ddb.create_table, TableName=table_name, **HASH, StreamSpecification=specification) == invalid(
        INVALID + message)


def test_a_table_created_with_its_stream_disabled_has_none(ddb, streams, hash_table):
    reply = ddb.update_table(TableName=hash_table, BillingMode="PAY_PER_REQUEST")["TableDescription"]
    assert "LatestStreamArn" not in reply
    assert streams.list_streams(TableName=hash_table)["Streams"] == []


@pytest.mark.parametrize(("specification", "message"), [
    ({"StreamEnabled": True}, INVALID + "If stream is being enabled then UpdateViewType is required"),
    ({"StreamEnabled": False, "StreamViewType": "KEYS_ONLY"},
     INVALID + "If stream is being disabled, then UpdateViewType must not be specified"),
])
def test_update_table_refuses_a_stream_specification_dynamodb_refuses(ddb, hash_table, specification, message):
    # [quirks DDB-TABLE-442]
    assert error(ddb.update_table, TableName=hash_table, StreamSpecification=specification) == invalid(message)


def test_a_stream_cannot_be_enabled_twice_nor_disabled_when_there_is_none(ddb, hash_table):
    # [quirks DDB-TABLE-442]: "Table already has an enabled stream: TableName: <TBL>", "Table has no
    # stream to disable: TableName: <TBL>"; [alternator] test_streams_change_type: not even to change
    # the view type.
    assert error(ddb.update_table, TableName=hash_table, StreamSpecification={"StreamEnabled": False}) == invalid(
        f"Table has no stream to disable: TableName: {hash_table}")
    ddb.update_table(TableName=hash_table, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    assert error(ddb.update_table, TableName=hash_table,
                 StreamSpecification={"StreamEnabled": True, "StreamViewType": "OLD_IMAGE"}) == invalid(
        f"Table already has an enabled stream: TableName: {hash_table}")


def test_a_stream_change_cannot_travel_with_a_throughput_change(ddb, table_name):
    # [quirks DDB-TABLE-442]: "You cannot modify stream status while updating table IOPS".
    create_table(ddb, name=table_name)
    try:
        assert error(ddb.update_table, TableName=table_name,
                     ProvisionedThroughput={"ReadCapacityUnits": 7, "WriteCapacityUnits": 7},
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}) == invalid(
            INVALID + "You cannot modify stream status while updating table IOPS")
    finally:
        ddb.delete_table(TableName=table_name)


def test_disabling_keeps_the_stream_readable_and_enabling_again_makes_a_new_one(ddb, streams, make_streamed):
    # [guide]: "If you disable a stream, any shards that are still open will be closed. The data in the
    # stream will continue to be readable for 24 hours"; "the new stream has a different stream
    # descriptor (label)". [alternator] test_streams_disabled_stream, test_streams_closed_read.
    name, first = make_streamed("KEYS_ONLY")
    ddb.put_item(TableName=name, Item={"pk": S("a")})
    reading = iterator(streams, first)

    disabled = ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})["TableDescription"]
    ddb.put_item(TableName=name, Item={"pk": S("not recorded")})

    assert disabled["LatestStreamArn"] == first
    assert disabled["StreamSpecification"]["StreamEnabled"] is False
    description = streams.describe_stream(StreamArn=first)["StreamDescription"]
    assert description["StreamStatus"] == "DISABLED"
    assert description["Shards"][0]["SequenceNumberRange"]["EndingSequenceNumber"].isdecimal()
    read = streams.get_records(ShardIterator=reading)
    assert [r["dynamodb"]["Keys"] for r in read["Records"]] == [{"pk": S("a")}]
    assert "NextShardIterator" not in read  # the closed shard is read to its end

    second = ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True,
                                                                    "StreamViewType": "NEW_IMAGE"})
    second = second["TableDescription"]["LatestStreamArn"]
    ddb.put_item(TableName=name, Item={"pk": S("b")})

    assert second != first
    assert {s["StreamArn"] for s in streams.list_streams(TableName=name)["Streams"]} == {first, second}
    assert [r["dynamodb"]["NewImage"] for r in read_all(streams, second)] == [{"pk": S("b")}]
    assert len(read_all(streams, first)) == 1


# --- records --------------------------------------------------------------------------------------------


def test_every_change_is_recorded_once_and_a_write_that_changes_nothing_is_not(ddb, streams, make_streamed):
    # [alternator] do_updates_1 (run against AWS): a put of the same item again and a delete of a
    # missing item do not appear; a new item is an INSERT, a changed one a MODIFY, a deleted one a REMOVE.
    name, arn = make_streamed("NEW_AND_OLD_IMAGES")
    key = {"pk": S("k")}
    ddb.put_item(TableName=name, Item={**key, "x": {"N": "2"}})
    ddb.put_item(TableName=name, Item={**key, "x": {"N": "2"}})
    ddb.put_item(TableName=name, Item={**key, "y": {"N": "3"}})
    ddb.delete_item(TableName=name, Key=key)
    ddb.delete_item(TableName=name, Key=key)
    ddb.update_item(TableName=name, Key=key, UpdateExpression="SET b = :v", ExpressionAttributeValues={":v": S("4")})
    ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {**key, "x": {"N": "5"}}}}]})

    assert changes(streams, arn) == [
        ("INSERT", key, None, {**key, "x": {"N": "2"}}),
        ("MODIFY", key, {**key, "x": {"N": "2"}}, {**key, "y": {"N": "3"}}),
        ("REMOVE", key, {**key, "y": {"N": "3"}}, None),
        ("INSERT", key, None, {**key, "b": S("4")}),
        ("MODIFY", key, {**key, "b": S("4")}, {**key, "x": {"N": "5"}}),
    ]


@pytest.mark.parametrize(("view_type", "old", "new"), [
    ("KEYS_ONLY", False, False), ("NEW_IMAGE", False, True), ("OLD_IMAGE", True, False),
    ("NEW_AND_OLD_IMAGES", True, True),
])
def test_a_record_carries_the_images_its_view_type_names(ddb, streams, make_streamed, view_type, old, new):
    # [api] StreamRecord; StreamViewType: "KEYS_ONLY - only the key attributes of the modified item ...".
    name, arn = make_streamed(view_type)
    ddb.put_item(TableName=name, Item={"pk": S("k"), "v": S("one")})
    ddb.put_item(TableName=name, Item={"pk": S("k"), "v": S("two")})

    record = read_all(streams, arn)[1]["dynamodb"]
    assert record["Keys"] == {"pk": S("k")}
    assert record["StreamViewType"] == view_type
    assert ("OldImage" in record, "NewImage" in record) == (old, new)
    # [api] GetRecords example: SizeBytes 41 for Keys {"ForumName": "DynamoDB", "Subject": "DynamoDB
    # Thread 3"} alone, the item size of what the record holds (here 3 for the keys, 7 for an image).
    assert record["SizeBytes"] == 3 + (7 if old else 0) + (7 if new else 0)


def test_a_record_has_the_fields_aws_gives_and_sequence_numbers_increase(ddb, streams, make_streamed):
    # [api] Record: eventID, eventName, eventVersion, eventSource "aws:dynamodb", awsRegion, dynamodb;
    # SequenceNumber: numeric strings of 21 to 40 characters; [alternator] test_streams_after_sequence_number:
    # comparable as integers, increasing.
    name, arn = make_streamed("KEYS_ONLY")
    for index in range(3):
        ddb.put_item(TableName=name, Item={"pk": S(str(index))})

    found = read_all(streams, arn)
    assert [set(r) for r in found] == [{"eventID", "eventName", "eventVersion", "eventSource", "awsRegion",
                                        "dynamodb"}] * 3
    assert {(r["eventVersion"], r["eventSource"], r["awsRegion"]) for r in found} == {
        ("1.1", "aws:dynamodb", REGION)}
    assert len({r["eventID"] for r in found}) == 3
    numbers = [r["dynamodb"]["SequenceNumber"] for r in found]
    assert all(n.isdecimal() and 21 <= len(n) <= 40 for n in numbers)
    assert [int(n) for n in numbers] == sorted({int(n) for n in numbers})
    assert all("ApproximateCreationDateTime" in r["dynamodb"] for r in found)


def test_two_workers_writing_at_once_record_every_change_in_order_and_it_survives_kill_minus_nine(tmp_path):
    # common.md: acknowledged writes survive kill -9; a record is written in the change's own
    # transaction. [api] sequence numbers increase within a shard, whichever worker wrote.
    server = Server(tmp_path / "data", free_port(), 2).start()
    try:
        ddb = client_for(server.endpoint)
        arn = ddb.create_table(TableName="crash", **HASH, StreamSpecification={
            "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})["TableDescription"]["LatestStreamArn"]

        def writer(prefix: str) -> None:
            client = client_for(server.endpoint)
            for index in range(40):
                client.put_item(TableName="crash", Item={"pk": S(f"{prefix}{index}")})

        threads = [threading.Thread(target=writer, args=(prefix,)) for prefix in "ab"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        server.kill()
    finally:
        server.stop()
    server = Server(tmp_path / "data", free_port(), 1).start()
    try:
        streams = client_for(server.endpoint, "dynamodbstreams")
        found = read_all(streams, arn)
    finally:
        server.stop()

    assert sorted(r["dynamodb"]["Keys"]["pk"]["S"] for r in found) == sorted(
        f"{prefix}{index}" for prefix in "ab" for index in range(40))
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in found]
    assert numbers == sorted(set(numbers))
    for prefix in "ab":  # each writer's changes in the order it made them
        mine = [int(r["dynamodb"]["Keys"]["pk"]["S"][1:]) for r in found if r["dynamodb"]["Keys"]["pk"]["S"][0] == prefix]
        assert mine == list(range(40))


# --- GetShardIterator and GetRecords --------------------------------------------------------------------


def test_every_iterator_type_starts_where_the_api_reference_says(ddb, streams, make_streamed):
    # [api] GetShardIterator: TRIM_HORIZON the oldest record, LATEST just after the most recent,
    # AT_SEQUENCE_NUMBER at, AFTER_SEQUENCE_NUMBER right after the record of that number.
    name, arn = make_streamed("KEYS_ONLY")
    for key in "abc":
        ddb.put_item(TableName=name, Item={"pk": S(key)})
    numbers = [r["dynamodb"]["SequenceNumber"] for r in read_all(streams, arn)]

    def keys(kind, **extra):
        return [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_all(streams, arn, kind, **extra)]

    assert keys("TRIM_HORIZON") == ["a", "b", "c"]
    assert keys("AT_SEQUENCE_NUMBER", SequenceNumber=numbers[1]) == ["b", "c"]
    assert keys("AFTER_SEQUENCE_NUMBER", SequenceNumber=numbers[1]) == ["c"]
    latest = iterator(streams, arn, "LATEST")
    assert streams.get_records(ShardIterator=latest)["Records"] == []
    ddb.put_item(TableName=name, Item={"pk": S("d")})
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in streams.get_records(ShardIterator=latest)["Records"]] == ["d"]


def test_an_at_timestamp_iterator_starts_at_the_first_record_of_that_time(ddb, streams, make_streamed):
    # [api] GetShardIterator, Timestamp: "The iterator points to the first stream record whose
    # ApproximateCreationDateTime is at or after the specified timestamp ... If the timestamp is in the
    # future, the request returns a ValidationException."
    name, arn = make_streamed("KEYS_ONLY")
    ddb.put_item(TableName=name, Item={"pk": S("a")})
    since = read_all(streams, arn)[0]["dynamodb"]["ApproximateCreationDateTime"]

    assert [r["dynamodb"]["Keys"] for r in read_all(streams, arn, "AT_TIMESTAMP", Timestamp=since)] == [
        {"pk": S("a")}]
    assert error(streams.get_shard_iterator, StreamArn=arn, ShardId=shard_of(streams, arn),
                 ShardIteratorType="AT_TIMESTAMP", Timestamp=time.time() + 3600)[0] == "ValidationException"


def test_next_shard_iterator_pages_through_the_shard_by_limit(ddb, streams, make_streamed):
    # [api] GetRecords: Limit, NextShardIterator; an open shard always gives a next iterator, and a
    # read past the end is empty ([alternator] test_streams_last_result).
    name, arn = make_streamed("KEYS_ONLY")
    for index in range(5):
        ddb.put_item(TableName=name, Item={"pk": S(str(index))})
    position, seen = iterator(streams, arn), []
    for _ in range(4):
        page = streams.get_records(ShardIterator=position, Limit=2)
        seen.append([r["dynamodb"]["Keys"]["pk"]["S"] for r in page["Records"]])
        position = page["NextShardIterator"]
    assert seen == [["0", "1"], ["2", "3"], ["4"], []]


def test_get_records_limit_is_at_most_1000(ddb, streams, make_streamed):
    # [api] GetRecords Limit: "The upper limit is 1000"; [alternator] test_get_records_too_high_limit
    # (AWS: ValidationException naming the limit; Coral's wording assumed).
    name, arn = make_streamed("KEYS_ONLY")
    position = iterator(streams, arn)
    assert streams.get_records(ShardIterator=position, Limit=1000)["Records"] == []
    assert error(streams.get_records, ShardIterator=position, Limit=1001) == invalid(
        "1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: Member must have"
        " value less than or equal to 1000")


def test_iterator_arguments_are_checked(ddb, streams, make_streamed):
    # [alternator] test_get_shard_iterator (against AWS): a sequence-number type needs a SequenceNumber,
    # TRIM_HORIZON and LATEST take none, a malformed one is refused, an unknown shard is not found.
    # Wordings assumed.
    name, arn = make_streamed("KEYS_ONLY")
    shard = shard_of(streams, arn)
    sequence = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0][
        "SequenceNumberRange"]["StartingSequenceNumber"]
    call = streams.get_shard_iterator
    assert error(call, StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER")[0] == \
        "ValidationException"
    assert error(call, StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST", SequenceNumber=sequence)[0] == \
        "ValidationException"
    assert error(call, StreamArn=arn, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                 SequenceNumber="x" * 21)[0] == "ValidationException"
    assert error(call, StreamArn=arn, ShardId="shardId-00000000000000000000-00000000",
                 ShardIteratorType="LATEST")[0] == "ResourceNotFoundException"
    # The shard's first number is good for AT_SEQUENCE_NUMBER even before any record ([alternator]
    # test_get_shard_iterator).
    assert call(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=sequence)


def test_a_shard_iterator_not_issued_here_is_refused(streams):
    # [alternator] test_get_records_nonexistent_iterator (AWS: ValidationException; wording assumed).
    assert error(streams.get_records, ShardIterator="sdfsdfsgagaddafgagasgasgasdfasdfasdfasdf") == invalid(
        "Invalid ShardIterator")


def test_an_iterator_older_than_15_minutes_has_expired(ddb, streams, make_streamed):
    # [api] GetRecords, ExpiredIteratorException: "A shard iterator expires 15 minutes after it is
    # retrieved", message "The provided iterator exceeds the maximum age allowed." The iterator is
    # aged by rewriting the time it carries (its form is moatdb's, docs/streams.md).
    name, arn = make_streamed("KEYS_ONLY")
    prefix, version, token = iterator(streams, arn).split("|")
    shard, position, issued = orjson.loads(base64.urlsafe_b64decode(token))
    aged = base64.urlsafe_b64encode(orjson.dumps([shard, position, issued - 16 * 60 * 1000])).decode()

    assert error(streams.get_records, ShardIterator=f"{prefix}|{version}|{aged}") == (
        "ExpiredIteratorException", "The provided iterator exceeds the maximum age allowed.", 400)


def test_malformed_requests_get_the_error_aws_would_give_never_a_server_error(server, ddb, make_streamed):
    # common.md: bad input yields AWS's error, never a 500. Each of these passes botocore's model.
    name, arn = make_streamed("KEYS_ONLY")
    raw = client_for(server.endpoint, "dynamodbstreams", parameter_validation=False)
    prefix = iterator(streams_client := client_for(server.endpoint, "dynamodbstreams"), arn).split("|")[0]
    shard = shard_of(streams_client, arn)

    def forged(payload: object) -> str:
        return f"{prefix}|1|{base64.urlsafe_b64encode(orjson.dumps(payload)).decode()}"

    for position in (forged([shard, -5, int(time.time() * 1000)]), forged({"a": 1, "b": 2, "c": 3}),
                     forged([shard, 1 << 62, int(time.time() * 1000)]), f"{prefix}|1|%%%", f"{prefix}|2|x",
                     "|||", forged(["shardId-x", 0, int(time.time() * 1000)])):
        code, _, status = error(raw.get_records, ShardIterator=position)
        assert status == 400 and code in ("ValidationException", "TrimmedDataAccessException"), position
    for sequence in ("0" * 21, "9" * 40, "1" * 21):
        code, _, status = error(raw.get_shard_iterator, StreamArn=arn, ShardId=shard,
                                ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=sequence)
        assert (code, status) == ("ValidationException", 400)
    assert error(raw.describe_stream, StreamArn=arn + "x" * 1100)[0] == "ValidationException"
    assert error(raw.list_streams, ExclusiveStartStreamArn="x" * 40)[0] == "ValidationException"


# --- ListStreams and DescribeStream ---------------------------------------------------------------------


def test_list_streams_pages_by_limit_and_exclusive_start(ddb, streams, make_streamed):
    # [api] ListStreams: Limit, ExclusiveStartStreamArn, LastEvaluatedStreamArn.
    made = {make_streamed("KEYS_ONLY")[1] for _ in range(3)}
    seen, start = [], {}
    for _ in range(100):
        page = streams.list_streams(Limit=1, **start)
        seen.extend(s["StreamArn"] for s in page["Streams"])
        if "LastEvaluatedStreamArn" not in page:
            break
        start = {"ExclusiveStartStreamArn": page["LastEvaluatedStreamArn"]}
    assert made <= set(seen)
    assert len(seen) == len(set(seen))


def test_list_streams_limit_is_at_most_100(streams):
    # [api] ListStreams Limit: "The upper limit is 100"; [alternator] test_list_streams_too_high_limit
    # (AWS: ValidationException; Coral's wording assumed).
    assert error(streams.list_streams, Limit=101) == invalid(
        "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: Member must have"
        " value less than or equal to 100")


def test_the_aws_cli_reads_a_stream(server, make_streamed, ddb):
    # The AWS CLI's dynamodbstreams commands, pointed at the server as a user would (AWS_ENDPOINT_URL).
    name, arn = make_streamed("NEW_IMAGE")
    ddb.put_item(TableName=name, Item={"pk": S("cli")})

    def aws(*args: str) -> dict:
        done = subprocess.run([str(Path(sys.executable).parent / "aws"), "dynamodbstreams", *args, "--output",
                               "json"], capture_output=True, text=True, env=aws_cli_env(server.endpoint), timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert arn in {s["StreamArn"] for s in aws("list-streams", "--table-name", name)["Streams"]}
    shard = aws("describe-stream", "--stream-arn", arn)["StreamDescription"]["Shards"][0]["ShardId"]
    position = aws("get-shard-iterator", "--stream-arn", arn, "--shard-id", shard,
                   "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]
    assert [r["dynamodb"]["NewImage"] for r in aws("get-records", "--shard-iterator", position)["Records"]] == [
        {"pk": S("cli")}]


def test_a_stream_arn_that_names_no_stream(streams, hash_table):
    # [alternator] test_describe_nonexistent_stream: a malformed ARN is a ValidationException on AWS;
    # a well-formed one naming no stream is not found (wordings assumed).
    assert error(streams.describe_stream, StreamArn="sdfadfsdfnlfkajakfgjalksfgklasjklasdjfklasdfasdfgasf")[0] == \
        "ValidationException"
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{hash_table}/stream/2024-01-01T00:00:00.000"
    assert error(streams.describe_stream, StreamArn=arn) == (
        "ResourceNotFoundException", f"Requested resource not found: Stream: {arn} not found", 400)


def test_a_deleted_tables_stream_stays_readable(ddb, streams, table_name):
    # [guide]: a stream's records stay readable 24 hours after the stream is disabled, as deleting the
    # table does ("If you delete a table, its stream ... remains readable for 24 hours" is moatdb's
    # reading; docs/streams.md).
    arn = ddb.create_table(TableName=table_name, **HASH, StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})["TableDescription"]["LatestStreamArn"]
    ddb.put_item(TableName=table_name, Item={"pk": S("kept")})
    ddb.delete_table(TableName=table_name)

    assert streams.describe_stream(StreamArn=arn)["StreamDescription"]["StreamStatus"] == "DISABLED"
    assert [r["dynamodb"]["NewImage"] for r in read_all(streams, arn)] == [{"pk": S("kept")}]
    assert arn in {s["StreamArn"] for s in streams.list_streams(TableName=table_name)["Streams"]}


# --- authorization --------------------------------------------------------------------------------------


def test_the_stream_actions_are_authorized_on_the_streams_arn(server, ddb, make_streamed):
    # Service Authorization Reference, DynamoDB: DescribeStream, GetShardIterator and GetRecords act on
    # the stream resource type ("arn:...:table/T/stream/LABEL").
    name, arn = make_streamed("KEYS_ONLY")
    reader = new_user(server, policy(allow(["dynamodb:DescribeStream", "dynamodb:GetShardIterator"], arn)))
    client = client_for(server.endpoint, "dynamodbstreams", credentials=reader.credentials)

    assert client.describe_stream(StreamArn=arn)["StreamDescription"]["StreamArn"] == arn
    position = iterator(client, arn)
    assert error(client.get_records, ShardIterator=position) == (
        "AccessDeniedException", f"User: {reader.arn} is not authorized to perform: dynamodb:GetRecords on"
        f" resource: {arn} because no identity-based policy allows the dynamodb:GetRecords action", 400)


def test_a_stream_policy_lets_another_account_read_the_stream(server, ddb, make_streamed):
    # Developer Guide, "Cross-account access with resource-based policies": a stream's policy can grant
    # another account DescribeStream, GetShardIterator and GetRecords; across accounts both the
    # identity policy and the stream's must allow (IAM User Guide, cross-account evaluation).
    name, arn = make_streamed("NEW_IMAGE")
    ddb.put_item(TableName=name, Item={"pk": S("shared")})
    actions = ["dynamodb:DescribeStream", "dynamodb:GetShardIterator", "dynamodb:GetRecords"]
    with helpers.directory_of(server) as directory:
        if directory.account(OTHER_ACCOUNT) is None:
            directory.create_account(OTHER_ACCOUNT, "other")
        user_name = f"o-{uuid.uuid4().hex[:10]}"
        user = directory.create_user(OTHER_ACCOUNT, user_name)
        directory.put_inline_policy(USER, OTHER_ACCOUNT, user_name, "p0", policy(allow(actions, arn)))
        key = directory.create_access_key(OTHER_ACCOUNT, user_name)
    client = client_for(server.endpoint, "dynamodbstreams", credentials=(key.id, key.secret))

    assert error(client.describe_stream, StreamArn=arn)[0] == "AccessDeniedException"
    ddb.put_resource_policy(ResourceArn=arn, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": user.arn}, "Action": actions, "Resource": arn}]}))

    assert ddb.get_resource_policy(ResourceArn=arn)["Policy"]
    assert [r["dynamodb"]["NewImage"] for r in read_all(client, arn)] == [{"pk": S("shared")}]


def test_a_stream_policy_governs_the_policy_operations_on_the_stream(server, ddb, make_streamed):
    # API Reference, PutResourcePolicy: a stream's policy is the stream's own resource-based policy, so
    # it takes part in every request on the stream's ARN, GetResourcePolicy included (here it denies it,
    # the caller having confirmed it may lose that access).
    name, arn = make_streamed("KEYS_ONLY")
    ddb.put_resource_policy(ResourceArn=arn, ConfirmRemoveSelfResourceAccess=True, Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "dynamodb:GetResourcePolicy", "Resource": arn}]}))

    assert error(ddb.get_resource_policy, ResourceArn=arn) == (
        "AccessDeniedException", f"User: {helpers.TESTER_ARN} is not authorized to perform:"
        f" dynamodb:GetResourcePolicy on resource: {arn} with an explicit deny in a resource-based policy", 400)
    ddb.delete_resource_policy(ResourceArn=arn)
    assert error(ddb.get_resource_policy, ResourceArn=arn)[0] == "PolicyNotFoundException"


# --- retention, on the store itself (24 hours cannot pass in a test) ---------------------------------------


DAY = 24 * 3600


@pytest.fixture
def stored_table(tmp_path):
    """A store holding one table with a KEYS_ONLY stream enabled a day and more ago."""
    store = SqliteStore(tmp_path / "db.sqlite3")
    address = (ACCOUNT, REGION, "kept")
    description = {"TableName": "kept", "KeySchema": HASH["KeySchema"],
                   "AttributeDefinitions": HASH["AttributeDefinitions"],
                   "TableArn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/kept"}
    with store.write() as txn:
        table = Catalog.create_in(txn, address, description)
        stream = records.enable(txn, table, "KEYS_ONLY", NOW - 2 * DAY)
        Catalog.save_in(txn, address, table)
    yield store, table, stream
    store.close()


NOW = 1_800_000_000.0


def write(store, table, key: str, at: float, *, by_service: bool = False) -> None:
    with store.write() as txn:
        records.record(txn, table, None, {"pk": S(key)}, by_service, at)


def test_records_older_than_24_hours_are_trimmed_by_the_next_write(stored_table):
    # [guide]: "Stream records ... are automatically removed after 24 hours"; [api]
    # TrimmedDataAccessException: an iterator reaching a trimmed record.
    store, table, stream = stored_table
    write(store, table, "old-1", NOW - DAY - 60)
    write(store, table, "old-2", NOW - DAY - 30)
    write(store, table, "new", NOW)

    reader = store.read()
    assert records.shard_state(reader, stream)["trimmed"] == 2
    assert records.read(reader, stream, 0, 100, 1 << 20, NOW) is None
    horizon = records.horizon(reader, stream, NOW)
    found, position = records.read(reader, stream, horizon, 100, 1 << 20, NOW)
    assert [orjson.loads(r)["dynamodb"]["Keys"] for r in found] == [{"pk": S("new")}]
    assert position == 3


def test_records_older_than_24_hours_are_not_read_though_no_write_trimmed_them(stored_table):
    store, table, stream = stored_table
    write(store, table, "a", NOW - 10)
    reader = store.read()
    assert records.read(reader, stream, 0, 100, 1 << 20, NOW) is not None
    assert records.read(reader, stream, 0, 100, 1 << 20, NOW + DAY) is None
    assert records.horizon(reader, stream, NOW + DAY) == 1


def test_a_change_made_by_dynamodb_itself_names_the_service(stored_table):
    # [api] Identity: "For Time To Live, the type is "Service"" and the principalId
    # "dynamodb.amazonaws.com".
    store, table, stream = stored_table
    write(store, table, "by-user", NOW)
    write(store, table, "expired", NOW, by_service=True)
    found, _ = records.read(store.read(), stream, 0, 100, 1 << 20, NOW)
    assert [orjson.loads(r).get("userIdentity") for r in found] == [
        None, {"type": "Service", "principalId": "dynamodb.amazonaws.com"}]

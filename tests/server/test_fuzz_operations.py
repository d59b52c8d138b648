"""Fuzzing the newer operations over the wire, as tests/server/test_fuzz.py fuzzes the older ones.

The same machinery (its ``Wire``, mutations, reply checks and sentinels) drives transactions,
PartiQL, tags, time to live, backups and restores, point-in-time recovery, resource policies,
contributor insights, secondary indexes (CreateTable/UpdateTable/Query/Scan with indexes) and the
DynamoDB Streams API, starting from valid requests against tables that have every feature turned on:
a table ``idx`` with a global and a local secondary index and a stream, and ``main`` with
point-in-time recovery. ARNs, backup ARNs, stream ARNs, shard ids and shard iterators are mutated
like any other string (garbled, replaced, lengthened, given odd unicode).

Every reply must be a 200 or a 4xx with an AWS error type, the server must still answer, and the
sentinel items must be exactly as written. The regression tests at the end are the minimal requests
the fuzzer found answered with a 500, each with the error AWS gives.
"""

from __future__ import annotations

import json
import random
import time
import uuid

import pytest

from tests.conftest import REGION
from tests.helpers import ACCOUNT, TESTER_ARN
from tests.server.test_fuzz import (
    Raw,
    Tables,
    Wire,
    _describe,
    _key,
    _main_item,
    drop_table,
    encode,
    problem_with,
    send_fuzzed,
    still_right,
)

STREAMS_TARGET = "DynamoDBStreams_20120810."


def _arn(name: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


class RichTables(Tables):
    """``Tables`` plus ``idx`` (pk S, sk N; GSI ``byG`` on g, LSI ``byL`` on l2; a stream of new and
    old images), point-in-time recovery on ``main``, a backup of ``main``, and ``idx``'s stream ARN,
    a shard id and an iterator."""

    def __enter__(self) -> RichTables:
        super().__enter__()
        self.idx = self.main.replace("fzMain", "fzIdx")
        self.ddb.create_table(
            TableName=self.idx, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": t}
                                  for n, t in (("pk", "S"), ("sk", "N"), ("g", "S"), ("l2", "S"))],
            GlobalSecondaryIndexes=[{"IndexName": "byG", "KeySchema": [
                {"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"}}],
            LocalSecondaryIndexes=[{"IndexName": "byL", "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "l2", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a"]}}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        self.created.add(self.idx)
        for sk in range(3):
            item = {**_main_item("fz-1", sk), "g": {"S": f"g{sk % 2}"}, "l2": {"S": f"l{sk}"}}
            assert self.wire.call("PutItem", {"TableName": self.idx, "Item": item})[0] == 200
        self.ddb.update_continuous_backups(
            TableName=self.main, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        # Described to the millisecond, possibly rounded down: a restore asks for a moment just after.
        self.restorable = self.ddb.describe_continuous_backups(TableName=self.main)[
            "ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["EarliestRestorableDateTime"].timestamp()
        self.backups: list[str] = []
        self.backup = self.new_backup()
        self.stream = self.ddb.describe_table(TableName=self.idx)["Table"]["LatestStreamArn"]
        streams = Wire(self.wire.endpoint, STREAMS_TARGET)
        try:
            status, reply = streams.call("DescribeStream", {"StreamArn": self.stream})
            assert status == 200, reply
            shard = reply["StreamDescription"]["Shards"][0]  # type: ignore[index]
            self.shard = shard["ShardId"]
            self.sequence = shard["SequenceNumberRange"]["StartingSequenceNumber"]
            status, reply = streams.call("GetShardIterator", {
                "StreamArn": self.stream, "ShardId": self.shard, "ShardIteratorType": "TRIM_HORIZON"})
            assert status == 200, reply
            self.iterator = reply["ShardIterator"]  # type: ignore[index]
        finally:
            streams.close()
        return self

    def new_backup(self) -> str:
        arn = self.ddb.create_backup(TableName=self.main, BackupName=f"fz-{uuid.uuid4().hex[:8]}")[
            "BackupDetails"]["BackupArn"]
        self.backups.append(arn)
        return arn

    def __exit__(self, *exc) -> None:
        for arn in self.backups:
            try:
                self.ddb.delete_backup(BackupArn=arn)
            except self.ddb.exceptions.ClientError:
                pass
        super().__exit__(*exc)


def valid_requests(operation: str, t: RichTables) -> list[dict]:
    """Valid requests for ``operation`` against ``t``: the starting points of the mutations."""
    main, idx = t.main, t.idx
    if operation == "TransactWriteItems":
        return [
            {"TransactItems": [
                {"Put": {"TableName": main, "Item": _main_item("fz-1", 1),
                         "ConditionExpression": "attribute_not_exists(pk) OR #n < :v",
                         "ExpressionAttributeNames": {"#n": "n"}, "ExpressionAttributeValues": {":v": {"N": "100"}},
                         "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
                {"Update": {"TableName": idx, "Key": _key(sk=0),
                            "UpdateExpression": "SET g = :g, l2 = :l ADD n :one REMOVE z",
                            "ExpressionAttributeValues": {":g": {"S": "g7"}, ":l": {"S": "l7"}, ":one": {"N": "1"}}}},
                {"Delete": {"TableName": main, "Key": _key(sk=2), "ConditionExpression": "attribute_exists(a)"
                                                                                         " OR attribute_not_exists(a)"}},
                {"ConditionCheck": {"TableName": idx, "Key": _key(sk=1), "ConditionExpression": "size(l) > :z",
                                    "ExpressionAttributeValues": {":z": {"N": "0"}}}}],
             "ClientRequestToken": "fz-token-1", "ReturnConsumedCapacity": "INDEXES",
             "ReturnItemCollectionMetrics": "SIZE"},
            {"TransactItems": [{"Put": {"TableName": t.bin, "Item": {"k": {"B": "AAM="}, "v": {"S": "x"}}}}]},
        ]
    if operation == "TransactGetItems":
        return [
            {"TransactItems": [
                {"Get": {"TableName": main, "Key": _key(sk=0), "ProjectionExpression": "#a, l[2][0].deep, m.c",
                         "ExpressionAttributeNames": {"#a": "a"}}},
                {"Get": {"TableName": idx, "Key": _key(sk=1)}},
                {"Get": {"TableName": _arn(t.bin), "Key": {"k": {"B": "AAE="}}}}],
             "ReturnConsumedCapacity": "TOTAL"},
        ]
    if operation == "ExecuteStatement":
        return [
            {"Statement": f'SELECT pk, a, m.c, l[0] FROM "{main}" WHERE pk = ? AND sk >= ?',
             "Parameters": [{"S": "fz-1"}, {"N": "0"}], "ConsistentRead": True, "Limit": 2,
             "ReturnConsumedCapacity": "TOTAL"},
            {"Statement": f'SELECT * FROM "{idx}"."byG" WHERE g = \'g1\''},
            {"Statement": f"INSERT INTO \"{main}\" VALUE {{'pk': 'fz-3', 'sk': ?, 'a': 'x', 'l': [1, 'two'],"
                          " 'm': {'k': <<'s'>>}}", "Parameters": [{"N": "1"}]},
            {"Statement": f"UPDATE \"{idx}\" SET a = 'y' SET n = n + ? REMOVE z WHERE pk = 'fz-1' AND sk = 1"
                          " RETURNING ALL NEW *", "Parameters": [{"N": "2"}]},
            {"Statement": f"DELETE FROM \"{main}\" WHERE pk = 'fz-1' AND sk = 2 AND (attribute_exists(a)"
                          " OR attribute_not_exists(a))", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"},
            {"Statement": f'SELECT * FROM "{main}" WHERE pk IN [\'fz-1\', \'fz-2\'] AND contains(ss, ?)',
             "Parameters": [{"S": "s1"}], "NextToken": None},
        ]
    if operation == "BatchExecuteStatement":
        return [
            {"Statements": [
                {"Statement": f'SELECT * FROM "{main}" WHERE pk = ? AND sk = ?',
                 "Parameters": [{"S": "fz-1"}, {"N": "0"}], "ConsistentRead": True},
                {"Statement": f'SELECT a FROM "{idx}" WHERE pk = \'fz-1\' AND sk = 1'}],
             "ReturnConsumedCapacity": "TOTAL"},
            {"Statements": [
                {"Statement": f"UPDATE \"{main}\" SET a = ? WHERE pk = 'fz-1' AND sk = 0",
                 "Parameters": [{"S": "z"}], "ReturnValuesOnConditionCheckFailure": "ALL_OLD"},
                {"Statement": f"DELETE FROM \"{idx}\" WHERE pk = 'fz-9' AND sk = 9"}]},
        ]
    if operation == "ExecuteTransaction":
        return [
            {"TransactStatements": [
                {"Statement": f"UPDATE \"{main}\" SET a = ? WHERE pk = 'fz-1' AND sk = 1",
                 "Parameters": [{"S": "t"}]},
                {"Statement": f"INSERT INTO \"{idx}\" VALUE {{'pk': ?, 'sk': 5, 'g': 'g5'}}",
                 "Parameters": [{"S": f"fz-{uuid.uuid4().hex[:6]}"}]},
                {"Statement": f'EXISTS(SELECT * FROM "{main}" WHERE pk = \'fz-1\' AND sk = 0'
                                           ' AND attribute_exists(a))'}],
             "ClientRequestToken": "fz-partiql-token", "ReturnConsumedCapacity": "TOTAL"},
            {"TransactStatements": [
                {"Statement": f'SELECT * FROM "{main}" WHERE pk = ? AND sk = ?',
                 "Parameters": [{"S": "fz-1"}, {"N": "0"}]}]},
        ]
    if operation == "TagResource":
        return [{"ResourceArn": _arn(main), "Tags": [{"Key": "team", "Value": "fuzz"},
                                                     {"Key": "\u00e9t\u00e9", "Value": ""}]}]
    if operation == "UntagResource":
        return [{"ResourceArn": _arn(main), "TagKeys": ["team", "absent"]}]
    if operation == "ListTagsOfResource":
        return [{"ResourceArn": _arn(main)}, {"ResourceArn": _arn(idx), "NextToken": "0"}]
    if operation == "DescribeTimeToLive":
        return [{"TableName": main}, {"TableName": _arn(idx)}]
    if operation == "UpdateTimeToLive":
        return [{"TableName": t.spare, "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "expires"}}]
    if operation == "CreateBackup":
        return [{"TableName": main, "BackupName": "fz-backup"}, {"TableName": _arn(idx), "BackupName": "b.x-y_z"}]
    if operation == "DescribeBackup":
        return [{"BackupArn": t.backup}]
    if operation == "ListBackups":
        now = time.time()
        return [{"TableName": main, "Limit": 2, "TimeRangeLowerBound": now - 3600, "TimeRangeUpperBound": now + 60,
                 "BackupType": "USER"},
                {"ExclusiveStartBackupArn": t.backup, "BackupType": "ALL"}, {}]
    if operation == "DeleteBackup":
        return [{"BackupArn": t.new_backup()}]
    if operation == "RestoreTableFromBackup":
        return [
            {"TargetTableName": "fz-restored", "BackupArn": t.backup},
            {"TargetTableName": "fz-restored-2", "BackupArn": t.backup, "BillingModeOverride": "PROVISIONED",
             "ProvisionedThroughputOverride": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 3},
             "GlobalSecondaryIndexOverride": [], "LocalSecondaryIndexOverride": [],
             "SSESpecificationOverride": {"Enabled": False}},
        ]
    if operation == "DescribeContinuousBackups":
        return [{"TableName": main}, {"TableName": _arn(t.spare)}]
    if operation == "UpdateContinuousBackups":
        return [{"TableName": t.spare, "PointInTimeRecoverySpecification": {
                    "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7}},
                {"TableName": t.spare, "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": False}}]
    if operation == "RestoreTableToPointInTime":
        return [
            {"SourceTableName": main, "TargetTableName": "fz-pitr", "UseLatestRestorableTime": True},
            {"SourceTableArn": _arn(main), "TargetTableName": "fz-pitr-2", "RestoreDateTime": t.restorable + 0.002,
             "BillingModeOverride": "PAY_PER_REQUEST"},
        ]
    if operation == "CreateTable":
        return [
            {"TableName": "fz-indexed", "BillingMode": "PAY_PER_REQUEST",
             "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"}, {"AttributeName": "r", "KeyType": "RANGE"}],
             "AttributeDefinitions": [{"AttributeName": n, "AttributeType": ty}
                                      for n, ty in (("h", "S"), ("r", "N"), ("g", "B"), ("l", "S"))],
             "GlobalSecondaryIndexes": [{"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                         "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}}],
             "LocalSecondaryIndexes": [{"IndexName": "byL", "KeySchema": [
                 {"AttributeName": "h", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}],
                 "Projection": {"ProjectionType": "KEYS_ONLY"}}],
             "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
             "Tags": [{"Key": "k", "Value": "v"}], "SSESpecification": {"Enabled": True, "SSEType": "KMS"},
             "ResourcePolicy": json.dumps({"Version": "2012-10-17", "Statement": [{
                 "Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                 "Action": "dynamodb:DeleteItem", "Resource": "*"}]})},
        ]
    if operation == "UpdateTable":
        return [
            {"TableName": t.spare, "AttributeDefinitions": [{"AttributeName": "g", "AttributeType": "S"}],
             "GlobalSecondaryIndexUpdates": [{"Create": {
                 "IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                 "Projection": {"ProjectionType": "ALL"}}}]},
            {"TableName": t.spare, "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "byG"}}]},
            {"TableName": t.spare, "StreamSpecification": {"StreamEnabled": True,
                                                           "StreamViewType": "NEW_IMAGE"}},
            {"TableName": t.spare, "StreamSpecification": {"StreamEnabled": False}},
        ]
    if operation == "Query":
        return [
            {"TableName": idx, "IndexName": "byG", "KeyConditionExpression": "g = :g AND sk > :z",
             "FilterExpression": "size(l) > :z", "ProjectionExpression": "pk, sk, g, m.c",
             "ExpressionAttributeValues": {":g": {"S": "g1"}, ":z": {"N": "0"}}, "Limit": 1,
             "ExclusiveStartKey": {**_key(sk=5), "g": {"S": "g1"}}, "ScanIndexForward": False,
             "ReturnConsumedCapacity": "INDEXES"},
            {"TableName": idx, "IndexName": "byL", "KeyConditionExpression": "pk = :p AND begins_with(l2, :l)",
             "ExpressionAttributeValues": {":p": {"S": "fz-1"}, ":l": {"S": "l"}}, "Select": "ALL_PROJECTED_ATTRIBUTES",
             "ConsistentRead": True},
            {"TableName": idx, "IndexName": "byG", "KeyConditions": {
                "g": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "g0"}]}},
             "QueryFilter": {"a": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "al"}]}},
             "AttributesToGet": ["pk", "a"], "ConditionalOperator": "OR"},
        ]
    if operation == "Scan":
        return [
            {"TableName": idx, "IndexName": "byG", "Segment": 0, "TotalSegments": 2, "Limit": 2,
             "FilterExpression": "g <> :g", "ExpressionAttributeValues": {":g": {"S": "g9"}}},
            {"TableName": idx, "IndexName": "byL", "ExclusiveStartKey": {**_key(sk=0), "l2": {"S": "l0"}},
             "Select": "COUNT"},
            {"TableName": main, "ScanFilter": {"n": {"ComparisonOperator": "BETWEEN",
                                                     "AttributeValueList": [{"N": "1"}, {"N": "100"}]}},
             "AttributesToGet": ["pk", "sk", "n"]},
        ]
    # The legacy parameters of the item operations (their expressions are test_fuzz.py's).
    if operation == "PutItem":
        return [{"TableName": idx, "Item": {**_main_item("fz-1", 1), "g": {"S": "g1"}},
                 "Expected": {"a": {"ComparisonOperator": "NOT_NULL"}, "n": {"Value": {"N": "42.5"}, "Exists": True},
                              "q": {"Exists": False}},
                 "ConditionalOperator": "AND", "ReturnValues": "ALL_OLD"}]
    if operation == "UpdateItem":
        return [{"TableName": idx, "Key": _key(sk=2), "AttributeUpdates": {
                    "a": {"Value": {"S": "b"}, "Action": "PUT"}, "n": {"Value": {"N": "1"}, "Action": "ADD"},
                    "ss": {"Value": {"SS": ["s1"]}, "Action": "DELETE"}, "z": {"Action": "DELETE"}},
                 "Expected": {"l": {"ComparisonOperator": "NOT_NULL"}, "a": {"ComparisonOperator": "IN",
                                                                           "AttributeValueList": [{"S": "alpha"}]}},
                 "ConditionalOperator": "OR", "ReturnValues": "UPDATED_OLD"}]
    if operation == "DeleteItem":
        return [{"TableName": idx, "Key": _key("fz-8", 1), "Expected": {"a": {"Exists": False}},
                 "ReturnValues": "ALL_OLD"}]
    if operation == "GetItem":
        return [{"TableName": idx, "Key": _key(sk=1), "AttributesToGet": ["a", "m", "pk"], "ConsistentRead": True}]
    if operation == "BatchGetItem":
        return [{"RequestItems": {idx: {"Keys": [_key(sk=0), _key(sk=1)], "AttributesToGet": ["a", "sk"]}}}]
    if operation == "PutResourcePolicy":
        return [{"ResourceArn": _arn(t.spare), "Policy": _policy(t.spare)}]
    if operation in ("GetResourcePolicy", "DeleteResourcePolicy"):
        t.ddb.put_resource_policy(ResourceArn=_arn(t.spare), Policy=_policy(t.spare))
        return [{"ResourceArn": _arn(t.spare)}]
    if operation == "DescribeContributorInsights":
        return [{"TableName": main}, {"TableName": idx, "IndexName": "byG"}]
    if operation == "UpdateContributorInsights":
        return [{"TableName": main, "ContributorInsightsAction": "ENABLE"},
                {"TableName": idx, "IndexName": "byG", "ContributorInsightsAction": "DISABLE"}]
    if operation == "ListContributorInsights":
        return [{"TableName": main, "MaxResults": 5}, {}]
    if operation == "DescribeKinesisStreamingDestination":
        return [{"TableName": main}]
    # DynamoDB Streams
    if operation == "ListStreams":
        return [{"TableName": idx, "Limit": 5}, {"ExclusiveStartStreamArn": t.stream, "Limit": 1}, {}]
    if operation == "DescribeStream":
        return [{"StreamArn": t.stream, "Limit": 1}, {"StreamArn": t.stream, "ExclusiveStartShardId": t.shard}]
    if operation == "GetShardIterator":
        return [
            {"StreamArn": t.stream, "ShardId": t.shard, "ShardIteratorType": "TRIM_HORIZON"},
            {"StreamArn": t.stream, "ShardId": t.shard, "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
             "SequenceNumber": t.sequence},
            {"StreamArn": t.stream, "ShardId": t.shard, "ShardIteratorType": "LATEST"},
        ]
    if operation == "GetRecords":
        return [{"ShardIterator": t.iterator, "Limit": 2}, {"ShardIterator": t.iterator}]
    raise AssertionError(operation)


def _policy(table: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "deny", "Effect": "Deny", "Principal": {"AWS": TESTER_ARN},
        "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": _arn(table),
        "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["a"]}}}]})


STREAMS_OPERATIONS = {"ListStreams", "DescribeStream", "GetShardIterator", "GetRecords"}

COUNTS = {
    "TransactWriteItems": 400, "TransactGetItems": 250, "ExecuteStatement": 500, "BatchExecuteStatement": 300,
    "ExecuteTransaction": 300, "TagResource": 150, "UntagResource": 100, "ListTagsOfResource": 100,
    "DescribeTimeToLive": 80, "UpdateTimeToLive": 150, "CreateBackup": 120, "DescribeBackup": 80,
    "ListBackups": 150, "DeleteBackup": 80, "RestoreTableFromBackup": 150, "DescribeContinuousBackups": 60,
    "UpdateContinuousBackups": 120, "RestoreTableToPointInTime": 150, "CreateTable": 300, "UpdateTable": 300,
    "Query": 300, "Scan": 200, "PutResourcePolicy": 150, "GetResourcePolicy": 60, "DeleteResourcePolicy": 60, "DescribeContributorInsights": 50,
    "UpdateContributorInsights": 60, "ListContributorInsights": 50, "DescribeKinesisStreamingDestination": 40,
    "ListStreams": 100, "DescribeStream": 150, "GetShardIterator": 200, "GetRecords": 200,
    "PutItem": 250, "UpdateItem": 300, "DeleteItem": 150, "GetItem": 150, "BatchGetItem": 150,
}
# Every member of a valid request, at the top and one level down, replaced by each of these in turn.
PLAIN_ODDITIES: list = [None, {}, [], "", 0, True, "x"]
SEED = "moatdb-fuzz-operations"


def _after_success(operation: str, reply: dict, t: RichTables, ddb) -> None:
    """Undo what a successful fuzzed request did, so that the fuzz stays bounded."""
    if operation in ("CreateTable", "RestoreTableFromBackup", "RestoreTableToPointInTime"):
        name = reply["TableDescription"]["TableName"]
        drop_table(ddb, name)
    elif operation == "CreateBackup":
        t.backups.append(reply["BackupDetails"]["BackupArn"])
    elif operation == "UpdateTable":
        if reply["TableDescription"].get("DeletionProtectionEnabled"):
            ddb.update_table(TableName=reply["TableDescription"]["TableName"], DeletionProtectionEnabled=False)


@pytest.mark.parametrize("operation", list(COUNTS))
def test_fuzzed_requests_to_newer_operations_are_answered_with_aws_errors_never_a_500(server, ddb, operation):
    rng = random.Random(f"{SEED}-{operation}")
    wire = Wire(server.endpoint)
    target = Wire(server.endpoint, STREAMS_TARGET) if operation in STREAMS_OPERATIONS else wire
    failures: list[str] = []
    statuses: dict[int, int] = {}
    try:
        with RichTables(ddb, wire) as t:
            bases = valid_requests(operation, t)
            for base in bases:
                status, reply = target.call(operation, base)
                assert status == 200, (base, reply)
                _after_success(operation, reply, t, ddb)  # type: ignore[arg-type]
            send_fuzzed(rng, bases, operation, COUNTS[operation], target, failures, statuses,
                        lambda reply: _after_success(operation, reply, t, ddb))
            still_right(server, wire, t)
    finally:
        wire.close()
        target.close()
    assert not failures, f"{len(failures)} bad replies ({statuses}):\n" + "\n".join(failures)
    assert sum(statuses.values()) == COUNTS[operation]


def _one_member_odd(request: dict) -> list[dict]:
    """``request`` with one member (at the top, or one level down) replaced by each plain oddity."""
    variants = []
    for name, value in request.items():
        for odd in PLAIN_ODDITIES:
            variants.append({**request, name: odd})
        inner = value[0] if type(value) is list and value and type(value[0]) is dict else value
        if type(inner) is dict:
            for member in inner:
                for odd in PLAIN_ODDITIES:
                    changed = {**inner, member: odd}
                    variants.append({**request, name: [changed, *value[1:]] if type(value) is list else changed})
    return variants


@pytest.mark.parametrize("operation", list(COUNTS))
def test_each_member_replaced_by_a_plain_oddity_is_answered_never_a_500(server, ddb, operation):
    wire = Wire(server.endpoint)
    target = Wire(server.endpoint, STREAMS_TARGET) if operation in STREAMS_OPERATIONS else wire
    failures: list[str] = []
    try:
        with RichTables(ddb, wire) as t:
            for base in valid_requests(operation, t):
                for request in _one_member_odd(base):
                    status, payload = target.post(operation, encode(request))
                    problem = problem_with(status, payload)
                    if problem is not None:
                        failures.append(f"{problem}: {payload[:200]!r} for {_describe(request)}")
                    elif status == 200:
                        _after_success(operation, json.loads(payload), t, ddb)
    finally:
        wire.close()
        target.close()
    assert not failures, "\n".join(failures)


# --- What the fuzzer found: each was a 500 ----------------------------------------------------------


@pytest.fixture
def wire(server):
    connection = Wire(server.endpoint)
    yield connection
    connection.close()


def test_list_backups_takes_a_time_bound_past_the_end_of_time(wire, ddb, hash_table):
    # Was a 500 (OverflowError rounding 1e308 s to milliseconds). Coral reads a timestamp into a
    # java.util.Date, and Java's cast of the overflowing double to a long saturates: the bound is
    # the end of time, not an error (behaviour reasoned from Coral's Java types; wording n/a).
    arn = ddb.create_backup(TableName=hash_table, BackupName="far")["BackupDetails"]["BackupArn"]
    try:
        status, reply = wire.call("ListBackups", {"TableName": hash_table, "TimeRangeLowerBound": 1e308})
        assert (status, reply) == (200, {"BackupSummaries": []})
        status, reply = wire.call("ListBackups", {"TableName": hash_table, "TimeRangeLowerBound": 0,
                                                  "TimeRangeUpperBound": 1e308})
        assert status == 200 and [s["BackupArn"] for s in reply["BackupSummaries"]] == [arn]  # type: ignore[index]
        status, reply = wire.call("ListBackups", {"TableName": hash_table, "TimeRangeUpperBound": -1e308})
        assert (status, reply) == (200, {"BackupSummaries": []})
    finally:
        ddb.delete_backup(BackupArn=arn)


def _deep_key(depth: int) -> Raw:
    return Raw('{"a":' * depth + "1" + "}" * depth)


def test_a_transaction_with_a_token_and_a_key_nested_too_deep_is_cancelled_as_without_the_token(wire, table):
    # Was a 500: the token's digest of the request could not be written (orjson stops at 255 levels).
    # The key is refused as any malformed key of a transaction is, the token changing nothing;
    # "The provided key element does not match the schema" as moto and dynalite record it.
    request = {"TransactItems": [
        {"Put": {"TableName": table, "Item": {"pk": {"S": "k"}, "sk": {"S": "1"}}}},
        {"ConditionCheck": {"TableName": table, "Key": {"pk": _deep_key(300)},
                            "ConditionExpression": "attribute_exists(pk)"}}]}
    without_token = wire.call("TransactWriteItems", request)
    assert without_token == (400, {
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons"
                   " [None, ValidationError]",
        "CancellationReasons": [{"Code": "None"}, {"Code": "ValidationError",
                                                   "Message": "The provided key element does not match the schema"}]})
    assert wire.call("TransactWriteItems", {**request, "ClientRequestToken": "deep-1"}) == without_token
    # The cancelled transaction left no token behind: the token is free for a valid request.
    valid = {"TransactItems": request["TransactItems"][:1], "ClientRequestToken": "deep-1"}
    assert wire.call("TransactWriteItems", valid) == (200, {})
    # A too-deep request cannot be that request's retry: the token's reuse is a mismatch.
    status, reply = wire.call("TransactWriteItems", {**request, "ClientRequestToken": "deep-1"})
    assert (status, reply["__type"]) == (  # type: ignore[index]
        400, "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException")


@pytest.mark.parametrize("operation, request_of", [
    ("ExecuteStatement", lambda t: {"Statement": f'SELECT * FROM "{t}" WHERE pk = ?',
                                    "Parameters": [{"M": {"a": _deep_key(300)}}]}),
    ("ExecuteStatement", lambda t: {"Statement": f'SELECT * FROM "{t}" WHERE pk = ?',
                                    "Parameters": [{"S": "k"}], "NextToken": "x", "Limit": _deep_key(300)}),
    ("ExecuteTransaction", lambda t: {"TransactStatements": [{
        "Statement": f"UPDATE \"{t}\" SET a = ? WHERE pk = 'k' AND sk = '1'",
        "Parameters": [{"M": {"a": _deep_key(300)}}]}], "ClientRequestToken": "deep-2"}),
    ("BatchExecuteStatement", lambda t: {"Statements": [{
        "Statement": f"UPDATE \"{t}\" SET a = ? WHERE pk = 'k' AND sk = '1'", "Parameters": [_deep_key(300)]}]}),
])
def test_partiql_parameters_nested_too_deep_are_client_errors(wire, table, operation, request_of):
    # The same depth through PartiQL's own paths (NextToken digests, transactions with a token):
    # refused, by a 400 or, in a batch, by the statement's own error.
    status, payload = wire.post(operation, encode(request_of(table)))
    assert problem_with(status, payload) is None, payload
    reply = json.loads(payload)
    assert status == 400 or reply["Responses"][0]["Error"]["Code"] == "ValidationError", reply


def test_a_query_with_null_key_conditions_is_a_query_without_any(wire, table):
    # Was a 500 (AttributeError): a null member is an absent one to Coral, and a Query without a
    # key condition gets the message dynalite's query tests record from AWS.
    status, reply = wire.call("Query", {"TableName": table, "KeyConditions": None,
                                        "QueryFilter": {"a": {"ComparisonOperator": "NOT_NULL"}}})
    assert (status, reply) == (400, {
        "__type": "com.amazon.coral.validate#ValidationException",
        "message": "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."})

"""Point-in-time recovery through the server: DescribeContinuousBackups, UpdateContinuousBackups and
RestoreTableToPointInTime, which restores a table's items exactly as they were at the time asked for.

Sources: the DynamoDB API Reference (PointInTimeRecoverySpecification: RecoveryPeriodInDays 1-35,
default 35); ack-api-quirks' live captures of AWS (2026): DDB-TABLE-084 (the period's rules),
DDB-TABLE-086 (a disabled description holds the status alone; the window opens at the enable time),
DDB-TABLE-447 ("Table not found: <name>", bare
"Table not found" for a SourceTableArn), DDB-TABLE-100 and DDB-TABLE-272 (the restore's checks, their
wording and order: shape, recovery enabled, time, target), DDB-TABLE-215 (a restore does not carry
point-in-time recovery over). Two sentences were captured cut short ("... Pleas", "... LatestRestor"):
their tails are assumed, so those assertions match the captured beginnings only.
"""

from __future__ import annotations

import datetime
import time
import uuid

import pytest

from tests.conftest import Server, client_for, free_port
from tests.helpers import (
    ACCOUNT,
    REGION,
    S,
    allow,
    create_table,
    error,
    failure,
    new_user,
    policy,
    put_items,
    signed,
)


def item(pk: str, sk: str, **more) -> dict:
    return {"pk": S(pk), "sk": S(sk), **{name: S(value) for name, value in more.items()}}


def scanned(ddb, table: str) -> list[dict]:
    items = ddb.scan(TableName=table, ConsistentRead=True)["Items"]
    return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def enable(ddb, table: str, **more) -> dict:
    return ddb.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, **more}
    )["ContinuousBackupsDescription"]


def moment() -> datetime.datetime:
    """Now, between two writes: apart from both by more than the millisecond boto3 sends times in."""
    time.sleep(0.01)
    now = datetime.datetime.now(datetime.UTC)
    time.sleep(0.01)
    return now


@pytest.fixture
def restored(ddb):
    """Names for restored tables, deleted at the end of the test."""
    names: list[str] = []

    def name() -> str:
        names.append(f"r-{uuid.uuid4().hex[:12]}")
        return names[-1]

    yield name
    for name in names:
        try:
            ddb.delete_table(TableName=name)
        except ddb.exceptions.ResourceNotFoundException:
            pass


def test_a_new_table_has_backups_but_no_point_in_time_recovery(ddb, table):
    assert ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"] == {
        "ContinuousBackupsStatus": "ENABLED",
        "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"},
    }


def test_enabling_opens_a_window_from_now_for_the_recovery_period(ddb, table):
    before = datetime.datetime.now(datetime.UTC)

    described = enable(ddb, table)

    recovery = described["PointInTimeRecoveryDescription"]
    assert described["ContinuousBackupsStatus"] == "ENABLED"
    assert recovery["PointInTimeRecoveryStatus"] == "ENABLED"
    assert recovery["RecoveryPeriodInDays"] == 35
    assert before - datetime.timedelta(seconds=1) <= recovery["EarliestRestorableDateTime"]
    assert recovery["EarliestRestorableDateTime"] <= recovery["LatestRestorableDateTime"]
    described = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    assert described["PointInTimeRecoveryDescription"]["EarliestRestorableDateTime"] == recovery[
        "EarliestRestorableDateTime"]

    # A new period keeps the window's start.
    changed = enable(ddb, table, RecoveryPeriodInDays=7)["PointInTimeRecoveryDescription"]
    assert changed["RecoveryPeriodInDays"] == 7
    assert changed["EarliestRestorableDateTime"] == recovery["EarliestRestorableDateTime"]

    assert error(ddb.update_continuous_backups, TableName=table, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": False, "RecoveryPeriodInDays": 7}) == (
        "ValidationException",
        "Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time recovery.", 400)
    disabled = ddb.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
    assert disabled["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"] == {
        "PointInTimeRecoveryStatus": "DISABLED"}
    # The period is forgotten with the rest: enabled again, it is back to 35 days (DDB-TABLE-084).
    assert enable(ddb, table)["PointInTimeRecoveryDescription"]["RecoveryPeriodInDays"] == 35


def test_the_recovery_period_is_one_to_thirty_five_days(server, table):
    # Sent by hand: boto3 refuses 0 itself. Coral's constraint wording, as shapes.py words every one.
    for days, constraint in ((0, "greater than or equal to 1"), (36, "less than or equal to 35")):
        reply = signed(server, "UpdateContinuousBackups", {
            "TableName": table,
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True,
                                                 "RecoveryPeriodInDays": days}})
        assert reply.status == 400
        assert reply.json()["__type"].endswith("#ValidationException")
        assert reply.json()["message"] == (
            f"1 validation error detected: Value '{days}' at"
            " 'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy constraint:"
            f" Member must have value {constraint}")


def test_a_missing_table_is_table_not_found(ddb):
    name = f"missing-{uuid.uuid4().hex[:8]}"

    assert error(ddb.describe_continuous_backups, TableName=name) == (
        "TableNotFoundException", f"Table not found: {name}", 400)
    assert error(ddb.update_continuous_backups, TableName=name,
                 PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}) == (
        "TableNotFoundException", f"Table not found: {name}", 400)
    assert error(ddb.restore_table_to_point_in_time, SourceTableName=name, TargetTableName=name + "-r",
                 UseLatestRestorableTime=True) == ("TableNotFoundException", f"Table not found: {name}", 400)
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
    assert error(ddb.restore_table_to_point_in_time, TargetTableName=name + "-r",
                 UseLatestRestorableTime=True, SourceTableArn=arn) == (
        "TableNotFoundException", "Table not found", 400)


def test_a_restore_gives_back_the_items_exactly_as_they_were_at_that_time(ddb, table, restored):
    enable(ddb, table)
    empty = moment()
    put_items(ddb, table, [item("a", "1", v="first"), item("b", "2", v="kept"), item("c", "3", v="doomed")])
    first = moment()
    ddb.put_item(TableName=table, Item=item("a", "1", v="second"))
    ddb.update_item(TableName=table, Key={"pk": S("a"), "sk": S("1")}, UpdateExpression="SET w = :w",
                    ExpressionAttributeValues={":w": S("added")})
    ddb.delete_item(TableName=table, Key={"pk": S("c"), "sk": S("3")})
    ddb.put_item(TableName=table, Item=item("d", "4", v="late"))
    second = moment()
    ddb.put_item(TableName=table, Item=item("a", "1", v="third"))
    ddb.delete_item(TableName=table, Key={"pk": S("d"), "sk": S("4")})

    at_first = restored()
    reply = ddb.restore_table_to_point_in_time(SourceTableName=table, TargetTableName=at_first,
                                               RestoreDateTime=first)["TableDescription"]
    assert scanned(ddb, at_first) == [item("a", "1", v="first"), item("b", "2", v="kept"),
                                      item("c", "3", v="doomed")]
    assert reply["TableStatus"] == "CREATING"
    assert reply["RestoreSummary"]["RestoreInProgress"] is True
    source_arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
    assert reply["RestoreSummary"]["SourceTableArn"] == source_arn
    restored_to = reply["RestoreSummary"]["RestoreDateTime"].timestamp()
    assert restored_to == pytest.approx(first.timestamp(), abs=0.001)

    at_second = restored()
    ddb.restore_table_to_point_in_time(SourceTableName=table, TargetTableName=at_second,
                                       RestoreDateTime=second)
    assert scanned(ddb, at_second) == [item("a", "1", v="second", w="added"), item("b", "2", v="kept"),
                                       item("d", "4", v="late")]

    at_start = restored()
    ddb.restore_table_to_point_in_time(SourceTableName=table, TargetTableName=at_start, RestoreDateTime=empty)
    assert scanned(ddb, at_start) == []

    latest = restored()
    ddb.restore_table_to_point_in_time(SourceTableArn=source_arn, TargetTableName=latest,
                                       UseLatestRestorableTime=True)
    assert scanned(ddb, latest) == scanned(ddb, table) == [item("a", "1", v="third"),
                                                           item("b", "2", v="kept")]

    # The source is untouched, and the restored tables do not inherit point-in-time recovery.
    assert ddb.describe_continuous_backups(TableName=at_first)["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"] == {"PointInTimeRecoveryStatus": "DISABLED"}
    described = ddb.describe_table(TableName=at_first)["Table"]
    assert described["TableStatus"] == "ACTIVE"
    assert described["ItemCount"] == 3
    assert described["RestoreSummary"]["RestoreInProgress"] is False


def test_restoring_without_point_in_time_recovery_is_refused(ddb, table):
    target = f"r-{uuid.uuid4().hex[:8]}"

    assert error(ddb.restore_table_to_point_in_time, SourceTableName=table, TargetTableName=target,
                 UseLatestRestorableTime=True) == (
        "PointInTimeRecoveryUnavailableException",
        f"Point in time recovery is not enabled for table '{table}'", 400)

    # Disabling forgets the history: the window starts again when recovery is enabled again.
    first = enable(ddb, table)["PointInTimeRecoveryDescription"]["EarliestRestorableDateTime"]
    ddb.update_continuous_backups(TableName=table, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": False})
    assert error(ddb.restore_table_to_point_in_time, SourceTableName=table, TargetTableName=target,
                 UseLatestRestorableTime=True)[0] == "PointInTimeRecoveryUnavailableException"
    time.sleep(0.01)
    assert enable(ddb, table)["PointInTimeRecoveryDescription"]["EarliestRestorableDateTime"] > first
    assert error(ddb.restore_table_to_point_in_time, SourceTableName=table, TargetTableName=target,
                 RestoreDateTime=first)[0] == "InvalidRestoreTimeException"


def test_a_time_outside_the_window_is_refused(ddb, table):
    window = enable(ddb, table)["PointInTimeRecoveryDescription"]
    target = f"r-{uuid.uuid4().hex[:8]}"
    hour = datetime.timedelta(hours=1)

    for when in (window["EarliestRestorableDateTime"] - hour, datetime.datetime.now(datetime.UTC) + hour):
        code, message, status = error(ddb.restore_table_to_point_in_time, SourceTableName=table,
                                      TargetTableName=target, RestoreDateTime=when)
        assert (code, status) == ("InvalidRestoreTimeException", 400)
        earliest = window["EarliestRestorableDateTime"].strftime("%Y-%m-%dT%H:%M:%SZ")
        assert message.startswith(f"RestoreDateTime '{when.strftime('%Y-%m-%dT%H:%M:%SZ')}' must be within"
                                  f" EarliestRestorableDateTime '{earliest}' and LatestRestor")
    assert target not in ddb.list_tables()["TableNames"]


def test_the_request_names_one_source_and_one_time(ddb, table):
    enable(ddb, table)
    target = f"r-{uuid.uuid4().hex[:8]}"
    arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]

    assert error(ddb.restore_table_to_point_in_time, SourceTableName=table, SourceTableArn=arn,
                 TargetTableName=target, UseLatestRestorableTime=True) == (
        "ValidationException", "Must provide exactly one of: sourceTableArn, sourceTableName", 400)
    assert error(ddb.restore_table_to_point_in_time, TargetTableName=target,
                 UseLatestRestorableTime=True) == (
        "ValidationException", "The parameter 'TableName' is required", 400)
    no_time = ("ValidationException", "Invalid Request: Either one of RestoreDateTime or"
               " UseLatestRestorableTime must be specified, but not both", 400)
    assert error(ddb.restore_table_to_point_in_time, SourceTableName=table, TargetTableName=target) == no_time
    assert error(ddb.restore_table_to_point_in_time, SourceTableName=table, TargetTableName=target,
                 UseLatestRestorableTime=False) == no_time
    code, message, _ = error(ddb.restore_table_to_point_in_time, SourceTableName=table,
                             TargetTableName=target, UseLatestRestorableTime=True,
                             RestoreDateTime=datetime.datetime.now())
    assert code == "ValidationException"
    assert message.startswith("Invalid Request: Both RestoreDateTime and UseLatestRestorableTime cannot be"
                              " set for point-in-time restore request. Pleas")
    assert target not in ddb.list_tables()["TableNames"]


def test_a_restore_into_an_existing_table_is_refused(ddb, table):
    enable(ddb, table)
    ddb.put_item(TableName=table, Item=item("a", "1"))

    assert error(ddb.restore_table_to_point_in_time, SourceTableName=table, TargetTableName=table,
                 UseLatestRestorableTime=True) == (
        "TableAlreadyExistsException", f"Table already exists: {table}", 400)
    assert scanned(ddb, table) == [item("a", "1")]


def test_a_restore_may_override_the_billing_mode(ddb, table, restored):
    enable(ddb, table)
    ddb.put_item(TableName=table, Item=item("a", "1"))
    target = restored()

    ddb.restore_table_to_point_in_time(
        SourceTableName=table, TargetTableName=target, UseLatestRestorableTime=True,
        BillingModeOverride="PROVISIONED",
        ProvisionedThroughputOverride={"ReadCapacityUnits": 2, "WriteCapacityUnits": 3})

    described = ddb.describe_table(TableName=target)["Table"]
    assert (described["ProvisionedThroughput"]["ReadCapacityUnits"],
            described["ProvisionedThroughput"]["WriteCapacityUnits"]) == (2, 3)
    assert scanned(ddb, target) == [item("a", "1")]


def test_the_history_survives_kill_minus_nine(tmp_path):
    """Acknowledged writes, and what they changed, are in the history before the reply: after a crash,
    a restore to a time before them still undoes them."""
    server = Server(tmp_path / "data", free_port()).start()
    try:
        ddb = client_for(server.endpoint)
        table = create_table(ddb)
        enable(ddb, table)
        ddb.put_item(TableName=table, Item=item("a", "1", v="before"))
        then = moment()
        ddb.put_item(TableName=table, Item=item("a", "1", v="after"))
        ddb.put_item(TableName=table, Item=item("b", "2"))
        server.kill()
        server.start()

        ddb.restore_table_to_point_in_time(SourceTableName=table, TargetTableName="restored",
                                           RestoreDateTime=then)
        assert scanned(ddb, "restored") == [item("a", "1", v="before")]
    finally:
        server.stop()


# --- authorization -----------------------------------------------------------------------------------


def test_a_restore_needs_the_source_and_the_write_actions_on_the_target(server, ddb, table, restored):
    """Developer Guide, "Using IAM with DynamoDB backup and restore": RestoreTableToPointInTime on the
    source table, and read and write actions on the target."""
    enable(ddb, table)
    source_arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
    target = restored()
    target_arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{target}"
    writes = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:GetItem",
              "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchWriteItem"]
    no_source = new_user(server, policy(allow(writes, target_arn)))

    client = client_for(server.endpoint, credentials=no_source.credentials)
    response = failure(client.restore_table_to_point_in_time, SourceTableName=table, TargetTableName=target,
                       UseLatestRestorableTime=True)
    assert response["Error"]["Code"] == "AccessDeniedException"
    assert response["Error"]["Message"] == (
        f"User: {no_source.arn} is not authorized to perform: dynamodb:RestoreTableToPointInTime on resource:"
        f" {source_arn} because no identity-based policy allows the dynamodb:RestoreTableToPointInTime"
        " action")

    allowed = new_user(server, policy(allow("dynamodb:RestoreTableToPointInTime", source_arn),
                                      allow(writes, target_arn)))
    client_for(server.endpoint, credentials=allowed.credentials).restore_table_to_point_in_time(
        SourceTableName=table, TargetTableName=target, UseLatestRestorableTime=True)
    assert ddb.describe_table(TableName=target)["Table"]["TableStatus"] == "ACTIVE"

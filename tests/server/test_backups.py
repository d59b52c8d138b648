"""On-demand backups through the server, as boto3 sees them: CreateBackup, DescribeBackup, ListBackups,
DeleteBackup and RestoreTableFromBackup.

Sources: the DynamoDB API Reference for the shapes; ack-api-quirks' live captures of AWS (2026) for
what the reference leaves open: DDB-BACKUP-003 (CREATING only in CreateBackup's reply), DDB-BACKUP-004/009
(SourceTableFeatureDetails is {} for a plain table), DDB-BACKUP-005 ("Backup not found: <arn>"),
DDB-BACKUP-006 (the ARN id: 14-digit epoch milliseconds, 8 hex digits), DDB-BACKUP-007/016 (backups
outlive their table), DDB-BACKUP-012 ("Invalid Backup ARN"), DDB-BACKUP-014 (ListBackups: USER by
default, [lower, upper) time range, its wording for an inverted range, no cursor when the page holds
the last match), DDB-TABLE-447 ("Table not found: <name>"), DDB-TABLE-215 (what a restore keeps and
drops), DDB-TABLE-219 ("Table already exists: <name>"), DDB-TABLE-273 (the overrides' wording).
"""

from __future__ import annotations

import datetime
import re
import uuid

import pytest

from tests.conftest import client_for
from tests.helpers import (
    ACCOUNT,
    REGION,
    S,
    allow,
    create_table,
    directory_of,
    error,
    new_user,
    policy,
    put_items,
)

INVALID_ARN = ("ValidationException", "Invalid Backup ARN", 400)


def item(pk: str, sk: str, **more) -> dict:
    return {"pk": S(pk), "sk": S(sk), **{name: S(value) for name, value in more.items()}}


def scanned(ddb, table: str) -> list[dict]:
    items = ddb.scan(TableName=table, ConsistentRead=True)["Items"]
    return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def new_name() -> str:
    return f"r-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def restored(ddb):
    """Names for restored tables, deleted at the end of the test."""
    names: list[str] = []

    def name() -> str:
        names.append(new_name())
        return names[-1]

    yield name
    for name in names:
        try:
            ddb.delete_table(TableName=name)
        except ddb.exceptions.ResourceNotFoundException:
            pass


def test_create_backup_answers_its_details_and_describe_reports_it_available(ddb, table):
    put_items(ddb, table, [item("a", "1", v="x"), item("b", "2")])

    details = ddb.create_backup(TableName=table, BackupName="nightly")["BackupDetails"]

    assert re.fullmatch(rf"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}/backup/\d{{14}}-[0-9a-f]{{8}}",
                        details["BackupArn"])
    millis = int(details["BackupArn"].rsplit("/", 1)[1].split("-")[0])
    assert details["BackupCreationDateTime"].timestamp() == pytest.approx(millis / 1000, abs=0.001)
    assert (details["BackupName"], details["BackupStatus"], details["BackupType"]) == (
        "nightly", "CREATING", "USER")
    assert details["BackupSizeBytes"] > 0
    assert "BackupExpiryDateTime" not in details

    described = ddb.describe_backup(BackupArn=details["BackupArn"])["BackupDescription"]
    assert described["BackupDetails"] == dict(details, BackupStatus="AVAILABLE")
    source = described["SourceTableDetails"]
    table_description = ddb.describe_table(TableName=table)["Table"]
    assert source["TableName"] == table
    assert source["TableArn"] == table_description["TableArn"]
    assert source["TableId"] == table_description["TableId"]
    assert source["KeySchema"] == table_description["KeySchema"]
    assert source["ItemCount"] == 2
    assert source["BillingMode"] == "PAY_PER_REQUEST"
    assert described["SourceTableFeatureDetails"] == {}


def test_a_backup_is_the_table_as_it_was_when_it_was_made(ddb, table, restored):
    put_items(ddb, table, [item("a", "1", v="old"), item("b", "2")])
    arn = ddb.create_backup(TableName=table, BackupName="before")["BackupDetails"]["BackupArn"]
    ddb.put_item(TableName=table, Item=item("a", "1", v="new"))
    ddb.delete_item(TableName=table, Key={"pk": S("b"), "sk": S("2")})
    ddb.put_item(TableName=table, Item=item("c", "3"))

    target = restored()
    reply = ddb.restore_table_from_backup(TargetTableName=target, BackupArn=arn)["TableDescription"]

    assert scanned(ddb, target) == [item("a", "1", v="old"), item("b", "2")]
    assert reply["TableName"] == target
    assert reply["TableStatus"] == "CREATING"
    assert reply["RestoreSummary"]["RestoreInProgress"] is True
    assert reply["RestoreSummary"]["SourceBackupArn"] == arn
    described = ddb.describe_table(TableName=target)["Table"]
    assert described["TableStatus"] == "ACTIVE"
    assert described["ItemCount"] == 2
    assert described["KeySchema"] == ddb.describe_table(TableName=table)["Table"]["KeySchema"]
    assert described["TableArn"] == f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{target}"
    assert described["RestoreSummary"] == {
        "SourceBackupArn": arn, "SourceTableArn": ddb.describe_table(TableName=table)["Table"]["TableArn"],
        "RestoreDateTime": ddb.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"][
            "BackupCreationDateTime"],
        "RestoreInProgress": False}
    # The restored table is a table like any other.
    ddb.put_item(TableName=target, Item=item("z", "9"))
    assert len(scanned(ddb, target)) == 3


def test_a_backup_outlives_its_table_and_restores_after_it_is_gone(ddb, restored):
    source = create_table(ddb)
    put_items(ddb, source, [item("a", "1")])
    arn = ddb.create_backup(TableName=source, BackupName="keep")["BackupDetails"]["BackupArn"]
    ddb.delete_table(TableName=source)

    details = ddb.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]
    assert details["BackupStatus"] == "AVAILABLE"
    assert [s["BackupArn"] for s in ddb.list_backups(TableName=source)["BackupSummaries"]] == [arn]
    target = restored()
    ddb.restore_table_from_backup(TargetTableName=target, BackupArn=arn)
    assert scanned(ddb, target) == [item("a", "1")]
    ddb.delete_backup(BackupArn=arn)


def test_delete_backup_answers_deleted_and_the_backup_is_gone(ddb, table):
    arn = ddb.create_backup(TableName=table, BackupName="gone")["BackupDetails"]["BackupArn"]

    reply = ddb.delete_backup(BackupArn=arn)["BackupDescription"]

    assert reply["BackupDetails"]["BackupStatus"] == "DELETED"
    assert reply["SourceTableDetails"]["TableName"] == table
    not_found = ("BackupNotFoundException", f"Backup not found: {arn}", 400)
    assert error(ddb.describe_backup, BackupArn=arn) == not_found
    assert error(ddb.delete_backup, BackupArn=arn) == not_found
    assert error(ddb.restore_table_from_backup, TargetTableName=new_name(), BackupArn=arn) == not_found
    assert ddb.list_backups(TableName=table)["BackupSummaries"] == []


def test_list_backups_filters_by_table_and_pages_in_creation_order(ddb, table):
    other = create_table(ddb)
    try:
        arns = [ddb.create_backup(TableName=table, BackupName=f"bak{n}")["BackupDetails"]["BackupArn"]
                for n in range(3)]
        ddb.create_backup(TableName=other, BackupName="elsewhere")

        everything = ddb.list_backups(TableName=table)["BackupSummaries"]
        assert [s["BackupArn"] for s in everything] == arns
        summary = everything[0]
        assert summary["TableName"] == table
        assert summary["BackupName"] == "bak0"
        assert summary["BackupStatus"] == "AVAILABLE"
        assert summary["BackupType"] == "USER"
        assert summary["TableArn"] == ddb.describe_table(TableName=table)["Table"]["TableArn"]

        first = ddb.list_backups(TableName=table, Limit=2)
        assert [s["BackupArn"] for s in first["BackupSummaries"]] == arns[:2]
        assert first["LastEvaluatedBackupArn"] == arns[1]
        rest = ddb.list_backups(TableName=table, Limit=2,
                                ExclusiveStartBackupArn=first["LastEvaluatedBackupArn"])
        assert [s["BackupArn"] for s in rest["BackupSummaries"]] == arns[2:]
        assert "LastEvaluatedBackupArn" not in rest
        # A page that holds exactly the last matches has no cursor (DDB-BACKUP-014).
        assert "LastEvaluatedBackupArn" not in ddb.list_backups(TableName=table, Limit=3)

        assert ddb.list_backups(TableName=table, BackupType="SYSTEM")["BackupSummaries"] == []
        assert len(ddb.list_backups(TableName=table, BackupType="ALL")["BackupSummaries"]) == 3
        assert ddb.list_backups(TableName=f"no-such-{uuid.uuid4().hex[:6]}")["BackupSummaries"] == []
    finally:
        ddb.delete_table(TableName=other)


def test_list_backups_time_range_includes_its_lower_bound_and_excludes_its_upper(ddb, table):
    arns = [ddb.create_backup(TableName=table, BackupName=f"bak{n}")["BackupDetails"]["BackupArn"]
            for n in range(2)]
    created = [ddb.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"][
        "BackupCreationDateTime"] for arn in arns]
    millisecond = datetime.timedelta(milliseconds=1)

    def listed(**bounds) -> list[str]:
        return [s["BackupArn"] for s in ddb.list_backups(TableName=table, **bounds)["BackupSummaries"]]

    assert listed(TimeRangeLowerBound=created[0], TimeRangeUpperBound=created[1] + millisecond) == arns
    assert listed(TimeRangeLowerBound=created[0] + millisecond) == arns[1:]
    assert listed(TimeRangeUpperBound=created[1]) == (arns[:1] if created[1] > created[0] else [])
    assert error(ddb.list_backups, TimeRangeLowerBound=created[1],
                 TimeRangeUpperBound=created[0] - millisecond) == (
        "ValidationException", "Time range lower bound must be less than or equal to upper bound", 400)


def test_create_backup_of_a_missing_table_is_table_not_found(ddb):
    name = f"missing-{uuid.uuid4().hex[:8]}"

    assert error(ddb.create_backup, TableName=name, BackupName="bak") == (
        "TableNotFoundException", f"Table not found: {name}", 400)


def test_a_backup_arn_must_be_one(ddb, table):
    table_arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
    not_a_backup = table_arn + "/backup/not-an-id-at-all"

    assert error(ddb.describe_backup, BackupArn=not_a_backup) == INVALID_ARN
    assert error(ddb.delete_backup, BackupArn=not_a_backup) == INVALID_ARN
    assert error(ddb.describe_backup, BackupArn="x" * 48) == INVALID_ARN
    assert error(ddb.restore_table_from_backup, TargetTableName=new_name(),
                 BackupArn=table_arn + "/stream/x" * 3) == INVALID_ARN


def test_restore_into_an_existing_table_is_refused_and_changes_nothing(ddb, table):
    ddb.put_item(TableName=table, Item=item("a", "1"))
    arn = ddb.create_backup(TableName=table, BackupName="bak")["BackupDetails"]["BackupArn"]
    ddb.put_item(TableName=table, Item=item("b", "2"))

    assert error(ddb.restore_table_from_backup, TargetTableName=table, BackupArn=arn) == (
        "TableAlreadyExistsException", f"Table already exists: {table}", 400)
    assert len(scanned(ddb, table)) == 2


def test_restore_keeps_billing_and_keys_but_drops_deletion_protection_and_table_class(ddb, restored):
    source = new_name()
    ddb.create_table(TableName=source, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     ProvisionedThroughput={"ReadCapacityUnits": 7, "WriteCapacityUnits": 3},
                     DeletionProtectionEnabled=True, TableClass="STANDARD_INFREQUENT_ACCESS")
    try:
        arn = ddb.create_backup(TableName=source, BackupName="bak")["BackupDetails"]["BackupArn"]
        assert ddb.describe_backup(BackupArn=arn)["BackupDescription"]["SourceTableDetails"][
            "ProvisionedThroughput"] == {"ReadCapacityUnits": 7, "WriteCapacityUnits": 3}
        target = restored()
        ddb.restore_table_from_backup(TargetTableName=target, BackupArn=arn)

        described = ddb.describe_table(TableName=target)["Table"]
        assert described["ProvisionedThroughput"]["ReadCapacityUnits"] == 7
        assert described["ProvisionedThroughput"]["WriteCapacityUnits"] == 3
        assert described["DeletionProtectionEnabled"] is False
        assert "TableClassSummary" not in described
        assert "BillingModeSummary" not in described
    finally:
        ddb.update_table(TableName=source, DeletionProtectionEnabled=False)
        ddb.delete_table(TableName=source)


def test_restore_overrides_billing_throughput_and_encryption(ddb, table, restored):
    ddb.put_item(TableName=table, Item=item("a", "1"))
    arn = ddb.create_backup(TableName=table, BackupName="bak")["BackupDetails"]["BackupArn"]

    provisioned = restored()
    ddb.restore_table_from_backup(
        TargetTableName=provisioned, BackupArn=arn, BillingModeOverride="PROVISIONED",
        ProvisionedThroughputOverride={"ReadCapacityUnits": 5, "WriteCapacityUnits": 6},
        SSESpecificationOverride={"Enabled": True, "SSEType": "KMS"})
    described = ddb.describe_table(TableName=provisioned)["Table"]
    assert described["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert described["ProvisionedThroughput"]["WriteCapacityUnits"] == 6
    assert described.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED") == "PROVISIONED"
    assert described["SSEDescription"]["Status"] == "ENABLED"
    assert described["SSEDescription"]["SSEType"] == "KMS"
    assert described["SSEDescription"]["KMSMasterKeyArn"].startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/")
    assert scanned(ddb, provisioned) == [item("a", "1")]


def test_restore_refuses_overrides_that_contradict_each_other(ddb, table):
    arn = ddb.create_backup(TableName=table, BackupName="bak")["BackupDetails"]["BackupArn"]
    target = new_name()

    assert error(ddb.restore_table_from_backup, TargetTableName=target, BackupArn=arn,
                 ProvisionedThroughputOverride={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}) == (
        "ValidationException", "Cannot override ProvisionedThroughput unless BillingMode is PROVISIONED", 400)
    assert error(ddb.restore_table_from_backup, TargetTableName=target, BackupArn=arn,
                 BillingModeOverride="PROVISIONED") == (
        "ValidationException",
        "Must override ProvisionedThroughput if BillingMode is overridden to PROVISIONED", 400)
    new_index = {"IndexName": "new", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                 "Projection": {"ProjectionType": "ALL"}}
    assert error(ddb.restore_table_from_backup, TargetTableName=target, BackupArn=arn,
                 GlobalSecondaryIndexOverride=[new_index]) == (
        "ValidationException", "Index new does not match a secondary index that existed in the source table"
        " and cannot be created during the restore operation", 400)
    assert target not in ddb.list_tables()["TableNames"]


# --- authorization -----------------------------------------------------------------------------------


def test_a_restore_needs_the_backup_and_the_write_actions_on_the_target(server, ddb, table):
    """Developer Guide, "Using IAM with DynamoDB backup and restore": RestoreTableFromBackup on the
    backup, and PutItem, UpdateItem, DeleteItem, GetItem, Query, Scan, BatchWriteItem on the target."""
    arn = ddb.create_backup(TableName=table, BackupName="bak")["BackupDetails"]["BackupArn"]
    target = new_name()
    target_arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{target}"
    restore_only = new_user(server, policy(
        allow(["dynamodb:RestoreTableFromBackup", "dynamodb:DescribeBackup"], arn)))
    client = client_for(server.endpoint, credentials=restore_only.credentials)

    assert client.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]["BackupArn"] == arn
    assert error(client.restore_table_from_backup, TargetTableName=target, BackupArn=arn) == (
        "AccessDeniedException",
        f"User: {restore_only.arn} is not authorized to perform: dynamodb:PutItem on resource: {target_arn} "
        "because no identity-based policy allows the dynamodb:PutItem action", 400)
    assert target not in ddb.list_tables()["TableNames"]

    allowed = new_user(server, policy(
        allow("dynamodb:RestoreTableFromBackup", arn),
        allow(["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:GetItem",
               "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchWriteItem"], target_arn)))
    try:
        client_for(server.endpoint, credentials=allowed.credentials).restore_table_from_backup(
            TargetTableName=target, BackupArn=arn)
        assert ddb.describe_table(TableName=target)["Table"]["TableStatus"] == "ACTIVE"
    finally:
        ddb.delete_table(TableName=target)


# --- secondary indexes ---------------------------------------------------------------------------------


@pytest.fixture
def indexed(ddb):
    """An on-demand table keyed by pk/sk with a global index on g and a local index on l."""
    name = new_name()
    ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "g", "l")],
        GlobalSecondaryIndexes=[{"IndexName": "by-g",
                                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        LocalSecondaryIndexes=[{"IndexName": "by-l",
                                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                              {"AttributeName": "l", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    put_items(ddb, name, [item("a", "1", g="x", l="2"), item("a", "2", g="x", l="1"), item("b", "1", g="y")])
    yield name
    ddb.delete_table(TableName=name)


def test_a_restored_table_has_its_indexes_built_from_its_items(ddb, indexed, restored):
    arn = ddb.create_backup(TableName=indexed, BackupName="bak")["BackupDetails"]["BackupArn"]
    features = ddb.describe_backup(BackupArn=arn)["BackupDescription"]["SourceTableFeatureDetails"]
    assert [(i["IndexName"], i["Projection"]) for i in features["GlobalSecondaryIndexes"]] == [
        ("by-g", {"ProjectionType": "ALL"})]
    assert [i["IndexName"] for i in features["LocalSecondaryIndexes"]] == ["by-l"]
    target = restored()

    ddb.restore_table_from_backup(TargetTableName=target, BackupArn=arn)

    by_g = ddb.query(TableName=target, IndexName="by-g", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": S("x")})["Items"]
    assert sorted(i["sk"]["S"] for i in by_g) == ["1", "2"]
    by_l = ddb.query(TableName=target, IndexName="by-l", KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": S("a")})["Items"]
    assert [i["l"]["S"] for i in by_l] == ["1", "2"]
    described = ddb.describe_table(TableName=target)["Table"]
    assert described["GlobalSecondaryIndexes"][0]["IndexArn"] == f"{described['TableArn']}/index/by-g"
    assert described["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE"
    assert described["GlobalSecondaryIndexes"][0]["ItemCount"] == 3


def test_index_overrides_rename_or_drop_the_sources_indexes(ddb, indexed, restored):
    arn = ddb.create_backup(TableName=indexed, BackupName="bak")["BackupDetails"]["BackupArn"]
    renamed, bare = restored(), restored()

    ddb.restore_table_from_backup(TargetTableName=renamed, BackupArn=arn, GlobalSecondaryIndexOverride=[
        {"IndexName": "by-g-again", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "ALL"}}])
    ddb.restore_table_from_backup(TargetTableName=bare, BackupArn=arn, GlobalSecondaryIndexOverride=[],
                                  LocalSecondaryIndexOverride=[])

    assert len(ddb.query(TableName=renamed, IndexName="by-g-again", KeyConditionExpression="g = :g",
                         ExpressionAttributeValues={":g": S("y")})["Items"]) == 1
    local = ddb.describe_table(TableName=renamed)["Table"]["LocalSecondaryIndexes"]
    assert [i["IndexName"] for i in local] == ["by-l"]
    described = ddb.describe_table(TableName=bare)["Table"]
    assert "GlobalSecondaryIndexes" not in described
    assert "LocalSecondaryIndexes" not in described
    assert len(scanned(ddb, bare)) == 3


# --- the SYSTEM backup of a table deleted with point-in-time recovery ---------------------------------
# Developer Guide, "Enable point-in-time recovery in DynamoDB" ("Delete a table with PITR enabled": a
# system backup named table-name$DeletedTableBackup, retained for 35 days); ack-api-quirks
# DDB-BACKUP-015 (live AWS 2026): BackupType SYSTEM, an ARN id ending in -00000000, BackupExpiryDateTime
# 35 days after creation, DeleteBackup refused with "User is not allowed to delete the system backup with
# arn <arn>. It will automatically expire on <time>" (how the time is written is assumed), none for a
# table deleted without recovery; DDB-BACKUP-014: ListBackups lists it for SYSTEM and ALL, not by default.


def enable_recovery(ddb, table: str) -> None:
    ddb.update_continuous_backups(TableName=table,
                                  PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})


def system_backups(ddb, table: str) -> list[dict]:
    return ddb.list_backups(TableName=table, BackupType="SYSTEM")["BackupSummaries"]


def test_deleting_a_table_with_recovery_enabled_keeps_it_as_a_system_backup(ddb, restored):
    source = create_table(ddb)
    enable_recovery(ddb, source)
    put_items(ddb, source, [item("a", "1"), item("b", "2", v="x")])
    ddb.put_item(TableName=source, Item=item("b", "2", v="last"))
    user_arn = ddb.create_backup(TableName=source, BackupName="mine")["BackupDetails"]["BackupArn"]
    ddb.delete_item(TableName=source, Key=item("a", "1"))
    before = datetime.datetime.now(datetime.UTC)

    ddb.delete_table(TableName=source)

    (summary,) = system_backups(ddb, source)
    arn = summary["BackupArn"]
    assert re.fullmatch(rf"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{source}/backup/\d{{14}}-00000000", arn)
    assert summary["BackupName"] == f"{source}$DeletedTableBackup"
    assert (summary["BackupType"], summary["BackupStatus"], summary["TableName"]) == ("SYSTEM", "AVAILABLE", source)
    created = summary["BackupCreationDateTime"]
    assert before - datetime.timedelta(seconds=1) <= created <= datetime.datetime.now(datetime.UTC)
    expiry = summary["BackupExpiryDateTime"] - created
    assert abs(expiry - datetime.timedelta(days=35)) < datetime.timedelta(milliseconds=1)
    # ListBackups is USER unless asked (DDB-BACKUP-014).
    assert [s["BackupArn"] for s in ddb.list_backups(TableName=source)["BackupSummaries"]] == [user_arn]
    assert [s["BackupArn"] for s in ddb.list_backups(TableName=source, BackupType="ALL")["BackupSummaries"]] == [
        user_arn, arn]

    described = ddb.describe_backup(BackupArn=arn)["BackupDescription"]
    assert described["BackupDetails"]["BackupType"] == "SYSTEM"
    assert described["BackupDetails"]["BackupExpiryDateTime"] == summary["BackupExpiryDateTime"]
    assert described["SourceTableDetails"]["TableName"] == source
    assert described["SourceTableDetails"]["ItemCount"] == 1
    # It is the table just before it was deleted, and restores as any backup does.
    target = restored()
    ddb.restore_table_from_backup(TargetTableName=target, BackupArn=arn)
    assert scanned(ddb, target) == [item("b", "2", v="last")]

    code, message, status = error(ddb.delete_backup, BackupArn=arn)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith(f"User is not allowed to delete the system backup with arn {arn}. It will"
                              " automatically expire on ")
    assert ddb.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]["BackupStatus"] == "AVAILABLE"
    ddb.delete_backup(BackupArn=user_arn)


def test_a_table_deleted_without_recovery_leaves_no_system_backup(ddb):
    never, disabled = create_table(ddb), create_table(ddb)
    enable_recovery(ddb, disabled)
    ddb.update_continuous_backups(TableName=disabled,
                                  PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})

    ddb.delete_table(TableName=never)
    ddb.delete_table(TableName=disabled)

    assert system_backups(ddb, never) == []
    assert system_backups(ddb, disabled) == []


def test_each_deletion_of_a_table_with_recovery_keeps_its_own_system_backup(ddb):
    # A table deleted, created again under its name and deleted again: two SYSTEM backups, told apart by
    # their source's TableId, as backups of two incarnations are (DDB-BACKUP-016).
    name = new_name()
    table_ids = []
    for _ in range(2):
        create_table(ddb, name=name)
        table_ids.append(ddb.describe_table(TableName=name)["Table"]["TableId"])
        enable_recovery(ddb, name)
        ddb.delete_table(TableName=name)
    summaries = system_backups(ddb, name)
    assert [s["TableId"] for s in summaries] == table_ids
    assert len({s["BackupArn"] for s in summaries}) == 2


def test_an_expired_system_backup_is_no_longer_found(server, ddb):
    # 35 days cannot pass in a test: the service's own lookups are asked about a moment after the expiry.
    from moatdb.services.dynamodb import backups
    from moatdb.services.dynamodb.catalog import Catalog

    source = create_table(ddb)
    enable_recovery(ddb, source)
    ddb.delete_table(TableName=source)
    (summary,) = system_backups(ddb, source)
    backup_id = summary["BackupArn"].rsplit("/", 1)[1]
    expires = summary["BackupExpiryDateTime"].timestamp()

    with directory_of(server) as directory:
        txn = directory.store.read()
        assert backups.find(txn, ACCOUNT, REGION, backup_id, expires - 1) is not None
        assert backups.find(txn, ACCOUNT, REGION, backup_id, expires + 0.01) is None
        assert backup_id in {b.id for b in backups.listed(txn, ACCOUNT, REGION, expires - 1)}
        assert backup_id not in {b.id for b in backups.listed(txn, ACCOUNT, REGION, expires + 0.01)}
        # The next SYSTEM backup of the region, made after the expiry, drops it for good.
        other = create_table(ddb)
        with directory.store.write() as writing:
            later = backups.create_system(writing, Catalog.read_in(writing, (ACCOUNT, REGION, other)), ACCOUNT,
                                          REGION, expires + 0.01)
        txn = directory.store.read()
        assert backups.find(txn, ACCOUNT, REGION, backup_id, expires - 1) is None
        assert backups.find(txn, ACCOUNT, REGION, later.id, expires + 0.01) is not None
    ddb.delete_table(TableName=other)

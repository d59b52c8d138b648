"""Backups and point-in-time recovery: CreateBackup, DescribeBackup, ListBackups, DeleteBackup,
RestoreTableFromBackup, DescribeContinuousBackups, UpdateContinuousBackups, RestoreTableToPointInTime.

Messages not otherwise attributed come from ack-api-quirks' live captures of AWS (2026): DDB-TABLE-447
("Table not found: <name>"), DDB-BACKUP-005 ("Backup not found: <arn>"), DDB-BACKUP-014 (ListBackups'
filters), DDB-TABLE-100 and DDB-TABLE-272 (RestoreTableToPointInTime's checks, in their order).
"""

from __future__ import annotations

import datetime
import time

from moatdb.errors import (
    AwsError,
    BackupNotFoundException,
    InvalidRestoreTimeException,
    PointInTimeRecoveryUnavailableException,
    ResourceNotFoundException,
    TableNotFoundException,
    ValidationException,
)
from moatdb.services.dynamodb import backups, history, restores
from moatdb.services.dynamodb.catalog import TABLE_COUNTER, Address, Catalog, Recovery, Table, resolve_table
from moatdb.services.dynamodb.context import Request
from moatdb.storage.base import ReadTransaction

# DynamoDB's recovery period when UpdateContinuousBackups names none (API Reference,
# PointInTimeRecoverySpecification: "If no value is provided, the value will default to 35").
DEFAULT_RECOVERY_DAYS = 35
LIST_LIMIT = 100  # ListBackups' most per page (the model's Limit maximum)


def _present(params: dict) -> dict:
    """The request's members without JSON nulls: Coral treats a null member as an absent one."""
    return {name: value for name, value in params.items() if value is not None}


def _address(request: Request, name_or_arn: str | None = None) -> Address:
    """The table's address; a table of another region (which this server does not hold) is not found,
    in the words of the backup operations."""
    try:
        return request.table_address(name_or_arn)
    except ResourceNotFoundException:
        given = request.params["TableName"] if name_or_arn is None else name_or_arn
        raise TableNotFoundException(f"Table not found: {given}") from None


def _table(txn: ReadTransaction, address: Address, not_found: str | None = None) -> Table:
    """The table, or TableNotFoundException, as the backup operations word it."""
    try:
        return Catalog.read_in(txn, address)
    except ResourceNotFoundException:
        raise TableNotFoundException(
            not_found if not_found is not None else f"Table not found: {address[2]}") from None


def _backup(txn: ReadTransaction, request: Request) -> tuple[str, backups.Backup]:
    """The account and the backup BackupArn names, or BackupNotFoundException (an expired one too)."""
    arn = request.params["BackupArn"]
    account, backup_id = backups.parse_arn(arn)
    backup = backups.find(txn, account, request.region, backup_id, time.time())
    if backup is None:
        raise BackupNotFoundException(f"Backup not found: {arn}")
    return account, backup


# On-demand backups.

def create_backup(request: Request) -> dict:
    address = _address(request)
    with request.store.write() as txn:
        backup = backups.create(txn, _table(txn, address), address[0], address[1],
                                request.params["BackupName"], time.time())
    # CREATING in this reply only; DescribeBackup reports AVAILABLE (ack-api-quirks DDB-BACKUP-003).
    return {"BackupDetails": backup.details("CREATING")}


def describe_backup(request: Request) -> dict:
    return {"BackupDescription": _backup(request.store.read(), request)[1].description()}


def delete_backup(request: Request) -> dict:
    with request.store.write() as txn:
        account, backup = _backup(txn, request)
        if backup.type == "SYSTEM":
            # ack-api-quirks DDB-BACKUP-015 (live AWS 2026); how the time is written there is assumed.
            raise ValidationException(f"User is not allowed to delete the system backup with arn"
                                      f" {request.params['BackupArn']}. It will automatically expire on"
                                      f" {_iso(backup.expires or 0)}")
        backups.delete(txn, account, request.region, backup)
    return {"BackupDescription": backup.description("DELETED")}


def list_backups(request: Request) -> dict:
    params = _present(request.params)
    lower, upper = params.get("TimeRangeLowerBound"), params.get("TimeRangeUpperBound")
    if lower is not None and upper is not None and lower > upper:
        raise ValidationException("Time range lower bound must be less than or equal to upper bound")
    try:
        table_name = request.table_address(params["TableName"])[2] if "TableName" in params else None
    except ResourceNotFoundException:  # a table of another region, whose backups are not here
        return {"BackupSummaries": []}
    backup_type = params.get("BackupType", "USER")  # SYSTEM backups are listed only when asked for
    start = params.get("ExclusiveStartBackupArn")
    after = backups.parse_arn(start)[1] if start is not None else None
    limit = params.get("Limit", LIST_LIMIT)

    def wanted(backup: backups.Backup) -> bool:
        # The time range is [lower, upper) at millisecond precision.
        millis = round(backup.created * 1000)
        return ((table_name is None or backup.table_name == table_name)
                and (backup_type == "ALL" or backup.type == backup_type)
                and (lower is None or millis >= _millis(lower))
                and (upper is None or millis < _millis(upper)))

    found: list[backups.Backup] = []
    result: dict = {}
    for backup in backups.listed(request.store.read(), request.account, request.region, time.time(), after):
        if not wanted(backup):
            continue
        if len(found) == limit:  # another one follows: the page ends with a cursor, and only then
            result["LastEvaluatedBackupArn"] = found[-1].arn
            break
        found.append(backup)
    return {"BackupSummaries": [backup.summary() for backup in found], **result}


def restore_table_from_backup(request: Request) -> dict:
    params = _present(request.params)
    address = request.table_address(params["TargetTableName"])
    now = time.time()
    with request.store.write() as txn:
        _, backup = _backup(txn, request)
        summary = {"SourceBackupArn": backup.arn, "SourceTableArn": backup.table["TableArn"],
                   "RestoreDateTime": backup.created}
        restored = restores.description(backup.table, address, params, now, summary)
        table = restores.create(txn, address, restored)
        restores.copy(txn, table, backups.items(txn, backup))
    return {"TableDescription": restores.reply(table)}


# Point-in-time recovery.

def describe_continuous_backups(request: Request) -> dict:
    table = _table(request.store.read(), _address(request))
    return {"ContinuousBackupsDescription": history.description(table, time.time())}


def update_continuous_backups(request: Request) -> dict:
    specification = request.params["PointInTimeRecoverySpecification"]
    enable = specification["PointInTimeRecoveryEnabled"]
    days = specification.get("RecoveryPeriodInDays")
    if not enable and days is not None:
        # ack-api-quirks DDB-TABLE-084 (live AWS 2026), which also shows the period forgotten on disable.
        raise ValidationException("Invalid Request: Cannot specify RecoveryPeriodInDays when disabling"
                                  " point-in-time recovery.")
    address = _address(request)
    with request.store.write() as txn:
        table = _table(txn, address)
        now = time.time()
        current = table.recovery
        if enable:
            if current is not None and current.enabled:
                # Already on: only the period may change; the history kept so far stays.
                recovery = Recovery(current.history, True, current.since, days or current.days)
            else:
                # The history's storage id stays the table's for good: a writer that still believes
                # recovery is on records into it, and those rows predate ``since``, so no restore reads them.
                storage = current.history if current is not None else txn.next_id(TABLE_COUNTER)
                recovery = Recovery(storage, True, now, days or DEFAULT_RECOVERY_DAYS)
        elif current is not None and current.enabled:
            txn.drop_table(current.history)  # disabling forgets the history, as on DynamoDB
            recovery = Recovery(current.history, False, current.since, current.days)
        else:
            recovery = current
        if recovery != current:
            table.recovery = recovery
            Catalog.save_in(txn, address, table)
    return {"ContinuousBackupsDescription": history.description(table, now)}


def restore_table_to_point_in_time(request: Request) -> dict:
    params = _present(request.params)
    source_address, not_found = _point_in_time_source(request, params)
    use_latest = params.get("UseLatestRestorableTime", False)
    if use_latest and "RestoreDateTime" in params:
        # The capture ends at "Pleas"; the rest of the sentence is assumed.
        raise ValidationException("Invalid Request: Both RestoreDateTime and UseLatestRestorableTime cannot"
                                  " be set for point-in-time restore request. Please specify only one.")
    if not use_latest and "RestoreDateTime" not in params:
        raise ValidationException("Invalid Request: Either one of RestoreDateTime or UseLatestRestorableTime"
                                  " must be specified, but not both")
    address = request.table_address(params["TargetTableName"])
    with request.store.write() as txn:
        source = _table(txn, source_address, not_found)
        if source.recovery is None or not source.recovery.enabled:
            raise PointInTimeRecoveryUnavailableException(
                f"Point in time recovery is not enabled for table '{source.name}'")
        now = time.time()
        at = now if use_latest else params["RestoreDateTime"]
        earliest = history.earliest(source.recovery, now)
        if not earliest <= at <= now:
            # The capture ends at "LatestRestor"; the rest follows the sentence's pattern (assumed).
            raise InvalidRestoreTimeException(
                f"RestoreDateTime '{_iso(at)}' must be within EarliestRestorableDateTime '{_iso(earliest)}'"
                f" and LatestRestorableDateTime '{_iso(now)}'")
        summary = {"SourceTableArn": source.arn, "RestoreDateTime": at}
        table = restores.create(txn, address, restores.description(source.description, address, params, now,
                                                                   summary))
        changed = history.items_at(txn, source, at)
        # The items as they are now, except those changed since ``at``, which are put back as they were.
        restores.copy(txn, table, (row for row in txn.scan(source.id) if (row[0], row[1]) not in changed))
        restores.copy(txn, table, ((partition, sort, value) for (partition, sort), value in changed.items()
                                   if value is not None))
    return {"TableDescription": restores.reply(table)}


def _point_in_time_source(request: Request, params: dict) -> tuple[Address, str | None]:
    """The source table's address, and the not-found message when it is given by ARN (bare, as AWS
    words it then: ack-api-quirks DDB-TABLE-447)."""
    name, arn = params.get("SourceTableName"), params.get("SourceTableArn")
    if name is not None and arn is not None:
        raise ValidationException("Must provide exactly one of: sourceTableArn, sourceTableName")
    if name is None and arn is None:
        raise ValidationException("The parameter 'TableName' is required")
    if name is not None:
        return _address(request, name), None
    try:
        address = resolve_table(request.account, request.region, arn)
    except AwsError:
        # Worded as for ExportTableToPointInTime's tableArn (DDB-EXPORT-001); the prefix is assumed here.
        raise ValidationException(
            "One or more parameter values were invalid: sourceTableArn is not a valid ARN") from None
    if address[0] != request.account:
        raise ValidationException(
            "This action is only supported by accounts that match the resource owner's account")
    return address, "Table not found"


# The times ISO 8601 can write (years 1 to 9999): a RestoreDateTime beyond them is quoted at the limit.
_FIRST_SECOND, _LAST_SECOND = -62_135_596_800, 253_402_300_799


def _millis(seconds: float) -> int:
    """A request's timestamp in milliseconds, as Coral reads it into a java.util.Date: Java's cast of
    the double to a long saturates at the long's bounds (1e308 seconds is the end of time, not an
    error), where Python's round() of the overflowing product would raise."""
    millis = seconds * 1000
    if millis >= _LONG_MAX:
        return _LONG_MAX
    if millis <= -_LONG_MAX - 1:
        return -_LONG_MAX - 1
    return round(millis)


_LONG_MAX = 2**63 - 1


def _iso(at: float) -> str:
    moment = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
        seconds=int(min(max(at, _FIRST_SECOND), _LAST_SECOND)))
    return f"{moment.year:04d}" + moment.strftime("-%m-%dT%H:%M:%SZ")


OPERATIONS: dict = {
    "CreateBackup": create_backup,
    "DescribeBackup": describe_backup,
    "ListBackups": list_backups,
    "DeleteBackup": delete_backup,
    "RestoreTableFromBackup": restore_table_from_backup,
    "DescribeContinuousBackups": describe_continuous_backups,
    "UpdateContinuousBackups": update_continuous_backups,
    "RestoreTableToPointInTime": restore_table_to_point_in_time,
}

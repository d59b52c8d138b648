"""Backups in storage: each one a copy of a table's items and description. An on-demand (USER) backup
is kept until deleted; the SYSTEM backup DeleteTable makes of a table with point-in-time recovery
enabled is kept for 35 days and cannot be deleted.

A backup's items are copied, in the transaction that creates it, under a storage id of its own, so it
is consistent (no write comes between) and outlives its table. The backups themselves are item rows
of one registry (never documents, whose writes drop every worker's caches): partition
``account:region``, sort the backup's id, value its record. The id is the creation time in epoch
milliseconds, zero-padded to 14 digits, then 8 hex digits (ack-api-quirks DDB-BACKUP-006, live AWS
2026: ``01791504762511-2779fadd``), so the registry lists a region's backups in creation order. The
registry's storage id is found through one document, written once, when the first backup is made.

A SYSTEM backup (Developer Guide, "Enable point-in-time recovery in DynamoDB", "Delete a table with PITR
enabled": "DynamoDB automatically creates a backup snapshot called a system backup and retains it for 35
days ... All system backups follow a standard naming convention of table-name$DeletedTableBackup") is,
as ack-api-quirks DDB-BACKUP-015 captured it on AWS: BackupType SYSTEM, an id ending in ``-00000000``,
BackupExpiryDateTime 35 days after its creation, and DeleteBackup refused. Once expired it is no longer
found or listed; its rows are dropped when the next SYSTEM backup of the region is made.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import orjson

from moatdb.errors import ValidationException
from moatdb.services.dynamodb.catalog import TABLE_COUNTER, Table
from moatdb.storage.base import ReadTransaction, Row, WriteTransaction

REGISTRY_KIND = "dynamodb/backups"
REGISTRY_NAME = "registry"
_ARN = re.compile(
    r"arn:aws:dynamodb:([a-z0-9-]+):(\d{12}):table/([a-zA-Z0-9_.-]{3,255})/backup/(\d{14}-[0-9a-f]{8})")
# Describe/Delete/RestoreTableFromBackup given a table ARN or any other string that is no backup ARN
# (ack-api-quirks DDB-BACKUP-012 and DDB-TABLE-273, live AWS 2026).
INVALID_ARN = "Invalid Backup ARN"
SYSTEM_NAME_SUFFIX = "$DeletedTableBackup"
SYSTEM_ID_SUFFIX = "-00000000"
SYSTEM_RETENTION = 35 * 24 * 3600  # seconds


@dataclass(slots=True)
class Backup:
    id: str  # "<14-digit epoch ms>-<8 hex>"
    arn: str
    name: str
    created: float  # epoch seconds, at millisecond precision
    storage: int  # the storage id its items were copied under
    item_count: int
    size: int  # bytes, as TableSizeBytes counts them
    table: dict  # the TableDescription of the source at backup time (without live counts)
    time_to_live: str | None  # the attribute the source's time to live read, if enabled
    type: str = "USER"  # or "SYSTEM"
    expires: float | None = None  # epoch seconds; a USER backup never expires

    def expired(self, now: float) -> bool:
        return self.expires is not None and self.expires <= now

    @property
    def table_name(self) -> str:
        return self.table["TableName"]

    def details(self, status: str = "AVAILABLE") -> dict:
        """BackupDetails; BackupExpiryDateTime only for a backup that expires (DDB-BACKUP-006: a USER
        backup has none)."""
        details = {"BackupArn": self.arn, "BackupName": self.name, "BackupSizeBytes": self.size,
                   "BackupStatus": status, "BackupType": self.type, "BackupCreationDateTime": self.created}
        if self.expires is not None:
            details["BackupExpiryDateTime"] = self.expires
        return details

    def summary(self) -> dict:
        """BackupSummary, as ListBackups reports it."""
        details = self.details()
        return {"TableName": self.table_name, "TableId": self.table["TableId"],
                "TableArn": self.table["TableArn"], **details}

    def description(self, status: str = "AVAILABLE") -> dict:
        """BackupDescription: the details, the source table, and what it had beside its items."""
        return {"BackupDetails": self.details(status), "SourceTableDetails": self._source_details(),
                "SourceTableFeatureDetails": self._feature_details()}

    def _source_details(self) -> dict:
        table = self.table
        throughput = table.get("ProvisionedThroughput", {})
        details = {
            "TableName": table["TableName"], "TableId": table["TableId"], "TableArn": table["TableArn"],
            "TableSizeBytes": self.size, "KeySchema": table["KeySchema"],
            "TableCreationDateTime": table["CreationDateTime"],
            "ProvisionedThroughput": {"ReadCapacityUnits": throughput.get("ReadCapacityUnits", 0),
                                      "WriteCapacityUnits": throughput.get("WriteCapacityUnits", 0)},
            "ItemCount": self.item_count,
            "BillingMode": table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"),
        }
        if "OnDemandThroughput" in table:
            details["OnDemandThroughput"] = table["OnDemandThroughput"]
        return details

    def _feature_details(self) -> dict:
        """Only what the source had: a plain table's is ``{}`` (ack-api-quirks DDB-BACKUP-004/009/021)."""
        table = self.table
        features: dict = {}
        if table.get("LocalSecondaryIndexes"):
            features["LocalSecondaryIndexes"] = [
                {"IndexName": i["IndexName"], "KeySchema": i["KeySchema"], "Projection": i["Projection"]}
                for i in table["LocalSecondaryIndexes"]]
        if table.get("GlobalSecondaryIndexes"):
            features["GlobalSecondaryIndexes"] = [_gsi_info(i) for i in table["GlobalSecondaryIndexes"]]
        stream = table.get("StreamSpecification")
        if stream and stream.get("StreamEnabled"):
            features["StreamDescription"] = {"StreamEnabled": True,
                                             "StreamViewType": stream.get("StreamViewType")}
        if self.time_to_live is not None:
            features["TimeToLiveDescription"] = {"TimeToLiveStatus": "ENABLED",
                                                 "AttributeName": self.time_to_live}
        if "SSEDescription" in table:
            features["SSEDescription"] = table["SSEDescription"]
        return features

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, stored: bytes) -> Backup:
        return cls(**orjson.loads(stored))


def _gsi_info(index: dict) -> dict:
    info = {"IndexName": index["IndexName"], "KeySchema": index["KeySchema"],
            "Projection": index["Projection"]}
    throughput = index.get("ProvisionedThroughput")
    if throughput is not None:
        info["ProvisionedThroughput"] = {"ReadCapacityUnits": throughput.get("ReadCapacityUnits", 0),
                                         "WriteCapacityUnits": throughput.get("WriteCapacityUnits", 0)}
    return info


def parse_arn(arn: str) -> tuple[str, str]:
    """``(account, backup id)`` of a BackupArn. The region and table name in it do not select the
    backup (ack-api-quirks DDB-BACKUP-012: DynamoDB finds a backup by account and id)."""
    match = _ARN.fullmatch(arn)
    if match is None:
        raise ValidationException(INVALID_ARN)
    return match[2], match[4]


def create(txn: WriteTransaction, table: Table, account: str, region: str, name: str, now: float) -> Backup:
    """A USER backup of ``table`` as it is in ``txn``: its items copied, its record in the registry."""
    millis = round(now * 1000)
    return _create(txn, table, account, region, name, f"{millis:014d}-{secrets.token_hex(4)}", millis)


def create_system(txn: WriteTransaction, table: Table, account: str, region: str, now: float) -> Backup:
    """The SYSTEM backup of ``table``, which is being deleted in ``txn``: the table as it is just
    before. The expired SYSTEM backups of the region go meanwhile."""
    registry, partition = _registry(txn), _partition(account, region)
    _drop_expired(txn, registry, partition, now)
    millis = round(now * 1000)
    # The id has no random part: the SYSTEM backup of another table made in the same millisecond
    # moves this one to the next free millisecond.
    while txn.get(registry, partition, f"{millis:014d}{SYSTEM_ID_SUFFIX}".encode()) is not None:
        millis += 1
    return _create(txn, table, account, region, table.name + SYSTEM_NAME_SUFFIX,
                   f"{millis:014d}{SYSTEM_ID_SUFFIX}", millis, kind="SYSTEM",
                   expires=millis / 1000 + SYSTEM_RETENTION)


def _create(txn: WriteTransaction, table: Table, account: str, region: str, name: str, backup_id: str,
            millis: int, *, kind: str = "USER", expires: float | None = None) -> Backup:
    storage = txn.next_id(TABLE_COUNTER)
    item_count, size = txn.count(table.id)
    for partition, sort, value in txn.scan(table.id):
        txn.put(storage, partition, sort, value)
    arn = f"arn:aws:dynamodb:{region}:{account}:table/{table.name}/backup/{backup_id}"
    backup = Backup(id=backup_id, arn=arn, name=name, created=millis / 1000, storage=storage,
                    item_count=item_count, size=size, table=table.description,
                    time_to_live=table.time_to_live, type=kind, expires=expires)
    txn.put(_registry(txn), _partition(account, region), backup_id.encode(), backup.to_json())
    return backup


def _drop_expired(txn: WriteTransaction, registry: int, partition: bytes, now: float) -> None:
    expired = [backup for backup in map(Backup.from_json, (value for _, value in txn.query(registry, partition)))
               if backup.expired(now)]
    for backup in expired:
        txn.delete(registry, partition, backup.id.encode())
        txn.drop_table(backup.storage)


def find(txn: ReadTransaction, account: str, region: str, backup_id: str, now: float) -> Backup | None:
    """The backup, unless there is none by that id or it has expired."""
    registry = _registry_id(txn)
    if registry is None:
        return None
    stored = txn.get(registry, _partition(account, region), backup_id.encode())
    backup = Backup.from_json(stored) if stored is not None else None
    return None if backup is None or backup.expired(now) else backup


def delete(txn: WriteTransaction, account: str, region: str, backup: Backup) -> None:
    txn.delete(_registry(txn), _partition(account, region), backup.id.encode())
    txn.drop_table(backup.storage)


def items(txn: ReadTransaction, backup: Backup) -> Iterator[Row]:
    return txn.scan(backup.storage)


def listed(txn: ReadTransaction, account: str, region: str, now: float, after: str | None = None
           ) -> Iterator[Backup]:
    """The region's backups in creation order (the expired ones left out), those after the backup id
    ``after`` when it is given."""
    registry = _registry_id(txn)
    if registry is None:
        return iter(())
    rows = txn.query(registry, _partition(account, region), None if after is None else after.encode(),
                     low_inclusive=False)
    return (backup for backup in map(Backup.from_json, (value for _, value in rows)) if not backup.expired(now))


def _partition(account: str, region: str) -> bytes:
    return f"{account}:{region}".encode()


def _registry_id(txn: ReadTransaction) -> int | None:
    stored = txn.document(REGISTRY_KIND, REGISTRY_NAME)
    return None if stored is None else orjson.loads(stored)["id"]


def _registry(txn: WriteTransaction) -> int:
    """The registry's storage id, allocated (one document write, ever) by the first backup."""
    registry = _registry_id(txn)
    if registry is None:
        registry = txn.next_id(TABLE_COUNTER)
        txn.put_document(REGISTRY_KIND, REGISTRY_NAME, orjson.dumps({"id": registry}))
    return registry

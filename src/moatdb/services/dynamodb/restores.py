"""A table restored from a backup or to a point in time: its description, its creation, its items.

Both restores make an ordinary new table (``Catalog.create_in``) from a source description and the
request's overrides, and write its items through ``changes.write`` so that what follows them (its
secondary indexes) is built as for any write. What a restore keeps and drops is DynamoDB's (ack-api-
quirks DDB-TABLE-215, live AWS 2026): it keeps keys, indexes, billing mode, throughput, on-demand
maxima and encryption; it drops the stream, time to live, point-in-time recovery, tags, deletion
protection, the resource policy and the table class.

The copy runs in the one write transaction that creates the table, so the new table is complete and
consistent when the call returns; a very large table holds the store's writer for that long.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import orjson

from moatdb.errors import TableAlreadyExistsException, ValidationException
from moatdb.services.dynamodb import changes, encryption
from moatdb.services.dynamodb.catalog import Address, Catalog, Table
from moatdb.storage.base import WriteTransaction

# The members of a source's TableDescription that a restored table takes as they are.
_KEPT = ("AttributeDefinitions", "KeySchema", "SSEDescription", "OnDemandThroughput")
# Per index, what is the source's own and not the restored index's.
_INDEX_LIVE = ("IndexArn", "IndexStatus", "IndexSizeBytes", "ItemCount", "Backfilling")
_INDEX_KINDS = (("GlobalSecondaryIndexes", "GlobalSecondaryIndexOverride"),
                ("LocalSecondaryIndexes", "LocalSecondaryIndexOverride"))


def description(source: dict, address: Address, params: dict, now: float, summary: dict) -> dict:
    """The restored table's TableDescription: ``source``'s with the request's overrides, named and
    addressed as the new table, with its RestoreSummary (``summary``, RestoreInProgress left out)."""
    account, region, name = address
    arn = f"arn:aws:dynamodb:{region}:{account}:table/{name}"
    restored: dict = {key: source[key] for key in _KEPT if key in source}
    restored.update(TableName=name, TableStatus="ACTIVE", CreationDateTime=now, TableArn=arn,
                    TableId=str(uuid.uuid4()), DeletionProtectionEnabled=False)
    mode = _billing(source, restored, params, now)
    for kind, override in _INDEX_KINDS:
        indexes = _indexes(source.get(kind) or [], params.get(override), arn, mode,
                           global_index=kind == "GlobalSecondaryIndexes")
        if indexes:
            restored[kind] = indexes
    sse = params.get("SSESpecificationOverride")
    if sse is not None:
        restored.pop("SSEDescription", None)
        described = encryption.description(sse, account=account, region=region)
        if described is not None:
            restored["SSEDescription"] = described
    restored["RestoreSummary"] = dict(summary, RestoreInProgress=False)
    return restored


def create(txn: WriteTransaction, address: Address, restored: dict) -> Table:
    """The new table, refused when the name is taken (ack-api-quirks DDB-TABLE-219/275, live AWS 2026:
    "Table already exists: <name>", for an active and for a deleting table alike)."""
    if Catalog.exists_in(txn, address):
        raise TableAlreadyExistsException(f"Table already exists: {address[2]}")
    return Catalog.create_in(txn, address, restored)


def copy(txn: WriteTransaction, table: Table, rows: Iterable[tuple[bytes, bytes, bytes]]) -> None:
    """Write ``rows`` (storage key and wire JSON) into the new, empty ``table``."""
    for partition, sort, encoded in rows:
        changes.write(txn, table, partition, sort, None, orjson.loads(encoded), encoded)


def reply(table: Table) -> dict:
    """The restore's TableDescription: the table being created, its restore in progress."""
    described = dict(table.description, TableStatus="CREATING", ItemCount=0, TableSizeBytes=0)
    described["RestoreSummary"] = dict(described["RestoreSummary"], RestoreInProgress=True)
    return described


def _billing(source: dict, restored: dict, params: dict, now: float) -> str:
    """Set the billing mode and throughput of ``restored``; the mode. Wording from ack-api-quirks
    DDB-TABLE-273 (live AWS 2026)."""
    source_mode = source.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    mode = params.get("BillingModeOverride", source_mode)
    throughput = params.get("ProvisionedThroughputOverride")
    if throughput is not None and mode != "PROVISIONED":
        raise ValidationException("Cannot override ProvisionedThroughput unless BillingMode is PROVISIONED")
    if mode == "PROVISIONED":
        if throughput is None:
            if source_mode != "PROVISIONED":
                raise ValidationException(
                    "Must override ProvisionedThroughput if BillingMode is overridden to PROVISIONED")
            throughput = source["ProvisionedThroughput"]
        restored["ProvisionedThroughput"] = _throughput(throughput)
        restored.pop("OnDemandThroughput", None)
    else:
        restored["ProvisionedThroughput"] = _throughput(None)
        restored["BillingModeSummary"] = {"BillingMode": "PAY_PER_REQUEST",
                                          "LastUpdateToPayPerRequestDateTime": now}
        if params.get("OnDemandThroughputOverride"):
            restored["OnDemandThroughput"] = params["OnDemandThroughputOverride"]
    return mode


def _indexes(source: list[dict], overrides: list[dict] | None, table_arn: str, mode: str, *,
             global_index: bool) -> list[dict]:
    """The restored table's indexes of one kind: the source's, or those of the override, each of which
    must be one of the source's (renamed, perhaps); ``[]`` drops them all (ack-api-quirks DDB-TABLE-273
    and DDB-TABLE-279, live AWS 2026)."""
    chosen: list[tuple[dict, dict | None]] = []
    if overrides is None:
        chosen = [(index, None) for index in source]
    else:
        for override in overrides:
            match = next((index for index in source if _same_index(index, override)), None)
            if match is None:
                raise ValidationException(
                    f"Index {override['IndexName']} does not match a secondary index that existed in the"
                    " source table and cannot be created during the restore operation")
            chosen.append((match, override))
    restored = []
    for index, override in chosen:
        index = {key: value for key, value in index.items() if key not in _INDEX_LIVE}
        if override is not None:
            index["IndexName"] = override["IndexName"]
        index["IndexArn"] = f"{table_arn}/index/{index['IndexName']}"
        if global_index:
            index["IndexStatus"] = "ACTIVE"
            given = (override or {}).get("ProvisionedThroughput") or index.get("ProvisionedThroughput")
            # On demand, an index's provisioned figures are 0 (DDB-TABLE-273: the override flips them).
            index["ProvisionedThroughput"] = _throughput(given if mode == "PROVISIONED" else None)
        index["IndexSizeBytes"], index["ItemCount"] = 0, 0
        restored.append(index)
    return restored


def _same_index(index: dict, override: dict) -> bool:
    """Whether an override describes the source's ``index`` (its keys and projection; a new name is fine)."""
    def keys(schema: list[dict]) -> list[tuple[str, str]]:
        return [(element["AttributeName"], element["KeyType"]) for element in schema]

    def projected(projection: dict) -> tuple[str | None, frozenset[str]]:
        return projection.get("ProjectionType"), frozenset(projection.get("NonKeyAttributes") or ())

    return (keys(index["KeySchema"]) == keys(override["KeySchema"])
            and projected(index["Projection"]) == projected(override["Projection"]))


def _throughput(given: dict | None) -> dict:
    if given is None:
        return {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0}
    return {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": given["ReadCapacityUnits"],
            "WriteCapacityUnits": given["WriteCapacityUnits"]}


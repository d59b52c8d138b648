"""The control plane: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable.

Tables become ACTIVE at once: CreateTable answers ``CREATING`` as DynamoDB does, and the very next
DescribeTable reports ``ACTIVE`` (so the SDKs' ``table_exists`` waiters return on their first poll).
"""

from __future__ import annotations

import time
import uuid

from moatdb.errors import LimitExceededException, ResourceInUseException, ValidationException
from moatdb.services.dynamodb.catalog import TABLE_COUNTER, Catalog, Table
from moatdb.services.dynamodb.context import Request

INVALID = "One or more parameter values were invalid: "
# Developer Guide, "Quotas": 2,500 tables per account and region by default.
MAX_TABLES = 2500
# UpdateTable's wording when nothing would change (captured from the real service).
NOTHING_TO_UPDATE = (
    "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates,"
    " SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, ReplicaTransitRoleArn,"
    " MultiRegionConsistency, DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass"
    " is required"
)
MAX_CAPACITY = 1_000_000_000_000


def create_table(request: Request) -> dict:
    params = request.params
    _check_create(params)
    address = request.table_address()
    name = address[2]
    now = time.time()
    billing = params.get("BillingMode", "PROVISIONED")
    description: dict = {
        "AttributeDefinitions": params["AttributeDefinitions"],
        "TableName": name,
        "KeySchema": [
            {"AttributeName": k["AttributeName"], "KeyType": "RANGE" if k["KeyType"] == "SORT" else k["KeyType"]}
            for k in params["KeySchema"]
        ],
        "TableStatus": "ACTIVE",
        "CreationDateTime": now,
        "ProvisionedThroughput": _throughput(params.get("ProvisionedThroughput") if billing == "PROVISIONED"
                                             else None),
        "TableArn": f"arn:aws:dynamodb:{address[1]}:{address[0]}:table/{name}",
        "TableId": str(uuid.uuid4()),
        "DeletionProtectionEnabled": bool(params.get("DeletionProtectionEnabled", False)),
    }
    if billing == "PAY_PER_REQUEST":
        description["BillingModeSummary"] = {
            "BillingMode": "PAY_PER_REQUEST",
            "LastUpdateToPayPerRequestDateTime": now,
        }
    if "TableClass" in params:
        description["TableClassSummary"] = {"TableClass": params["TableClass"]}
    with request.store.write() as txn:
        if Catalog.exists_in(txn, address):
            raise ResourceInUseException(f"Table already exists: {name}")
        if sum(1 for _ in request.catalog.names(address[0], address[1])) >= MAX_TABLES:
            raise LimitExceededException(
                f"Subscriber limit exceeded: Number of tables per account and region exceeds {MAX_TABLES}"
            )
        table = Table.from_description(txn.next_id(TABLE_COUNTER), description)
        Catalog.save_in(txn, address, table)
    return {"TableDescription": _describe(table, status="CREATING", counts=(0, 0))}


def describe_table(request: Request) -> dict:
    table = Catalog.read_in(request.store.read(), request.table_address())
    return {"Table": _describe(table, counts=request.store.read().count(table.id))}


def list_tables(request: Request) -> dict:
    params = request.params
    limit = params.get("Limit", 100)
    start = params.get("ExclusiveStartTableName")
    names = sorted(request.catalog.names(request.account, request.region))
    if start is not None:
        names = [n for n in names if n > start]
    result: dict = {"TableNames": names[:limit]}
    if len(names) > limit:
        result["LastEvaluatedTableName"] = names[limit - 1]
    return result


def delete_table(request: Request) -> dict:
    address = request.table_address()
    with request.store.write() as txn:
        table = Catalog.read_in(txn, address)
        if table.description.get("DeletionProtectionEnabled"):
            raise ValidationException(
                "Resource cannot be deleted as it is currently protected against deletion."
                " Disable deletion protection first."
            )
        counts = txn.count(table.id)
        Catalog.delete_in(txn, address, table)
    return {"TableDescription": _describe(table, status="DELETING", counts=counts)}


def update_table(request: Request) -> dict:
    params = request.params
    address = request.table_address()
    changes = {"ProvisionedThroughput", "BillingMode", "DeletionProtectionEnabled", "TableClass"} & params.keys()
    if not changes:
        raise ValidationException(NOTHING_TO_UPDATE)
    with request.store.write() as txn:
        table = Catalog.read_in(txn, address)
        changed_capacity = _update_billing(table.description, params)
        if "DeletionProtectionEnabled" in params:
            table.description["DeletionProtectionEnabled"] = bool(params["DeletionProtectionEnabled"])
        if "TableClass" in params:
            table.description["TableClassSummary"] = {"TableClass": params["TableClass"]}
        Catalog.save_in(txn, address, table)
        counts = txn.count(table.id)
    return {"TableDescription": _describe(table, status="UPDATING" if changed_capacity else "ACTIVE",
                                          counts=counts)}


def _update_billing(description: dict, params: dict) -> bool:
    """Apply BillingMode / ProvisionedThroughput changes; True when the capacity mode or figures changed."""
    current_mode = description.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    mode = params.get("BillingMode", current_mode)
    throughput = params.get("ProvisionedThroughput")
    now = time.time()
    if mode == "PAY_PER_REQUEST":
        if throughput is not None:
            raise ValidationException(
                INVALID + "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode"
                " is PAY_PER_REQUEST"
            )
        if current_mode == "PAY_PER_REQUEST":
            return False
        description["BillingModeSummary"] = {"BillingMode": "PAY_PER_REQUEST",
                                             "LastUpdateToPayPerRequestDateTime": now}
        description["ProvisionedThroughput"] = _throughput(None) | {
            "NumberOfDecreasesToday": description["ProvisionedThroughput"]["NumberOfDecreasesToday"]}
        return True
    # PROVISIONED
    if throughput is None:
        if current_mode == "PAY_PER_REQUEST":
            raise ValidationException(
                INVALID + "ProvisionedThroughput must be specified when BillingMode is PROVISIONED"
            )
        return False
    _check_capacity(throughput)
    old = description["ProvisionedThroughput"]
    read, write = throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]
    if current_mode == "PROVISIONED" and read == old["ReadCapacityUnits"] and write == old["WriteCapacityUnits"]:
        raise ValidationException(
            "The provisioned throughput for the table will not change. The requested value equals the current"
            f" value. Current ReadCapacityUnits provisioned for the table: {old['ReadCapacityUnits']}."
            f" Requested ReadCapacityUnits: {read}. Current WriteCapacityUnits provisioned for the table:"
            f" {old['WriteCapacityUnits']}. Requested WriteCapacityUnits: {write}. Refer to the Amazon DynamoDB"
            " Developer Guide for current limits and how to request higher limits."
        )
    new = dict(old, ReadCapacityUnits=read, WriteCapacityUnits=write)
    if read > old["ReadCapacityUnits"] or write > old["WriteCapacityUnits"]:
        new["LastIncreaseDateTime"] = now
    if read < old["ReadCapacityUnits"] or write < old["WriteCapacityUnits"]:
        new["LastDecreaseDateTime"] = now
        new["NumberOfDecreasesToday"] = old["NumberOfDecreasesToday"] + 1
    description["ProvisionedThroughput"] = new
    if current_mode == "PAY_PER_REQUEST":
        description["BillingModeSummary"] = {"BillingMode": "PROVISIONED",
                                             "LastUpdateToPayPerRequestDateTime":
                                                 description["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"]}
    return True


def _describe(table: Table, *, status: str = "ACTIVE", counts: tuple[int, int]) -> dict:
    description = dict(table.description)
    description["TableStatus"] = status
    description["ItemCount"], description["TableSizeBytes"] = counts
    return description


def _throughput(given: dict | None) -> dict:
    if given is None:  # PAY_PER_REQUEST tables report zero provisioned capacity
        return {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0}
    return {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": given["ReadCapacityUnits"],
            "WriteCapacityUnits": given["WriteCapacityUnits"]}


def _check_capacity(throughput: dict) -> None:
    for unit in ("ReadCapacityUnits", "WriteCapacityUnits"):
        if throughput[unit] > MAX_CAPACITY:
            raise ValidationException(f"Given value {throughput[unit]} for {unit} is out of bounds")


def _check_create(params: dict) -> None:
    """CreateTable's own rules, after the model's constraints, in the order DynamoDB applies them."""
    if params.get("BillingMode") == "PAY_PER_REQUEST":
        if params.get("ProvisionedThroughput"):
            raise ValidationException(
                INVALID + "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode"
                " is PAY_PER_REQUEST"
            )
    else:
        throughput = params.get("ProvisionedThroughput")
        if not throughput or not throughput.get("ReadCapacityUnits") or not throughput.get("WriteCapacityUnits"):
            raise ValidationException(
                INVALID + "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode"
                " is PROVISIONED"
            )
        _check_capacity(throughput)
    definitions = [d["AttributeName"] for d in params["AttributeDefinitions"]]
    schema = params["KeySchema"]
    keys = [k["AttributeName"] for k in schema]
    if len(keys) > len(definitions):
        raise ValidationException("Invalid KeySchema: Some index key attribute have no definition")
    if any(k not in definitions for k in keys):
        raise ValidationException(
            INVALID + "Some index key attributes are not defined in AttributeDefinitions. "
            f"Keys: [{', '.join(keys)}], AttributeDefinitions: [{', '.join(definitions)}]"
        )
    if len(keys) == 2 and keys[0] == keys[1]:
        raise ValidationException("Both the Hash Key and the Range Key element in the KeySchema have the same name")
    if schema[0]["KeyType"] != "HASH":
        raise ValidationException("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    if len(schema) == 2 and schema[1]["KeyType"] not in ("RANGE", "SORT"):
        raise ValidationException("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
    if params.get("GlobalSecondaryIndexes") or params.get("LocalSecondaryIndexes"):
        # Secondary indexes are a later piece of work (docs/differences-from-dynamodb.md).
        raise ValidationException(INVALID + "Secondary indexes are not supported by this moatdb version")
    if len(schema) != len(definitions):
        raise ValidationException(
            INVALID + "Number of attributes in KeySchema does not exactly match number of attributes defined"
            " in AttributeDefinitions"
        )

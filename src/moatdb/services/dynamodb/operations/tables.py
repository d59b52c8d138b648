"""The control plane: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable.

A table's resource-based policy lives with the table (CreateTable's ResourcePolicy attaches one;
operations/policies.py changes it): deleting the table deletes it.

Tables become ACTIVE at once: CreateTable answers ``CREATING`` as DynamoDB does, and the very next
DescribeTable reports ``ACTIVE`` (so the SDKs' ``table_exists`` waiters return on their first poll).
"""

from __future__ import annotations

import time
import uuid

from moatdb.errors import LimitExceededException, ResourceInUseException, ValidationException
from moatdb.services.dynamodb import backups, encryption, index_tables, indexes, resource_policies, streams
from moatdb.services.dynamodb.catalog import Catalog, StoredPolicy, Table
from moatdb.services.dynamodb.context import Request
from moatdb.services.dynamodb.operations import tags as tagging

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
# The UpdateTable members moatdb applies.
UPDATE_MEMBERS = ("ProvisionedThroughput", "BillingMode", "DeletionProtectionEnabled", "TableClass",
                  "StreamSpecification", "SSESpecification")
# Members that must travel alone (ack-api-quirks DDB-TABLE-382, live AWS 2026: "UpdateTable is
# single-concern"; DeletionProtection or TableClass with anything else is refused, nothing applied).
ALONE_IN_UPDATE = {
    "DeletionProtectionEnabled": "DeletionProtection modification must be the only operation in the request",
    "TableClass": "TableClass modification must be the only operation in the request",
}


def _present(params: dict) -> dict:
    """The request's members without JSON nulls: Coral treats a null member as an absent one
    (dynalite test/listTables.js "should return 200 if null attributes are supplied")."""
    return {name: value for name, value in params.items() if value is not None}


def create_table(request: Request) -> dict:
    params = _present(request.params)
    _check_create(params)
    address = request.table_address()
    name = address[2]
    now = time.time()
    billing = params.get("BillingMode", "PROVISIONED")
    description: dict = {
        # Rebuilt from the members the model knows: Coral drops any others, which would otherwise be
        # stored and echoed by every DescribeTable (and a deeply nested one could not be stored at all).
        "AttributeDefinitions": [
            {"AttributeName": d["AttributeName"], "AttributeType": d["AttributeType"]}
            for d in params["AttributeDefinitions"]
        ],
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
    description.update(index_tables.create_descriptions(params, description["TableArn"]))
    sse = encryption.description(params.get("SSESpecification"), account=address[0], region=address[1])
    if sse is not None:
        description["SSEDescription"] = sse
    tags = tagging.checked(params["Tags"], "tags") if params.get("Tags") else {}
    stream_view_type = streams.created_view_type(params.get("StreamSpecification"))
    policy = None
    if "ResourcePolicy" in params:
        # Attached with the table, at once ("strongly consistent", API Reference, CreateTable); its
        # RevisionId is the time of the creation (DDB-TABLE-233). DescribeTable does not show it.
        document, _ = resource_policies.check(params["ResourcePolicy"], description["TableArn"],
                                              request.authorizer.directory)
        policy = StoredPolicy(document, resource_policies.next_revision(None, now))
    with request.store.write() as txn:
        if Catalog.exists_in(txn, address):
            raise ResourceInUseException(f"Table already exists: {name}")
        if sum(1 for _ in request.catalog.names(address[0], address[1])) >= MAX_TABLES:
            raise LimitExceededException(
                f"Subscriber limit exceeded: Number of tables per account and region exceeds {MAX_TABLES}"
            )
        table = Catalog.create_in(txn, address, description, policy)
        if stream_view_type is not None:
            streams.enable(txn, table, stream_view_type, now)
            Catalog.save_in(txn, address, table)
        if tags:
            tagging.tag_new_table(txn, address, table, tags)
    reply = _describe(table, status="CREATING", counts=(0, 0), index_status="CREATING")
    if "BillingModeSummary" in reply:
        # CreateTable answers {BillingMode} alone; DescribeTable adds LastUpdateToPayPerRequestDateTime
        # (ack-api-quirks DDB-TABLE-033, live AWS 2026).
        reply["BillingModeSummary"] = {"BillingMode": billing}
    return {"TableDescription": reply}


def describe_table(request: Request) -> dict:
    reader = request.store.read()
    table = Catalog.read_in(reader, request.table_address())
    return {"Table": _describe(table, counts=reader.count(table.id), index_counts=indexes.counts(reader, table))}


def list_tables(request: Request) -> dict:
    params = _present(request.params)
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
        if table.streams:
            streams.keep_after_delete(txn, address, table, time.time())
        if table.recovery is not None and table.recovery.enabled:
            # The table as it is now, kept 35 days as its SYSTEM backup (backups.py).
            backups.create_system(txn, table, address[0], address[1], time.time())
        Catalog.delete_in(txn, address, table)
    return {"TableDescription": _describe(table, status="DELETING", counts=counts)}


def update_table(request: Request) -> dict:
    params = _present(request.params)
    address = request.table_address()
    changes = [name for name in UPDATE_MEMBERS if name in params]
    if params.get("GlobalSecondaryIndexUpdates"):
        # An empty list counts as absent here, and is refused beside another change (DDB-TABLE-359).
        changes.append("GlobalSecondaryIndexUpdates")
    if not changes:
        raise ValidationException(NOTHING_TO_UPDATE)
    if len(changes) > 1:
        for name, message in ALONE_IN_UPDATE.items():
            if name in changes:
                raise ValidationException(INVALID + message)
    streams.check_update(params)
    index_tables.check_updates(params)
    with request.store.write() as txn:
        table = Catalog.read_in(txn, address)
        old_mode = _billing_mode(table.description)
        old_throughput = table.description["ProvisionedThroughput"]  # replaced, never changed in place
        capacity_request = _update_billing(table.description, params)
        index_changes = index_tables.apply_updates(txn, table, params, old_mode=old_mode,
                                                   new_mode=_billing_mode(table.description))
        if "DeletionProtectionEnabled" in params:
            table.description["DeletionProtectionEnabled"] = bool(params["DeletionProtectionEnabled"])
        if "TableClass" in params:
            table.description["TableClassSummary"] = {"TableClass": params["TableClass"]}
        streams.update(txn, table, params.get("StreamSpecification"), time.time())
        if "SSESpecification" in params:
            encryption.update(table.description, params["SSESpecification"], account=address[0], region=address[1])
        Catalog.save_in(txn, address, table)
        counts = txn.count(table.id)
        index_counts = indexes.counts(txn, table)
    reply = _describe(table, status="UPDATING" if capacity_request or index_changes.occupies_table else "ACTIVE",
                      counts=counts, index_counts=index_counts)
    index_changes.reply(reply, echo_old_throughput=old_mode == _billing_mode(table.description) == "PROVISIONED")
    if capacity_request:
        # DynamoDB answers a capacity change before applying it (ack-api-quirks DDB-TABLE-060, live AWS
        # 2026): a throughput change echoes the old figures and decrease count (with the new
        # Last*DateTime), and a billing-mode switch names the new mode without
        # LastUpdateToPayPerRequestDateTime, which only DescribeTable shows.
        new_mode = _billing_mode(table.description)
        if "BillingModeSummary" in reply:
            reply["BillingModeSummary"] = {"BillingMode": new_mode}
        if old_mode == new_mode == "PROVISIONED":
            reply["ProvisionedThroughput"] = dict(
                reply["ProvisionedThroughput"], ReadCapacityUnits=old_throughput["ReadCapacityUnits"],
                WriteCapacityUnits=old_throughput["WriteCapacityUnits"],
                NumberOfDecreasesToday=old_throughput["NumberOfDecreasesToday"],
            )
    return {"TableDescription": reply}


def _billing_mode(description: dict) -> str:
    return description.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")


def _update_billing(description: dict, params: dict) -> bool:
    """Apply BillingMode / ProvisionedThroughput changes; True when the request asked for a capacity
    change DynamoDB accepts (the table answers UPDATING, even for a re-sent PAY_PER_REQUEST)."""
    current_mode = _billing_mode(description)
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
            # Re-sending PAY_PER_REQUEST is a no-op that still answers UPDATING (ack-api-quirks DDB-TABLE-057).
            return "BillingMode" in params
        description["BillingModeSummary"] = {"BillingMode": "PAY_PER_REQUEST",
                                             "LastUpdateToPayPerRequestDateTime": now}
        # The capacity figures drop to 0; the increase/decrease history stays (DDB-TABLE-055).
        description["ProvisionedThroughput"] = dict(description["ProvisionedThroughput"], ReadCapacityUnits=0,
                                                    WriteCapacityUnits=0)
        return True
    # PROVISIONED
    if throughput is None:
        if "BillingMode" in params:
            # Also when the table already is PROVISIONED (ack-api-quirks DDB-TABLE-057).
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
    if current_mode == "PROVISIONED":
        # A switch from PAY_PER_REQUEST sets the figures without counting as an increase (DDB-TABLE-055).
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


def _describe(table: Table, *, status: str = "ACTIVE", counts: tuple[int, int],
              index_counts: dict[str, tuple[int, int]] | None = None, index_status: str | None = None) -> dict:
    description = dict(table.description)
    description["TableStatus"] = status
    description["ItemCount"], description["TableSizeBytes"] = counts
    index_tables.describe(description, index_counts or {}, index_status)
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
    # The published model requires only TableName; the service still wants both of these, in Coral's
    # words (ack-api-quirks DDB-TABLE-042, live AWS 2026; order as in dynalite test/createTable.js).
    absent = [f"Value null at '{wire}' failed to satisfy constraint: Member must not be null"
              for member, wire in (("AttributeDefinitions", "attributeDefinitions"), ("KeySchema", "keySchema"))
              if member not in params]
    if absent:
        count = f"{len(absent)} validation error{'s' if len(absent) > 1 else ''} detected: "
        raise ValidationException(count + "; ".join(absent))
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
    for index, name in enumerate(definitions):
        if name in definitions[:index]:
            # Same wording whether or not the types differ (ack-api-quirks DDB-TABLE-042).
            raise ValidationException(f"Attribute Name is duplicated: {name}")
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
    if "GlobalSecondaryIndexes" in params or "LocalSecondaryIndexes" in params:
        index_tables.check_create(params)
    elif len(schema) != len(definitions):
        raise ValidationException(
            INVALID + "Number of attributes in KeySchema does not exactly match number of attributes defined"
            " in AttributeDefinitions"
        )

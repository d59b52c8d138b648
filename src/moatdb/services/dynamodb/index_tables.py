"""Secondary indexes in the control plane: CreateTable's index rules and descriptions, DescribeTable's
live index counts, and UpdateTable's GlobalSecondaryIndexUpdates (create with backfill, throughput,
delete).

Wording, unless a rule says otherwise: dynalite's validations/createTable.js (recorded against AWS)
and the ack-api-quirks DynamoDB catalogue (table-indexes.md, live AWS 2026), DDB-TABLE-123..174.

Like tables, indexes are ACTIVE at once: an index created by UpdateTable is backfilled inside the
UpdateTable write transaction; the reply says CREATING (with ``Backfilling: false``) and the next
DescribeTable ACTIVE. A deleted index is answered DELETING and is gone from the next DescribeTable.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from moatdb.errors import LimitExceededException, ResourceNotFoundException, ValidationException
from moatdb.services.dynamodb import indexes
from moatdb.services.dynamodb.catalog import TABLE_COUNTER, Table
from moatdb.services.dynamodb.index_schema import GLOBAL, KINDS, LOCAL, indexes_of
from moatdb.storage.base import WriteTransaction

INVALID = "One or more parameter values were invalid: "
# Developer Guide, "Quotas": 20 global and 5 local secondary indexes per table; 100 projected
# non-key attributes over all of a table's indexes.
MAX_GLOBAL = 20
MAX_LOCAL = 5
MAX_PROJECTED = 100
MAX_CAPACITY = 1_000_000_000_000
PAY_PER_REQUEST = "PAY_PER_REQUEST"


# --- CreateTable --------------------------------------------------------------------------------------


def check_create(params: dict) -> None:
    """CreateTable's rules for a table with secondary indexes, in DynamoDB's order (the table's own
    key schema has passed its checks)."""
    definitions = [d["AttributeName"] for d in params["AttributeDefinitions"]]
    table_keys = [k["AttributeName"] for k in params["KeySchema"]]
    local, global_ = params.get(LOCAL), params.get(GLOBAL)
    for kind, given in ((LOCAL, local), (GLOBAL, global_)):
        if given is not None and not given:
            raise ValidationException(INVALID + f"List of {kind} is empty")
    every = [*(local or ()), *(global_ or ())]
    used = list(table_keys)
    for index in every:
        names = [k["AttributeName"] for k in index["KeySchema"]]
        if any(name not in definitions for name in names):
            raise ValidationException(
                INVALID + "Some index key attributes are not defined in AttributeDefinitions. "
                f"Keys: [{', '.join(names)}], AttributeDefinitions: [{', '.join(definitions)}]")
        used += [name for name in names if name not in used]
    if any(name not in used for name in definitions):
        # Checked before any other index rule (ack-api-quirks DDB-TABLE-127); the order of "keys used"
        # is the order of first use (wording assumed: AWS's own order could not be confirmed).
        raise ValidationException(INVALID + "Some AttributeDefinitions are not used. AttributeDefinitions:"
                                  f" [{', '.join(definitions)}], keys used: [{', '.join(used)}]")
    names: set[str] = set()
    if local:
        if len(table_keys) != 2:
            raise ValidationException(INVALID + "Table KeySchema does not have a range key, which is required"
                                      " when specifying a LocalSecondaryIndex")
        for index in local:
            _check_local(index, table_keys[0])
            _check_name(index["IndexName"], names)
        if len(local) > MAX_LOCAL:
            raise ValidationException(INVALID + f"Number of LocalSecondaryIndexes exceeds per-table limit of"
                                      f" {MAX_LOCAL}")
    if global_:
        billing = params.get("BillingMode", "PROVISIONED")
        for index in global_:
            _check_global(index)
            _check_name(index["IndexName"], names)
            throughput = index.get("ProvisionedThroughput")
            if billing == PAY_PER_REQUEST and throughput:
                raise ValidationException(INVALID + "ProvisionedThroughput should not be specified for index:"
                                          f" {index['IndexName']} when BillingMode is PAY_PER_REQUEST")
            if billing != PAY_PER_REQUEST:
                if not throughput:
                    raise ValidationException(INVALID + "ProvisionedThroughput is not specified for index:"
                                              f" {index['IndexName']}")
                _check_capacity(throughput)
        if len(global_) > MAX_GLOBAL:
            raise ValidationException(INVALID + f"GlobalSecondaryIndex count exceeds the per-table limit of"
                                      f" {MAX_GLOBAL}")
    _check_projected_total(every)


def create_descriptions(params: dict, table_arn: str) -> dict:
    """The GlobalSecondaryIndexes and LocalSecondaryIndexes members of a new table's description."""
    paid = params.get("BillingMode") == PAY_PER_REQUEST
    found: dict = {}
    for index in params.get(LOCAL) or ():
        found.setdefault(LOCAL, []).append(_local_description(index, table_arn))
    for index in params.get(GLOBAL) or ():
        found.setdefault(GLOBAL, []).append(
            _global_description(index, table_arn, None if paid else index["ProvisionedThroughput"]))
    # DescribeTable lists the global indexes first.
    return {kind: found[kind] for kind in KINDS if kind in found}


# --- DescribeTable ------------------------------------------------------------------------------------


def describe(description: dict, counts: dict[str, tuple[int, int]], status: str | None = None) -> None:
    """Give the index lists of a (shallow) copy of a table's description their live counts and, when
    ``status`` is given, every global index that IndexStatus. The stored lists are left untouched:
    the catalog's cached tables share them."""
    for kind in KINDS:
        if kind not in description:
            continue
        entries = []
        for index in description[kind]:
            index = dict(index)
            index["IndexSizeBytes"], index["ItemCount"] = reversed(counts.get(index["IndexName"], (0, 0)))
            if status is not None and kind == GLOBAL:
                index["IndexStatus"] = status
            entries.append(index)
        description[kind] = entries


# --- UpdateTable --------------------------------------------------------------------------------------


@dataclass
class IndexChanges:
    """What an UpdateTable did to the table's global indexes, for its reply."""

    created: str | None = None
    deleted: dict | None = None  # the description of the index deleted
    updated: dict[str, dict] = field(default_factory=dict)  # name -> the throughput it had

    @property
    def occupies_table(self) -> bool:
        """A create or delete makes the table UPDATING (ack-api-quirks DDB-TABLE-148)."""
        return self.created is not None or self.deleted is not None

    def reply(self, description: dict, *, echo_old_throughput: bool) -> None:
        """Shape UpdateTable's reply: the created index CREATING (not yet backfilling), an updated one
        UPDATING with the throughput it had before (DDB-TABLE-165), the deleted one DELETING."""
        entries = description.get(GLOBAL, [])
        for index in entries:
            name = index["IndexName"]
            if name == self.created:
                index["IndexStatus"], index["Backfilling"] = "CREATING", False
            elif name in self.updated:
                index["IndexStatus"] = "UPDATING"
                if echo_old_throughput:
                    index["ProvisionedThroughput"] = self.updated[name]
        if self.deleted is not None:
            description[GLOBAL] = [*entries, dict(self.deleted, IndexStatus="DELETING")]


def check_updates(params: dict) -> None:
    """The rules of GlobalSecondaryIndexUpdates that need no table (ack-api-quirks DDB-TABLE-159, 160,
    174)."""
    updates = params.get("GlobalSecondaryIndexUpdates")
    if updates is None:
        return
    if not updates:
        raise ValidationException(INVALID + "List of GlobalSecondaryIndexUpdates is empty")
    seen: set[str] = set()
    online = 0
    for update in updates:
        actions = [action for action in ("Create", "Update", "Delete") if update.get(action) is not None]
        if not actions:
            raise ValidationException(INVALID + "One of GlobalSecondaryIndexUpdate.Update,"
                                      " GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete"
                                      " must not be null")
        if len(actions) > 1:
            raise ValidationException(INVALID + "Only one global secondary index action is allowed per"
                                      " GlobalSecondaryIndexUpdate object")
        name = update[actions[0]]["IndexName"]
        if name in seen:
            raise ValidationException(INVALID + "Only one global secondary index update per index is allowed"
                                      f" simultaneously. Index: {name}")
        seen.add(name)
        online += actions[0] != "Update"
    if online > 1:
        raise LimitExceededException("Subscriber limit exceeded: Only 1 online index can be created or deleted"
                                     " simultaneously per table")
    if online and params.get("ProvisionedThroughput") is not None:
        raise ValidationException(INVALID + "You cannot create or delete index while updating table IOPS")
    if online and params.get("StreamSpecification") is not None:
        raise ValidationException(INVALID + "You cannot create or delete index while changing stream status")
    for update in updates:
        if update.get("Create") is not None:
            _check_global(update["Create"])


def apply_updates(txn: WriteTransaction, table: Table, params: dict, *, old_mode: str,
                  new_mode: str) -> IndexChanges:
    """Apply GlobalSecondaryIndexUpdates, and a billing-mode switch to the global indexes, inside
    UpdateTable's transaction (the table's own billing is applied already)."""
    description = table.description
    changes = IndexChanges()
    updates = [(action, update[action]) for update in params.get("GlobalSecondaryIndexUpdates") or ()
               for action in ("Create", "Update", "Delete") if update.get(action) is not None]
    existing = {index.name: index for index in table.indexes}
    for action, spec in updates:
        name = spec["IndexName"]
        if action == "Create":
            if name in existing:
                raise ValidationException("Attempting to create an index which already exists")
        elif name not in existing:
            raise ResourceNotFoundException(f"Requested resource not found: Index {name} for table {table.name}")
        elif not existing[name].is_global:
            verb = "update" if action == "Update" else "delete"
            raise ValidationException(f"Cannot {verb} an index that is not a GlobalSecondaryIndex: {name}")
    throughputs = {spec["IndexName"]: spec.get("ProvisionedThroughput") for action, spec in updates
                   if action == "Update"}
    now = time.time()
    for index in description.get(GLOBAL) or ():
        name = index["IndexName"]
        if any(spec["IndexName"] == name for action, spec in updates if action == "Delete"):
            continue
        given, before = throughputs.get(name), index["ProvisionedThroughput"]
        if new_mode == PAY_PER_REQUEST:
            if given is not None:
                raise ValidationException(INVALID + f"The only Updates for index: {name} when TableThroughputMode"
                                          " is PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput")
            if old_mode != PAY_PER_REQUEST:
                index["ProvisionedThroughput"] = dict(before, ReadCapacityUnits=0, WriteCapacityUnits=0)
        elif given is None:
            if old_mode == PAY_PER_REQUEST:
                # Nothing is assigned to an index by the switch (DDB-TABLE-152).
                raise ValidationException(INVALID + f"ProvisionedThroughput must be specified for index: {name}")
        else:
            index["ProvisionedThroughput"] = _changed_throughput(name, before, given, now,
                                                                 switched=old_mode == PAY_PER_REQUEST)
        if name in throughputs:
            changes.updated[name] = before
    for action, spec in updates:
        if action == "Create":
            _create(txn, table, spec, params, new_mode)
            changes.created = spec["IndexName"]
        elif action == "Delete":
            changes.deleted = _delete(txn, table, spec["IndexName"])
    return changes


def _create(txn: WriteTransaction, table: Table, spec: dict, params: dict, mode: str) -> None:
    description = table.description
    name = spec["IndexName"]
    if len(description.get(GLOBAL) or ()) >= MAX_GLOBAL:
        raise LimitExceededException("Subscriber limit exceeded: Number of global secondary indexes exceeds"
                                     f" per-table limit of {MAX_GLOBAL}")
    throughput = spec.get("ProvisionedThroughput")
    if mode == PAY_PER_REQUEST and throughput is not None:
        raise ValidationException(INVALID + "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified"
                                  f" for index: {name} when BillingMode is PAY_PER_REQUEST")
    if mode != PAY_PER_REQUEST:
        if throughput is None:
            raise ValidationException(INVALID + "Both ReadCapacityUnits and WriteCapacityUnits must be specified"
                                      f" for index: {name}")
        _check_capacity(throughput)
    # Only a new key attribute needs a definition; definitions of anything else are ignored, and a
    # key attribute the table defines already keeps its type (DDB-TABLE-162).
    defined = {d["AttributeName"] for d in description["AttributeDefinitions"]}
    given = {d["AttributeName"]: d["AttributeType"] for d in params.get("AttributeDefinitions") or ()}
    for key in spec["KeySchema"]:
        attribute = key["AttributeName"]
        if attribute in defined:
            continue
        if attribute not in given:
            raise ValidationException(INVALID + f"AttributeDefinitions is not specified for index: {name}")
        description["AttributeDefinitions"].append({"AttributeName": attribute, "AttributeType": given[attribute]})
        defined.add(attribute)
    _check_projected_total([*(description.get(LOCAL) or ()), *(description.get(GLOBAL) or ()), spec])
    description.setdefault(GLOBAL, []).append(_global_description(spec, table.arn, throughput))
    ids = {index.name: index.id for index in table.indexes}
    ids[name] = txn.next_id(TABLE_COUNTER)
    table.indexes = indexes_of(description, ids)
    table.follows_changes = True
    indexes.backfill(txn, table, next(index for index in table.indexes if index.name == name))


def _delete(txn: WriteTransaction, table: Table, name: str) -> dict:
    description = table.description
    [deleted] = [index for index in description[GLOBAL] if index["IndexName"] == name]
    remaining = [index for index in description[GLOBAL] if index["IndexName"] != name]
    if remaining:
        description[GLOBAL] = remaining
    else:
        del description[GLOBAL]
    # An attribute no key uses any more leaves AttributeDefinitions with the index (DDB-TABLE-151).
    used = {k["AttributeName"] for k in description["KeySchema"]} | {
        k["AttributeName"] for kind in KINDS for index in description.get(kind) or () for k in index["KeySchema"]}
    description["AttributeDefinitions"] = [d for d in description["AttributeDefinitions"]
                                           if d["AttributeName"] in used]
    [gone] = [index for index in table.indexes if index.name == name]
    txn.drop_table(gone.id)
    table.indexes = tuple(index for index in table.indexes if index.name != name)
    return deleted


def _changed_throughput(name: str, old: dict, given: dict, now: float, *, switched: bool) -> dict:
    """An index's throughput after an Update, with the table's rules (tables.py) and wording."""
    _check_capacity(given)
    read, write = given["ReadCapacityUnits"], given["WriteCapacityUnits"]
    if switched:
        return dict(old, ReadCapacityUnits=read, WriteCapacityUnits=write)
    if read == old["ReadCapacityUnits"] and write == old["WriteCapacityUnits"]:
        # ack-api-quirks DDB-TABLE-164 (live AWS): the table's wording, naming the index; the part
        # after "Current WriteCapacityUnits" is assumed to continue as the table's does.
        raise ValidationException(
            f"The provisioned throughput for the index {name} will not change. The requested value equals the"
            f" current value. Current ReadCapacityUnits provisioned for index {name}: {old['ReadCapacityUnits']}."
            f" Requested ReadCapacityUnits: {read}. Current WriteCapacityUnits provisioned for index {name}:"
            f" {old['WriteCapacityUnits']}. Requested WriteCapacityUnits: {write}. Refer to the Amazon DynamoDB"
            " Developer Guide for current limits and how to request higher limits.")
    new = dict(old, ReadCapacityUnits=read, WriteCapacityUnits=write)
    if read > old["ReadCapacityUnits"] or write > old["WriteCapacityUnits"]:
        new["LastIncreaseDateTime"] = now
    if read < old["ReadCapacityUnits"] or write < old["WriteCapacityUnits"]:
        new["LastDecreaseDateTime"] = now
        new["NumberOfDecreasesToday"] = old["NumberOfDecreasesToday"] + 1
    return new


# --- shared rules -------------------------------------------------------------------------------------


def _check_schema(schema: list[dict]) -> None:
    names = [k["AttributeName"] for k in schema]
    if len(names) == 2 and names[0] == names[1]:
        raise ValidationException("Both the Hash Key and the Range Key element in the KeySchema have the same name")
    if schema[0]["KeyType"] != "HASH":
        raise ValidationException("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    if len(schema) == 2 and schema[1]["KeyType"] not in ("RANGE", "SORT", "HASH"):
        raise ValidationException("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")


def _check_local(index: dict, table_partition: str) -> None:
    name, schema = index["IndexName"], index["KeySchema"]
    _check_schema(schema)
    if len(schema) == 2 and schema[1]["KeyType"] == "HASH":
        raise ValidationException("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
    if len(schema) != 2:
        raise ValidationException(INVALID + f"Index KeySchema does not have a range key for index: {name}")
    if schema[0]["AttributeName"] != table_partition:
        raise ValidationException(
            INVALID + f"Index KeySchema does not have the same leading hash key as table KeySchema for index:"
            f" {name}. index hash key: {schema[0]['AttributeName']}, table hash key: {table_partition}")
    _check_projection(index)


def _check_global(index: dict) -> None:
    schema = index["KeySchema"]
    _check_schema(schema)
    if len(schema) > 2 or (len(schema) == 2 and schema[1]["KeyType"] == "HASH"):
        # Multi-attribute keys (up to 4 HASH and 4 RANGE elements, DDB-TABLE-123) are a later piece of
        # work: refused rather than half-honoured (moatdb's own wording).
        raise ValidationException(INVALID + "Multi-attribute keys of global secondary indexes are not supported"
                                  " by this moatdb version")
    _check_projection(index)


def _check_projection(index: dict) -> None:
    projection = index["Projection"]
    kind = projection.get("ProjectionType")
    if kind is None:
        raise ValidationException(INVALID + "Unknown ProjectionType: null")
    non_key = projection.get("NonKeyAttributes")
    if non_key is not None and kind != "INCLUDE":
        raise ValidationException(INVALID + f"ProjectionType is {kind}, but NonKeyAttributes is specified")
    if non_key is None and kind == "INCLUDE":
        raise ValidationException(INVALID + "ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
    for position, attribute in enumerate(non_key or ()):
        if attribute in non_key[:position]:  # type: ignore[index]
            raise ValidationException(INVALID + f"Duplicate element in NonKeyAttributes: {attribute}")


def _check_name(name: str, names: set[str]) -> None:
    if name in names:
        raise ValidationException(INVALID + f"Duplicate index name: {name}")
    names.add(name)


def _check_projected_total(specs: list[dict]) -> None:
    # An attribute projected into two indexes counts twice (API Reference, Projection). Wording as
    # quoted by a CloudFormation rule set from CreateTable's failure (wording otherwise unconfirmed).
    total = sum(len(spec["Projection"].get("NonKeyAttributes") or ()) for spec in specs)
    if total > MAX_PROJECTED:
        raise ValidationException(INVALID + "Number of projected attributes in all indexes exceeds limit of"
                                  f" {MAX_PROJECTED}")


def _check_capacity(throughput: dict) -> None:
    for unit in ("ReadCapacityUnits", "WriteCapacityUnits"):
        if throughput[unit] > MAX_CAPACITY:
            raise ValidationException(f"Given value {throughput[unit]} for {unit} is out of bounds")


def _key_schema(schema: list[dict]) -> list[dict]:
    return [{"AttributeName": k["AttributeName"], "KeyType": "HASH" if k["KeyType"] == "HASH" else "RANGE"}
            for k in schema]


def _projection(projection: dict) -> dict:
    # DescribeTable lists NonKeyAttributes sorted by name (DDB-TABLE-125).
    described = {"ProjectionType": projection["ProjectionType"]}
    if projection.get("NonKeyAttributes") is not None:
        described["NonKeyAttributes"] = sorted(projection["NonKeyAttributes"])
    return described


def _local_description(index: dict, table_arn: str) -> dict:
    # A local index has no status and no throughput of its own (DDB-TABLE-133, 137).
    return {"IndexName": index["IndexName"], "KeySchema": _key_schema(index["KeySchema"]),
            "Projection": _projection(index["Projection"]), "IndexSizeBytes": 0, "ItemCount": 0,
            "IndexArn": f"{table_arn}/index/{index['IndexName']}"}


def _global_description(index: dict, table_arn: str, throughput: dict | None) -> dict:
    # An on-demand table's global indexes report zero provisioned capacity, as the table does.
    return {"IndexName": index["IndexName"], "KeySchema": _key_schema(index["KeySchema"]),
            "Projection": _projection(index["Projection"]), "IndexStatus": "ACTIVE",
            "ProvisionedThroughput": {
                "NumberOfDecreasesToday": 0,
                "ReadCapacityUnits": throughput["ReadCapacityUnits"] if throughput else 0,
                "WriteCapacityUnits": throughput["WriteCapacityUnits"] if throughput else 0},
            "IndexSizeBytes": 0, "ItemCount": 0, "IndexArn": f"{table_arn}/index/{index['IndexName']}"}

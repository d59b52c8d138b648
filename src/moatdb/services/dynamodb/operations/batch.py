"""BatchGetItem and BatchWriteItem, with DynamoDB's limits (100 keys, 25 writes, 16 MB)."""

from __future__ import annotations

import orjson

from moatdb.errors import ValidationException
from moatdb.services.dynamodb import capacity, changes, item_collections, values
from moatdb.services.dynamodb.context import Request
from moatdb.services.dynamodb.requests import Expressions

MAX_GET_KEYS = 100
MAX_WRITES = 25
# BatchGetItem returns at most 16 MB; the keys past that come back as UnprocessedKeys.
MAX_RESPONSE_BYTES = 16 * 1024 * 1024


def batch_get_item(request: Request) -> dict:
    params = request.params
    requested = params["RequestItems"]
    if sum(len(spec.get("Keys") or ()) for spec in requested.values()) > MAX_GET_KEYS:
        raise ValidationException("Too many items requested for the BatchGetItem call")
    capacity_mode = params.get("ReturnConsumedCapacity")
    # The request is checked on its own before any table is looked up: key values, duplicates and
    # expressions (dynalite's BatchGetItem tests, recorded against AWS, get these errors for a
    # table that does not exist).
    checked = []
    for name, spec in requested.items():
        expressions = Expressions(spec, ("ProjectionExpression",))
        projection = expressions.projection()
        expressions.done()
        seen = set()
        for key in spec["Keys"]:
            if type(key) is dict:
                normalized = orjson.dumps({attribute: values.validate_value(value)
                                           for attribute, value in key.items()}, option=orjson.OPT_SORT_KEYS)
                if normalized in seen:
                    raise ValidationException("Provided list of item keys contains duplicates")
                seen.add(normalized)
        checked.append((name, spec, projection))
    plans = []
    for name, spec, projection in checked:
        table = request.table(name)
        storage_keys = [table.storage_key(key) for key in spec["Keys"]]
        if len(set(storage_keys)) != len(storage_keys):
            raise ValidationException("Provided list of item keys contains duplicates")
        plans.append((name, table, spec, projection, storage_keys))

    reader = request.store.read()
    responses: dict = {}
    unprocessed: dict = {}
    consumed = []
    size = 0
    for name, table, spec, projection, storage_keys in plans:
        found = responses.setdefault(name, [])
        read_units = 0.0
        consistent = bool(spec.get("ConsistentRead"))
        for index, (partition, sort) in enumerate(storage_keys):
            if size > MAX_RESPONSE_BYTES:
                unprocessed.setdefault(name, {k: v for k, v in spec.items() if k != "Keys"}).setdefault(
                    "Keys", []).append(spec["Keys"][index])
                continue
            stored = reader.get(table.id, partition, sort)
            item = orjson.loads(stored) if stored is not None else None
            if item is not None:
                size += len(stored)
                found.append(projection.apply(item) if projection is not None else item)
            read_units += capacity.read_units(values.item_size(item) if item else 0, consistent)
        entry = capacity.consumed(capacity_mode, name, read_units)
        if entry is not None:
            consumed.append(entry)
    result: dict = {"Responses": responses, "UnprocessedKeys": unprocessed}
    if capacity_mode not in (None, "NONE"):
        result["ConsumedCapacity"] = consumed
    return result


def batch_write_item(request: Request) -> dict:
    params = request.params
    requested = params["RequestItems"]
    if sum(len(writes) for writes in requested.values()) > MAX_WRITES:
        raise ValidationException("Too many items requested for the BatchWriteItem call")
    # Every write is checked before anything is written, and the values and item sizes before any
    # table is looked up (dynalite's BatchWriteItem tests, recorded against AWS, get these errors
    # for a table that does not exist).
    checked = []
    for name, writes in requested.items():
        for write in writes:
            put, delete = write.get("PutRequest"), write.get("DeleteRequest")
            if (put is None) == (delete is None):
                # A WriteRequest is a union; Coral words a union with no member or two members as
                # it words an attribute value's (the answer other emulators recorded from AWS).
                raise ValidationException(
                    "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the"
                    " supported datatypes"
                )
            if put is not None:
                item = values.validate_item(put["Item"], legacy=True)  # BatchWriteItem keeps older wording
                size = values.item_size(item)
                if size > values.MAX_ITEM_SIZE:
                    raise ValidationException("Item size has exceeded the maximum allowed size")
                checked.append((name, item, None, size))
            else:
                checked.append((name, None, delete["Key"], 0))
    plans = []
    seen: dict[str, set] = {}
    for name, item, key, size in checked:
        table = request.table(name)
        if item is not None:
            # A put's key is checked as a key, in GetItem's words rather than PutItem's ("Missing the
            # key ..."): dynalite's BatchWriteItem tests, recorded against AWS.
            storage_key = table.storage_key({attribute: item[attribute] for attribute in table.key_names
                                             if attribute in item})
            plans.append((name, table, storage_key, item, orjson.dumps(item), size, item))
        else:
            storage_key = table.storage_key(key)
            plans.append((name, table, storage_key, None, None, 0, key))
        keys_seen = seen.setdefault(name, set())
        if storage_key in keys_seen:
            raise ValidationException("Provided list of item keys contains duplicates")
        keys_seen.add(storage_key)

    capacity_mode = params.get("ReturnConsumedCapacity")
    charged: dict[str, float] = {}
    with request.store.write() as txn:
        for name, table, (partition, sort), item, encoded, size, _ in plans:
            old = None
            if capacity_mode not in (None, "NONE") or table.follows_changes:
                stored = txn.get(table.id, partition, sort)
                old = orjson.loads(stored) if stored is not None else None
            if capacity_mode not in (None, "NONE"):
                old_size = values.item_size(old) if old is not None else 0
                charged[name] = charged.get(name, 0.0) + capacity.write_units(max(size, old_size))
            if item is not None or old is not None or not table.follows_changes:
                changes.write(txn, table, partition, sort, old, item, encoded)
        # One entry per write, in request order, each with its collection's size once the batch is written.
        collected: dict[str, list] = {}
        for name, table, (partition, _), _, _, _, key in plans:
            collection = item_collections.metrics(txn, table, partition, key, params)
            if collection is not None:
                collected.setdefault(name, []).append(collection)
    result: dict = {"UnprocessedItems": {}}
    if capacity_mode not in (None, "NONE"):
        result["ConsumedCapacity"] = [capacity.consumed(capacity_mode, name, units)
                                      for name, units in charged.items()]
    if collected:
        result["ItemCollectionMetrics"] = collected
    return result

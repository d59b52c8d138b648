"""Single-item operations: PutItem, GetItem, UpdateItem, DeleteItem.

Items are stored as their wire JSON, so a GetItem without projection answers with the stored bytes
spliced into the reply. Conditional writes read, check and write inside one write transaction,
which the store serializes across worker processes: a condition is never checked against a value
another writer is about to replace.
"""

from __future__ import annotations

import orjson

from moatdb.errors import ConditionalCheckFailedException, ValidationException
from moatdb.services.dynamodb import capacity, changes, indexes, item_collections, values
from moatdb.services.dynamodb.catalog import Table
from moatdb.services.dynamodb.context import Request
from moatdb.services.dynamodb.requests import Expressions, return_values
from moatdb.storage.base import WriteTransaction

CONDITION_FAILED = "The conditional request failed"


def put_item(request: Request) -> dict | bytes:
    params = request.params
    item = values.validate_item(params["Item"])
    expressions = Expressions(params, ("ConditionExpression",))
    returning = return_values(params, ("NONE", "ALL_OLD"))
    condition = expressions.condition()
    expressions.done()
    # The size is checked with the request's other values, before the table is looked up: an
    # oversized item is refused even for a table that does not exist (dynalite's putItem tests).
    encoded = orjson.dumps(item)
    capacity_mode = params.get("ReturnConsumedCapacity")
    size = _size(item, encoded, capacity_mode)
    if size > values.MAX_ITEM_SIZE:
        raise ValidationException("Item size has exceeded the maximum allowed size")
    table = request.table()
    partition, sort = table.item_storage_key(item)
    if table.indexes:
        # Index keys are part of the item's validation, refused before any condition is evaluated.
        indexes.check(table, item)
    need_old = (condition is not None or returning == "ALL_OLD" or capacity_mode not in (None, "NONE")
                or table.follows_changes)
    with request.store.write() as txn:
        old = apply_put(txn, table, partition, sort, item, encoded, condition, params, need_old=need_old)
        collection = item_collections.metrics(txn, table, partition, item, params)
    result: dict = {}
    if returning == "ALL_OLD" and old is not None:
        result["Attributes"] = old
    _add_write_capacity(result, capacity_mode, table, size, old)
    if collection is not None:
        result["ItemCollectionMetrics"] = collection
    return result if result else b"{}"


def get_item(request: Request) -> dict | bytes:
    params = request.params
    if any(name in params for name in ("ProjectionExpression", "ExpressionAttributeNames", "AttributesToGet")):
        expressions = Expressions(params, ("ProjectionExpression",))
        projection = expressions.projection()
        expressions.done()
    else:
        projection = None
    table = request.table()
    partition, sort = table.storage_key(params["Key"])
    stored = request.store.read().get(table.id, partition, sort)
    capacity_mode = params.get("ReturnConsumedCapacity")
    if capacity_mode in (None, "NONE") and projection is None:
        # The hot path: the stored wire JSON is the reply's Item as it is.
        return b"{}" if stored is None else b'{"Item":' + stored + b"}"
    result: dict = {}
    item = _load(stored)
    if item is not None:
        result["Item"] = projection.apply(item) if projection is not None else item
    units = capacity.read_units(values.item_size(item) if item else 0, bool(params.get("ConsistentRead")))
    consumed = capacity.consumed(capacity_mode, table.name, units)
    if consumed is not None:
        result["ConsumedCapacity"] = consumed
    return result


def update_item(request: Request) -> dict:
    params = request.params
    expressions = Expressions(params, ("UpdateExpression", "ConditionExpression"))
    returning = return_values(params, ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"))
    update = expressions.update()
    condition = expressions.condition()
    expressions.done()
    table = request.table()
    partition, sort = table.storage_key(params["Key"])
    key = {name: values.validate_value(params["Key"][name]) for name in table.key_names}
    check_update_keys(table, update)
    with request.store.write() as txn:
        old, new, size = apply_update(txn, table, partition, sort, key, update, condition, params,
                                      params.get("ReturnConsumedCapacity"))
        collection = item_collections.metrics(txn, table, partition, key, params)
    result: dict = {}
    attributes = _returned_attributes(returning, old, new, update)
    if attributes:
        result["Attributes"] = attributes
    _add_write_capacity(result, params.get("ReturnConsumedCapacity"), table, size, old)
    if collection is not None:
        result["ItemCollectionMetrics"] = collection
    return result


def delete_item(request: Request) -> dict | bytes:
    params = request.params
    expressions = Expressions(params, ("ConditionExpression",))
    returning = return_values(params, ("NONE", "ALL_OLD"))
    condition = expressions.condition()
    expressions.done()
    table = request.table()
    partition, sort = table.storage_key(params["Key"])
    with request.store.write() as txn:
        old = apply_delete(txn, table, partition, sort, condition, params)
        collection = item_collections.metrics(txn, table, partition, params["Key"], params)
    result: dict = {}
    if returning == "ALL_OLD" and old is not None:
        result["Attributes"] = old
    _add_write_capacity(result, params.get("ReturnConsumedCapacity"), table, 0, old)
    if collection is not None:
        result["ItemCollectionMetrics"] = collection
    return result if result else b"{}"


# The check-and-apply of each write, inside the caller's write transaction: the single-item operations
# and TransactWriteItems' actions share them, so a transaction's Put, Update, Delete and ConditionCheck
# behave exactly as PutItem, UpdateItem and DeleteItem do. ``params`` holds the request's (or the
# action's) ReturnValuesOnConditionCheckFailure; a failed condition raises ConditionalCheckFailedException.

def check_condition(txn: WriteTransaction, table: Table, partition: bytes, sort: bytes, condition,
                    params: dict) -> dict | None:
    """The item as stored (None when absent), once ``condition`` (if any) holds on it."""
    old = _load(txn.get(table.id, partition, sort))
    if condition is not None and not condition.evaluate(old):
        raise _condition_failed(params, old)
    return old


def apply_put(txn: WriteTransaction, table: Table, partition: bytes, sort: bytes, item: dict, encoded: bytes,
              condition, params: dict, *, need_old: bool = True) -> dict | None:
    """Put ``item`` (whose wire JSON is ``encoded``); the item it replaced, read only when ``need_old``."""
    old = check_condition(txn, table, partition, sort, condition, params) if need_old else None
    changes.write(txn, table, partition, sort, old, item, encoded)
    return old


def check_update_keys(table: Table, update) -> None:
    """An update may not write the table's key attributes."""
    if update is not None:
        for name in table.key_names:
            if name in update.attributes:
                raise ValidationException(
                    "One or more parameter values were invalid: Cannot update attribute "
                    f"{name}. This attribute is part of the key"
                )


def apply_update(txn: WriteTransaction, table: Table, partition: bytes, sort: bytes, key: dict, update,
                 condition, params: dict, capacity_mode: str | None) -> tuple[dict | None, dict | None, int]:
    """Apply ``update`` to the item under ``key``: ``(old, new, size)``, ``new`` None when the update
    left a missing item missing; ``size`` is exact when ``capacity_mode`` asks for capacity."""
    old = check_condition(txn, table, partition, sort, condition, params)
    base = old if old is not None else key
    # A REMOVE of a nested path is ignored on a new item but refused on one lacking the parent.
    new = update.apply(base, existing=old is not None) if update is not None else base
    if update is not None:
        # Only the attributes the update wrote can have grown deeper than the limit.
        for name in update.attributes:
            if name in new:
                values.check_nesting(new[name])
    encoded = orjson.dumps(new)
    size = _size(new, encoded, capacity_mode)
    if size > values.MAX_ITEM_SIZE:
        raise ValidationException("Item size to update has exceeded the maximum allowed size")
    if old is None and update is not None and len(new) == len(key):
        # An update that only removes (REMOVE, or DELETE from a set) does not create a missing
        # item, though one with no UpdateExpression at all does (Alternator's
        # test_update_item_non_existent and test_update_item_returnvalues_all_new, run on AWS).
        return old, None, size
    changes.write(txn, table, partition, sort, old, new, encoded)
    return old, new, size


def apply_delete(txn: WriteTransaction, table: Table, partition: bytes, sort: bytes, condition,
                 params: dict) -> dict | None:
    """Delete the item; the item deleted (None when there was none)."""
    old = check_condition(txn, table, partition, sort, condition, params)
    if old is not None:
        changes.write(txn, table, partition, sort, old, None, None)
    return old


def _size(item: dict, encoded: bytes, capacity_mode: str | None) -> int:
    """The item's DynamoDB size where it matters, else its JSON length: the JSON is never shorter
    than DynamoDB's size (tests/unit/test_values.py pins that), so a JSON within the limit is an
    item within the limit, and the exact walk is only needed near it or to charge capacity."""
    if len(encoded) <= values.MAX_ITEM_SIZE and capacity_mode in (None, "NONE"):
        return len(encoded)
    return values.item_size(item)


def _load(stored: bytes | None) -> dict | None:
    return None if stored is None else orjson.loads(stored)


def _condition_failed(params: dict, old: dict | None) -> ConditionalCheckFailedException:
    # ReturnValuesOnConditionCheckFailure=ALL_OLD hands the current item back with the error.
    if params.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and old is not None:
        return ConditionalCheckFailedException(CONDITION_FAILED, extra={"Item": old})
    return ConditionalCheckFailedException(CONDITION_FAILED)


def _returned_attributes(returning: str, old: dict | None, new: dict | None, update) -> dict | None:
    """``new`` is None when the update left a missing item missing."""
    if returning == "ALL_OLD":
        return old
    if returning == "ALL_NEW":
        return new
    if returning in ("UPDATED_OLD", "UPDATED_NEW") and update is not None:
        source = old if returning == "UPDATED_OLD" else new
        if source is None:
            return None
        return update.updated(source) or None
    return None


def _add_write_capacity(result: dict, mode: str | None, table: Table, size: int, old: dict | None) -> None:
    if mode in (None, "NONE"):
        return
    # A write is charged for the larger of the item before and after it.
    old_size = values.item_size(old) if old is not None else 0
    result["ConsumedCapacity"] = capacity.consumed(
        mode, table.name, capacity.write_units(max(size, old_size))
    )

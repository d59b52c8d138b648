"""TransactWriteItems and TransactGetItems (API Reference; Developer Guide, "Amazon DynamoDB Transactions").

A write transaction is checked whole before anything is read: the expressions, values and sizes of
every action, its table, the rule that no two actions touch one item. Then every action is checked and
applied in one write transaction of the store (serializable with every other write, in every worker),
with the very functions PutItem, UpdateItem and DeleteItem use (``items.apply_*``). An action whose
condition fails, or whose key or result DynamoDB refuses, cancels the transaction: the store's
transaction is rolled back and TransactionCanceledException lists a reason per action, in request order.

What DynamoDB refuses up front and what it reports as an action's cancellation reason follows the
dynamodb-conformance suite's captures from AWS (tests/tier3/error-messages/transactWriteItems.test.ts and
transactGetItems.test.ts): an empty key value, of the table or of an index, is a ValidationException; a
key of the wrong type or shape is the action's ``ValidationError``, as is an update DynamoDB refuses.

A read transaction reads every item from one snapshot of the store (``Store.snapshot``), so it never
sees part of a write transaction, and never holds writers up.

``transact_write_items`` and ``transact_get_items`` take the native parameters: PartiQL's
ExecuteTransaction calls them with the requests its statements become.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from moatdb.errors import (
    ConditionalCheckFailedException,
    ItemCollectionSizeLimitExceededException,
    TransactionCanceledException,
    ValidationException,
)
from moatdb.services.dynamodb import capacity, idempotency, item_collections, values
from moatdb.services.dynamodb.catalog import Table
from moatdb.services.dynamodb.context import Request
from moatdb.services.dynamodb.operations import items
from moatdb.services.dynamodb.requests import Expressions

# The API Reference: the aggregate size of the items in a transaction cannot exceed 4 MB (the model
# already limits a transaction to 100 actions).
MAX_TRANSACTION_BYTES = 4 * 1024 * 1024
# Developer Guide, "Capacity management for transactions": a transactional read or write of an item
# costs twice the units of a plain one (a strongly consistent read for TransactGetItems).
TRANSACTION_FACTOR = 2

ACTIONS = ("ConditionCheck", "Put", "Delete", "Update")
# The expressions each action may carry.
_EXPRESSIONS = {
    "ConditionCheck": ("ConditionExpression",),
    "Put": ("ConditionExpression",),
    "Delete": ("ConditionExpression",),
    "Update": ("UpdateExpression", "ConditionExpression"),
}
# moto's wording (tests/test_dynamodb/exceptions/test_dynamodb_transactions.py); not confirmed on AWS.
ONE_ACTION = "TransactItems can only contain one of Check, Put, Update or Delete"
# The dynamodb-conformance suite and moto's tests, both recorded against AWS.
MULTIPLE_OPERATIONS = "Transaction request cannot include multiple operations on one item"
# Wording assumed (dynoxide's, tests against AWS not found).
TOO_LARGE = ("Collection size of items exceeded, which can also be caused by the aggregate size of the items in"
             " the transaction exceeding the 4MB limit")
# The family of messages DynamoDB raises up front even when they come from an action's item (an empty
# key value, an empty secondary index key value), where the "were invalid" family is an action's reason.
_UP_FRONT = "One or more parameter values are not valid."


@dataclass(slots=True)
class _Action:
    kind: str  # one of ACTIONS
    spec: dict  # the action's parameters
    condition: object = None
    update: object = None
    item: dict | None = None  # a Put's item, its wire JSON and size
    encoded: bytes = b""
    size: int = 0
    table: Table | None = None
    storage_key: tuple[bytes, bytes] | None = None
    key: dict | None = None  # an Update's key attributes, normalized
    refused: ValidationException | None = None  # cancels the transaction as this action's reason


def transact_write_items(request: Request) -> dict | bytes:
    params = request.params
    actions = [_parse_write(entry) for entry in params["TransactItems"]]
    total = sum(action.size for action in actions)
    if total > MAX_TRANSACTION_BYTES:
        raise ValidationException(TOO_LARGE)
    for action in actions:
        _locate(request, action)
    _refuse_repeated_items(actions)
    capacity_mode = params.get("ReturnConsumedCapacity")
    wants_capacity = capacity_mode not in (None, "NONE")
    token = params.get("ClientRequestToken")
    request_digest = idempotency.digest(params) if token is not None else ""
    with request.store.write() as txn:
        if token is not None:
            answered = idempotency.recall(txn, request.account, token, request_digest)
            if answered is not None:
                return _replayed(txn, actions, answered, capacity_mode)
        reasons: list[dict] = []
        units: dict[str, float] = {}
        for action in actions:
            try:
                if action.refused is not None:
                    raise action.refused
                charged = _apply(txn, action, wants_capacity)
            except ConditionalCheckFailedException as failed:
                # The action's ReturnValuesOnConditionCheckFailure put the item in the error, if asked.
                reasons.append({"Code": "ConditionalCheckFailed", "Message": failed.message, **(failed.extra or {})})
            except ItemCollectionSizeLimitExceededException as grown:
                reasons.append({"Code": item_collections.REASON, "Message": grown.message})
            except ValidationException as refused:
                if _up_front(refused):
                    raise
                reasons.append({"Code": "ValidationError", "Message": refused.message})
            else:
                reasons.append({"Code": "None"})
                name = action.table.name  # type: ignore[union-attr]
                units[name] = units.get(name, 0.0) + TRANSACTION_FACTOR * capacity.write_units(charged)
        if any(reason["Code"] != "None" for reason in reasons):
            raise TransactionCanceledException(reasons)
        answer = _collection_metrics(txn, actions, params)
        if token is not None:
            # A retry answers the metrics the first request did (its parameters are the same).
            idempotency.remember(txn, request.account, token, request_digest, answer)
    if not wants_capacity:
        return answer or b"{}"
    return {**answer, "ConsumedCapacity": [_consumed(capacity_mode, name, amount, "WriteCapacityUnits")
                                           for name, amount in units.items()]}


def transact_get_items(request: Request) -> dict:
    params = request.params
    gets = []
    for entry in params["TransactItems"]:
        spec = entry["Get"]
        expressions = Expressions(spec, ("ProjectionExpression",))
        projection = expressions.projection()
        expressions.done()
        gets.append((spec, projection))
    located = []
    reasons: list[dict] = []
    for spec, projection in gets:
        table = request.table(spec["TableName"])
        try:
            storage_key = table.storage_key(spec["Key"])
        except ValidationException as refused:
            if _up_front(refused):
                raise
            reasons.append({"Code": "ValidationError", "Message": refused.message})
            continue
        reasons.append({"Code": "None"})
        located.append((table, storage_key, projection))
    if len(located) < len(gets):
        raise TransactionCanceledException(reasons)
    if len({(table.id, *key) for table, key, _ in located}) < len(located):
        # Wording assumed: the conformance suite pins only the type for TransactGetItems.
        raise ValidationException(MULTIPLE_OPERATIONS)
    with request.store.snapshot() as snapshot:
        found = [snapshot.get(table.id, *key) for table, key, _ in located]
    if sum(len(stored) for stored in found if stored is not None) > MAX_TRANSACTION_BYTES \
            and sum(values.item_size(orjson.loads(stored)) for stored in found if stored is not None) \
            > MAX_TRANSACTION_BYTES:
        raise ValidationException(TOO_LARGE)
    responses = []
    units: dict[str, float] = {}
    for (table, _, projection), stored in zip(located, found, strict=True):
        item = orjson.loads(stored) if stored is not None else None
        if item is None:
            responses.append({})
        else:
            responses.append({"Item": projection.apply(item) if projection is not None else item})
        # A missing item is charged too (the conformance suite's TransactGetItems capacity tests).
        size = values.item_size(item) if item is not None else 0
        units[table.name] = units.get(table.name, 0.0) + TRANSACTION_FACTOR * capacity.read_units(size, True)
    result: dict = {"Responses": responses}
    capacity_mode = params.get("ReturnConsumedCapacity")
    if capacity_mode not in (None, "NONE"):
        result["ConsumedCapacity"] = [_consumed(capacity_mode, name, amount, "ReadCapacityUnits")
                                      for name, amount in units.items()]
    return result


def _parse_write(entry: dict) -> _Action:
    """An action checked on its own, as PutItem, UpdateItem and DeleteItem check their requests."""
    present = [kind for kind in ACTIONS if entry.get(kind) is not None]
    if len(present) != 1:
        raise ValidationException(ONE_ACTION)
    kind = present[0]
    spec = entry[kind]
    action = _Action(kind, spec)
    if kind == "Put":
        # Transactions check values in DynamoDB's older layer (values.py).
        action.item = values.validate_item(spec["Item"], legacy=True)
    expressions = Expressions(spec, _EXPRESSIONS[kind])
    action.update = expressions.update() if kind == "Update" else None
    action.condition = expressions.condition()
    expressions.done()
    if action.item is not None:
        action.encoded = orjson.dumps(action.item)
        action.size = values.item_size(action.item)
        if action.size > values.MAX_ITEM_SIZE:
            raise ValidationException("Item size has exceeded the maximum allowed size")
    return action


def _locate(request: Request, action: _Action) -> None:
    """The action's table and storage key. A key DynamoDB refuses for this table is the action's
    cancellation reason, except an empty key value, which it refuses up front."""
    action.table = table = request.table(action.spec["TableName"])
    try:
        if action.item is not None:
            action.storage_key = table.item_storage_key(action.item)
        else:
            action.storage_key = table.storage_key(action.spec["Key"])
            action.key = {name: values.validate_value(action.spec["Key"][name]) for name in table.key_names}
        if action.kind == "Update":
            # Wording as UpdateItem's; that it is a cancellation reason here is assumed.
            items.check_update_keys(table, action.update)
    except ValidationException as refused:
        if _up_front(refused):
            raise
        action.refused = refused


def _up_front(refused: ValidationException) -> bool:
    return bool(refused.message) and refused.message.startswith(_UP_FRONT)  # type: ignore[union-attr]


def _refuse_repeated_items(actions: list[_Action]) -> None:
    seen = set()
    for action in actions:
        if action.storage_key is None:
            continue
        target = (action.table.id, *action.storage_key)  # type: ignore[union-attr]
        if target in seen:
            raise ValidationException(MULTIPLE_OPERATIONS)
        seen.add(target)


def _apply(txn, action: _Action, wants_capacity: bool) -> int:
    """Check and apply one action; the size it is charged for (the larger of the item before and after)."""
    table, (partition, sort), spec = action.table, action.storage_key, action.spec  # type: ignore[misc]
    if action.kind == "Put":
        old = items.apply_put(txn, table, partition, sort, action.item, action.encoded, action.condition, spec)
        size = action.size
    elif action.kind == "Update":
        old, _, size = items.apply_update(txn, table, partition, sort, action.key, action.update,
                                          action.condition, spec, "TOTAL" if wants_capacity else None)
    elif action.kind == "Delete":
        old = items.apply_delete(txn, table, partition, sort, action.condition, spec)
        size = 0
    else:
        old = items.check_condition(txn, table, partition, sort, action.condition, spec)
        size = 0
    if not wants_capacity:
        return 0
    return max(size, values.item_size(old) if old is not None else 0)


def _collection_metrics(txn, actions: list[_Action], params: dict) -> dict:
    """``{"ItemCollectionMetrics": {table: [...]}}``, one entry per action that wrote an item of a table with
    local secondary indexes, once every action is applied; empty when not asked for or there is none."""
    collected: dict[str, list] = {}
    for action in actions:
        if action.kind == "ConditionCheck":
            continue
        table = action.table
        key = action.item if action.item is not None else action.key
        collection = item_collections.metrics(txn, table, action.storage_key[0], key, params)  # type: ignore
        if collection is not None:
            collected.setdefault(table.name, []).append(collection)  # type: ignore[union-attr]
    return {"ItemCollectionMetrics": collected} if collected else {}


def _replayed(txn, actions: list[_Action], answered: dict, capacity_mode: str | None) -> dict | bytes:
    """The answer to a retry: what the first request answered, with the capacity of reading the
    items now, not of writing them again (API Reference, ClientRequestToken)."""
    if capacity_mode in (None, "NONE"):
        return answered or b"{}"
    units: dict[str, float] = {}
    for action in actions:
        table = action.table
        stored = txn.get(table.id, *action.storage_key) if action.storage_key is not None else None  # type: ignore
        size = values.item_size(orjson.loads(stored)) if stored is not None else 0
        units[table.name] = units.get(table.name, 0.0) + TRANSACTION_FACTOR * capacity.read_units(size, True)
    return {**answered, "ConsumedCapacity": [_consumed(capacity_mode, name, amount, "ReadCapacityUnits")
                                             for name, amount in units.items()]}


def _consumed(mode: str | None, table: str, units: float, kind: str) -> dict:
    """A transaction's ConsumedCapacity entry for one table: unlike the other operations', it splits the
    units into reads or writes (moto's TransactGetItems tests; capacity.consumed's note)."""
    entry: dict = {"TableName": table, "CapacityUnits": units, kind: units}
    if mode == "INDEXES":
        entry["Table"] = {"CapacityUnits": units, kind: units}
    return entry


OPERATIONS: dict = {
    "TransactWriteItems": transact_write_items,
    "TransactGetItems": transact_get_items,
}

"""PartiQL: ExecuteStatement, BatchExecuteStatement and ExecuteTransaction (API Reference; Developer
Guide, "PartiQL - a SQL-compatible query language for Amazon DynamoDB").

Each statement is parsed and planned (``partiql.plan``) into the native request that does its work,
which the native operation then runs: GetItem, Query or Scan for a SELECT, PutItem, UpdateItem or
DeleteItem for a write, TransactGetItems or TransactWriteItems for a transaction. Semantics, errors
and the item writes themselves (``changes.write``) are so the native operations' own. Each statement
is authorized as its PartiQL action (``authorization.py``): an ExecuteStatement or ExecuteTransaction
before it gets here, a BatchExecuteStatement statement by statement here, so that one not allowed
has its AccessDenied error in its place. The native operations run without a second authorization,
as on AWS, where a PartiQL caller needs no dynamodb:GetItem or dynamodb:Query.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

import orjson

from moatdb.errors import (
    AwsError,
    ConditionalCheckFailedException,
    DuplicateItemException,
    TransactionCanceledException,
    ValidationException,
)
from moatdb.services.dynamodb import expressions as ex
from moatdb.services.dynamodb.context import Request
from moatdb.services.dynamodb.operations import items, reads, transactions
from moatdb.services.dynamodb.partiql.literals import parameter
from moatdb.services.dynamodb.partiql.plan import Read, Schema, Write, is_read, plan, table_of

DUPLICATE_ITEM = "Duplicate primary key exists in table"
# Recorded against DynamoDB Local by a conformance project ("a transaction of a read and a write").
MIXED_TRANSACTION = "ExecuteTransaction API does not support both read and write operations in the same request."
MIXED_BATCH = "BatchExecuteStatement API does not support both read and write operations in the same request."  # assumed
RETURNING_IN_TRANSACTION = "RETURNING is not supported in ExecuteTransaction"  # wording assumed
INVALID_TOKEN = "The provided NextToken is not valid for this statement"  # wording assumed
EXISTS_OUTSIDE_TRANSACTION = "EXISTS is only supported in ExecuteTransaction"  # wording assumed
# The expression parser's errors name the parameter they were found in; a statement has none.
_EXPRESSION_KINDS = ("ConditionExpression", "UpdateExpression", "FilterExpression", "KeyConditionExpression",
                     "ProjectionExpression")

_NATIVE: dict[str, Callable[[Request], dict | bytes]] = {
    "GetItem": items.get_item,
    "Query": reads.query,
    "Scan": reads.scan,
    "PutItem": items.put_item,
    "UpdateItem": items.update_item,
    "DeleteItem": items.delete_item,
}
# The member of a TransactWriteItem each write becomes.
_TRANSACT_MEMBERS = {"PutItem": "Put", "UpdateItem": "Update", "DeleteItem": "Delete",
                     "ConditionCheck": "ConditionCheck"}


def execute_statement(request: Request) -> dict:
    params = request.params
    statement, parameters = params["Statement"], params.get("Parameters")
    table = request.table(table_of(statement, parameters))
    found = plan(statement, parameters, Schema.of(table.description))
    if isinstance(found, Read):
        return _select(request, found, statement, parameters)
    result = _write(request, found, params)
    reply: dict = {"Items": [result["Attributes"]] if "Attributes" in result else []}
    if "ConsumedCapacity" in result:
        reply["ConsumedCapacity"] = result["ConsumedCapacity"]
    return reply


def batch_execute_statement(request: Request) -> dict:
    """Each statement runs on its own; one that fails has an Error in its place (HTTP 200)."""
    params = request.params
    statements = params["Statements"]
    kinds = set()
    for spec in statements:
        try:
            kinds.add(is_read(spec["Statement"]))
        except AwsError:
            continue  # its own Error, in its place
    if len(kinds) > 1:
        # "The entire batch must consist of either read statements or write statements" (API Reference).
        raise ValidationException(MIXED_BATCH)
    capacity_mode = params.get("ReturnConsumedCapacity")
    units: dict[str, float] = {}
    responses = [_batch_member(request, spec, capacity_mode, units) for spec in statements]
    reply: dict = {"Responses": responses}
    if capacity_mode not in (None, "NONE"):
        reply["ConsumedCapacity"] = [{"TableName": name, "CapacityUnits": amount} for name, amount in units.items()]
    return reply


def execute_transaction(request: Request) -> dict:
    params = request.params
    plans = []
    for position, spec in enumerate(params["TransactStatements"]):
        # Parameter values are refused in their own words, the statement's problems with its place
        # (conformance suite: "Validation failed in TransactStatements[0]: Statement wasn't well
        # formed, ..." but a bare "The parameter cannot be converted to a numeric value: ...").
        for value in spec.get("Parameters") or ():
            parameter(value)
        statement, parameters = spec["Statement"], spec.get("Parameters")
        try:
            name = table_of(statement, parameters)
        except ValidationException as error:
            raise _in_transaction(position, error) from None
        table = request.table(name)
        try:
            found = plan(statement, parameters, Schema.of(table.description), single="ExecuteTransaction")
        except ValidationException as error:
            raise _in_transaction(position, error) from None
        plans.append((found, spec))
    kinds = {isinstance(found, Read) for found, _ in plans}
    if len(kinds) > 1:
        raise ValidationException(MIXED_TRANSACTION)
    capacity_mode = params.get("ReturnConsumedCapacity")
    if kinds == {True}:
        native: dict = {"TransactItems": [{"Get": found.requests[0]} for found, _ in plans]}
        if capacity_mode is not None:
            native["ReturnConsumedCapacity"] = capacity_mode
        result = _run(request, "TransactGetItems", transactions.transact_get_items, native)
        return {"Responses": result.get("Responses", []), **_capacity_of(result)}
    return _write_transaction(request, plans, params)


# --- one statement -----------------------------------------------------------------------------------

def _select(request: Request, read: Read, statement: str, parameters: object) -> dict:
    """The requests of a SELECT, from where its NextToken left off, until its Limit or 1 MB of
    items is read: a Query or Scan ends a page itself, the Queries of ``pk IN [...]`` follow one
    another within the page's bounds."""
    params = request.params
    # The filter and projection are checked before anything is read.
    context = ex.ExpressionContext(read.names or None, read.values or None) if read.names or read.values else None
    try:
        condition = ex.parse_condition(read.condition, context, kind="FilterExpression") if read.condition else None
        projection = ex.parse_projection(read.projection, context) if read.projection else None
    except ValidationException as error:
        raise _unprefixed(error) from None
    digest = _digest(statement, parameters)
    first, start_key = 0, None
    if params.get("NextToken") is not None:
        first, start_key = _resume(params["NextToken"], digest, len(read.requests))
    limit = params.get("Limit")
    read_items: list = []
    scanned = read_bytes = 0
    consumed: list[dict] = []
    resume: tuple[int, dict | None] | None = None
    for position in range(first, len(read.requests)):
        native = dict(read.requests[position])
        for name in ("ConsistentRead", "ReturnConsumedCapacity"):
            if params.get(name) is not None:
                native[name] = params[name]
        if limit is not None:
            native["Limit"] = limit - scanned
        if start_key is not None:
            native["ExclusiveStartKey"], start_key = start_key, None
        result = _run(request, read.operation, _NATIVE[read.operation], native)
        read_items.extend(result.get("Items", ()))
        scanned += result.get("ScannedCount", 0)
        if "ConsumedCapacity" in result:
            consumed.append(result["ConsumedCapacity"])
        if result.get("LastEvaluatedKey") is not None:
            resume = (position, result["LastEvaluatedKey"])
            break
        if len(read.requests) > position + 1:
            read_bytes += len(orjson.dumps(result.get("Items", ())))
            if (limit is not None and scanned >= limit) or read_bytes >= reads.PAGE_BYTES:
                resume = (position + 1, None)
                break
    found = [item for item in read_items if condition is None or condition.evaluate(item)]
    reply: dict = {"Items": [projection.apply(item) for item in found] if projection is not None else found}
    if resume is not None:
        reply["NextToken"] = _next_token(digest, *resume)
        if resume[1] is not None:
            reply["LastEvaluatedKey"] = resume[1]
    if consumed:
        reply["ConsumedCapacity"] = _sum_capacity(consumed)
    return reply


def _sum_capacity(consumed: list[dict]) -> dict:
    """The ConsumedCapacity of several reads of one table, added up member by member."""
    total: dict = {}
    for entry in consumed:
        for name, value in entry.items():
            if type(value) is dict:
                inner = total.setdefault(name, {})
                for unit, amount in value.items():
                    inner[unit] = inner.get(unit, 0.0) + amount
            elif type(value) in (int, float):
                total[name] = total.get(name, 0.0) + value
            else:
                total[name] = value
    return total


def _write(request: Request, write: Write, spec: dict, capacity_mode: str | None = None) -> dict:
    if write.operation == "ConditionCheck":
        raise ValidationException(EXISTS_OUTSIDE_TRANSACTION)
    native = dict(write.params)
    capacity_mode = capacity_mode or spec.get("ReturnConsumedCapacity")
    if capacity_mode is not None:
        native["ReturnConsumedCapacity"] = capacity_mode
    if spec.get("ReturnValuesOnConditionCheckFailure") is not None and not write.insert:
        native["ReturnValuesOnConditionCheckFailure"] = spec["ReturnValuesOnConditionCheckFailure"]
    try:
        return _run(request, write.operation, _NATIVE[write.operation], native)
    except ConditionalCheckFailedException:
        if write.insert:
            raise DuplicateItemException(DUPLICATE_ITEM) from None
        raise


def _run(request: Request, operation: str, run: Callable[[Request], dict | bytes], params: dict) -> dict:
    """The native ``operation`` with ``params``, as the caller (already authorized for it)."""
    native = Request(operation, params, request.caller, request.store, request.catalog, request.authorizer,
                     request.authorization)
    try:
        result = run(native)
    except ValidationException as error:
        raise _unprefixed(error) from None
    return orjson.loads(result) if type(result) is bytes else result


def _unprefixed(error: ValidationException) -> ValidationException:
    """An expression error without the name of the parameter it was found in: the conformance suite
    pins PartiQL's "Operator or function requires a document path; ..." bare."""
    message = error.message or ""
    for kind in _EXPRESSION_KINDS:
        prefix = f"Invalid {kind}: "
        if message.startswith(prefix):
            return ValidationException(message[len(prefix):])
    return error


def _capacity_of(result: dict) -> dict:
    return {"ConsumedCapacity": result["ConsumedCapacity"]} if "ConsumedCapacity" in result else {}


# --- pages -------------------------------------------------------------------------------------------

def _digest(statement: str, parameters: object) -> str:
    """What a NextToken belongs to: the statement and its parameters."""
    return hashlib.sha256(orjson.dumps([statement, parameters])).hexdigest()[:32]


def _next_token(digest: str, position: int, last_key: dict | None) -> str:
    """Where the next page starts: the request (of a SELECT's several) and the key after which it reads."""
    return base64.urlsafe_b64encode(orjson.dumps({"statement": digest, "request": position, "key": last_key})).decode()


def _resume(token: str, digest: str, requests: int) -> tuple[int, dict | None]:
    """Where a NextToken continues; a token of another statement is refused (recorded against
    DynamoDB Local: "the next page of another statement" fails)."""
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, orjson.JSONDecodeError):
        raise ValidationException(INVALID_TOKEN) from None
    if type(decoded) is not dict or decoded.get("statement") != digest:
        raise ValidationException(INVALID_TOKEN)
    position, key = decoded.get("request"), decoded.get("key")
    if type(position) is not int or not 0 <= position < requests or (key is not None and type(key) is not dict):
        raise ValidationException(INVALID_TOKEN)
    return position, key


# --- batches and transactions ------------------------------------------------------------------------

def _batch_member(request: Request, spec: dict, capacity_mode: str | None, units: dict[str, float]) -> dict:
    """One statement's response: its item (a read), nothing (a write), or its Error. An error found
    before the table is known names no table (moto's tests, aws_verified where they say so). The
    statement is authorized first, as a batch of its own: a denial is its Error ("AccessDenied", with
    the policy engine's message; that message in a batch is assumed, not captured from AWS), and a
    table that does not exist is no ResourceNotFound to a caller who may not touch it."""
    table_name = None
    try:
        request.authorize("BatchExecuteStatement", {"Statements": [spec]})
        statement, parameters = spec["Statement"], spec.get("Parameters")
        table = request.table(table_of(statement, parameters))
        table_name = table.name
        found = plan(statement, parameters, Schema.of(table.description), single="BatchExecuteStatement")
        if isinstance(found, Read):
            native = dict(found.requests[0])
            if spec.get("ConsistentRead") is not None:
                native["ConsistentRead"] = spec["ConsistentRead"]
            if capacity_mode is not None:
                native["ReturnConsumedCapacity"] = capacity_mode
            result = _run(request, "GetItem", items.get_item, native)
        else:
            result = _write(request, found, spec, capacity_mode)
    except AwsError as error:
        failure: dict = {"Code": _batch_code(error), "Message": error.message or ""}
        if error.extra and "Item" in error.extra:
            failure["Item"] = error.extra["Item"]
        return {"Error": failure, "TableName": table_name} if table_name is not None else {"Error": failure}
    consumed = result.get("ConsumedCapacity")
    if consumed is not None:
        units[table_name] = units.get(table_name, 0.0) + consumed["CapacityUnits"]
    member: dict = {"TableName": table_name}
    if "Item" in result:
        member["Item"] = result["Item"]
    return member


def _batch_code(error: AwsError) -> str:
    """BatchStatementError's Code: the error's type without "Exception" (ValidationException is
    ValidationError), API Reference, BatchStatementError."""
    if error.code == "ValidationException":
        return "ValidationError"
    return error.code.removesuffix("Exception")


def _write_transaction(request: Request, plans: list, params: dict) -> dict:
    transact_items = []
    for found, spec in plans:
        if "ReturnValues" in found.params:
            raise ValidationException(RETURNING_IN_TRANSACTION)
        member = dict(found.params)
        if spec.get("ReturnValuesOnConditionCheckFailure") is not None:
            member["ReturnValuesOnConditionCheckFailure"] = spec["ReturnValuesOnConditionCheckFailure"]
        transact_items.append({_TRANSACT_MEMBERS[found.operation]: member})
    native: dict = {"TransactItems": transact_items}
    for name in ("ClientRequestToken", "ReturnConsumedCapacity"):
        if params.get(name) is not None:
            native[name] = params[name]
    try:
        result = _run(request, "TransactWriteItems", transactions.transact_write_items, native)
    except TransactionCanceledException as cancelled:
        # An INSERT's condition is that its key is new: its failure is a duplicate key.
        reasons = [
            {"Code": "DuplicateItem", "Message": DUPLICATE_ITEM}
            if found.insert and reason.get("Code") == "ConditionalCheckFailed" else reason
            for (found, _), reason in zip(plans, cancelled.extra["CancellationReasons"], strict=True)
        ]
        raise TransactionCanceledException(reasons) from None
    # A transaction of writes answers an empty Responses list (conformance suite, writeResponses).
    return {"Responses": [], **_capacity_of(result)}


def _in_transaction(position: int, error: ValidationException) -> ValidationException:
    return ValidationException(f"Validation failed in TransactStatements[{position}]: {error.message}")


OPERATIONS: dict = {
    "ExecuteStatement": execute_statement,
    "BatchExecuteStatement": batch_execute_statement,
    "ExecuteTransaction": execute_transaction,
}

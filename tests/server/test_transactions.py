"""TransactWriteItems and TransactGetItems against a live moatdb, with boto3.

Sources: the API Reference (TransactWriteItems, TransactGetItems, TransactionCanceledException) and the
Developer Guide ("Amazon DynamoDB Transactions", "Capacity management for transactions"); messages and
shapes captured from AWS by moto's aws_verified tests (tests/test_dynamodb/test_dynamodb_transact.py,
tests/test_dynamodb/exceptions/test_dynamodb_transactions.py) and by the dynamodb-conformance suite
(tests/tier2/transactions/, tests/tier3/error-messages/transactWriteItems.test.ts and
transactGetItems.test.ts, tests/tier3/limits/transactionLimits.test.ts). Where a message is assumed, the
test says so.
"""

from __future__ import annotations

import random
import re
import threading
import uuid
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server, client_for, free_port
from tests.helpers import (
    ACCOUNT,
    INVALID,
    KEY_MISMATCH,
    REGION,
    N,
    S,
    allow,
    body,
    create_table,
    deny,
    error,
    failure,
    invalid,
    new_user,
    policy,
    put_items,
    stored,
)
from tests.server.test_concurrency import race

CONDITION_FAILED = "The conditional request failed"
CANCELLED = "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]"
MULTIPLE = "Transaction request cannot include multiple operations on one item"


def key(pk: str, sk: str = "s") -> dict:
    return {"pk": S(pk), "sk": S(sk)}


def put(table: str, item: dict, **extra) -> dict:
    return {"Put": {"TableName": table, "Item": item, **extra}}


def update(table: str, item_key: dict, expression: str, **extra) -> dict:
    return {"Update": {"TableName": table, "Key": item_key, "UpdateExpression": expression, **extra}}


def delete(table: str, item_key: dict, **extra) -> dict:
    return {"Delete": {"TableName": table, "Key": item_key, **extra}}


def check(table: str, item_key: dict, condition: str, **extra) -> dict:
    return {"ConditionCheck": {"TableName": table, "Key": item_key, "ConditionExpression": condition, **extra}}


def get(table: str, item_key: dict, **extra) -> dict:
    return {"Get": {"TableName": table, "Key": item_key, **extra}}


def cancelled(ddb, **params) -> tuple[str, list[dict]]:
    """The message and CancellationReasons of a transaction that must be cancelled (HTTP 400)."""
    response = failure(ddb.transact_write_items, **params)
    assert response["Error"]["Code"] == "TransactionCanceledException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return response["Error"]["Message"], response["CancellationReasons"]


# --- TransactWriteItems: all or nothing ---------------------------------------------------------------


def test_put_update_delete_and_condition_check_apply_together(ddb, table):
    ddb.put_item(TableName=table, Item={**key("upd"), "n": N("1")})
    ddb.put_item(TableName=table, Item={**key("del"), "x": S("gone")})
    ddb.put_item(TableName=table, Item={**key("chk"), "status": S("open")})

    reply = ddb.transact_write_items(TransactItems=[
        put(table, {**key("new"), "v": S("created")}, ConditionExpression="attribute_not_exists(pk)"),
        update(table, key("upd"), "SET n = n + :one", ExpressionAttributeValues={":one": N("1")}),
        delete(table, key("del"), ConditionExpression="attribute_exists(x)"),
        check(table, key("chk"), "#s = :open", ExpressionAttributeNames={"#s": "status"},
              ExpressionAttributeValues={":open": S("open")}),
    ])

    assert body(reply) == {}
    assert stored(ddb, table, key("new")) == {**key("new"), "v": S("created")}
    assert stored(ddb, table, key("upd")) == {**key("upd"), "n": N("2")}
    assert stored(ddb, table, key("del")) is None
    assert stored(ddb, table, key("chk")) == {**key("chk"), "status": S("open")}  # checked, not written


def test_actions_span_tables_and_accept_table_arns(ddb, table, make_table):
    hash_table = make_table(None)
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{hash_table}"

    ddb.transact_write_items(TransactItems=[put(table, key("a")), put(arn, {"pk": S("b")})])

    assert stored(ddb, table, key("a")) == key("a")
    assert stored(ddb, hash_table, {"pk": S("b")}) == {"pk": S("b")}


def test_a_failed_condition_cancels_every_action_with_a_reason_for_each_in_order(ddb, table):
    ddb.put_item(TableName=table, Item={**key("locked"), "status": S("locked")})
    ddb.put_item(TableName=table, Item={**key("counter"), "n": N("5")})

    message, reasons = cancelled(ddb, TransactItems=[
        put(table, key("fresh")),
        check(table, key("locked"), "#s = :v", ExpressionAttributeNames={"#s": "status"},
              ExpressionAttributeValues={":v": S("unlocked")}),
        update(table, key("counter"), "SET n = :v", ExpressionAttributeValues={":v": N("100")}),
    ])

    assert message == CANCELLED.format("None, ConditionalCheckFailed, None")
    assert reasons == [{"Code": "None"}, {"Code": "ConditionalCheckFailed", "Message": CONDITION_FAILED},
                       {"Code": "None"}]
    assert stored(ddb, table, key("fresh")) is None
    assert stored(ddb, table, key("counter")) == {**key("counter"), "n": N("5")}


def test_every_failed_condition_is_reported_not_only_the_first(ddb, table):
    for name in ("one", "two"):
        ddb.put_item(TableName=table, Item={**key(name), "a": S("exists")})

    message, reasons = cancelled(ddb, TransactItems=[
        put(table, {**key("one"), "a": S("over")}, ConditionExpression="attribute_not_exists(pk)"),
        put(table, {**key("two"), "a": S("over")}, ConditionExpression="attribute_not_exists(pk)"),
    ])

    assert message == CANCELLED.format("ConditionalCheckFailed, ConditionalCheckFailed")
    assert [reason["Code"] for reason in reasons] == ["ConditionalCheckFailed"] * 2
    assert stored(ddb, table, key("one"))["a"] == S("exists")


def failing(kind: str, table: str, item_key: dict, condition: str) -> dict:
    """An action of ``kind`` on ``item_key`` whose condition fails, asking for the item on failure."""
    spec = {"TableName": table, "ConditionExpression": condition, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
    if kind == "Put":
        spec["Item"] = {**item_key, "v": S("new")}
    else:
        spec["Key"] = item_key
    if kind == "Update":
        spec |= {"UpdateExpression": "SET w = :w", "ExpressionAttributeValues": {":w": S("w")}}
    return {kind: spec}


@pytest.mark.parametrize("kind", ["ConditionCheck", "Put", "Delete", "Update"])
def test_return_values_on_condition_check_failure_puts_the_item_in_its_reason(ddb, table, kind):
    # moto's test_transact_write_items_failure__return_item, run against AWS.
    ddb.put_item(TableName=table, Item={**key("there"), "v": S("old")})

    _, reasons = cancelled(ddb, TransactItems=[failing(kind, table, key("there"), "attribute_not_exists(v)"),
                                               failing(kind, table, key("absent"), "attribute_exists(v)")])

    assert reasons == [
        {"Code": "ConditionalCheckFailed", "Message": CONDITION_FAILED, "Item": {**key("there"), "v": S("old")}},
        {"Code": "ConditionalCheckFailed", "Message": CONDITION_FAILED},  # no item to return
    ]


def test_an_update_that_only_removes_does_not_create_a_missing_item(ddb, table):
    # The same rule as UpdateItem's.
    ddb.transact_write_items(TransactItems=[update(table, key("ghost"), "REMOVE a")])

    assert stored(ddb, table, key("ghost")) is None


def test_an_update_dynamodb_refuses_on_the_item_is_the_actions_validation_error(ddb, table):
    # The API Reference: a validation error "because of changes made by the transaction" cancels it.
    ddb.put_item(TableName=table, Item={**key("text"), "a": S("not a number")})
    alone = failure(ddb.update_item, TableName=table, Key=key("text"), UpdateExpression="SET a = a + :one",
                    ExpressionAttributeValues={":one": N("1")})["Error"]["Message"]

    message, reasons = cancelled(ddb, TransactItems=[
        put(table, key("other")),
        update(table, key("text"), "SET a = a + :one", ExpressionAttributeValues={":one": N("1")}),
    ])

    assert message == CANCELLED.format("None, ValidationError")
    assert reasons == [{"Code": "None"}, {"Code": "ValidationError", "Message": alone}]
    assert stored(ddb, table, key("other")) is None


def test_an_update_growing_an_item_past_400_kb_is_the_actions_validation_error(ddb, table):
    ddb.put_item(TableName=table, Item={**key("big"), "a": S("x" * 300_000)})

    _, reasons = cancelled(ddb, TransactItems=[
        update(table, key("big"), "SET b = :b", ExpressionAttributeValues={":b": S("y" * 200_000)}),
    ])

    assert reasons == [{"Code": "ValidationError",
                        "Message": "Item size to update has exceeded the maximum allowed size"}]


# --- TransactWriteItems: what follows the items -------------------------------------------------------


@pytest.fixture
def indexed(ddb) -> Iterator[str]:
    """A table keyed by ``pk`` and ``sk`` with a global secondary index ``byG`` on ``g`` (a string)."""
    name = f"tx-{uuid.uuid4().hex[:12]}"
    ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "g")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}])
    yield name
    ddb.delete_table(TableName=name)


def in_index(ddb, table: str, g: str) -> list[dict]:
    return ddb.query(TableName=table, IndexName="byG", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": S(g)})["Items"]


def test_indexes_follow_a_transaction_and_not_a_cancelled_one(ddb, indexed):
    ddb.put_item(TableName=indexed, Item={**key("moved"), "g": S("before")})

    ddb.transact_write_items(TransactItems=[
        put(indexed, {**key("new"), "g": S("after")}),
        update(indexed, key("moved"), "SET g = :g", ExpressionAttributeValues={":g": S("after")}),
    ])
    cancelled(ddb, TransactItems=[put(indexed, {**key("never"), "g": S("after")}),
                                  check(indexed, key("moved"), "attribute_not_exists(pk)")])

    assert sorted(item["pk"]["S"] for item in in_index(ddb, indexed, "after")) == ["moved", "new"]
    assert in_index(ddb, indexed, "before") == []


def test_an_index_key_of_the_wrong_type_is_the_actions_validation_error(ddb, indexed):
    # dynamodb-conformance, captured from AWS ("Put wrong-typed index key: cancelled with full
    # ValidationError reason").
    _, reasons = cancelled(ddb, TransactItems=[put(indexed, {**key("a"), "g": N("5")})])

    assert reasons == [{"Code": "ValidationError", "Message": INVALID + "Type mismatch for Index Key g Expected: S"
                                                                          " Actual: N IndexName: byG"}]


def test_an_empty_index_key_value_is_refused_up_front(ddb, indexed):
    # dynamodb-conformance, captured from AWS ("Put empty-string index key: top-level ValidationException").
    assert error(ddb.transact_write_items, TransactItems=[put(indexed, {**key("a"), "g": S("")})]) == invalid(
        "One or more parameter values are not valid. A value specified for a secondary index key is not"
        " supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: byG,"
        " IndexKey: g")


# --- TransactWriteItems: what is refused up front -----------------------------------------------------


@pytest.mark.parametrize("second", [
    put(None, key("same")),
    delete(None, key("same")),
    # The key's attributes in the other order are the same item (moto's aws_verified test).
    delete(None, {"sk": S("s"), "pk": S("same")}),
    check(None, key("same"), "attribute_exists(pk)"),
    update(None, key("same"), "SET a = :a", ExpressionAttributeValues={":a": S("a")}),
])
def test_two_actions_on_one_item_are_refused(ddb, table, second):
    (kind, action), = second.items()

    assert error(ddb.transact_write_items, TransactItems=[put(table, key("same")), {kind: {**action, "TableName": table}}]) \
        == invalid(MULTIPLE)
    assert stored(ddb, table, key("same")) is None


def test_the_same_key_in_two_tables_is_two_items(ddb, table, make_table):
    other = make_table()

    ddb.transact_write_items(TransactItems=[put(table, key("k")), put(other, key("k"))])

    assert stored(ddb, other, key("k")) == key("k")


def test_an_action_on_a_missing_table_refuses_the_whole_request(ddb, table):
    # dynamodb-conformance: "non-existent table: full ResourceNotFoundException message".
    assert error(ddb.transact_write_items, TransactItems=[put(table, key("a")), put("no-such-table", key("a"))]) \
        == ("ResourceNotFoundException", "Requested resource not found", 400)
    assert stored(ddb, table, key("a")) is None


@pytest.mark.parametrize(("action", "reason"), [
    # dynamodb-conformance, captured from AWS: a key of the wrong type or shape cancels with the action's
    # ValidationError, worded as PutItem words it for an item and GetItem for a key.
    ({"Put": {"Item": {"pk": N("5"), "sk": S("s")}}}, INVALID + "Type mismatch for key pk expected: S actual: N"),
    ({"Put": {"Item": {"pk": {"L": [S("x")]}, "sk": S("s")}}}, INVALID + "Type mismatch for key pk expected: S actual: L"),
    ({"Delete": {"Key": {"pk": N("5"), "sk": S("s")}}}, KEY_MISMATCH),
    ({"ConditionCheck": {"Key": {"pk": {"L": [S("x")]}, "sk": S("s")}, "ConditionExpression": "attribute_exists(pk)"}},
     KEY_MISMATCH),
    ({"Update": {"Key": {"pk": S("only")}, "UpdateExpression": "SET a = :v", "ExpressionAttributeValues": {":v": S("x")}}},
     KEY_MISMATCH),
])
def test_a_key_that_does_not_fit_the_table_is_the_actions_validation_error(ddb, table, action, reason):
    (kind, spec), = action.items()

    message, reasons = cancelled(ddb, TransactItems=[put(table, key("fine")), {kind: {**spec, "TableName": table}}])

    assert message == CANCELLED.format("None, ValidationError")
    assert reasons == [{"Code": "None"}, {"Code": "ValidationError", "Message": reason}]
    assert stored(ddb, table, key("fine")) is None


def test_an_update_of_a_key_attribute_is_the_actions_validation_error(ddb, table):
    # UpdateItem's wording; that a transaction reports it as a cancellation reason is assumed.
    _, reasons = cancelled(ddb, TransactItems=[
        update(table, key("k"), "SET pk = :v", ExpressionAttributeValues={":v": S("x")})])

    assert reasons == [{"Code": "ValidationError",
                        "Message": INVALID + "Cannot update attribute pk. This attribute is part of the key"}]


@pytest.mark.parametrize("action", [
    put(None, {"pk": S(""), "sk": S("s")}),
    delete(None, {"pk": S(""), "sk": S("s")}),
    update(None, {"pk": S(""), "sk": S("s")}, "SET a = :v", ExpressionAttributeValues={":v": S("x")}),
    check(None, {"pk": S(""), "sk": S("s")}, "attribute_not_exists(pk)"),
])
def test_an_empty_key_value_is_refused_up_front(ddb, table, action):
    # dynamodb-conformance, captured from AWS: a top-level ValidationException, not a reason.
    (kind, spec), = action.items()

    assert error(ddb.transact_write_items, TransactItems=[{kind: {**spec, "TableName": table}}]) == invalid(
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an"
        " empty string value. Key: pk")


@pytest.mark.parametrize(("action", "message"), [
    # moto's aws_verified test_transact_write_items__empty_expr_attr_values.
    (put(None, key("a"), ConditionExpression="attribute_not_exists(#n)", ExpressionAttributeNames={"#n": "pk"},
         ExpressionAttributeValues={}), "ExpressionAttributeValues must not be empty"),
    # PutItem's, UpdateItem's and DeleteItem's own checks, unchanged inside a transaction.
    (put(None, key("a"), ExpressionAttributeValues={":v": S("x")}),
     "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null"),
    (delete(None, key("a"), ConditionExpression="attribute_exists(a)", ExpressionAttributeValues={":v": S("x")}),
     "Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}"),
    (update(None, key("a"), "SET a = :v SET b = :v", ExpressionAttributeValues={":v": S("x")}),
     'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;'),
])
def test_expressions_are_checked_as_the_single_item_operations_check_them(ddb, table, action, message):
    (kind, spec), = action.items()

    code, got, status = error(ddb.transact_write_items, TransactItems=[{kind: {**spec, "TableName": table}}])

    assert (code, status) == ("ValidationException", 400)
    assert got.startswith(message)


def test_an_expression_error_is_found_before_a_missing_table(ddb):
    assert error(ddb.transact_write_items, TransactItems=[
        put("no-such-table", key("a"), ExpressionAttributeValues={":v": S("x")})])[0] == "ValidationException"


def test_an_item_over_400_kb_is_refused_as_putitem_refuses_it(ddb, table):
    assert error(ddb.transact_write_items, TransactItems=[put(table, {**key("huge"), "a": S("x" * 410_000)})]) \
        == invalid("Item size has exceeded the maximum allowed size")


def test_an_entry_naming_two_actions_is_refused(ddb, table):
    # moto's wording (not recorded against AWS): wording assumed.
    both = {**put(table, key("a")), **delete(table, key("a"))}

    assert error(ddb.transact_write_items, TransactItems=[both]) == invalid(
        "TransactItems can only contain one of Check, Put, Update or Delete")


def test_100_actions_are_one_transaction_and_101_are_refused(ddb, hash_table):
    ddb.transact_write_items(TransactItems=[put(hash_table, {"pk": S(f"i{index}")}) for index in range(100)])
    assert len(ddb.scan(TableName=hash_table)["Items"]) == 100

    code, message, _ = error(ddb.transact_write_items,
                             TransactItems=[put(hash_table, {"pk": S(f"j{index}")}) for index in range(101)])
    assert code == "ValidationException"
    assert re.fullmatch(r"1 validation error detected: Value '\[.+\]' at 'transactItems' failed to satisfy "
                        r"constraint: Member must have length less than or equal to 100", message, re.DOTALL)


def test_items_over_4_mb_in_all_are_refused_and_under_it_are_written(ddb, hash_table):
    # dynamodb-conformance (transactionLimits.test.ts): 10 items of 350 KB pass, 12 are refused. The
    # message is assumed (dynoxide's wording).
    ddb.transact_write_items(TransactItems=[put(hash_table, {"pk": S(f"ok{i}"), "p": S("x" * 350_000)})
                                            for i in range(10)])

    assert error(ddb.transact_write_items, TransactItems=[
        put(hash_table, {"pk": S(f"no{i}"), "p": S("x" * 350_000)}) for i in range(12)]) == invalid(
        "Collection size of items exceeded, which can also be caused by the aggregate size of the items in the"
        " transaction exceeding the 4MB limit")
    assert stored(ddb, hash_table, {"pk": S("no0")}) is None


# --- TransactWriteItems: capacity ---------------------------------------------------------------------


def test_consumed_capacity_is_twice_a_plain_writes_per_table(ddb, table, make_table):
    hash_table = make_table(None)
    ddb.put_item(TableName=table, Item={**key("old"), "a": S("x" * 1500)})  # 2 units as it stands

    reply = ddb.transact_write_items(ReturnConsumedCapacity="TOTAL", TransactItems=[
        put(table, key("small")),  # 1 unit
        update(table, key("old"), "REMOVE a"),  # charged for the larger item: 2 units
        put(hash_table, {"pk": S("p")}),
        check(hash_table, {"pk": S("nothing")}, "attribute_not_exists(pk)"),
    ])

    assert reply["ConsumedCapacity"] == [
        {"TableName": table, "CapacityUnits": 6.0, "WriteCapacityUnits": 6.0},
        {"TableName": hash_table, "CapacityUnits": 4.0, "WriteCapacityUnits": 4.0},
    ]

    indexes = ddb.transact_write_items(ReturnConsumedCapacity="INDEXES", TransactItems=[put(table, key("small"))])
    assert indexes["ConsumedCapacity"] == [{"TableName": table, "CapacityUnits": 2.0, "WriteCapacityUnits": 2.0,
                                            "Table": {"CapacityUnits": 2.0, "WriteCapacityUnits": 2.0}}]
    assert "ConsumedCapacity" not in ddb.transact_write_items(TransactItems=[put(table, key("small"))])


# --- TransactWriteItems: ClientRequestToken -----------------------------------------------------------


def increment(table: str) -> list[dict]:
    return [update(table, key("count"), "ADD n :one", ExpressionAttributeValues={":one": N("1")})]


def test_a_retry_with_the_same_token_answers_again_without_writing_again(ddb, table):
    token = str(uuid.uuid4())

    first = ddb.transact_write_items(TransactItems=increment(table), ClientRequestToken=token)
    again = ddb.transact_write_items(TransactItems=increment(table), ClientRequestToken=token)

    assert body(first) == body(again) == {}
    assert stored(ddb, table, key("count"))["n"] == N("1")
    ddb.transact_write_items(TransactItems=increment(table), ClientRequestToken=str(uuid.uuid4()))
    assert stored(ddb, table, key("count"))["n"] == N("2")


def test_a_retry_is_the_same_request_whatever_the_order_of_its_members(ddb, table):
    token = str(uuid.uuid4())
    action = {"TableName": table, "Key": key("count"), "UpdateExpression": "ADD n :one",
              "ExpressionAttributeValues": {":one": N("1")}}
    reordered = dict(reversed(list(action.items())))

    ddb.transact_write_items(TransactItems=[{"Update": action}], ClientRequestToken=token)
    ddb.transact_write_items(TransactItems=[{"Update": reordered}], ClientRequestToken=token)

    assert stored(ddb, table, key("count"))["n"] == N("1")


def test_a_retry_reports_the_capacity_of_reading_the_items(ddb, table):
    # API Reference, ClientRequestToken: the first call returns the write capacity it consumed, a retry
    # "the amount of read capacity units consumed in reading the item".
    token = str(uuid.uuid4())
    items = [put(table, {**key("big"), "a": S("x" * 5000)})]

    first = ddb.transact_write_items(TransactItems=items, ClientRequestToken=token, ReturnConsumedCapacity="TOTAL")
    again = ddb.transact_write_items(TransactItems=items, ClientRequestToken=token, ReturnConsumedCapacity="TOTAL")

    assert first["ConsumedCapacity"] == [{"TableName": table, "CapacityUnits": 10.0, "WriteCapacityUnits": 10.0}]
    assert again["ConsumedCapacity"] == [{"TableName": table, "CapacityUnits": 4.0, "ReadCapacityUnits": 4.0}]


def test_the_same_token_with_another_request_is_a_mismatch(ddb, table):
    token = str(uuid.uuid4())
    ddb.transact_write_items(TransactItems=[put(table, {**key("t"), "v": S("first")})], ClientRequestToken=token)

    response = failure(ddb.transact_write_items, TransactItems=[put(table, {**key("t"), "v": S("second")})],
                       ClientRequestToken=token)

    # The message AWS sends is assumed (the API Reference's description of the error).
    assert response["Error"]["Code"] == "IdempotentParameterMismatchException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert stored(ddb, table, key("t"))["v"] == S("first")


def test_a_cancelled_transaction_leaves_its_token_unused(ddb, table):
    token = str(uuid.uuid4())
    guarded = [put(table, key("g"), ConditionExpression="attribute_exists(ready)")]
    cancelled(ddb, TransactItems=guarded, ClientRequestToken=token)

    ddb.put_item(TableName=table, Item={**key("g"), "ready": {"BOOL": True}})
    ddb.transact_write_items(TransactItems=guarded, ClientRequestToken=token)

    assert stored(ddb, table, key("g")) == key("g")


def test_a_token_is_its_accounts_whoever_in_it_sends_it(server, ddb, table):
    # The same token from a caller of the same account is the same token.
    user = new_user(server, policy(allow("dynamodb:*")))
    other = client_for(server.endpoint, credentials=user.credentials)
    token = str(uuid.uuid4())
    ddb.transact_write_items(TransactItems=increment(table), ClientRequestToken=token)

    assert error(other.transact_write_items, TransactItems=[put(table, key("x"))], ClientRequestToken=token)[0] \
        == "IdempotentParameterMismatchException"


# --- TransactGetItems ---------------------------------------------------------------------------------


def test_gets_answer_in_request_order_with_an_empty_response_for_a_missing_item(ddb, table, make_table):
    hash_table = make_table(None)
    ddb.put_item(TableName=table, Item={**key("a"), "x": N("1"), "y": S("why")})
    ddb.put_item(TableName=hash_table, Item={"pk": S("h"), "z": {"BOOL": True}})
    ddb.put_item(TableName=hash_table, Item={"pk": S("h2")})
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{hash_table}"

    reply = ddb.transact_get_items(TransactItems=[
        get(hash_table, {"pk": S("h")}),
        get(table, key("missing")),
        get(table, key("a"), ProjectionExpression="#y, pk", ExpressionAttributeNames={"#y": "y"}),
        get(arn, {"pk": S("h2")}),
    ])

    assert reply["Responses"] == [
        {"Item": {"pk": S("h"), "z": {"BOOL": True}}},
        {},
        {"Item": {"pk": S("a"), "y": S("why")}},
        {"Item": {"pk": S("h2")}},
    ]
    assert "ConsumedCapacity" not in reply


def test_gets_are_charged_two_strongly_consistent_reads_each_missing_or_not(ddb, table, make_table):
    hash_table = make_table(None)
    ddb.put_item(TableName=table, Item={**key("big"), "a": S("x" * 5000)})  # 2 read units as it stands

    reply = ddb.transact_get_items(ReturnConsumedCapacity="TOTAL", TransactItems=[
        get(table, key("big")), get(table, key("missing")), get(hash_table, {"pk": S("missing")})])

    assert reply["ConsumedCapacity"] == [
        {"TableName": table, "CapacityUnits": 6.0, "ReadCapacityUnits": 6.0},
        {"TableName": hash_table, "CapacityUnits": 2.0, "ReadCapacityUnits": 2.0},
    ]
    indexes = ddb.transact_get_items(ReturnConsumedCapacity="INDEXES", TransactItems=[get(table, key("missing"))])
    assert indexes["ConsumedCapacity"] == [{"TableName": table, "CapacityUnits": 2.0, "ReadCapacityUnits": 2.0,
                                            "Table": {"CapacityUnits": 2.0, "ReadCapacityUnits": 2.0}}]


def test_a_get_on_a_missing_table_is_resource_not_found(ddb, table):
    assert error(ddb.transact_get_items, TransactItems=[get(table, key("a")), get("no-such-table", key("a"))]) \
        == ("ResourceNotFoundException", "Requested resource not found", 400)


def test_a_get_with_a_key_that_does_not_fit_is_the_gets_validation_error(ddb, table):
    # dynamodb-conformance: "missing key attribute: action-level ValidationError surfaces as
    # TransactionCanceledException".
    response = failure(ddb.transact_get_items, TransactItems=[get(table, key("a")), get(table, {})])

    assert response["Error"] == {"Code": "TransactionCanceledException",
                                 "Message": CANCELLED.format("None, ValidationError")}
    assert response["CancellationReasons"] == [{"Code": "None"}, {"Code": "ValidationError", "Message": KEY_MISMATCH}]


def test_two_gets_of_one_item_are_refused(ddb, table):
    # dynamodb-conformance pins the type only; the message is assumed to be TransactWriteItems'.
    assert error(ddb.transact_get_items, TransactItems=[get(table, key("a")), get(table, key("a"))]) \
        == invalid(MULTIPLE)


def test_a_projection_is_checked_as_getitem_checks_it(ddb, table):
    # dynamodb-conformance: "invalid ProjectionExpression syntax: full parser error".
    assert error(ddb.transact_get_items, TransactItems=[get(table, key("a"), ProjectionExpression="!!!")]) \
        == invalid('Invalid ProjectionExpression: Syntax error; token: "!", near: "!!"')


def test_100_gets_are_one_read_and_101_are_refused(ddb, hash_table):
    reply = ddb.transact_get_items(TransactItems=[get(hash_table, {"pk": S(f"g{i}")}) for i in range(100)])
    assert reply["Responses"] == [{}] * 100

    code, message, _ = error(ddb.transact_get_items,
                             TransactItems=[get(hash_table, {"pk": S(f"g{i}")}) for i in range(101)])
    assert code == "ValidationException"
    assert message.endswith("at 'transactItems' failed to satisfy constraint: Member must have length less than or"
                            " equal to 100")


def test_gets_of_more_than_4_mb_in_all_are_refused(ddb, make_table):
    # The API Reference: "The aggregate size of the items in the transaction cannot exceed 4 MB". The
    # error's type and message are assumed (TransactWriteItems' ValidationException).
    hash_table = make_table(None)
    for index in range(11):
        ddb.put_item(TableName=hash_table, Item={"pk": S(f"big{index}"), "p": S("x" * 390_000)})
    gets = [get(hash_table, {"pk": S(f"big{index}")}) for index in range(11)]

    assert len(ddb.transact_get_items(TransactItems=gets[:10])["Responses"]) == 10
    assert error(ddb.transact_get_items, TransactItems=gets) == invalid(
        "Collection size of items exceeded, which can also be caused by the aggregate size of the items in the"
        " transaction exceeding the 4MB limit")


# --- authorization: each item as the action it performs, inside the transaction ------------------------


def test_a_policy_on_the_enclosing_operation_governs_the_actions_of_a_transaction(server, table):
    # Developer Guide, "Using IAM with DynamoDB transactions": each action is authorized as its item
    # action, with dynamodb:EnclosingOperation naming the transaction.
    user = new_user(server, policy(
        allow("dynamodb:*"),
        deny("dynamodb:PutItem", Condition={"StringEquals": {"dynamodb:EnclosingOperation": "TransactWriteItems"}}),
    ))
    client = client_for(server.endpoint, credentials=user.credentials)
    table_arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"

    assert error(client.transact_write_items, TransactItems=[update(table, key("u"), "SET a = :a",
                                                                    ExpressionAttributeValues={":a": S("a")}),
                                                             put(table, key("p"))]) == (
        "AccessDeniedException",
        f"User: {user.arn} is not authorized to perform: dynamodb:PutItem on resource: {table_arn} with an explicit"
        " deny in an identity-based policy", 400)
    assert stored(client, table, key("u")) is None

    client.put_item(TableName=table, Item=key("p"))  # outside a transaction, PutItem is allowed
    client.transact_write_items(TransactItems=[update(table, key("u"), "SET a = :a",
                                                      ExpressionAttributeValues={":a": S("a")})])
    assert stored(client, table, key("u")) == {**key("u"), "a": S("a")}


def test_a_read_transaction_needs_getitem_within_transactgetitems(server, table):
    user = new_user(server, policy(
        allow("dynamodb:GetItem", Condition={"StringEquals": {"dynamodb:EnclosingOperation": "TransactGetItems"}})))
    client = client_for(server.endpoint, credentials=user.credentials)

    assert client.transact_get_items(TransactItems=[get(table, key("a"))])["Responses"] == [{}]
    assert error(client.get_item, TableName=table, Key=key("a"))[0] == "AccessDeniedException"


# --- concurrency: two worker processes, many clients --------------------------------------------------


THREADS = 6
PER_THREAD = 25
# Snapshots the auditors take while transfers go on: reading every item from its own view instead of
# one snapshot shows a broken invariant in about one read in twenty here.
AUDITS = 200


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("transactions"), free_port(), workers=2).start()
    yield srv
    srv.stop()


def test_concurrent_transactional_increments_lose_no_update(two_workers):
    ddb = client_for(two_workers.endpoint)
    table = create_table(ddb, None)
    items = [{"pk": S("left")}, {"pk": S("right")}]

    def add(client, _index, _barrier):
        for _ in range(PER_THREAD):
            client.transact_write_items(TransactItems=[
                {"Update": {"TableName": table, "Key": item, "UpdateExpression": "ADD n :one",
                            "ExpressionAttributeValues": {":one": N("1")}}} for item in items])

    race(two_workers.endpoint, add, THREADS, timeout=120)

    for item in items:
        assert stored(ddb, table, item)["n"] == N(str(THREADS * PER_THREAD))


def test_transfers_keep_their_invariant_in_every_snapshot_a_reader_sees(two_workers):
    ddb = client_for(two_workers.endpoint)
    table = create_table(ddb, None)
    # Many accounts, so that a read of them all takes long enough for writes to land in its midst.
    accounts = [{"pk": S(f"account{i}")} for i in range(100)]
    total = 100 * len(accounts)
    put_items(ddb, table, [{**item, "balance": N(str(total // len(accounts)))} for item in accounts])
    writers_done = threading.Event()
    writing = [THREADS - 2]
    audits = [0]  # snapshots taken so far: the writers go on until there are enough
    lock = threading.Lock()

    def transfer(client, index):
        rng = random.Random(index)
        clients = connections(client)
        done = refused = 0
        while done < PER_THREAD or audits[0] < AUDITS:
            source, target = rng.sample(accounts, 2)
            amount = N(str(rng.randint(1, 40)))
            try:
                clients[done % len(clients)].transact_write_items(TransactItems=[
                    {"Update": {"TableName": table, "Key": source, "UpdateExpression": "SET balance = balance - :a",
                                "ConditionExpression": "balance >= :a", "ExpressionAttributeValues": {":a": amount}}},
                    {"Update": {"TableName": table, "Key": target, "UpdateExpression": "SET balance = balance + :a",
                                "ExpressionAttributeValues": {":a": amount}}},
                ])
                done += 1
            except ClientError as e:
                assert e.response["Error"]["Code"] == "TransactionCanceledException", e.response
                refused += 1
        return done, refused

    def audit(client, _index):
        clients = connections(client)
        sums = []
        while not writers_done.is_set():
            responses = clients[len(sums) % len(clients)].transact_get_items(TransactItems=[
                {"Get": {"TableName": table, "Key": item}} for item in accounts])["Responses"]
            balances = [int(response["Item"]["balance"]["N"]) for response in responses]
            assert min(balances) >= 0, balances
            sums.append(sum(balances))
            with lock:
                audits[0] += 1
        return sums

    def connections(client) -> list:
        # Several connections per thread, so that readers and writers are spread over both workers.
        return [client, *(client_for(two_workers.endpoint) for _ in range(3))]

    def work(client, index, _barrier):
        if index < 2:
            return audit(client, index)
        try:
            return transfer(client, index)
        finally:
            with lock:
                writing[0] -= 1
                if not writing[0]:
                    writers_done.set()

    results = race(two_workers.endpoint, work, THREADS, timeout=120)

    snapshots = [value for sums in results[:2] for value in sums]
    assert len(snapshots) >= AUDITS
    assert set(snapshots) == {total}
    final = [int(stored(ddb, table, item)["balance"]["N"]) for item in accounts]
    assert sum(final) == total

"""Single-item operations over the wire: PutItem, GetItem, UpdateItem and DeleteItem through boto3.

Ground truth: the DynamoDB API Reference (PutItem, GetItem, UpdateItem, DeleteItem) and the
Developer Guide. Exact messages come from test suites run against AWS: dynalite's test/*.js,
ScyllaDB Alternator's test/alternator/*.py and the dynamodb-conformance suite.
"""

from __future__ import annotations

import re

import pytest

from tests.helpers import INVALID, KEY_MISMATCH, N, S, body, error, failure, stored

CONDITION_FAILED = ("ConditionalCheckFailedException", "The conditional request failed", 400)
NOT_FOUND = ("ResourceNotFoundException", "Requested resource not found", 400)


KEY = {"pk": S("p"), "sk": S("s")}


# --- the happy paths ---------------------------------------------------------------------------


def test_put_item_answers_an_empty_body_and_get_item_returns_the_item_as_written(ddb, table):
    item = {**KEY, "name": S("Ada"), "age": N("36"), "tags": {"SS": ["a", "b"]}}
    assert body(ddb.put_item(TableName=table, Item=item)) == {}
    assert body(ddb.get_item(TableName=table, Key=KEY)) == {"Item": item}
    assert body(ddb.get_item(TableName=table, Key=KEY, ConsistentRead=True)) == {"Item": item}


def test_get_item_of_a_missing_item_answers_without_an_item_member(ddb, table):
    assert body(ddb.get_item(TableName=table, Key=KEY)) == {}


def test_put_item_replaces_every_attribute_of_the_item_it_overwrites(ddb, table):
    ddb.put_item(TableName=table, Item={**KEY, "a": S("1"), "b": S("2")})
    ddb.put_item(TableName=table, Item={**KEY, "c": S("3")})
    assert stored(ddb, table, KEY) == {**KEY, "c": S("3")}


def test_items_sharing_a_partition_key_with_different_sort_keys_are_distinct(ddb, table):
    for sort in ("a", "b", "c"):
        ddb.put_item(TableName=table, Item={"pk": S("p"), "sk": S(sort), "v": S(sort * 2)})
    ddb.delete_item(TableName=table, Key={"pk": S("p"), "sk": S("b")})
    assert stored(ddb, table, {"pk": S("p"), "sk": S("a")})["v"] == S("aa")
    assert stored(ddb, table, {"pk": S("p"), "sk": S("b")}) is None
    assert stored(ddb, table, {"pk": S("p"), "sk": S("c")})["v"] == S("cc")


def test_put_item_with_all_old_returns_the_item_it_replaced(ddb, table):
    ddb.put_item(TableName=table, Item={**KEY, "v": N("-0015.789e6")})
    reply = ddb.put_item(TableName=table, Item={**KEY, "v": S("new")}, ReturnValues="ALL_OLD")
    assert body(reply) == {"Attributes": {**KEY, "v": N("-15789000")}}


def test_put_item_with_all_old_returns_no_attributes_for_a_new_item(ddb, table):
    assert body(ddb.put_item(TableName=table, Item=KEY, ReturnValues="ALL_OLD")) == {}


def test_delete_item_removes_the_item_and_answers_an_empty_body(ddb, table):
    ddb.put_item(TableName=table, Item={**KEY, "v": S("x")})
    assert body(ddb.delete_item(TableName=table, Key=KEY)) == {}
    assert stored(ddb, table, KEY) is None


def test_delete_item_of_a_missing_item_succeeds(ddb, table):
    assert body(ddb.delete_item(TableName=table, Key=KEY, ReturnValues="ALL_OLD")) == {}


def test_delete_item_with_all_old_returns_the_deleted_item(ddb, table):
    ddb.put_item(TableName=table, Item={**KEY, "v": S("x")})
    assert body(ddb.delete_item(TableName=table, Key=KEY, ReturnValues="ALL_OLD")) == {
        "Attributes": {**KEY, "v": S("x")}
    }


def test_update_item_on_a_missing_item_creates_it_with_its_key(ddb, table):
    reply = ddb.update_item(TableName=table, Key=KEY, UpdateExpression="SET v = :v",
                            ExpressionAttributeValues={":v": S("x")})
    assert body(reply) == {}
    assert stored(ddb, table, KEY) == {**KEY, "v": S("x")}


def test_update_item_without_an_update_expression_creates_an_item_of_only_its_key(ddb, table):
    assert body(ddb.update_item(TableName=table, Key=KEY, ReturnValues="ALL_NEW")) == {"Attributes": KEY}
    assert stored(ddb, table, KEY) == KEY


@pytest.mark.parametrize(("expression", "values"), [
    ("REMOVE a", None),
    ("REMOVE a, b.c", None),
    ("DELETE s :s", {":s": {"SS": ["x"]}}),
])
def test_update_item_that_only_removes_does_not_create_a_missing_item(ddb, table, expression, values):
    # Alternator's test_update_item_non_existent and test_update_item_returnvalues_all_new (run on
    # AWS): an update that only deletes attributes leaves a missing item missing.
    params = {"ExpressionAttributeValues": values} if values else {}
    reply = ddb.update_item(TableName=table, Key=KEY, UpdateExpression=expression, ReturnValues="ALL_NEW",
                            **params)
    assert body(reply) == {}
    assert stored(ddb, table, KEY) is None


def test_single_item_operations_work_on_a_table_with_only_a_partition_key(ddb, hash_table):
    key = {"pk": S("only")}
    ddb.put_item(TableName=hash_table, Item={**key, "n": N("1")})
    ddb.update_item(TableName=hash_table, Key=key, UpdateExpression="SET n = n + :one",
                    ExpressionAttributeValues={":one": N("1")})
    assert body(ddb.get_item(TableName=hash_table, Key=key)) == {"Item": {**key, "n": N("2")}}
    assert body(ddb.delete_item(TableName=hash_table, Key=key, ReturnValues="ALL_OLD")) == {
        "Attributes": {**key, "n": N("2")}
    }
    assert stored(ddb, hash_table, key) is None


# --- key errors --------------------------------------------------------------------------------

KEYED = ["get_item", "delete_item", "update_item"]


@pytest.mark.parametrize("operation", KEYED)
@pytest.mark.parametrize("key", [
    pytest.param({"pk": S("p")}, id="sort-key-missing"),
    pytest.param({"sk": S("s")}, id="partition-key-missing"),
    pytest.param({"pk": S("p"), "sk": S("s"), "x": S("extra")}, id="extra-attribute"),
    pytest.param({"pk": S("p"), "other": S("s")}, id="wrong-attribute-name"),
    pytest.param({"pk": N("1"), "sk": S("s")}, id="partition-key-of-wrong-type"),
    pytest.param({"pk": S("p"), "sk": {"B": b"s"}}, id="sort-key-of-wrong-type"),
    pytest.param({"pk": S("p"), "sk": {"SS": ["s"]}}, id="sort-key-as-a-set"),
])
def test_a_key_that_does_not_match_the_schema_is_refused(ddb, table, operation, key):
    assert error(getattr(ddb, operation), TableName=table, Key=key) == ("ValidationException", KEY_MISMATCH, 400)


@pytest.mark.parametrize("operation", KEYED)
def test_a_sort_key_given_to_a_table_without_one_is_refused(ddb, hash_table, operation):
    assert error(getattr(ddb, operation), TableName=hash_table, Key={"pk": S("p"), "sk": S("s")}) == (
        "ValidationException", KEY_MISMATCH, 400)


@pytest.mark.parametrize("operation", KEYED)
@pytest.mark.parametrize("name", ["pk", "sk"])
def test_an_empty_string_key_value_is_refused(ddb, table, operation, name):
    key = {**KEY, name: S("")}
    assert error(getattr(ddb, operation), TableName=table, Key=key) == (
        "ValidationException",
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an"
        f" empty string value. Key: {name}",
        400,
    )


@pytest.mark.parametrize("name", ["pk", "sk"])
def test_put_item_of_an_item_with_an_empty_string_key_is_refused(ddb, table, name):
    item = {**KEY, name: S(""), "v": S("x")}
    assert error(ddb.put_item, TableName=table, Item=item)[1] == (
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an"
        f" empty string value. Key: {name}"
    )


@pytest.mark.parametrize(("item", "message"), [
    ({"sk": S("s"), "v": S("x")}, INVALID + "Missing the key pk in the item"),
    ({"pk": S("p"), "v": S("x")}, INVALID + "Missing the key sk in the item"),
    ({"v": S("x")}, INVALID + "Missing the key pk in the item"),
    ({"pk": N("1"), "sk": S("s")}, INVALID + "Type mismatch for key pk expected: S actual: N"),
    ({"pk": S("p"), "sk": {"B": b"s"}}, INVALID + "Type mismatch for key sk expected: S actual: B"),
    ({"pk": {"SS": ["p"]}, "sk": S("s")}, INVALID + "Type mismatch for key pk expected: S actual: SS"),
])
def test_put_item_of_an_item_without_its_key_is_refused(ddb, table, item, message):
    # dynalite test/putItem.js ("Missing the key a in the item", "Type mismatch for key a ...").
    assert error(ddb.put_item, TableName=table, Item=item) == ("ValidationException", message, 400)
    assert ddb.scan(TableName=table)["Count"] == 0


HASH_TOO_BIG = INVALID + "Size of hashkey has exceeded the maximum size limit of2048 bytes"  # sic: "of2048"
RANGE_TOO_BIG = INVALID + "Aggregated size of all range keys has exceeded the size limit of 1024 bytes"


@pytest.mark.parametrize(("partition", "sort", "message"), [
    ("a" * 2048, "s", None),
    ("é" * 1024, "s", None),  # 2048 UTF-8 bytes
    ("p", "b" * 1024, None),
    ("p", "é" * 512, None),
    ("a" * 2049, "s", HASH_TOO_BIG),
    ("é" * 1024 + "a", "s", HASH_TOO_BIG),  # 1025 characters, 2049 bytes
    ("p", "b" * 1025, RANGE_TOO_BIG),
    ("p", "é" * 512 + "b", RANGE_TOO_BIG),
])
def test_key_values_are_limited_to_2048_and_1024_bytes_of_utf8(ddb, table, partition, sort, message):
    # Developer Guide, "Quotas" (attributes): partition key 2048 bytes, sort key 1024 bytes.
    key = {"pk": S(partition), "sk": S(sort)}
    if message is None:
        ddb.put_item(TableName=table, Item=key)
        assert stored(ddb, table, key) == key
        return
    assert error(ddb.put_item, TableName=table, Item=key) == ("ValidationException", message, 400)
    for operation in KEYED:
        assert error(getattr(ddb, operation), TableName=table, Key=key) == ("ValidationException", message, 400)


# --- item size ---------------------------------------------------------------------------------
# Developer Guide, "Item sizes and formats": an item's size is the UTF-8 length of its attribute
# names plus the sizes of its values (a string: its UTF-8 length); the maximum is 400 KB.

MAX_ITEM = 400 * 1024


def filler(hash_key: str, total: int) -> dict:
    """An item {pk, v} of exactly ``total`` bytes."""
    return {"pk": S(hash_key), "v": S("x" * (total - len("pk") - len(hash_key) - len("v")))}


def test_an_item_of_exactly_400_kb_is_stored(ddb, hash_table):
    item = filler("k", MAX_ITEM)
    ddb.put_item(TableName=hash_table, Item=item)
    assert stored(ddb, hash_table, {"pk": S("k")}) == item


def test_an_item_one_byte_over_400_kb_is_refused(ddb, hash_table):
    assert error(ddb.put_item, TableName=hash_table, Item=filler("k", MAX_ITEM + 1)) == (
        "ValidationException", "Item size has exceeded the maximum allowed size", 400)
    assert stored(ddb, hash_table, {"pk": S("k")}) is None


def test_the_item_size_is_checked_before_the_table_is_looked_up(ddb):
    # dynalite test/putItem.js: "item is too big" is a ValidationException against a table that does
    # not exist, while an item just small enough gets ResourceNotFoundException.
    assert error(ddb.put_item, TableName="no-such-table-x", Item=filler("k", MAX_ITEM + 1)) == (
        "ValidationException", "Item size has exceeded the maximum allowed size", 400)
    assert error(ddb.put_item, TableName="no-such-table-x", Item=filler("k", MAX_ITEM)) == NOT_FOUND


def test_update_item_may_grow_an_item_to_exactly_400_kb(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=filler("k", MAX_ITEM - 6))
    ddb.update_item(TableName=hash_table, Key={"pk": S("k")}, UpdateExpression="SET w = :w",
                    ExpressionAttributeValues={":w": S("12345")})  # 1 + 5 bytes
    assert stored(ddb, hash_table, {"pk": S("k")})["w"] == S("12345")


def test_update_item_that_would_grow_an_item_past_400_kb_is_refused_and_changes_nothing(ddb, hash_table):
    item = filler("k", MAX_ITEM - 6)
    ddb.put_item(TableName=hash_table, Item=item)
    assert error(ddb.update_item, TableName=hash_table, Key={"pk": S("k")}, UpdateExpression="SET w = :w",
                 ExpressionAttributeValues={":w": S("123456")}) == (
        "ValidationException", "Item size to update has exceeded the maximum allowed size", 400)
    assert stored(ddb, hash_table, {"pk": S("k")}) == item


def test_update_item_creating_an_item_over_400_kb_is_refused(ddb, hash_table):
    assert error(ddb.update_item, TableName=hash_table, Key={"pk": S("k")}, UpdateExpression="SET v = :v",
                 ExpressionAttributeValues={":v": S("x" * MAX_ITEM)})[1] == (
        "Item size to update has exceeded the maximum allowed size")
    assert stored(ddb, hash_table, {"pk": S("k")}) is None


# --- ReturnValues ------------------------------------------------------------------------------


@pytest.mark.parametrize("returning", ["UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"])
def test_put_item_refuses_return_values_other_than_none_and_all_old(ddb, table, returning):
    assert error(ddb.put_item, TableName=table, Item=KEY, ReturnValues=returning) == (
        "ValidationException", "Return values set to invalid value", 400)
    assert stored(ddb, table, KEY) is None


@pytest.mark.parametrize("returning", ["UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"])
def test_delete_item_refuses_return_values_other_than_none_and_all_old(ddb, table, returning):
    ddb.put_item(TableName=table, Item=KEY)
    assert error(ddb.delete_item, TableName=table, Key=KEY, ReturnValues=returning) == (
        "ValidationException", "Return values set to invalid value", 400)
    assert stored(ddb, table, KEY) == KEY


BEFORE = {**KEY, "a": S("hi"), "b": S("dog"), "d": S("gone")}
UPDATE = "SET b = :b, c = :c REMOVE d"
UPDATE_VALUES = {":b": S("cat"), ":c": S("new")}


@pytest.mark.parametrize(("returning", "attributes"), [
    ("NONE", None),
    ("ALL_OLD", BEFORE),
    # Only the attributes the update wrote, as they were: c did not exist, d did.
    ("UPDATED_OLD", {"b": S("dog"), "d": S("gone")}),
    ("ALL_NEW", {**KEY, "a": S("hi"), "b": S("cat"), "c": S("new")}),
    # Only the attributes the update wrote, as they are now: the removed d is not among them.
    ("UPDATED_NEW", {"b": S("cat"), "c": S("new")}),
])
def test_update_item_returns_values_as_dynamodb_does(ddb, table, returning, attributes):
    # Alternator test_returnvalues.py (run on AWS): test_update_item_returnvalues_*.
    ddb.put_item(TableName=table, Item=BEFORE)
    reply = ddb.update_item(TableName=table, Key=KEY, UpdateExpression=UPDATE,
                            ExpressionAttributeValues=UPDATE_VALUES, ReturnValues=returning)
    assert body(reply) == ({} if attributes is None else {"Attributes": attributes})


@pytest.mark.parametrize(("returning", "attributes"), [
    ("NONE", None),
    ("ALL_OLD", None),
    ("UPDATED_OLD", None),
    ("ALL_NEW", {**KEY, "c": S("new")}),
    ("UPDATED_NEW", {"c": S("new")}),  # the key attributes are not "updated"
])
def test_update_item_creating_an_item_returns_values_as_dynamodb_does(ddb, table, returning, attributes):
    reply = ddb.update_item(TableName=table, Key=KEY, UpdateExpression="SET c = :c",
                            ExpressionAttributeValues={":c": S("new")}, ReturnValues=returning)
    assert body(reply) == ({} if attributes is None else {"Attributes": attributes})


def test_updated_old_and_updated_new_return_only_the_nested_paths_written(ddb, hash_table):
    # Alternator test_update_item_returnvalues_nested (run on AWS).
    key = {"pk": S("n")}
    ddb.put_item(TableName=hash_table, Item={
        **key, "a": {"M": {"b": S("dog"), "c": {"L": [N("1"), N("2"), N("3")]}}}, "d": S("cat")})

    def update(expression: str, returning: str, values: dict | None = None) -> dict:
        params = {"ExpressionAttributeValues": values} if values else {}
        return body(ddb.update_item(TableName=hash_table, Key=key, UpdateExpression=expression,
                                    ReturnValues=returning, **params))

    assert update("SET a.b = :v", "UPDATED_OLD", {":v": S("yo")}) == {"Attributes": {"a": {"M": {"b": S("dog")}}}}
    assert update("SET a.c[1] = :v", "UPDATED_OLD", {":v": N("7")}) == {
        "Attributes": {"a": {"M": {"c": {"L": [N("2")]}}}}}
    assert update("SET a.c[1] = :v, a.b = :w", "UPDATED_NEW", {":v": N("8"), ":w": S("hey")}) == {
        "Attributes": {"a": {"M": {"b": S("hey"), "c": {"L": [N("8")]}}}}}
    # A REMOVE past the end of the list did nothing, so only a.c[1] was updated.
    assert update("REMOVE a.c[1], a.c[3]", "UPDATED_OLD") == {"Attributes": {"a": {"M": {"c": {"L": [N("8")]}}}}}
    assert update("SET a.x = :v", "UPDATED_OLD", {":v": N("1")}) == {}
    assert update("SET a.y = :v", "UPDATED_NEW", {":v": N("2")}) == {"Attributes": {"a": {"M": {"y": N("2")}}}}


# --- conditional writes ------------------------------------------------------------------------


def test_put_if_absent_stores_the_first_item_and_refuses_the_second(ddb, table):
    put = {"TableName": table, "ConditionExpression": "attribute_not_exists(pk)"}
    ddb.put_item(Item={**KEY, "v": S("first")}, **put)
    assert error(ddb.put_item, Item={**KEY, "v": S("second")}, **put) == CONDITION_FAILED
    assert stored(ddb, table, KEY) == {**KEY, "v": S("first")}


@pytest.mark.parametrize("operation", ["put_item", "update_item", "delete_item"])
def test_attribute_exists_on_a_missing_item_fails_and_writes_nothing(ddb, table, operation):
    params = {"ConditionExpression": "attribute_exists(pk)"}
    if operation == "put_item":
        params["Item"] = {**KEY, "v": S("x")}
    else:
        params["Key"] = KEY
    if operation == "update_item":
        params.update(UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": S("x")})
    assert error(getattr(ddb, operation), TableName=table, **params) == CONDITION_FAILED
    assert stored(ddb, table, KEY) is None


ITEM = {**KEY, "n": N("10"), "s": S("hello world"), "ss": {"SS": ["a", "b"]}, "l": {"L": [N("1"), S("two")]},
        "m": {"M": {"qty": N("5"), "flag": {"BOOL": True}}}, "z": {"NULL": True}}
CONDITION_VALUES = {":5": N("5"), ":10": N("10"), ":20": N("20"), ":hello": S("hello"), ":a": S("a"),
                    ":x": S("x"), ":two": S("two"), ":S": S("S"), ":SS": S("SS"), ":NULL": S("NULL")}


@pytest.mark.parametrize(("condition", "holds"), [
    ("n = :10", True), ("n <> :10", False), ("n < :20", True), ("n <= :5", False), ("n > :5", True),
    ("n >= :20", False), ("n BETWEEN :5 AND :10", True), ("n BETWEEN :5 AND :5", False),
    ("n IN (:5, :10)", True), ("n IN (:5, :20)", False), ("n = :hello", False),
    ("attribute_exists(s)", True), ("attribute_not_exists(s)", False), ("attribute_not_exists(nope)", True),
    ("attribute_exists(m.qty)", True), ("attribute_exists(m.nope)", False), ("attribute_exists(l[1])", True),
    ("attribute_exists(l[2])", False), ("l[1] = :two", True), ("m.qty < n", True),
    ("attribute_type(s, :S)", True), ("attribute_type(ss, :SS)", True), ("attribute_type(z, :NULL)", True),
    ("attribute_type(n, :S)", False), ("begins_with(s, :hello)", True), ("begins_with(s, :x)", False),
    ("contains(s, :hello)", True), ("contains(ss, :a)", True), ("contains(ss, :x)", False),
    ("contains(l, :two)", True), ("size(s) = :10", False), ("size(ss) < :5", True), ("size(m) > :5", False),
    ("NOT n = :5", True), ("n = :5 OR s = :hello", False), ("n = :10 AND attribute_exists(z)", True),
    ("(n = :5 OR n = :10) AND NOT contains(ss, :x)", True),
    # A missing attribute is unequal to everything, even another missing one, and compares as false
    # with every other operator (Alternator test_update_condition_ne*, _comparison_two_unset).
    ("nope = :x", False), ("nope <> :x", True), ("nope <> absent", True), ("nope < :x", False),
    ("nope >= :x", False), ("nope BETWEEN :5 AND :10", False), ("n < :hello", False),
])
def test_condition_expressions_decide_whether_a_write_happens(ddb, table, condition, holds):
    ddb.put_item(TableName=table, Item=ITEM)
    used = {name: CONDITION_VALUES[name] for name in re.findall(r":\w+", condition)}
    params = {"TableName": table, "Key": KEY, "UpdateExpression": "SET written = :yes",
              "ConditionExpression": condition, "ExpressionAttributeValues": {**used, ":yes": {"BOOL": True}}}
    if holds:
        ddb.update_item(**params)
        assert stored(ddb, table, KEY)["written"] == {"BOOL": True}
    else:
        assert error(ddb.update_item, **params) == CONDITION_FAILED
        assert stored(ddb, table, KEY) == ITEM


def conditional_write(operation: str, table: str, **extra) -> dict:
    params = {"TableName": table, "ConditionExpression": "v = :expected",
              "ExpressionAttributeValues": {":expected": S("other")}, **extra}
    if operation == "put_item":
        params["Item"] = {**KEY, "v": S("replacement")}
    else:
        params["Key"] = KEY
    if operation == "update_item":
        params["UpdateExpression"] = "SET v = :new"
        params["ExpressionAttributeValues"][":new"] = S("updated")
    return params


@pytest.mark.parametrize("operation", ["put_item", "update_item", "delete_item"])
def test_a_failed_condition_returns_the_item_when_asked_for_all_old(ddb, table, operation):
    # API Reference, ReturnValuesOnConditionCheckFailure; Alternator test_returnvalues.py.
    ddb.put_item(TableName=table, Item={**KEY, "v": S("current")})
    response = failure(getattr(ddb, operation),
                       **conditional_write(operation, table, ReturnValuesOnConditionCheckFailure="ALL_OLD"))
    assert (response["Error"]["Code"], response["Error"]["Message"]) == CONDITION_FAILED[:2]
    assert response["Item"] == {**KEY, "v": S("current")}
    assert stored(ddb, table, KEY) == {**KEY, "v": S("current")}


@pytest.mark.parametrize("operation", ["put_item", "update_item", "delete_item"])
@pytest.mark.parametrize("extra", [{}, {"ReturnValuesOnConditionCheckFailure": "NONE"}])
def test_a_failed_condition_returns_no_item_unless_asked(ddb, table, operation, extra):
    ddb.put_item(TableName=table, Item={**KEY, "v": S("current")})
    response = failure(getattr(ddb, operation), **conditional_write(operation, table, **extra))
    assert response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert "Item" not in response
    assert stored(ddb, table, KEY) == {**KEY, "v": S("current")}


@pytest.mark.parametrize("operation", ["put_item", "update_item", "delete_item"])
def test_a_failed_condition_on_a_missing_item_returns_no_item_even_when_asked(ddb, table, operation):
    response = failure(getattr(ddb, operation),
                       **conditional_write(operation, table, ReturnValuesOnConditionCheckFailure="ALL_OLD"))
    assert response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert "Item" not in response
    assert stored(ddb, table, KEY) is None


@pytest.mark.parametrize("operation", ["put_item", "update_item", "delete_item"])
def test_a_condition_that_holds_lets_the_write_happen_and_returns_nothing_extra(ddb, table, operation):
    ddb.put_item(TableName=table, Item={**KEY, "v": S("other")})
    reply = getattr(ddb, operation)(**conditional_write(operation, table, ReturnValuesOnConditionCheckFailure="ALL_OLD"))
    assert body(reply) == {}
    expected = {"put_item": {**KEY, "v": S("replacement")}, "update_item": {**KEY, "v": S("updated")},
                "delete_item": None}[operation]
    assert stored(ddb, table, KEY) == expected


def test_a_condition_can_stop_update_item_from_creating_an_item(ddb, table):
    assert error(ddb.update_item, TableName=table, Key=KEY, UpdateExpression="SET v = v + :one",
                 ConditionExpression="attribute_exists(v)", ExpressionAttributeValues={":one": N("1")}) == (
        CONDITION_FAILED)
    assert stored(ddb, table, KEY) is None


# --- consumed capacity -------------------------------------------------------------------------
# Developer Guide, "DynamoDB read and write operations" (read-write-operations.html): a strongly
# consistent read costs one unit per 4 KB of the item (rounded up), an eventually consistent one
# half that; a write costs one unit per 1 KB, of the larger of the item before and after it, and a
# DeleteItem is charged for the item it deletes. Shape: dynalite test/*.js and the
# dynamodb-conformance suite's issue #69, characterised against real DynamoDB in 2026 — single-item
# operations report only TableName and CapacityUnits (and Table.CapacityUnits under INDEXES),
# without a ReadCapacityUnits/WriteCapacityUnits split.


def consumed(ddb, operation: str, mode: str, **params) -> dict | None:
    return getattr(ddb, operation)(ReturnConsumedCapacity=mode, **params).get("ConsumedCapacity")


def capacity(table: str, units: float, mode: str = "TOTAL") -> dict:
    shape = {"TableName": table, "CapacityUnits": units}
    if mode == "INDEXES":
        shape["Table"] = {"CapacityUnits": units}
    return shape


@pytest.mark.parametrize("mode", ["TOTAL", "INDEXES"])
@pytest.mark.parametrize(("operation", "units"), [
    ("get_item", 0.5), ("put_item", 1.0), ("update_item", 1.0), ("delete_item", 1.0),
])
def test_each_operation_reports_its_consumed_capacity_in_dynamodbs_shape(ddb, hash_table, mode, operation,
                                                                        units):
    key = {"pk": S("c")}
    ddb.put_item(TableName=hash_table, Item={**key, "v": S("small")})
    params = {"TableName": hash_table}
    if operation == "put_item":
        params["Item"] = {**key, "v": S("other")}
    else:
        params["Key"] = key
    if operation == "update_item":
        params.update(UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": S("x")})
    assert consumed(ddb, operation, mode, **params) == capacity(hash_table, units, mode)


@pytest.mark.parametrize("mode", ["NONE", None])
@pytest.mark.parametrize("operation", ["get_item", "put_item", "update_item", "delete_item"])
def test_no_consumed_capacity_is_reported_unless_asked(ddb, hash_table, mode, operation):
    params = {"TableName": hash_table}
    if operation == "put_item":
        params["Item"] = {"pk": S("c")}
    else:
        params["Key"] = {"pk": S("c")}
    if mode is not None:
        params["ReturnConsumedCapacity"] = mode
    assert "ConsumedCapacity" not in getattr(ddb, operation)(**params)


@pytest.mark.parametrize(("size", "consistent", "units"), [
    (None, False, 0.5), (None, True, 1.0),  # a missing item costs as a small one
    (100, False, 0.5), (100, True, 1.0),
    (4096, True, 1.0), (4097, True, 2.0), (4097, False, 1.0),
    (5 * 1024, True, 2.0), (5 * 1024, False, 1.0),
    (8192, True, 2.0), (8193, True, 3.0), (8193, False, 1.5),
])
def test_get_item_costs_one_unit_per_4_kb_read_strongly_and_half_that_eventually(ddb, hash_table, size,
                                                                                consistent, units):
    if size is not None:
        ddb.put_item(TableName=hash_table, Item=filler("k", size))
    assert consumed(ddb, "get_item", "TOTAL", TableName=hash_table, Key={"pk": S("k")},
                    ConsistentRead=consistent) == capacity(hash_table, units)


def test_get_item_with_a_projection_costs_as_much_as_reading_the_whole_item(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=filler("k", 9000))
    assert consumed(ddb, "get_item", "TOTAL", TableName=hash_table, Key={"pk": S("k")}, ConsistentRead=True,
                    ProjectionExpression="pk") == capacity(hash_table, 3.0)


@pytest.mark.parametrize(("size", "units"), [(10, 1.0), (1024, 1.0), (1025, 2.0), (1536, 2.0), (5000, 5.0)])
def test_put_item_costs_one_unit_per_1_kb_written(ddb, hash_table, size, units):
    assert consumed(ddb, "put_item", "TOTAL", TableName=hash_table, Item=filler("k", size)) == (
        capacity(hash_table, units))


def test_put_item_over_a_larger_item_costs_the_size_of_the_item_it_replaces(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=filler("k", 5000))
    assert consumed(ddb, "put_item", "TOTAL", TableName=hash_table, Item={"pk": S("k")}) == (
        capacity(hash_table, 5.0))


def test_update_item_costs_the_larger_of_the_item_before_and_after(ddb, hash_table):
    key = {"pk": S("k")}
    ddb.put_item(TableName=hash_table, Item=filler("k", 3000))
    assert consumed(ddb, "update_item", "TOTAL", TableName=hash_table, Key=key,
                    UpdateExpression="REMOVE v") == capacity(hash_table, 3.0)
    assert consumed(ddb, "update_item", "TOTAL", TableName=hash_table, Key=key, UpdateExpression="SET w = :w",
                    ExpressionAttributeValues={":w": S("x" * 4000)}) == capacity(hash_table, 4.0)


def test_delete_item_costs_the_size_of_the_item_it_deletes(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=filler("k", 2100))
    assert consumed(ddb, "delete_item", "INDEXES", TableName=hash_table, Key={"pk": S("k")}) == (
        capacity(hash_table, 3.0, "INDEXES"))
    assert consumed(ddb, "delete_item", "INDEXES", TableName=hash_table, Key={"pk": S("k")}) == (
        capacity(hash_table, 1.0, "INDEXES"))


# --- a table that does not exist ---------------------------------------------------------------


@pytest.mark.parametrize(("operation", "params"), [
    ("put_item", {"Item": {"pk": S("p")}}),
    ("get_item", {"Key": {"pk": S("p")}}),
    ("get_item", {"Key": {"pk": S("p")}, "ConsistentRead": True, "ProjectionExpression": "a"}),
    ("update_item", {"Key": {"pk": S("p")}, "UpdateExpression": "SET a = :a",
                     "ExpressionAttributeValues": {":a": S("x")}}),
    ("delete_item", {"Key": {"pk": S("p")}}),
    ("delete_item", {"Key": {"pk": S("p")}, "ConditionExpression": "attribute_exists(pk)"}),
])
def test_item_operations_on_a_missing_table_answer_resource_not_found(ddb, table_name, operation, params):
    assert error(getattr(ddb, operation), TableName=table_name, **params) == NOT_FOUND

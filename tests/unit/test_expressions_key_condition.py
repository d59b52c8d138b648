"""KeyConditionExpression: the partition key's equality and at most one sort-key condition.

Messages from dynalite's query tests and the dynamodb-conformance suite's key-condition captures
(both AWS); the shape rules from the API Reference (Query, KeyConditionExpression).
"""

from __future__ import annotations

import pytest

from moatdb.errors import ValidationException
from moatdb.services.dynamodb.expressions import (
    ExpressionContext,
    KeyCondition,
    parse_key_condition,
    parse_key_condition_expression,
)

INVALID = "Invalid KeyConditionExpression: "
CONDITION = "Invalid condition in KeyConditionExpression: "
VALUES = {":p": {"S": "q"}, ":a": {"N": "1"}, ":b": {"N": "5"}, ":s": {"S": "pre"}}


def key_condition(text: str, sort_key: str | None = "sk", names: dict | None = None,
                  key_types: dict | None = None) -> KeyCondition:
    values = {key: value for key, value in VALUES.items() if key in text}
    return parse_key_condition(text, ExpressionContext(names, values or None), "pk", sort_key, key_types)


def error(text: str, sort_key: str | None = "sk", key_types: dict | None = None) -> str:
    with pytest.raises(ValidationException) as raised:
        key_condition(text, sort_key, key_types=key_types)
    return raised.value.message


@pytest.mark.parametrize(("text", "operator", "values"), [
    ("pk = :p", None, ()),
    (" pk  =   :p ", None, ()),
    ("pk = :p AND sk = :a", "=", ({"N": "1"},)),
    ("pk = :p AND sk < :a", "<", ({"N": "1"},)),
    ("pk = :p AND sk <= :a", "<=", ({"N": "1"},)),
    ("pk = :p AND sk > :a", ">", ({"N": "1"},)),
    ("pk = :p AND sk >= :a", ">=", ({"N": "1"},)),
    ("pk = :p AND sk BETWEEN :a AND :b", "BETWEEN", ({"N": "1"}, {"N": "5"})),
    ("pk = :p AnD sk BeTwEeN :a aNd :b", "BETWEEN", ({"N": "1"}, {"N": "5"})),
    ("pk = :p AND begins_with(sk, :s)", "begins_with", ({"S": "pre"},)),
    ("sk = :a AND pk = :p", "=", ({"N": "1"},)),
    (":p = pk AND :a < sk", ">", ({"N": "1"},)),  # a value first reverses the comparison
    ("((sk = :a) AND (pk = :p))", "=", ({"N": "1"},)),  # one extra pair of parentheses is allowed
])
def test_a_key_condition_yields_the_partition_value_and_the_sort_condition(text, operator, values):
    condition = key_condition(text)
    assert (condition.partition_key, condition.partition_value) == ("pk", {"S": "q"})
    assert (condition.sort_key, condition.sort_operator, condition.sort_values) == ("sk", operator, values)


def test_placeholders_may_name_the_keys():
    condition = key_condition("#p = :p AND #s > :a", names={"#p": "pk", "#s": "sk"})
    assert condition.sort_operator == ">"


@pytest.mark.parametrize(("text", "message"), [
    ("pk = :p OR sk = :a", "Invalid operator used in KeyConditionExpression: OR"),
    ("NOT sk = :a AND pk = :p", "Invalid operator used in KeyConditionExpression: NOT"),
    ("pk = :p AND sk IN (:a)", "Invalid operator used in KeyConditionExpression: IN"),
    ("pk = :p AND sk <> :a", "Invalid operator used in KeyConditionExpression: <>"),
    ("attribute_exists(pk)", "Invalid operator used in KeyConditionExpression: attribute_exists"),
    ("contains(pk, :p)", "Invalid operator used in KeyConditionExpression: contains"),
    (":a BETWEEN sk AND pk", f"{CONDITION}BETWEEN operator must have the key attribute as its first operand"),
    ("begins_with(:s, sk)",
     f"{CONDITION}begins_with operator must have the key attribute as its first operand"),
    ("pk = sk", f"{CONDITION}Multiple attribute names used in one condition"),
    (":p = :a", f"{CONDITION}No key attribute specified"),
    ("pk = :p AND size(sk) > :a", f"{INVALID}KeyConditionExpressions cannot contain nested operations"),
    ("pk = :p AND sk.x = :a",
     f"{INVALID}KeyConditionExpressions cannot have conditions on nested attributes"),
    ("pk[0] = :p", f"{INVALID}KeyConditionExpressions cannot have conditions on nested attributes"),
    ("pk = :p AND sk > :a AND sk < :b",
     f"{INVALID}KeyConditionExpressions must only contain one condition per key"),
    ("pk = :p AND pk = :p", f"{INVALID}KeyConditionExpressions must only contain one condition per key"),
    ("pk = :p AND begins_with(sk, :a)", f"{INVALID}Incorrect operand type for operator or function; "
                                        "operator or function: begins_with, operand type: N"),
    ("hash = :p", f"{INVALID}Attribute name is a reserved keyword; reserved keyword: hash"),
    ("pk = :p AND sk BETWEEN :b AND :a",
     f"{INVALID}The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
     "lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}"),
])
def test_a_key_condition_of_the_wrong_shape_is_refused_before_the_schema_is_known(text, message):
    values = {key: value for key, value in VALUES.items() if key in text}
    with pytest.raises(ValidationException) as raised:
        parse_key_condition_expression(text, ExpressionContext(None, values or None))
    assert raised.value.message == message


@pytest.mark.parametrize(("text", "sort_key", "message"), [
    ("sk = :a", "sk", "Query condition missed key schema element: pk"),
    ("extra = :p", None, "Query condition missed key schema element: pk"),
    ("pk = :p AND extra = :a", "sk", "Query condition missed key schema element: sk"),
    ("pk < :p", "sk", "Query key condition not supported"),
    ("begins_with(pk, :s)", None, "Query key condition not supported"),
    ("pk = :p AND extra = :a", None, "Query key condition not supported"),
    ("pk = :p AND sk > :a AND extra = :b", "sk",
     "The number of query conditions (3) exceeds the number of key attributes defined in the schema (2)"),
])
def test_a_key_condition_must_fit_the_key_schema(text, sort_key, message):
    assert error(text, sort_key) == message


@pytest.mark.parametrize("text", ["pk = :a", "pk = :p AND sk = :s", "pk = :p AND begins_with(sk, :s)",
                                  "pk = :p AND sk BETWEEN :s AND :s"])
def test_operands_must_have_the_key_attributes_types_when_they_are_given(text):
    # Conformance suite: "begins_with on a number sort key with a string operand fails the schema check".
    assert error(text, key_types={"pk": "S", "sk": "N"}) == \
        "One or more parameter values were invalid: Condition parameter type does not match schema type"


def test_operands_of_the_key_attributes_types_are_accepted():
    condition = key_condition("pk = :p AND sk BETWEEN :a AND :b", key_types={"pk": "S", "sk": "N"})
    assert condition.sort_values == ({"N": "1"}, {"N": "5"})


def test_the_first_stage_reports_each_condition_for_the_second():
    context = ExpressionContext(None, {key: VALUES[key] for key in (":p", ":a")})
    parsed = parse_key_condition_expression("pk = :p AND :a >= sk", context)
    assert parsed.conditions == {"pk": ("=", ({"S": "q"},)), "sk": ("<=", ({"N": "1"},))}

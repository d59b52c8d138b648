"""ExpressionAttributeNames and ExpressionAttributeValues: checked before any expression, and refused
when an expression leaves one unused (API Reference; dynalite's and moto's tests against AWS)."""

from __future__ import annotations

import pytest

from moatdb.errors import ValidationException
from moatdb.services.dynamodb.expressions import (
    ExpressionContext,
    parse_condition,
    parse_projection,
    parse_update,
)


def context_error(names, values) -> str:
    with pytest.raises(ValidationException) as raised:
        ExpressionContext(names, values)
    return raised.value.message


@pytest.mark.parametrize(("names", "values", "message"), [
    ({}, None, "ExpressionAttributeNames must not be empty"),
    ({"a": "a"}, None, 'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"'),
    ({"#a-b": "a"}, None, 'ExpressionAttributeNames contains invalid key: Syntax error; key: "#a-b"'),
    (None, {}, "ExpressionAttributeValues must not be empty"),
    (None, {"a": {"S": "b"}}, 'ExpressionAttributeValues contains invalid key: Syntax error; key: "a"'),
    (None, {":b": {"SS": []}}, "ExpressionAttributeValues contains invalid value: One or more parameter "
                               "values were invalid: An string set  may not be empty for key :b"),
    (None, {":b": {"S": "a", "N": "1"}},
     "ExpressionAttributeValues contains invalid value: Supplied AttributeValue has more than one "
     "datatypes set, must contain exactly one of the supported datatypes for key :b"),
])
def test_malformed_names_and_values_are_refused_before_any_expression(names, values, message):
    assert context_error(names, values) == message


def test_values_are_kept_normalized():
    assert ExpressionContext(None, {":n": {"N": "1.50"}}).values == {":n": {"N": "1.5"}}


def test_placeholders_used_by_any_expression_of_the_request_count_as_used():
    context = ExpressionContext({"#a": "a", "#b": "b"}, {":a": {"S": "x"}, ":b": {"S": "y"}})
    parse_update("SET #a = :a", context)
    parse_condition("#b = :b", context)
    context.check_unused()


def test_a_placeholder_in_a_branch_evaluation_may_skip_still_counts_as_used():
    # Alternator's test_update_condition_unused_entries_short_circuit.
    context = ExpressionContext({"#a": "a", "#b": "b"}, {":a": {"N": "1"}, ":b": {"N": "2"}})
    condition = parse_condition("#a = :a OR #b = :b", context)
    assert condition.evaluate({"a": {"N": "1"}})
    context.check_unused()


@pytest.mark.parametrize(("names", "values", "message"), [
    ({"#a": "a", "#unused": "x", "#b": "b"}, None,
     "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused, #b}"),
    (None, {":v": {"S": "x"}, ":unused": {"S": "y"}},
     "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}"),
    ({"#a": "a", "#b": "b"}, {":c": {"S": "y"}},
     "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}"),  # names first
])
def test_unused_placeholders_are_refused_listed_in_request_order(names, values, message):
    context = ExpressionContext(names, values)
    parse_projection("#a" if names else "a", context)
    if values and ":v" in values:
        parse_condition("a = :v", context)
    with pytest.raises(ValidationException) as raised:
        context.check_unused()
    assert raised.value.message == message

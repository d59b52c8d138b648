"""legacy.py on its own: the translated objects behave as the expression objects they stand for.

The wire behaviour (messages, conditional writes, reads) is pinned in
tests/server/test_legacy_parameters.py; these pin what only shows here: the interfaces the
operations rely on, and that nothing mutates the item it is given.
"""

from __future__ import annotations

import pytest

from moatdb.errors import ValidationException
from moatdb.services.dynamodb import legacy


def test_a_condition_reads_the_attributes_it_names_and_no_nested_ones():
    condition = legacy.condition({"a": {"ComparisonOperator": "NOT_NULL"},
                                  "b": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1.0"}]}},
                                 None)
    assert condition.attributes == {"a", "b"} and condition.nested_attributes == frozenset()
    # Values are normalized as stored items are: 1.0 is the stored 1.
    assert condition.evaluate({"a": {"S": "x"}, "b": {"N": "1"}})
    assert not condition.evaluate(None)


def test_an_empty_condition_map_is_no_condition():
    assert legacy.condition({}, None) is None
    assert legacy.condition({}, None, expected=True) is None


def test_expected_exists_false_holds_for_a_missing_item():
    assert legacy.condition({"a": {"Exists": False}}, None, expected=True).evaluate(None)


def test_conditional_operator_or_joins_the_conditions():
    conditions = {"a": {"Value": {"S": "1"}}, "b": {"Value": {"S": "2"}}}
    assert legacy.condition(conditions, "OR", expected=True).evaluate({"b": {"S": "2"}})
    assert not legacy.condition(conditions, "AND", expected=True).evaluate({"b": {"S": "2"}})


def test_attributes_to_get_names_are_attribute_names_not_paths():
    projection = legacy.projection(["a.b", "c[0]"])
    item = {"a.b": {"S": "x"}, "a": {"M": {"b": {"S": "y"}}}, "c[0]": {"N": "1"}}
    assert projection.apply(item) == {"a.b": {"S": "x"}, "c[0]": {"N": "1"}}
    assert projection.attributes == {"a.b", "c[0]"} and projection.nested_attributes == frozenset()


def test_attribute_updates_never_change_the_item_they_are_given():
    item = {"pk": {"S": "p"}, "n": {"N": "1"}, "s": {"SS": ["a", "b"]}}
    before = {"pk": {"S": "p"}, "n": {"N": "1"}, "s": {"SS": ["a", "b"]}}
    update = legacy.AttributeUpdates({"n": {"Action": "ADD", "Value": {"N": "2"}},
                                      "s": {"Action": "DELETE", "Value": {"SS": ["a"]}}})
    assert update.apply(item) == {"pk": {"S": "p"}, "n": {"N": "3"}, "s": {"SS": ["b"]}}
    assert item == before
    assert update.paths == (("n",), ("s",)) and update.attributes == {"n", "s"}
    assert update.updated({"pk": {"S": "p"}, "n": {"N": "3"}}) == {"n": {"N": "3"}}


def test_key_conditions_resolve_to_the_key_condition_the_query_runs():
    conditions = legacy.KeyConditions({
        "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "5"}]},
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
    })
    key = conditions.for_key("pk", "sk", {"pk": "S", "sk": "N"})
    assert (key.partition_value, key.sort_operator) == ({"S": "p"}, "BETWEEN")
    assert key.sort_values == ({"N": "1"}, {"N": "5"})
    only_partition = legacy.KeyConditions({"pk": {"ComparisonOperator": "EQ",
                                                  "AttributeValueList": [{"S": "p"}]}})
    assert only_partition.for_key("pk", "sk").sort_operator is None


def test_a_key_condition_on_the_sort_key_alone_misses_the_partition_key():
    conditions = legacy.KeyConditions({"sk": {"ComparisonOperator": "EQ",
                                              "AttributeValueList": [{"N": "1"}]}})
    with pytest.raises(ValidationException, match="Query condition missed key schema element: pk"):
        conditions.for_key("pk", "sk")

"""KeyConditionExpression: ``pk = :v``, optionally AND one condition on the sort key.

Messages naming KeyConditionExpression themselves ("Invalid operator used in KeyConditionExpression:
OR") come without the usual ``Invalid KeyConditionExpression:`` prefix, the others with it (AWS,
as captured by dynalite and, for "one condition per key" and "nested attributes", in 2026).

Checked in two stages, as DynamoDB does: the expression on its own (the condition grammar and its
checks, then the key-condition shape), before the table is even looked up; then against the table's
key schema. ``parse_key_condition_expression`` is the first stage and ``KeyConditionExpression.
for_key`` the second; ``parse_key_condition`` does both. Wording: dynalite's query tests and the
conformance suite's key-condition captures (AWS).
"""

from __future__ import annotations

from dataclasses import dataclass

from moatdb.errors import ValidationException
from moatdb.services.dynamodb.expressions import tree
from moatdb.services.dynamodb.expressions.condition import checked_condition
from moatdb.services.dynamodb.expressions.context import ExpressionContext
from moatdb.services.dynamodb.expressions.messages import invalid
from moatdb.services.dynamodb.expressions.nodes import (
    And,
    Between,
    Call,
    Comparison,
    Condition,
    In,
    Not,
    Or,
    Path,
)

_KIND = "KeyConditionExpression"
_MIRRORED = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_NOT_KEY_OPERATORS = frozenset({"attribute_exists", "attribute_not_exists", "attribute_type", "contains"})
_SCHEMA_TYPE = ("One or more parameter values were invalid: "
                "Condition parameter type does not match schema type")


@dataclass(frozen=True, slots=True)
class KeyCondition:
    """A query's key condition resolved against the key schema.

    ``sort_operator`` is None (no sort-key condition), "=", "<", "<=", ">", ">=", "BETWEEN" or
    "begins_with", always with the key on the left (``:v < sk`` is read as ``sk > :v``);
    ``sort_values`` holds its one operand, or BETWEEN's two bounds.
    """

    partition_key: str
    partition_value: dict
    sort_key: str | None
    sort_operator: str | None
    sort_values: tuple[dict, ...]


class KeyConditionExpression:
    """A key condition checked on its own: ``conditions`` maps each attribute it names to its
    operator and operand values, in the order written."""

    __slots__ = ("conditions",)

    def __init__(self, conditions: dict[str, tuple[str, tuple[dict, ...]]]):
        self.conditions = conditions

    def for_key(self, partition_key: str, sort_key: str | None,
                key_types: dict[str, str] | None = None) -> KeyCondition:
        """The condition against a key schema; ``key_types`` (name -> "S", "N" or "B"), when given,
        checks the operand types as well."""
        count, key_count = len(self.conditions), 2 if sort_key else 1
        if count > key_count:
            if count == 2:  # a second condition on a table without a sort key
                raise ValidationException("Query key condition not supported")
            raise ValidationException(f"The number of query conditions ({count}) exceeds the number of key"
                                      f" attributes defined in the schema ({key_count})")
        if partition_key not in self.conditions:
            raise ValidationException(f"Query condition missed key schema element: {partition_key}")
        operator, operands = self.conditions[partition_key]
        _check_types(partition_key, operands, key_types)
        if operator != "=":  # BETWEEN brings two operands, begins_with one: neither is supported
            raise ValidationException("Query key condition not supported")
        partition_value = operands[0]
        if count == 1:
            return KeyCondition(partition_key, partition_value, sort_key, None, ())
        if sort_key not in self.conditions:
            raise ValidationException(f"Query condition missed key schema element: {sort_key}")
        operator, operands = self.conditions[sort_key]
        _check_types(sort_key, operands, key_types)
        return KeyCondition(partition_key, partition_value, sort_key, operator, operands)


def parse_key_condition_expression(text: str, context: ExpressionContext) -> KeyConditionExpression:
    """Parse (cached per text) and check a KeyConditionExpression on its own."""
    node = checked_condition(text, context, _KIND)
    conditions: dict[str, tuple[str, tuple[dict, ...]]] = {}
    _collect(node, context, conditions)
    return KeyConditionExpression(conditions)


def parse_key_condition(text: str, context: ExpressionContext, partition_key: str, sort_key: str | None,
                        key_types: dict[str, str] | None = None) -> KeyCondition:
    return parse_key_condition_expression(text, context).for_key(partition_key, sort_key, key_types)


def _check_types(name: str, operands: tuple[dict, ...], key_types: dict[str, str] | None) -> None:
    if key_types is not None and any(key_types[name] not in operand for operand in operands):
        raise ValidationException(_SCHEMA_TYPE)


def _collect(node: Condition, context: ExpressionContext, found: dict) -> None:
    kind = type(node)
    if kind is Or or kind is Not or kind is In or (kind is Comparison and node.operator == "<>"):
        word = {Or: "OR", Not: "NOT", In: "IN"}.get(kind, "<>")
        raise ValidationException(f"Invalid operator used in KeyConditionExpression: {word}")
    if kind is Call and node.name in _NOT_KEY_OPERATORS:
        raise ValidationException(f"Invalid operator used in KeyConditionExpression: {node.name}")
    if kind is And:
        _collect(node.left, context, found)
        _collect(node.right, context, found)
        return
    operator, operands = (
        ("BETWEEN", (node.subject, node.low, node.high)) if kind is Between
        else ("begins_with", node.args) if kind is Call
        else (node.operator, (node.left, node.right))
    )
    if operator in ("BETWEEN", "begins_with") and type(operands[0]) is not Path:
        raise ValidationException(f"Invalid condition in KeyConditionExpression: {operator} operator"
                                  " must have the key attribute as its first operand")
    attribute, position = None, 0
    for index, operand in enumerate(operands):
        if type(operand) is Path:
            if attribute is not None:
                raise ValidationException("Invalid condition in KeyConditionExpression: Multiple attribute"
                                          " names used in one condition")
            if len(operand.elements) > 1:
                raise _invalid("KeyConditionExpressions cannot have conditions on nested attributes")
            attribute, position = tree.resolve(operand, context.names)[0], index
        elif type(operand) is Call:  # size()
            raise _invalid("KeyConditionExpressions cannot contain nested operations")
    if attribute is None:
        raise ValidationException("Invalid condition in KeyConditionExpression: No key attribute specified")
    if attribute in found:
        raise _invalid("KeyConditionExpressions must only contain one condition per key")
    if position:  # ":v < sk" is "sk > :v"
        operator = _MIRRORED[operator]
    values = tuple(context.values[operand.placeholder]
                   for index, operand in enumerate(operands) if index != position)
    found[attribute] = (operator, values)


def _invalid(message: str) -> ValidationException:
    return invalid(_KIND, message)

"""DynamoDB's expression language: condition, filter, update, projection and key condition
expressions, as the Developer Guide ("Using expressions in DynamoDB") and API Reference define them.

Hand-written lexer and recursive-descent parsers over DynamoDB's own grammar; every error is a
``moatdb.errors.ValidationException`` worded as AWS words it. Parsing is cached per expression text;
binding a parsed expression to a request's names and values compiles it into closures.

One request's expressions share one context::

    context = ExpressionContext(params.get("ExpressionAttributeNames"),
                                params.get("ExpressionAttributeValues"))
    update = parse_update(params["UpdateExpression"], context)          # UpdateExpression
    condition = parse_condition(params["ConditionExpression"], context)  # ConditionExpression
    context.check_unused()    # names or values no expression used are refused

Parse in DynamoDB's order so the first error reported is AWS's: UpdateExpression,
ConditionExpression, KeyConditionExpression, FilterExpression, ProjectionExpression, then
``check_unused`` — all before the table is looked up (a Query's key condition then meets the key
schema through ``KeyConditionExpression.for_key``).

Public API:

``ExpressionContext(names: Mapping[str, str] | None, values: Mapping[str, object] | None)``
    Checks the maps (not empty, well-formed keys, valid values, normalized). ``.check_unused()``.

``parse_condition(text, context, kind="ConditionExpression" | "FilterExpression") -> ConditionExpression``
    ``.evaluate(item: dict | None) -> bool``; ``.attributes``, ``.nested_attributes``
    (top-level names read, and read into).

``parse_update(text, context) -> UpdateExpression``
    ``.apply(item: dict, *, existing: bool = True) -> dict`` (a new item; never mutates);
    ``.paths``, ``.attributes`` (top-level names written), ``.nested_attributes``;
    ``.updated(item) -> dict`` (the item projected onto the written paths: UPDATED_OLD/NEW).

``parse_projection(text, context) -> ProjectionExpression``
    ``.apply(item: dict) -> dict``; ``.paths``, ``.attributes``, ``.nested_attributes``.

``parse_key_condition_expression(text, context) -> KeyConditionExpression``
    ``.for_key(partition_key, sort_key, key_types=None) -> KeyCondition``;
``parse_key_condition(text, context, partition_key, sort_key, key_types=None) -> KeyCondition``
    ``.partition_key``, ``.partition_value``, ``.sort_key``, ``.sort_operator`` (None, "=", "<",
    "<=", ">", ">=", "BETWEEN", "begins_with"), ``.sort_values``.
"""

from moatdb.services.dynamodb.expressions.condition import ConditionExpression, parse_condition
from moatdb.services.dynamodb.expressions.context import ExpressionContext
from moatdb.services.dynamodb.expressions.key_condition import (
    KeyCondition,
    KeyConditionExpression,
    parse_key_condition,
    parse_key_condition_expression,
)
from moatdb.services.dynamodb.expressions.projection import ProjectionExpression, parse_projection
from moatdb.services.dynamodb.expressions.update import UpdateExpression, parse_update

__all__ = [
    "ConditionExpression",
    "ExpressionContext",
    "KeyCondition",
    "KeyConditionExpression",
    "ProjectionExpression",
    "UpdateExpression",
    "parse_condition",
    "parse_key_condition",
    "parse_key_condition_expression",
    "parse_projection",
    "parse_update",
]

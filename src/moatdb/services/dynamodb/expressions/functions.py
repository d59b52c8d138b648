"""DynamoDB's expression functions and how many operands each takes.

Condition functions (Developer Guide, "Condition and filter expressions, operators, and functions")
are refused in an UpdateExpression and update functions ("Using update expressions") in conditions,
with "The function is not allowed in ..."; a function known to either list but given the wrong
number of operands is refused for the count first (``SET a = size(b, c)`` -> "number of operands: 2").
"""

from __future__ import annotations

from moatdb.services.dynamodb.expressions import messages

CONDITION_FUNCTIONS = {"attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2,
                       "begins_with": 2, "contains": 2, "size": 1}
UPDATE_FUNCTIONS = {"if_not_exists": 2, "list_append": 2}


def foreign_function_error(name: str, count: int, allowed: dict[str, int], where: str) -> str | None:
    """The error for a function that ``allowed`` (this expression's functions) lacks, or None."""
    if name in allowed:
        return None
    arity = CONDITION_FUNCTIONS.get(name) or UPDATE_FUNCTIONS.get(name)
    if arity is None:
        return messages.unknown_function(name)
    if count != arity:
        return messages.operand_count(name, count)
    return messages.function_not_allowed(name, where)

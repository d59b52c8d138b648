"""The checks DynamoDB makes on a parsed condition, in the order it reports what they find.

Order (dynalite's parser, built against AWS; the conformance suite's key-condition ordering tests):
first an unknown function anywhere, then a function used where it cannot be, then a reserved
word; then, condition by condition in the order written, the first problem of the first condition
that has one, where an undefined placeholder comes before a wrong number of operands, before a
path compared with itself, before an operand of the wrong type.
"""

from __future__ import annotations

from collections.abc import Mapping

from moatdb.services.dynamodb import values as attribute_values
from moatdb.services.dynamodb.expressions import functions, messages, tree
from moatdb.services.dynamodb.expressions.context import ExpressionContext
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
    Value,
)
from moatdb.services.dynamodb.expressions.paths import display

ATTRIBUTE_TYPES = frozenset({"S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS"})
ORDERED_TYPES = frozenset({"S", "N", "B"})
_ORDERING = frozenset({"<", "<=", ">", ">="})
# DynamoDB's spelling in these two messages (dynalite, captured from AWS).
_ANY_TYPE = "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}"
_VALID_TYPES = "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}"


def static_error(condition: Condition, where: str) -> str | None:
    """The first error that depends on the text alone: unknown function, misused function, reserved
    word. ``where`` names the expression for update-only functions ("a condition expression")."""
    unknown = misused = None
    for node in tree.post_order(condition):
        kind = type(node)
        if kind is Call:
            unknown = unknown or functions.foreign_function_error(
                node.name, len(node.args), functions.CONDITION_FUNCTIONS, where)
            misused = misused or _misused_operand(node.args)
        elif kind is Comparison or kind is Between or kind is In:
            misused = misused or _misused_operand(tree.children(node))
        elif kind is And or kind is Or or kind is Not:
            misused = misused or _misused_condition(tree.children(node))
    misused = misused or _misused_condition((condition,))
    return unknown or misused or tree.first_reserved(tree.post_order(condition))


def _misused_operand(operands) -> str | None:
    # Only size() produces a value; the other functions are conditions in their own right.
    for operand in operands:
        if type(operand) is Call and operand.name != "size":
            return messages.misused_function(operand.name)
    return None


def _misused_condition(conditions) -> str | None:
    for condition in conditions:
        if type(condition) is Call and condition.name == "size":
            return messages.misused_function("size")
    return None


def bound_error(condition: Condition, context: ExpressionContext) -> str | None:
    """The first error of the first simple condition that has one, marking placeholders used."""
    for simple in simple_conditions(condition):
        error = _simple_error(simple, context)
        if error is not None:
            return error
    return None


def simple_conditions(condition: Condition):
    """The comparisons and functions under AND, OR and NOT, in the order written."""
    kind = type(condition)
    if kind is And or kind is Or:
        yield from simple_conditions(condition.left)
        yield from simple_conditions(condition.right)
    elif kind is Not:
        yield from simple_conditions(condition.operand)
    else:
        yield condition


def _simple_error(simple: Condition, context: ExpressionContext) -> str | None:
    nodes = list(tree.post_order(simple))
    undefined, _, _ = tree.bind_placeholders(nodes, context)
    if undefined is not None:
        return undefined
    names, values = context.names, context.values
    count = distinct = typed = None
    for node in nodes:
        kind = type(node)
        if kind is Call:
            if len(node.args) != functions.CONDITION_FUNCTIONS[node.name]:
                count = count or messages.operand_count(node.name, len(node.args))
                continue
            if len(node.args) == 2:
                distinct = distinct or _distinct(node.name, node.args[0], node.args[1:], names)
            typed = typed or _function_type_error(node, values)
        elif kind is Comparison:
            distinct = distinct or _distinct(node.operator, node.left, (node.right,), names)
            if node.operator in _ORDERING:
                typed = typed or _unordered(node.operator, (node.left, node.right), values)
        elif kind is Between:
            distinct = distinct or _distinct("BETWEEN", node.subject, (node.low, node.high), names)
            typed = typed or _between_error(node, values)
        elif kind is In:
            operands = 1 + len(node.choices)
            if operands > messages.MAX_IN_OPERANDS:
                count = count or ("The IN operator is provided with too many operands; "
                                  f"number of operands: {operands}")
            distinct = distinct or _distinct("IN", node.subject, node.choices, names)
    return count or distinct or typed


def _distinct(operator: str, first, rest, names: Mapping[str, str]) -> str | None:
    if type(first) is not Path:
        return None
    path = tree.resolve(first, names)
    for other in rest:
        if type(other) is Path and tree.resolve(other, names) == path:
            return messages.not_distinct(operator, display(path))
    return None


def _function_type_error(call: Call, values: Mapping[str, dict]) -> str | None:
    name, args = call.name, call.args
    if name in ("attribute_exists", "attribute_not_exists"):
        return None if type(args[0]) is Path else messages.requires_path(name)
    if name == "begins_with":
        for arg in args:
            found = tree.value_type(arg, values)
            if found is not None and found not in ("S", "B"):
                return messages.operand_type(name, found)
        return None
    if name == "size":
        found = tree.value_type(args[0], values)
        return messages.operand_type(name, found) if found in ("N", "BOOL", "NULL") else None
    if name == "attribute_type":
        found = tree.value_type(args[1], values)
        if found != "S":
            return messages.operand_type(name, found or _ANY_TYPE)
        wanted = values[args[1].placeholder]["S"]
        if wanted not in ATTRIBUTE_TYPES:
            return f"Invalid attribute type name found; type: {wanted}, valid types: {_VALID_TYPES}"
    return None


def _unordered(operator: str, operands, values: Mapping[str, dict]) -> str | None:
    """Ordering a :value of a type that has no order is an error in the request, not a false
    condition (the conformance suite, "an ordering comparison with a boolean operand")."""
    for operand in operands:
        found = tree.value_type(operand, values)
        if found is not None and found not in ORDERED_TYPES:
            return messages.operand_type(operator, found)
    return None


def _between_error(node: Between, values: Mapping[str, dict]) -> str | None:
    if type(node.low) is Value and type(node.high) is Value:
        low, high = values[node.low.placeholder], values[node.high.placeholder]
        low_type, high_type = attribute_values.type_of(low), attribute_values.type_of(high)
        bounds = (f"lower bound operand: AttributeValue: {_render(low)}, "
                  f"upper bound operand: AttributeValue: {_render(high)}")
        if low_type != high_type:
            return f"The BETWEEN operator requires same data type for lower and upper bounds; {bounds}"
        if low_type not in ORDERED_TYPES:
            return messages.operand_type("BETWEEN", low_type)
        if attribute_values.compare(low, high) > 0:
            return ("The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
                    + bounds)
    return _unordered("BETWEEN", (node.low, node.high, node.subject), values)


def _render(value: dict) -> str:
    """An attribute value as DynamoDB prints it in BETWEEN errors: ``{N:5}``, ``{S:a}``."""
    kind = attribute_values.type_of(value)
    raw = value[kind]
    if type(raw) is bool:
        raw = "true" if raw else "false"
    elif type(raw) is list and kind != "L":
        raw = "[" + ", ".join(raw) + "]"
    return f"{{{kind}:{raw}}}"

"""Walking syntax trees, and binding their placeholders to a request's names and values."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from moatdb.services.dynamodb import values as attribute_values
from moatdb.services.dynamodb.expressions import messages
from moatdb.services.dynamodb.expressions.context import ExpressionContext
from moatdb.services.dynamodb.expressions.nodes import (
    And,
    Arithmetic,
    Between,
    Call,
    Comparison,
    In,
    Name,
    Not,
    Or,
    Path,
    Value,
)
from moatdb.services.dynamodb.expressions.paths import Resolved
from moatdb.services.dynamodb.expressions.reserved import is_reserved


def children(node) -> tuple:
    kind = type(node)
    if kind is Comparison or kind is And or kind is Or or kind is Arithmetic:
        return (node.left, node.right)
    if kind is Call:
        return node.args
    if kind is Between:
        return (node.subject, node.low, node.high)
    if kind is In:
        return (node.subject, *node.choices)
    if kind is Not:
        return (node.operand,)
    return ()


def post_order(node) -> Iterator:
    """Every node under ``node``, each after its children, in the order they were written: the
    order in which DynamoDB's parser completes them, and so the order it reports their errors in."""
    for child in children(node):
        yield from post_order(child)
    yield node


def first_reserved(nodes) -> str | None:
    for node in nodes:
        if type(node) is Path:
            for element in node.elements:
                if type(element) is str and is_reserved(element):
                    return messages.reserved(element)
    return None


def bind_placeholders(nodes, context: ExpressionContext) -> tuple[str | None, str | None, str | None]:
    """Mark the placeholders used by ``nodes`` as used. Return DynamoDB's errors for the first
    undefined placeholder of either kind, the first undefined ``#name`` and the first undefined
    ``:value``, in the order written."""
    first = name_error = value_error = None
    for node in nodes:
        kind = type(node)
        if kind is Path:
            for element in node.elements:
                if type(element) is Name:
                    if element.placeholder in context.names:
                        context.used_names.add(element.placeholder)
                    elif name_error is None:
                        name_error = messages.undefined_name(element.placeholder)
                        first = first or name_error
        elif kind is Value:
            if node.placeholder in context.values:
                context.used_values.add(node.placeholder)
            elif value_error is None:
                value_error = messages.undefined_value(node.placeholder)
                first = first or value_error
    return first, name_error, value_error


def resolve(path: Path, names: Mapping[str, str]) -> Resolved:
    """The path with its #placeholders replaced; every placeholder must be defined."""
    return tuple(names[element.placeholder] if type(element) is Name else element
                 for element in path.elements)


def value_type(node, values: Mapping[str, dict]) -> str | None:
    """The type an operand is known to have before any item is read: a :value's own type, or N for
    size(); None for a document path (or an undefined value)."""
    kind = type(node)
    if kind is Value:
        value = values.get(node.placeholder)
        return None if value is None else attribute_values.type_of(value)
    if kind is Call and node.name == "size":
        return "N"
    return None

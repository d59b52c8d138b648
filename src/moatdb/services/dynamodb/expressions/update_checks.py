"""The checks DynamoDB makes on a parsed UpdateExpression, in the order it reports what they find.

Order (dynalite's update parser, built against AWS): a reserved word; an unknown function, or a
condition function (see ``functions``), or a function nested where only if_not_exists may be; a
clause written twice;
an undefined ``#name``; an undefined ``:value``; overlapping paths; conflicting paths; an ADD or
DELETE operand of the wrong type; a function's operands (count, document path, type).
"""

from __future__ import annotations

from collections.abc import Mapping

from moatdb.services.dynamodb.expressions import functions, messages, tree
from moatdb.services.dynamodb.expressions.context import ExpressionContext
from moatdb.services.dynamodb.expressions.nodes import Arithmetic, Call, Path, UpdateTree, Value
from moatdb.services.dynamodb.expressions.paths import Resolved, clash

# How DynamoDB names a type in ADD's and DELETE's operand error (dynalite, captured from AWS).
_TYPE_NAMES = {"S": "STRING", "N": "NUMBER", "B": "BINARY", "NULL": "NULL", "BOOL": "BOOLEAN",
               "L": "LIST", "M": "MAP"}


def nodes(update: UpdateTree) -> list:
    """Every node of the update, actions in the order written, each value after its path."""
    found = []
    for action in update.actions:
        found.extend(tree.post_order(action.path))
        if action.value is not None:
            found.extend(tree.post_order(action.value))
    return found


def static_error(update: UpdateTree) -> str | None:
    """The first error that depends on the text alone: reserved word, function, repeated clause."""
    every = nodes(update)
    reserved = tree.first_reserved(every)
    if reserved is not None:
        return reserved
    for node in every:
        if type(node) is Call:
            error = functions.foreign_function_error(node.name, len(node.args), functions.UPDATE_FUNCTIONS,
                                                     "an update expression")
            if error is not None:
                return error
    for node in every:
        # Only if_not_exists may be an operand of a function or of + and - (AWS refuses
        # list_append(list_append(...), ...) this way; Alternator's tests).
        if type(node) is Call or type(node) is Arithmetic:
            for operand in tree.children(node):
                if type(operand) is Call and operand.name != "if_not_exists":
                    return messages.misused_function(operand.name)
    if update.repeated_clause is not None:
        return f'The "{update.repeated_clause}" section can only be used once in an update expression;'
    return None


def bound_error(update: UpdateTree, context: ExpressionContext) -> tuple[str | None, tuple[Resolved, ...]]:
    """The first error that depends on the request's placeholders, and the resolved action paths."""
    _, undefined_name, undefined_value = tree.bind_placeholders(nodes(update), context)
    if undefined_name or undefined_value:
        return undefined_name or undefined_value, ()
    paths = tuple(tree.resolve(action.path, context.names) for action in update.actions)
    error = clash(paths)
    if error is None:
        error = _operand_error(update, context.values) or _function_error(update, context.values)
    return error, paths


def _operand_error(update: UpdateTree, values: Mapping[str, dict]) -> str | None:
    for action in update.actions:
        if action.clause in ("ADD", "DELETE"):
            kind = tree.value_type(action.value, values)
            if kind in _TYPE_NAMES and not (action.clause == "ADD" and kind == "N"):
                return ("Incorrect operand type for operator or function; "
                        f"operator: {action.clause}, operand type: {_TYPE_NAMES[kind]}")
    return None


def _function_error(update: UpdateTree, values: Mapping[str, dict]) -> str | None:
    for action in update.actions:
        if action.clause != "SET":
            continue
        for node in tree.post_order(action.value):
            if type(node) is Call:
                if len(node.args) != functions.UPDATE_FUNCTIONS[node.name]:
                    return messages.operand_count(node.name, len(node.args))
                if node.name == "if_not_exists" and type(node.args[0]) is not Path:
                    return messages.requires_path(node.name)
                if node.name == "list_append":
                    error = _immediate_type(node.name, node.args, "L", values)
                    if error:
                        return error
            elif type(node) is Arithmetic:
                error = _immediate_type(node.operator, (node.left, node.right), "N", values)
                if error:
                    return error
    return None


def _immediate_type(name: str, operands, wanted: str, values: Mapping[str, dict]) -> str | None:
    """A :value operand of the wrong type is the request's error; a path's is the item's (later)."""
    for operand in operands:
        if type(operand) is Value:
            kind = tree.value_type(operand, values)
            if kind != wanted:
                return messages.operand_type(name, kind)
    return None

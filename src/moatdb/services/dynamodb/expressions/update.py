"""UpdateExpression: parse once per text, bind per request, apply to items."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache

from moatdb.errors import ValidationException
from moatdb.services.dynamodb import numbers
from moatdb.services.dynamodb.expressions import parser, source, tree, update_apply, update_checks
from moatdb.services.dynamodb.expressions.context import ExpressionContext
from moatdb.services.dynamodb.expressions.messages import (
    INCORRECT_DATA_TYPE,
    MISSING_ATTRIBUTE,
    ExpressionError,
    invalid,
)
from moatdb.services.dynamodb.expressions.nodes import Arithmetic, Call, Operand, Path, UpdateTree, Value
from moatdb.services.dynamodb.expressions.paths import Resolved, getter
from moatdb.services.dynamodb.expressions.projection import projector
from moatdb.services.dynamodb.expressions.update_apply import Leaf

_KIND = "UpdateExpression"
Compute = Callable[[dict], dict]


class UpdateExpression:
    """An update bound to one request's names and values.

    ``apply(item, existing=True)`` returns the updated item as a new dict (the input is never
    changed; unchanged values are shared with it, so treat both as immutable). Pass the item as
    stored, or for an item that does not exist yet its key with ``existing=False`` (REMOVE then
    does nothing, even on a nested path, as on AWS). Raises ``ValidationException`` with
    DynamoDB's (unprefixed) message when the item does not fit the update.

    ``paths`` are the document paths the actions write, in the order written; ``attributes``
    their top-level names (the caller refuses key attributes among them); ``nested_attributes``
    the top-level names read or written with ``.`` or ``[]``. ``updated(item)`` projects an item
    onto ``paths``: ReturnValues UPDATED_OLD (of the old item) and UPDATED_NEW (of the new one).
    """

    __slots__ = ("paths", "attributes", "nested_attributes", "updated", "_computations", "_trie",
                 "_trie_for_new")

    def __init__(self, update: UpdateTree, paths: tuple[Resolved, ...], names: Mapping[str, str],
                 values: Mapping[str, dict]):
        self.paths = paths
        self.attributes = frozenset(path[0] for path in paths)
        self.nested_attributes = frozenset(
            tree.resolve(node, names)[0] for node in update_checks.nodes(update)
            if type(node) is Path and len(node.elements) > 1
        )
        self.updated: Callable[[dict], dict] = projector(paths)
        self._computations: list[Compute] = []
        actions = []
        for action, path in zip(update.actions, paths, strict=True):
            slot = -1
            if action.clause == "SET":
                slot = len(self._computations)
                self._computations.append(_compute(action.value, names, values))
            operand = values[action.value.placeholder] if action.clause in ("ADD", "DELETE") else None
            actions.append((path, Leaf(action.clause, slot, operand)))
        self._trie = update_apply.build_trie(actions)
        self._trie_for_new = update_apply.build_trie(
            [(path, leaf) for path, leaf in actions if leaf.clause != "REMOVE"]
        )

    def apply(self, item: dict, *, existing: bool = True) -> dict:
        computed = [compute(item) for compute in self._computations]
        return update_apply.apply(item, self._trie if existing else self._trie_for_new, computed)


def parse_update(text: str, context: ExpressionContext) -> UpdateExpression:
    """Parse (cached per text) and bind an UpdateExpression.

    Raises ``ValidationException("Invalid UpdateExpression: ...")`` with DynamoDB's message.
    """
    try:
        update, error = _template(text)
        paths: tuple[Resolved, ...] = ()
        if error is None:
            error, paths = update_checks.bound_error(update, context)
        if error is not None:
            raise ExpressionError(error)
    except ExpressionError as error:
        raise invalid(_KIND, error.message) from None
    return UpdateExpression(update, paths, context.names, context.values)


@lru_cache(maxsize=4096)
def _template(text: str) -> tuple[UpdateTree, str | None]:
    update = source.parse(text, parser.parse_update)
    return update, update_checks.static_error(update)


def _compute(node: Operand, names: Mapping[str, str], values: Mapping[str, dict]) -> Compute:
    """A function computing a SET value from the item as it was before the update."""
    kind = type(node)
    if kind is Value:
        constant = values[node.placeholder]
        return lambda item: constant
    if kind is Path:
        read = getter(tree.resolve(node, names))

        def required(item: dict) -> dict:
            value = read(item)
            if value is None:
                raise ValidationException(MISSING_ATTRIBUTE)
            return value

        return required
    if kind is Call and node.name == "if_not_exists":
        read = getter(tree.resolve(node.args[0], names))
        fallback = _compute(node.args[1], names, values)
        return lambda item: value if (value := read(item)) is not None else fallback(item)
    first, second = _compute_pair(node, names, values)
    if kind is Call:  # list_append
        def append(item: dict) -> dict:
            head, tail = first(item), second(item)
            if "L" not in head or "L" not in tail:
                raise ValidationException(INCORRECT_DATA_TYPE)
            return {"L": head["L"] + tail["L"]}

        return append
    combine = numbers.add if node.operator == "+" else numbers.subtract

    def arithmetic(item: dict) -> dict:
        left, right = first(item), second(item)
        if "N" not in left or "N" not in right:
            raise ValidationException(INCORRECT_DATA_TYPE)
        return {"N": combine(left["N"], right["N"])}

    return arithmetic


def _compute_pair(node: Call | Arithmetic, names, values) -> tuple[Compute, Compute]:
    left, right = (node.args if type(node) is Call else (node.left, node.right))
    return _compute(left, names, values), _compute(right, names, values)

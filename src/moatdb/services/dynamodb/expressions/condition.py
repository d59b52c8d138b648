"""ConditionExpression and FilterExpression: parse once per text, bind per request, test items."""

from __future__ import annotations

from functools import lru_cache

from moatdb.services.dynamodb.expressions import condition_checks, parser, source, tree
from moatdb.services.dynamodb.expressions.context import ExpressionContext
from moatdb.services.dynamodb.expressions.evaluate import Predicate, compile_condition
from moatdb.services.dynamodb.expressions.messages import ExpressionError, invalid
from moatdb.services.dynamodb.expressions.nodes import Condition, Path

# How DynamoDB names each kind in "The function is not allowed in <...>; function: if_not_exists".
_WHERE = {
    "ConditionExpression": "a condition expression",
    "FilterExpression": "a filter expression",
    "KeyConditionExpression": "a key condition expression",
}
_NO_ITEM: dict = {}


class ConditionExpression:
    """A condition bound to one request's names and values.

    ``evaluate(item)`` tests an item (None for no item: every attribute is then missing).
    ``attributes`` are the top-level attribute names the condition reads; ``nested_attributes``
    those it reads into with ``.`` or ``[]`` (the caller checks key attributes against these).
    """

    __slots__ = ("_test", "attributes", "nested_attributes")

    def __init__(self, test: Predicate, attributes: frozenset[str], nested_attributes: frozenset[str]):
        self._test = test
        self.attributes = attributes
        self.nested_attributes = nested_attributes

    def evaluate(self, item: dict | None) -> bool:
        return self._test(_NO_ITEM if item is None else item)


def parse_condition(text: str, context: ExpressionContext,
                    kind: str = "ConditionExpression") -> ConditionExpression:
    """Parse (cached per text) and bind a ConditionExpression or FilterExpression.

    Raises ``ValidationException("Invalid <kind>: ...")`` with DynamoDB's message.
    """
    node = checked_condition(text, context, kind)
    test = compile_condition(node, context.names, context.values)
    return ConditionExpression(test, *referenced_attributes(node, context))


def checked_condition(text: str, context: ExpressionContext, kind: str) -> Condition:
    """The condition's tree, after every check DynamoDB makes of the text and its placeholders."""
    try:
        node, error = _template(text, kind)
        if error is None:
            error = condition_checks.bound_error(node, context)
        if error is not None:
            raise ExpressionError(error)
    except ExpressionError as error:
        raise invalid(kind, error.message) from None
    return node


def referenced_attributes(node, context: ExpressionContext) -> tuple[frozenset[str], frozenset[str]]:
    """The top-level attribute names the tree's paths start with, and those it reads into."""
    heads, nested = set(), set()
    for each in tree.post_order(node):
        if type(each) is Path:
            head = tree.resolve(each, context.names)[0]
            heads.add(head)
            if len(each.elements) > 1:
                nested.add(head)
    return frozenset(heads), frozenset(nested)


@lru_cache(maxsize=4096)
def _template(text: str, kind: str) -> tuple[Condition, str | None]:
    node = source.parse(text, parser.parse_condition)
    return node, condition_checks.static_error(node, _WHERE[kind])

"""What every expression goes through before its grammar: DynamoDB's limits on the text itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from moatdb.services.dynamodb.expressions import messages
from moatdb.services.dynamodb.expressions.messages import ExpressionError

Tree = TypeVar("Tree")


def parse(text: str, grammar: Callable[[str], tuple[Tree, int]]) -> Tree:
    """Check the expression's size (4 KB, measured on the text as sent, before any substitution),
    that it is not blank, then parse it and check its operator count (300)."""
    size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
    if size > messages.MAX_EXPRESSION_BYTES:
        raise ExpressionError(messages.too_large(size))
    if not text.strip(" \t\r\n"):
        raise ExpressionError(messages.EMPTY)
    tree, operators = grammar(text)
    if operators > messages.MAX_OPERATORS:
        raise ExpressionError(messages.too_many_operators(operators))
    return tree

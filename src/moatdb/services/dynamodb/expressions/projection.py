"""ProjectionExpression: the attributes, or parts of attributes, a read returns.

A projected item keeps the shape of the original: ``a.b[2].c`` returns ``{a: {b: [{c: ...}]}}``.
List elements projected from one list come back as a list of only those elements, in index order
(``a[0], a[2]`` of ``[x, y, z]`` is ``[x, z]``); paths that lead nowhere are left out, and a map or
list left with nothing projected is left out too (Alternator's projection tests, run against AWS).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

from moatdb.services.dynamodb.expressions import parser, source, tree
from moatdb.services.dynamodb.expressions.context import ExpressionContext
from moatdb.services.dynamodb.expressions.messages import ExpressionError, invalid
from moatdb.services.dynamodb.expressions.nodes import Path
from moatdb.services.dynamodb.expressions.paths import Resolved, clash

_KIND = "ProjectionExpression"
_WHOLE = None  # a projection trie's leaf: the whole value at this path


class ProjectionExpression:
    """A projection bound to one request's names: ``apply(item)`` returns the projected item.

    ``paths`` are the resolved document paths in the order written; ``attributes`` their top-level
    names, ``nested_attributes`` the top-level names read into with ``.`` or ``[]``.
    """

    __slots__ = ("apply", "paths", "attributes", "nested_attributes")

    def __init__(self, paths: tuple[Resolved, ...]):
        self.paths = paths
        self.apply: Callable[[dict], dict] = projector(paths)
        self.attributes = frozenset(path[0] for path in paths)
        self.nested_attributes = frozenset(path[0] for path in paths if len(path) > 1)


def parse_projection(text: str, context: ExpressionContext) -> ProjectionExpression:
    """Parse (cached per text) and bind a ProjectionExpression.

    Error order (dynalite, captured from AWS): reserved word, undefined name, overlapping paths,
    conflicting paths.
    """
    try:
        nodes, reserved = _template(text)
        if reserved is not None:
            raise ExpressionError(reserved)
        undefined, _, _ = tree.bind_placeholders(nodes, context)
        if undefined is not None:
            raise ExpressionError(undefined)
        paths = tuple(tree.resolve(node, context.names) for node in nodes)
        error = clash(paths)
        if error is not None:
            raise ExpressionError(error)
    except ExpressionError as error:
        raise invalid(_KIND, error.message) from None
    return ProjectionExpression(paths)


def projector(paths: Sequence[Resolved]) -> Callable[[dict], dict]:
    """A function projecting an item onto ``paths`` (which neither overlap nor conflict)."""
    if all(len(path) == 1 for path in paths):
        names = tuple(path[0] for path in paths)
        return lambda item: {name: item[name] for name in names if name in item}
    trie: dict = {}
    for path in paths:
        node = trie
        for element, following in zip(path, path[1:], strict=False):
            node = node.setdefault(element, {} if type(following) is str else ("L", {}))
            if type(node) is tuple:
                node = node[1]
        node[path[-1]] = _WHOLE
    return lambda item: _project_map(item, trie)


def _project_map(members: dict, trie: dict) -> dict:
    projected = {}
    for key, sub in trie.items():
        value = members.get(key)
        if value is not None and sub is not _WHOLE:
            value = _project_value(value, sub)
        if value is not None:
            projected[key] = value
    return projected


def _project_value(value: dict, sub) -> dict | None:
    if type(sub) is dict:
        members = value.get("M")
        inner = _project_map(members, sub) if members is not None else None
        return {"M": inner} if inner else None
    elements, indexes = value.get("L"), sub[1]
    if elements is None:
        return None
    kept = []
    for index in sorted(indexes):
        if index < len(elements):
            child = indexes[index]
            element = elements[index] if child is _WHOLE else _project_value(elements[index], child)
            if element is not None:
                kept.append(element)
    return {"L": kept} if kept else None


@lru_cache(maxsize=4096)
def _template(text: str) -> tuple[tuple[Path, ...], str | None]:
    nodes = source.parse(text, parser.parse_projection)
    return nodes, tree.first_reserved(nodes)


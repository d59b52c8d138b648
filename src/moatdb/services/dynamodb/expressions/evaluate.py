"""Conditions compiled to closures: the per-item work is a few dict lookups and comparisons.

Semantics (Developer Guide, "Condition and filter expressions, operators, and functions"; ScyllaDB
Alternator's tests, run against AWS): a comparison involving a missing attribute, or values of
different types, is false, not an error; ``<>`` is then true. Strings order by code point (which is
UTF-8 byte order), binaries by unsigned bytes, numbers numerically. ``contains`` is a substring test
on S and B, membership on sets, element equality on lists. ``size`` counts a string's UTF-16 code
units (AWS: ``size("é𝄞") = 3``), a binary's bytes, a set's, list's or map's elements.
"""

from __future__ import annotations

import base64
import operator
from collections.abc import Callable, Mapping
from decimal import Decimal

from moatdb.services.dynamodb import values as attribute_values
from moatdb.services.dynamodb.expressions import tree
from moatdb.services.dynamodb.expressions.nodes import (
    And,
    Between,
    Call,
    Comparison,
    Condition,
    In,
    Not,
    Operand,
    Or,
    Path,
    Value,
)
from moatdb.services.dynamodb.expressions.paths import getter

Predicate = Callable[[dict], bool]
Getter = Callable[[dict], dict | None]

_SCALARS = ("S", "N", "B", "BOOL", "NULL")
# How to turn a scalar's wire form into something Python orders the way DynamoDB does.
_ORDER_KEY: dict[str, Callable] = {"S": str, "N": Decimal, "B": base64.b64decode}
_TESTS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_MIRRORED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "<>": "<>"}
_compare = attribute_values.compare
_equal = attribute_values.equal


def compile_condition(node: Condition, names: Mapping[str, str], values: Mapping[str, dict]) -> Predicate:
    kind = type(node)
    if kind is And:
        left, right = (compile_condition(side, names, values) for side in (node.left, node.right))
        return lambda item: left(item) and right(item)
    if kind is Or:
        left, right = (compile_condition(side, names, values) for side in (node.left, node.right))
        return lambda item: left(item) or right(item)
    if kind is Not:
        inner = compile_condition(node.operand, names, values)
        return lambda item: not inner(item)
    if kind is Comparison:
        return _comparison(node, names, values)
    if kind is Between:
        return _between(node, names, values)
    if kind is In:
        return _in(node, names, values)
    return _function(node, names, values)


def compile_operand(node: Operand, names: Mapping[str, str], values: Mapping[str, dict]) -> Getter:
    kind = type(node)
    if kind is Path:
        return getter(tree.resolve(node, names))
    if kind is Value:
        constant = values[node.placeholder]
        return lambda item: constant
    # The checks leave size() as the only function that can be an operand.
    argument = compile_operand(node.args[0], names, values)
    return lambda item: size(argument(item))


def size(value: dict | None) -> dict | None:
    if value is None:
        return None
    kind, raw = next(iter(value.items()))
    if kind == "S":
        count = len(raw) if raw.isascii() else len(raw.encode("utf-16-le", "surrogatepass")) // 2
    elif kind == "B":
        count = len(raw) // 4 * 3 - raw[-2:].count("=")
    elif kind in ("SS", "NS", "BS", "L", "M"):
        count = len(raw)
    else:
        return None
    return {"N": str(count)}


def _constant_scalar(node: Operand, values: Mapping[str, dict]) -> tuple[str, object] | None:
    if type(node) is Value:
        kind, raw = next(iter(values[node.placeholder].items()))
        if kind in _SCALARS:
            return kind, raw
    return None


def _comparison(node: Comparison, names, values) -> Predicate:
    op, left_node, right_node = node.operator, node.left, node.right
    if type(left_node) is Value and type(right_node) is not Value:
        op, left_node, right_node = _MIRRORED[op], right_node, left_node
    left = compile_operand(left_node, names, values)
    constant = _constant_scalar(right_node, values)
    if constant is not None:
        return _against_constant(op, left, *constant)
    right = compile_operand(right_node, names, values)
    if op == "=":
        def equal(item: dict) -> bool:
            a, b = left(item), right(item)
            return a is not None and b is not None and _equal(a, b)
        return equal
    if op == "<>":
        def differ(item: dict) -> bool:
            a, b = left(item), right(item)
            return a is None or b is None or not _equal(a, b)
        return differ
    test = _TESTS[op]

    def ordered(item: dict) -> bool:
        a, b = left(item), right(item)
        if a is None or b is None:
            return False
        result = _compare(a, b)
        return result is not None and test(result, 0)

    return ordered


def _against_constant(op: str, get: Getter, kind: str, raw: object) -> Predicate:
    # Canonical values have one spelling each, so scalar equality is equality of the raw strings.
    if op == "=":
        return lambda item: (value := get(item)) is not None and value.get(kind) == raw
    if op == "<>":
        return lambda item: (value := get(item)) is None or value.get(kind) != raw
    # The checks refused ordering a constant of any other type than S, N or B.
    key, test = _ORDER_KEY[kind], _TESTS[op]
    bound = key(raw)

    def ordered(item: dict) -> bool:
        value = get(item)
        if value is None:
            return False
        mine = value.get(kind)
        return mine is not None and test(key(mine), bound)

    return ordered


def _between(node: Between, names, values) -> Predicate:
    subject = compile_operand(node.subject, names, values)
    low, high = _constant_scalar(node.low, values), _constant_scalar(node.high, values)
    if low is not None and high is not None and low[0] == high[0] and low[0] in _ORDER_KEY:
        kind, key = low[0], _ORDER_KEY[low[0]]
        lowest, highest = key(low[1]), key(high[1])

        def within(item: dict) -> bool:
            value = subject(item)
            if value is None:
                return False
            mine = value.get(kind)
            return mine is not None and lowest <= key(mine) <= highest

        return within
    low_get, high_get = compile_operand(node.low, names, values), compile_operand(node.high, names, values)

    def between(item: dict) -> bool:
        value, lowest, highest = subject(item), low_get(item), high_get(item)
        if value is None or lowest is None or highest is None:
            return False
        above, below = _compare(value, lowest), _compare(value, highest)
        return above is not None and below is not None and above >= 0 and below <= 0

    return between


def _in(node: In, names, values) -> Predicate:
    subject = compile_operand(node.subject, names, values)
    if all(type(choice) is Value for choice in node.choices):
        constants = [values[choice.placeholder] for choice in node.choices]
        scalars = {next(iter(c.items())) for c in constants if next(iter(c)) in _SCALARS}
        others = [c for c in constants if next(iter(c)) not in _SCALARS]

        def among_constants(item: dict) -> bool:
            value = subject(item)
            if value is None:
                return False
            pair = next(iter(value.items()))
            if pair[0] in _SCALARS:
                return pair in scalars
            return any(_equal(value, other) for other in others)

        return among_constants
    choices = [compile_operand(choice, names, values) for choice in node.choices]

    def among(item: dict) -> bool:
        value = subject(item)
        return value is not None and any(
            (candidate := choice(item)) is not None and _equal(value, candidate) for choice in choices
        )

    return among


def _function(node: Call, names, values) -> Predicate:
    name = node.name
    first = compile_operand(node.args[0], names, values)
    if name == "attribute_exists":
        return lambda item: first(item) is not None
    if name == "attribute_not_exists":
        return lambda item: first(item) is None
    if name == "attribute_type":
        wanted = values[node.args[1].placeholder]["S"]
        return lambda item: (value := first(item)) is not None and wanted in value
    second = compile_operand(node.args[1], names, values)
    if name == "begins_with":
        return lambda item: _begins_with(first(item), second(item))
    return lambda item: _contains(first(item), second(item))


def _begins_with(value: dict | None, prefix: dict | None) -> bool:
    if value is None or prefix is None:
        return False
    if "S" in value and "S" in prefix:
        return value["S"].startswith(prefix["S"])
    if "B" in value and "B" in prefix:
        return base64.b64decode(value["B"]).startswith(base64.b64decode(prefix["B"]))
    return False


def _contains(value: dict | None, member: dict | None) -> bool:
    if value is None or member is None:
        return False
    kind, raw = next(iter(value.items()))
    wanted_kind, wanted = next(iter(member.items()))
    if kind == "S" or kind == "B":
        if wanted_kind != kind:
            return False
        return wanted in raw if kind == "S" else base64.b64decode(wanted) in base64.b64decode(raw)
    if kind in ("SS", "NS", "BS"):
        # Canonical members have one spelling each, so membership is string membership.
        return wanted_kind == kind[0] and wanted in raw
    if kind == "L":
        return any(_equal(element, member) for element in raw)
    return False

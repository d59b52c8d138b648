"""Applying an UpdateExpression's actions to an item.

Every action's path is distinct and none lies inside another (the checks refuse overlaps), so the
actions form a tree keyed by path element, and applying them is one walk down the item copying
only what changes. All values are computed from the item as it was before the update (``SET a =
:v, b = a`` copies the old ``a``), and list indexes name elements as they were before too:
``REMOVE a[1] SET a[3] = :v`` replaces the element that was fourth, and several REMOVEs remove
the elements they named. SET or ADD on an index past the end appends, several such in index
order; REMOVE or DELETE there does nothing. (Developer Guide, "Using update expressions";
Alternator's and dynalite's tests against AWS.)
"""

from __future__ import annotations

from dataclasses import dataclass

from moatdb.errors import ValidationException
from moatdb.services.dynamodb import numbers
from moatdb.services.dynamodb.expressions import messages
from moatdb.services.dynamodb.expressions.paths import Resolved

_ABSENT = object()  # what a path holds after REMOVE, or after DELETE empties a set


@dataclass(frozen=True, slots=True)
class Leaf:
    clause: str
    slot: int  # SET: the index of its value among the update's computed values
    operand: dict | None  # ADD and DELETE: the :value


Trie = dict  # element -> Leaf or Trie; one trie's keys are all names (a map) or all indexes (a list)


def build_trie(actions: list[tuple[Resolved, Leaf]]) -> Trie:
    trie: Trie = {}
    for path, leaf in actions:
        node = trie
        for element in path[:-1]:
            node = node.setdefault(element, {})
        node[path[-1]] = leaf
    return trie


def apply(members: dict, trie: Trie, computed: list[dict]) -> dict:
    """``members`` (an item, or a map's members) with the trie's actions applied, as a new dict;
    ``computed`` holds the SET values, computed beforehand from the item as it was."""
    result = dict(members)
    for key, node in trie.items():
        value = _apply(members.get(key), node, computed)
        if value is _ABSENT:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def _elements(elements: list, trie: Trie, computed: list[dict]) -> list:
    result, removed, appended = list(elements), set(), []
    for index in sorted(trie):
        if index < len(elements):
            value = _apply(elements[index], trie[index], computed)
            if value is _ABSENT:
                removed.add(index)
            else:
                result[index] = value
        else:
            value = _apply(None, trie[index], computed)
            if value is not _ABSENT:
                appended.append(value)
    if removed:
        result = [element for index, element in enumerate(result) if index not in removed]
    return result + appended


def _apply(current: dict | None, node, computed: list[dict]):
    if type(node) is Leaf:
        return _leaf(current, node, computed)
    if type(next(iter(node))) is int:
        elements = None if current is None else current.get("L")
        if elements is None:
            raise ValidationException(messages.INVALID_UPDATE_PATH)
        return {"L": _elements(elements, node, computed)}
    members = None if current is None else current.get("M")
    if members is None:
        raise ValidationException(messages.INVALID_UPDATE_PATH)
    return {"M": apply(members, node, computed)}


def _leaf(current: dict | None, leaf: Leaf, computed: list[dict]):
    clause = leaf.clause
    if clause == "SET":
        return computed[leaf.slot]
    if clause == "REMOVE":
        return _ABSENT
    operand = leaf.operand
    kind = next(iter(operand))
    if current is None:
        return operand if clause == "ADD" else _ABSENT
    if kind not in current:
        raise ValidationException(messages.INCORRECT_DATA_TYPE)
    if clause == "ADD":
        if kind == "N":
            return {"N": numbers.add(current["N"], operand["N"])}
        # Canonical members have one spelling each, so set membership is string membership.
        present = set(current[kind])
        return {kind: current[kind] + [member for member in operand[kind] if member not in present]}
    unwanted = set(operand[kind])
    kept = [member for member in current[kind] if member not in unwanted]
    return {kind: kept} if kept else _ABSENT  # DynamoDB has no empty sets: the attribute goes

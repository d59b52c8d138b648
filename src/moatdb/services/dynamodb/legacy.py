"""DynamoDB's legacy parameters, translated into the objects the expression language compiles to.

Older clients send the API's first-version parameters (Developer Guide, "Legacy conditional
parameters"): ``AttributesToGet``, ``KeyConditions``, ``QueryFilter``, ``ScanFilter``, ``Expected``,
``AttributeUpdates`` and ``ConditionalOperator``. Each is checked with DynamoDB's messages and turned
into what the operations already run: a ``ConditionExpression`` built from expression nodes, a
``ProjectionExpression``, an update with ``UpdateExpression``'s interface, or a ``KeyCondition``; so
a legacy request takes the same code path as an expression one.

Semantics (API Reference, ``Condition`` and ``ExpectedAttributeValue``; Alternator's test_expected.py
and test_query_filter.py, run against AWS): NE is true for a missing attribute, NOT_CONTAINS is false
for one; NULL and NOT_NULL test whether the attribute exists, not its type; a value of another type
than the attribute's makes a comparison false, not an error. Messages: dynalite's validations and
tests (recorded against AWS), cited where each is raised.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from moatdb.errors import ValidationException
from moatdb.services.dynamodb import numbers, values
from moatdb.services.dynamodb.expressions import ConditionExpression, KeyCondition, ProjectionExpression
from moatdb.services.dynamodb.expressions.evaluate import compile_condition
from moatdb.services.dynamodb.expressions.nodes import (
    And,
    Between,
    Call,
    Comparison,
    In,
    Not,
    Or,
    Path,
    Value,
)
from moatdb.services.dynamodb.expressions.projection import projector

INVALID = "One or more parameter values were invalid: "
# How many values each ComparisonOperator takes: an exact count, or (IN) at least one.
_ARITY = {"EQ": 1, "NE": 1, "LE": 1, "LT": 1, "GE": 1, "GT": 1, "CONTAINS": 1, "NOT_CONTAINS": 1,
          "BEGINS_WITH": 1, "NULL": 0, "NOT_NULL": 0, "IN": None, "BETWEEN": 2}
# The value types each operator accepts (dynalite's validateConditions, with EQ and NE open to every
# type: Alternator's test_query_filter_eq compares lists, maps and booleans on AWS).
_SCALARS = frozenset({"S", "N", "B"})
_TYPES = {"LE": _SCALARS, "LT": _SCALARS, "GE": _SCALARS, "GT": _SCALARS, "IN": _SCALARS, "BETWEEN": _SCALARS,
          "CONTAINS": _SCALARS, "NOT_CONTAINS": _SCALARS, "BEGINS_WITH": frozenset({"S", "B"})}
_COMPARISONS = {"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}
# KeyConditions' operators as KeyCondition names them; the others cannot use the key's order.
_KEY_OPERATORS = {"EQ": "=", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">", "BEGINS_WITH": "begins_with",
                  "BETWEEN": "BETWEEN"}
_SETS = ("SS", "NS", "BS")
_ADDABLE = ("N", "L", "SS", "NS", "BS")
_NO_NAMES: dict = {}


# --- conditions: Expected, QueryFilter, ScanFilter ------------------------------------------------------


def condition(conditions: Mapping, conditional_operator: str | None, *,
              expected: bool = False) -> ConditionExpression | None:
    """The conditions of ``Expected`` (``expected=True``) or of a QueryFilter or ScanFilter, joined
    by ``ConditionalOperator`` (AND unless OR) in the order sent; None for an empty map."""
    operands: dict[str, dict] = {}
    tests = []
    for name, spec in conditions.items():
        spec = spec if type(spec) is dict else {}
        if expected:
            tests.append(_expected(name, spec, operands))
        else:
            tests.append(_test(name, spec.get("ComparisonOperator"), spec.get("AttributeValueList") or [],
                               operands))
    if not tests:
        return None
    joined = tests[0]
    for test in tests[1:]:
        joined = Or(joined, test) if conditional_operator == "OR" else And(joined, test)
    return ConditionExpression(compile_condition(joined, _NO_NAMES, operands), frozenset(conditions),
                               frozenset())


def _expected(name: str, spec: dict, operands: dict[str, dict]):
    """One entry of Expected, in either form: ComparisonOperator with AttributeValueList (or Value,
    which DynamoDB accepts as a one-value list), or Value and Exists. Checks in dynalite's order
    (validations/index.js validateAttributeConditions, recorded against AWS), with the envelope
    DynamoDB puts around them today (floci-io/floci#2126, verified against DynamoDB in 2026, for the
    AttributeValueList, Exists and Value messages; assumed for the other two, of the same check)."""
    value, exists, operator = spec.get("Value"), spec.get("Exists"), spec.get("ComparisonOperator")
    listed = spec.get("AttributeValueList")
    if listed is not None and value is not None:
        raise _entry_error(f"Value and AttributeValueList cannot be used together for Attribute: {name}")
    if operator is None and listed is not None:
        raise _entry_error("AttributeValueList can only be used with a ComparisonOperator for"
                           f" Attribute: {name}")
    if operator is not None:
        if exists is not None:
            raise _entry_error(f"Exists and ComparisonOperator cannot be used together for Attribute: {name}")
        if operator not in ("NULL", "NOT_NULL") and listed is None and value is None:
            raise _entry_error(f"Value or AttributeValueList must be used with ComparisonOperator: {operator}"
                               f" for Attribute: {name}")
        return _test(name, operator, listed if listed is not None else [] if value is None else [value],
                     operands)
    if exists is None or exists:
        if value is None:
            raise _entry_error(f"Value must be provided when Exists is {'null' if exists is None else 'true'}"
                               f" for Attribute: {name}")
        return _test(name, "EQ", [value], operands)
    if value is not None:
        raise _entry_error(f"Value cannot be used when Exists is false for Attribute: {name}")
    return Call("attribute_not_exists", (Path((name,)),))


def _entry_error(message: str) -> ValidationException:
    return ValidationException(f"1 validation error detected: {INVALID}{message}")


def _test(name: str, operator: str, listed: list, operands: dict[str, dict]):
    """One attribute's condition as an expression node; its values join ``operands``."""
    checked = checked_values(operator, listed)
    path = Path((name,))
    placeholders = []
    for operand in checked:
        placeholder = f":{len(operands)}"
        operands[placeholder] = operand
        placeholders.append(Value(placeholder))
    if operator in _COMPARISONS:
        return Comparison(_COMPARISONS[operator], path, placeholders[0])
    if operator == "NULL":
        return Call("attribute_not_exists", (path,))
    if operator == "NOT_NULL":
        return Call("attribute_exists", (path,))
    if operator == "CONTAINS":
        return Call("contains", (path, placeholders[0]))
    if operator == "NOT_CONTAINS":
        # False for a missing attribute, unlike NOT contains(): Alternator's
        # test_update_expected_1_not_contains, run on AWS.
        return And(Call("attribute_exists", (path,)), Not(Call("contains", (path, placeholders[0]))))
    if operator == "BEGINS_WITH":
        return Call("begins_with", (path, placeholders[0]))
    if operator == "IN":
        return In(path, tuple(placeholders))
    return Between(path, placeholders[0], placeholders[1])


def checked_values(operator: str, listed: list) -> tuple[dict, ...]:
    """A condition's AttributeValueList, validated in dynalite's order (validations/index.js
    validateConditions; messages from its query and scan tests, recorded against AWS): each value,
    the number of values, one type for all, a type the operator takes, BETWEEN's order."""
    checked = tuple(values.validate_value(value) for value in listed)
    arity = _ARITY[operator]
    if (len(checked) == 0) if arity is None else (len(checked) != arity):
        raise ValidationException(f"{INVALID}Invalid number of argument(s) for the {operator}"
                                  " ComparisonOperator")
    kinds = [values.type_of(value) for value in checked]
    if any(kind != kinds[0] for kind in kinds):
        raise ValidationException(f"{INVALID}AttributeValues inside AttributeValueList must be of same type")
    allowed = _TYPES.get(operator)
    if allowed is not None:
        for kind in kinds:
            if kind not in allowed:
                raise ValidationException(f"{INVALID}ComparisonOperator {operator} is not valid for {kind}"
                                          " AttributeValue type")
    if operator == "BETWEEN" and values.compare(checked[0], checked[1]) > 0:
        raise ValidationException("The BETWEEN condition was provided a range where the lower bound is"
                                  " greater than the upper bound")
    return checked


# --- AttributesToGet ------------------------------------------------------------------------------------


def projection(names: list) -> ProjectionExpression:
    """AttributesToGet as a projection of top-level attributes: each name is an attribute's name as
    it is, never a document path. A name given twice is refused (dynalite's getItem, query and scan
    validations, recorded against AWS)."""
    seen = set()
    for name in names:
        if name in seen:
            raise ValidationException(f"{INVALID}Duplicate value in attribute name: {name}")
        seen.add(name)
    return ProjectionExpression(tuple((name,) for name in names))


# --- KeyConditions --------------------------------------------------------------------------------------


class KeyConditions:
    """A Query's KeyConditions checked on their own; ``for_key`` meets them with the key schema, as
    ``KeyConditionExpression.for_key`` does for the expression."""

    __slots__ = ("conditions",)

    def __init__(self, conditions: Mapping):
        # dynalite's query validation (recorded against AWS): the values first, then the count.
        self.conditions = {
            name: (spec.get("ComparisonOperator"), checked_values(spec.get("ComparisonOperator"),
                                                                   spec.get("AttributeValueList") or []))
            for name, spec in conditions.items()
        }
        if len(self.conditions) not in (1, 2):
            raise ValidationException("Conditions can be of length 1 or 2 only")

    def for_key(self, partition_key: str, sort_key: str | None,
                key_types: dict[str, str] | None = None) -> KeyCondition:
        """The conditions against the table's key, checked key by key as dynalite's query action does
        (recorded against AWS): the partition key, then the sort key."""
        count = len(self.conditions)
        for name, partition in ((partition_key, True), (sort_key, False)):
            if name is None:
                continue
            if partition and sort_key is None and count > 1:
                raise ValidationException("Query key condition not supported")
            if name not in self.conditions:
                if partition or count > 1:
                    raise ValidationException(f"Query condition missed key schema element: {name}")
                continue
            operator, operands = self.conditions[name]
            if operator not in _KEY_OPERATORS:
                raise ValidationException("Attempted conditional constraint is not an indexable operation")
            if key_types is not None and any(key_types[name] not in operand for operand in operands):
                raise ValidationException(f"{INVALID}Condition parameter type does not match schema type")
            if partition and operator != "EQ":
                raise ValidationException("Query key condition not supported")
        partition_value = self.conditions[partition_key][1][0]
        sort = self.conditions.get(sort_key) if sort_key is not None else None
        if sort is None:
            return KeyCondition(partition_key, partition_value, sort_key, None, ())
        return KeyCondition(partition_key, partition_value, sort_key, _KEY_OPERATORS[sort[0]], sort[1])


# --- AttributeUpdates -----------------------------------------------------------------------------------


class AttributeUpdates:
    """UpdateItem's AttributeUpdates with ``UpdateExpression``'s interface (``apply``, ``paths``,
    ``attributes``, ``nested_attributes``, ``updated``), so UpdateItem runs either the same way.

    Actions (API Reference, ``AttributeValueUpdate``): PUT (the default) sets the value; DELETE
    without a value removes the attribute, with a set removes those members (and the attribute once
    empty); ADD adds a number, unites sets, or appends to a list, and on a missing attribute sets the
    value. ADD or DELETE of another type than the attribute's is refused with dynalite's wording.
    """

    __slots__ = ("_actions", "paths", "attributes", "nested_attributes", "updated")

    def __init__(self, updates: Mapping):
        self._actions: list[tuple[str, str, dict | None]] = []
        for name, spec in updates.items():
            spec = spec if type(spec) is dict else {}
            action, value = spec.get("Action") or "PUT", spec.get("Value")
            # dynalite's updateItem validation, recorded against AWS.
            if value is not None:
                value = values.validate_value(value)
            if value is None and action != "DELETE":
                raise ValidationException(f"{INVALID}Only DELETE action is allowed when no attribute value is"
                                          " specified")
            kind = None if value is None else values.type_of(value)
            if action == "DELETE" and kind is not None and kind not in _SETS:
                raise ValidationException(f"{INVALID}DELETE action with value is not supported for the"
                                          f" type {kind}")
            if action == "ADD" and kind not in _ADDABLE:
                raise ValidationException(f"{INVALID}ADD action is not supported for the type {kind}")
            self._actions.append((name, action, value))
        self.paths = tuple((name,) for name, _, _ in self._actions)
        self.attributes = frozenset(name for name, _, _ in self._actions)
        self.nested_attributes: frozenset[str] = frozenset()
        self.updated: Callable[[dict], dict] = projector(self.paths)

    def apply(self, item: dict, *, existing: bool = True) -> dict:
        """The updated item as a new dict; ``existing`` is accepted for UpdateExpression's interface
        (a missing item's attributes are all missing, so every action treats it alike)."""
        result = dict(item)
        for name, action, value in self._actions:
            current = result.get(name)
            if action == "PUT":
                result[name] = value
            elif action == "ADD":
                result[name] = value if current is None else _add(current, value)
            elif value is None:
                result.pop(name, None)
            elif current is not None:
                kept = _delete(current, value)
                if kept is None:
                    del result[name]
                else:
                    result[name] = kept
        return result


def _add(current: dict, value: dict) -> dict:
    kind = values.type_of(value)
    if kind not in current:
        raise ValidationException("Type mismatch for attribute to update")
    if kind == "N":
        return {"N": numbers.add(current["N"], value["N"])}
    if kind == "L":
        return {"L": current["L"] + value["L"]}
    # Canonical members have one spelling each, so set membership is string membership.
    present = set(current[kind])
    return {kind: current[kind] + [member for member in value[kind] if member not in present]}


def _delete(current: dict, value: dict) -> dict | None:
    kind = values.type_of(value)
    if kind not in current:
        raise ValidationException("Type mismatch for attribute to update")
    unwanted = set(value[kind])
    kept = [member for member in current[kind] if member not in unwanted]
    return {kind: kept} if kept else None  # DynamoDB has no empty sets: the attribute goes

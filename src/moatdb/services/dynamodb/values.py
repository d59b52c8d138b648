"""Attribute values in their wire form, exactly as DynamoDB defines them.

An item is a ``dict`` of attribute name -> attribute value, and an attribute value is the wire
form itself: ``{"S": "text"}``, ``{"N": "1.5"}`` (a canonical decimal string), ``{"B": "<base64>"}``,
``{"BOOL": true}``, ``{"NULL": true}``, ``{"L": [...]}``, ``{"M": {...}}``, ``{"SS": [...]}``,
``{"NS": [...]}``, ``{"BS": [...]}``. Items are stored as their wire JSON, so keeping this form
in memory means no conversion on the way in or out.

Validated values are canonical: numbers in ``numbers.normalize``'s spelling and binaries in
canonical base64 (padding bits zero), so equal values have equal strings and set members and
equality can be compared as plain strings.

Error wording follows what AWS returns, as captured by dynalite's tests (run against AWS) and the
dynamodb-conformance suite (``tests/tier3/error-messages/valueLayers.test.ts``). DynamoDB checks
values in one of two layers depending on the operation, and they word a bad number or a duplicate
set member differently: the current one (PutItem, UpdateItem, DeleteItem, GetItem, BatchGetItem,
Query) and an older one (BatchWriteItem, TransactWriteItems, TransactGetItems, Scan), selected here
with ``legacy=True``. Operations add their own envelope ("1 validation error detected: ...",
"ExpressionAttributeValues contains invalid value: ... for key :v") around these messages.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

from moatdb.errors import SerializationException, ValidationException
from moatdb.services.dynamodb import numbers

MAX_ITEM_SIZE = 400 * 1024
# Developer Guide, "Service, account, and table quotas" (nested attribute depth): 32 levels, the
# attribute itself being level 1. AWS accepts 31 map wraps around a scalar and refuses 32.
MAX_NESTING = 32

_INVALID = "One or more parameter values were invalid: "
EMPTY_VALUE = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
MULTIPLE_TYPES = (
    "Supplied AttributeValue has more than one datatypes set, "
    "must contain exactly one of the supported datatypes"
)
NULL_NOT_TRUE = _INVALID + "Null attribute value types must have the value of true"
NESTED_TOO_DEEP = (
    "Nesting Levels have exceeded supported limits: "
    "Attributes in the item have nested levels beyond supported limit"
)
# DynamoDB's own wording, doubled space and "An string" included.
_EMPTY_SET = {
    "SS": _INVALID + "An string set  may not be empty",
    "NS": _INVALID + "An number set  may not be empty",
    "BS": _INVALID + "Binary sets should not be empty",
}
_NULL_MEMBER = {
    "SS": _INVALID + "An string set may not have a null string as a member",
    "NS": numbers.NOT_NUMERIC,
    "BS": _INVALID + "Binary sets may not contain null or empty values",
}

# Coral's JSON deserializer messages (SerializationException), per expected shape.
_STRUCTURE_HERE = "Start of structure or map found where not expected"
_UNEXPECTED_FIELD = "Unexpected field type"
_MAP_AS_LIST = (
    "Unrecognized collection type "
    "java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>"
)
_VALUE_AS_LIST = "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue"
_VALUE_AS_SCALAR = "Unexpected value type in payload"
_B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_CANONICAL_B64_CHARS = re.compile(r"[A-Za-z0-9+/]*={0,2}")

_SETS = ("SS", "NS", "BS")


# --- validation ------------------------------------------------------------------------------


def validate_item(item: object, *, legacy: bool = False) -> dict:
    """Validate an item from a request (PutItem's Item) and return it with numbers normalized.

    Raises ``ValidationException`` with DynamoDB's exact message for: a value with zero or more
    than one type, empty sets, duplicate set members, invalid numbers (format, >38 significant
    digits, out of range), NULL not true, nesting deeper than 32 levels, and nested values
    likewise; ``SerializationException`` for wrong JSON types (``{"S": 5}``), which DynamoDB
    reports before any validation error wherever in the item they are.

    ``item`` is the decoded JSON; its absence (JSON null) is the caller's "must not be null" error.
    """
    if type(item) is not dict:
        raise SerializationException(_MAP_AS_LIST if type(item) is list else _UNEXPECTED_FIELD)
    try:
        return {name: _value(value, 1, legacy) for name, value in item.items()}
    except ValidationException:
        _check_shapes(item, _map_shape)
        raise


def validate_value(value: object, *, legacy: bool = False) -> dict:
    """Validate one attribute value (e.g. an ExpressionAttributeValues entry); return it normalized."""
    try:
        return _value(value, 1, legacy)
    except ValidationException:
        _check_shapes(value, _value_shape)
        raise


def _value(raw: object, level: int, legacy: bool) -> dict:
    """Validate one attribute value at nesting ``level`` (1 for an item's attribute)."""
    if type(raw) is not dict:
        if raw is None:
            raise ValidationException(EMPTY_VALUE)
        raise SerializationException(_VALUE_AS_LIST if type(raw) is list else _VALUE_AS_SCALAR)
    if level > MAX_NESTING:
        raise ValidationException(NESTED_TOO_DEEP)
    found: tuple[str, object, object] | None = None
    several = False
    # Every member present is checked, in order, before "more than one type" is reported: DynamoDB
    # answers {"S": "a", "N": "b"} with the number error (dynalite test "empty/invalid numbers").
    for tag, member in raw.items():
        check = _MEMBERS.get(tag)
        if check is None or member is None:  # unknown members are ignored; JSON null means absent
            continue
        if found is not None:
            several = True
        found = (tag, member, check(tag, member, level, legacy))
    if found is None:
        raise ValidationException(EMPTY_VALUE)
    if several:
        raise ValidationException(MULTIPLE_TYPES)
    tag, member, normalized = found
    return raw if normalized is member and len(raw) == 1 else {tag: normalized}


def _scalar(tag: str, member: object, level: int, legacy: bool) -> object:
    if tag == "B":
        _blob(member)
    elif tag in ("BOOL", "NULL"):
        _boolean(member)
        if member is False and tag == "NULL":
            raise ValidationException(NULL_NOT_TRUE)
    else:
        _string(member, "String")
        if tag == "N":
            return _number(member, legacy)
    return member


def _set(tag: str, member: object, level: int, legacy: bool) -> list:
    members = _list(member)
    for each in members:
        if each is None:
            continue
        if tag == "BS":
            _blob(each)
        else:
            _string(each, "String")
    if not members:
        raise ValidationException(_EMPTY_SET[tag])
    if None in members:
        raise ValidationException(_NULL_MEMBER[tag])
    if tag == "NS":
        members = [_number(each, legacy) for each in members]
    if len(set(members)) != len(members):
        raise ValidationException(_duplicates_message(tag, members, legacy))
    return members


def _list_value(tag: str, member: object, level: int, legacy: bool) -> list:
    return [_value(each, level + 1, legacy) for each in _list(member)]


def _map_value(tag: str, member: object, level: int, legacy: bool) -> dict:
    if type(member) is not dict:
        raise SerializationException(_MAP_AS_LIST if type(member) is list else _UNEXPECTED_FIELD)
    return {name: _value(each, level + 1, legacy) for name, each in member.items()}


_MEMBERS: dict[str, Callable[[str, object, int, bool], object]] = {
    "S": _scalar, "N": _scalar, "B": _scalar, "BOOL": _scalar, "NULL": _scalar,
    "SS": _set, "NS": _set, "BS": _set, "L": _list_value, "M": _map_value,
}


def _number(text: str, legacy: bool) -> str:
    if legacy and not text:
        raise ValidationException(numbers.NOT_NUMERIC)  # the older layer drops ": " for ""
    return numbers.normalize(text)


def _duplicates_message(tag: str, members: list[str], legacy: bool) -> str:
    if tag == "NS" and legacy:  # neither layer names the members of a number set
        return "Input collection contains duplicates"
    if tag == "NS":
        return f"{_INVALID}Input collection contains duplicates."
    if legacy:
        listed = "[" + ", ".join(members) + "]"
    else:
        # The current layer lists the members it had collected, in byte order, up to the first
        # repeat, then the repeat, then the rest as sent: SS [b, a, b] -> ["a", "b", "b"].
        repeat = _first_repeat(members)
        key = base64.b64decode if tag == "BS" else None
        shown = [*sorted(members[:repeat], key=key), *members[repeat:]]
        listed = "[" + (",".join if tag == "BS" else ", ".join)(f'"{each}"' for each in shown) + "]"
    if tag == "BS":  # sic: no space before "of"
        return f"{_INVALID}Input collection {listed}of type BS contains duplicates."
    return f"{_INVALID}Input collection {listed} contains duplicates."


def _first_repeat(members: list[str]) -> int:
    seen: set[str] = set()
    for index, each in enumerate(members):
        if each in seen:
            return index
        seen.add(each)
    raise ValueError("no repeated member")


def check_nesting(value: dict) -> None:
    """Refuse an attribute value (already valid, counted from level 1) that nests deeper than
    DynamoDB allows. Each value a request sends is checked as it is validated; this is for values
    an UpdateExpression builds from others (``SET a.b.c = a``), which DynamoDB refuses with the
    same error as a stored item (the conformance suite's nesting tests, captured against AWS)."""
    pending = [(value, 1)]
    while pending:
        each, level = pending.pop()
        if level > MAX_NESTING:
            raise ValidationException(NESTED_TOO_DEEP)
        tag = next(iter(each))
        if tag == "L":
            pending.extend((child, level + 1) for child in each["L"])
        elif tag == "M":
            pending.extend((child, level + 1) for child in each["M"].values())


# --- wire shapes (SerializationException) -----------------------------------------------------


def _string(raw: object, target: str) -> None:
    """Coral's complaint when a JSON value is not a string; ``target`` names the Java type wanted."""
    if type(raw) is str:
        return
    if type(raw) is bool:
        kind = "TRUE_VALUE" if raw else "FALSE_VALUE"
    elif type(raw) is int:
        kind = "NUMBER_VALUE"
    elif type(raw) is float:
        kind = "DECIMAL_VALUE"
    elif type(raw) is list:
        raise SerializationException(f"Unrecognized collection type class java.lang.{target}")
    else:
        raise SerializationException(_STRUCTURE_HERE)
    raise SerializationException(f"{kind} cannot be converted to {target}")


def _boolean(raw: object) -> None:
    if type(raw) is bool:
        return
    if type(raw) is str:
        raise SerializationException("Unexpected token received from parser")
    _string(raw, "Boolean")


def _blob(raw: object) -> None:
    """A binary is a base64 string; Coral refuses any other spelling of the bytes."""
    if type(raw) is not str:
        if type(raw) is list:
            raise SerializationException("Unrecognized collection type class java.nio.ByteBuffer")
        if type(raw) is dict:
            raise SerializationException(_STRUCTURE_HERE)
        raise SerializationException("only base-64-encoded strings are convertible to bytes")
    if len(raw) % 4:
        raise SerializationException(
            f"Base64 encoded length is expected a multiple of 4 bytes but found: {len(raw)}"
        )
    padding = len(raw) - len(raw.rstrip("="))
    if _CANONICAL_B64_CHARS.fullmatch(raw) and not _stray_pad_bits(raw, padding):
        return
    # Coral checks the bits under the padding before the characters themselves: "=+/=" is refused
    # for its last non-pad character, not its leading "=" (dynalite test helpers, Blob).
    if padding in (1, 2) and _stray_pad_bits(raw, padding):
        raise SerializationException("Invalid last non-pad Base64 character dectected")  # sic
    stray = next(c for c in raw[: len(raw) - min(padding, 2)] if c not in _B64_ALPHABET)
    raise SerializationException(f"Invalid Base64 character: '{stray}'")


def _stray_pad_bits(raw: str, padding: int) -> bool:
    """Whether the last character before the padding carries bits the padding says are unused."""
    if padding not in (1, 2) or len(raw) == padding:
        return False
    position = _B64_ALPHABET.find(raw[-padding - 1])
    return position > 0 and bool(position & (0b11 if padding == 1 else 0b1111))


def _list(raw: object) -> list:
    if type(raw) is list:
        return raw
    if type(raw) is dict:
        raise SerializationException(_STRUCTURE_HERE)
    raise SerializationException(_UNEXPECTED_FIELD)


def _check_shapes(root: object, shape: Callable[[object], list]) -> None:
    """Raise the first wire-shape error in document order, if any.

    Coral deserializes the whole request before DynamoDB validates anything, so a wrong JSON type
    anywhere wins over a validation error found earlier in the item. Iterative, because a body
    may nest far deeper than the validation pass (which stops at 32 levels) ever recurses.
    """
    pending: list[tuple[Callable[[object], list], object]] = [(shape, root)]
    while pending:
        check, raw = pending.pop()
        if raw is not None:  # JSON null is an absent member
            pending.extend(reversed(check(raw)))


def _map_shape(raw: object) -> list:
    if type(raw) is not dict:
        raise SerializationException(_MAP_AS_LIST if type(raw) is list else _UNEXPECTED_FIELD)
    return [(_value_shape, each) for each in raw.values()]


def _value_shape(raw: object) -> list:
    if type(raw) is not dict:
        raise SerializationException(_VALUE_AS_LIST if type(raw) is list else _VALUE_AS_SCALAR)
    return [(_MEMBER_SHAPES[tag], member) for tag, member in raw.items() if tag in _MEMBER_SHAPES]


def _leaf(check: Callable[[object], None]) -> Callable[[object], list]:
    def shape(raw: object) -> list:
        check(raw)
        return []

    return shape


def _list_of(member: Callable[[object], list]) -> Callable[[object], list]:
    def shape(raw: object) -> list:
        return [(member, each) for each in _list(raw)]

    return shape


_string_shape = _leaf(lambda raw: _string(raw, "String"))
_blob_shape = _leaf(_blob)
_MEMBER_SHAPES: dict[str, Callable[[object], list]] = {
    "S": _string_shape, "N": _string_shape, "B": _blob_shape,
    "BOOL": _leaf(_boolean), "NULL": _leaf(_boolean),
    "SS": _list_of(_string_shape), "NS": _list_of(_string_shape), "BS": _list_of(_blob_shape),
    "L": _list_of(_value_shape), "M": _map_shape,
}


# --- sizes -----------------------------------------------------------------------------------


def item_size(item: dict) -> int:
    """The item's size in bytes by DynamoDB's rules (names' UTF-8 length + values' sizes)."""
    return sum(_utf8_size(name) + value_size(value) for name, value in item.items())


def value_size(value: dict) -> int:
    """One attribute value's size in bytes by DynamoDB's rules.

    Developer Guide, "Item sizes and formats": strings by UTF-8 bytes, binaries by raw bytes,
    NULL and BOOL 1 byte, a List or Map 3 bytes plus 1 byte per element (plus, for a Map, each
    key's UTF-8 length), numbers as ``numbers.byte_size``. Sets cost the sum of their members
    (dynalite's ``valSize``, checked against AWS).
    """
    tag = next(iter(value))
    return _SIZES[tag](value[tag])


def _utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def _binary_size(text: str) -> int:
    return len(text) // 4 * 3 - (text[-1:] == "=") - (text[-2:] == "==")


_SIZES: dict[str, Callable[[object], int]] = {
    "S": _utf8_size,
    "N": numbers.byte_size,
    "B": _binary_size,
    "BOOL": lambda _: 1,
    "NULL": lambda _: 1,
    "SS": lambda members: sum(map(_utf8_size, members)),
    "NS": lambda members: sum(map(numbers.byte_size, members)),
    "BS": lambda members: sum(map(_binary_size, members)),
    "L": lambda values: 3 + len(values) + sum(map(value_size, values)),
    "M": lambda values: 3 + sum(_utf8_size(name) + 1 + value_size(each) for name, each in values.items()),
}


# --- comparison ------------------------------------------------------------------------------


def type_of(value: dict) -> str:
    """The value's type descriptor: "S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS" or "BS"."""
    return next(iter(value))


def compare(a: dict, b: dict) -> int | None:
    """-1, 0 or 1 for two values of the same scalar type ordered as DynamoDB orders them (N
    numerically, S by UTF-8 bytes, B by bytes); None when DynamoDB cannot compare them."""
    tag = next(iter(a))
    if tag not in b:
        return None
    left, right = a[tag], b[tag]
    if left == right:
        return 0 if tag in ("S", "N", "B") else None
    if tag == "N":
        left, right = numbers.to_decimal(left), numbers.to_decimal(right)
    elif tag == "B":
        left, right = base64.b64decode(left), base64.b64decode(right)
    elif tag != "S":
        return None
    # Code point order is UTF-8 byte order, so Python's str comparison is DynamoDB's.
    return -1 if left < right else 1


def equal(a: dict, b: dict) -> bool:
    """DynamoDB equality: same type and same value (numbers numerically, sets regardless of order).

    Both values must be canonical (validated, or stored): then a number or a binary has exactly one
    spelling, and comparing strings is comparing values.
    """
    tag = next(iter(a))
    if tag not in b:
        return False
    left, right = a[tag], b[tag]
    if tag in _SETS:
        return len(left) == len(right) and set(left) == set(right)
    if tag == "L":
        return len(left) == len(right) and all(map(equal, left, right))
    if tag == "M":
        return left.keys() == right.keys() and all(equal(each, right[name]) for name, each in left.items())
    return left == right

"""Request validation against an AWS service model, with the errors Coral (AWS's service framework) gives.

Every JSON-protocol AWS service runs on Coral, which checks a request against the operation's
model before any service code sees it, in two passes:

1. Deserialization. A JSON value of the wrong type raises ``SerializationException`` naming the
   token and the Java type wanted ("NUMBER_VALUE cannot be converted to String"). Coral reads the
   body in document order and stops at the first bad value. Members the model does not know are
   ignored, and a JSON null counts as an absent member (but a null list element or map value is a
   constraint violation of its own: see ``_nullable``).
2. Constraints (required, length, range, pattern, enum). Coral gathers every violation into one
   ``ValidationException``: "2 validation errors detected: Value 'a;' at 'tableName' failed to
   satisfy constraint: Member must ...; ...", and lists at most 10 of them.

Wording, paths and value renderings are Coral's as captured from the live service by dynalite's
test suite (architect/dynalite, test/helpers.js and test/*.js). Where those captures show an order
(errors across members, enum values), it is Java hash-table order; see ``_hashmap_order``.

Speed: each shape compiles once into a closure that type-checks and answers one question: does any
constraint fail? Only when one does is the request walked again to word the errors, in Coral's
order. A valid GetItem costs a few microseconds.
"""

from __future__ import annotations

import base64
import math
import re
import struct
import sys
import unicodedata
from collections.abc import Callable, Iterable
from functools import cache

from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel

from moatdb.errors import SerializationException, UnknownOperationException, ValidationException

MAX_ERRORS = 10  # Coral lists at most ten violations (dynalite's Query/Scan captures stop at ten)

_STRUCTURE_HERE = "Start of structure or map found where not expected"
_NOT_NULL = "Member must not be null"
_UNEXPECTED_FIELD = "Unexpected field type"
_UNEXPECTED_VALUE = "Unexpected value type in payload"
# A list or map nested directly in a list or map, given a scalar, trips a Java cast inside Coral.
_GENERIC_CAST = (
    "class sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl cannot be cast to class "
    "java.lang.Class (sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl and "
    "java.lang.Class are in module java.base of loader 'bootstrap')"
)
_B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")

_JAVA_SCALARS = {
    "string": "java.lang.String",
    "boolean": "java.lang.Boolean",
    "integer": "java.lang.Integer",
    "long": "java.lang.Long",
    "float": "java.lang.Float",
    "double": "java.lang.Double",
    "blob": "java.nio.ByteBuffer",
    "timestamp": "java.util.Date",
}
_INT_BITS = {"integer": 32, "long": 64}
_UTF16 = "utf-16-le" if sys.byteorder == "little" else "utf-16-be"  # native order, for memoryview
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "structure": (dict,), "map": (dict,), "list": (list,), "string": (str,), "blob": (str,),
    "boolean": (bool,), "integer": (int, float), "long": (int, float), "float": (int, float),
    "double": (int, float), "timestamp": (int, float),
}  # fmt: skip
_NUMBERS = frozenset({"integer", "long", "float", "double", "timestamp"})

Check = Callable[[object], object]  # True: valid; False: a constraint fails; _Fixed: see below

# Where the live service enforces a constraint its published model lacks: (structure, member) ->
# constraints. Keyed by member, not shape, because the same shape can be bounded in one place only.
_OVERRIDES: dict[str, dict[tuple[str, str], dict[str, int]]] = {
    "dynamodb": {
        # A table's or LSI's key schema holds at most two elements: "Value '[...]' at 'keySchema'
        # failed to satisfy constraint: Member must have length less than or equal to 2" (dynalite
        # test/createTable.js; ack-api-quirks DDB-TABLE-042, 2026). A GSI's KeySchema, the same
        # shape, takes up to eight since multi-attribute keys, so it is left as modelled.
        ("CreateTableInput", "KeySchema"): {"max": 2},
        ("LocalSecondaryIndex", "KeySchema"): {"max": 2},
    },
}


class _Fixed:
    """A number Coral narrowed on the way in (1.7 given for an Integer is 1); the caller stores it."""

    __slots__ = ("value", "ok")

    def __init__(self, value: int, ok: bool):
        self.value = value
        self.ok = ok


class _Shape:
    """One model shape, with its constraints compiled and its Coral names worked out."""

    __slots__ = (
        "name", "kind", "java", "skip", "min", "max", "pattern", "pattern_text", "enum", "enum_text",
        "member", "key", "value", "members", "wire_names", "required", "error_order",
    )  # fmt: skip

    def __init__(self, name: str, kind: str):
        self.name = name
        self.kind = kind
        self.java = ""
        self.skip = False
        self.min: float | None = None
        self.max: float | None = None
        self.pattern: re.Pattern[str] | None = None
        self.pattern_text = ""
        self.enum: frozenset[str] = frozenset()
        self.enum_text = ""
        self.member: _Shape | None = None  # list element
        self.key: _Shape | None = None  # map key and value
        self.value: _Shape | None = None
        self.members: dict[str, _Shape] = {}  # structure: wire name -> shape
        self.wire_names: dict[str, str] = {}  # wire name -> Coral's path segment ("tableName")
        self.required: tuple[str, ...] = ()
        self.error_order: tuple[str, ...] = ()

    @property
    def constrained(self) -> bool:
        return self.min is not None or self.max is not None or self.pattern is not None or bool(self.enum)


class ServiceShapes:
    """One AWS service's request shapes, compiled for validation.

    ``skip_shapes`` names shapes validated elsewhere (DynamoDB's AttributeValue): only their JSON
    container type is checked here, nothing inside them.
    """

    def __init__(
        self, service: str, *, skip_shapes: Iterable[str] = frozenset(), loader: Loader | None = None
    ):
        raw = (loader or Loader()).load_service_model(service, "service-2")
        self.model = ServiceModel(raw, service_name=service)
        self._raw = raw["shapes"]
        self._skip = frozenset(skip_shapes)
        self._overrides = _OVERRIDES.get(service, {})
        meta = raw["metadata"]
        # Coral's Java package, as its messages print it: com.amazonaws.dynamodb.v20120810.
        self._package = f"com.amazonaws.{meta['endpointPrefix']}.v{meta['apiVersion'].replace('-', '')}"
        self._inputs = {name: op.get("input", {}).get("shape") for name, op in raw["operations"].items()}
        self._shapes: dict[str, _Shape] = {}
        self._compiled: dict[tuple[int, bool], Check] = {}
        # All up front (8 ms for DynamoDB): nothing is half-built when requests arrive on threads.
        self._checks = {operation: self._compile_operation(name) for operation, name in self._inputs.items()}

    def operations(self) -> frozenset[str]:
        return frozenset(self._inputs)

    def operation_model(self, operation: str) -> OperationModel:
        return self.model.operation_model(operation)

    def validate(self, operation: str, params: object) -> None:
        """Raise Coral's ``SerializationException`` or ``ValidationException`` if ``params`` (the
        parsed JSON body, of any JSON type) does not fit the operation's input shape.

        A decimal given for an Integer or Long member is truncated in place, as Coral does, so
        the operation always sees an ``int``.
        """
        entry = self._checks.get(operation)
        if entry is None:
            raise UnknownOperationException()
        check, shape = entry
        if params is None:  # a JSON null body is an empty request
            params = {}
        if check(params) is not True and shape is not None:
            errors: list[str] = []
            try:
                _explain_children(shape, params, "", errors)
            except _Enough:
                pass
            count = len(errors)
            raise ValidationException(
                f"{count} validation error{'s' if count > 1 else ''} detected: {'; '.join(errors)}"
            )

    # --- compilation -----------------------------------------------------------------------------

    def _compile_operation(self, input_shape: str | None) -> tuple[Check, _Shape | None]:
        if input_shape is None:
            return _accept, None
        # The body is read as a value, not a structure's field (a guess: no capture of a JSON
        # array or scalar body exists).
        shape = self._shape(input_shape)
        return self._check(shape, True), shape

    def _shape(self, name: str) -> _Shape:
        """The descriptor for a model shape, built once; recursive shapes refer to themselves."""
        shape = self._shapes.get(name)
        if shape is not None:
            return shape
        raw = self._raw[name]
        shape = self._shapes[name] = _Shape(name, raw["type"])
        shape.skip = name in self._skip
        shape.min = raw.get("min")
        shape.max = raw.get("max")
        if "pattern" in raw:
            shape.pattern_text = raw["pattern"]
            shape.pattern = re.compile(_java_regex(raw["pattern"]), re.ASCII)
        if "enum" in raw:
            shape.enum = frozenset(raw["enum"])
            shape.enum_text = ", ".join(_enum_order(raw["enum"]))
        if shape.kind == "structure":
            shape.java = f"{self._package}.{name}"
            shape.members = {wire: self._member(name, wire, m["shape"]) for wire, m in raw["members"].items()}
            shape.wire_names = {wire: wire[:1].lower() + wire[1:] for wire in raw["members"]}
            shape.required = tuple(raw.get("required", ()))
            # Coral keeps members in a HashMap keyed by path name, filled in reverse model order.
            paths = [shape.wire_names[wire] for wire in reversed(raw["members"])]
            by_path = {path: wire for wire, path in shape.wire_names.items()}
            shape.error_order = tuple(by_path[path] for path in _hashmap_order(paths))
        elif shape.kind == "list":
            shape.member = self._shape(raw["member"]["shape"])
            shape.java = f"java.util.List<{shape.member.java}>"
        elif shape.kind == "map":
            shape.key = self._shape(raw["key"]["shape"])
            shape.value = self._shape(raw["value"]["shape"])
            shape.java = f"java.util.Map<java.lang.String, {shape.value.java}>"
        else:
            shape.java = _JAVA_SCALARS[shape.kind]
        return shape

    def _member(self, structure: str, wire: str, target: str) -> _Shape:
        shape = self._shape(target)
        override = self._overrides.get((structure, wire))
        if override is None:
            return shape
        bounded = _Shape(shape.name, shape.kind)
        for slot in _Shape.__slots__:
            setattr(bounded, slot, getattr(shape, slot))
        for constraint, value in override.items():
            setattr(bounded, constraint, value)
        self._shapes[f"{structure}.{wire}"] = bounded
        return bounded

    def _check(self, shape: _Shape, in_value: bool) -> Check:
        """The compiled check for ``shape`` where it sits: a structure's field, or a list element
        or map value (``in_value``), which Coral words differently when the JSON type is wrong."""
        key = (id(shape), in_value)
        check = self._compiled.get(key)
        if check is None:
            # Recursive shapes see this trampoline until the real check exists.
            cell: list[Check] = []
            self._compiled[key] = lambda raw: cell[0](raw)
            check = self._build(shape, in_value)
            cell.append(check)
            self._compiled[key] = check
        return check

    def _build(self, shape: _Shape, in_value: bool) -> Check:
        kind = shape.kind
        if kind == "structure":
            return _structure_check(shape, in_value, self)
        if kind == "list":
            return _list_check(shape, in_value, self)
        if kind == "map":
            return _map_check(shape, in_value, self)
        if kind == "string":
            return _string_check(shape)
        if kind in _INT_BITS:
            return _integer_check(shape)
        if kind in _NUMBERS:
            return _number_check(shape)
        if kind == "boolean":
            return _boolean_check(shape)
        return _blob_check(shape)


def _accept(raw: object) -> bool:
    return True


# --- compiled checks ---------------------------------------------------------------------------


def _structure_check(shape: _Shape, in_value: bool, shapes: ServiceShapes) -> Check:
    if shape.skip:
        return _container_check(shape, dict, in_value)
    members = {wire: shapes._check(member, False) for wire, member in shape.members.items()}
    lookup = members.get
    required = shape.required

    def check(raw: object) -> object:
        if type(raw) is not dict:
            raise _mismatch(shape, raw, in_value)
        ok = True
        for wire, value in raw.items():
            member = lookup(wire)
            if member is None or value is None:
                continue
            result = member(value)
            if result is not True:
                ok = _settle(result, raw, wire) and ok
        for wire in required:
            if raw.get(wire) is None:
                ok = False
        return ok

    return check


def _list_check(shape: _Shape, in_value: bool, shapes: ServiceShapes) -> Check:
    if shape.skip:
        return _container_check(shape, list, in_value)
    element = shapes._check(shape.member, True)  # type: ignore[arg-type]
    nullable = _nullable(shape.member)  # type: ignore[arg-type]
    low, high = _bounds(shape)

    def check(raw: object) -> object:
        if type(raw) is not list:
            raise _mismatch(shape, raw, in_value)
        ok = low <= len(raw) <= high
        for index, value in enumerate(raw):
            if value is not None:
                result = element(value)
                if result is not True:
                    ok = _settle(result, raw, index) and ok
            elif not nullable:
                ok = False
        return ok

    return check


def _map_check(shape: _Shape, in_value: bool, shapes: ServiceShapes) -> Check:
    if shape.skip:
        return _container_check(shape, dict, in_value)
    key = _string_check(shape.key) if shape.key.constrained else None  # type: ignore[union-attr]
    value_check = shapes._check(shape.value, True)  # type: ignore[arg-type]
    low, high = _bounds(shape)
    if shape.value.skip and shape.value.kind in ("structure", "map"):  # type: ignore[union-attr]
        # An item or key: checked per attribute, so the value test is inlined.
        value_shape = shape.value

        def check_items(raw: object) -> bool:
            if type(raw) is not dict:
                raise _mismatch(shape, raw, in_value)
            ok = low <= len(raw) <= high
            for name, value in raw.items():
                if key is not None and key(name) is not True:
                    ok = False
                if type(value) is not dict and value is not None:
                    raise _mismatch(value_shape, value, True)  # type: ignore[arg-type]
            return ok

        return check_items

    nullable = _nullable(shape.value)  # type: ignore[arg-type]

    def check(raw: object) -> object:
        if type(raw) is not dict:
            raise _mismatch(shape, raw, in_value)
        ok = low <= len(raw) <= high
        for name, value in raw.items():
            if key is not None and key(name) is not True:
                ok = False
            if value is not None:
                result = value_check(value)
                if result is not True:
                    ok = _settle(result, raw, name) and ok
            elif not nullable:
                ok = False
        return ok

    return check


def _nullable(element: _Shape) -> bool:
    """Whether a list element or map value may be JSON null. A structure's member may (null is
    absent), but an element or a map value may not: "Value '[null]' at 'assets' failed to satisfy
    constraint: Member must satisfy constraint: [Member must not be null]" (Cognito, another Coral
    service, as measured live for floci-io/floci's managed-login branding tests); a map value is
    worded as its other constraints are ("Map value must satisfy constraint: [...]"). A null
    attribute value (a skipped shape) is left to its own validator, as is all of its content."""
    return element.skip


def _settle(result: object, container: dict | list, slot: object) -> bool:
    """A child's answer that was not plain True: store a narrowed number, say whether it held."""
    if type(result) is _Fixed:
        container[slot] = result.value  # type: ignore[index]
        return result.ok
    return False


def _container_check(shape: _Shape, container: type, in_value: bool) -> Check:
    def check(raw: object) -> bool:
        if type(raw) is not container:
            raise _mismatch(shape, raw, in_value)
        return True

    return check


def _string_check(shape: _Shape) -> Check:
    low, high = _bounds(shape)
    lengths = shape.min is not None or shape.max is not None
    pattern = shape.pattern.fullmatch if shape.pattern else None
    enum = shape.enum or None

    def check(raw: object) -> bool:
        if type(raw) is not str:
            raise _mismatch(shape, raw, False)
        if lengths and not low <= _length(raw) <= high:
            return False
        if pattern is not None and pattern(raw) is None:
            return False
        return enum is None or raw in enum

    return check


def _integer_check(shape: _Shape) -> Check:
    bits = _INT_BITS[shape.kind]
    low, high = _bounds(shape)
    # Inside both the Java range and the constraints, a number needs no further thought.
    fast_low, fast_high = max(low, -(1 << (bits - 1))), min(high, (1 << (bits - 1)) - 1)

    def check(raw: object) -> object:
        kind = type(raw)
        if kind is int:
            if fast_low <= raw <= fast_high:  # type: ignore[operator]
                return True
        elif kind is not float or not math.isfinite(raw):  # type: ignore[arg-type]
            raise _mismatch(shape, raw, False)
        # Coral truncates a decimal and keeps the low bits of an oversized number, as Java does.
        narrowed = _java_int(int(raw), bits)  # type: ignore[call-overload]
        ok = low <= narrowed <= high
        return ok if narrowed == raw and kind is int else _Fixed(narrowed, ok)

    return check


def _number_check(shape: _Shape) -> Check:
    low, high = _bounds(shape)

    def check(raw: object) -> bool:
        if type(raw) is not int and type(raw) is not float:
            raise _mismatch(shape, raw, False)
        return low <= raw <= high  # type: ignore[operator]

    return check


def _boolean_check(shape: _Shape) -> Check:
    def check(raw: object) -> bool:
        if type(raw) is not bool:
            raise _mismatch(shape, raw, False)
        return True

    return check


def _blob_check(shape: _Shape) -> Check:
    low, high = _bounds(shape)

    def check(raw: object) -> bool:
        if type(raw) is not str:
            raise _mismatch(shape, raw, False)
        _check_base64(raw)
        return low <= _blob_length(raw) <= high

    return check


def _bounds(shape: _Shape) -> tuple[float, float]:
    return (
        -math.inf if shape.min is None else shape.min,
        math.inf if shape.max is None else shape.max,
    )


def _length(text: str) -> int:
    """Java's String.length(): UTF-16 code units, so a character outside the BMP counts twice."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def _blob_length(text: str) -> int:
    return len(text) // 4 * 3 - (len(text) - len(text.rstrip("=")))


def _java_int(value: int, bits: int) -> int:
    half = 1 << (bits - 1)
    return (value + half) % (1 << bits) - half


def _check_base64(text: str) -> None:
    if len(text) % 4:
        raise SerializationException(
            f"Base64 encoded length is expected a multiple of 4 bytes but found: {len(text)}"
        )
    # Coral checks the bits under the padding before the characters themselves: "=+/=" is refused
    # for its last non-pad character, not its leading "=" (dynalite test/helpers.js, Blob).
    if _stray_pad_bits(text):
        raise SerializationException("Invalid last non-pad Base64 character dectected")  # sic
    if _B64.fullmatch(text):
        return
    padding = min(len(text) - len(text.rstrip("=")), 2)
    stray = next(c for c in text[: len(text) - padding] if c not in _B64_ALPHABET)
    raise SerializationException(f"Invalid Base64 character: '{stray}'")


def _stray_pad_bits(text: str) -> bool:
    """Whether the character before the padding carries bits the padding says are unused."""
    padding = len(text) - len(text.rstrip("="))
    if padding not in (1, 2) or len(text) == padding:
        return False
    position = _B64_ALPHABET.find(text[-padding - 1])
    return position > 0 and bool(position & (0b11 if padding == 1 else 0b1111))


# --- wrong JSON types (SerializationException) --------------------------------------------------


def _mismatch(shape: _Shape, raw: object, in_value: bool) -> SerializationException:
    """Coral's complaint about ``raw`` where ``shape`` was expected (dynalite test/helpers.js)."""
    kind = shape.kind
    if type(raw) is dict:
        return SerializationException(_STRUCTURE_HERE)
    if type(raw) is list:
        prefix = "" if kind == "map" else "class "
        return SerializationException(f"Unrecognized collection type {prefix}{shape.java}")
    if kind == "structure":
        return SerializationException(_UNEXPECTED_VALUE if in_value else _UNEXPECTED_FIELD)
    if kind in ("list", "map"):
        return SerializationException(_GENERIC_CAST if in_value else _UNEXPECTED_FIELD)
    if kind == "blob":
        return SerializationException("only base-64-encoded strings are convertible to bytes")
    if kind == "boolean" and type(raw) is str:
        return SerializationException("Unexpected token received from parser")
    return SerializationException(f"{_token(raw)} cannot be converted to {shape.java.rsplit('.', 1)[1]}")


def _token(raw: object) -> str:
    if type(raw) is bool:
        return "TRUE_VALUE" if raw else "FALSE_VALUE"
    if type(raw) is int:
        return "NUMBER_VALUE"
    if type(raw) is float:
        return "DECIMAL_VALUE"
    return "STRING_VALUE"


# --- wording the violations (ValidationException), only once something failed -----------------


class _Enough(Exception):
    """Coral has listed as many violations as it ever lists."""


def _add(errors: list[str], value: str, path: str, constraint: str) -> None:
    errors.append(f"Value {value} at '{path}' failed to satisfy constraint: {constraint}")
    if len(errors) >= MAX_ERRORS:
        raise _Enough


def _explain(shape: _Shape, raw: object, path: str, errors: list[str]) -> None:
    """A member's own violations, one error each, then those inside it."""
    failures = _failures(shape, raw)
    if failures:
        shown = _quoted(shape, raw)
        for failure in failures:
            _add(errors, shown, path, failure)
    _explain_children(shape, raw, path, errors)


def _explain_children(shape: _Shape, raw: object, path: str, errors: list[str]) -> None:
    if shape.skip:
        return
    if shape.kind == "structure":
        assert type(raw) is dict
        for wire in shape.error_order:
            value = raw.get(wire)
            child = f"{path}.{shape.wire_names[wire]}" if path else shape.wire_names[wire]
            if value is None:
                if wire in shape.required:
                    _add(errors, "null", child, "Member must not be null")
            else:
                _explain(shape.members[wire], value, child, errors)
    elif shape.kind == "list":
        assert type(raw) is list and shape.member is not None
        element = shape.member
        for index, value in enumerate(raw, 1):
            if value is None:
                if not _nullable(element):
                    _add(errors, _quoted(shape, raw), path, f"Member must satisfy constraint: [{_NOT_NULL}]")
                continue
            # An element's own constraints are reported once, against the whole list.
            if element.constrained and _failures(element, value):
                _add(
                    errors, _quoted(shape, raw), path, f"Member must satisfy constraint: [{_rules(element)}]"
                )
            _explain_children(element, value, f"{path}.{index}.member", errors)
    elif shape.kind == "map":
        assert type(raw) is dict and shape.key is not None and shape.value is not None
        for name in _hashmap_order(list(raw)):
            if shape.key.constrained and _failures(shape.key, name):
                _add(
                    errors,
                    _quoted(shape, raw),
                    path,
                    f"Map keys must satisfy constraint: [{_rules(shape.key)}]",
                )
            value = raw[name]
            if value is None:
                if not _nullable(shape.value):
                    _add(errors, _quoted(shape, raw), path,
                         f"Map value must satisfy constraint: [{_NOT_NULL}]")
                continue
            if shape.value.constrained and _failures(shape.value, value):
                _add(
                    errors,
                    _quoted(shape, raw),
                    path,
                    f"Map value must satisfy constraint: [{_rules(shape.value)}]",
                )
            _explain_children(shape.value, value, f"{path}.{name}.member", errors)


def _failures(shape: _Shape, raw: object) -> list[str]:
    """The constraints ``raw`` breaks, in the order Coral reports them on one member."""
    if shape.skip or not shape.constrained:
        return []
    failed = []
    kind = shape.kind
    if kind == "string" and shape.pattern is not None and shape.pattern.fullmatch(raw) is None:  # type: ignore[arg-type]
        failed.append(f"Member must satisfy regular expression pattern: {shape.pattern_text}")
    if kind in ("string", "list", "map", "blob"):
        size = _size(kind, raw)
        if shape.min is not None and size < shape.min:
            failed.append(f"Member must have length greater than or equal to {_number(shape.min)}")
        if shape.max is not None and size > shape.max:
            failed.append(f"Member must have length less than or equal to {_number(shape.max)}")
    elif kind in _NUMBERS:
        if shape.min is not None and raw < shape.min:  # type: ignore[operator]
            failed.append(f"Member must have value greater than or equal to {_number(shape.min)}")
        if shape.max is not None and raw > shape.max:  # type: ignore[operator]
            failed.append(f"Member must have value less than or equal to {_number(shape.max)}")
    if shape.enum and raw not in shape.enum:
        failed.append(f"Member must satisfy enum value set: [{shape.enum_text}]")
    return failed


def _rules(shape: _Shape) -> str:
    """All of a shape's constraints, as Coral lists them for a list element, map key or map value:
    bounds high then low, then pattern, then enum (AWS messages for Lambda, ACM and DynamoDB)."""
    unit = "value" if shape.kind in _NUMBERS else "length"
    rules = []
    if shape.max is not None:
        rules.append(f"Member must have {unit} less than or equal to {_number(shape.max)}")
    if shape.min is not None:
        rules.append(f"Member must have {unit} greater than or equal to {_number(shape.min)}")
    if shape.pattern is not None:
        rules.append(f"Member must satisfy regular expression pattern: {shape.pattern_text}")
    if shape.enum:
        rules.append(f"Member must satisfy enum value set: [{shape.enum_text}]")
    return ", ".join(rules)


def _size(kind: str, raw: object) -> int:
    if kind == "string":
        return _length(raw)  # type: ignore[arg-type]
    if kind == "blob":
        return _blob_length(raw)  # type: ignore[arg-type]
    return len(raw)  # type: ignore[arg-type]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


# --- values as Java prints them -----------------------------------------------------------------


def _quoted(shape: _Shape, raw: object) -> str:
    return f"'{_render(shape, raw)}'"


def _render(shape: _Shape, raw: object) -> str:
    """``raw`` as Coral's Java object's toString() prints it: lists "[a, b]", maps "{k=v}",
    structures "com.amazonaws.dynamodb.v20120810.KeySchemaElement@21b90f"."""
    if raw is None:
        return "null"
    kind = shape.kind
    if kind == "list":
        return "[" + ", ".join(_render(shape.member, each) for each in raw) + "]"  # type: ignore[union-attr, arg-type]
    if kind == "map":
        entries = (f"{name}={_render(shape.value, raw[name])}" for name in _hashmap_order(list(raw)))  # type: ignore[call-overload, arg-type]
        return "{" + ", ".join(entries) + "}"
    if kind == "structure":
        return f"{shape.java}@{_java_hash(shape, raw) & 0xFFFFFFFF:x}"
    if kind == "boolean":
        return "true" if raw else "false"
    if kind == "blob":
        return f"java.nio.HeapByteBuffer[pos=0 lim={_blob_length(raw)} cap={_blob_length(raw)}]"  # type: ignore[arg-type]
    return str(raw)


def _java_hash(shape: _Shape, raw: object) -> int:
    """Java's hashCode() for the object Coral builds from ``raw`` (wrapping 32-bit arithmetic).

    A Coral structure hashes as 1 + the sum of its members' hashes: dynalite's captures print
    KeySchemaElement@62 for {AttributeName: "a"} and @21b90f for {KeyType: "HASH"}.
    """
    kind = shape.kind
    if type(raw) not in _JSON_TYPES[kind]:  # null, or unchecked content of a skipped shape
        return 0
    if kind == "structure":
        return _int32(1 + sum(_java_hash(shape.members[w], v) for w, v in raw.items() if w in shape.members))  # type: ignore[union-attr]
    if kind == "list":
        total = 1
        for each in raw:  # type: ignore[union-attr]
            total = _int32(31 * total + _java_hash(shape.member, each))  # type: ignore[arg-type]
        return total
    if kind == "map":
        return _int32(sum(_string_hash(k) ^ _java_hash(shape.value, v) for k, v in raw.items()))  # type: ignore[union-attr, arg-type]
    if kind == "string":
        return _string_hash(raw)  # type: ignore[arg-type]
    if kind == "boolean":
        return 1231 if raw else 1237
    if kind == "integer":
        return _int32(int(raw))  # type: ignore[call-overload]
    if kind in ("long", "timestamp"):
        number = int(raw * 1000) if kind == "timestamp" else int(raw)  # type: ignore[operator, call-overload]
        return _int32(number ^ ((number & 0xFFFFFFFFFFFFFFFF) >> 32))
    if kind in ("float", "double"):
        (bits,) = struct.unpack(">q", struct.pack(">d", float(raw)))  # type: ignore[arg-type]
        return _int32(bits ^ ((bits & 0xFFFFFFFFFFFFFFFF) >> 32))
    try:
        data = base64.b64decode(raw)  # type: ignore[arg-type]
    except ValueError:  # unchecked content of a skipped shape
        return 0
    total = 1  # ByteBuffer: from the last byte back, as signed bytes
    for byte in reversed(data):
        total = _int32(31 * total + (byte - 256 if byte > 127 else byte))
    return total


def _int32(value: int) -> int:
    return _java_int(value, 32)


def _string_hash(text: str) -> int:
    """Java's String.hashCode(), over UTF-16 code units."""
    total = 0
    for unit in memoryview(text.encode(_UTF16)).cast("H"):
        total = (31 * total + unit) & 0xFFFFFFFF
    return _int32(total)


# --- Coral's orders ----------------------------------------------------------------------------


def _hashmap_order(keys: list[str]) -> list[str]:
    """The order a java.util.HashMap (Java 8) iterates ``keys``, given in insertion order.

    Coral walks a structure's members, and a map's entries, in this order. Checked against the
    orders dynalite captured from DynamoDB (Query, Scan, GetItem errors; QueryFilter entries).
    """
    capacity = 16
    while len(keys) > capacity * 3 // 4:
        capacity *= 2

    def bucket(key: str) -> int:
        h = _string_hash(key) & 0xFFFFFFFF
        return (h ^ (h >> 16)) & (capacity - 1)

    return sorted(keys, key=bucket)  # stable: a bucket keeps insertion order


def _enum_order(values: list[str]) -> list[str]:
    """The order Coral prints an enum's values in: a 32-bucket hash table on String.hashCode,
    filled in reverse model order. It reproduces every enum list dynalite captured from DynamoDB
    ([SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES], the 13
    ComparisonOperators, [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW], [B, N, S], [OR, AND]),
    and API Gateway's [add, remove, move, test, replace, copy]. Past 24 values it is a guess."""
    capacity = 32
    while len(values) > capacity * 3 // 4:
        capacity *= 2
    return sorted(reversed(values), key=lambda value: _string_hash(value) & (capacity - 1))


# --- Java regular expressions in Python ---------------------------------------------------------


def _java_regex(pattern: str) -> str:
    """Rewrite the Java-only parts of a model pattern: \\p{...} classes and surrogate-pair ranges."""
    pattern = pattern.replace(r"\uD800\uDC00-\uDBFF\uDFFF", r"\U00010000-\U0010FFFF")
    out: list[str] = []
    depth = 0
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and pattern.startswith("p{", index + 1):
            end = pattern.index("}", index)
            ranges = _property_ranges(pattern[index + 3 : end])
            out.append(ranges if depth else f"[{ranges}]")
            index = end + 1
            continue
        if char == "\\":
            out.append(pattern[index : index + 2])
            index += 2
            continue
        depth += char == "["
        depth -= char == "]" and depth > 0
        out.append(char)
        index += 1
    return "".join(out)


@cache
def _property_ranges(name: str) -> str:
    """A character-class body for Java's \\p{Print} or a Unicode general category (\\p{L})."""
    if name == "Print":
        return r"\x20-\x7E"  # POSIX class, ASCII-only in Java
    ranges: list[str] = []
    start = previous = -2
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code)).startswith(name):
            if code != previous + 1:
                if start >= 0:
                    ranges.append(_range(start, previous))
                start = code
            previous = code
    if start >= 0:
        ranges.append(_range(start, previous))
    return "".join(ranges)


def _range(start: int, end: int) -> str:
    return f"\\U{start:08X}" if start == end else f"\\U{start:08X}-\\U{end:08X}"

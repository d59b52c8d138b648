"""An IAM request's parameters: the Query protocol's flat form fields, rebuilt into the structure of
the operation's input shape in botocore's model, then validated against that model in Coral's
words by ``moatdb.services.shapes`` (the validator of the JSON services, which sees here the very
structure a JSON body would have carried).

The Query protocol's names (botocore's ``QuerySerializer`` writes them): a structure member is
``Name`` or ``Outer.Inner``; a list is ``Name.member.1``, ``Name.member.2``... (``Name.1`` when the
model flattens it), an empty list a bare ``Name=``; a map ``Name.entry.1.key`` and
``Name.entry.1.value``; booleans ``true``/``false``; numbers in decimal.
"""

from __future__ import annotations

from functools import cached_property

from botocore.model import OperationModel, Shape

from moatdb.errors import IamValidationError, ValidationException
from moatdb.services.shapes import ServiceShapes


class Model:
    """IAM's model in botocore, and its request validator, compiled on first use: compiling the
    Unicode classes of IAM's tag patterns (\\p{L}, \\p{Z}, \\p{N}) costs half a second, which a
    server that is never asked an IAM question need not pay at startup."""

    def operation(self, action: str) -> OperationModel:
        return self.shapes.operation_model(action)

    @cached_property
    def shapes(self) -> ServiceShapes:
        return ServiceShapes("iam")

    def decode(self, action: str, form: dict[str, str]) -> dict:
        """The operation's input as a structure, validated against the model."""
        operation = self.operation(action)
        params = {} if operation.input_shape is None else _structure(operation.input_shape, form, "", "")
        try:
            self.shapes.validate(action, params)
        except ValidationException as invalid:
            raise IamValidationError(invalid.message) from None
        return params


def _structure(shape: Shape, form: dict[str, str], prefix: str, path: str) -> dict:
    found = {}
    for name, member in shape.members.items():
        key = prefix + member.serialization.get("name", name)
        value = _value(member, form, key, f"{path}.{_coral(name)}" if path else _coral(name))
        if value is not None:
            found[name] = value
    return found


def _value(shape: Shape, form: dict[str, str], key: str, path: str):
    kind = shape.type_name
    if kind == "structure":
        return _structure(shape, form, key + ".", path) if _has(form, key + ".") else None
    if kind == "list":
        element = shape.member
        base = f"{key}." if shape.serialization.get("flattened") else \
            f"{key}.{element.serialization.get('name', 'member')}."
        indices = _indices(form, base)
        if not indices:
            return [] if key in form else None
        return [_value(element, form, f"{base}{index}", f"{path}.{index}.member") for index in indices]
    if kind == "map":
        base = f"{key}.entry." if not shape.serialization.get("flattened") else f"{key}."
        entries = {}
        for index in _indices(form, base):
            name = form.get(f"{base}{index}.{shape.key.serialization.get('name', 'key')}")
            if name is not None:
                entries[name] = _value(shape.value, form, f"{base}{index}.{shape.value.serialization.get('name', 'value')}",
                                       f"{path}.{name}.member")
        return entries if entries or key in form else None
    raw = form.get(key)
    if raw is None:
        return None
    if kind in ("integer", "long"):
        try:
            return int(raw)
        except ValueError:
            # As STS words a number it cannot read (services/sts: DurationSeconds).
            raise IamValidationError(f"Value '{raw}' at '{path}' failed to satisfy constraint: "
                                     f"Member must be a number") from None
    if kind == "boolean":
        return raw.lower() == "true"  # Java's Boolean.parseBoolean: anything else is false
    return raw


def _has(form: dict[str, str], prefix: str) -> bool:
    return any(name.startswith(prefix) for name in form)


def _indices(form: dict[str, str], base: str) -> list[int]:
    """The positions given under ``base`` (``Tags.member.``), in order: 1, 2, 3..."""
    found = set()
    for name in form:
        if name.startswith(base):
            head = name[len(base):].split(".", 1)[0]
            if head.isdigit():
                found.add(int(head))
    return sorted(found)


def _coral(name: str) -> str:
    """A member's name as Coral's messages print it: ``userName`` for ``UserName``."""
    return name[:1].lower() + name[1:]

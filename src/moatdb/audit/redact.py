"""What a record keeps of a request's parameters and of its response: the shape, never a secret,
never an attribute value.

Both are walked along the operation's shapes in botocore's model of the service (the model the
services validate against), and CloudTrail's way of naming is applied: each structure member with
its first letter lower-cased (``TableName`` -> ``tableName``, ``SSESpecification`` ->
``sSESpecification``), map keys as they were. The rules (docs/audit.md, "What is never written"):

- an attribute value (DynamoDB's ``AttributeValue``, wherever it sits: ``Key``, ``Item``,
  ``ExpressionAttributeValues``, ``ExclusiveStartKey``, the legacy ``Expected``, ``AttributeUpdates``
  and condition maps, batches) becomes ``HIDDEN_DUE_TO_SECURITY_REASONS``; its attribute name, the
  map key, stays;
- a secret is left out entirely: a member whose shape the model marks ``sensitive`` (secret access
  keys, passwords, private keys, SAML assertions...) and session tokens, which the model does not mark;
- a member the model does not know is left out (the Query protocol's signing parameters, say:
  ``X-Amz-Signature``, ``X-Amz-Security-Token``), and so is a value of the wrong JSON type for its
  shape, which could be anything (it becomes the placeholder).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property

from botocore.loaders import Loader
from botocore.model import ServiceModel, Shape

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"  # CloudTrail's own placeholder for what it does not show
# Members that are secrets although the model does not mark them sensitive.
_SECRET_MEMBERS = frozenset({"SessionToken", "SecretAccessKey"})
_VALUE_SHAPES = frozenset({"AttributeValue"})
_SCALARS = {"string": (str,), "blob": (str,), "boolean": (bool,), "integer": (int,), "long": (int,),
            "float": (int, float), "double": (int, float), "timestamp": (int, float, str)}
_LEFT_OUT = object()

Walk = Callable[[object], object]


class Redactor:
    """One service's operations, walked as records keep them; each shape compiled once."""

    def __init__(self, service: str, loader: Loader | None = None):
        self.service = service
        self._loader = loader
        self._walks: dict[tuple[str, bool], Walk] = {}
        self._requests: dict[str, Walk] = {}  # by operation: only those of the model ever get in

    @cached_property
    def model(self) -> ServiceModel:
        # Loaded on first use: a server that answers no IAM call never reads IAM's model.
        raw = (self._loader or Loader()).load_service_model(self.service, "service-2")
        return ServiceModel(raw, self.service)

    def request(self, operation: str, params: object) -> object:
        """The requestParameters of a JSON request (None when the operation is unknown)."""
        walk = self._requests.get(operation)
        if walk is None:
            shape = self._input(operation)
            if shape is None:
                return None
            walk = self._requests[operation] = self._walk(shape, False)
        return walk(params)

    def form(self, operation: str, form: dict[str, str]) -> object:
        """The requestParameters of a Query-protocol request: its flat form, rebuilt along the model
        (``Tags.member.1.Key`` -> ``tags: [{key: ...}]``) before the same walk."""
        shape = self._input(operation)
        if shape is None:
            return None
        return self._walk(shape, False)(_structure(shape, form, ""))

    def response(self, operation: str, result: object) -> object:
        """The responseElements of a reply's result (epoch timestamps in ISO 8601)."""
        try:
            shape = self.model.operation_model(operation).output_shape
        except Exception:  # botocore's OperationNotFoundError, and a model without the operation
            return None
        if shape is None or result is None:
            return None
        return self._walk(shape, True)(result)

    def _input(self, operation: str) -> Shape | None:
        try:
            return self.model.operation_model(operation).input_shape
        except Exception:
            return None

    def _walk(self, shape: Shape, output: bool) -> Walk:
        key = (shape.name, output)
        found = self._walks.get(key)
        if found is None:
            # A placeholder first, for shapes that contain themselves.
            self._walks[key] = lambda raw: self._walks[key](raw)
            found = self._walks[key] = self._compile(shape, output)
        return found

    def _compile(self, shape: Shape, output: bool) -> Walk:
        if shape.name in _VALUE_SHAPES:
            return _hidden
        kind = shape.type_name
        if kind == "structure":
            return self._structure(shape, output)
        if kind == "list":
            element = self._walk(shape.member, output)
            return lambda raw: [element(each) for each in raw] if type(raw) is list else HIDDEN
        if kind == "map":
            value = self._walk(shape.value, output)
            if value is _hidden:  # a map of attribute values (Key, Item...): the names, each value hidden
                return lambda raw: dict.fromkeys(raw, HIDDEN) if type(raw) is dict else HIDDEN
            return lambda raw: {k: value(v) for k, v in raw.items()} if type(raw) is dict else HIDDEN
        types = _SCALARS.get(kind, (str,))
        if kind == "timestamp" and output:
            return lambda raw: _iso(raw) if type(raw) in (int, float) else raw if type(raw) is str else HIDDEN
        return lambda raw: raw if type(raw) in types else HIDDEN

    def _structure(self, shape: Shape, output: bool) -> Walk:
        # Per member: its name in a record, the JSON types kept as they are (a plain string member),
        # and the walk for anything else; None for a secret.
        members: dict[str, tuple[str, tuple[type, ...], Walk] | None] = {}
        for name, member in shape.members.items():
            secret = name in _SECRET_MEMBERS or member.metadata.get("sensitive")
            plain = () if member.name in _VALUE_SHAPES or (member.type_name == "timestamp" and output) \
                else _SCALARS.get(member.type_name, ())
            members[name] = None if secret else \
                (name[:1].lower() + name[1:], plain, self._walk(member, output))

        def walk(raw: object) -> object:
            if type(raw) is not dict:
                return HIDDEN
            kept = {}
            for name, value in raw.items():
                plan = members.get(name)
                if plan is not None and value is not None:
                    kept[plan[0]] = value if type(value) in plan[1] else plan[2](value)
            return kept

        return walk


def _hidden(raw: object) -> str:
    return HIDDEN


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _structure(shape: Shape, form: dict[str, str], prefix: str) -> dict:
    """The Query protocol's names, as botocore's QuerySerializer writes them: ``Outer.Inner`` for a
    structure, ``Name.member.N`` (``Name.N`` when flattened) for a list, ``Name.entry.N.key`` and
    ``.value`` for a map."""
    found = {}
    for name, member in shape.members.items():
        value = _value(member, form, prefix + member.serialization.get("name", name))
        if value is not None:
            found[name] = value
    return found


def _value(shape: Shape, form: dict[str, str], key: str) -> object:
    kind = shape.type_name
    if kind == "structure":
        dotted = key + "."
        return _structure(shape, form, dotted) if any(name.startswith(dotted) for name in form) else None
    if kind == "list":
        if form.get(key) == "":
            return []  # an empty list is sent as a bare "Name="
        flattened = shape.serialization.get("flattened")
        step = "" if flattened else shape.member.serialization.get("name", "member") + "."
        items = []
        while (item := _value(shape.member, form, f"{key}.{step}{len(items) + 1}")) is not None:
            items.append(item)
        return items or None
    if kind == "map":
        entries = {}
        index = 1
        while (name := form.get(f"{key}.entry.{index}.key")) is not None:
            entries[name] = _value(shape.value, form, f"{key}.entry.{index}.value")
            index += 1
        return entries or None
    raw = form.get(key)
    if raw is not None and kind in ("integer", "long") and raw.lstrip("-").isdigit():
        return int(raw)
    if kind == "boolean" and raw in ("true", "false"):
        return raw == "true"
    return raw

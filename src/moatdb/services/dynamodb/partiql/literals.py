"""The values a statement writes or compares: its literals and ``?`` parameters as AttributeValues."""

from __future__ import annotations

import re
from collections.abc import Sequence

from moatdb.errors import ValidationException
from moatdb.services.dynamodb import numbers, values
from moatdb.services.dynamodb.partiql import nodes as n
from moatdb.services.dynamodb.partiql.lexer import location

PARAMETER_COUNT = "Number of parameters in request and statement don't match."
EMPTY_BAG = "Empty bags are not supported"
# A ? inside << >> (a conformance project's recording of DynamoDB: "Unsupported data type in Bag").
BAG_MEMBER = "Unsupported data type in Bag"

VALUE_NODES = (n.Literal, n.Parameter, n.ListValue, n.MapValue, n.BagValue)
_EXPONENT = re.compile(r"[eE]([+-]?[0-9]+)$")


class Values:
    """Turns the value nodes of one statement into AttributeValues with its ``Parameters``."""

    def __init__(self, statement: str, parameters: Sequence[object] | None, needed: int):
        given = list(parameters or ())
        # Too few values are refused; more than the statement uses are accepted (recorded against
        # DynamoDB Local: "too few parameters", "too many parameters").
        if len(given) < needed:
            raise ValidationException(PARAMETER_COUNT)
        self.statement = statement
        self.parameters = given

    def value(self, node: object, path: str = "root") -> dict:
        """The AttributeValue of a value node. Numbers written in the statement break DynamoDB's rules
        with its usual message and the place inside the value (the conformance suite's
        "Number overflow ... under root.x")."""
        if type(node) is n.Literal:
            if "N" in node.value:
                try:
                    return {"N": numbers.normalize(node.value["N"])}
                except ValidationException as error:
                    raise ValidationException(f"{error.message} under {path}") from None
            return node.value
        if type(node) is n.Parameter:
            return parameter(self.parameters[node.index])
        if type(node) is n.ListValue:
            return {"L": [self.value(element, f"{path}[{index}]") for index, element in enumerate(node.elements)]}
        if type(node) is n.MapValue:
            return {"M": self.members(node, path + ".")}
        if type(node) is n.BagValue:
            return self.bag(node)
        if type(node) is n.Call:
            raise ValidationException(f"Unsupported data type: {node.name} under key {path} at "
                                      f"{location(self.statement, node.token)}")
        raise ValidationException(f"Unsupported data type under key {path}")  # wording assumed

    def item(self, node: n.MapValue) -> dict:
        """An INSERT's item: each attribute's value is a value of its own, at "root" (the conformance
        suite's "{'pk': 1e126}" is "under root", "{'m': {'x': 1e126}}" "under root.x")."""
        return self.members(node, "")

    def members(self, node: n.MapValue, prefix: str) -> dict:
        members = {}
        for key, member in node.entries:
            name = self.key(key)
            if type(member) is not n.Missing:  # a MISSING member is no attribute at all
                members[name] = self.value(member, f"{prefix}{name}" if prefix else "root")
        return members

    def key(self, node: object) -> str:
        """A map literal's key: a string ('pk'), or a parameter of type S."""
        value = self.value(node) if isinstance(node, VALUE_NODES) else None
        if value is None or "S" not in value:
            raise ValidationException("Unsupported key type in tuple: keys must be strings")  # wording assumed
        return value["S"]

    def bag(self, node: n.BagValue) -> dict:
        if not node.elements:
            raise ValidationException(EMPTY_BAG)
        members = []
        for element in node.elements:
            if type(element) is not n.Literal:
                raise ValidationException(BAG_MEMBER)
            members.append(self.value(element))
        kinds = {next(iter(member)) for member in members}
        if len(kinds) != 1 or not kinds <= {"S", "N", "B"}:
            raise ValidationException(BAG_MEMBER)
        (kind,) = kinds
        return values.validate_value({kind + "S": [member[kind] for member in members]})


def parameter(raw: object) -> dict:
    """A ``Parameters`` value, validated and normalized. A parameter's numbers are read as Java's
    BigDecimal reads text, so an exponent beyond a 32-bit integer, or an empty number, "cannot be
    converted" (conformance suite, partiqlParameterNumbers, pinned against AWS), where the same
    number sent to PutItem is out of range. A value nested too deep is refused as such first when
    the depth is reached before the number is (the same suite, "in document order")."""
    _convertible(raw, 1)
    return values.validate_value(raw)


def _convertible(raw: object, level: int) -> None:
    if type(raw) is not dict:
        return
    if level > values.MAX_NESTING:
        raise ValidationException(values.NESTED_TOO_DEEP)
    for tag, member in raw.items():
        if tag == "N" and type(member) is str:
            _number(member)
        elif tag == "NS" and type(member) is list:
            for each in member:
                if type(each) is str:
                    _number(each)
        elif tag == "L" and type(member) is list:
            for each in member:
                _convertible(each, level + 1)
        elif tag == "M" and type(member) is dict:
            for each in member.values():
                _convertible(each, level + 1)


def _number(text: str) -> None:
    if not text:
        raise ValidationException(numbers.NOT_NUMERIC)
    exponent = _EXPONENT.search(text)
    if exponent is not None and abs(int(exponent[1])) >= 2**31:
        raise ValidationException(f"{numbers.NOT_NUMERIC}: {text}")

"""Condition operators: a statement's ``Condition`` block, compiled once and evaluated per request.

The rules, from the IAM User Guide ("IAM JSON policy elements: Condition operators", "Single-valued
vs. multivalued context keys", "IAM policy elements: Variables and tags"), and, where AWS is silent,
from what IAM does in practice (each such place says so):

- Every condition of a block must hold (AND), as must every key under one operator; the values of
  one key are alternatives (OR). A negated operator (``StringNotEquals``, ``NotIpAddress``, ...)
  holds when the request value matches *none* of them.
- A key missing from the request makes a positive operator false and a negated one true;
  ``...IfExists`` makes any operator true; ``Null`` tests presence itself.
- ``ForAllValues:`` holds when every request value matches (and on a missing or empty set);
  ``ForAnyValue:`` when at least one does (never on a missing or empty set, ``IfExists`` or not).
- An operator without a set qualifier never matches a key holding several values, negated or not
  (AWS: "multivalued context keys require a condition set operator"; IAM's behaviour was confirmed
  by AWS at re:Inforce 2025, IAM431, as recorded by the cloud-copilot/iam-simulate project).
- A request value that is not of the operator's type (a number, a date, an IP address, an ARN, base64)
  matches nothing, so the condition is false for positive and negated operators alike.
- Policy variables are read in the values of the String, ARN and Bool operators only.

A policy value that cannot be of the operator's type (``NumericEquals: "ten"``) makes the policy
malformed: AWS does not document this check, and moatdb refuses the policy rather than keep a
condition that silently never matches, or always does once negated.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import datetime
import ipaddress
import json
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import TypeVar

from moatdb.policy.errors import MalformedPolicy
from moatdb.policy.request import Context
from moatdb.policy.variables import Template, compile_template

SYNTAX_ERROR = "Syntax errors in policy."
_FOR_ALL, _FOR_ANY = "ForAllValues", "ForAnyValue"
_IF_EXISTS = "IfExists"
_ARN_COLONS = 5  # arn:partition:service:region:account:resource
_T = TypeVar("_T")

# A matcher answers, for one request value: does it match one of the policy values (True/False),
# or is it not of the operator's type at all (None)?
_Matcher = Callable[[str, Context], bool | None]


@dataclass(frozen=True, slots=True)
class _Operator:
    build: Callable[[tuple[Template, ...]], _Matcher]
    negated: bool = False
    variables: bool = False  # may its values hold policy variables?


# ---------------------------------------------------------------------------------------------
# Value types


def _as_is(text: str) -> str:
    return text


class _Equals:
    """StringEquals, StringEqualsIgnoreCase, Bool: the request value equals a policy value."""

    __slots__ = ("_fold", "_constants", "_templates")

    def __init__(self, templates: tuple[Template, ...], fold: Callable[[str], str]):
        self._fold = fold
        self._constants = frozenset(fold(_constant_text(t)) for t in templates if not t.keys)
        self._templates = tuple(t for t in templates if t.keys)

    def __call__(self, value: str, context: Context) -> bool:
        value = self._fold(value)
        if value in self._constants:
            return True
        for template in self._templates:
            rendered = template.render(context)
            if rendered is not None and self._fold(rendered) == value:
                return True
        return False


class _Like:
    """StringLike and the ARN operators: the request value matches a policy glob.

    For ARNs each of the six colon-delimited parts is matched separately (a ``*`` in the account
    part does not run into the resource), and a request value with fewer than six parts is no ARN.
    """

    __slots__ = ("_arn", "_constant", "_templates")

    def __init__(self, templates: tuple[Template, ...], arn: bool):
        self._arn = arn
        constant = [self._pattern(t, {}) for t in templates if not t.keys]
        self._constant = (
            re.compile("|".join(f"(?:{p.pattern})" for p in constant), re.DOTALL) if constant else None
        )
        self._templates = tuple(t for t in templates if t.keys)

    def _pattern(self, template: Template, context: Context) -> re.Pattern[str] | None:
        return template.arn_pattern(context) if self._arn else template.pattern(context)

    def __call__(self, value: str, context: Context) -> bool | None:
        if self._arn and value.count(":") < _ARN_COLONS:
            return None
        if self._constant is not None and self._constant.fullmatch(value):
            return True
        for template in self._templates:
            pattern = self._pattern(template, context)
            if pattern is not None and pattern.fullmatch(value):
                return True
        return False


class _Ordered:
    """Numeric and Date operators: the request value compares to a policy value, both parsed."""

    __slots__ = ("_parse", "_compare", "_bounds")

    def __init__(
        self,
        templates: tuple[Template, ...],
        parse: Callable[[str], Decimal | None],
        compare: Callable[[Decimal, Decimal], bool],
    ):
        self._parse = parse
        self._compare = compare
        self._bounds = tuple(_parsed_policy_value(parse, t.text) for t in templates)

    def __call__(self, value: str, context: Context) -> bool | None:
        parsed = self._parse(value)
        if parsed is None:
            return None
        return any(self._compare(parsed, bound) for bound in self._bounds)


class _InNetwork:
    """IpAddress: the request address is in one of the policy's CIDR ranges (a bare address is a
    /32, or a /128 for IPv6; host bits set in a range are ignored)."""

    __slots__ = ("_networks",)

    def __init__(self, templates: tuple[Template, ...]):
        self._networks = tuple(_parsed_policy_value(_network, t.text) for t in templates)

    def __call__(self, value: str, context: Context) -> bool | None:
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return None
        return any(address in network for network in self._networks)


class _BinaryEquals:
    """BinaryEquals: byte-for-byte equality of base64 values. A ``Context`` holds only text, so a
    binary request value is held base64-encoded, like the policy's."""

    __slots__ = ("_blobs",)

    def __init__(self, templates: tuple[Template, ...]):
        self._blobs = frozenset(_parsed_policy_value(_base64, t.text) for t in templates)

    def __call__(self, value: str, context: Context) -> bool | None:
        blob = _base64(value)
        return None if blob is None else blob in self._blobs


def _constant_text(template: Template) -> str:
    """The text of a template without variables (its escapes resolved)."""
    text = template.render({})
    assert text is not None  # only a variable can lack a value
    return text


def _parsed_policy_value(parse: Callable[[str], _T | None], text: str) -> _T:
    parsed = parse(text)
    if parsed is None:
        raise MalformedPolicy(SYNTAX_ERROR)
    return parsed


# A number: "an integer or decimal value" (IAM User Guide); no exponents, no NaN or Infinity.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def _number(text: str) -> Decimal | None:
    return Decimal(text) if _NUMBER.fullmatch(text) else None


# Dates: "the W3C implementations of the ISO 8601 date formats or epoch (UNIX) time" (IAM User
# Guide). The W3C profile runs from a year alone to fractional seconds with a zone; a time without
# a zone is read as UTC. All digits is epoch seconds, so "2024" is a second in 1970, not a year.
_EPOCH = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_W3C_DATE = re.compile(
    r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2})"
    r"(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?)?)?",
    re.IGNORECASE,
)


def _instant(text: str) -> Decimal | None:
    """Seconds since the epoch, exactly, so that instants compare whatever their written form."""
    if _EPOCH.fullmatch(text):
        return Decimal(text)
    parsed = _W3C_DATE.fullmatch(text)
    if parsed is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = parsed.groups()
    fields = (int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0), int(second or 0))
    try:
        datetime.datetime(*fields)
    except ValueError:
        return None
    offset = 0
    if zone and zone.upper() != "Z":
        hours, minutes = int(zone[1:3]), int(zone[-2:])
        if hours > 23 or minutes > 59:
            return None
        offset = (hours * 60 + minutes) * 60 * (-1 if zone[0] == "-" else 1)
    instant = Decimal(calendar.timegm(fields) - offset)
    return instant + Decimal("0." + fraction) if fraction else instant


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _base64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


_STRING_EQUALS = partial(_Equals, fold=_as_is)
_STRING_EQUALS_IGNORE_CASE = partial(_Equals, fold=str.lower)
_STRING_LIKE = partial(_Like, arn=False)
_ARN_LIKE = partial(_Like, arn=True)


def _numeric(compare: Callable[[Decimal, Decimal], bool]) -> Callable[[tuple[Template, ...]], _Matcher]:
    return partial(_Ordered, parse=_number, compare=compare)


def _date(compare: Callable[[Decimal, Decimal], bool]) -> Callable[[tuple[Template, ...]], _Matcher]:
    return partial(_Ordered, parse=_instant, compare=compare)


# Operator names are case-sensitive: IAM refuses "stringEquals" with "Invalid Condition type".
_OPERATORS: dict[str, _Operator] = {
    "StringEquals": _Operator(_STRING_EQUALS, variables=True),
    "StringNotEquals": _Operator(_STRING_EQUALS, negated=True, variables=True),
    "StringEqualsIgnoreCase": _Operator(_STRING_EQUALS_IGNORE_CASE, variables=True),
    "StringNotEqualsIgnoreCase": _Operator(_STRING_EQUALS_IGNORE_CASE, negated=True, variables=True),
    "StringLike": _Operator(_STRING_LIKE, variables=True),
    "StringNotLike": _Operator(_STRING_LIKE, negated=True, variables=True),
    "NumericEquals": _Operator(_numeric(operator.eq)),
    "NumericNotEquals": _Operator(_numeric(operator.eq), negated=True),
    "NumericLessThan": _Operator(_numeric(operator.lt)),
    "NumericLessThanEquals": _Operator(_numeric(operator.le)),
    "NumericGreaterThan": _Operator(_numeric(operator.gt)),
    "NumericGreaterThanEquals": _Operator(_numeric(operator.ge)),
    "DateEquals": _Operator(_date(operator.eq)),
    "DateNotEquals": _Operator(_date(operator.eq), negated=True),
    "DateLessThan": _Operator(_date(operator.lt)),
    "DateLessThanEquals": _Operator(_date(operator.le)),
    "DateGreaterThan": _Operator(_date(operator.gt)),
    "DateGreaterThanEquals": _Operator(_date(operator.ge)),
    # "true"/"false" compared without regard to case; the operators page allows variables here.
    "Bool": _Operator(partial(_Equals, fold=str.lower), variables=True),
    "BinaryEquals": _Operator(_BinaryEquals),
    "IpAddress": _Operator(_InNetwork),
    "NotIpAddress": _Operator(_InNetwork, negated=True),
    # "The ArnEquals and ArnLike condition operators behave identically."
    "ArnEquals": _Operator(_ARN_LIKE, variables=True),
    "ArnLike": _Operator(_ARN_LIKE, variables=True),
    "ArnNotEquals": _Operator(_ARN_LIKE, negated=True, variables=True),
    "ArnNotLike": _Operator(_ARN_LIKE, negated=True, variables=True),
}
_NULL = "Null"


# ---------------------------------------------------------------------------------------------
# Conditions


def _is_empty_set(values: tuple[str, ...] | None) -> bool:
    """For the set qualifiers, "key values in the request [that] resolve to an empty data set (for
    example, an empty string)" count as no values at all (IAM User Guide, set operators)."""
    return not values or values == ("",)


class _Condition:
    """One operator applied to one key: ``"StringEquals": {"aws:SourceVpc": [...]}``."""

    __slots__ = ("operator", "key", "key_name", "values", "_qualifier", "_if_exists", "_negated", "_matches")

    def __init__(
        self,
        operator_name: str,
        key_name: str,
        values: tuple[str, ...],
        qualifier: str | None,
        if_exists: bool,
        negated: bool,
        matches: _Matcher,
    ):
        self.operator = operator_name
        self.key_name = key_name  # as written, for explanations
        self.key = key_name.lower()
        self.values = values
        self._qualifier = qualifier
        self._if_exists = if_exists
        self._negated = negated
        self._matches = matches

    def holds(self, context: Context) -> bool:
        found = context.get(self.key)
        if self._qualifier is None:
            if not found:
                return self._if_exists or self._negated
            return len(found) == 1 and self._test(found[0], context)
        # IfExists changes nothing under a qualifier: ForAllValues already holds on a missing key,
        # and ForAnyValue applies IfExists to each value, not to the set (iam.cloudcopilot.io,
        # "ForAnyValue:StringNotEqualsIfExists"; AWS is silent).
        if _is_empty_set(found):
            return self._qualifier == _FOR_ALL
        assert found is not None
        if self._qualifier == _FOR_ALL:
            return all(self._test(value, context) for value in found)
        return any(self._test(value, context) for value in found)

    def _test(self, value: str, context: Context) -> bool:
        matched = self._matches(value, context)
        return matched is not None and matched != self._negated

    def describe(self, context: Context) -> str:
        request = _request(context.get(self.key))
        return f"{self.operator} {self.key_name} {_quoted(list(self.values))} (request: {request})"


class _NullCheck(_Condition):
    """``Null``: "true" requires the key to be absent, "false" present. Any other value matches
    nothing; a set qualifier changes nothing (AWS is silent on both)."""

    __slots__ = ("_absence",)

    def __init__(self, operator_name: str, key_name: str, values: tuple[str, ...]):
        super().__init__(operator_name, key_name, values, None, False, False, _never)
        wanted = {value.lower() for value in values}
        self._absence = frozenset(
            absent for absent, word in ((True, "true"), (False, "false")) if word in wanted
        )

    def holds(self, context: Context) -> bool:
        return (not context.get(self.key)) in self._absence


def _never(value: str, context: Context) -> bool:
    return False


def _quoted(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _request(found: tuple[str, ...] | None) -> str:
    if not found:
        return "none"
    return _quoted(found[0]) if len(found) == 1 else _quoted(list(found))


class Conditions:
    """A compiled ``Condition`` block."""

    __slots__ = ("keys", "_conditions")

    def __init__(self, conditions: tuple[_Condition, ...], keys: frozenset[str]):
        self.keys = keys  # every context key read, condition keys and variables alike, lower-cased
        self._conditions = conditions

    def holds(self, context: Context) -> bool:
        """Whether every condition holds: evaluation's question, asked on every request (so nothing
        is described)."""
        for condition in self._conditions:
            if not condition.holds(context):
                return False
        return True

    def failure(self, context: Context) -> str | None:
        """``None`` when every condition holds, else the first one that does not, described for a
        person: ``StringEquals aws:SourceVpc ["vpc-111"] (request: none)``."""
        for condition in self._conditions:
            if not condition.holds(context):
                return condition.describe(context)
        return None


def compile_conditions(block: object, *, variables: bool) -> Conditions:
    """Compile the JSON value of a statement's ``Condition`` element. ``variables`` is whether the
    policy's Version (2012-10-17) has policy variables."""
    entries = _entries(block)
    conditions: list[_Condition] = []
    keys: set[str] = set()
    for operator_name, key_name, values in entries:
        condition, reads = _compile_one(operator_name, key_name, values, variables)
        conditions.append(condition)
        keys |= reads
    return Conditions(tuple(conditions), frozenset(keys))


def _entries(block: object) -> list[tuple[str, str, tuple[str, ...]]]:
    """The block's shape, checked before any operator name, as IAM reports a syntax error first."""
    if not isinstance(block, dict):
        raise MalformedPolicy(SYNTAX_ERROR)
    entries = []
    for operator_name, body in block.items():
        if not isinstance(body, dict):
            raise MalformedPolicy(SYNTAX_ERROR)
        entries.extend((operator_name, key_name, _values(raw)) for key_name, raw in body.items())
    return entries


def _values(raw: object) -> tuple[str, ...]:
    """A value or a non-empty list of values; numbers and booleans compare as their JSON text."""
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise MalformedPolicy(SYNTAX_ERROR)
    return tuple(_text(item) for item in items)


def _text(item: object) -> str:
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, str):
        return item
    if isinstance(item, int | float):
        return str(item)
    raise MalformedPolicy(SYNTAX_ERROR)


def _compile_one(
    operator_name: str, key_name: str, values: tuple[str, ...], variables: bool
) -> tuple[_Condition, frozenset[str]]:
    base, qualifier = operator_name, None
    for prefix in (_FOR_ALL, _FOR_ANY):
        if base.startswith(prefix + ":"):
            base, qualifier = base[len(prefix) + 1 :], prefix
            break
    if_exists = base.endswith(_IF_EXISTS)
    if if_exists:
        base = base[: -len(_IF_EXISTS)]
    if base == _NULL and not if_exists:
        return _NullCheck(operator_name, key_name, values), frozenset({key_name.lower()})
    kind = _OPERATORS.get(base)
    if kind is None:
        raise MalformedPolicy(f"Invalid Condition type : {operator_name}")
    templates = tuple(compile_template(value, variables=variables and kind.variables) for value in values)
    condition = _Condition(
        operator_name, key_name, values, qualifier, if_exists, kind.negated, kind.build(templates)
    )
    return condition, frozenset({condition.key}).union(*(t.keys for t in templates))

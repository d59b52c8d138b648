"""The parsed forms of PartiQL statements and of the expressions inside them."""

from __future__ import annotations

from dataclasses import dataclass

from moatdb.services.dynamodb.partiql.lexer import Token

# --- expressions -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Path:
    """A document path: an attribute name, then names (``.b``) and list indexes (``[0]``)."""

    elements: tuple[str | int, ...]
    token: Token  # where it starts, for errors that point at it

    @property
    def name(self) -> str:
        return self.elements[0]  # type: ignore[return-value]

    def is_attribute(self, name: str) -> bool:
        """Whether the path is the top-level attribute ``name`` itself."""
        return len(self.elements) == 1 and self.elements[0] == name


@dataclass(frozen=True, slots=True)
class Literal:
    """A scalar written in the statement, as its wire AttributeValue (numbers not yet validated)."""

    value: dict
    token: Token


@dataclass(frozen=True, slots=True)
class Parameter:
    """A ``?``: the ``index``-th value of the request's Parameters."""

    index: int
    token: Token


@dataclass(frozen=True, slots=True)
class Missing:
    """The MISSING literal."""

    token: Token


@dataclass(frozen=True, slots=True)
class ListValue:
    elements: tuple
    token: Token


@dataclass(frozen=True, slots=True)
class MapValue:
    entries: tuple[tuple[object, object], ...]  # (key expression, value expression)
    token: Token


@dataclass(frozen=True, slots=True)
class BagValue:
    """``<< ... >>``: a set to DynamoDB."""

    elements: tuple
    token: Token


@dataclass(frozen=True, slots=True)
class Call:
    name: str  # lower-cased
    arguments: tuple
    token: Token


@dataclass(frozen=True, slots=True)
class Binary:
    """A comparison (``=``, ``<>``, ``<``, ``<=``, ``>``, ``>=``), ``AND``, ``OR`` or arithmetic (``+``, ``-``)."""

    operator: str
    left: object
    right: object
    token: Token


@dataclass(frozen=True, slots=True)
class Not:
    operand: object
    token: Token


@dataclass(frozen=True, slots=True)
class Between:
    operand: object
    low: object
    high: object
    token: Token


@dataclass(frozen=True, slots=True)
class In:
    operand: object
    candidates: tuple
    token: Token


@dataclass(frozen=True, slots=True)
class Is:
    """``x IS [NOT] MISSING`` or ``x IS [NOT] NULL``."""

    operand: object
    kind: str  # "MISSING" or "NULL"
    negated: bool
    token: Token


# --- statements --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Select:
    table: str
    index: str | None
    projection: tuple[Path, ...] | None  # None: SELECT *
    where: object | None
    order_by: tuple[tuple[Path, bool], ...] = ()  # (path, ascending)


@dataclass(frozen=True, slots=True)
class Insert:
    table: str
    value: object


@dataclass(frozen=True, slots=True)
class Assignment:
    """``SET path = value``."""

    path: Path
    value: object


@dataclass(frozen=True, slots=True)
class Update:
    table: str
    sets: tuple[Assignment, ...]
    removes: tuple[Path, ...]
    where: object
    returning: str | None = None  # "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"


@dataclass(frozen=True, slots=True)
class Delete:
    table: str
    where: object
    returning: str | None = None  # "ALL_OLD"


@dataclass(frozen=True, slots=True)
class Exists:
    """``EXISTS(SELECT ...)``: a condition check, in a transaction only."""

    select: Select


@dataclass(frozen=True, slots=True)
class Parsed:
    """A statement and the number of ``?`` it holds."""

    statement: Select | Insert | Update | Delete | Exists
    parameters: int = 0

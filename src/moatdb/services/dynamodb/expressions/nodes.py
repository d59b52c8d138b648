"""The syntax tree of a parsed expression, before its placeholders are bound to a request's values.

Trees are immutable and depend only on the expression's text, so one tree is parsed once and
shared by every request that sends the same text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Name:
    """A ``#placeholder`` standing for one attribute name in a document path."""

    placeholder: str


PathElement = str | int | Name  # an attribute name as written, a list index, or a #placeholder


@dataclass(frozen=True, slots=True)
class Path:
    elements: tuple[PathElement, ...]


@dataclass(frozen=True, slots=True)
class Value:
    """A ``:placeholder`` standing for one of the request's ExpressionAttributeValues."""

    placeholder: str


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class Arithmetic:
    operator: str  # "+" or "-"
    left: Operand
    right: Operand


Operand = Path | Value | Call | Arithmetic


@dataclass(frozen=True, slots=True)
class Comparison:
    operator: str  # "=", "<>", "<", "<=", ">" or ">="
    left: Operand
    right: Operand


@dataclass(frozen=True, slots=True)
class Between:
    subject: Operand
    low: Operand
    high: Operand


@dataclass(frozen=True, slots=True)
class In:
    subject: Operand
    choices: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class And:
    left: Condition
    right: Condition


@dataclass(frozen=True, slots=True)
class Or:
    left: Condition
    right: Condition


@dataclass(frozen=True, slots=True)
class Not:
    operand: Condition


# A Call in condition position is one of the boolean functions (attribute_exists, begins_with...).
Condition = Comparison | Between | In | Call | And | Or | Not


@dataclass(frozen=True, slots=True)
class Action:
    clause: str  # "SET", "REMOVE", "ADD" or "DELETE"
    path: Path
    value: Operand | None  # SET's value, ADD's and DELETE's :placeholder; None for REMOVE


@dataclass(frozen=True, slots=True)
class UpdateTree:
    actions: tuple[Action, ...]
    repeated_clause: str | None  # the first clause written twice, which DynamoDB refuses

"""The world file's JSON Schema (``schema.json``, the reference for its shape), and its refusals
worded for a person: ``unknown key 'polices' (expected one of: ...)`` rather than jsonschema's
``Additional properties are not allowed``. A subschema's ``x-expected`` says what a valid value
is, for the refusals of its constraints.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators

from moatdb.world.source import Path

SCHEMA: dict = json.loads(resources.files(__package__).joinpath("schema.json").read_text())

_NOUN = {"object": "a mapping", "array": "a list", "string": "a string", "integer": "a whole number",
         "number": "a number", "boolean": "true or false", "null": "nothing"}
# x-expected words the constraints of a value; a list's or mapping's type is worded plainly.
_SCALARS = {"string", "integer", "number", "boolean"}


@functools.cache
def _ecma(pattern: str) -> re.Pattern:
    # JSON Schema patterns are ECMA-262's, where a final $ is the end of the text; Python's $ also
    # matches before a final newline, which would let "111111111111\n" pass as an account id.
    return re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith("\\$") else pattern)


def _pattern(validator, pattern: str, instance: Any, schema: dict) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _ecma(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = validators.extend(Draft202012Validator, {"pattern": _pattern})
_VALIDATOR = _Validator(SCHEMA)


def problems(data: Any) -> Iterator[tuple[Path, str]]:
    """Every place ``data`` breaks the schema, and why."""
    for error in _VALIDATOR.iter_errors(data):
        yield from _worded(error)


def _worded(error: ValidationError) -> Iterator[tuple[Path, str]]:
    path: Path = tuple(error.absolute_path)
    keyword, instance, schema = error.validator, error.instance, error.schema
    expected = schema.get("x-expected")
    if "propertyNames" in error.absolute_schema_path:  # a key of a mapping; the error is at the mapping
        yield (*path, instance), f"expected {expected or 'another name'}, not {_show(instance)}"
    elif keyword == "additionalProperties":
        known = schema.get("properties", {})
        patterns = [_ecma(pattern) for pattern in schema.get("patternProperties", {})]
        expected = ", ".join([*known, *(pattern.pattern.strip("^") + "..." for pattern in patterns)])
        for key in instance:
            if key not in known and not any(pattern.search(key) for pattern in patterns):
                yield (*path, key), f"unknown key {key!r} (expected one of: {expected})"
    elif keyword == "required":
        missing = next(name for name in error.validator_value if name not in instance)
        yield path, f"missing key {missing!r}"
    elif keyword == "type":
        wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        if expected is None or not _SCALARS.issuperset(wanted):
            expected = " or ".join(_NOUN[name] for name in wanted)
        hint = " (quote it)" if "string" in wanted and isinstance(instance, int | float) else ""
        yield path, f"expected {expected}, not {_describe(instance)}{hint}"
    elif keyword == "uniqueItems":
        seen: list[Any] = []
        for index, item in enumerate(instance):
            if item in seen:
                yield (*path, index), f"{_show(item)} is listed twice"
                return
            seen.append(item)
    elif expected is not None:
        amount = (str(len(instance)) if instance else "none") if isinstance(instance, list | dict) else None
        yield path, f"expected {expected}, not {amount or _show(instance)}"
    elif keyword == "enum":
        yield path, f"expected one of {', '.join(map(str, error.validator_value))}, not {_show(instance)}"
    else:
        yield path, error.message


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if value is None:
        return "nothing (null)"
    if isinstance(value, str):
        return f"the string {_show(value)}"
    return _NOUN["object" if isinstance(value, dict) else "array"]


def _show(value: Any) -> str:
    """A value as a refusal quotes it: short, on one line."""
    if isinstance(value, dict | list):
        return _NOUN["object" if isinstance(value, dict) else "array"]
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."

"""The ExpressionAttributeNames and ExpressionAttributeValues one request's expressions share."""

from __future__ import annotations

import re
from collections.abc import Mapping

from moatdb.errors import ValidationException
from moatdb.services.dynamodb import values as attribute_values

_NAME_KEY = re.compile(r"#[0-9A-Za-z_]+")
_VALUE_KEY = re.compile(r":[0-9A-Za-z_]+")


class ExpressionContext:
    """One request's placeholders, checked as DynamoDB checks them before parsing any expression,
    and a record of which ones its expressions used.

    Parse every expression of the request against the same context, then call ``check_unused``:
    DynamoDB refuses a name or value no expression used (API Reference, ExpressionAttributeNames).
    Values are kept validated and normalized (``values.validate_value``).
    """

    __slots__ = ("names", "values", "used_names", "used_values")

    def __init__(self, names: Mapping[str, str] | None, values: Mapping[str, object] | None):
        if names is not None:
            if not names:
                raise ValidationException("ExpressionAttributeNames must not be empty")
            for key in names:
                if not _NAME_KEY.fullmatch(key):
                    raise ValidationException(
                        f'ExpressionAttributeNames contains invalid key: Syntax error; key: "{key}"')
        if values is not None:
            if not values:
                raise ValidationException("ExpressionAttributeValues must not be empty")
            for key in values:
                if not _VALUE_KEY.fullmatch(key):
                    raise ValidationException(
                        f'ExpressionAttributeValues contains invalid key: Syntax error; key: "{key}"')
        self.names: Mapping[str, str] = names or {}
        self.values: dict[str, dict] = {
            key: _validated(key, value) for key, value in (values or {}).items()
        }
        self.used_names: set[str] = set()
        self.used_values: set[str] = set()

    def check_unused(self) -> None:
        unused = [key for key in self.names if key not in self.used_names]
        if unused:
            raise ValidationException(
                "Value provided in ExpressionAttributeNames unused in expressions: "
                f"keys: {{{', '.join(unused)}}}"
            )
        unused = [key for key in self.values if key not in self.used_values]
        if unused:
            raise ValidationException(
                "Value provided in ExpressionAttributeValues unused in expressions: "
                f"keys: {{{', '.join(unused)}}}"
            )


def _validated(key: str, value: object) -> dict:
    try:
        return attribute_values.validate_value(value)
    except ValidationException as error:
        raise ValidationException(
            f"ExpressionAttributeValues contains invalid value: {error.message} for key {key}"
        ) from None

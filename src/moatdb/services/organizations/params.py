"""An Organizations request's parameters, checked against botocore's model of the service.

The checks are the model's (``moatdb.services.shapes``), but Organizations words a violated
constraint its own way: not Coral's ValidationException but an ``InvalidInputException`` whose
``Reason`` names the kind of violation (Organizations API Reference, "InvalidInputException").
A request breaking several constraints is refused for the first one Coral would list.
"""

from __future__ import annotations

from functools import cached_property

from moatdb.errors import OrganizationsError, ValidationException
from moatdb.services.shapes import ServiceShapes

# (what Coral's constraint says, Organizations' reason, its message). The pattern message is the
# one AWS answers (quoted in boto/boto3#4565); the others are the reasons' descriptions in the API
# Reference.
_REASONS = (
    ("Member must not be null", "INPUT_REQUIRED", "You must include a value for all required parameters."),
    ("regular expression pattern", "INVALID_PATTERN", "You provided a value that does not match the required "
                                                      "pattern."),
    ("length less than", "MAX_LENGTH_EXCEEDED", "You provided a string parameter that is longer than allowed."),
    ("length greater than", "MIN_LENGTH_EXCEEDED", "You provided a string parameter that is shorter than allowed."),
    ("value less than", "MAX_VALUE_EXCEEDED", "You provided a numeric parameter that has a larger value than "
                                              "allowed."),
    ("value greater than", "MIN_VALUE_EXCEEDED", "You provided a numeric parameter that has a smaller value than "
                                                 "allowed."),
    ("enum value set", "INVALID_ENUM", "You specified an invalid value."),
)
# The members that name a policy type: a bad one has a reason of its own.
_POLICY_TYPE_MEMBERS = frozenset({"type", "filter", "policyType"})
_CONSTRAINT = " failed to satisfy constraint: "


class Model:
    """Organizations' model, compiled on first use: its tag patterns' Unicode classes are slow to
    compile, and a server never asked an Organizations question need not pay for them."""

    @cached_property
    def shapes(self) -> ServiceShapes:
        return ServiceShapes("organizations")

    def operations(self) -> frozenset[str]:
        return self.shapes.operations()

    def validate(self, operation: str, params: object) -> dict:
        """``params`` if they fit the operation's input; else Organizations' InvalidInputException."""
        try:
            self.shapes.validate(operation, params)
        except ValidationException as invalid:
            raise invalid_input(invalid.message or "") from None
        return params if isinstance(params, dict) else {}


def invalid_input(coral: str) -> OrganizationsError:
    """The InvalidInputException for the first violation of Coral's message ("N validation errors
    detected: Value 'x' at 'name' failed to satisfy constraint: Member must ...; Value ...")."""
    at = coral.find(_CONSTRAINT)
    constraint = coral[at + len(_CONSTRAINT):].split("; Value ", 1)[0]
    member = coral[:at].rsplit(" at '", 1)[-1].rstrip("'")
    for wording, reason, message in _REASONS:
        if wording in constraint:
            if reason == "INVALID_ENUM" and member in _POLICY_TYPE_MEMBERS:
                reason, message = "INVALID_ENUM_POLICY_TYPE", "You specified an invalid policy type string."
            return OrganizationsError("InvalidInputException", message, reason=reason)
    return OrganizationsError("InvalidInputException", "You provided a value that does not match the required "
                              "pattern.", reason="INVALID_PATTERN")

"""The refusals of the break-glass procedure, as its HTTP API answers them: ``{"__type": CODE,
"message": ...}`` with an HTTP status that says what kind of refusal it is."""

from __future__ import annotations

from moatdb.errors import AwsError

NAMESPACE = "moatdb"


class BreakGlassError(AwsError):
    namespace = NAMESPACE


class ValidationError(BreakGlassError):
    """The request itself is wrong: a missing reason, a duration too long, too few shares."""

    code = "ValidationException"
    status = 400


class AccessDenied(BreakGlassError):
    """Not this caller: IAM says no, or the procedure does (nobody approves their own request)."""

    code = "AccessDeniedException"
    status = 403


class NotFound(BreakGlassError):
    code = "ResourceNotFoundException"
    status = 404


class MethodNotAllowed(BreakGlassError):
    code = "MethodNotAllowedException"
    status = 405


class Conflict(BreakGlassError):
    """Not in this state: approving a request that expired, revoking a grant that ended."""

    code = "ConflictException"
    status = 409

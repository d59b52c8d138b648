"""The one error vocabulary: every failure a client can see, as AWS names and words it.

Services raise these; the gateway turns them into the wire form of the protocol the request used
(for DynamoDB: JSON with ``__type`` and ``message``). Nothing else ever reaches a client: an
unexpected exception becomes ``InternalServerError`` with no detail.
"""

from __future__ import annotations

DYNAMODB = "com.amazonaws.dynamodb.v20120810"
CORAL_SERVICE = "com.amazon.coral.service"
CORAL_VALIDATE = "com.amazon.coral.validate"


class AwsError(Exception):
    """An error AWS would return. ``code`` is the error type, ``namespace`` its Coral namespace."""

    code = "InternalServerError"
    namespace = DYNAMODB
    status = 400
    # Most DynamoDB errors carry "message"; a few Coral ones carry "Message". Kept per type.
    message_field = "message"

    def __init__(self, message: str | None = None, *, extra: dict | None = None):
        super().__init__(message or "")
        self.message = message
        # Members some errors carry beside the message (e.g. ConditionalCheckFailedException's Item).
        self.extra = extra

    @property
    def type(self) -> str:
        return f"{self.namespace}#{self.code}"

    def body(self) -> dict:
        body: dict = {"__type": self.type}
        if self.message is not None:
            body[self.message_field] = self.message
        if self.extra:
            body.update(self.extra)
        return body


# --- Coral (the framework DynamoDB runs on): protocol-level errors -------------------------------


class ValidationException(AwsError):
    code = "ValidationException"
    namespace = CORAL_VALIDATE


class SerializationException(AwsError):
    code = "SerializationException"
    namespace = CORAL_SERVICE
    message_field = "Message"


class UnknownOperationException(AwsError):
    code = "UnknownOperationException"
    namespace = CORAL_SERVICE


class MissingAuthenticationTokenException(AwsError):
    code = "MissingAuthenticationTokenException"
    namespace = CORAL_SERVICE


class IncompleteSignatureException(AwsError):
    code = "IncompleteSignatureException"
    namespace = CORAL_SERVICE


class InvalidSignatureException(AwsError):
    code = "InvalidSignatureException"
    namespace = CORAL_SERVICE


class UnrecognizedClientException(AwsError):
    code = "UnrecognizedClientException"
    namespace = CORAL_SERVICE


class AccessDeniedException(AwsError):
    code = "AccessDeniedException"
    namespace = CORAL_SERVICE


class RequestEntityTooLarge(AwsError):
    """DynamoDB answers an over-long body with HTTP 413 and this type."""

    code = "RequestEntityTooLarge"
    namespace = CORAL_SERVICE
    status = 413


class InternalFailure(AwsError):
    code = "InternalFailure"
    namespace = CORAL_SERVICE
    status = 500


class ThrottlingException(AwsError):
    """Too many requests at once: a 400 every AWS SDK retries with backoff."""

    code = "ThrottlingException"
    namespace = "com.amazon.coral.availability"


class Throttling(AwsError):
    """The Query protocol's (IAM's, STS's) word for the same: "Rate exceeded", a 400 SDKs retry."""

    code = "Throttling"


# --- DynamoDB's own errors -----------------------------------------------------------------------


class ResourceNotFoundException(AwsError):
    code = "ResourceNotFoundException"


class ResourceInUseException(AwsError):
    code = "ResourceInUseException"


class ConditionalCheckFailedException(AwsError):
    code = "ConditionalCheckFailedException"


class LimitExceededException(AwsError):
    code = "LimitExceededException"


class ItemCollectionSizeLimitExceededException(AwsError):
    code = "ItemCollectionSizeLimitExceededException"


class PolicyNotFoundException(AwsError):
    """No resource-based policy on the resource, or not the revision the request expected."""

    code = "PolicyNotFoundException"


class TransactionCanceledException(AwsError):
    code = "TransactionCanceledException"
    message_field = "Message"

    def __init__(self, reasons: list[dict]):
        # "Transaction cancelled, please refer cancellation reasons for specific reasons [None,
        # ConditionalCheckFailed]" (moto's and the dynamodb-conformance suite's tests, run on AWS).
        codes = ", ".join(reason["Code"] for reason in reasons)
        super().__init__(f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
                         extra={"CancellationReasons": reasons})


class IdempotentParameterMismatchException(AwsError):
    code = "IdempotentParameterMismatchException"
    message_field = "Message"


class DuplicateItemException(AwsError):
    """A PartiQL INSERT of a key that exists (API Reference, ExecuteStatement, Errors)."""

    code = "DuplicateItemException"


class BackupNotFoundException(AwsError):
    code = "BackupNotFoundException"


class TableNotFoundException(AwsError):
    code = "TableNotFoundException"


class TableAlreadyExistsException(AwsError):
    code = "TableAlreadyExistsException"


class PointInTimeRecoveryUnavailableException(AwsError):
    code = "PointInTimeRecoveryUnavailableException"


class InvalidRestoreTimeException(AwsError):
    code = "InvalidRestoreTimeException"


# DynamoDB Streams' (its own JSON 1.0 service, same namespace on the wire).


class ExpiredIteratorException(AwsError):
    code = "ExpiredIteratorException"


class TrimmedDataAccessException(AwsError):
    code = "TrimmedDataAccessException"


class InternalServerError(AwsError):
    code = "InternalServerError"
    status = 500


# --- STS (the Query protocol: XML errors, with a Sender/Receiver type) --------------------------


class StsError(AwsError):
    namespace = "sts"


class StsAccessDenied(StsError):
    code = "AccessDenied"
    status = 403


class StsValidationError(StsError):
    code = "ValidationError"


class StsInvalidAction(StsError):
    code = "InvalidAction"


class StsMalformedPolicyDocument(StsError):
    code = "MalformedPolicyDocument"


class StsPackedPolicyTooLarge(StsError):
    code = "PackedPolicyTooLarge"


class ExpiredTokenException(AwsError):
    """Temporary credentials past their expiry: DynamoDB's Coral front door answers with this type."""

    code = "ExpiredTokenException"
    namespace = CORAL_SERVICE


# --- IAM (the Query protocol, as STS) -------------------------------------------------------------


class IamError(AwsError):
    namespace = "iam"


class NoSuchEntity(IamError):
    code = "NoSuchEntity"
    status = 404


class EntityAlreadyExists(IamError):
    code = "EntityAlreadyExists"
    status = 409


class IamLimitExceeded(IamError):
    code = "LimitExceeded"
    status = 409


class DeleteConflict(IamError):
    code = "DeleteConflict"
    status = 409


class MalformedPolicyDocument(IamError):
    code = "MalformedPolicyDocument"


class IamValidationError(IamError):
    code = "ValidationError"


class InvalidInput(IamError):
    code = "InvalidInput"


class IamAccessDenied(IamError):
    """An IAM call the caller's policies do not allow (IAM API Reference, "Common Errors")."""

    code = "AccessDenied"
    status = 403


class IamInvalidAction(IamError):
    """An ``Action`` IAM does not serve (or moatdb does not yet)."""

    code = "InvalidAction"


# --- Organizations (JSON 1.1: "__type" is the bare error name, "Message" its text) ----------------


class OrganizationsError(AwsError):
    """Organizations names each error by its own exception type, so one class carries any of them;
    a ConstraintViolationException also carries its ``Reason``."""

    message_field = "Message"

    def __init__(self, code: str, message: str, *, reason: str | None = None, status: int = 400):
        super().__init__(message, extra={"Reason": reason} if reason else None)
        self.code = code
        self.status = status

    @property
    def type(self) -> str:
        return self.code


class OrganizationsAccessDenied(OrganizationsError):
    """Organizations' AccessDeniedException: what the authorizer raises when a call is denied."""

    def __init__(self, message: str):
        super().__init__("AccessDeniedException", message)

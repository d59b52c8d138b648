"""AWS's Query protocol, as STS speaks it: form-encoded ``Action=...&Version=...`` requests (POST
body, or the query string of a presigned GET) and XML replies.

Authentication failures are raised with DynamoDB's error types (the verifier serves both doors);
this codec words them as STS does (STS API Reference, "Common Errors").
"""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from moatdb.errors import (
    AwsError,
    ExpiredTokenException,
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)

XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"
CONTENT_TYPE = b"text/xml"
FORM = b"application/x-www-form-urlencoded"

# DynamoDB's name for an authentication failure -> STS's code and HTTP status for it. STS answers an
# expired token with 403, as IAM does (aws/aws-sdk-java-v2#1649: "ExpiredToken ... Status Code: 403").
_STS_ERRORS: dict[type[AwsError], tuple[str, int]] = {
    MissingAuthenticationTokenException: ("MissingAuthenticationToken", 403),
    IncompleteSignatureException: ("IncompleteSignature", 400),
    InvalidSignatureException: ("SignatureDoesNotMatch", 403),
    UnrecognizedClientException: ("InvalidClientTokenId", 403),
    ExpiredTokenException: ("ExpiredToken", 403),
}
# DynamoDB drops the period when the key is known but its session token is missing or wrong; STS
# words every InvalidClientTokenId alike, with it (the AWS CLI's report for an ASIA key sent without
# its token: "... GetCallerIdentity operation: The security token included in the request is invalid.").
_STS_INVALID_TOKEN = "The security token included in the request is invalid."


def new_request_id() -> str:
    return str(uuid.uuid4())  # STS's request ids are UUIDs


def parse(encoded: bytes) -> dict[str, str]:
    """The parameters of a form-encoded body or query string (a repeated name keeps its last)."""
    return dict(parse_qsl(encoded.decode("utf-8", "replace"), keep_blank_values=True))


def result(action: str, members: dict, request_id: str) -> bytes:
    return (f'<{action}Response xmlns="{XMLNS}">\n  <{action}Result>\n{_members(members, 4)}'
            f"  </{action}Result>\n  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n"
            f"  </ResponseMetadata>\n</{action}Response>\n").encode()


def error(failure: AwsError, request_id: str) -> tuple[int, bytes]:
    code, status = _STS_ERRORS.get(type(failure), (failure.code, failure.status))
    message = _STS_INVALID_TOKEN if isinstance(failure, UnrecognizedClientException) else failure.message or ""
    kind = "Receiver" if status >= 500 else "Sender"
    body = (f'<ErrorResponse xmlns="{XMLNS}">\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{code}</Code>\n'
            f"    <Message>{escape(message)}</Message>\n  </Error>\n"
            f"  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n").encode()
    return status, body


def _members(members: dict, indent: int) -> str:
    pad = " " * indent
    lines = []
    for name, value in members.items():
        if isinstance(value, dict):
            lines.append(f"{pad}<{name}>\n{_members(value, indent + 2)}{pad}</{name}>\n")
        else:
            lines.append(f"{pad}<{name}>{escape(str(value))}</{name}>\n")
    return "".join(lines)

"""AWS's Query protocol, as STS and IAM speak it: form-encoded ``Action=...&Version=...`` requests
(POST body, or the query string of a presigned GET) and XML replies.

STS's replies are written from plain dicts; IAM's from botocore's model of the operation's output
(``render``), so every member is where and as botocore's query parser looks for it: lists as
``<Users><member>...</member></Users>``, maps as ``<entry><key/><value/></entry>``, timestamps in
ISO 8601, booleans as ``true``/``false``, and policy documents URL-encoded, as IAM sends every
``policyDocumentType`` (botocore's ``json_decode_policies`` handler, and the AWS SDKs' users, see
aws/aws-sdk-java#730: "%7B%22Version%22%3A%222012-10-17%22...").

Authentication failures are raised with DynamoDB's error types (the verifier serves every door);
this codec words them as STS and IAM do (STS API Reference and IAM API Reference, "Common Errors").
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote
from xml.sax.saxutils import escape

from botocore.model import Shape

from moatdb.errors import (
    AwsError,
    ExpiredTokenException,
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)

STS_XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"
IAM_XMLNS = "https://iam.amazonaws.com/doc/2010-05-08/"
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


def result(action: str, members: dict, request_id: str, *, xmlns: str = STS_XMLNS) -> bytes:
    return _envelope(action, f"  <{action}Result>\n{_members(members, 4)}  </{action}Result>\n", request_id, xmlns)


def render(action: str, shape: Shape | None, members: dict | None, request_id: str, *,
           xmlns: str = IAM_XMLNS) -> bytes:
    """A reply written from the operation's output ``shape`` (botocore's model): ``members`` are
    named as the model names them, dates are epoch seconds. An operation without output answers
    its envelope and request id only."""
    if shape is None:
        return _envelope(action, "", request_id, xmlns)
    wrapper = shape.serialization.get("resultWrapper", f"{action}Result")
    inner = "".join(_element(member, shape.members[member], value, 4)
                    for member, value in (members or {}).items() if value is not None)
    return _envelope(action, f"  <{wrapper}>\n{inner}  </{wrapper}>\n" if inner else f"  <{wrapper}/>\n",
                     request_id, xmlns)


def _envelope(action: str, result_xml: str, request_id: str, xmlns: str) -> bytes:
    return (f'<{action}Response xmlns="{xmlns}">\n{result_xml}  <ResponseMetadata>\n'
            f"    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n</{action}Response>\n").encode()


def error(failure: AwsError, request_id: str, *, xmlns: str = STS_XMLNS) -> tuple[int, bytes]:
    code, status = _STS_ERRORS.get(type(failure), (failure.code, failure.status))
    message = _STS_INVALID_TOKEN if isinstance(failure, UnrecognizedClientException) else failure.message or ""
    kind = "Receiver" if status >= 500 else "Sender"
    body = (f'<ErrorResponse xmlns="{xmlns}">\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{code}</Code>\n'
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


# IAM URL-encodes every policy document it returns (RFC 3986: "*" too, as in "%2A").
_URL_ENCODED = frozenset({"policyDocumentType"})


def _element(name: str, shape: Shape, value, indent: int) -> str:
    """One member as the Query protocol's XML writes it (botocore's ``QueryParser`` reads it back)."""
    name = shape.serialization.get("name", name)
    pad = " " * indent
    kind = shape.type_name
    if kind == "structure":
        inner = "".join(_element(member, shape.members[member], each, indent + 2)
                        for member, each in value.items() if each is not None)
        return f"{pad}<{name}>\n{inner}{pad}</{name}>\n" if inner else f"{pad}<{name}/>\n"
    if kind == "list":
        member = shape.member
        tag = member.serialization.get("name", "member")
        if shape.serialization.get("flattened"):
            return "".join(_element(name, member, each, indent) for each in value)
        if not value:
            return f"{pad}<{name}/>\n"
        inner = "".join(_element(tag, member, each, indent + 2) for each in value)
        return f"{pad}<{name}>\n{inner}{pad}</{name}>\n"
    if kind == "map":
        key_tag = shape.key.serialization.get("name", "key")
        value_tag = shape.value.serialization.get("name", "value")
        entries = "".join(
            f"{pad}  <entry>\n{_element(key_tag, shape.key, key, indent + 4)}"
            f"{_element(value_tag, shape.value, each, indent + 4)}{pad}  </entry>\n"
            for key, each in value.items())
        return f"{pad}<{name}>\n{entries}{pad}</{name}>\n"
    return f"{pad}<{name}>{_scalar(shape, value)}</{name}>\n"


def _scalar(shape: Shape, value) -> str:
    kind = shape.type_name
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind in ("integer", "long"):
        return str(int(value))
    if shape.name in _URL_ENCODED:
        return quote(value, safe="")
    return escape(str(value))

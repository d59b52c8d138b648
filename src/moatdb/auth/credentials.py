"""Learning the caller from a request's Authorization header.

This is the seam where SigV4 verification will sit: today it reads the credential scope
(``Credential=AKID/20260101/us-east-1/dynamodb/aws4_request``) so that requests carry an access key
and a region, and it rejects what DynamoDB rejects before any signature math (a missing or
malformed header, a scope for another region or service). Verification replaces the body of
``identify`` and keeps its signature.
"""

from __future__ import annotations

from dataclasses import dataclass

from moatdb.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
)


@dataclass(frozen=True, slots=True)
class Caller:
    access_key: str
    account: str
    region: str


class Identifier:
    """Turns an Authorization header into a Caller. One per server (region, account are its own)."""

    def __init__(self, *, region: str, account: str, service: str = "dynamodb"):
        self.region = region
        self.account = account
        self.service = service
        self._callers: dict[bytes, Caller] = {}  # header -> caller: most clients resend few scopes

    def identify(self, authorization: bytes | None, date: bytes | None) -> Caller:
        if not authorization or not authorization.startswith(b"AWS4-"):
            raise MissingAuthenticationTokenException("Request is missing Authentication Token")
        # The signature changes every request; the credential scope rarely does: cache on it.
        credential = _credential(authorization)
        caller = self._callers.get(credential) if credential else None
        if caller is not None and date is not None and b"SignedHeaders=" in authorization \
                and b"Signature=" in authorization:
            return caller
        caller = self._parse(authorization.decode("latin-1"), date)
        if len(self._callers) > 4096:
            self._callers.clear()
        self._callers[credential] = caller
        return caller

    def _parse(self, header: str, date: bytes | None) -> Caller:
        algorithm, _, rest = header.partition(" ")
        params: dict[str, str] = {}
        for part in rest.split(","):
            key, eq, value = part.strip().partition("=")
            if eq:
                params[key] = value
        missing = "".join(
            f"Authorization header requires '{name}' parameter. "
            for name in ("Credential", "Signature", "SignedHeaders")
            if not params.get(name)
        )
        if date is None:
            missing += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        if missing:
            raise IncompleteSignatureException(f"{missing}Authorization={header}")
        if algorithm != "AWS4-HMAC-SHA256":
            raise IncompleteSignatureException(
                f"Unsupported AWS 'algorithm': '{algorithm}' (only AWS4-HMAC-SHA256 for now). "
            )
        scope = params["Credential"].rstrip("/").split("/")
        if len(scope) != 5:
            raise IncompleteSignatureException(
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term,"
                f" got '{params['Credential']}'"
            )
        access_key, _day, region, service, terminator = scope
        problems = []
        if region != self.region:
            # DynamoDB no longer names the region it expected (live capture, 2026).
            problems.append("Credential should be scoped to a valid region. ")
        if service != self.service:
            problems.append(f"Credential should be scoped to correct service: '{self.service}'. ")
        if terminator != "aws4_request":
            problems.append(
                f"Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. "
            )
        if problems:
            raise InvalidSignatureException("".join(problems))  # each complaint ends ". ", kept
        return Caller(access_key=access_key, account=self.account, region=region)


def _credential(header: bytes) -> bytes:
    start = header.find(b"Credential=")
    if start < 0:
        return b""
    end = header.find(b",", start)
    return header[start:end] if end > 0 else header[start:]

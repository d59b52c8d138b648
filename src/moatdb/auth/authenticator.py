"""Who sent a request: its SigV4 signature checked against the principals in storage.

The signature proves possession of an access key's secret; the key's record says whose key it is.
Nothing else the client writes is believed: not a header naming a user, not a region or account
outside the signed credential scope.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from moatdb.auth.directory import Directory
from moatdb.auth.origin import Origin
from moatdb.auth.principals import Identity
from moatdb.auth.sigv4 import SigningKeyRecord, SigV4Verifier
from moatdb.errors import UnrecognizedClientException

# IAM and Organizations are global services: their requests are signed for us-east-1 whatever the
# region of the caller (IAM API Reference, "Signing AWS API requests"; botocore's endpoint rules
# scope iam.amazonaws.com and organizations.us-east-1.amazonaws.com to us-east-1). An SDK given a
# custom endpoint URL signs for its own configured region instead (botocore's rules give a custom
# endpoint no signing region), so the server's region holds too.
GLOBAL_REGION = "us-east-1"
GLOBAL_SERVICES = frozenset({"iam", "organizations"})

_CREDENTIAL = re.compile(rb"Credential=([^,\s]*)")
_QUERY_CREDENTIAL = re.compile(rb"(?:^|&)X-Amz-Credential=([^&]*)")


def credential_scope(headers: Sequence[tuple[bytes, bytes]], query: bytes) -> tuple[str, str] | None:
    """The (region, service) a request says it is signed for, from its ``Authorization`` header or
    a presigned URL's ``X-Amz-Credential``; None when neither holds a five-part credential. Nothing
    is verified here: this only tells which service a request is addressed to."""
    found = None
    for name, value in headers:
        if name == b"authorization":
            found = _CREDENTIAL.search(value)
            credential = found.group(1) if found else b""
            break
    else:
        found = _QUERY_CREDENTIAL.search(query) if b"X-Amz-Credential=" in query else None
        credential = unquote_to_bytes(found.group(1).replace(b"+", b" ")) if found else b""
    parts = credential.decode("latin-1").rstrip("/").split("/")
    return (parts[2], parts[3]) if len(parts) == 5 else None


@dataclass(frozen=True, slots=True)
class Caller:
    access_key: str
    account: str
    region: str
    identity: Identity
    origin: Origin  # the door and peer the request came through: the socket's word, not the client's


class Authenticator:
    """One per server: its region is the only one a credential scope may name (and, for the global
    services, GLOBAL_REGION)."""

    def __init__(self, directory: Directory, *, region: str):
        self.directory = directory
        self.region = region
        self._verifier = SigV4Verifier(region=region, lookup=self._signing_key)
        # The global services' requests signed for GLOBAL_REGION are checked against it.
        self._global_verifier = self._verifier if region == GLOBAL_REGION else SigV4Verifier(
            region=GLOBAL_REGION, lookup=self._signing_key)
        # The principal the verifier's lookup found, for the request being authenticated: one
        # lookup per request (the server is one thread per process).
        self._found: tuple[SigningKeyRecord, Identity] | None = None

    def _signing_key(self, access_key: str) -> SigningKeyRecord | None:
        self._found = found = self.directory.signing_key(access_key)
        return None if found is None else found[0]

    def authenticate(self, *, service: str, method: str, path: bytes, query: bytes,
                     headers: Sequence[tuple[bytes, bytes]], body: bytes, origin: Origin) -> Caller:
        """The caller of a request as sent: ``path`` and ``query`` undecoded (ASGI's ``raw_path``
        and ``query_string``), since the signature covers them as they travelled."""
        self._found = None
        verifier = self._verifier
        if service in GLOBAL_SERVICES and verifier is not self._global_verifier:
            scope = credential_scope(headers, query)
            if scope is not None and scope[0] == GLOBAL_REGION:
                verifier = self._global_verifier
        verified = verifier.verify(service=service, method=method, path=path, query=query,
                                   headers=headers, body=body)
        found = self._found
        if found is None:  # the verifier only succeeds after its lookup found the key
            raise UnrecognizedClientException("The security token included in the request is invalid.")
        identity = found[1]
        return Caller(verified.access_key, identity.account, verified.region, identity, origin)
